package scan

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestComparePathsIsWalkOrder: every path Walk emits compares greater than
// the one before it. The tree holds names with bytes below '/' (space, '!',
// '.'), so a plain byte comparison of whole paths would disagree with the
// walk, and the test says so.
func TestComparePathsIsWalkOrder(t *testing.T) {
	root := t.TempDir()
	for _, p := range []string{"a/z", "a/b/c", "a b/x", "a!", "a.d/q", "a-", "b", "\xff/\x01", "\xffy/1"} {
		if err := os.MkdirAll(filepath.Join(root, filepath.Dir(p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, p), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := mustWalk(t, root, Options{Workers: 4}, nil)
	plainDisagrees := false
	for i := 1; i < len(r.entries); i++ {
		a, b := r.entries[i-1].Path, r.entries[i].Path
		if ComparePaths(a, b) != -1 || ComparePaths(b, a) != 1 {
			t.Errorf("walk emitted %q then %q, but ComparePaths(%q, %q) = %d", a, b, a, b, ComparePaths(a, b))
		}
		if strings.Compare(a, b) > 0 {
			plainDisagrees = true
		}
	}
	if !plainDisagrees {
		t.Error("the tree does not tell ComparePaths from a plain comparison: give it a name with a byte below '/'")
	}
	for _, p := range []string{"a", "a/b", "a b/x"} {
		if ComparePaths(p, p) != 0 {
			t.Errorf("ComparePaths(%q, %q) != 0", p, p)
		}
	}
}
