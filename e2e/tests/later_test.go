package tests

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/partsync/partsync/e2e/internal/harness"
)

// testWorkflowTemplateFromUI: the WorkflowTemplate `partsync template`
// prints is applied, then submitted the way the Argo UI does (a Workflow
// with workflowTemplateRef and the form's parameters). Its first step scans
// in the cluster and hands the partition count over an output parameter
// (read from a file by the node agent, as Argo's wait container does).
func testWorkflowTemplateFromUI(t *testing.T, s *suite) {
	ctx := context.Background()
	if !s.partsyncHas(t, "WorkflowTemplate", "template", "--help") {
		t.Skip("pending: this partsync has no `template` command")
	}
	if s.imageUser == 0 {
		t.Skip("the template's pods ask for runAsNonRoot, which an image without USER (" + envUser + "=0) cannot satisfy")
	}
	if err := s.stack.EnsureServiceAccount(ctx, serviceAccount); err != nil {
		t.Fatal(err)
	}
	_, vols := s.volumes(t, "src", "dst", "shared")
	makeTree(t, vols["src"].Local, 5, 8, 16<<10)
	const jobs, name = 2, "partsync-e2e-template"
	runs := filepath.Join(vols["shared"].Mount, "runs")
	argv := []string{"partsync", "template", "--name", name, "--namespace", namespace,
		"--service-account", serviceAccount, "--image", "partsync:e2e", "-d", runs,
		"-n", fmt.Sprint(jobs), "-f", "8", "--retries", "2", "--backoff", "1s"}
	argv = append(argv, pvcFlags(vols)...)
	argv = append(argv, vols["src"].Mount, vols["dst"].Mount)
	out := s.operatorRun(t, vols, argv...)
	objs := decodeAll(t, out)
	var tmpl *unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == "WorkflowTemplate" {
			tmpl = o
		}
	}
	if tmpl == nil {
		t.Fatalf("no WorkflowTemplate in partsync template's output:\n%s", out)
	}
	// The template's pods scan and copy as the image's non-root user
	// (runAsNonRoot): like an operator, give that user the volumes they
	// write (hostPath and NFS volumes ignore fsGroup).
	for _, v := range []string{"dst", "shared"} {
		if err := os.Chown(vols[v].Local, s.imageUser, s.imageUser); err != nil {
			t.Fatal(err)
		}
	}
	wtGVR := schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "workflowtemplates"}
	if _, err := s.stack.Dynamic.Resource(wtGVR).Namespace(namespace).Create(ctx, tmpl, metav1.CreateOptions{FieldValidation: "Strict"}); err != nil {
		t.Fatalf("the API server refused the WorkflowTemplate: %v", err)
	}
	s.runFromTemplate(t, name, vols, jobs)
}

// runFromTemplate submits the WorkflowTemplate name as the Argo UI's
// "Submit" does (a Workflow naming the template, with the form's source and
// destination), waits for it, and checks the run: Succeeded, one pod per
// partition, at most jobs at once, the destination equal to the source, the
// exit handler's outcome.json.
func (s *suite) runFromTemplate(t *testing.T, name string, vols map[string]volume, jobs int) {
	t.Helper()
	ctx := context.Background()
	// What the UI's "Submit" sends: a Workflow naming the template, with
	// the form's values.
	wf := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
		"metadata": map[string]any{"generateName": name + "-", "namespace": namespace,
			"labels": map[string]any{"workflows.argoproj.io/workflow-template": name}},
		"spec": map[string]any{
			"workflowTemplateRef": map[string]any{"name": name},
			"arguments": map[string]any{"parameters": []any{
				map[string]any{"name": "source", "value": vols["src"].Mount},
				map[string]any{"name": "destination", "value": vols["dst"].Mount},
			}},
		},
	}}
	created, err := s.stack.Dynamic.Resource(workflowGVR()).Namespace(namespace).Create(ctx, wf, metav1.CreateOptions{FieldValidation: "Strict"})
	if err != nil {
		t.Fatalf("submit from template: %v", err)
	}
	wfName := created.GetName()
	rec := s.recordPods(t, wfName)
	got := s.wait(t, wfName, waitTimeout, nil)
	s.mustSucceed(t, got)
	runDir := filepath.Join(vols["shared"].Local, "runs", wfName)
	parts := len(readPlan(t, filepath.Join(runDir, "plan.json")).Partitions)
	atts := s.checkOnePodPerPartition(t, got, rec, parts)
	checkParallelism(t, atts, jobs)
	sameFiles(t, treeFiles(t, vols["src"].Local), treeFiles(t, vols["dst"].Local))
	checkExitHandler(t, got)
	o := readOutcome(t, filepath.Join(runDir, "outcome.json"))
	if o.WorkflowStatus != "Succeeded" || !slices.Equal(o.Succeeded, seq(parts)) {
		t.Errorf("outcome.json = %+v, want Succeeded with all %d partitions", o, parts)
	}
	t.Logf("workflow %s from template %s: %d partitions scanned in the cluster and copied", wfName, name, parts)
}

func decodeAll(t *testing.T, data []byte) []*unstructured.Unstructured {
	t.Helper()
	objs, err := harness.DecodeYAMLBytes(data)
	if err != nil {
		t.Fatalf("decode YAML: %v\n%s", err, data)
	}
	return objs
}
