package fanout

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
)

// TestEachCallsEveryIndexOnceWithinWorkers: every index is called once, and
// no more than workers calls run at once.
func TestEachCallsEveryIndexOnceWithinWorkers(t *testing.T) {
	var mu sync.Mutex
	seen := map[int]int{}
	var running, most atomic.Int32
	Each(context.Background(), 50, 3, func(i int) {
		n := running.Add(1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		mu.Lock()
		seen[i]++
		mu.Unlock()
		running.Add(-1)
	})
	if len(seen) != 50 || most.Load() > 3 {
		t.Errorf("%d indexes called, at most %d at once; want 50, at most 3", len(seen), most.Load())
	}
	for i, n := range seen {
		if n != 1 {
			t.Errorf("index %d called %d times", i, n)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	calls := 0
	Each(ctx, 1000, 1, func(int) { calls++ })
	if calls > 1 {
		t.Errorf("after ctx ended, %d calls started", calls)
	}
}
