package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/partsync/partsync/generator/bytesize"
	"github.com/partsync/partsync/generator/local"
	"github.com/partsync/partsync/generator/plan"
	"github.com/partsync/partsync/generator/prepare"
	"github.com/partsync/partsync/generator/tool"
)

// resumeFlag is run's --resume.
func resumeFlag() cli.Flag {
	return &cli.StringFlag{Name: "resume", EnvVars: env("resume"),
		Usage: "RUN_ID (under -d) or run directory: run only its partitions without a successful status, with the plan it has; SRC DST may be left out, and must match the plan if given"}
}

// resumeRun runs the partitions of an existing run whose latest attempt did
// not succeed (failed, or no status: never started, or killed). The run may
// come from `run` or from `generate`: both leave the same run directory.
func resumeRun(c *cli.Context, s Streams) error {
	dir, err := plan.Find(c.String("shared-dir"), c.String("resume"))
	if err != nil {
		return err
	}
	p, err := plan.Load(dir)
	if errors.Is(err, plan.ErrIncomplete) {
		if hdr, herr := plan.LoadHeader(dir); herr == nil {
			return rescanRun(c, s, hdr)
		}
	}
	if err != nil {
		return err
	}
	if p.DryRun {
		return fmt.Errorf("%w: run %s was a dry run (--dry-run): it copied nothing and is never resumed; start the copy with partsync run without --dry-run", ErrUsage, p.RunID)
	}
	if err := checkResume(c, p); err != nil {
		return err
	}
	if _, err := lookPath(p.Tool); err != nil {
		return err
	}
	// Held from before the report is read to after the directory step: no
	// other run picks the same pending partitions meanwhile.
	unlock, err := plan.Lock(dir)
	if err != nil {
		return err
	}
	defer unlock()
	r, err := plan.ReadReport(dir)
	if err != nil {
		return err
	}
	todo := r.Pending()
	fmt.Fprintf(s.Err, "partsync: resume run %s: %s → %s with %s: %d of %d partitions done already, not run again: %s\n",
		p.RunID, p.Source, p.Destination, p.Tool, len(r.Succeeded), p.Count(), ranges(r.Succeeded))
	for _, b := range r.Broken {
		fmt.Fprintf(s.Err, "partsync: unreadable status of part %d, running it again: %s\n", b.Part, b.Error)
	}
	if len(todo) == 0 {
		fmt.Fprintf(s.Err, "partsync: run %s is complete; nothing to resume\n", p.RunID)
		return nil
	}
	fmt.Fprintf(s.Err, "partsync: running %d partition(s): %s (%d failed, %d without status)\n", len(todo), ranges(todo), len(r.Failed), len(r.Missing))
	o := poolOptions(c)
	o.Only, o.Locked = todo, true
	_, err = executeLocal(c, s, p, o)
	if after, rerr := plan.ReadReport(dir); rerr == nil {
		fmt.Fprintf(s.Err, "partsync: run %s as a whole: %d of %d partitions ok, %d failed, %d without status\n",
			p.RunID, len(after.Succeeded), after.Partitions, len(after.Failed), len(after.Missing))
	}
	return err
}

// rescanRun resumes a run stopped during its scan (no plan.json): the
// partitions it had closed are no contract, since the scan that would have
// counted them did not end, so the run directory is removed and the run
// made again under the same id from its header: the same SRC, DST, tool,
// options, excludes and limits, with this invocation's executor and scan
// flags. Files the stopped run copied are found up to date by the tool.
func rescanRun(c *cli.Context, s Streams, hdr *plan.Plan) error {
	if err := checkResume(c, hdr); err != nil {
		return err
	}
	if _, err := lookPath(hdr.Tool); err != nil {
		return err
	}
	unlock, err := plan.Lock(hdr.Dir()) // refused while the run is still scanning
	if err != nil {
		return err
	}
	unlock()
	req := prepare.Request{
		Source: hdr.Source, Destination: hdr.Destination, Tool: hdr.Tool, ToolOptions: hdr.ToolOptions,
		MaxFiles: hdr.MaxFiles, MaxBytes: hdr.MaxBytes, Excludes: hdr.Excludes,
		SharedDir: filepath.Dir(hdr.RunDir), RunID: hdr.RunID,
		ScanWorkers: c.Int("scan-workers"), RcloneConfig: c.String("rclone-config"),
		Version: version, Getenv: os.Getenv, Now: time.Now,
	}
	if err := errors.Join(autoOptions(c, &req), checkJobs(c)); err != nil {
		return err
	}
	if _, err := prepare.Check(req); err != nil {
		return err
	}
	fmt.Fprintf(s.Err, "partsync: resume run %s: its scan was stopped before plan.json was written; its partial partitions are discarded and %s scanned again\n",
		hdr.RunID, hdr.Source)
	if err := plan.Discard(hdr.Dir()); err != nil {
		return err
	}
	_, err = runLocal(c, s, req, poolOptions(c))
	return err
}

