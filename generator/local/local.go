// Package local runs a plan on this machine: a pool of workers, each running
// a partition with exactly the argv a workflow pod runs (transfer.Command),
// retrying a failed partition with exponential backoff, writing a status file
// per attempt and the tool's output to logs/part.<N>.log.
package local

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/partsync/partsync/generator/finish"
	"github.com/partsync/partsync/generator/partition"
	"github.com/partsync/partsync/generator/plan"
	"github.com/partsync/partsync/generator/transfer"
	"github.com/partsync/partsync/generator/verify"
)

// ErrPartitionsFailed is wrapped when a partition still failed after its retries.
var ErrPartitionsFailed = errors.New("partitions failed")

// Options tune the worker pool.
type Options struct {
	Jobs       int           // partitions at once (-n)
	Retries    int           // further attempts after a failure
	Backoff    time.Duration // delay before the first retry; doubled for each further one
	MaxBackoff time.Duration // cap of the delay; 0 means 30 minutes
	// Env is added to the environment of the tool (RCLONE_CONFIG=…).
	Env []string
	// Only, when not nil, limits the run to these partitions (resume).
	Only []int
	// Events receives progress; nil discards it. Called from several goroutines.
	Events Events
	// Locked says the caller holds the run directory's lock (plan.Lock)
	// for the whole execution; otherwise Execute takes it.
	Locked bool
	// Verify, when true, compares DST with the run once every partition
	// and the directory step have succeeded (package finish), Jobs at once
	// with Env; Checksum compares content.
	Verify, Checksum bool
}

// Events hears about the run. Implementations must be safe for concurrent use.
type Events interface {
	// Started is called once with the work ahead.
	Started(partitions int, files, bytes int64)
	// Attempted is called after every attempt; final is true when the
	// partition will not be tried again.
	Attempted(st *plan.Status, final bool)
}

// Failure is a partition that failed after all its attempts.
type Failure struct {
	Part     int    `json:"part"`
	ExitCode int    `json:"exit_code"`
	Attempts int    `json:"attempts"`
	Error    string `json:"error"`
	Log      string `json:"log"`
}

// Summary is the outcome of a local run.
type Summary struct {
	RunID      string `json:"run_id"`
	Partitions int    `json:"partitions"`
	OK         int    `json:"ok"`
	Failed     int    `json:"failed"`
	// UpToDate counts the partitions found up to date at the destination,
	// for which the tool did not run (among OK).
	UpToDate      int   `json:"up_to_date"`
	UpToDateBytes int64 `json:"up_to_date_bytes"` // their bytes (in Bytes)
	Files         int64 `json:"files"`            // regular files in the partitions that succeeded
	Bytes         int64 `json:"bytes"`
	// Sent is what the tool reported it transferred, summed over the
	// partitions that succeeded (a re-run sends only what changed).
	Sent     plan.Sent     `json:"sent"`
	Elapsed  time.Duration `json:"elapsed_ns"`
	Failures []Failure     `json:"failures"`
	// The steps after the partitions (package finish): the recheck, the
	// directory step and the verification.
	finish.Result
}

// Execute runs the partitions of p and returns the summary. The error wraps
// ErrPartitionsFailed when any partition failed after its retries; the other
// partitions still ran.
func Execute(ctx context.Context, p *plan.Plan, o Options) (Summary, error) {
	o, err := o.withDefaults()
	if err != nil {
		return Summary{}, err
	}
	if !o.Locked { // no second executor on this run at once
		unlock, err := plan.Lock(p.Dir())
		if err != nil {
			return Summary{}, err
		}
		defer unlock()
	}
	todo := o.Only
	if todo == nil {
		todo = make([]int, p.Count())
		for i := range todo {
			todo[i] = i
		}
	}
	var files, bytes int64
	for _, i := range todo {
		files += p.Partitions[i].Files
		bytes += p.Partitions[i].Bytes
	}
	o.Events.Started(len(todo), files, bytes)

	start := time.Now()
	queue := make(chan job)
	go func() {
		defer close(queue)
		for _, i := range todo {
			select {
			case queue <- job{p, i}:
			case <-ctx.Done():
				return
			}
		}
	}()
	sum, infraErrs := runPool(ctx, queue, min(o.Jobs, max(len(todo), 1)), o)
	sum.RunID, sum.Partitions, sum.Elapsed = p.RunID, len(todo), time.Since(start)
	err = finishRun(ctx, p, o, &sum, outcome(ctx, sum, infraErrs))
	return sum, err
}

// withDefaults checks o and fills in its defaults.
func (o Options) withDefaults() (Options, error) {
	if err := partition.CheckJobs(o.Jobs); err != nil {
		return o, err
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 30 * time.Minute
	}
	if o.Events == nil {
		o.Events = nopEvents{}
	}
	return o, nil
}

// job is one partition to run: its index, and a plan that holds it.
type job struct {
	p *plan.Plan
	i int
}

