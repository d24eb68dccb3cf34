package scan

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// TestReadAheadIsBounded checks that the walk streams: however slow the
// caller, the directories read but not yet emitted stay within the read-ahead
// bounds, far below the size of the tree.
func TestReadAheadIsBounded(t *testing.T) {
	root := t.TempDir()
	const top, sub = 40, 40 // 1,640 directories, depth 2
	for i := range top {
		for j := range sub {
			mkdir(t, filepath.Join(root, fmt.Sprintf("a%02d/b%02d", i, j)))
		}
	}
	const workers = 2
	// outstanding ≤ read-ahead + the emitter's window at each of 3 levels, plus
	// a possible overshoot of one listing per worker.
	bound := readAheadPerWorker*workers + 3*lookaheadPerWorker*workers + workers
	faults := &faultFS{}
	dirsVisited, worst := 0, 0
	_, err := walk(context.Background(), root, Options{Workers: workers}, faults.opener(),
		func(e Entry) error {
			if dirsVisited%100 == 0 {
				time.Sleep(20 * time.Millisecond) // a slow caller: workers may run ahead
			}
			dirsVisited++
			worst = max(worst, len(faults.openedDirs())-1-dirsVisited) // -1: the root
			return nil
		},
		func(Skip) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if dirsVisited != top*(sub+1) {
		t.Fatalf("%d directories visited, want %d", dirsVisited, top*(sub+1))
	}
	if worst > bound {
		t.Errorf("up to %d directories read ahead of the caller, want at most %d", worst, bound)
	}
	t.Logf("read ahead at most %d directories (bound %d)", worst, bound)
}
