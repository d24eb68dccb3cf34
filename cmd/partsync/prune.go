package main

import (
	"fmt"
	"os"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/partsync/partsync/generator/plan"
	"github.com/partsync/partsync/generator/plural"
)

// pruneCommand removes old finished run directories from the shared dir.
// Without --older-than it only lists what it would remove. It never removes
// a run that is Running (a local run holds its lock) or Pending (partitions
// without status: a workflow may be running them now).
func pruneCommand(s Streams) *cli.Command {
	return &cli.Command{
		Name:  "prune",
		Usage: "remove finished run directories (Succeeded or Failed) from -d; lists them only, until --older-than says which to remove. Running and Pending runs are never removed",
		Flags: []cli.Flag{
			runsDirFlag(),
			&cli.DurationFlag{Name: "older-than", Usage: "remove the finished runs last active longer ago than this, such as 168h (without it: list them, remove nothing)"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return fmt.Errorf("%w: prune takes no arguments, got %q; give -d DIR and --older-than DURATION", ErrUsage, c.Args().Slice())
			}
			age := c.Duration("older-than")
			if c.IsSet("older-than") && age < 0 {
				return fmt.Errorf("%w: --older-than %s: give 0s or more", ErrUsage, age)
			}
			runs, err := plan.Runs(c.String("shared-dir"))
			if err != nil {
				return err
			}
			now, removed, kept := time.Now(), 0, 0
			for _, r := range runs {
				finished := r.Phase == plan.PhaseSucceeded || r.Phase == plan.PhaseFailed
				switch {
				case !finished:
					kept++
				case !c.IsSet("older-than"):
					fmt.Fprintf(s.Out, "would remove %s (%s, last active %s)\n", r.RunDir, r.Phase, r.Active.Local().Format("2006-01-02 15:04"))
				case now.Sub(r.Active) > age:
					if _, locked := plan.Held(plan.Dir(r.RunDir)); locked { // a resume started since
						kept++
						continue
					}
					if err := os.RemoveAll(r.RunDir); err != nil {
						return fmt.Errorf("prune %s: %w", r.RunDir, err)
					}
					fmt.Fprintf(s.Out, "removed %s (%s)\n", r.RunDir, r.Phase)
					removed++
				}
			}
			if !c.IsSet("older-than") {
				fmt.Fprintf(s.Err, "partsync: nothing removed; add --older-than DURATION (such as 168h, or 0s for all) to remove the finished runs listed; %s kept\n", plural.Count(kept, "run"))
				return nil
			}
			fmt.Fprintf(s.Err, "partsync: %s removed, %s running or pending kept\n", plural.Count(removed, "run"), plural.Count(kept, "run"))
			return nil
		},
	}
}
