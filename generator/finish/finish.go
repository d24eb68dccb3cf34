// Package finish is the one home of the steps after a run's partitions,
// shared by the local executor (`partsync run`, package local) and the
// workflow's step after the fan-out (`partsync dirs` in a pod). Once every
// partition has succeeded (transfer.DirsReady) it walks the source again for
// the entries the scan did not see (package recheck), deletes at DST what
// the source does not have when the run is a mirror (plan.Delete, package
// mirror), then re-applies the directories' metadata with the tool
// (transfer.DirsCommand): after the deletions, which change the mtimes of
// the directories they delete in. With Options.Verify it then compares DST
// with the run (package verify). A step added
// after the partitions (verify, delete) is added to Run and to Result, and
// both executors run it and report it.
package finish

import (
	"context"
	"errors"
	"fmt"

	"github.com/partsync/partsync/generator/mirror"
	"github.com/partsync/partsync/generator/plan"
	"github.com/partsync/partsync/generator/recheck"
	"github.com/partsync/partsync/generator/transfer"
	"github.com/partsync/partsync/generator/verify"
)

// Attempt runs a tool step after the partitions: argv, recorded as part
// (plan.DirsPart) in the status files. The local executor retries it with
// the partitions' backoff (its one retry loop); a workflow pod makes one
// attempt, and Argo retries the pod. The status returned is the last
// attempt's, with Seconds those of every attempt. The error wraps
// transfer.ErrTransfer when the tool failed.
type Attempt func(ctx context.Context, part int, argv []string) (*plan.Status, error)

// Options are what the executor hands to the steps.
type Options struct {
	// Attempt runs the tool steps; it must not be nil.
	Attempt Attempt
	// ScanWorkers is the number of directories the recheck reads at once
	// (0: the scan's default).
	ScanWorkers int
	// Rechecked, when not nil, hears the recheck's outcome before the
	// directory step starts (a pod reports it in that order).
	Rechecked func(r *plan.Recheck, skipped string)
	// Verify, when not nil, compares DST with the run after the directory
	// step (verify.Run, -n at once), writing verify.json. A workflow runs
	// the same comparison as a fan-out of its own (verify.Part, one pod per
	// partition, and verify.Collect), so its dirs pod leaves this nil.
	Verify *verify.Options
	// Jobs is the number of the delete pass's partitions deleted at once
	// (-n; 0: 1), and Env is added to its rclone's environment
	// (RCLONE_CONFIG=…).
	Jobs int
	Env  []string
}

// Result is what the steps after the partitions did. It is part of a local
// run's summary (local.Summary embeds it).
type Result struct {
	Dirs *DirsStep `json:"dirs,omitempty"` // the directory step
	// Recheck names the entries added to the source after the scan, found
	// by walking it again once every partition has succeeded; nil when it
	// did not run, and then RecheckSkipped may say why.
	Recheck        *plan.Recheck `json:"recheck,omitempty"`
	RecheckSkipped string        `json:"recheck_skipped,omitempty"`
	// Verify is DST compared with the run (verify.json); nil when it did
	// not run.
	Verify *plan.Verify `json:"verify,omitempty"`
	// Delete is the mirror's delete pass (plan.Delete runs only), also in
	// delete.json; nil when the run is not a mirror.
	Delete *plan.Deletion `json:"delete,omitempty"`
}

// DirsStep is the outcome of the directory step: after every partition of
// the run has succeeded, the tool re-applies each directory's metadata
// (mode, mtime, and owners, ACLs or xattrs when the tool options keep them),
// which the partitions running at once left in any order.
type DirsStep struct {
	Ran      bool    `json:"ran"`
	OK       bool    `json:"ok"`
	ExitCode int     `json:"exit_code"`
	Attempts int     `json:"attempts"`
	Seconds  float64 `json:"seconds"`
	Error    string  `json:"error,omitempty"`
	Log      string  `json:"log,omitempty"` // set by the executor that keeps one
	// Reason says why the step did not run: the tool has no directories
	// (rclone), the tree has none below SRC, or a partition has not succeeded.
	Reason string `json:"reason,omitempty"`
	// Pending is true when the step has work but did not run because a
	// partition has not succeeded: the directories' metadata is not restored.
	Pending bool `json:"pending,omitempty"`
}

// Run runs the steps after the partitions of p. Before every partition has
// succeeded it runs none: Result.Dirs is then Pending, with the reason, and
// the error wraps transfer.ErrDirsNotReady (a local run that had failed
// partitions reports it; the pod fails). The error wraps
// transfer.ErrTransfer when the tool failed after its attempts, and
// verify.ErrMismatch when DST differs from the run.
func Run(ctx context.Context, p *plan.Plan, o Options) (Result, error) {
	res := Result{Dirs: &DirsStep{}}
	argv, reason, err := transfer.DirsReady(p)
	switch {
	case errors.Is(err, transfer.ErrDirsNotReady):
		res.Dirs.Reason, res.Dirs.Pending = err.Error(), true
		if p.Delete { // refused, and recorded as such
			res.Delete, _ = mirror.Run(ctx, p, o.mirror())
		}
		return res, err
	case err != nil:
		return res, err
	}
	// Every partition has succeeded: name what the scan did not see.
	if res.Recheck, res.RecheckSkipped, err = recheck.Check(ctx, p, o.ScanWorkers); err != nil {
		return res, err
	}
	if o.Rechecked != nil {
		o.Rechecked(res.Recheck, res.RecheckSkipped)
	}
	// The mirror's deletions, before the directory step restores the
	// mtimes they change; a refusal or failure does not stop that step.
	var delErr error
	if p.Delete {
		mo := o.mirror()
		if o.Verify != nil { // one listing of DST serves both
			mo.Left = func(extras []string) {
				v := *o.Verify
				v.Extras = extras
				o.Verify = &v
			}
		}
		res.Delete, delErr = mirror.Run(ctx, p, mo)
		if res.Delete == nil {
			return res, delErr
		}
	}
	if argv == nil {
		res.Dirs.Reason = reason
		return res, errors.Join(delErr, runVerify(ctx, p, o, &res))
	}
	res.Dirs.Ran = true
	st, err := o.Attempt(ctx, plan.DirsPart, argv)
	if st != nil {
		d := res.Dirs
		d.OK, d.ExitCode, d.Attempts, d.Error, d.Seconds = st.OK, st.ExitCode, st.Attempts, st.Error, st.Seconds
	}
	if err != nil {
		return res, errors.Join(delErr, fmt.Errorf("directory step of run %s: %w", p.RunID, err))
	}
	return res, errors.Join(delErr, runVerify(ctx, p, o, &res))
}

// mirror are the options of the delete pass.
func (o Options) mirror() mirror.Options {
	return mirror.Options{Jobs: o.Jobs, Workers: o.ScanWorkers, Env: o.Env}
}

// runVerify compares DST with the run when o asks for it: after the
// directory step, whose directory mtimes rsync compares too.
func runVerify(ctx context.Context, p *plan.Plan, o Options, res *Result) error {
	if o.Verify == nil {
		return nil
	}
	var err error
	res.Verify, err = verify.Run(ctx, p, *o.Verify)
	return err
}
