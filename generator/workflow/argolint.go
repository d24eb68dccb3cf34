package workflow

import (
	"context"
	"fmt"

	wf "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow"
	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	"github.com/argoproj/argo-workflows/v3/workflow/common"
	"github.com/argoproj/argo-workflows/v3/workflow/templateresolution"
	"github.com/argoproj/argo-workflows/v3/workflow/validate"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// This file is `argo lint --offline --strict` without Argo's API client.
// Argo v3.7's cmd/argo/lint reaches its validator through pkg/apiclient,
// whose offline client only keeps the files' templates in memory and calls
// workflow/validate, but whose package also links the Argo server client,
// the workflow archive (SQLite, Postgres, MySQL) and the events stack: 40 of
// the 108 MB partsync was, paged in at every start. The functions below are
// the offline path of Argo v3.7.18 step by step (pkg/apiclient's
// offline-client.go and offline-*-client.go, cmd/argo/lint/lint.go's Lint
// and lintData): the same manifest walk, the same parser (strict for the
// linted documents, lax when collecting templates), the same template
// getters, the same validate calls with the same options, and the same
// object names in messages. TestLintSameAsArgo runs Argo's own code beside
// it, so an Argo upgrade that changes that path fails the test.

// lintResult is the outcome of one manifest file (Argo's lint.LintResult).
type lintResult struct {
	file   string
	errs   []error
	linted bool
}

// argoLintOffline lints every manifest file of docs as `argo lint
// --offline --strict` does and returns one result per file.
func argoLintOffline(ctx context.Context, docs []Document, defaultNamespace string) ([]lintResult, error) {
	getters, err := offlineTemplates(docs)
	if err != nil {
		return nil, err
	}
	results := make([]lintResult, 0, len(docs))
	for _, d := range docs {
		results = append(results, lintData(ctx, d.Name, d.Data, defaultNamespace, getters))
	}
	return results, nil
}

// lintData is Argo's cmd/argo/lint lintData with every kind selected and
// the offline service clients' Lint methods inlined.
func lintData(ctx context.Context, src string, data []byte, defaultNamespace string, g *offlineGetters) lintResult {
	res := lintResult{file: src}
	for i, pr := range common.ParseObjects(data, true) {
		obj, err := pr.Object, pr.Err
		if obj == nil {
			continue // not a Kubernetes object
		}
		namespace := obj.GetNamespace()
		if namespace == "" {
			namespace = defaultNamespace
		}
		var objName string
		switch v := obj.(type) {
		case *wfv1.ClusterWorkflowTemplate:
			objName = objectName(wf.ClusterWorkflowTemplateKind, v, i)
			res.linted = true
			if err == nil {
				err = validate.ValidateClusterWorkflowTemplate(nil, g.cluster, v, nil, validate.ValidateOpts{Lint: true})
			}
		case *wfv1.CronWorkflow:
			objName = objectName(wf.CronWorkflowKind, v, i)
			res.linted = true
			if err == nil {
				err = validate.ValidateCronWorkflow(ctx, g.namespaced(namespace), g.cluster, v, nil)
			}
		case *wfv1.Workflow:
			objName = objectName(wf.WorkflowKind, v, i)
			res.linted = true
			if err == nil {
				err = validate.ValidateWorkflow(g.namespaced(namespace), g.cluster, v, nil, validate.ValidateOpts{Lint: true})
			}
		case *wfv1.WorkflowTemplate:
			objName = objectName(wf.WorkflowTemplateKind, v, i)
			res.linted = true
			if err == nil {
				err = validate.ValidateWorkflowTemplate(g.namespaced(namespace), g.cluster, v, nil, validate.ValidateOpts{Lint: true})
			}
		default:
			continue // WorkflowEventBinding and other kinds are not linted
		}
		if err != nil {
			res.errs = append(res.errs, fmt.Errorf("in %s: %w", objName, err))
		}
	}
	return res
}

// objectName is Argo's getObjectName: `"name" (Kind)`.
func objectName(kind string, obj metav1.Object, index int) string {
	name := obj.GetName()
	switch {
	case name != "":
	case obj.GetGenerateName() != "":
		name = obj.GetGenerateName()
	default:
		name = fmt.Sprintf("object #%d", index+1)
	}
	return fmt.Sprintf(`"%s" (%s)`, name, kind)
}

// offlineGetters hold the WorkflowTemplates (by their own namespace, as
// written in the file, possibly empty) and ClusterWorkflowTemplates of the
// linted files, as Argo's offline client does.
type offlineGetters struct {
	templates map[string]map[string]*wfv1.WorkflowTemplate
	cluster   clusterTemplates
}

// offlineTemplates collects the templates of docs, refusing duplicates and
// documents that do not parse (Argo's newOfflineClient).
func offlineTemplates(docs []Document) (*offlineGetters, error) {
	g := &offlineGetters{templates: map[string]map[string]*wfv1.WorkflowTemplate{}, cluster: clusterTemplates{}}
	for _, d := range docs {
		if err := g.collect(d.Name, d.Data); err != nil {
			return nil, err
		}
	}
	return g, nil
}

// collect adds the templates of the manifest file path.
func (g *offlineGetters) collect(path string, data []byte) error {
	for _, pr := range common.ParseObjects(data, false) {
		obj, err := pr.Object, pr.Err
		if err != nil {
			return fmt.Errorf("failed to parse YAML from file %s: %w", path, err)
		}
		if obj == nil {
			continue
		}
		name := obj.GetName()
		switch v := obj.(type) {
		case *wfv1.ClusterWorkflowTemplate:
			if _, ok := g.cluster[name]; ok {
				return fmt.Errorf("duplicate ClusterWorkflowTemplate found: %q", name)
			}
			g.cluster[name] = v
		case *wfv1.WorkflowTemplate:
			ns := g.templates[obj.GetNamespace()]
			if ns == nil {
				ns = map[string]*wfv1.WorkflowTemplate{}
				g.templates[obj.GetNamespace()] = ns
			}
			if _, ok := ns[name]; ok {
				return fmt.Errorf("duplicate WorkflowTemplate found: %q", name)
			}
			ns[name] = v
		}
	}
	return nil
}

// namespaced is the WorkflowTemplate getter of one namespace. It also finds
// the WorkflowTemplates that name no namespace: one goes to whichever
// namespace it is applied to (kubectl apply -n, argo template create -n),
// as partsync's templates/ do, so a Workflow of any namespace may refer to
// it. Here alone partsync's lint differs from `argo lint --offline`, which
// would refuse the documented `partsync lint examples/workflows templates`
// (examples in namespace argo, templates in none).
func (g *offlineGetters) namespaced(namespace string) templateresolution.WorkflowTemplateNamespacedGetter {
	return namespacedTemplates{namespace: namespace, templates: g.templates[namespace], anywhere: g.templates[""]}
}

type namespacedTemplates struct {
	namespace string
	templates map[string]*wfv1.WorkflowTemplate
	anywhere  map[string]*wfv1.WorkflowTemplate // those without a namespace
}

func (n namespacedTemplates) Get(name string) (*wfv1.WorkflowTemplate, error) {
	if v, ok := n.templates[name]; ok {
		return v, nil
	}
	if v, ok := n.anywhere[name]; ok {
		return v, nil
	}
	return nil, fmt.Errorf("couldn't find workflow template %q in namespace %q", name, n.namespace)
}

type clusterTemplates map[string]*wfv1.ClusterWorkflowTemplate

func (c clusterTemplates) Get(name string) (*wfv1.ClusterWorkflowTemplate, error) {
	if v, ok := c[name]; ok {
		return v, nil
	}
	return nil, fmt.Errorf("couldn't find cluster workflow template %q", name)
}
