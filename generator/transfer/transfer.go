// Package transfer runs one partition: the tool's argv, its output, its
// exit code, and the status file. A workflow's pod runs it as
// `partsync transfer … -- ARGV`; the local executor calls Run in-process with
// the same ARGV, built by the same function, Command.
package transfer

import (
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
	"syscall"
	"time"

	"github.com/partsync/partsync/generator/lines"
	"github.com/partsync/partsync/generator/plan"
	"github.com/partsync/partsync/generator/tool"
)

// ErrTransfer is wrapped when the tool ran and failed, or could not start.
var ErrTransfer = errors.New("transfer failed")

// Command is the tool's argv for the partition index. index is a number for
// the local executor and an Argo expression for the workflow: this is the one
// function that builds both.
func Command(p *plan.Plan, index string) ([]string, error) {
	t, err := tool.Lookup(p.Tool)
	if err != nil {
		return nil, err
	}
	return t.Argv(job(p, p.Dir().PartFile(index))), nil
}

// ErrArgv is wrapped when a pod is given an argv that is not its
// partition's.
var ErrArgv = errors.New("not the plan's command")

// PlannedArgv is the argv partition part runs: Command's for the index. A
// given argv (the workflow's, after Argo put the index in) must be exactly
// it: `partsync transfer` never runs a command the plan did not make.
func PlannedArgv(p *plan.Plan, part int, given []string) ([]string, error) {
	want, err := Command(p, strconv.Itoa(part))
	if err != nil || len(given) == 0 {
		return want, err
	}
	if !slices.Equal(given, want) {
		return nil, fmt.Errorf("%w: part %d: the argv after -- is not the one plan.json %s makes for it (%q); drop it, partsync builds the command from the plan", ErrArgv, part, p.Dir().PlanFile(), want)
	}
	return want, nil
}

// job is what the tool needs to copy the entries listed in partFile.
func job(p *plan.Plan, partFile string) tool.Job {
	return tool.Job{Source: p.Source, Destination: p.Destination, PartFile: partFile, Options: p.ToolOptions, BwLimit: p.TransferBwLimit,
		NoCheckDest: p.Incremental != nil && p.Incremental.NoCheckDest}
}

// PodArgv is the container argv of a transfer pod: partsync itself, which
// runs toolArgv, writes the status file, and writes what the tool sent to
// outputsDir for Argo's output parameters (OutputFiles). Without toolArgv
// (a WorkflowTemplate, where the plan exists only at run time) the pod
// builds the argv from plan.json with Command, like the local executor.
func PodArgv(dir plan.Dir, index, attempt, outputsDir string, toolArgv []string) []string {
	argv := []string{"partsync", "transfer", "--run-dir", string(dir), "--part", index, "--attempt", attempt, "--outputs-dir", outputsDir}
	if len(toolArgv) == 0 {
		return argv
	}
	return append(append(argv, "--"), toolArgv...)
}

// The files a transfer pod writes to its outputs directory, whatever the
// outcome: the files and bytes the tool reported it sent (0 when it
// reported nothing), for Argo's output parameters and template metrics.
const (
	SentFilesOutput = "sent-files"
	SentBytesOutput = "sent-bytes"
)

// WriteOutputs writes st's sent files and bytes to dir (SentFilesOutput,
// SentBytesOutput).
func WriteOutputs(dir string, st *plan.Status) error {
	var sent plan.Sent
	if st != nil && st.Sent != nil {
		sent = *st.Sent
	}
	for name, n := range map[string]int64{SentFilesOutput: sent.Files, SentBytesOutput: sent.Bytes} {
		if err := plan.WriteFileAtomic(filepath.Join(dir, name), []byte(strconv.FormatInt(n, 10)+"\n")); err != nil {
			return fmt.Errorf("outputs: %w", err)
		}
	}
	return nil
}

