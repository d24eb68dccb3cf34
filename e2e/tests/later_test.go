package tests

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/partsync/partsync/e2e/internal/harness"
	runplan "github.com/partsync/partsync/generator/plan"
	"github.com/partsync/partsync/generator/testtree"
)

// testWorkflowTemplateFromUI: the WorkflowTemplate `partsync template`
// prints is applied, then submitted the way the Argo UI does (a Workflow
// with workflowTemplateRef and the form's parameters). Its first step scans
// in the cluster and hands the partition count over an output parameter
// (read from a file by the node agent, as Argo's wait container does).
func testWorkflowTemplateFromUI(t *testing.T, s *suite) {
	if !s.partsyncHas(t, "WorkflowTemplate", "template", "--help") {
		t.Skip("pending: this partsync has no `template` command")
	}
	s.needTemplatePods(t)
	_, vols := s.volumes(t, "src", "dst", "shared")
	makeTree(t, vols["src"].Local, 5, 8, 16<<10)
	const jobs, name = 2, "partsync-e2e-template"
	// --verify: the form's verify defaults to size-mtime, so the run ends
	// with a verify pod per partition and their sum.
	tmpl := s.templateFromPartsync(t, vols, vols["src"].Mount, vols["dst"].Mount, append(s.templateFlags(name, vols, jobs), "--verify")...)
	// The template's pods scan and copy as the image's non-root user
	// (runAsNonRoot): like an operator, give that user the volumes they
	// write (hostPath and NFS volumes ignore fsGroup).
	for _, v := range []string{"dst", "shared"} {
		if err := os.Chown(vols[v].Local, s.imageUser, s.imageUser); err != nil {
			t.Fatal(err)
		}
	}
	s.createTemplate(t, tmpl)
	runDir := runplan.Dir(s.runFromTemplate(t, name, vols, vols["dst"].Mount, jobs))
	sameFiles(t, testtree.Files(t, vols["src"].Local), testtree.Files(t, vols["dst"].Local))
	p, err := runplan.Load(runDir)
	if err != nil {
		t.Fatal(err)
	}
	for i := range p.Count() { // written by the verify pod of partition i
		if v, ok, err := runplan.LoadVerifyPart(runDir, i); err != nil || !ok || v.Checked == 0 {
			t.Errorf("verify/%d.json: %+v, %v, %v; want the form's verify pod's comparison", i, v, ok, err)
		}
	}
	v, ok, err := runplan.LoadVerify(runDir)
	if err != nil || !ok || v.Checksum || v.Mismatches() != 0 || v.Checked < int64(p.Totals.Files) {
		t.Errorf("verify.json: %+v, %v, %v; want size and mtime compared for every file, no mismatch", v, ok, err)
	}
}

// templateFromPartsync runs `partsync template` with argv's flags (the
// volumes' --pvc flags, SRC and DST appended) and returns its
// WorkflowTemplate.
func (s *suite) templateFromPartsync(t *testing.T, vols map[string]volume, src, dst string, argv ...string) *unstructured.Unstructured {
	t.Helper()
	argv = append(argv, pvcFlags(vols)...)
	argv = append(argv, src, dst)
	out := s.operatorRun(t, vols, argv...)
	for _, o := range decodeAll(t, out) {
		if o.GetKind() == "WorkflowTemplate" {
			return o
		}
	}
	t.Fatalf("no WorkflowTemplate in partsync template's output:\n%s", out)
	return nil
}

// createTemplate applies a WorkflowTemplate as printed (strict field
// validation), after the deliberate breakage if one is asked for.
func (s *suite) createTemplate(t *testing.T, tmpl *unstructured.Unstructured) {
	t.Helper()
	if b := os.Getenv(envBreak); b != "" {
		breakWorkflow(t, tmpl, b)
	}
	wtGVR := schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "workflowtemplates"}
	if _, err := s.stack.Dynamic.Resource(wtGVR).Namespace(s.ns).Create(context.Background(), tmpl, metav1.CreateOptions{FieldValidation: "Strict"}); err != nil {
		t.Fatalf("the API server refused the WorkflowTemplate: %v", err)
	}
}

// templateFlags are the flags of `partsync template` every template
// scenario gives: name, namespace, service account, run directories on the
// shared volume, -n jobs, small partitions, quick retries.
func (s *suite) templateFlags(name string, vols map[string]volume, jobs int) []string {
	return []string{"partsync", "template", "--name", name, "--namespace", s.ns,
		"--service-account", serviceAccount, "--image", "partsync:e2e", "-d", filepath.Join(vols["shared"].Mount, "runs"),
		"-n", fmt.Sprint(jobs), "-f", "8", "--retries", "2", "--backoff", "1s"}
}

