package main

import (
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/partsync/partsync/generator/plan"
	"github.com/partsync/partsync/generator/plural"
	"github.com/partsync/partsync/generator/prepare"
)

// deleteFlags are --delete and --max-delete, of run and generate: the
// mirror (package mirror, docs/after-copy.md).
func deleteFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "delete", EnvVars: env("delete"),
			Usage: "mirror: after every partition succeeded, delete at DST what the source does not have (fpsync -E), in -n partitions; refused when the scan could not read some entries; excluded (-x) entries at DST are kept; listed in <run dir>/deleted (docs/after-copy.md)"},
		&cli.Int64Flag{Name: "max-delete", EnvVars: env("max-delete"),
			Usage: "with --delete: refuse the whole delete pass when more than N entries would be deleted (0: no limit)"},
	}
}

// deleteOptions reads --delete and --max-delete into r.
func deleteOptions(c *cli.Context, r *prepare.Request) error {
	r.Delete, r.MaxDelete = c.Bool("delete"), c.Int64("max-delete")
	switch {
	case r.MaxDelete < 0:
		return fmt.Errorf("%w: --max-delete %d: give a number of entries, 0 for no limit", ErrUsage, r.MaxDelete)
	case r.MaxDelete > 0 && !r.Delete:
		return fmt.Errorf("%w: --max-delete %d without --delete: add --delete to mirror, or drop --max-delete", ErrUsage, r.MaxDelete)
	case r.Delete && r.Jobs == 0:
		r.Jobs = c.Int("jobs") // the delete pass's partitions at once, in a workflow's pod too
	}
	return nil
}

// printDelete reports the delete pass of a run.
func printDelete(w io.Writer, d *plan.Deletion, dir plan.Dir) {
	if d != nil {
		fmt.Fprintf(w, "partsync: delete: %s\n", deletionLine(d, dir))
	}
}

// deletionLine says what the delete pass did, in one line.
func deletionLine(d *plan.Deletion, dir plan.Dir) string {
	switch {
	case d.Refused != "":
		return fmt.Sprintf("REFUSED, nothing deleted at DST: %s", d.Refused)
	case d.DryRun:
		if d.Extras == 0 {
			return "dry run: nothing to delete at DST"
		}
		return fmt.Sprintf("dry run: would delete %s at DST: %s", plural.Count(d.Extras, "entry"), plan.ShortList(d.First, d.Extras, dir.ExtrasFile()))
	case d.Extras == 0:
		return "nothing at DST that the source does not have"
	}
	line := fmt.Sprintf("deleted %s at DST in %s (%.1fs)", plural.Count(d.Deleted, "entry"), plural.Count(d.Partitions, "partition"), d.Seconds)
	if d.Deleted > 0 {
		line += ": " + plan.ShortList(d.First, d.Deleted, dir.DeletedFile())
	}
	if d.Kept > 0 {
		line += fmt.Sprintf("; kept %d (excluded, back in the source, or a directory still holding something)", d.Kept)
	}
	if d.Failed > 0 {
		line += fmt.Sprintf("; FAILED to delete %d: %v", d.Failed, d.Errors)
	}
	return line
}