// runPool runs the jobs of queue with the given number of workers until the
// queue is closed, and sums up their results. It returns the errors that are
// not the tool's own failures (a status file that could not be written).
func runPool(ctx context.Context, queue <-chan job, workers int, o Options) (Summary, []error) {
	results := make(chan result)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range queue {
				r := runPart(ctx, j.p, j.i, o)
				r.failure = failureOf(j.p, r)
				results <- r
			}
		}()
	}
	go func() { wg.Wait(); close(results) }()

	sum := Summary{Failures: []Failure{}}
	var infraErrs []error
	for r := range results {
		switch {
		case r.err != nil && !errors.Is(r.err, transfer.ErrTransfer):
			infraErrs = append(infraErrs, r.err)
			fallthrough
		case r.status == nil || !r.status.OK:
			sum.Failed++
			sum.Failures = append(sum.Failures, r.failure)
		default:
			sum.OK++
			if r.status.UpToDate {
				sum.UpToDate++
				sum.UpToDateBytes += r.status.Bytes
			}
			sum.Files += r.status.Files
			sum.Bytes += r.status.Bytes
			if r.status.Sent != nil {
				sum.Sent.Files += r.status.Sent.Files
				sum.Sent.Bytes += r.status.Sent.Bytes
			}
		}
	}
	sort.Slice(sum.Failures, func(a, b int) bool { return sum.Failures[a].Part < sum.Failures[b].Part })
	return sum, infraErrs
}

// outcome is the error of a run that ended with sum.
func outcome(ctx context.Context, sum Summary, infraErrs []error) error {
	if err := errors.Join(infraErrs...); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("run %s interrupted: %w", sum.RunID, err)
	}
	if sum.Failed > 0 {
		return fmt.Errorf("%w: %d of %d partitions of run %s", ErrPartitionsFailed, sum.Failed, sum.Partitions, sum.RunID)
	}
	return nil
}

// finishRun ends a run whose pool ended with err: unless it was interrupted or
// broken, the steps after the partitions run (package finish; they run only
// when every partition of the run has succeeded, and otherwise say why not
// in sum.Dirs).
func finishRun(ctx context.Context, p *plan.Plan, o Options, sum *Summary, err error) error {
	if err != nil && !errors.Is(err, ErrPartitionsFailed) {
		return err
	}
	start := time.Now()
	fo := finish.Options{
		Jobs: o.Jobs, Env: o.Env,
		Attempt: func(ctx context.Context, part int, argv []string) (*plan.Status, error) {
			return attempts(ctx, p, part, argv, o, nil)
		},
	}
	if o.Verify {
		fo.Verify = &verify.Options{Jobs: o.Jobs, Checksum: o.Checksum, Env: o.Env}
	}
	res, ferr := finish.Run(ctx, p, fo)
	sum.Elapsed += time.Since(start)
	if res.Dirs.Ran {
		res.Dirs.Log = p.Dir().LogFile(plan.DirsPart)
	}
	sum.Result = res
	if err == nil && !errors.Is(ferr, transfer.ErrDirsNotReady) {
		err = ferr
	}
	return err
}

type result struct {
	part    int
	status  *plan.Status
	err     error
	failure Failure // when the partition failed
}

// runPart runs partition i with its retries.
func runPart(ctx context.Context, p *plan.Plan, i int, o Options) result {
	argv, err := transfer.Command(p, strconv.Itoa(i))
	if err != nil {
		return result{part: i, err: err}
	}
	st, err := attempts(ctx, p, i, argv, o, o.Events.Attempted)
	return result{part: i, status: st, err: err}
}

// attempts runs argv, the tool step of part (a partition, or
// plan.DirsPart), until it succeeds or its retries are used up: the one
// retry loop of a local run. The tool's output goes to the part's log;
// attempted, when not nil, hears every attempt, final when it is the last.
// The status returned is the last attempt's, with Seconds those of every
// attempt.
func attempts(ctx context.Context, p *plan.Plan, part int, argv []string, o Options, attempted func(st *plan.Status, final bool)) (*plan.Status, error) {
	name := stepName(part)
	logFile, err := os.OpenFile(p.Dir().LogFile(part), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("%s: open log: %w", name, err)
	}
	defer func() { _ = logFile.Close() }()
	var st *plan.Status
	var seconds float64
	for attempt := 0; attempt <= o.Retries; attempt++ {
		if attempt > 0 && !sleep(ctx, backoff(o, attempt)) {
			break
		}
		_, _ = fmt.Fprintf(logFile, "# partsync: %s attempt %d: %q\n", name, attempt+1, argv)
		st, err = transfer.Run(ctx, p, transfer.Spec{Dir: p.Dir(), Part: part, Attempt: attempt, Argv: argv, Env: o.Env, Executor: "local", Output: logFile})
		final := err == nil || !errors.Is(err, transfer.ErrTransfer) || attempt == o.Retries || ctx.Err() != nil
		if st != nil {
			seconds += st.Seconds
			if attempted != nil {
				attempted(st, final)
			}
		}
		if final {
			break
		}
	}
	if st != nil {
		last := *st
		last.Seconds = seconds
		st = &last
	}
	return st, err
}

// stepName names part in logs and errors.
func stepName(part int) string {
	if part == plan.DirsPart {
		return "directory step"
	}
	return fmt.Sprintf("part %d", part)
}

// backoff is the delay before attempt (1-based retries): Backoff, 2×, 4×, … capped.
func backoff(o Options, attempt int) time.Duration {
	d := o.Backoff
	for range attempt - 1 {
		d *= 2
		if d >= o.MaxBackoff {
			return o.MaxBackoff
		}
	}
	return d
}

// sleep waits d or until ctx ends; it reports whether the wait was complete.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func failureOf(p *plan.Plan, r result) Failure {
	f := Failure{Part: r.part, ExitCode: -1, Log: p.Dir().LogFile(r.part)}
	if r.status != nil {
		f.ExitCode, f.Attempts, f.Error = r.status.ExitCode, r.status.Attempts, r.status.Error
	}
	if f.Error == "" && r.err != nil {
		f.Error = r.err.Error()
	}
	return f
}

type nopEvents struct{}

func (nopEvents) Started(int, int64, int64)    {}
func (nopEvents) Attempted(*plan.Status, bool) {}
