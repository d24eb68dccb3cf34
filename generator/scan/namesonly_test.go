//go:build linux

package scan

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
)

// shape is what a NamesOnly walk reports of an entry: its path and type.
func shape(r result) []string {
	var out []string
	for _, e := range r.entries {
		out = append(out, fmt.Sprintf("%q %s children=%d excluded=%d", e.Path, e.Type, e.Children, e.Excluded))
	}
	for _, s := range r.skips {
		out = append(out, fmt.Sprintf("skip %q", s.Path))
	}
	return out
}

// TestNamesOnly: a NamesOnly walk reports the same entries, in the same
// order, with the same types and child counts as a full walk, excludes
// included, and it makes no lstat where the file system gives d_type.
func TestNamesOnly(t *testing.T) {
	root := t.TempDir()
	buildGenerated(t, root, 7)
	if err := syscall.Mkfifo(filepath.Join(root, "fifo"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("wide", filepath.Join(root, "link-to-dir")); err != nil {
		t.Fatal(err)
	}
	opts := Options{Workers: 4, Exclude: []string{"f0001*", "deep3/"}}
	full := mustWalk(t, root, opts, nil)

	f := &faultFS{}
	opts.NamesOnly = true
	names := mustWalk(t, root, opts, f.opener())
	if got, want := shape(names), shape(full); !slices.Equal(got, want) {
		t.Fatalf("NamesOnly walk differs from the full walk: %d vs %d entries", len(got), len(want))
	}
	if n := f.lstats.Load(); n != 0 {
		t.Errorf("NamesOnly made %d lstat calls on a file system that gives d_type", n)
	}
	for _, e := range names.entries {
		if e.Size != 0 || !e.ModTime.IsZero() || e.Inode != 0 || e.Mode != e.Mode.Type() {
			t.Fatalf("NamesOnly entry %+v carries metadata", e)
		}
	}
	if names.stats.Entries != full.stats.Entries || names.stats.Dirs != full.stats.Dirs || names.stats.Excluded != full.stats.Excluded {
		t.Errorf("stats %+v, full walk %+v", names.stats, full.stats)
	}

	// A full walk lstats every entry: the same fault FS sees them.
	f = &faultFS{}
	opts.NamesOnly = false
	mustWalk(t, root, opts, f.opener())
	if n := f.lstats.Load(); n < full.stats.Entries {
		t.Errorf("a full walk made %d lstat calls for %d entries", n, full.stats.Entries)
	}
}

// TestParseDirentsUnknownType: an entry whose d_type is DT_UNKNOWN (some
// file systems never fill it) is marked unknownType, so that the walk
// lstats it.
func TestParseDirentsUnknownType(t *testing.T) {
	rec := func(name string, typ byte) []byte {
		n := 19 + len(name) + 1
		n = (n + 7) &^ 7
		b := make([]byte, n)
		binary.NativeEndian.PutUint16(b[16:18], uint16(n))
		b[18] = typ
		copy(b[19:], name)
		return b
	}
	buf := slices.Concat(rec(".", 4), rec("..", 4), rec("d", 4), rec("u", 0), rec("f", 8))
	names, types := parseDirents(buf, nil, nil)
	if !slices.Equal(names, []string{"d", "u", "f"}) || !slices.Equal(types, []os.FileMode{os.ModeDir, unknownType, 0}) {
		t.Errorf("parsed %q %v", names, types)
	}
}
