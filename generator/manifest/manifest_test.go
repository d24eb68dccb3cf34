package manifest

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/partsync/partsync/generator/scan"
)

// record is a manifest record as replayed.
type record struct {
	e *scan.Entry
	s *scan.Skip
}

func TestManifestRoundTrip(t *testing.T) {
	mtime := time.Unix(1700000000, 123456789)
	in := []record{
		{e: &scan.Entry{Path: "a", Type: scan.Dir, Mode: fs.ModeDir | 0o755, ModTime: mtime, Inode: 2, Dev: 64769, Nlink: 3, Children: 2}},
		{e: &scan.Entry{Path: "a/b\tc\nd", Type: scan.File, Mode: 0o644, Size: 1 << 40, ModTime: mtime, Inode: 1<<63 + 5, Dev: 64769, Nlink: 2}},
		{s: &scan.Skip{Path: "a/locked", Reason: "cannot read directory: permission denied; its contents are not copied"}},
		{e: &scan.Entry{Path: "a/\xff\xfe", Type: scan.Symlink, Mode: fs.ModeSymlink | 0o777, Size: 7}},
		{e: &scan.Entry{Path: "a/unreadable", Type: scan.Dir, Mode: fs.ModeDir, Children: -1}},
		{e: &scan.Entry{Path: "z", Type: scan.Other, Mode: fs.ModeNamedPipe | 0o600, ModTime: time.Unix(-5, 0)}},
	}
	path := filepath.Join(t.TempDir(), "manifest")
	m, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range in {
		if r.e != nil {
			err = m.Entry(*r.e)
		} else {
			err = m.Skip(*r.s)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	var out []record
	err = Replay(context.Background(), path,
		func(e scan.Entry) error { out = append(out, record{e: &e}); return nil },
		func(s scan.Skip) error { out = append(out, record{s: &s}); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != len(in) {
		t.Fatalf("%d records back, want %d", len(out), len(in))
	}
	for i := range in {
		if in[i].e != nil && out[i].e != nil && !in[i].e.ModTime.Equal(out[i].e.ModTime) {
			t.Errorf("record %d: mtime %v, want %v", i, out[i].e.ModTime, in[i].e.ModTime)
		}
		if in[i].e != nil && out[i].e != nil {
			out[i].e.ModTime = in[i].e.ModTime
		}
		if !reflect.DeepEqual(in[i], out[i]) {
			t.Errorf("record %d: got %+v %+v, want %+v %+v", i, out[i].e, out[i].s, in[i].e, in[i].s)
		}
	}

	// A truncated manifest is an error naming the record, never a short replay.
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data[:len(data)-3], 0o644); err != nil {
		t.Fatal(err)
	}
	err = Replay(context.Background(), path, func(scan.Entry) error { return nil }, func(scan.Skip) error { return nil })
	if !errors.Is(err, ErrCorrupt) {
		t.Errorf("truncated manifest: %v, want ErrCorrupt", err)
	}
}
