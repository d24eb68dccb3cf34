// Package benchtree builds the seeded trees the scan benchmarks walk: many
// directories of 30 sparse files of 1–16 KiB, shaped like the issue's
// 200,000-file anchor (6,667 directories). The same arguments always give
// the same names and sizes. Files are sparse: a scan reads metadata only.
package benchtree

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
)

// FilesPerDir is the number of files in each directory Make creates.
const FilesPerDir = 30

// Anchor is the number of directories of the 200,010-file tree.
const Anchor = 6667

// Make creates dirs directories (grouped 100 to a top-level directory) of
// FilesPerDir files each under root, and returns the number of files.
func Make(root string, dirs int) (int, error) {
	rng := rand.New(rand.NewPCG(42, 42))
	files := 0
	for d := range dirs {
		dir := filepath.Join(root, fmt.Sprintf("top%02d", d/100), fmt.Sprintf("dir%04d", d))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return files, fmt.Errorf("bench tree: %w", err)
		}
		for f := range FilesPerDir {
			fh, err := os.Create(filepath.Join(dir, fmt.Sprintf("file%02d.dat", f)))
			if err != nil {
				return files, fmt.Errorf("bench tree: %w", err)
			}
			err = fh.Truncate(1024 + rng.Int64N(15*1024+1))
			if cerr := fh.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return files, fmt.Errorf("bench tree: %w", err)
			}
			files++
		}
	}
	return files, nil
}
