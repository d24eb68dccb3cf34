package main

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/partsync/partsync/generator/testtree/hostile"
)

// TestHostileTreeRcloneLocal: rclone to a local directory, named as a path
// or through a `type = local` remote, with a destination root short enough
// for the corpus's deepest path and one so long that the path would exceed
// PATH_MAX there. Every file that fits is copied with its bytes, every
// partition succeeds at the first attempt, and only the entries the
// destination cannot hold are skipped, the deep one for its length at the
// destination (PATH_MAX), never for an object key limit.
func TestHostileTreeRcloneLocal(t *testing.T) {
	needTools(t, "rclone")
	t.Parallel()
	base := t.TempDir()
	src := filepath.Join(base, "src")
	tree, srcWalk := buildHostile(t, src)
	var deep string
	for _, e := range tree.Entries {
		if e.Kind == hostile.File && len(e.Path) > len(deep) {
			deep = e.Path
		}
	}
	cfg := filepath.Join(base, "rclone.conf")
	if err := os.WriteFile(cfg, []byte("[loc]\ntype = local\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// Over PATH_MAX: the destination root is longer than the source's by
	// more than hostile.DeepMargin.
	long := filepath.Join(base, strings.Repeat("l", 2*hostile.DeepMargin))
	for _, c := range []struct {
		name, root string
		remote     bool
	}{
		{"path-long", filepath.Join(long, "p"), false},
		{"remote-short", filepath.Join(base, "r"), true},
		{"remote-long", filepath.Join(long, "r"), true},
	} {
		t.Run(c.name, func(t *testing.T) {
			shared := filepath.Join(base, "runs-"+c.name)
			dst := c.root
			if c.remote {
				dst = "loc:" + c.root
			}
			res := mustPartsync(t, "run", "-m", "rclone", "-n", "4", "-f", "6", "--retries", "0", "-d", shared, "--run-id", "h", "--rclone-config", cfg, src, dst)
			runDir := filepath.Join(shared, "h")
			files, _, wantSkipped := rcloneFate(tree, func(path string) bool { return len(c.root)+1+len(path) < hostile.PathMax })
			sort.Strings(wantSkipped)
			got := walkTree(t, c.root)
			for _, rel := range files {
				if w, ok := got[rel]; !ok || w.SHA256 != srcWalk[rel].SHA256 {
					t.Errorf("%q: not copied with its bytes (%+v)", rel, w)
				}
			}
			skipped := readSkipped(t, runDir)
			if keys := slices.Sorted(maps.Keys(skipped)); strings.Join(keys, "\x00") != strings.Join(wantSkipped, "\x00") {
				t.Errorf("skipped list: missing %q, unexpected %q", minus(wantSkipped, keys), minus(keys, wantSkipped))
			}
			fits := len(c.root)+1+len(deep) < hostile.PathMax
			reason, isSkipped := skipped[deep]
			switch {
			case fits && isSkipped:
				t.Errorf("the %d-byte path fits at the destination (%d bytes) but was skipped: %s", len(deep), len(c.root)+1+len(deep), reason)
			case !fits && (!strings.Contains(reason, "PATH_MAX") || strings.Contains(reason, "object")):
				t.Errorf("the path %d bytes long at the destination: skipped with reason %q, want one naming PATH_MAX", len(c.root)+1+len(deep), reason)
			}
			for _, r := range skipped {
				if strings.Contains(r, "object key") {
					t.Errorf("a local destination skipped for an object key limit: %s", r)
				}
			}
			p := loadPlan(t, runDir)
			for n := range p.Partitions {
				if st := loadStatus(t, runDir, n); !st.OK || st.Attempts != 1 {
					t.Errorf("part %d: %+v; want ok at the first attempt", n, st)
				}
			}
			t.Logf("%s: %d files copied, %d skipped; deep file %d bytes at the destination; stderr:\n%s", c.name, len(files), len(wantSkipped), len(c.root)+1+len(deep), res.stderr)
		})
	}
}
