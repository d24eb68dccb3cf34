// Package verify compares DST with a finished run's partitions with the tool
// itself (tool.VerifyCommands): size and mtime by default, content with
// Checksum. Part compares one partition and writes verify/<N>.json; Collect
// sums those into verify.json, naming every entry missing at DST or
// differing, and lists DST for the entries the source does not have
// (package extras). Run does both with -n partitions at once (`partsync verify`,
// `run --verify` through package finish); a workflow runs Part in one pod
// per partition and Collect in the step after them.
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

	"github.com/partsync/partsync/generator/extras"
	"github.com/partsync/partsync/generator/fanout"
	"github.com/partsync/partsync/generator/plan"
	"github.com/partsync/partsync/generator/tool"
)

// ErrMismatch is wrapped when DST differs from the run.
var ErrMismatch = errors.New("destination differs from the run")

// Options tune a verification.
type Options struct {
	Jobs     int      // partitions compared at once (Run)
	Checksum bool     // compare content
	Env      []string // added to the tool's environment (RCLONE_CONFIG=…)
	// Workers is the number of directories of a local DST read at once
	// when it is listed for extras (0: the scan's default).
	Workers int
	// Extras, when not nil, are DST's extra entries as the mirror's delete
	// pass just before left them (its listing minus what it deleted):
	// Collect takes them instead of listing DST a second time.
	Extras []string
	// Output, when not nil, receives the tool's output (a pod's stderr);
	// otherwise it goes to logs/verify.<N>.log in the run directory.
	Output io.Writer
}

// Run compares every partition of p with DST, -n at once, and writes
// verify.json (Collect). The error wraps ErrMismatch when an entry is
// missing or differs, or a partition's comparison failed.
func Run(ctx context.Context, p *plan.Plan, o Options) (*plan.Verify, error) {
	if o.Jobs < 1 {
		return nil, fmt.Errorf("-n/--jobs %d: give at least 1", o.Jobs)
	}
	var mu sync.Mutex
	var errs []error
	fanout.Each(ctx, p.Count(), o.Jobs, func(i int) {
		if _, err := Part(ctx, p, i, o); err != nil {
			mu.Lock()
			errs = append(errs, err)
			mu.Unlock()
		}
	})
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("verify %s interrupted: %w", p.RunID, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return Collect(ctx, p, o)
}

// Part compares partition i of p with DST and writes verify/<i>.json. A
// comparison that could not run is recorded there as the partition's
// Failure; the error is only for a record that could not be written.
func Part(ctx context.Context, p *plan.Plan, i int, o Options) (*plan.VerifyPart, error) {
	if i < 0 || i >= p.Count() {
		return nil, fmt.Errorf("verify: part %d: run %s has partitions 0 to %d", i, p.RunID, p.Count()-1)
	}
	v := &plan.VerifyPart{Part: i, Checksum: o.Checksum, Checked: p.Partitions[i].Entries}
	index := strconv.Itoa(i)
	missing, differing, fail := compare(ctx, p, i, index, p.Dir().PartFile(index), o)
	v.Missing, v.Differing, v.Failure = nonNil(missing), nonNil(differing), fail
	if err := plan.SaveVerifyPart(p.Dir(), v); err != nil {
		return v, fmt.Errorf("verify of part %d: %w", i, err)
	}
	return v, nil
}

// Collect sums the verify/<N>.json of every partition of p into
// verify.json, with the extra entries at DST (extras.List). A partition
// without its record, or compared in the other mode (o.Checksum), counts
// as not compared. The error wraps ErrMismatch when an entry is missing,
// differs or is extra, a partition was not compared, or DST could not be
// listed.
func Collect(ctx context.Context, p *plan.Plan, o Options) (*plan.Verify, error) {
	checksum := o.Checksum
	v := &plan.Verify{RunID: p.RunID, Checksum: checksum, Missing: []string{}, Differing: []string{}, Extra: []string{}, Failed: []plan.VerifyFailure{}}
	if o.Extras != nil {
		v.Extra = append(v.Extra, o.Extras...)
	} else if l, err := extras.List(ctx, p, extras.Options{Workers: o.Workers, Env: o.Env}); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("verify %s interrupted: %w", p.RunID, ctx.Err())
		}
		v.ExtraError = err.Error()
	} else {
		for _, e := range l.Extras {
			v.Extra = append(v.Extra, e.Path)
		}
	}
	for i := range p.Count() {
		part, ok, err := plan.LoadVerifyPart(p.Dir(), i)
		switch {
		case err != nil:
			v.Failed = append(v.Failed, plan.VerifyFailure{Part: i, ExitCode: -1, Error: err.Error()})
			continue
		case !ok:
			v.Failed = append(v.Failed, plan.VerifyFailure{Part: i, ExitCode: -1, Error: "not compared: no " + p.Dir().VerifyPartFile(i)})
			continue
		case part.Checksum != checksum:
			v.Failed = append(v.Failed, plan.VerifyFailure{Part: i, ExitCode: -1, Error: fmt.Sprintf("%s was compared with checksum %t, not %t; compare it again", p.Dir().VerifyPartFile(i), part.Checksum, checksum)})
			continue
		case part.Failure != nil:
			v.Failed = append(v.Failed, *part.Failure)
			continue
		}
		v.Checked += part.Checked
		v.Missing = append(v.Missing, part.Missing...)
		v.Differing = append(v.Differing, part.Differing...)
	}
	if p.Incremental != nil {
		checked, missing, differing, failed, err := compareUnchanged(ctx, p, o)
		if err != nil {
			return nil, err
		}
		v.Unchanged = checked
		v.Checked += checked
		v.Missing, v.Differing = append(v.Missing, missing...), append(v.Differing, differing...)
		v.Failed = append(v.Failed, failed...)
	}
	slices.Sort(v.Missing) // a directory listed in two partitions is named once
	v.Missing = slices.Compact(v.Missing)
	slices.Sort(v.Differing)
	v.Differing = slices.Compact(v.Differing)
	v.Finished = plan.Stamp(time.Now())
	if err := plan.SaveVerify(p.Dir(), v); err != nil {
		return v, err
	}
	if v.Mismatches() > 0 {
		return v, fmt.Errorf("%w: run %s: %d missing, %d differing, %d extra, %d partitions not compared%s (%s)",
			ErrMismatch, p.RunID, len(v.Missing), len(v.Differing), len(v.Extra), len(v.Failed), extraErrorNote(v), p.Dir().VerifyFile())
	}
	return v, nil
}

