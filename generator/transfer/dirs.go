package transfer

import (
	"errors"
	"fmt"
	"os"

	"github.com/partsync/partsync/generator/plan"
	"github.com/partsync/partsync/generator/tool"
)

// DirsCommand is the argv of the directory step, which runs once after
// every partition has succeeded and re-applies the metadata of every
// directory (plan.Dir.DirsFile) from the source. It is nil when the plan's
// tool has no directory step (rclone: object storage has no directories).
// Like Command, it is the one function that builds the argv for the
// workflow's pod and for the local executor.
func DirsCommand(p *plan.Plan) ([]string, error) {
	t, err := tool.Lookup(p.Tool)
	if err != nil {
		return nil, err
	}
	f, ok := t.(tool.DirFinisher)
	if !ok {
		return nil, nil
	}
	return f.DirsArgv(job(p, p.Dir().DirsFile())), nil
}

// ErrDirsNotReady is wrapped when the directory step is asked to run before
// every partition of the run has succeeded.
var ErrDirsNotReady = errors.New("partitions not all succeeded")

// DirsReady says whether the step after the partitions may run: every
// partition of the run has succeeded (by the status files, so a run finished
// by a resume qualifies); otherwise the error wraps ErrDirsNotReady. The
// step then always runs the recheck (package recheck), and the tool's
// directory step when argv is not nil; when it is nil, reason says why
// there is no directory to restore.
func DirsReady(p *plan.Plan) (argv []string, reason string, err error) {
	pr, err := plan.ReadProgress(p.Dir(), p.Count())
	if err != nil {
		return nil, "", err
	}
	if n := p.Count() - len(pr.Succeeded); n > 0 {
		return nil, "", fmt.Errorf("%w: %d of %d partitions of run %s (failed %v, no status %v); the directory step runs after all of them", ErrDirsNotReady, n, p.Count(), p.RunID, pr.Failed, pr.Missing)
	}
	argv, err = DirsCommand(p)
	switch {
	case err != nil:
		return nil, "", err
	case argv == nil:
		return nil, p.Tool + " keeps no directories: nothing to restore", nil
	}
	if _, err := os.Stat(p.Dir().DirsFile()); errors.Is(err, os.ErrNotExist) {
		return nil, "no directory below the source: nothing to restore", nil
	}
	return argv, "", nil
}