// Spec is one attempt at one partition.
type Spec struct {
	Dir      plan.Dir
	Part     int
	Attempt  int // 0 for the first attempt
	Argv     []string
	Env      []string  // added to this process's environment
	Executor string    // "local" or "pod"
	Output   io.Writer // receives the tool's stdout and stderr
	// ProgressFile, when set, receives the partition's files done and
	// files as "N/M" while the tool runs (progress.go): Argo's
	// ARGO_PROGRESS_FILE.
	ProgressFile string
}

// errorLines is how many lines of the tool's error output a status keeps.
const errorLines = 8

// Run runs one attempt, writes status/<part>.json, and returns the status.
// The error wraps ErrTransfer when the tool failed; other errors mean the
// status could not be written.
func Run(ctx context.Context, p *plan.Plan, s Spec) (*plan.Status, error) {
	var part plan.Partition // the directory step (DirsPart) copies no file
	switch {
	case s.Part >= 0 && s.Part < p.Count():
		part = p.Partitions[s.Part]
	case s.Part != plan.DirsPart:
		return nil, fmt.Errorf("%w: part %d: the run has partitions 0 to %d", ErrTransfer, s.Part, p.Count()-1)
	}
	if len(s.Argv) == 0 {
		return nil, fmt.Errorf("%w: part %d: empty command", ErrTransfer, s.Part)
	}
	host, _ := os.Hostname()
	st := &plan.Status{
		Part: s.Part, Attempts: s.Attempt + 1, Files: part.Files, Bytes: part.Bytes,
		Argv: s.Argv, Executor: s.Executor, Host: host,
	}
	start := time.Now()
	st.Started = plan.Stamp(start)

	progress := newProgressFile(s.ProgressFile, part.Files, s.Output)
	progress.report(0)
	if upToDate(p, s.Part) { // uptodate.go: rsync would change nothing
		progress.finish(true)
		st.OK, st.UpToDate = true, true
		st.Seconds = time.Since(start).Seconds()
		st.Finished = plan.Stamp(time.Now())
		_, _ = fmt.Fprintf(s.Output, "# partsync: every entry of part %d is up to date at the destination: %s not run\n", s.Part, s.Argv[0])
		if err := plan.SaveStatus(s.Dir, st); err != nil {
			return st, fmt.Errorf("part %d: %w", s.Part, err)
		}
		return st, nil
	}
	errTail := &headLines{max: errorLines}
	vanished := &onlyVanished{tool: p.Tool}
	cmd := exec.CommandContext(ctx, s.Argv[0], s.Argv[1:]...)
	if len(s.Env) > 0 {
		cmd.Env = append(os.Environ(), s.Env...)
	}
	meter := tool.NewMeter(p.Tool, p.ToolOptions, s.Output, io.MultiWriter(errTail, vanished)) // what the tool really sent (tool/stats.go)
	cmd.Stdout, cmd.Stderr = meter.Stdout(), meter.Stderr()
	meter.Progress(part.Files, progress.report)
	// Let the tool finish its current file on cancel; kill it if it lingers.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	dstErr := makeDestination(p)
	runErr := dstErr
	if dstErr == nil {
		runErr = cmd.Run()
	}
	meter.Close()
	if sent, ok := meter.Sent(); ok {
		st.Sent = &sent
	}

	st.Seconds = time.Since(start).Seconds()
	st.Finished = plan.Stamp(time.Now())
	st.ExitCode = exitCode(cmd, runErr)
	st.OK = runErr == nil
	if !st.OK {
		st.Error = strings.TrimSpace(errTail.String())
		if st.Error == "" {
			st.Error = runErr.Error()
		}
	}
	if ctx.Err() == nil {
		if err := checkVanished(p, s.Part, st, vanished); err != nil {
			return st, fmt.Errorf("part %d: %w", s.Part, err)
		}
	}
	progress.finish(st.OK) // vanished files (checkVanished) may have made it ok
	if err := plan.SaveStatus(s.Dir, st); err != nil {
		return st, fmt.Errorf("part %d: %w", s.Part, err)
	}
	if dstErr != nil {
		return st, fmt.Errorf("%w: part %d: %v", ErrTransfer, s.Part, dstErr)
	}
	if !st.OK {
		return st, fmt.Errorf("%w: part %d: %s exited %d: %s", ErrTransfer, s.Part, s.Argv[0], st.ExitCode, firstLine(st.Error))
	}
	return st, nil
}

