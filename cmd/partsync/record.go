package main

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/partsync/partsync/generator/plan"
	"github.com/partsync/partsync/generator/plural"
)

// recordCommand is the workflow's exit handler: it writes outcome.json.
func recordCommand(s Streams) *cli.Command {
	return &cli.Command{
		Name:   "record",
		Hidden: true, // pod-side: in docs/flags.md, not in the top-level list
		Usage:  "(the workflow's exit handler) write outcome.json: which partitions succeeded, failed or never finished",
		Flags: []cli.Flag{
			runDirFlag(),
			&cli.StringFlag{Name: "workflow-status", Usage: "Argo's {{workflow.status}}"},
			&cli.StringFlag{Name: "failures", Usage: "Argo's {{workflow.failures}} (JSON)"},
		},
		Action: func(c *cli.Context) error {
			dir := plan.Dir(c.String("run-dir"))
			p, err := plan.Load(dir)
			if err != nil {
				return err
			}
			pr, err := plan.ReadProgress(dir, p.Count())
			if err != nil {
				return err
			}
			o := &plan.Outcome{WorkflowStatus: c.String("workflow-status"), Progress: pr, RecordedAt: plan.Stamp(time.Now())}
			if f := c.String("failures"); json.Valid([]byte(f)) {
				o.ArgoFailures = json.RawMessage(f)
			}
			v, verified, err := plan.LoadVerify(dir)
			if err != nil {
				return err
			}
			if verified {
				o.Verify = v.Outcome(dir)
			}
			if o.Delete, _, err = plan.LoadDeletion(dir); err != nil {
				return err
			}
			if err := plan.SaveOutcome(dir, o); err != nil {
				return err
			}
			fmt.Fprintf(s.Out, "partsync: run %s %s: %s, %d succeeded, %d failed %v, %d without status %v\n",
				p.RunID, o.WorkflowStatus, plural.Count(pr.Partitions, "partition"), len(pr.Succeeded), len(pr.Failed), pr.Failed, len(pr.Missing), pr.Missing)
			if verified {
				printVerify(s.Out, p, v)
			}
			printDelete(s.Out, o.Delete, dir)
			return nil
		},
	}
}
