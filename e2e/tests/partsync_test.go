package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/partsync/partsync/generator/testtree"
)

// Names in partsync's workflow contract.
const (
	transferTemplate = "transfer"
	serviceAccount   = "partsync-e2e"
)

// run is one generated partsync run.
type run struct {
	ID     string
	Vols   map[string]volume
	YAML   []byte
	RunDir string // on the host (the shared volume's local directory)
	Parts  int
}

// generate runs `partsync generate` as the operator would (volumes at the
// pods' paths) with the suite's cluster flags plus extra, and reads back
// the plan it wrote.
func (s *suite) generate(t *testing.T, id string, vols map[string]volume, src, dst string, extra ...string) run {
	t.Helper()
	if err := s.stack.EnsureServiceAccount(context.Background(), s.ns, serviceAccount); err != nil {
		t.Fatal(err)
	}
	// Unless told --run-as-root or --run-as-user, the pods run as a
	// non-root user: the image's (65532) when root runs generate, as in
	// CI. Like an operator, give that user the destination the pods write
	// (the hostPath volumes here, like NFS, ignore fsGroup); generate
	// gives it the run directory itself.
	if !slices.Contains(extra, "--run-as-root") && !slices.Contains(extra, "--run-as-user") {
		podUser := s.operatorUID
		if podUser == 0 {
			podUser = nonRootUID
		}
		if v, ok := vols["dst"]; ok {
			giveTo(t, podUser, v)
		}
	}
	argv := []string{"partsync", "generate",
		"--namespace", s.ns, "--service-account", serviceAccount, "--image", "partsync:e2e",
		"--run-id", id, "-d", vols["shared"].Mount}
	argv = append(argv, pvcFlags(vols)...)
	argv = append(argv, extra...)
	argv = append(argv, src, dst)
	out := s.operatorRun(t, vols, argv...)
	r := run{ID: id, Vols: vols, YAML: out, RunDir: filepath.Join(vols["shared"].Local, id)}
	r.Parts = len(readPlan(t, filepath.Join(r.RunDir, "plan.json")).Partitions)
	if r.Parts == 0 {
		t.Fatalf("partsync planned no partition")
	}
	if err := os.WriteFile(filepath.Join(r.RunDir, "..", id+".workflow.yaml"), out, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("partsync generate: %d partitions, workflow %d bytes of YAML", r.Parts, len(out))
	return r
}

// checkOnePodPerPartition asserts that Argo created exactly one transfer
// pod per partition (items 0..N-1, each once) and returns the attempts.
func (s *suite) checkOnePodPerPartition(t *testing.T, wf *wfv1.Workflow, rec *podRecorder, parts int) map[int][]attempt {
	t.Helper()
	atts := transferAttempts(t, wf, transferTemplate)
	for _, p := range seq(parts) {
		if n := len(atts[p]); n != 1 {
			t.Errorf("partition %d: %d pods, want 1", p, n)
		}
	}
	if len(atts) != parts {
		t.Errorf("transfer nodes for %d partitions, want %d", len(atts), parts)
	}
	ids := map[string]bool{}
	for _, as := range atts {
		for _, a := range as {
			ids[a.Node.ID] = true
		}
	}
	transferPods := 0
	for _, pod := range rec.list() {
		if ids[pod.Annotations["workflows.argoproj.io/node-id"]] {
			transferPods++
		}
	}
	if transferPods != parts {
		t.Errorf("%d transfer pods created, want %d (one per partition)", transferPods, parts)
	}
	return atts
}

func checkParallelism(t *testing.T, atts map[int][]attempt, jobs int) {
	t.Helper()
	got := maxConcurrent(atts)
	t.Logf("at most %d transfer pods ran at once (parallelism %d), from node startedAt/finishedAt", got, jobs)
	if got > jobs {
		t.Errorf("%d transfer pods ran at once, more than -n %d", got, jobs)
	}
}

func checkExitHandler(t *testing.T, wf *wfv1.Workflow) {
	t.Helper()
	for _, n := range wf.Status.Nodes {
		if n.Type == wfv1.NodeTypePod && n.TemplateName != transferTemplate {
			if n.Phase != wfv1.NodeSucceeded {
				t.Errorf("exit handler node %s (%s): %s %s", n.DisplayName, n.TemplateName, n.Phase, n.Message)
			}
			return
		}
	}
	t.Errorf("no exit handler pod node in the workflow")
}

func checkStatusFiles(t *testing.T, r run, parts []int) {
	t.Helper()
	for _, p := range parts {
		if _, err := os.Stat(filepath.Join(r.RunDir, "status", fmt.Sprintf("%d.json", p))); err != nil {
			t.Errorf("status of partition %d: %v", p, err)
		}
	}
}

// checkDirsStep: the directory step ran after the fan-out and succeeded;
// it walked the source again and wrote recheck.json, whose added count is
// wantAdded; with rsync it also wrote its status.
func checkDirsStep(t *testing.T, wf *wfv1.Workflow, r run, tool string, wantAdded int64) {
	t.Helper()
	var ran bool
	for _, n := range wf.Status.Nodes {
		if n.Type == wfv1.NodeTypePod && n.TemplateName == "dirs" {
			ran = ran || n.Phase == wfv1.NodeSucceeded
		}
	}
	if !ran {
		t.Errorf("no succeeded pod node of the directory step (template dirs)")
	}
	if _, err := os.Stat(filepath.Join(r.RunDir, "status", "dirs.json")); (err == nil) != (tool == "rsync") {
		t.Errorf("status of the directory step with %s: %v", tool, err)
	}
	var rc struct {
		Entries int64 `json:"entries"`
		Added   int64 `json:"added"`
	}
	data, err := os.ReadFile(filepath.Join(r.RunDir, "recheck.json"))
	if err == nil {
		err = json.Unmarshal(data, &rc)
	}
	if err != nil || rc.Entries == 0 || rc.Added != wantAdded {
		t.Errorf("recheck.json %s (%v): want %d entries added after the scan", data, err, wantAdded)
	}
}

func (s *suite) mustSucceed(t *testing.T, wf *wfv1.Workflow) {
	t.Helper()
	if wf.Status.Phase != wfv1.WorkflowSucceeded {
		refused := ""
		if l := firstLineWith(workflowMessages(wf), "is forbidden"); l != "" {
			refused = "\nrefused by the API server: " + l
		}
		t.Fatalf("workflow %s: %s (%s)%s\ncontainer logs:\n%s", wf.Name, wf.Status.Phase, wf.Status.Message, refused, s.stack.ContainerLogs(wf.Name))
	}
}

// testRsyncWorkflow: a generated rsync workflow copies a tree between two
// volumes.
func testRsyncWorkflow(t *testing.T, s *suite) {
	_, vols := s.volumes(t, "src", "dst", "shared")
	makeTree(t, vols["src"].Local, 8, 12, 48<<10)
	const jobs = 3
	r := s.generate(t, "rsync", vols, vols["src"].Mount, vols["dst"].Mount,
		"-n", fmt.Sprint(jobs), "-f", "10", "--retries", "2", "--backoff", "1s")
	rec := s.recordPods(t, "partsync-"+r.ID)
	name := s.submit(t, decodeWorkflow(t, r.YAML))
	wf := s.wait(t, name, waitTimeout, nil)
	s.mustSucceed(t, wf)
	atts := s.checkOnePodPerPartition(t, wf, rec, r.Parts)
	checkParallelism(t, atts, jobs)
	sameFiles(t, testtree.Files(t, vols["src"].Local), testtree.Files(t, vols["dst"].Local))
	checkExitHandler(t, wf)
	o := readOutcome(t, filepath.Join(r.RunDir, "outcome.json"))
	if o.WorkflowStatus != "Succeeded" || !slices.Equal(o.Succeeded, seq(r.Parts)) || len(o.Failed) != 0 || len(o.Missing) != 0 {
		t.Errorf("outcome.json = %+v, want Succeeded with all %d partitions succeeded", o, r.Parts)
	}
	checkStatusFiles(t, r, seq(r.Parts))
	checkDirsStep(t, wf, r, "rsync", 0)
	t.Logf("rsync workflow: %d partitions in %s", r.Parts, wf.Status.FinishedAt.Sub(wf.Status.StartedAt.Time).Round(time.Second))
}

// testCRDSchema: the generated workflow passes the full CRDs' schema
// (server-side, strict field validation), and the check is real: broken
// copies of it are refused.
func testCRDSchema(t *testing.T, s *suite) {
	ctx := context.Background()
	crd, err := s.stack.APIExt.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, "workflows.argoproj.io", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	schema := crd.Spec.Versions[0].Schema.OpenAPIV3Schema
	spec := schema.Properties["spec"]
	if _, ok := spec.Properties["templates"]; !ok || spec.XPreserveUnknownFields != nil && *spec.XPreserveUnknownFields {
		t.Fatalf("the Workflow CRD is not the full one: spec has no templates schema")
	}
	_, vols := s.volumes(t, "src", "dst", "shared")
	makeTree(t, vols["src"].Local, 2, 3, 1024)
	r := s.generate(t, "schema", vols, vols["src"].Mount, vols["dst"].Mount, "-n", "2", "-f", "2")
	dry := metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}, FieldValidation: "Strict"}
	ri := s.stack.Dynamic.Resource(workflowGVR()).Namespace(s.ns)
	if _, err := ri.Create(ctx, decodeWorkflow(t, r.YAML), dry); err != nil {
		t.Fatalf("the API server refused the generated workflow: %v", err)
	}
	bad := decodeWorkflow(t, r.YAML)
	if err := unstructuredSet(bad.Object, "two", "spec", "parallelism"); err != nil {
		t.Fatal(err)
	}
	if _, err := ri.Create(ctx, bad, dry); err == nil {
		t.Errorf("a workflow with parallelism \"two\" was accepted: schema validation is not active")
	}
	unknown := decodeWorkflow(t, r.YAML)
	if err := unstructuredSet(unknown.Object, true, "spec", "notAField"); err != nil {
		t.Fatal(err)
	}
	if _, err := ri.Create(ctx, unknown, dry); err == nil {
		t.Errorf("a workflow with an unknown field was accepted: strict field validation is not active")
	}
}

func unstructuredSet(obj map[string]any, v any, path ...string) error {
	m := obj
	for _, p := range path[:len(path)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			return fmt.Errorf("no object at %s", p)
		}
		m = next
	}
	m[path[len(path)-1]] = v
	return nil
}

// podsOnNode counts the recorded pods bound to node.
func podsOnNode(rec *podRecorder, node string) int {
	n := 0
	for _, p := range rec.list() {
		if p.Spec.NodeName == node {
			n++
		}
	}
	return n
}
