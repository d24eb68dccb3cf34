package workflow

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	fileutil "github.com/argoproj/argo-workflows/v3/util/file"
	"github.com/partsync/partsync/generator/plural"
)

// ErrInvalid is wrapped when a document fails Argo's validation.
var ErrInvalid = errors.New("invalid workflow")

// Document is one manifest file to lint: its name in messages (a path, or
// what the caller calls it) and its bytes.
type Document struct {
	Name string
	Data []byte
}

// ReadDocuments reads the manifest files of files as `argo lint` does:
// paths, directories (their .yaml, .yml and .json files, recursively), and
// "-" for stdin, named "stdin" (refused when stdin is nil).
func ReadDocuments(files []string, stdin io.Reader) ([]Document, error) {
	var docs []Document
	for _, f := range files {
		if f == "-" {
			if stdin == nil {
				return nil, errors.New("- (standard input) cannot be read here")
			}
			data, err := io.ReadAll(stdin)
			if err != nil {
				return nil, fmt.Errorf("read stdin: %w", err)
			}
			docs = append(docs, Document{Name: "stdin", Data: data})
			continue
		}
		err := fileutil.WalkManifests(f, func(path string, data []byte) error {
			docs = append(docs, Document{Name: path, Data: data})
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return docs, nil
}

// Lint is LintDocuments for the manifest files of files (paths or
// directories, read by ReadDocuments).
func Lint(ctx context.Context, files []string, namespace string, out io.Writer) error {
	if len(files) == 0 {
		return fmt.Errorf("%w: no files to lint; name one or more YAML files", ErrInvalid)
	}
	docs, err := ReadDocuments(files, nil)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, oneLine(err))
	}
	return lintAll(ctx, docs, strings.Join(files, ", "), namespace, out)
}

// LintDocuments validates every Workflow, WorkflowTemplate,
// ClusterWorkflowTemplate and CronWorkflow in docs with the code path of
// `argo lint --offline --strict` (argolint.go): unknown fields are errors,
// and templates referenced by name are resolved from the same documents.
// Each problem is written to out as "name: problem".
func LintDocuments(ctx context.Context, docs []Document, namespace string, out io.Writer) error {
	if len(docs) == 0 {
		return fmt.Errorf("%w: no YAML or JSON file to lint", ErrInvalid)
	}
	var names []string
	for _, d := range docs[:min(len(docs), 3)] {
		names = append(names, d.Name)
	}
	what := strings.Join(names, ", ")
	if n := len(docs) - len(names); n > 0 {
		what += fmt.Sprintf(" and %d more", n)
	}
	return lintAll(ctx, docs, what, namespace, out)
}

// lintAll validates docs; what names them in the error.
func lintAll(ctx context.Context, docs []Document, what, namespace string, out io.Writer) error {
	if namespace == "" {
		namespace = "default"
	}
	results, err := argoLintOffline(ctx, docs, namespace)
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
		return fmt.Errorf("%w: %s in %s", ErrInvalid, plural.Count(len(problems), "problem"), what)
	case !linted:
		return fmt.Errorf("%w: no Argo Workflow or template found in %s", ErrInvalid, what)
	}
	return nil
}

func oneLine(err error) string { return strings.ReplaceAll(strings.TrimSpace(err.Error()), "\n", "; ") }
