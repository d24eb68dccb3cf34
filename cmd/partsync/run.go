package main

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
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
		Flags:     append(append(append(runPlanFlags(), sizingFlags()...), resumeFlag(), dryRunFlag(), bwLimitFlag(), outputFlag(nil)), verbosityFlags()...),
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
	o := local.Options{Jobs: c.Int("jobs"), Retries: c.Int("retries"), Backoff: c.Duration("backoff")}
	if cfg := c.String("rclone-config"); cfg != "" {
		o.Env = []string{"RCLONE_CONFIG=" + cfg}
	}
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

// printSummary writes the end-of-run report. An interrupted run (Ctrl-C,
// SIGTERM) says so: its stopped partitions are not the tool's failures.
func printSummary(w io.Writer, sum local.Summary, skippedFile string, skipped int64, interrupted bool) {
	if interrupted {
		runDir := filepath.Dir(skippedFile)
		fmt.Fprintf(w, "partsync: run %s interrupted after %s: %d/%d partitions ok, %d stopped; %d files, %s copied by the partitions ok\n",
			sum.RunID, sum.Elapsed.Round(time.Millisecond), sum.OK, sum.Partitions, sum.Failed, sum.Files, bytesize.Format(sum.Bytes))
		fmt.Fprintf(w, "partsync: resume: partsync run --resume %s -d %s\n", sum.RunID, filepath.Dir(runDir))
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
	fmt.Fprintf(w, "partsync: run %s: %d/%d partitions ok, %d failed; %d files, %s in %s; sent %d files, %s (%s)\n",
		sum.RunID, sum.OK, sum.Partitions, sum.Failed, sum.Files, bytesize.Format(sum.Bytes),
		sum.Elapsed.Round(time.Millisecond), sum.Sent.Files, bytesize.Format(sum.Sent.Bytes), rate)
	if sum.UpToDate > 0 {
		fmt.Fprintf(w, "partsync: %d of the %d partitions ok were already up to date at the destination: the tool did not run for them\n", sum.UpToDate, sum.OK)
	}
	if skipped > 0 {
		fmt.Fprintf(w, "partsync: %d entries were in no partition; reasons in %s\n", skipped, skippedFile)
	}
	for _, f := range sum.Failures {
		msg := strings.ReplaceAll(strings.TrimSpace(f.Error), "\n", "\n      ")
		fmt.Fprintf(w, "partsync: part %d FAILED after %s, exit code %d; log %s\n      %s\n", f.Part, plural.Count(f.Attempts, "attempt"), f.ExitCode, f.Log, msg)
	}
	printDirs(w, sum.Result)
}