// executeLocal runs the partitions of p with progress on stderr and prints
// the summary, including the partitions that succeeded with a warning.
func executeLocal(c *cli.Context, s Streams, p *plan.Plan, o local.Options) (local.Summary, error) {
	progress := newProgress(s.Err)
	o.Events = progress
	sum, err := local.Execute(c.Context, p, o)
	progress.Finish()
	printSummary(s.Err, sum, p.Dir().SkippedFile(), p.Totals.Skipped)
	printWarnings(s.Err, p.Dir(), o.Only, p.Count())
	return sum, err
}

// printWarnings names the partitions of this execution (only, or all when
// nil) that succeeded with a warning: entries that vanished from the source
// between the scan and the transfer.
func printWarnings(w io.Writer, dir plan.Dir, only []int, count int) {
	for i := range count {
		if only != nil && !slices.Contains(only, i) {
			continue
		}
		st, ok, err := plan.LoadStatus(dir, i)
		if err != nil || !ok || !st.OK || st.Warning == "" {
			continue
		}
		fmt.Fprintf(w, "partsync: part %d ok with a warning: %s\n", i, st.Warning)
	}
}

// checkResume refuses arguments and flags that contradict the plan of the
// run being resumed: the partitions were cut for it, and the part files
// already encode it.
func checkResume(c *cli.Context, p *plan.Plan) error {
	var errs []error
	conflict := func(what, given, planned string) {
		errs = append(errs, fmt.Errorf("%w: run --resume %s: %s %s differs from the plan's %s; leave it out or start a new run", ErrUsage, p.RunID, what, given, planned))
	}
	switch c.NArg() {
	case 0:
	case 2:
		if src, err := filepath.Abs(c.Args().Get(0)); err != nil || src != p.Source {
			conflict("SRC", c.Args().Get(0), p.Source)
		}
		if t, err := tool.Lookup(p.Tool); err == nil {
			if d, err := t.CheckDestination(c.Args().Get(1)); err != nil || d.Spec != p.Destination {
				conflict("DST", c.Args().Get(1), p.Destination)
			}
		}
	default:
		return fmt.Errorf("%w: run --resume takes no arguments or the run's SRC DST, got %d: %q", ErrUsage, c.NArg(), c.Args().Slice())
	}
	if c.IsSet("tool") && c.String("tool") != p.Tool {
		conflict("-m/--tool", c.String("tool"), p.Tool)
	}
	if c.IsSet("files") && c.Int64("files") != p.MaxFiles {
		conflict("-f/--files", fmt.Sprint(c.Int64("files")), fmt.Sprint(p.MaxFiles))
	}
	if c.IsSet("size") {
		if n, err := sizeValue(c); err != nil || n != p.MaxBytes {
			conflict("-s/--size", c.String("size"), bytesize.Format(p.MaxBytes))
		}
	}
	if c.IsSet("tool-options") {
		if opts, err := tool.SplitOptions(c.String("tool-options")); err != nil || !slices.Equal(opts, p.ToolOptions) {
			conflict("-o/--tool-options", fmt.Sprintf("%q", c.String("tool-options")), fmt.Sprintf("%q", strings.Join(p.ToolOptions, " ")))
		}
	}
	if c.IsSet("exclude") && !slices.Equal(nonBlank(c.StringSlice("exclude")), p.Excludes) {
		conflict("-x/--exclude", fmt.Sprintf("%q", c.StringSlice("exclude")), fmt.Sprintf("%q", p.Excludes))
	}
	if c.IsSet("run-id") && c.String("run-id") != p.RunID {
		conflict("--run-id", c.String("run-id"), p.RunID)
	}
	return errors.Join(errs...)
}
