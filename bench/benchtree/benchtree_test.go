package benchtree

import (
	"io/fs"
	"path/filepath"
	"testing"
)

// TestMakeIsSeeded checks the shape Make promises and that two builds give
// the same names and sizes: the benchmarks compare runs of the same tree.
func TestMakeIsSeeded(t *testing.T) {
	sizes := func(root string) map[string]int64 {
		t.Helper()
		files, err := Make(root, 3)
		if err != nil {
			t.Fatal(err)
		}
		if files != 3*FilesPerDir {
			t.Fatalf("Make says %d files, want %d", files, 3*FilesPerDir)
		}
		got := map[string]int64{}
		err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, p)
			got[rel] = info.Size()
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	a, b := sizes(t.TempDir()), sizes(t.TempDir())
	if len(a) != 3*FilesPerDir {
		t.Fatalf("found %d files on disk, want %d", len(a), 3*FilesPerDir)
	}
	for name, size := range a {
		if size < 1024 || size > 16*1024 {
			t.Errorf("%s: %d bytes, want 1–16 KiB", name, size)
		}
		if b[name] != size {
			t.Errorf("%s: %d bytes in one build, %d in the other", name, size, b[name])
		}
	}
}
