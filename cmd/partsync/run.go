package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/partsync/partsync/generator/bytesize"
	"github.com/partsync/partsync/generator/local"
	"github.com/partsync/partsync/generator/plan"
	"github.com/partsync/partsync/generator/plural"
	"github.com/partsync/partsync/generator/prepare"
	"github.com/partsync/partsync/generator/tool"
)

func runCommand(s Streams) *cli.Command {
	return &cli.Command{
		Name:      "run",
		Usage:     "scan SRC and copy it to DST on this machine with -n workers, running the argv a workflow pod runs",
		ArgsUsage: "SRC DST",
		Flags:     append(append(append(runPlanFlags(), sizingFlags()...), resumeFlag(), dryRunFlag(), bwLimitFlag(), outputFlag(nil), allowUnreadableFlag(), runVerifyFlag(), verifyChecksumFlag()), append(deleteFlags(), verbosityFlags()...)...),
		Action: func(c *cli.Context) error {
			format, err := outputFormat(c)
			if err = errors.Join(err, checkVerbosity(c)); err != nil {
				return err
			}
			if format != "text" && (c.IsSet("resume") || c.Bool("dry-run")) {
				return fmt.Errorf("%w: --output %s prints a new run's summary; for a resumed run or a dry run, read it with partsync status RUN -o %s", ErrUsage, format, format)
			}
			if c.IsSet("resume") {
				if c.Bool("dry-run") {
					return fmt.Errorf("%w: --dry-run with --resume: a dry run makes a new plan; drop --resume to see what a new run would copy", ErrUsage)
				}
				return resumeRun(c, s)
			}
			if err := rcloneRunDefaults(c); err != nil {
				return err
			}
			req, checked, err := request(c, version)
			// This machine writes DST: say now if it cannot, not after the scan in every partition.
			if err = errors.Join(err, local.CheckDestination(checked.Destination)); err != nil {
				return err
			}
			if c.Bool("dry-run") {
				return dryRun(c, s, req, poolOptions(c))
			}
			sum, err := runLocal(c, s, req, poolOptions(c))
			if format != "text" && sum.RunID != "" {
				if perr := printFormatted(s.Out, format, sum, nil); perr != nil {
					return errors.Join(err, fmt.Errorf("run: %w", perr))
				}
			}
			return err
		},
	}
}

// poolOptions reads the local executor's flags.
func poolOptions(c *cli.Context) local.Options {
	o := local.Options{Jobs: c.Int("jobs"), Retries: c.Int("retries"), Backoff: c.Duration("backoff"), Verify: c.Bool("verify") || c.Bool(verifyChecksumName), Checksum: c.Bool(verifyChecksumName)}
	o.Env = tool.LocalEnv(c.String("rclone-config"), os.LookupEnv)
	return o
}

// runLocal prepares the run and executes it with progress on stderr.
func runLocal(c *cli.Context, s Streams, req prepare.Request, o local.Options) (local.Summary, error) {
	if req.Tool != "" {
		if _, err := tool.Installed(req.Tool); err != nil {
			return local.Summary{}, err
		}
	}
	if liveAllowed(c) {
		return runLive(c, s, req, o, newProgress(c, s.Err))
	}
	p, err := prepare.Prepare(c.Context, req)
	if err != nil {
		return local.Summary{}, err
	}
	fmt.Fprintln(s.Err, scanLine(p))
	if note := fewPartitionsNote(p, o.Jobs); note != "" {
		fmt.Fprintln(s.Err, note)
	}
	printHardLinkNote(s.Err, p)
	printBalance(s.Err, p)
	return executeLocal(c, s, p, o)
}

