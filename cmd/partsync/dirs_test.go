package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/partsync/partsync/generator/plan"
	"github.com/partsync/partsync/generator/testtree/hostile"
	"github.com/partsync/partsync/generator/transfer"
)

// TestDirsStepRestores: whatever the partitions left (here: every
// directory of the destination made 0755 with a fresh mtime, as entries
// created late by another partition would leave it), `partsync dirs`
// restores each directory's mode and mtime from the source, deepest and
// read-only ones included, and touches nothing else. Before every partition
// has succeeded it refuses to run.
func TestDirsStepRestores(t *testing.T) {
	needTools(t, "rsync")
	t.Parallel()
	base := t.TempDir()
	src, dst, shared := filepath.Join(base, "src"), filepath.Join(base, "dst"), filepath.Join(base, "runs")
	tree, _ := buildHostile(t, src)
	mustPartsync(t, "run", "-n", "4", "-f", "5", "-d", shared, "--run-id", "dirs", src, dst)
	runDir := plan.Dir(filepath.Join(shared, "dirs"))

	now := time.Now()
	var dirs []string
	for _, e := range tree.Entries {
		if e.Kind == hostile.Dir {
			dirs = append(dirs, e.Path)
		}
	}
	for _, d := range dirs {
		p := filepath.Join(dst, d)
		if err := os.Chmod(p, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, now, now); err != nil {
			t.Fatal(err)
		}
	}
	before := walkTree(t, dst)

	// A partition without a status: the step refuses.
	saved, err := os.ReadFile(runDir.StatusFile(0))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(runDir.StatusFile(0)); err != nil {
		t.Fatal(err)
	}
	if res := partsync(context.Background(), "dirs", "--run-dir", string(runDir)); res.code == ExitOK || !errors.Is(res.err, transfer.ErrDirsNotReady) {
		t.Errorf("the directory step ran with partition 0 unfinished: %s", res)
	}
	if err := os.WriteFile(runDir.StatusFile(0), saved, 0o644); err != nil {
		t.Fatal(err)
	}

	res := mustPartsync(t, "dirs", "--run-dir", string(runDir))
	if !strings.Contains(res.stderr, "directory step ok") {
		t.Errorf("stderr: %s", res.stderr)
	}
	after := walkTree(t, dst)
	srcWalk := walkTree(t, src)
	for _, d := range dirs {
		s, a := srcWalk[d], after[d]
		if a.Mode != s.Mode || !a.MTime.Equal(s.MTime) {
			t.Errorf("%q: %v %v after the directory step; source %v %v", d, a.Mode, a.MTime, s.Mode, s.MTime)
		}
	}
	for rel, b := range before {
		if b.Kind == hostile.Dir {
			continue
		}
		if a := after[rel]; a != b {
			t.Errorf("%q: the directory step changed a non-directory: %+v → %+v", rel, b, a)
		}
	}
	if len(dirs) < 20 {
		t.Errorf("only %d directories: the test needs the corpus", len(dirs))
	}
}
