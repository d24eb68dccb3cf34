package main

import (
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/urfave/cli/v2"

	"github.com/partsync/partsync/generator/bytesize"
	"github.com/partsync/partsync/generator/partition"
	"github.com/partsync/partsync/generator/plan"
	"github.com/partsync/partsync/generator/plural"
	"github.com/partsync/partsync/generator/prepare"
	"github.com/partsync/partsync/generator/workflow"
)

// sizingFlags choose how many partitions a run makes (generate and run).
func sizingFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "auto", EnvVars: env("auto"), Usage: fmt.Sprintf(
			"size the partitions from the scan: about %d × -n partitions (at most --max-partitions) of even estimated cost "+
				"(bytes + entries × --file-cost), largest first; -f/-s still bound each one when given", partition.PartsPerJob)},
		&cli.IntFlag{Name: "max-partitions", Value: partition.DefaultMaxPartitions, EnvVars: env("max-partitions"), Usage: "most partitions in one workflow; generate splits a larger run into a workflow of workflows " +
			"(a parent creating child workflows of at most this many, -n transfers at once in all); with --auto, the most partitions made"},
		&cli.StringFlag{Name: "file-cost", Value: "256K", EnvVars: env("file-cost"), Usage: "--auto: what one entry costs beyond its bytes, in bytes copied in the same time (per-file round trips)"},
		&cli.StringFlag{Name: "min-partition", Value: "1G", EnvVars: env("min-partition"), Usage: "--auto: no partition is aimed below this cost, so that a pod's start (seconds) stays small beside its work"},
	}
}

// autoOptions reads the sizing flags into r: with --auto, the Auto request
// and -f/-s as bounds only when given.
func autoOptions(c *cli.Context, r *prepare.Request) error {
	var errs []error
	if err := partition.CheckMaxPartitions(c.Int("max-partitions")); err != nil {
		errs = append(errs, err)
	}
	if !c.Bool("auto") {
		return errors.Join(errs...)
	}
	fileCost, err := bytesize.Parse(c.String("file-cost"))
	if err != nil {
		errs = append(errs, fmt.Errorf("%w: --file-cost: %w", ErrUsage, err))
	}
	minCost, err := bytesize.Parse(c.String("min-partition"))
	if err != nil {
		errs = append(errs, fmt.Errorf("%w: --min-partition: %w", ErrUsage, err))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	r.Auto = &partition.Auto{Jobs: c.Int("jobs"), MaxPartitions: c.Int("max-partitions"), FileCost: fileCost, MinCost: minCost}
	if !c.IsSet("files") {
		r.MaxFiles = math.MaxInt64
	}
	if !c.IsSet("size") {
		r.MaxBytes = math.MaxInt64
	}
	return nil
}

// printBalance reports how auto sizing cut the run.
func printBalance(w io.Writer, p *plan.Plan) {
	s := p.Sizing
	if s == nil {
		return
	}
	fmt.Fprintf(w, "partsync: auto sizing: %s (aimed %d, cap %d), cost %s each on average, the largest %s: max/mean %.2f (cost = bytes + entries × %s)\n",
		plural.Count(s.Balance.Partitions, "partition"), s.Aimed, s.MaxPartitions, bytesize.Format(int64(s.Balance.MeanCost)), bytesize.Format(s.Balance.MaxCost),
		s.Balance.Ratio, bytesize.Format(s.FileCost))
}

// printSplit reports the balance of an --auto run and the workflows a run
// beyond --max-partitions makes.
func printSplit(w io.Writer, p *plan.Plan, o workflow.Options) {
	printBalance(w, p)
	if n := o.Workflows(p); n > 1 {
		fmt.Fprintf(w, "partsync: %d partitions exceed --max-partitions %d: a parent workflow runs them in %d child workflows (%d at once, %d transfers at once in all); its service account needs to create and get workflows\n",
			p.Count(), o.MaxPartitions, n-1, workflow.ChildrenAtOnce, o.Jobs)
	}
}

// fewPartitionsNote explains a local run that made fewer partitions than
// -n workers: why (the tree fits the bounds) and how to get more; "" when
// every worker has a partition.
func fewPartitionsNote(p *plan.Plan, jobs int) string {
	n := p.Count()
	if n >= jobs || n == 0 {
		return ""
	}
	why := fmt.Sprintf("all %s (%s) fit within -f %d and -s %s per partition",
		plural.Count(p.Totals.Listed, "entry"), bytesize.Format(p.Totals.ListedBytes), p.MaxFiles, bytesize.Format(p.MaxBytes))
	more := "--auto (partitions sized for -n) or a smaller -f or -s"
	if s := p.Sizing; s != nil {
		why = fmt.Sprintf("--auto keeps each partition above --min-partition %s and the tree costs %s in all", bytesize.Format(s.MinCost), bytesize.Format(s.TotalCost))
		more = "a smaller --min-partition, -f or -s"
	}
	return fmt.Sprintf("partsync: -n %d but %s: %s, so %d of the workers stay idle; for more partitions give %s",
		jobs, plural.Count(n, "partition"), why, jobs-n, more)
}
