package local

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/partsync/partsync/generator/plan"
	"github.com/partsync/partsync/generator/recheck"
	"github.com/partsync/partsync/generator/transfer"
)

// DirsStep is the outcome of the directory step of a local run: after every
// partition of the run has succeeded, the tool re-applies each directory's
// metadata (mode, mtime, and owners, ACLs or xattrs when the tool options
// keep them), which the partitions running at once left in any order.
type DirsStep struct {
	Ran      bool    `json:"ran"`
	OK       bool    `json:"ok"`
	ExitCode int     `json:"exit_code"`
	Attempts int     `json:"attempts"`
	Seconds  float64 `json:"seconds"`
	Error    string  `json:"error,omitempty"`
	Log      string  `json:"log,omitempty"`
	// Reason says why the step did not run: the tool has no directories
	// (rclone), the tree has none below SRC, or a partition has not succeeded.
	Reason string `json:"reason,omitempty"`
	// Pending is true when the step has work but did not run because a
	// partition has not succeeded: the directories' metadata is not restored.
	Pending bool `json:"pending,omitempty"`
}

// finishDirs runs the directory step when transfer.DirsReady says it may
// (every partition of the run has succeeded), with the partitions' retries
// and backoff. Its status is status/dirs.json, its output logs/dirs.log. The
// error wraps transfer.ErrTransfer when the tool failed after its retries.
func finishDirs(ctx context.Context, p *plan.Plan, o Options, sum *Summary) error {
	start := time.Now()
	defer func() { sum.Elapsed += time.Since(start) }()
	step := &DirsStep{}
	sum.Dirs = step
	argv, reason, err := transfer.DirsReady(p)
	switch {
	case errors.Is(err, transfer.ErrDirsNotReady):
		step.Reason, step.Pending = err.Error(), true
		return nil
	case err != nil:
		return err
	}
	// Every partition has succeeded: name what the scan did not see.
	if sum.Recheck, sum.RecheckSkipped, err = recheck.Check(ctx, p, 0); err != nil {
		return err
	}
	if argv == nil {
		step.Reason = reason
		return nil
	}
	step.Ran, step.Log = true, p.Dir().LogFile(plan.DirsPart)
	logFile, err := os.OpenFile(step.Log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("directory step: open log: %w", err)
	}
	defer func() { _ = logFile.Close() }()
	for attempt := 0; attempt <= o.Retries; attempt++ {
		if attempt > 0 && !sleep(ctx, backoff(o, attempt)) {
			break
		}
		_, _ = fmt.Fprintf(logFile, "# partsync: directory step attempt %d: %q\n", attempt+1, argv)
		var st *plan.Status
		st, err = transfer.Run(ctx, p, transfer.Spec{Dir: p.Dir(), Part: plan.DirsPart, Attempt: attempt, Argv: argv, Env: o.Env, Executor: "local", Output: logFile})
		if st != nil {
			step.OK, step.ExitCode, step.Attempts, step.Error = st.OK, st.ExitCode, st.Attempts, st.Error
			step.Seconds += st.Seconds
		}
		if err == nil || !errors.Is(err, transfer.ErrTransfer) || ctx.Err() != nil {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("directory step of run %s: %w", p.RunID, err)
	}
	return nil
}
