package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/partsync/partsync/generator/plan"
	"github.com/partsync/partsync/generator/workflow"
)

// Summary is what `generate --summary-json` writes for CI: what the run
// holds and where everything is. The same tree, flags and run id give the
// same summary; it holds no time.
type Summary struct {
	Version      string `json:"partsync_version"`
	RunID        string `json:"run_id"`
	Workflow     string `json:"workflow"`            // metadata.name of the emitted Workflow
	Namespace    string `json:"namespace,omitempty"` // --namespace, if given
	Output       string `json:"output"`              // where the YAML went: a file, or - for stdout
	RunDir       string `json:"run_dir"`
	PlanFile     string `json:"plan"`
	WorkflowFile string `json:"workflow_file"` // the copy in the run directory
	SkippedFile  string `json:"skipped_file"`
	Source       string `json:"source"`
	Destination  string `json:"destination"`
	Tool         string `json:"tool"`
	Partitions   int    `json:"partitions"`
	Entries      int64  `json:"entries"` // lines in the part files: files, directories, symlinks
	Files        int64  `json:"files"`   // regular files among them
	Bytes        int64  `json:"bytes"`   // their bytes: what the run copies
	Skipped      int64  `json:"skipped"` // entries in no partition, with the reason in skipped_file
	SkippedBytes int64  `json:"skipped_bytes"`
	Excluded     int64  `json:"excluded"` // entries matched by -x
	Scanned      int64  `json:"scanned"`  // every entry the scan visited
	// Workflows is the parent and its children when the run exceeds
	// --max-partitions; absent for one workflow.
	Workflows int `json:"workflows,omitempty"`
	// Children are the child workflows' partition ranges, [] for one
	// workflow: the WorkflowTemplate creates the children from them.
	Children []workflow.Range `json:"children"`
	Sizing   *plan.Sizing     `json:"sizing,omitempty"` // --auto: the cost model and the balance
}

// summaryFlag is generate's --summary-json.
func summaryFlag() cli.Flag {
	return &cli.StringFlag{Name: "summary-json", EnvVars: env("summary-json"),
		Usage: "write a JSON summary (run id, workflow name, partitions, files, bytes, skipped, excluded, run dir) to this file; - prints it on standard output, when --output-file takes the YAML"}
}

// checkSummaryFlag refuses a summary on standard output that would mix with the YAML.
func checkSummaryFlag(c *cli.Context) error {
	if c.String("summary-json") == "-" && c.String("output-file") == "" {
		return fmt.Errorf("%w: --summary-json - prints the summary on standard output, where the workflow YAML goes too: add --output-file FILE for the YAML", ErrUsage)
	}
	return nil
}

// summarize describes run p as generate emits it.
func summarize(p *plan.Plan, o workflow.Options, output string) Summary {
	if output == "" {
		output = "-"
	}
	s := Summary{
		Version: version, RunID: p.RunID, Workflow: workflow.WorkflowName(p.RunID), Namespace: o.Namespace, Output: output,
		RunDir: p.RunDir, PlanFile: p.Dir().PlanFile(), WorkflowFile: p.Dir().WorkflowFile(), SkippedFile: p.Dir().SkippedFile(),
		Source: p.Source, Destination: p.Destination, Tool: p.Tool, Partitions: p.Count(),
		Entries: p.Totals.Listed, Bytes: p.Totals.ListedBytes,
		Skipped: p.Totals.Skipped, SkippedBytes: p.Totals.SkippedBytes, Excluded: p.Totals.Excluded, Scanned: p.Totals.Entries,
	}
	for _, part := range p.Partitions {
		s.Files += part.Files
	}
	if n := o.Workflows(p); n > 1 {
		s.Workflows = n
	}
	s.Children = o.Children(p)
	s.Sizing = p.Sizing
	return s
}

// summaryJSON encodes a summary, one field a line.
func summaryJSON(s Summary) ([]byte, error) {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode summary: %w", err)
	}
	return append(data, '\n'), nil
}

// emitWithSummary runs emit and writes the summary --summary-json asks for:
// a file before emit, so that nothing is printed for a run whose summary
// cannot be written, and standard output after the YAML went to --output-file.
// When anything fails, the summary file is removed again.
func emitWithSummary(c *cli.Context, s Streams, p *plan.Plan, o workflow.Options, emit func() error) error {
	dest := c.String("summary-json")
	if dest == "" {
		return emit()
	}
	data, err := summaryJSON(summarize(p, o, c.String("output-file")))
	if err != nil {
		return err
	}
	if dest == "-" {
		if err := emit(); err != nil {
			return err
		}
		_, err = s.Out.Write(data)
		return err
	}
	if err := plan.WriteFileAtomic(dest, data); err != nil {
		return fmt.Errorf("--summary-json: %w", err)
	}
	if err := emit(); err != nil {
		if rerr := os.Remove(dest); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
			return errors.Join(err, rerr)
		}
		return err
	}
	return nil
}
