package transfer

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/partsync/partsync/generator/plan"
)

// progressEvery is how often at most the progress file is rewritten while
// the tool runs: Argo's executor reads it every 3 s by default
// (ARGO_PROGRESS_FILE_TICK_DURATION) and reports it every minute
// (ARGO_PROGRESS_PATCH_TICK_DURATION).
const progressEvery = time.Second

// progressFile is Argo's self-reported progress of a pod: the file named
// by ARGO_PROGRESS_FILE, whose last line "N/M" the executor reads while the
// container runs (https://argo-workflows.readthedocs.io/en/latest/progress/).
// It holds the partition's files done and files, one line, replaced whole
// so that the executor never reads half a line. The
// controller adds up the pods' progress for the workflow.
type progressFile struct {
	path  string
	total int64
	log   io.Writer // told once when the file cannot be written

	mu      sync.Mutex
	done    int64       // the last count reported
	written time.Time   // when the file was last written
	pending *time.Timer // writes a count held back by progressEvery
	failed  bool
}

// newProgressFile returns nil, a reporter that does nothing, when there is
// no file to write or no file to count.
func newProgressFile(path string, total int64, log io.Writer) *progressFile {
	if path == "" || total <= 0 {
		return nil
	}
	return &progressFile{path: path, total: total, log: log, done: -1}
}

// report records done, writing it when a second has passed since the last write.
func (f *progressFile) report(done int64) {
	if f == nil {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if done == f.done {
		return
	}
	f.done = done
	wait := progressEvery - time.Since(f.written)
	switch {
	case wait <= 0:
		f.writeLocked()
	case f.pending == nil:
		f.pending = time.AfterFunc(wait, func() {
			f.mu.Lock()
			defer f.mu.Unlock()
			if f.pending != nil {
				f.pending = nil
				f.writeLocked()
			}
		})
	}
}

// finish writes the final count: every file when the tool succeeded, the
// last one reported otherwise.
func (f *progressFile) finish(ok bool) {
	if f == nil {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.pending != nil {
		f.pending.Stop()
		f.pending = nil
	}
	if ok {
		f.done = f.total
	}
	f.done = max(f.done, 0)
	f.writeLocked()
}

func (f *progressFile) writeLocked() {
	f.written = time.Now()
	// Atomic and 0644: Argo's wait container, another user, reads it whole.
	if err := plan.WriteFileAtomic(f.path, fmt.Appendf(nil, "%d/%d\n", f.done, f.total)); err != nil && !f.failed {
		err = fmt.Errorf("progress file: %w", err)
		f.failed = true
		_, _ = fmt.Fprintf(f.log, "# partsync: progress for Argo not reported: %v\n", err)
	}
}
