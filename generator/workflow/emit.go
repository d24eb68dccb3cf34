package workflow

import (
	"context"
	"fmt"
	"io"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"

	"github.com/partsync/partsync/generator/plan"
)

// Emitted is what Emit wrote for a run.
type Emitted struct {
	Workflow *wfv1.Workflow
	// Doc is the workflow's YAML, as written to workflow.yaml.
	Doc []byte
	// Child is the first child's YAML of a run split into a workflow of
	// workflows, as the parent creates it, written to workflow-child.yaml;
	// nil when the run is one workflow.
	Child []byte
}

// Emit builds the workflow of run p, writes it to the run directory
// (workflow.yaml) with the first child of a split run (workflow-child.yaml),
// and lints both with Argo's validator, writing problems to lintOut. A
// document that fails is partsync's bug, and the error says so.
func Emit(ctx context.Context, p *plan.Plan, o Options, lintOut io.Writer) (Emitted, error) {
	wf, err := Build(p, o)
	if err != nil {
		return Emitted{}, err
	}
	e := Emitted{Workflow: wf}
	if e.Doc, err = Marshal(wf); err != nil {
		return Emitted{}, err
	}
	docs := []Document{{Name: p.Dir().WorkflowFile(), Data: e.Doc}}
	if o.Workflows(p) > 1 {
		child, err := BuildChild(p, o, wf.Name, 0)
		if err != nil {
			return Emitted{}, err
		}
		if e.Child, err = Marshal(child); err != nil {
			return Emitted{}, err
		}
		docs = append(docs, Document{Name: p.Dir().ChildWorkflowFile(), Data: e.Child})
	}
	for _, d := range docs {
		if err := plan.WriteFileAtomic(d.Name, d.Data); err != nil {
			return Emitted{}, err
		}
	}
	if err := LintDocuments(ctx, docs, o.Namespace, lintOut); err != nil {
		return Emitted{}, fmt.Errorf("internal error, the generated workflow fails Argo's validation (please report it): %w", err)
	}
	return e, nil
}

// EmitTemplate builds the WorkflowTemplate (or ClusterWorkflowTemplate)
// of o and t, lints it with Argo's validator, writing problems to lintOut,
// and returns its YAML.
func EmitTemplate(ctx context.Context, o Options, t TemplateOptions, lintOut io.Writer) ([]byte, error) {
	obj, err := BuildTemplate(o, t)
	if err != nil {
		return nil, err
	}
	doc, err := Marshal(obj)
	if err != nil {
		return nil, err
	}
	if err := LintDocuments(ctx, []Document{{Name: t.Name + ".yaml", Data: doc}}, o.Namespace, lintOut); err != nil {
		return nil, fmt.Errorf("internal error, the WorkflowTemplate fails Argo's validation (please report it): %w", err)
	}
	return doc, nil
}
