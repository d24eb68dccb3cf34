// Package fanout runs one function over the partitions of a run, a number
// of them at once: the local form of the workflow's fan-out, for the steps
// that compare or preview partitions (dry run, verify).
package fanout

import (
	"context"
	"sync"
)

// Each calls f(i) for every i in [0, n), at most workers at once, and
// returns when all calls have returned. Once ctx ends no further call
// starts; the caller checks ctx.Err().
func Each(ctx context.Context, n, workers int, f func(i int)) {
	queue := make(chan int)
	go func() {
		defer close(queue)
		for i := range n {
			select {
			case queue <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for range min(max(workers, 1), max(n, 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range queue {
				f(i)
			}
		}()
	}
	wg.Wait()
}
