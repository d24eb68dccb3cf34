package scan

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// TestCancelDuringVisit cancels from inside visit: no callback may follow,
// the error wraps context.Canceled, and every goroutine is gone.
func TestCancelDuringVisit(t *testing.T) {
	root := t.TempDir()
	buildGenerated(t, root, 3)
	for _, workers := range []int{1, 16} {
		checkNoLeak(t)
		ctx, cancel := context.WithCancel(context.Background())
		calls, afterCancel := 0, 0
		_, err := Walk(ctx, root, Options{Workers: workers},
			func(Entry) error {
				calls++
				if ctx.Err() != nil {
					afterCancel++
				}
				if calls == 100 {
					cancel()
				}
				return nil
			},
			func(Skip) error { return nil })
		cancel()
		if !errors.Is(err, context.Canceled) {
			t.Errorf("workers=%d: err = %v, want context.Canceled", workers, err)
		}
		if calls != 100 || afterCancel != 0 {
			t.Errorf("workers=%d: %d calls, %d after the cancel; want 100 and 0", workers, calls, afterCancel)
		}
	}
}

// TestCancelWhileReading cancels while the walk waits on directories that
// take long to read (as on a hung NFS server that answers when asked to stop):
// Walk returns promptly, after its workers.
func TestCancelWhileReading(t *testing.T) {
	checkNoLeak(t)
	root := t.TempDir()
	buildGenerated(t, root, 4)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var blocked atomic.Int32
	started := make(chan struct{}, 64)
	faults := &faultFS{onOpen: func(rel string) error {
		if rel == "" {
			return nil
		}
		blocked.Add(1)
		started <- struct{}{}
		<-ctx.Done() // every directory below the root hangs until the cancel
		return ctx.Err()
	}}
	done := make(chan error, 1)
	go func() {
		_, err := walk(ctx, root, Options{Workers: 4}, faults.opener(),
			func(Entry) error { return nil }, func(Skip) error { return nil })
		done <- err
	}()
	<-started
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Walk did not return within 5s of the cancel")
	}
	if n := blocked.Load(); n > 4 {
		t.Errorf("%d directory reads started, more than the 4 workers", n)
	}
}

// TestCancelledBeforeStart checks that a cancelled context stops the walk
// before anything is read.
func TestCancelledBeforeStart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	faults := &faultFS{}
	_, err := walk(ctx, t.TempDir(), Options{}, faults.opener(),
		func(Entry) error { t.Error("visit called"); return nil },
		func(Skip) error { t.Error("skip called"); return nil })
	if !errors.Is(err, context.Canceled) || len(faults.openedDirs()) != 0 {
		t.Errorf("err = %v, opened %q; want context.Canceled and nothing opened", err, faults.openedDirs())
	}
}
