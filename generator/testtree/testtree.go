// Package testtree holds what the product's tests and the e2e suite (its own
// module) share about trees on disk: the trees they build (hostile, sample),
// the copy check (check), a run copied with the real tool for the steps
// after the partitions (copytest), and Files, which reads a tree back. The
// demo uses sample and check too; Files takes a testing.TB and is for tests
// only.
package testtree

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// Files maps each regular file below root, by its '/'-separated path relative
// to root, to its bytes; a root that does not exist gives an empty map. Any
// other error ends the test.
func Files(t testing.TB, root string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		out[filepath.ToSlash(rel)] = data
		return nil
	})
	if err != nil && !(os.IsNotExist(err) && len(out) == 0) {
		t.Fatalf("read the tree %s: %v", root, err)
	}
	return out
}
