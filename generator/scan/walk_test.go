package scan

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// buildSmall makes the hand-written tree of TestWalkTree.
func buildSmall(t *testing.T) string {
	root := t.TempDir()
	p := func(rel string) string { return filepath.Join(root, rel) }
	writeFile(t, p("Zed"), 1)
	writeFile(t, p("a/x"), 2)
	writeFile(t, p("a-b"), 3)
	writeFile(t, p("a.txt"), 5)
	writeFile(t, p("b dir/c"), 3)
	mkdir(t, p("b dir/sub"))
	symlink(t, "nope", p("dangling"))
	writeFile(t, p("deep/1/2/3/f"), 7)
	mkdir(t, p("empty"))
	if err := syscall.Mkfifo(p("fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	symlink(t, "b dir", p("link-dir"))
	writeFile(t, p("new\nline"), 0)
	l, err := net.Listen("unix", p("sock"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	writeFile(t, p("é"), 4)
	writeFile(t, p("\xff\xfe"), 2)
	return root
}

// TestWalkTree checks the exact sequence of entries for a tree with every
// kind of entry and awkward names: pre-order, names sorted as bytes (so "a/x"
// comes before "a-b"), links not followed, and every field against lstat.
func TestWalkTree(t *testing.T) {
	root := buildSmall(t)
	want := []string{
		`visit "Zed" file size=1 children=0`,
		`visit "a" dir size=0 children=1`,
		`visit "a/x" file size=2 children=0`,
		`visit "a-b" file size=3 children=0`,
		`visit "a.txt" file size=5 children=0`,
		`visit "b dir" dir size=0 children=2`,
		`visit "b dir/c" file size=3 children=0`,
		`visit "b dir/sub" dir size=0 children=0`,
		`visit "dangling" symlink size=4 children=0`,
		`visit "deep" dir size=0 children=1`,
		`visit "deep/1" dir size=0 children=1`,
		`visit "deep/1/2" dir size=0 children=1`,
		`visit "deep/1/2/3" dir size=0 children=1`,
		`visit "deep/1/2/3/f" file size=7 children=0`,
		`visit "empty" dir size=0 children=0`,
		`visit "fifo" other size=0 children=0`,
		`visit "link-dir" symlink size=5 children=0`,
		`visit "new\nline" file size=0 children=0`,
		`visit "sock" other size=0 children=0`,
		`visit "é" file size=4 children=0`,
		`visit "\xff\xfe" file size=2 children=0`,
	}
	for _, workers := range []int{1, 3, 32} {
		r := mustWalk(t, root, Options{Workers: workers}, nil)
		diffCalls(t, "walk", r.calls, want)
		wantStats := Stats{Entries: 21, Files: 9, Dirs: 8, Symlinks: 2, Others: 2, Bytes: 27}
		if r.stats != wantStats {
			t.Errorf("workers=%d: stats %+v, want %+v", workers, r.stats, wantStats)
		}
	}

	r := mustWalk(t, root, Options{}, nil)
	for _, e := range r.entries {
		fi, err := os.Lstat(filepath.Join(root, e.Path))
		if err != nil {
			t.Fatal(err)
		}
		st := fi.Sys().(*syscall.Stat_t)
		if e.Mode != fi.Mode() || e.Size != fi.Size() || !e.ModTime.Equal(fi.ModTime()) ||
			e.Inode != uint64(st.Ino) || e.Dev != uint64(st.Dev) || e.Nlink != uint64(st.Nlink) {
			t.Errorf("%q: got mode=%v size=%d mtime=%v ino=%d dev=%d nlink=%d, lstat says %v %d %v %d %d %d",
				e.Path, e.Mode, e.Size, e.ModTime, e.Inode, e.Dev, e.Nlink,
				fi.Mode(), fi.Size(), fi.ModTime(), st.Ino, st.Dev, st.Nlink)
		}
	}
}

// TestWalkMatchesReference compares walks with 1 to 64 workers with
// filepath.WalkDir on a generated tree: same entries, same order, same
// children counts, whatever the parallelism.
func TestWalkMatchesReference(t *testing.T) {
	root := t.TempDir()
	n := buildGenerated(t, root, 1)
	want := referenceWalk(t, root)
	if len(want) != n {
		t.Fatalf("reference walk found %d entries, the generator made %d", len(want), n)
	}
	for _, workers := range []int{1, 2, 7, 64} {
		r := mustWalk(t, root, Options{Workers: workers}, nil)
		diffCalls(t, "workers="+strconv.Itoa(workers), r.calls, want)
		if r.stats.Entries != int64(n) || r.stats.Skipped != 0 || r.stats.Excluded != 0 {
			t.Errorf("workers=%d: stats %+v, want %d entries", workers, r.stats, n)
		}
	}
}

// TestWalkRootSymlinkIsFollowed checks that a root given as a link to a
// directory is walked, while links below it are not followed.
func TestWalkRootSymlinkIsFollowed(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "real/f"), 1)
	symlink(t, "real", filepath.Join(dir, "link"))
	r := mustWalk(t, filepath.Join(dir, "link"), Options{}, nil)
	diffCalls(t, "walk", r.calls, []string{`visit "f" file size=1 children=0`})
}

// TestSourceErrors checks that a root that cannot be walked is an ErrSource
// error of one line naming the path and the fix, and that nothing is visited.
func TestSourceErrors(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "file"), 1)
	unreadable := &faultFS{openErr: map[string]error{"": syscall.EACCES}}
	tests := []struct {
		name, root string
		open       opener
		want       string
		is         error
	}{
		{"missing", filepath.Join(dir, "nope"), nil, "source " + dir + "/nope: no such directory; check the path", fs.ErrNotExist},
		{"file", filepath.Join(dir, "file"), nil, "source " + dir + "/file: not a directory; give the directory whose contents are copied", syscall.ENOTDIR},
		{"unreadable", dir, unreadable.opener(), "source " + dir + ": permission denied; run as a user who can read it", fs.ErrPermission},
		{"empty", "", nil, `source "": empty path; give the directory to copy`, ErrSource},
		{"quoted", filepath.Join(dir, "no\nsuch"), nil, `source "` + dir + `/no\nsuch": no such directory; check the path`, fs.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := walkWith(t, tt.root, Options{}, tt.open)
			if !errors.Is(r.err, ErrSource) || !errors.Is(r.err, tt.is) {
				t.Fatalf("err = %v, want one wrapping ErrSource and %v", r.err, tt.is)
			}
			if r.err.Error() != tt.want {
				t.Errorf("err = %q, want %q", r.err, tt.want)
			}
			if len(r.calls) != 0 {
				t.Errorf("callbacks were called: %q", r.calls)
			}
		})
	}
}

