package main

import (
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/partsync/partsync/generator/bytesize"
	"github.com/partsync/partsync/generator/plan"
	"github.com/partsync/partsync/generator/plural"
)

// ExitPending is the exit code of `status` for a run in which no partition
// failed but some have no status yet: not started, running, or killed.
// (0: every partition succeeded; 5, ExitFailed: a partition's latest attempt failed.)
const ExitPending = 7

// statusCommand prints the progress of a run from its run directory.
func statusCommand(s Streams) *cli.Command {
	return &cli.Command{
		Name:      "status",
		Usage:     "show a run's phase, progress and failed partitions from its run directory (local runs and workflows alike); exit 0 done, 5 failed (a partition, or verify found DST differing), 7 pending. Without a run: list the runs in -d, the most recent first",
		ArgsUsage: "[RUN_ID|RUN_DIR]",
		Flags: []cli.Flag{
			runsDirFlag(),
			outputFlag([]string{"o"}),
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 1 {
				return fmt.Errorf("%w: status takes one RUN_ID or run directory, or none to list the runs, got %d arguments: %q", ErrUsage, c.NArg(), c.Args().Slice())
			}
			format, err := outputFormat(c)
			if err != nil {
				return err
			}
			if c.NArg() == 0 {
				return listRuns(s, c.String("shared-dir"), format)
			}
			dir, err := plan.Find(c.String("shared-dir"), c.Args().First())
			if err != nil {
				return err
			}
			r, err := plan.ReadReport(dir)
			if err != nil {
				return err
			}
			if err := printFormatted(s.Out, format, r, func() { printReport(s.Out, r) }); err != nil {
				return fmt.Errorf("status: %w", err)
			}
			return reportExit(r)
		},
	}
}

// reportExit is the documented exit of `status`: nil when every partition
// succeeded, ExitFailed when one failed or verify found DST differing (the
// run exited 5 for it), ExitPending when some have not finished.
func reportExit(r *plan.Report) error {
	if r.DryRun != nil { // a finished dry run: nothing was to be copied
		return dryRunExit(r.DryRun)
	}
	switch {
	case len(r.Failed) > 0:
		return &toolExit{code: ExitFailed, err: fmt.Errorf("run %s: %d of %d partitions failed: %s", r.RunID, len(r.Failed), r.Partitions, ranges(r.Failed))}
	case r.Verify != nil && !r.Verify.OK:
		v := r.Verify
		return &toolExit{code: ExitFailed, err: fmt.Errorf("run %s: verify found DST differing from the source: %d missing, %d differing, %d extra, %d partitions not compared (%s)",
			r.RunID, v.Missing, v.Differing, v.Extra, v.Failed, v.File)}
	case len(r.Missing) > 0:
		return &toolExit{code: ExitPending, err: fmt.Errorf("run %s: %d of %d partitions have not finished: %s", r.RunID, len(r.Missing), r.Partitions, ranges(r.Missing))}
	case r.Phase == plan.PhaseRunning: // its partitions are done; the steps after them are not
		return &toolExit{code: ExitPending, err: fmt.Errorf("run %s is running now (%s)", r.RunID, plan.Dir(r.RunDir).LockFile())}
	}
	return nil
}

