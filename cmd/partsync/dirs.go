package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/partsync/partsync/generator/finish"
	"github.com/partsync/partsync/generator/plan"
	"github.com/partsync/partsync/generator/plural"
	"github.com/partsync/partsync/generator/tool"
	"github.com/partsync/partsync/generator/transfer"
)

// dirsCommand is the workflow's step after the fan-out: it runs the steps
// after the partitions (finish.Run, the ones `run` runs) with one attempt at
// the tool step, Argo retrying the pod. Once every partition has succeeded
// it walks the source again to name the entries added after the scan
// (recheck.json, the added file), then re-applies each directory's metadata
// from the source. It fails when a partition has not succeeded; the tool
// step does nothing when the tool keeps no directories (rclone) or the tree
// has none.
func dirsCommand(s Streams) *cli.Command {
	return &cli.Command{
		Name:   "dirs",
		Hidden: true, // pod-side: in docs/flags.md, not in the top-level list
		Usage:  "(in a workflow pod, after every partition) name the entries added to the source after the scan (recheck.json); in a mirror (--delete), delete at DST what the source does not have (delete.json); with rsync, re-apply the directories' modes and mtimes (and what else the tool options keep) from the source, recorded in status/dirs.json",
		Flags:  []cli.Flag{runDirFlag(), attemptFlag()},
		Action: func(c *cli.Context) error {
			dir := plan.Dir(c.String("run-dir"))
			p, err := plan.Load(dir)
			if err != nil {
				return err
			}
			var st *plan.Status
			res, err := finish.Run(c.Context, p, finish.Options{
				Jobs:      p.Jobs,
				Rechecked: func(r *plan.Recheck, skipped string) { printRecheck(s.Err, r, skipped) },
				Attempt: func(ctx context.Context, part int, argv []string) (*plan.Status, error) {
					fmt.Fprintf(s.Err, "partsync: directory step attempt %d: %q\n", c.Int("attempt")+1, argv)
					st, err = transfer.Run(ctx, p, transfer.Spec{
						Dir: dir, Part: part, Attempt: c.Int("attempt"), Argv: argv, Executor: "pod", Output: s.Err,
					})
					return st, err
				},
			})
			printDelete(s.Err, res.Delete, dir)
			switch {
			case err != nil:
				return withToolCode(st, err)
			case !res.Dirs.Ran:
				fmt.Fprintf(s.Err, "partsync: directory step: %s\n", res.Dirs.Reason)
			default:
				fmt.Fprintf(s.Err, "partsync: directory step ok in %.1fs\n", res.Dirs.Seconds)
			}
			return nil
		},
	}
}

// printRecheck reports the check for entries added after the scan, or why
// it was skipped.
func printRecheck(w io.Writer, r *plan.Recheck, skipped string) {
	switch {
	case skipped != "":
		fmt.Fprintf(w, "partsync: not checked for entries added after the scan: %s\n", skipped)
	case r == nil:
	case r.Added > 0:
		fmt.Fprintf(w, "partsync: warning: %s\n", r.Warning)
	default:
		fmt.Fprintf(w, "partsync: source checked again after the partitions: nothing added since the scan (%s, %.1fs)\n", plural.Count(r.Entries, "entry"), r.Seconds)
	}
}

// printDirs reports the steps after the partitions of a local run: the
// recheck and the directory step.
func printDirs(w io.Writer, res finish.Result) {
	printRecheck(w, res.Recheck, res.RecheckSkipped)
	d := res.Dirs
	switch {
	case d == nil || !d.Ran && !d.Pending:
	case d.Pending:
		fmt.Fprintf(w, "partsync: directory modes and mtimes NOT restored: %s\n", d.Reason)
	case d.OK:
		fmt.Fprintf(w, "partsync: directory step ok: modes and mtimes of the directories restored in %.1fs\n", d.Seconds)
	default:
		msg := strings.ReplaceAll(strings.TrimSpace(d.Error), "\n", "\n      ")
		fmt.Fprintf(w, "partsync: directory step FAILED after %s, exit code %d; log %s\n      %s\n", plural.Count(d.Attempts, "attempt"), d.ExitCode, d.Log, msg)
	}
}

// printHardLinkNote says when hard links will not be links at the
// destination: rclone copies each link as a file (or object) of its own,
// and so does rsync when -o drops -H.
func printHardLinkNote(w io.Writer, p *plan.Plan) {
	n := p.Totals.HardLinked
	switch {
	case n == 0:
	case p.Tool == "rclone":
		fmt.Fprintf(w, "partsync: note: %s more than one hard link; rclone copies each link as a file (object) of its own\n", plural.Count(n, "file")+" "+plural.Form(n, "has", "have"))
	case !tool.KeepsHardLinks(p.ToolOptions):
		fmt.Fprintf(w, "partsync: note: %s more than one hard link, but -o has no -H: rsync copies each link as a file of its own; add -H to keep them linked\n", plural.Count(n, "file")+" "+plural.Form(n, "has", "have"))
	}
}