// runFromTemplate submits the WorkflowTemplate name as the Argo UI's
// "Submit" does (a Workflow naming the template, with the form's source and
// destination dst), waits for it, and checks the run: Succeeded, one pod
// per partition, at most jobs at once, the exit handler's outcome.json. It
// returns the run directory (on the host); the caller compares the bytes.
func (s *suite) runFromTemplate(t *testing.T, name string, vols map[string]volume, dst string, jobs int) string {
	t.Helper()
	wfName := s.submitFromTemplate(t, name, vols["src"].Mount, dst)
	rec := s.recordPods(t, wfName)
	got := s.wait(t, wfName, waitTimeout, nil)
	s.mustSucceed(t, got)
	runDir := filepath.Join(vols["shared"].Local, "runs", wfName)
	parts := len(readPlan(t, filepath.Join(runDir, "plan.json")).Partitions)
	atts := s.checkOnePodPerPartition(t, got, rec, parts)
	checkParallelism(t, atts, jobs)
	checkExitHandler(t, got)
	o := readOutcome(t, filepath.Join(runDir, "outcome.json"))
	if o.WorkflowStatus != "Succeeded" || !slices.Equal(o.Succeeded, seq(parts)) {
		t.Errorf("outcome.json = %+v, want Succeeded with all %d partitions", o, parts)
	}
	t.Logf("workflow %s from template %s: %d partitions scanned in the cluster and copied", wfName, name, parts)
	return runDir
}

// submitFromTemplate submits the WorkflowTemplate name as the Argo UI's
// "Submit" does: a Workflow naming the template, with the form's source and
// destination. It returns the Workflow's name.
func (s *suite) submitFromTemplate(t *testing.T, name, src, dst string) string {
	t.Helper()
	wf := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
		"metadata": map[string]any{"generateName": name + "-", "namespace": s.ns,
			"labels": map[string]any{"workflows.argoproj.io/workflow-template": name}},
		"spec": map[string]any{
			"workflowTemplateRef": map[string]any{"name": name},
			"arguments": map[string]any{"parameters": []any{
				map[string]any{"name": "source", "value": src},
				map[string]any{"name": "destination", "value": dst},
			}},
		},
	}}
	ctx := context.Background()
	// The controller reads templates through its informer, which can lag
	// the API server for a moment after the template was created (seen when
	// a template scenario is the first after the stack starts): a workflow
	// submitted then ends at once in Error "… not found". Submit again then,
	// as a person would.
	for try := 1; ; try++ {
		created, err := s.stack.Dynamic.Resource(workflowGVR()).Namespace(s.ns).Create(ctx, wf, metav1.CreateOptions{FieldValidation: "Strict"})
		if err != nil {
			t.Fatalf("submit from template: %v", err)
		}
		got := s.waitStarted(t, created.GetName())
		if try == 5 || got.Status.Phase != wfv1.WorkflowError || !strings.Contains(got.Status.Message, "workflowtemplates.argoproj.io \""+name+"\" not found") {
			return created.GetName()
		}
		t.Logf("the controller did not know template %s yet (%s); submitting again", name, got.Status.Message)
		time.Sleep(time.Second)
	}
}

// waitStarted waits until the controller has given workflow name a phase.
func (s *suite) waitStarted(t *testing.T, name string) *wfv1.Workflow {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(200 * time.Millisecond) {
		wf, err := s.stack.Argo.ArgoprojV1alpha1().Workflows(s.ns).Get(context.Background(), name, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("get workflow %s: %v", name, err)
		}
		if wf.Status.Phase != "" || time.Now().After(deadline) {
			return wf
		}
	}
}

func decodeAll(t *testing.T, data []byte) []*unstructured.Unstructured {
	t.Helper()
	objs, err := harness.DecodeYAMLBytes(data)
	if err != nil {
		t.Fatalf("decode YAML: %v\n%s", err, data)
	}
	return objs
}

// needTemplatePods skips a scenario of the WorkflowTemplate's non-root pods
// when the image runs as root, and makes the service account they name.
func (s *suite) needTemplatePods(t *testing.T) {
	t.Helper()
	if s.imageUser == 0 {
		t.Skip("the template's pods ask for runAsNonRoot, which an image without USER (" + envUser + "=0) cannot satisfy")
	}
	if err := s.stack.EnsureServiceAccount(context.Background(), s.ns, serviceAccount); err != nil {
		t.Fatal(err)
	}
}
