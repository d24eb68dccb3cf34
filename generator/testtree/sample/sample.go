// Package sample builds a deterministic sample source tree: the demo's
// embedded default and the tests' fixture. The same Spec always gives the
// same names, sizes, bytes, modes and mtimes.
package sample

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"
)

// Spec shapes a tree.
type Spec struct {
	Seed        uint64
	Dirs        int   // directories holding files, spread over two levels
	FilesPerDir int   // regular files in each
	MinSize     int64 // bytes of the smallest file
	MaxSize     int64 // bytes of the largest file
	// Extras adds what real trees hold besides plain files: an empty
	// directory, a symbolic link, names with spaces and quotes, an
	// executable, a file with an old mtime.
	Extras bool
}

// Default is the demo's tree: 2,000 files of up to 64 KiB in 40 directories.
func Default() Spec {
	return Spec{Seed: 1, Dirs: 40, FilesPerDir: 50, MinSize: 0, MaxSize: 64 << 10, Extras: true}
}

// Stats counts what Build made.
type Stats struct {
	Files    int64
	Dirs     int64
	Symlinks int64
	Bytes    int64
}

// epoch is the base of the mtimes Build sets.
func epoch() time.Time { return time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC) }

// Build writes the tree described by spec into root, which must be empty or absent.
func Build(root string, spec Spec) (Stats, error) {
	var st Stats
	if err := os.MkdirAll(root, 0o755); err != nil {
		return st, fmt.Errorf("sample tree: %w", err)
	}
	rng := rand.New(rand.NewPCG(spec.Seed, spec.Seed^0x9e3779b97f4a7c15))
	buf := make([]byte, spec.MaxSize)
	for d := range spec.Dirs {
		dir := filepath.Join(root, fmt.Sprintf("group-%02d", d%8), fmt.Sprintf("dir-%04d", d))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return st, fmt.Errorf("sample tree: %w", err)
		}
		st.Dirs++
		for f := range spec.FilesPerDir {
			size := spec.MinSize
			if spec.MaxSize > spec.MinSize {
				size += rng.Int64N(spec.MaxSize - spec.MinSize + 1)
			}
			for i := range buf[:size] {
				buf[i] = byte(rng.Uint32())
			}
			name := filepath.Join(dir, fmt.Sprintf("file-%05d.dat", f))
			mtime := epoch().Add(time.Duration(rng.Int64N(1<<20)) * time.Second)
			if err := writeFile(name, buf[:size], 0o644, mtime); err != nil {
				return st, err
			}
			st.Files++
			st.Bytes += size
		}
	}
	st.Dirs += int64(min(spec.Dirs, 8)) // the group-NN parents
	if spec.Extras {
		if err := extras(root, &st); err != nil {
			return st, err
		}
	}
	return st, nil
}

// extras adds the entries real trees hold besides plain files.
func extras(root string, st *Stats) error {
	files := []struct {
		name string
		mode os.FileMode
		data string
		when time.Time
	}{
		{"odd names/with spaces and 'quotes'.txt", 0o644, "spaces\n", epoch()},
		{"odd names/-leading-dash", 0o600, "dash\n", epoch()},
		{"odd names/tool.sh", 0o755, "#!/bin/sh\necho hi\n", epoch()},
		{"odd names/old.txt", 0o444, "old\n", time.Date(1999, 12, 31, 23, 59, 59, 0, time.UTC)},
	}
	if err := os.MkdirAll(filepath.Join(root, "odd names"), 0o755); err != nil {
		return fmt.Errorf("sample tree: %w", err)
	}
	for _, f := range files {
		if err := writeFile(filepath.Join(root, f.name), []byte(f.data), f.mode, f.when); err != nil {
			return err
		}
		st.Files++
		st.Bytes += int64(len(f.data))
	}
	if err := os.MkdirAll(filepath.Join(root, "empty", "nested-empty"), 0o750); err != nil {
		return fmt.Errorf("sample tree: %w", err)
	}
	if err := os.Symlink("with spaces and 'quotes'.txt", filepath.Join(root, "odd names", "link")); err != nil {
		return fmt.Errorf("sample tree: %w", err)
	}
	st.Dirs += 3
	st.Symlinks++
	return nil
}

func writeFile(name string, data []byte, mode os.FileMode, mtime time.Time) error {
	if err := os.WriteFile(name, data, mode); err != nil {
		return fmt.Errorf("sample tree: %w", err)
	}
	if err := os.Chmod(name, mode); err != nil {
		return fmt.Errorf("sample tree: %w", err)
	}
	if err := os.Chtimes(name, mtime, mtime); err != nil {
		return fmt.Errorf("sample tree: %w", err)
	}
	return nil
}