// printReport writes the text form of a report.
func printReport(w io.Writer, r *plan.Report) {
	fmt.Fprintf(w, "run %s: %s → %s with %s: %s\n", r.RunID, r.Source, r.Destination, r.Tool, r.Phase)
	if d := r.DryRun; d != nil {
		fmt.Fprintf(w, "dry run (%s): nothing was copied; the tool would send %d of the %d files listed, %s of %s; %d partitions failed; %s\n",
			d.Finished, d.WouldSend.Files, d.Listed.Files, bytesize.Format(d.WouldSend.Bytes), bytesize.Format(d.Listed.Bytes),
			d.Failed, plan.Dir(r.RunDir).DryRunFile())
		if d := r.Delete; d != nil {
			fmt.Fprintf(w, "delete: %s\n", deletionLine(d, plan.Dir(r.RunDir)))
		}
		return
	}
	fmt.Fprintf(w, "partitions: %d: %d ok, %d failed, %d pending (no status: not started, running or killed)\n",
		r.Partitions, len(r.Succeeded), len(r.Failed), len(r.Missing))
	fmt.Fprintf(w, "done: %d of %d files, %s of %s; the tool sent %d files, %s\n", r.FilesDone, r.FilesTotal,
		bytesize.Format(r.BytesDone), bytesize.Format(r.BytesTotal), r.Sent.Files, bytesize.Format(r.Sent.Bytes))
	if r.Vanished > 0 {
		fmt.Fprintf(w, "vanished: %s gone from the source when their partition ran (warnings below)\n", plural.Count(r.Vanished, "listed entry")+" "+plural.Form(r.Vanished, "was", "were"))
	}
	if r.Added+r.NotCopied > 0 {
		fmt.Fprintf(w, "added after the scan to directories copied whole: %d copied with them, %d not copied (warnings below)\n", r.Added, r.NotCopied)
	}
	if c := r.Recheck; c != nil {
		if c.Added > 0 {
			fmt.Fprintf(w, "added: %s\n", c.Warning)
		} else {
			fmt.Fprintf(w, "checked after the partitions (%s): nothing added to the source since the scan\n", c.Finished)
		}
	}
	if d := r.Delete; d != nil {
		fmt.Fprintf(w, "delete: %s\n", deletionLine(d, plan.Dir(r.RunDir)))
	}
	if v := r.Verify; v != nil {
		printVerifySummary(w, v)
	}
	if r.Skipped > 0 {
		fmt.Fprintf(w, "skipped: %s in no partition; reasons in %s\n", plural.Count(r.Skipped, "entry"), plan.Dir(r.RunDir).SkippedFile())
	}
	if line := sinceLine(r.Incremental, plan.Dir(r.RunDir)); line != "" {
		fmt.Fprintf(w, "%s\n", line)
	}
	if o := r.Outcome; o != nil {
		fmt.Fprintf(w, "workflow: %s (exit handler at %s)\n", o.WorkflowStatus, o.RecordedAt)
	}
	for _, f := range r.Failures {
		fmt.Fprintf(w, "FAILED part %d: exit code %d after %s (%s %s, %s)\n      %s\n",
			f.Part, f.ExitCode, plural.Count(f.Attempts, "attempt"), f.Executor, f.Host, f.Finished, indent(f.Message))
	}
	for _, f := range r.Warnings {
		fmt.Fprintf(w, "warning part %d: %s\n", f.Part, indent(f.Message))
	}
	for _, b := range r.Broken {
		fmt.Fprintf(w, "unreadable status of part %d (counted as pending): %s\n", b.Part, b.Error)
	}
	if len(r.Missing) > 0 {
		fmt.Fprintf(w, "pending: %s\n", ranges(r.Missing))
	}
	if len(r.Failed)+len(r.Missing) > 0 {
		fmt.Fprintf(w, "resume: partsync run --resume %s -d %s   (a workflow: argo retry WORKFLOW)\n", r.RunID, filepath.Dir(r.RunDir))
	}
}

// printVerifySummary writes what verify.json says, and what it meant for
// the run's exit code.
func printVerifySummary(w io.Writer, v *plan.VerifySummary) {
	mode := "size and mtime"
	if v.Checksum {
		mode = "content"
	}
	fmt.Fprintf(w, "verify (%s, %s): %d entries checked: %d missing, %d differing, %d extra at DST, %d partitions not compared; %s\n",
		mode, v.Finished, v.Checked, v.Missing, v.Differing, v.Extra, v.Failed, v.File)
	if v.OK {
		fmt.Fprintf(w, "verify: DST matches the source\n")
		return
	}
	fmt.Fprintf(w, "verify: DST differs from the source: the run exited %d (so does status)\n", ExitFailed)
	for _, m := range v.FirstMissing {
		fmt.Fprintf(w, "  missing at DST: %q\n", m)
	}
	for _, d := range v.FirstDiffering {
		fmt.Fprintf(w, "  differs at DST: %q\n", d)
	}
	for _, e := range v.FirstExtra {
		fmt.Fprintf(w, "  extra at DST (not in the source): %q\n", e)
	}
	if v.ExtraError != "" {
		fmt.Fprintf(w, "  DST not listed for extra entries: %s\n", v.ExtraError)
	}
	for _, f := range v.FirstFailed {
		fmt.Fprintf(w, "  part %d not compared, exit code %d: %s\n", f.Part, f.ExitCode, f.Error)
	}
}

func indent(msg string) string { return strings.ReplaceAll(msg, "\n", "\n      ") }

// ranges writes sorted partition numbers compactly: 0-3,7,9-10.
func ranges(parts []int) string {
	var b strings.Builder
	for i := 0; i < len(parts); {
		j := i
		for j+1 < len(parts) && parts[j+1] == parts[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(parts[i]))
		if j > i {
			b.WriteString("-" + strconv.Itoa(parts[j]))
		}
		i = j + 1
	}
	if b.Len() == 0 {
		return "none"
	}
	return b.String()
}

// listRuns prints the runs of sharedDir, the most recently active first, as
// fpsync -l lists its runs.
func listRuns(s Streams, sharedDir, format string) error {
	runs, err := plan.Runs(sharedDir)
	if err != nil {
		return err
	}
	if runs == nil {
		runs = []plan.RunInfo{} // [] in JSON, not null
	}
	return printFormatted(s.Out, format, runs, func() {
		tw := tabwriter.NewWriter(s.Out, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "RUN ID\tPHASE\tPARTITIONS\tLAST ACTIVE\tSOURCE → DESTINATION")
		for _, r := range runs {
			fmt.Fprintf(tw, "%s\t%s\t%d/%d ok\t%s\t%s → %s\n", r.RunID, r.Phase, r.Succeeded, r.Partitions,
				r.Active.Local().Format("2006-01-02 15:04"), r.Source, r.Destination)
		}
		_ = tw.Flush()
		if len(runs) == 0 {
			fmt.Fprintf(s.Err, "partsync: no runs in %s\n", sharedDir)
		}
	})
}
