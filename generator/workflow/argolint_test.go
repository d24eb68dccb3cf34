package workflow

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/argoproj/argo-workflows/v3/cmd/argo/lint"
	"github.com/argoproj/argo-workflows/v3/pkg/apiclient"
)

// argoReference lints files with Argo's own `argo lint --offline --strict`
// code (cmd/argo/lint through pkg/apiclient's offline client), which only
// this test links, and returns "file: problem" lines, whether anything was
// linted, and the error of the whole run.
func argoReference(t *testing.T, files []string, namespace string) ([]string, bool, error) {
	t.Helper()
	ctx, client, err := apiclient.NewClientFromOpts(apiclient.Opts{Offline: true, OfflineFiles: files, Context: context.Background()})
	if err != nil {
		return nil, false, err
	}
	clients := lint.ServiceClients{WorkflowsClient: client.NewWorkflowServiceClient()}
	if clients.WorkflowTemplatesClient, err = client.NewWorkflowTemplateServiceClient(); err != nil {
		t.Fatal(err)
	}
	if clients.ClusterWorkflowTemplateClient, err = client.NewClusterWorkflowTemplateServiceClient(); err != nil {
		t.Fatal(err)
	}
	if clients.CronWorkflowsClient, err = client.NewCronWorkflowServiceClient(); err != nil {
		t.Fatal(err)
	}
	res, err := lint.Lint(ctx, &lint.LintOptions{Files: files, Strict: true, DefaultNamespace: namespace, ServiceClients: clients})
	if err != nil {
		return nil, false, err
	}
	var lines []string
	linted := false
	for _, r := range res.Results {
		linted = linted || r.Linted
		for _, e := range r.Errs {
			lines = append(lines, r.File+": "+e.Error())
		}
	}
	return lines, linted, nil
}

// ours is the same through argoLintOffline.
func ours(t *testing.T, files []string, namespace string) ([]string, bool, error) {
	t.Helper()
	docs, err := ReadDocuments(files, nil)
	if err != nil {
		return nil, false, err
	}
	res, err := argoLintOffline(context.Background(), docs, namespace)
	if err != nil {
		return nil, false, err
	}
	var lines []string
	linted := false
	for _, r := range res {
		linted = linted || r.linted
		for _, e := range r.errs {
			lines = append(lines, r.file+": "+e.Error())
		}
	}
	return lines, linted, nil
}

