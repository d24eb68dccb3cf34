package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/partsync/partsync/generator/bytesize"
	"github.com/partsync/partsync/generator/local"
	"github.com/partsync/partsync/generator/mirror"
	"github.com/partsync/partsync/generator/plan"
	"github.com/partsync/partsync/generator/plural"
	"github.com/partsync/partsync/generator/prepare"
	"github.com/partsync/partsync/generator/tool"
)

// dryRunFlag is run's --dry-run.
func dryRunFlag() cli.Flag {
	return &cli.BoolFlag{Name: "dry-run", EnvVars: env("dry-run"),
		Usage: "scan and partition, then run each partition with the tool's own dry run: report what would be sent (files, bytes, per partition) in dryrun.json, writing nothing at DST and no status (docs/after-copy.md)"}
}

// dryRun prepares a plan marked as a dry run (never live: nothing may copy
// while the scan goes on) and runs each partition with the tool's dry run.
func dryRun(c *cli.Context, s Streams, req prepare.Request, o local.Options) error {
	if _, err := tool.Installed(req.Tool); err != nil {
		return err
	}
	req.DryRun = true
	p, err := prepare.Prepare(c.Context, req)
	if err != nil {
		return err
	}
	fmt.Fprintln(s.Err, scanLine(p))
	r, err := local.DryRun(c.Context, p, o)
	if r != nil {
		printDryRun(s.Err, p, r)
	}
	if p.Delete { // what the mirror would delete: DST's extras, listed, none deleted
		d, derr := mirror.Run(c.Context, p, mirror.Options{Jobs: o.Jobs, Env: o.Env, DryRun: true})
		printDelete(s.Err, d, p.Dir())
		err = errors.Join(err, derr)
	}
	return err
}

// dryRunExit is the exit of a finished dry run: ExitFailed when a
// partition's dry run failed.
func dryRunExit(r *plan.DryRunReport) error {
	if r.Failed > 0 {
		return &toolExit{code: ExitFailed, err: fmt.Errorf("dry run %s: the dry run of %s failed (dryrun.json)", r.RunID, plural.Count(r.Failed, "partition"))}
	}
	return nil
}

// printDryRun writes what a dry run found, one line per partition.
func printDryRun(w io.Writer, p *plan.Plan, r *plan.DryRunReport) {
	for _, e := range r.Partitions {
		if e.WouldSend == nil {
			fmt.Fprintf(w, "partsync: part %d: dry run FAILED, exit code %d: %s\n", e.Part, e.ExitCode, e.Error)
			continue
		}
		fmt.Fprintf(w, "partsync: part %d: would send %d of its %s, %s of %s\n", e.Part,
			e.WouldSend.Files, plural.Count(e.Listed.Files, "file"), bytesize.Format(e.WouldSend.Bytes), bytesize.Format(e.Listed.Bytes))
	}
	fmt.Fprintf(w, "partsync: dry run %s: would send %d of the %s listed, %s of %s, in %s (%d failed); nothing was written to %s; %s\n",
		r.RunID, r.WouldSend.Files, plural.Count(r.Listed.Files, "file"), bytesize.Format(r.WouldSend.Bytes), bytesize.Format(r.Listed.Bytes),
		plural.Count(p.Count(), "partition"), r.Failed, p.Destination, p.Dir().DryRunFile())
}