// extraErrorNote names a DST that could not be listed for extras.
func extraErrorNote(v *plan.Verify) string {
	if v.ExtraError == "" {
		return ""
	}
	return "; DST not listed for extras: " + v.ExtraError
}

// compare runs the tool's commands for the list partFile (partition i's,
// or one of the unchanged entries, named index in the logs) and reads
// their findings.
func compare(ctx context.Context, p *plan.Plan, i int, index, partFile string, o Options) (missing, differing []string, fail *plan.VerifyFailure) {
	failed := func(code int, err error) (_, _ []string, _ *plan.VerifyFailure) {
		return nil, nil, &plan.VerifyFailure{Part: i, ExitCode: code, Error: err.Error()}
	}
	scratch, err := os.MkdirTemp(string(p.Dir()), ".verify-")
	if err != nil {
		return failed(-1, fmt.Errorf("verify: %w", err))
	}
	defer func() { _ = os.RemoveAll(scratch) }()
	j := tool.VerifyJob{
		Job:      tool.Job{Source: p.Source, Destination: p.Destination, PartFile: partFile, Options: p.ToolOptions},
		Checksum: o.Checksum,
		Missing:  filepath.Join(scratch, "missing"),
		Differ:   filepath.Join(scratch, "differ"),
	}
	log, where := o.Output, "the pod's log"
	if log == nil {
		where = p.Dir().VerifyLogFile(index)
		f, err := os.Create(where)
		if err != nil {
			return failed(-1, err)
		}
		defer func() { _ = f.Close() }()
		log = f
	}
	var outs []io.Reader
	var stderrs strings.Builder
	for k, argv := range tool.VerifyCommands(p.Tool, j) {
		_, _ = fmt.Fprintf(log, "# partsync: verify %s: %q\n", logLabel(index), argv)
		out, err := os.Create(filepath.Join(scratch, "out."+strconv.Itoa(k)))
		if err != nil {
			return failed(-1, err)
		}
		defer func() { _ = out.Close() }()
		var stderr bytes.Buffer
		cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
		if len(o.Env) > 0 {
			cmd.Env = append(os.Environ(), o.Env...)
		}
		cmd.Stdout = out
		if p.Tool != "rclone" { // rsync's itemized lines are worth reading in the log; rclone's listings are not
			cmd.Stdout = io.MultiWriter(log, out)
		}
		cmd.Stderr = io.MultiWriter(log, &stderr)
		runErr := cmd.Run()
		stderrs.Write(stderr.Bytes())
		if code := exitCode(runErr); runErr != nil && !tool.VerifyExitOK(p.Tool, j, code) {
			msg, _, _ := strings.Cut(strings.TrimSpace(stderr.String()), "\n")
			if msg == "" {
				msg = runErr.Error()
			}
			return failed(code, fmt.Errorf("%s (%s)", msg, where))
		}
		if _, err := out.Seek(0, io.SeekStart); err != nil {
			return failed(-1, err)
		}
		outs = append(outs, out)
	}
	missing, differing, err = tool.VerifyFindings(p.Tool, j, outs, stderrs.String())
	if err != nil {
		return failed(0, err)
	}
	return missing, differing, nil
}

// logLabel names a list in the log: "part N", or "unchanged.K".
func logLabel(index string) string {
	if _, err := strconv.Atoi(index); err == nil {
		return "part " + index
	}
	return index
}

// exitCode is the exit code of a command that ended with err; -1 when it
// did not run.
func exitCode(err error) int {
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitCode()
	}
	return -1
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