// TestLintSameAsArgo: partsync's offline lint (argolint.go, without Argo's
// API client) gives exactly what Argo's own `argo lint --offline --strict`
// code gives — the same problems with the same messages, the same "linted"
// verdict, the same refusal of a whole run — for the shipped templates and
// examples and for documents made to fail in each way the validator knows.
func TestLintSameAsArgo(t *testing.T) {
	wf, err := Build(testPlan("rsync", "/mnt/dst/x", 3), baseOptions())
	if err != nil {
		t.Fatal(err)
	}
	good, err := Marshal(wf)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name, doc string) string {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		return f
	}
	wft := `apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata:
  name: shared
spec:
  entrypoint: main
  templates:
  - name: main
    container: {image: busybox, command: [true]}
`
	wftNS := strings.Replace(wft, "name: shared", "name: shared\n  namespace: default", 1)
	ref := `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: ref-
spec:
  workflowTemplateRef: {name: shared}
`
	cwft := strings.Replace(strings.Replace(wft, "kind: WorkflowTemplate", "kind: ClusterWorkflowTemplate", 1), "name: shared", "name: cshared", 1)
	cref := strings.Replace(ref, "{name: shared}", "{name: cshared, clusterScope: true}", 1)
	cron := `apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata:
  name: nightly
spec:
  schedules: ["0 1 * * *"]
  workflowSpec:
    entrypoint: main
    templates:
    - name: main
      container: {image: busybox}
`
	cases := map[string][]string{
		"generated":        {write("good.yaml", string(good))},
		"unknown field":    {write("unknown.yaml", strings.Replace(string(good), "parallelism:", "parallelismm:", 1))},
		"missing template": {write("missing.yaml", strings.Replace(string(good), "template: transfer", "template: nope", 1))},
		"bad entrypoint":   {write("entry.yaml", strings.Replace(string(good), "entrypoint: main", "entrypoint: absent", 1))},
		"no document":      {write("text.yaml", "just: text\n")},
		"configmap only":   {write("cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")},
		"not yaml":         {write("broken.yaml", "kind: Workflow\napiVersion: argoproj.io/v1alpha1\nspec: [\n")},
		"ref resolved, template without namespace": {write("wft.yaml", wft), write("ref.yaml", ref)},
		"ref resolved, template in default":        {write("wftns.yaml", wftNS), write("ref2.yaml", ref)},
		"ref not found":                            {write("ref3.yaml", ref)},
		"cluster template ref":                     {write("cwft.yaml", cwft), write("cref.yaml", cref)},
		"duplicate template":                       {write("dup1.yaml", wftNS), write("dup2.yaml", wftNS)},
		"many documents":                           {write("multi.yaml", wftNS+"---\n"+ref+"---\n"+cron+"---\n"+strings.Replace(string(good), "entrypoint: main", "entrypoint: absent", 1))},
		"cron":                                     {write("cron.yaml", cron)},
		"bad cron":                                 {write("badcron.yaml", strings.Replace(cron, `"0 1 * * *"`, `"every day"`, 1))},
		"shipped templates":                        {"../../templates"},
		"examples":                                 {"../../examples"},
		"a directory":                              {dir},
	}
	for name, files := range cases {
		for _, ns := range []string{"default", "argo"} {
			want, wantLinted, wantErr := argoReference(t, files, ns)
			got, gotLinted, gotErr := ours(t, files, ns)
			if (wantErr == nil) != (gotErr == nil) || (wantErr != nil && wantErr.Error() != gotErr.Error()) {
				t.Errorf("%s (namespace %s): error %v; Argo's: %v", name, ns, gotErr, wantErr)
			}
			if gotLinted != wantLinted || strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("%s (namespace %s): linted %v, problems\n%s\nArgo's: linted %v, problems\n%s", name, ns, gotLinted, strings.Join(got, "\n"), wantLinted, strings.Join(want, "\n"))
			}
		}
	}
	// The one deliberate difference (argolint.go's namespaced): a Workflow
	// of namespace argo refers to a WorkflowTemplate that names no
	// namespace, as the examples refer to templates/. Argo's offline lint
	// cannot find it; partsync's finds it, as the cluster will once the
	// template is applied to the Workflow's namespace.
	shipped := []string{"../../examples/workflows", "../../templates"}
	want, _, wantErr := argoReference(t, shipped, "default")
	got, linted, gotErr := ours(t, shipped, "default")
	if wantErr != nil || len(want) == 0 || !strings.Contains(strings.Join(want, "\n"), `couldn't find workflow template "partsync" in namespace "argo"`) {
		t.Errorf("Argo's offline lint of the examples with the templates: %v, %q; the difference this test documents is gone", wantErr, want)
	}
	if gotErr != nil || len(got) > 0 || !linted {
		t.Errorf("partsync's lint of the examples with the templates: %v, %q", gotErr, got)
	}

	// The cases are not all alike: some pass, some fail, some fail as a whole.
	var passed, failed, refused int
	for _, files := range cases {
		got, linted, err := ours(t, files, "default")
		switch {
		case err != nil:
			refused++
		case len(got) > 0 || !linted:
			failed++
		default:
			passed++
		}
	}
	if passed < 3 || failed < 5 || refused < 2 {
		t.Errorf("the cases do not cover each outcome: %d pass, %d fail, %d refused", passed, failed, refused)
	}
}
