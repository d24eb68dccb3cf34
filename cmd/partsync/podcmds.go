package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/partsync/partsync/generator/plan"
	"github.com/partsync/partsync/generator/plural"
	"github.com/partsync/partsync/generator/transfer"
	"github.com/partsync/partsync/generator/workflow"
)

// lintCommand validates documents with Argo's offline validator.
func lintCommand(s Streams) *cli.Command {
	return &cli.Command{
		Name:      "lint",
		Usage:     "validate Workflows and WorkflowTemplates with Argo's own validator (argo lint --offline --strict); - reads stdin",
		ArgsUsage: "FILE|DIR|- ...",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "namespace", EnvVars: env("namespace"), Usage: "namespace of documents that name none"},
			outputFlag([]string{"o"}),
		},
		Action: func(c *cli.Context) error {
			files := c.Args().Slice()
			if len(files) == 0 {
				return fmt.Errorf("%w: lint needs one or more files, directories or -", ErrUsage)
			}
			format, err := outputFormat(c)
			if err != nil {
				return err
			}
			docs, err := lintDocuments(files, s.In)
			if err != nil {
				return err
			}
			read := len(docs)
			if format == "text" {
				if err := workflow.LintDocuments(c.Context, docs, c.String("namespace"), s.Err); err != nil {
					return err
				}
				fmt.Fprintf(s.Err, "partsync: %s pass Argo's validation\n", plural.Count(read, "file"))
				return nil
			}
			var problems strings.Builder // one line per problem, FILE: MESSAGE
			lerr := workflow.LintDocuments(c.Context, docs, c.String("namespace"), &problems)
			r := lintReport{Files: read, Valid: lerr == nil, Problems: nonBlank(strings.Split(problems.String(), "\n"))}
			switch {
			case lerr != nil && len(r.Problems) == 0:
				r.Problems = []string{lerr.Error()}
			case r.Problems == nil:
				r.Problems = []string{} // [] in JSON, not null
			}
			if err := printFormatted(s.Out, format, r, nil); err != nil {
				return fmt.Errorf("lint: %w", err)
			}
			return lerr
		},
	}
}

// lintReport is lint's -o json and -o yaml.
type lintReport struct {
	Files    int      `json:"files"` // files read
	Valid    bool     `json:"valid"`
	Problems []string `json:"problems"` // FILE: MESSAGE, as the text form prints them
}

// lintDocuments reads the files lint validates: each YAML or JSON file
// under a directory, as Argo's linter walks it, a file, and - (stdin). A
// name that does not exist is a usage error, not an invalid workflow.
func lintDocuments(args []string, stdin io.Reader) ([]workflow.Document, error) {
	for _, a := range args {
		if _, err := os.Stat(a); err != nil && a != "-" {
			return nil, fmt.Errorf("%w: lint %s: %v; give a YAML file, a directory of them, or - for stdin", ErrUsage, a, unwrapPathErr(err))
		}
	}
	docs, err := workflow.ReadDocuments(args, stdin)
	if err != nil {
		return nil, fmt.Errorf("lint: %w", err)
	}
	return docs, nil
}

// unwrapPathErr drops the operation and path of a *PathError: the message names the path.
func unwrapPathErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

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
			if err := plan.SaveOutcome(dir, o); err != nil {
				return err
			}
			fmt.Fprintf(s.Out, "partsync: run %s %s: %d partitions, %d succeeded, %d failed %v, %d without status %v\n",
				p.RunID, o.WorkflowStatus, pr.Partitions, len(pr.Succeeded), len(pr.Failed), pr.Failed, len(pr.Missing), pr.Missing)
			return nil
		},
	}
}
