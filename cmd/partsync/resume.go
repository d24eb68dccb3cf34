package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/partsync/partsync/generator/local"
	"github.com/partsync/partsync/generator/plan"
	"github.com/partsync/partsync/generator/plural"
	"github.com/partsync/partsync/generator/prepare"
	"github.com/partsync/partsync/generator/resume"
	"github.com/partsync/partsync/generator/tool"
)

// resumeFlag is run's --resume.
func resumeFlag() cli.Flag {
	return &cli.StringFlag{Name: "resume", EnvVars: env("resume"),
		Usage: "RUN_ID (under -d) or run directory: run only its partitions without a successful status, with the plan it has; SRC DST may be left out, and must match the plan if given"}
}

// resumeRun runs the partitions of an existing run whose latest attempt did
// not succeed (package resume), or makes again a run stopped during its scan.
func resumeRun(c *cli.Context, s Streams) error {
	r, err := resume.Open(c.String("shared-dir"), c.String("resume"), resume.Given{
		Args: c.Args().Slice(), Tool: c.String("tool"), MaxFiles: c.Int64("files"), Size: c.String("size"),
		ToolOptions: c.String("tool-options"), Excludes: nonBlank(c.StringSlice("exclude")), RunID: c.String("run-id"),
		IsSet: c.IsSet,
	})
	if err != nil {
		return err
	}
	defer r.Close()
	if err := setRcloneJobs(c, r.Plan.Tool); err != nil {
		return err
	}
	if r.Rescan {
		return rescanRun(c, s, r)
	}
	p, todo := r.Plan, r.Pending
	fmt.Fprintf(s.Err, "partsync: resume run %s: %s → %s with %s: %d of %d partitions done already, not run again: %s\n",
		p.RunID, p.Source, p.Destination, p.Tool, len(r.Report.Succeeded), p.Count(), ranges(r.Report.Succeeded))
	for _, b := range r.Report.Broken {
		fmt.Fprintf(s.Err, "partsync: unreadable status of part %d, running it again: %s\n", b.Part, b.Error)
	}
	if len(todo) == 0 {
		fmt.Fprintf(s.Err, "partsync: run %s is complete; nothing to resume\n", p.RunID)
		if line := unreadableLine(p.Totals); line != "" {
			fmt.Fprintf(s.Err, "partsync: %s\n", line)
		}
		return unreadableError(c, p, nil)
	}
	if err := checkPlanDestination(p); err != nil {
		return err
	}
	fmt.Fprintf(s.Err, "partsync: running %s: %s (%d failed, %d without status)\n", plural.Count(len(todo), "partition"), ranges(todo), len(r.Report.Failed), len(r.Report.Missing))
	_, err = executeLocal(c, s, p, r.Options(poolOptions(c)))
	if after, rerr := plan.ReadReport(p.Dir()); rerr == nil {
		fmt.Fprintf(s.Err, "partsync: run %s as a whole: %d of %d partitions ok, %d failed, %d without status\n",
			p.RunID, len(after.Succeeded), after.Partitions, len(after.Failed), len(after.Missing))
	}
	return err
}

// rescanRun makes again, under the same id, a run stopped during its scan
// (resume.Run.Request), with this invocation's executor and scan flags.
func rescanRun(c *cli.Context, s Streams, r *resume.Run) error {
	req := r.Request()
	req.ScanWorkers, req.RcloneConfig = c.Int("scan-workers"), c.String("rclone-config")
	req.Version, req.Getenv, req.Now = version, os.Getenv, time.Now
	if err := errors.Join(autoOptions(c, &req), checkJobs(c)); err != nil {
		return err
	}
	checked, err := prepare.Check(req)
	if err = errors.Join(err, local.CheckDestination(checked.Destination)); err != nil {
		return err
	}
	fmt.Fprintf(s.Err, "partsync: resume run %s: its scan was stopped before plan.json was written; its partial partitions are discarded and %s scanned again\n",
		r.Plan.RunID, r.Plan.Source)
	if err := plan.Discard(r.Plan.Dir()); err != nil {
		return err
	}
	_, err = runLocal(c, s, req, poolOptions(c))
	return err
}

// executeLocal runs the partitions of p with progress on stderr and prints
// the summary, including the partitions that succeeded with a warning.
func executeLocal(c *cli.Context, s Streams, p *plan.Plan, o local.Options) (local.Summary, error) {
	progress := newProgress(c, s.Err)
	o.Events = progress
	sum, err := local.Execute(c.Context, p, o)
	progress.Finish()
	printSummary(s.Err, sum, p, c.Context.Err() != nil)
	printWarnings(s.Err, p.Dir(), o.Only, p.Count())
	return sum, unreadableError(c, p, err)
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

// checkPlanDestination checks that this machine can write the run's DST
// (local.CheckDestination) before the pending partitions run.
func checkPlanDestination(p *plan.Plan) error {
	t, err := tool.Lookup(p.Tool)
	if err != nil {
		return err
	}
	d, err := t.CheckDestination(p.Destination)
	if err != nil {
		return err
	}
	return local.CheckDestination(d)
}
