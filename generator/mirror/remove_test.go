package mirror

import (
	"os"
	"path/filepath"
	"testing"
)

// TestRemoveAtFollowsNoLink: a link put where a directory was (after the
// listing, say) stops the removal; the file it leads to, outside DST, stays.
// ".." never leads out either.
func TestRemoveAtFollowsNoLink(t *testing.T) {
	base := t.TempDir()
	dst, outside := filepath.Join(base, "dst"), filepath.Join(base, "outside")
	for _, d := range []string{dst, outside} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(outside, "f"), []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dst, "dir")); err != nil {
		t.Fatal(err)
	}
	for _, rel := range []string{"dir/f", "../outside/f"} {
		if err := removeAt(dst, rel, false); err == nil {
			t.Errorf("removeAt(%q): no error", rel)
		}
	}
	if _, err := os.Stat(filepath.Join(outside, "f")); err != nil {
		t.Errorf("the file outside DST: %v", err)
	}
	if err := removeAt(dst, "dir", false); err != nil {
		t.Errorf("removing the link itself: %v", err)
	}
	if _, err := os.Stat(outside); err != nil {
		t.Errorf("the link's target: %v", err)
	}
}