// TestCallbackErrors checks that an error from visit or skip ends the walk at
// once and comes back wrapped, naming the entry.
func TestCallbackErrors(t *testing.T) {
	checkNoLeak(t)
	root := t.TempDir()
	buildGenerated(t, root, 2)
	boom := errors.New("boom")

	visits := 0
	_, err := Walk(context.Background(), root, Options{Workers: 8},
		func(e Entry) error {
			if visits++; visits == 5 {
				return boom
			}
			return nil
		},
		func(Skip) error { return nil })
	if !errors.Is(err, boom) || visits != 5 || !strings.HasPrefix(err.Error(), "scan: visit ") {
		t.Errorf("visit error: got %v after %d visits, want boom after 5", err, visits)
	}

	faults := &faultFS{lstatErr: map[string]error{"wide/f00003": syscall.EIO}}
	visits = 0
	_, err = walk(context.Background(), root, Options{Workers: 8}, faults.opener(),
		func(Entry) error { visits++; return nil },
		func(Skip) error { return boom })
	if !errors.Is(err, boom) || err.Error() != "scan: skip wide/f00003: boom" {
		t.Errorf("skip error: got %v, want scan: skip wide/f00003: boom", err)
	}
	before := slices.IndexFunc(referenceWalk(t, root), func(c string) bool {
		return strings.HasPrefix(c, `visit "wide/f00003" `)
	})
	if visits != before {
		t.Errorf("skip error: %d visits before it, want the %d entries that precede wide/f00003", visits, before)
	}
}

// TestWalkNeedsCallbacks checks the nil-callback error.
func TestWalkNeedsCallbacks(t *testing.T) {
	if _, err := Walk(context.Background(), t.TempDir(), Options{}, nil, nil); err == nil {
		t.Error("Walk with nil callbacks: no error")
	}
}

func TestTypeString(t *testing.T) {
	for typ, want := range map[Type]string{File: "file", Dir: "dir", Symlink: "symlink", Other: "other", 0: "Type(0)", 9: "Type(9)"} {
		if got := typ.String(); got != want {
			t.Errorf("Type(%d).String() = %q, want %q", typ, got, want)
		}
	}
}