// makeDestination makes DST when the plan's tool needs it made first.
func makeDestination(p *plan.Plan) error {
	t, err := tool.Lookup(p.Tool)
	if err != nil {
		return err
	}
	if m, ok := t.(tool.DestinationMaker); ok {
		return m.MakeDestination(p.Destination)
	}
	return nil
}

// exitCode is the tool's exit code, or -1 when it did not start or died of a signal.
func exitCode(cmd *exec.Cmd, err error) int {
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if cmd.ProcessState != nil {
		return cmd.ProcessState.ExitCode()
	}
	return -1
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// headLines keeps the first max lines written to it that say what went
// wrong: rclone's NOTICE, INFO and DEBUG lines are passed over. A line split
// across writes is joined first; of a line without end, its start is kept.
type headLines struct {
	max  int
	kept []string
	w    lines.Writer
}

func (h *headLines) Write(p []byte) (int, error) {
	if len(h.kept) >= h.max {
		return len(p), nil
	}
	if h.w.Line == nil {
		h.w = lines.Writer{Line: h.keep, Max: 4096}
	}
	return h.w.Write(p)
}

func (h *headLines) keep(b []byte) {
	line := strings.TrimSuffix(string(b), "\n")
	if len(h.kept) < h.max && strings.TrimSpace(line) != "" && !tool.RcloneChatter(b) {
		h.kept = append(h.kept, line)
	}
}

func (h *headLines) String() string {
	out := h.kept
	if rest := h.w.Pending(); len(rest) > 0 && len(out) < h.max && !tool.RcloneChatter(rest) {
		out = append(out, string(rest))
	}
	return strings.Join(out, "\n")
}

// ParseIndex reads a partition index given on the command line.
func ParseIndex(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%w: partition index %q is not a number ≥ 0", ErrTransfer, s)
	}
	return n, nil
}

// Preview runs partition part's command with the tool's own dry run
// (tool.Job.DryRun): nothing is written at DST, DST is not made, and no
// status file is written. It returns what the tool says it would send, and
// the tool's exit code.
func Preview(ctx context.Context, p *plan.Plan, part int, env []string, out io.Writer) (plan.Sent, int, error) {
	t, err := tool.Lookup(p.Tool)
	if err != nil {
		return plan.Sent{}, -1, err
	}
	j := job(p, p.Dir().PartFile(strconv.Itoa(part)))
	j.DryRun = true
	argv := t.Argv(j)
	_, _ = fmt.Fprintf(out, "# partsync: part %d dry run: %q\n", part, argv)
	errTail := &headLines{max: errorLines}
	meter := tool.NewMeter(p.Tool, p.ToolOptions, out, errTail)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	if len(env) > 0 {
		cmd.Env = append(os.Environ(), env...)
	}
	cmd.Stdout, cmd.Stderr = meter.Stdout(), meter.Stderr()
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	runErr := cmd.Run()
	meter.Close()
	code := exitCode(cmd, runErr)
	sent, ok := meter.Sent()
	switch {
	case runErr != nil:
		msg := strings.TrimSpace(errTail.String())
		if msg == "" {
			msg = runErr.Error()
		}
		return sent, code, fmt.Errorf("%w: part %d: %s --dry-run exited %d: %s", ErrTransfer, part, argv[0], code, firstLine(msg))
	case !ok:
		return sent, code, fmt.Errorf("%w: part %d: %s reported no statistics", ErrTransfer, part, argv[0])
	}
	return sent, code, nil
}
