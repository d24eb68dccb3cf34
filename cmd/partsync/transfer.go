package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/partsync/partsync/generator/plan"
	"github.com/partsync/partsync/generator/plural"
	"github.com/partsync/partsync/generator/transfer"
)

// transferCommand is what a workflow pod runs: one attempt at one partition.
func transferCommand(s Streams) *cli.Command {
	return &cli.Command{
		Name:      "transfer",
		Usage:     "(in a workflow pod) run one partition's tool argv, the one plan.json gives (an argv after -- must be that one), record status/<N>.json, exit with the tool's code",
		ArgsUsage: "[-- TOOL ARGV...]",
		Hidden:    true, // pod-side: in docs/flags.md, not in the top-level list
		Flags: []cli.Flag{
			runDirFlag(),
			&cli.StringFlag{Name: "part", Required: true, Usage: "partition index"},
			attemptFlag(),
		},
		Action: func(c *cli.Context) error {
			dir := plan.Dir(c.String("run-dir"))
			p, err := plan.Load(dir)
			if err != nil {
				return err
			}
			part, err := transfer.ParseIndex(c.String("part"))
			if err != nil {
				return fmt.Errorf("%w: --part: %v", ErrUsage, err)
			}
			// The argv always comes from plan.json; one given after -- (a
			// generated workflow's) must be the same.
			argv, err := transfer.PlannedArgv(p, part, c.Args().Slice())
			if err != nil {
				return err
			}
			fmt.Fprintf(s.Err, "partsync: part %d attempt %d: %q\n", part, c.Int("attempt")+1, argv)
			st, err := transfer.Run(c.Context, p, transfer.Spec{
				Dir: dir, Part: part, Attempt: c.Int("attempt"), Argv: argv, Executor: "pod", Output: s.Err,
			})
			if err != nil {
				return withToolCode(st, err)
			}
			fmt.Fprintf(s.Err, "partsync: part %d ok: %s, %s in %.1fs\n", part, plural.Count(st.Files, "file"), plural.Count(st.Bytes, "byte"), st.Seconds)
			if st.Warning != "" {
				fmt.Fprintf(s.Err, "partsync: part %d warning: %s\n", part, st.Warning)
			}
			return nil
		},
	}
}
