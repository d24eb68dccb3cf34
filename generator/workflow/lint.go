package workflow

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ErrInvalid is wrapped when a document fails Argo's validation.
var ErrInvalid = errors.New("invalid workflow")

// Lint validates every Workflow, WorkflowTemplate, ClusterWorkflowTemplate
// and CronWorkflow in files (paths or directories; "-" is standard input)
// with the code path of `argo lint --offline --strict` (argolint.go): unknown fields are
// errors, and templates referenced by name are resolved from the same files.
// Each problem is written to out as "file: problem".
func Lint(ctx context.Context, files []string, namespace string, out io.Writer) error {
	if len(files) == 0 {
		return fmt.Errorf("%w: no files to lint; name one or more YAML files", ErrInvalid)
	}
	if namespace == "" {
		namespace = "default"
	}
	results, err := argoLintOffline(ctx, files, namespace)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, oneLine(err))
	}
	var problems []error
	linted := false
	for _, r := range results {
		linted = linted || r.linted
		for _, e := range r.errs {
			problems = append(problems, fmt.Errorf("%s: %s", r.file, oneLine(e)))
		}
	}
	for _, p := range problems {
		if _, err := fmt.Fprintln(out, p); err != nil {
			return fmt.Errorf("lint: %w", err)
		}
	}
	switch {
	case len(problems) > 0:
		return fmt.Errorf("%w: %d problem(s) in %s", ErrInvalid, len(problems), strings.Join(files, ", "))
	case !linted:
		return fmt.Errorf("%w: no Argo Workflow or template found in %s", ErrInvalid, strings.Join(files, ", "))
	}
	return nil
}

func oneLine(err error) string { return strings.ReplaceAll(strings.TrimSpace(err.Error()), "\n", "; ") }
