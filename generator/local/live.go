package local

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/partsync/partsync/generator/plan"
	"github.com/partsync/partsync/generator/plural"
)

// ErrScanFailed is the cause with which a live run stops its transfers when
// the scan that feeds it failed.
var ErrScanFailed = errors.New("the scan failed")

// LiveEvents is implemented by Events that follow a live run, whose work is
// not known when it starts: Started is called with zeros, then Queued for
// each partition the scan closes, then Scanned once with the totals.
type LiveEvents interface {
	Events
	// Queued is called when the scan closed partition part.
	Queued(part int, files, bytes int64)
	// Scanned is called when the scan ended and the work is known.
	Scanned(partitions int, files, bytes int64)
}

// Live runs the partitions of a run while the scan is still closing them
// (prepare.Sink). Begin starts the worker pool, Partition queues a partition
// without ever waiting for a transfer, End closes the queue (or, when the
// scan failed, stops every transfer), and Wait returns the summary.
//
// A transfer reads only the plan's header and its own partition, both
// known before plan.json exists: each job gets a copy of the header whose
// Partitions end with its own, so that transfer.Run and the status file are
// those of a run from a finished plan.
type Live struct {
	parent context.Context
	o      Options

	ctx    context.Context
	cancel context.CancelCauseFunc
	start  time.Time
	hdr    plan.Plan
	done   chan struct{} // closed when the pool has ended
	unlock func()        // releases the run directory's lock (plan.Lock)
	sum    Summary
	err    error

	mu      sync.Mutex
	parts   []plan.Partition // every partition closed so far
	pending []job            // queued, not yet handed to a worker
	ended   bool             // no more partitions will come
	final   *plan.Plan       // the plan, once the scan ended well (End)
	wake    chan struct{}    // a partition was queued or the scan ended
}

// NewLive returns a live executor for one run; nothing starts before Begin.
// Options.Only is refused: a live run runs every partition.
func NewLive(ctx context.Context, o Options) (*Live, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	if o.Only != nil {
		return nil, errors.New("a live run runs every partition: Options.Only needs a finished plan (Execute)")
	}
	return &Live{parent: ctx, o: o, wake: make(chan struct{}, 1)}, nil
}

// Begin implements prepare.Sink: it starts the worker pool.
func (l *Live) Begin(header *plan.Plan) error {
	if l.done != nil {
		return errors.New("live run: Begin called twice")
	}
	unlock, err := plan.Lock(header.Dir()) // released by Wait
	if err != nil {
		return err
	}
	l.unlock = unlock
	l.hdr = *header
	l.hdr.Partitions = nil
	l.ctx, l.cancel = context.WithCancelCause(l.parent)
	l.start = time.Now()
	l.done = make(chan struct{})
	l.o.Events.Started(0, 0, 0)

	queue := make(chan job)
	go l.feed(queue)
	go func() {
		defer close(l.done)
		sum, infraErrs := runPool(l.ctx, queue, l.o.Jobs, l.o)
		l.mu.Lock()
		sum.Partitions = len(l.parts)
		l.mu.Unlock()
		sum.RunID, sum.Elapsed = l.hdr.RunID, time.Since(l.start)
		l.sum, l.err = sum, outcome(l.ctx, sum, infraErrs)
	}()
	return nil
}

// Partition implements prepare.Sink: it queues partition index.
func (l *Live) Partition(index int, p plan.Partition) error {
	l.mu.Lock()
	if l.done == nil || l.ended || index != len(l.parts) {
		n, ended := len(l.parts), l.ended
		l.mu.Unlock()
		return fmt.Errorf("live run: partition %d out of order (%d queued, ended %t)", index, n, ended)
	}
	l.parts = append(l.parts, p)
	view := l.hdr
	// Capped: a later append never writes what this view reads.
	view.Partitions = l.parts[: index+1 : index+1]
	l.pending = append(l.pending, job{&view, index})
	l.mu.Unlock()
	if ev, ok := l.o.Events.(LiveEvents); ok {
		ev.Queued(index, p.Files, p.Bytes)
	}
	l.signal()
	return nil
}

// End implements prepare.Sink. After a failure it cancels the transfers
// (SIGTERM, as on an interrupt) and returns when every one has stopped.
func (l *Live) End(p *plan.Plan, err error) {
	if l.done == nil {
		return
	}
	l.mu.Lock()
	l.ended = true
	l.mu.Unlock()
	l.signal()
	if err != nil {
		l.cancel(fmt.Errorf("%w: %w", ErrScanFailed, err))
		<-l.done
		return
	}
	l.mu.Lock()
	l.final = p
	l.mu.Unlock()
	if ev, ok := l.o.Events.(LiveEvents); ok && p != nil {
		var files int64
		for _, part := range p.Partitions {
			files += part.Files
		}
		ev.Scanned(p.Count(), files, p.Totals.ListedBytes)
	}
}

// Wait returns the summary when every queued partition ran, as Execute
// does. Call it after prepare.Prepare returned. A run whose scan failed
// reports the partitions that had started; its error wraps ErrScanFailed.
func (l *Live) Wait() (Summary, error) {
	if l.done == nil {
		return Summary{Failures: []Failure{}}, nil
	}
	<-l.done
	defer l.unlock() // after the directory step
	l.cancel(nil)
	if errors.Is(context.Cause(l.ctx), ErrScanFailed) {
		return l.sum, fmt.Errorf("run %s: %w after %s queued; their transfers were stopped", l.sum.RunID, ErrScanFailed, plural.Count(l.sum.Partitions, "partition")+" "+plural.Form(l.sum.Partitions, "was", "were"))
	}
	l.mu.Lock()
	final := l.final
	l.mu.Unlock()
	if final == nil {
		return l.sum, l.err
	}
	err := finishRun(l.parent, final, l.o, &l.sum, l.err)
	return l.sum, err
}

// signal wakes the feeder without waiting.
func (l *Live) signal() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// feed hands the queued partitions to the workers in order and closes the
// queue when the scan ended and nothing is left, or when the run is cancelled.
func (l *Live) feed(queue chan<- job) {
	defer close(queue)
	for {
		l.mu.Lock()
		batch, ended := l.pending, l.ended
		l.pending = nil
		l.mu.Unlock()
		for _, j := range batch {
			select {
			case queue <- j:
			case <-l.ctx.Done():
				return
			}
		}
		if ended && len(batch) == 0 {
			return
		}
		if len(batch) == 0 {
			select {
			case <-l.wake:
			case <-l.ctx.Done():
				return
			}
		}
	}
}
