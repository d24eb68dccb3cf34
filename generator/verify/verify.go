// Package verify compares DST with a finished run's partitions, per
// partition and -n at once, with the tool itself (tool.VerifyArgv): size and
// mtime by default, content with Checksum. It writes verify.json naming every
// entry missing at DST or differing.
package verify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/partsync/partsync/generator/fanout"
	"github.com/partsync/partsync/generator/plan"
	"github.com/partsync/partsync/generator/tool"
)

// ErrMismatch is wrapped when DST differs from the run.
var ErrMismatch = errors.New("destination differs from the run")

// Options tune a verification.
type Options struct {
	Jobs     int      // partitions compared at once
	Checksum bool     // compare content
	Env      []string // added to the tool's environment (RCLONE_CONFIG=…)
}

// Run compares every partition of p with DST and writes verify.json. The
// error wraps ErrMismatch when an entry is missing or differs, or a
// partition's comparison failed.
func Run(ctx context.Context, p *plan.Plan, o Options) (*plan.Verify, error) {
	if o.Jobs < 1 {
		return nil, fmt.Errorf("-n/--jobs %d: give at least 1", o.Jobs)
	}
	scratch, err := os.MkdirTemp(string(p.Dir()), ".verify-")
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	defer func() { _ = os.RemoveAll(scratch) }()
	v := &plan.Verify{RunID: p.RunID, Checksum: o.Checksum, Missing: []string{}, Differing: []string{}, Failed: []plan.VerifyFailure{}}
	var mu sync.Mutex
	fanout.Each(ctx, p.Count(), o.Jobs, func(i int) {
		missing, differing, fail := part(ctx, p, i, o, scratch)
		mu.Lock()
		defer mu.Unlock()
		v.Checked += p.Partitions[i].Entries
		v.Missing = append(v.Missing, missing...)
		v.Differing = append(v.Differing, differing...)
		if fail != nil {
			v.Failed = append(v.Failed, *fail)
		}
	})
	if err := ctx.Err(); err != nil {
		return v, fmt.Errorf("verify %s interrupted: %w", p.RunID, err)
	}
	slices.Sort(v.Missing) // a directory listed in two partitions is named once
	v.Missing = slices.Compact(v.Missing)
	slices.Sort(v.Differing)
	v.Differing = slices.Compact(v.Differing)
	slices.SortFunc(v.Failed, func(a, b plan.VerifyFailure) int { return a.Part - b.Part })
	v.Finished = plan.Stamp(time.Now())
	if err := plan.SaveVerify(p.Dir(), v); err != nil {
		return v, err
	}
	if n := len(v.Missing) + len(v.Differing) + len(v.Failed); n > 0 {
		return v, fmt.Errorf("%w: run %s: %d missing, %d differing, %d partitions not compared (%s)",
			ErrMismatch, p.RunID, len(v.Missing), len(v.Differing), len(v.Failed), p.Dir().VerifyFile())
	}
	return v, nil
}

// part compares partition i with DST; its output goes to logs/verify.<i>.log.
func part(ctx context.Context, p *plan.Plan, i int, o Options, scratch string) (missing, differing []string, fail *plan.VerifyFailure) {
	index := strconv.Itoa(i)
	j := tool.VerifyJob{
		Job:      tool.Job{Source: p.Source, Destination: p.Destination, PartFile: p.Dir().PartFile(index), Options: p.ToolOptions},
		Checksum: o.Checksum,
		Missing:  filepath.Join(scratch, "missing."+index),
		Differ:   filepath.Join(scratch, "differ."+index),
	}
	argv := tool.VerifyArgv(p.Tool, j)
	logPath := filepath.Join(p.Dir().LogsDir(), "verify."+index+".log")
	log, err := os.Create(logPath)
	if err != nil {
		return nil, nil, &plan.VerifyFailure{Part: i, ExitCode: -1, Error: err.Error()}
	}
	defer func() { _ = log.Close() }()
	_, _ = fmt.Fprintf(log, "# partsync: verify part %d: %q\n", i, argv)
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	if len(o.Env) > 0 {
		cmd.Env = append(os.Environ(), o.Env...)
	}
	cmd.Stdout = io.MultiWriter(log, &stdout)
	cmd.Stderr = io.MultiWriter(log, &stderr)
	runErr := cmd.Run()
	code := 0
	if runErr != nil {
		code = -1
		var ee *exec.ExitError
		if errors.As(runErr, &ee) {
			code = ee.ExitCode()
		}
	}
	// rclone check exits 1 when it found differences: that is its answer.
	if runErr != nil && !(p.Tool == "rclone" && code == 1) {
		msg, _, _ := strings.Cut(strings.TrimSpace(stderr.String()), "\n")
		if msg == "" {
			msg = runErr.Error()
		}
		return nil, nil, &plan.VerifyFailure{Part: i, ExitCode: code, Error: msg + " (log " + logPath + ")"}
	}
	missing, differing, err = tool.VerifyFindings(p.Tool, j, &stdout)
	if err != nil {
		return nil, nil, &plan.VerifyFailure{Part: i, ExitCode: code, Error: err.Error()}
	}
	return missing, differing, nil
}
