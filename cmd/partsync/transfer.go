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
			&cli.StringFlag{Name: "outputs-dir", Usage: "write the files and bytes the tool sent to DIR/" + transfer.SentFilesOutput + " and DIR/" + transfer.SentBytesOutput + " (Argo's output parameters, for the template metrics)"},
			&cli.StringFlag{Name: "progress-file", EnvVars: []string{"ARGO_PROGRESS_FILE"},
				Usage: "write the partition's files done and files there as N/M while the tool runs (Argo's executor sets ARGO_PROGRESS_FILE and reports it to the UI)"},
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
				ProgressFile: c.String("progress-file"),
			})
			if dir := c.String("outputs-dir"); dir != "" && st != nil {
				if oerr := transfer.WriteOutputs(dir, st); oerr != nil {
					fmt.Fprintf(s.Err, "partsync: part %d: %v\n", part, oerr) // the copy stands; Argo falls back to 0
				}
			}
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
