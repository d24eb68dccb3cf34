package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/partsync/partsync/generator/plural"
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