// printSummary writes the end-of-run report of run p. An interrupted run
// (Ctrl-C, SIGTERM) says so: its stopped partitions are not the tool's failures.
func printSummary(w io.Writer, sum local.Summary, p *plan.Plan, interrupted bool) {
	if interrupted {
		fmt.Fprintf(w, "partsync: run %s interrupted after %s: %d/%d partitions ok, %d stopped; %s, %s copied by the partitions ok\n",
			sum.RunID, sum.Elapsed.Round(time.Millisecond), sum.OK, sum.Partitions, sum.Failed, plural.Count(sum.Files, "file"), bytesize.Format(sum.Bytes))
		fmt.Fprintf(w, "partsync: resume: partsync run --resume %s -d %s\n", sum.RunID, filepath.Dir(p.RunDir))
		return
	}
	// The rate is what the tools report they sent (tool/stats.go), not the plan's bytes.
	rate := "nothing to copy"
	switch {
	case sum.Sent != (plan.Sent{}):
		rate = bytesize.Format(int64(float64(sum.Sent.Bytes)/max(sum.Elapsed.Seconds(), 1e-3))) + "/s"
	case sum.Failed > 0: // not "nothing to copy": the failed partitions still have to be copied
		rate = "nothing sent"
	}
	fmt.Fprintf(w, "partsync: run %s: %d/%d partitions ok, %d failed; %s, %s in %s; sent %s, %s (%s)\n",
		sum.RunID, sum.OK, sum.Partitions, sum.Failed, plural.Count(sum.Files, "file"), bytesize.Format(sum.Bytes),
		sum.Elapsed.Round(time.Millisecond), plural.Count(sum.Sent.Files, "file"), bytesize.Format(sum.Sent.Bytes), rate)
	if sum.UpToDate > 0 {
		fmt.Fprintf(w, "partsync: %d of the %s ok %s already up to date at the destination: the tool did not run for them\n",
			sum.UpToDate, plural.Count(sum.OK, "partition"), plural.Form(sum.UpToDate, "was", "were"))
	}
	if line := sinceLine(p.Incremental, p.Dir()); line != "" {
		fmt.Fprintf(w, "partsync: %s\n", line)
	}
	if skipped := p.Totals.Skipped; skipped > 0 {
		fmt.Fprintf(w, "partsync: %s %s in no partition; reasons in %s\n", plural.Count(skipped, "entry"), plural.Form(skipped, "was", "were"), p.Dir().SkippedFile())
	}
	if line := unreadableLine(p.Totals); line != "" {
		fmt.Fprintf(w, "partsync: %s\n", line)
	}
	for _, f := range sum.Failures {
		msg := strings.ReplaceAll(strings.TrimSpace(f.Error), "\n", "\n      ")
		fmt.Fprintf(w, "partsync: part %d FAILED after %s, exit code %d; log %s\n      %s\n", f.Part, plural.Count(f.Attempts, "attempt"), f.ExitCode, f.Log, msg)
	}
	printDirs(w, sum.Result)
	if sum.Verify != nil {
		printVerify(w, p, sum.Verify)
	}
	printDelete(w, sum.Delete, p.Dir())
}

// allowUnreadableFlag is run's --allow-unreadable.
func allowUnreadableFlag() cli.Flag {
	return &cli.BoolFlag{Name: "allow-unreadable", EnvVars: env("allow-unreadable"),
		Usage: "exit 0 when every partition succeeded though the scan could not read some entries (they are in <run dir>/skipped); without it such a run exits 8, as rsync exits 23"}
}

// ErrUnreadable is wrapped when a run copied every partition but the scan
// could not read some source entries, which are therefore not copied.
var ErrUnreadable = errors.New("source entries unreadable")

// unreadableLine names the entries the scan of a run could not read, or is
// empty when it read everything.
func unreadableLine(t plan.Totals) string {
	if t.Unreadable == 0 {
		return ""
	}
	names := make([]string, len(t.UnreadablePaths))
	for i, p := range t.UnreadablePaths {
		names[i] = strconv.Quote(p)
	}
	more := ""
	if n := t.Unreadable - int64(len(names)); n > 0 {
		more = " and " + strconv.FormatInt(n, 10) + " more"
	}
	return fmt.Sprintf("%s could not be read by the scan and %s not copied (permission denied or I/O error): %s%s",
		plural.Count(t.Unreadable, "entry"), plural.Form(t.Unreadable, "is", "are"), strings.Join(names, ", "), more)
}

// unreadableError is the outcome of a run whose transfers ended with err:
// err itself when they failed; else ErrUnreadable when the scan could not
// read some entries and --allow-unreadable was not given.
func unreadableError(c *cli.Context, p *plan.Plan, err error) error {
	if err != nil || p.Totals.Unreadable == 0 || c.Bool("allow-unreadable") {
		return err
	}
	return fmt.Errorf("%w: run %s: every partition succeeded, but %s; reasons in %s; pass --allow-unreadable when that is expected",
		ErrUnreadable, p.RunID, unreadableLine(p.Totals), p.Dir().SkippedFile())
}
