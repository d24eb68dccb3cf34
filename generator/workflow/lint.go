package workflow

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/argoproj/argo-workflows/v3/cmd/argo/lint"
	"github.com/argoproj/argo-workflows/v3/pkg/apiclient"
)

// ErrInvalid is wrapped when a document fails Argo's validation.
var ErrInvalid = errors.New("invalid workflow")

// Lint validates every Workflow, WorkflowTemplate, ClusterWorkflowTemplate
// and CronWorkflow in files (paths or directories; "-" is standard input)
// with the code path of `argo lint --offline --strict`: unknown fields are
// errors, and templates referenced by name are resolved from the same files.
// Each problem is written to out as "file: problem".
func Lint(ctx context.Context, files []string, namespace string, out io.Writer) error {
	if len(files) == 0 {
		return fmt.Errorf("%w: no files to lint; name one or more YAML files", ErrInvalid)
	}
	ctx, client, err := apiclient.NewClientFromOpts(apiclient.Opts{Offline: true, OfflineFiles: files, Context: ctx})
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, oneLine(err))
	}
	clients := lint.ServiceClients{WorkflowsClient: client.NewWorkflowServiceClient()}
	if clients.WorkflowTemplatesClient, err = client.NewWorkflowTemplateServiceClient(); err != nil {
		return fmt.Errorf("lint: %w", err)
	}
	if clients.ClusterWorkflowTemplateClient, err = client.NewClusterWorkflowTemplateServiceClient(); err != nil {
		return fmt.Errorf("lint: %w", err)
	}
	if clients.CronWorkflowsClient, err = client.NewCronWorkflowServiceClient(); err != nil {
		return fmt.Errorf("lint: %w", err)
	}
	if namespace == "" {
		namespace = "default"
	}
	res, err := lint.Lint(ctx, &lint.LintOptions{
		Files:            files,
		Strict:           true,
		DefaultNamespace: namespace,
		ServiceClients:   clients,
	})
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, oneLine(err))
	}
	var problems []error
	linted := false
	for _, r := range res.Results {
		linted = linted || r.Linted
		for _, e := range r.Errs {
			problems = append(problems, fmt.Errorf("%s: %s", r.File, oneLine(e)))
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
