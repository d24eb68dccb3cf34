package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	"github.com/argoproj/argo-workflows/v3/workflow/packer"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/yaml"

	"github.com/partsync/partsync/e2e/internal/harness"
)

// kwokSplitFiles is the size of the synthetic tree of testKWOKSplitFromTemplate:
// at -f 1, one partition per file.
const kwokSplitFiles, kwokSplitPerDir = 100_000, 1000

// testKWOKSplitFromTemplate: the WorkflowTemplate of the Argo UI at the scale
// the template's split is for. Submitted with -f 1 on a tree of 100,000
// files in 100 directories, the scan (a real pod on the agent's node) plans
// 100,100 partitions (rsync: one per file and per directory), its summary
// lists 51 child ranges of the form's max-partitions (2,000)
// that cover every partition once, the parent's plain fan-out expands to no
// node, the children step creates at most 3 child Workflows at once, each
// with its own range, and their transfer pods run on the KWOK node under
// the parent's jobs semaphore. The run is then terminated: 100,000 KWOK pods
// would take hours on this machine (KWOKFanOut1000: ~190 s per 1,000).
func testKWOKSplitFromTemplate(t *testing.T, s *suite) {
	s.needTemplatePods(t)
	_, vols := s.volumes(t, "src", "dst", "shared")
	t0 := time.Now()
	writeFlatTree(t, vols["src"].Local, kwokSplitFiles, kwokSplitPerDir)
	t.Logf("synthetic tree: %d files in %s", kwokSplitFiles, time.Since(t0).Round(time.Millisecond))

	const jobs, maxParts, childrenAtOnce, name = 50, 2000, 3, "partsync-e2e-kwok-split"
	argv := append(s.templateFlags(name, vols, jobs), "-f", "1")
	tmpl := s.templateFromPartsync(t, vols, vols["src"].Mount, vols["dst"].Mount, argv...)
	if got := formDefault(t, tmpl, "max-partitions"); got != strconv.Itoa(maxParts) {
		t.Fatalf("the form's max-partitions defaults to %q, the scenario expects %d", got, maxParts)
	}
	childrenOnKWOK(t, tmpl)
	for _, v := range []string{"dst", "shared"} {
		if err := os.Chown(vols[v].Local, s.imageUser, s.imageUser); err != nil {
			t.Fatal(err)
		}
	}
	s.createTemplate(t, tmpl)
	rec := s.recordPodsWith(t, "partsync.io/role in (scan,transfer)")
	parentName := s.submitFromTemplate(t, name, vols["src"].Mount, vols["dst"].Mount)
	defer s.terminateRun(t, parentName)

	// Wait until the children have run more transfers than the jobs
	// semaphore holds: it was filled, released and granted again.
	const wantDone = jobs + 10
	var parent *wfv1.Workflow
	seen := map[string]*wfv1.Workflow{} // every child, as last seen
	mostAtOnce := 0
	deadline := time.Now().Add(8 * time.Minute)
	for done := 0; done < wantDone; {
		if time.Now().After(deadline) {
			t.Fatalf("after 8m: %d child transfers done, want %d; parent %s: %s %s\ncontainer logs:\n%s",
				done, wantDone, parentName, phaseOf(parent), messageOf(parent), s.stack.ContainerLogs(parentName))
		}
		time.Sleep(2 * time.Second)
		parent = s.getWorkflow(t, parentName)
		if parent.Status.Phase.Completed() {
			t.Fatalf("the parent ended (%s: %s) before its children ran\ncontainer logs:\n%s",
				parent.Status.Phase, parent.Status.Message, s.stack.ContainerLogs(parentName))
		}
		children := s.childWorkflows(t, parentName)
		running := 0
		done = 0
		for i := range children {
			c := &children[i]
			seen[c.Name] = c
			if !c.Status.Phase.Completed() {
				running++
			}
			for _, as := range transferAttempts(t, c, transferTemplate) {
				for _, a := range as {
					if a.Node.Phase == wfv1.NodeSucceeded {
						done++
					}
				}
			}
		}
		mostAtOnce = max(mostAtOnce, running)
	}
	elapsed := time.Since(t0)

	runDir := filepath.Join(vols["shared"].Local, "runs", parentName)
	// rsync at -f 1: one partition per file and per directory.
	parts := len(readPlan(t, filepath.Join(runDir, "plan.json")).Partitions)
	if want := kwokSplitFiles + kwokSplitFiles/kwokSplitPerDir; parts != want {
		t.Fatalf("the scan planned %d partitions for %d files in %d directories at -f 1, want %d", parts, kwokSplitFiles, kwokSplitFiles/kwokSplitPerDir, want)
	}
	ranges := scanChildRanges(t, parent)
	checkRangesCover(t, ranges, parts, maxParts)
	checkNoOwnTransfers(t, parent)
	if mostAtOnce > childrenAtOnce {
		t.Errorf("%d child workflows ran at once, the children step allows %d", mostAtOnce, childrenAtOnce)
	}
	all := map[int][]attempt{}
	for _, c := range seen {
		idx := childIndex(t, c)
		if idx < 0 || idx >= len(ranges) {
			t.Fatalf("child %s: index %d outside the scan's %d ranges", c.Name, idx, len(ranges))
		}
		if len(c.OwnerReferences) != 1 || c.OwnerReferences[0].Name != parentName {
			t.Errorf("child %s: owners %+v, want the parent %s", c.Name, c.OwnerReferences, parentName)
		}
		first, last := childSequence(t, c)
		if r := ranges[idx]; first != r.First || last != r.Last {
			t.Errorf("child %s (index %d) runs partitions %d to %d, the scan's range is %d to %d", c.Name, idx, first, last, r.First, r.Last)
		}
		for part, as := range transferAttempts(t, c, transferTemplate) {
			if part < first || part > last {
				t.Errorf("child %s ran partition %d, outside its range %d to %d", c.Name, part, first, last)
			}
			all[part] = append(all[part], as...)
		}
	}
	for part, as := range all {
		if len(as) != 1 {
			t.Errorf("partition %d ran %d times, want once", part, len(as))
		}
	}
	checkParallelism(t, all, jobs)
	// The watch also lists pods other scenarios left behind (failed pods
	// are kept): count only the parent's and its children's.
	ours := map[string]bool{parentName: true}
	for name := range seen {
		ours[name] = true
	}
	scanned, onKWOK := 0, 0
	for _, p := range rec.list() {
		if !ours[p.Labels["workflows.argoproj.io/workflow"]] {
			continue
		}
		switch p.Labels["partsync.io/role"] {
		case "scan":
			scanned++
			if p.Spec.NodeName == harness.KWOKNode || p.Spec.NodeName == "" {
				t.Errorf("the scan pod %s ran on node %q; it must run on the agent's node", p.Name, p.Spec.NodeName)
			}
		case "transfer":
			if p.Spec.NodeName == harness.KWOKNode {
				onKWOK++
			} else if p.Spec.NodeName != "" {
				t.Errorf("transfer pod %s ran on node %q, not the KWOK node", p.Name, p.Spec.NodeName)
			}
		}
	}
	if scanned != 1 {
		t.Errorf("%d scan pods, want 1", scanned)
	}
	if onKWOK < wantDone {
		t.Errorf("%d transfer pods on the KWOK node, want at least %d", onKWOK, wantDone)
	}
	nodes, err := json.Marshal(parent.Status.Nodes)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("KWOK split from the template: %d files, %d partitions in %d children of %d; %d child workflows seen (at most %d at once), %d transfers done on KWOK in %s from the first file written; parent workflow object %d bytes (%d nodes, %d bytes of node status)",
		kwokSplitFiles, parts, len(ranges), maxParts, len(seen), mostAtOnce, len(all), elapsed.Round(time.Second),
		s.workflowSize(t, parentName), len(parent.Status.Nodes), len(nodes))
}

// writeFlatTree writes files one-byte files, perDir to a directory.
func writeFlatTree(t *testing.T, root string, files, perDir int) {
	t.Helper()
	for i := range files {
		dir := filepath.Join(root, fmt.Sprintf("d%03d", i/perDir))
		if i%perDir == 0 {
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%06d", i)), []byte{byte(i)}, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// formDefault is the default value of the WorkflowTemplate's form
// parameter name.
func formDefault(t *testing.T, tmpl *unstructured.Unstructured, name string) string {
	t.Helper()
	params, _, _ := unstructured.NestedSlice(tmpl.Object, "spec", "arguments", "parameters")
	for _, p := range params {
		if m, _ := p.(map[string]any); m["name"] == name {
			return fmt.Sprint(m["value"])
		}
	}
	t.Fatalf("the WorkflowTemplate's form has no parameter %q", name)
	return ""
}

// childrenOnKWOK sends the child Workflows' pods, and only theirs, to the
// KWOK node: the child manifest inside the template's child step selects
// the node and tolerates its taint. The scan, the directory step and the
// exit handler stay on the agent's node, where they really run. (The form's
// pod-spec-patch would move the scan too.)
func childrenOnKWOK(t *testing.T, tmpl *unstructured.Unstructured) {
	t.Helper()
	templates, _, _ := unstructured.NestedSlice(tmpl.Object, "spec", "templates")
	found := false
	for _, x := range templates {
		m, _ := x.(map[string]any)
		if m["name"] != "child" {
			continue
		}
		manifest, _, _ := unstructured.NestedString(m, "resource", "manifest")
		var child map[string]any
		if err := yaml.Unmarshal([]byte(manifest), &child); err != nil {
			t.Fatalf("the child step's manifest: %v", err)
		}
		withoutOutputs(child)
		if err := unstructuredSet(child, map[string]any{"type": "kwok"}, "spec", "nodeSelector"); err != nil {
			t.Fatal(err)
		}
		if err := unstructuredSet(child, []any{map[string]any{
			"key": harness.KWOKTaintKey, "operator": "Exists", "effect": "NoSchedule",
		}}, "spec", "tolerations"); err != nil {
			t.Fatal(err)
		}
		out, err := yaml.Marshal(child)
		if err != nil {
			t.Fatal(err)
		}
		if err := unstructured.SetNestedField(m, string(out), "resource", "manifest"); err != nil {
			t.Fatal(err)
		}
		found = true
	}
	if !found {
		t.Fatal("the WorkflowTemplate has no child template")
	}
	_ = unstructured.SetNestedSlice(tmpl.Object, templates, "spec", "templates")
}

// childRange is one entry of the scan summary's children.
type childRange struct {
	Index int `json:"index"`
	First int `json:"first"`
	Last  int `json:"last"`
}

// scanChildRanges reads the children's ranges from the summary the parent's
// scan step output.
func scanChildRanges(t *testing.T, parent *wfv1.Workflow) []childRange {
	t.Helper()
	for _, n := range parent.Status.Nodes {
		if n.Type != wfv1.NodeTypePod || n.TemplateName != "scan" || n.Outputs == nil {
			continue
		}
		for _, p := range n.Outputs.Parameters {
			if p.Name != "summary" || p.Value == nil {
				continue
			}
			var sum struct {
				Children []childRange `json:"children"`
			}
			if err := json.Unmarshal([]byte(p.Value.String()), &sum); err != nil {
				t.Fatalf("the scan's summary: %v\n%s", err, p.Value.String())
			}
			return sum.Children
		}
	}
	t.Fatal("the parent has no scan node with a summary output")
	return nil
}

// checkRangesCover checks that ranges cover partitions 0 to parts-1 once,
// in order, each at most size long.
func checkRangesCover(t *testing.T, ranges []childRange, parts, size int) {
	t.Helper()
	want := (parts + size - 1) / size
	if len(ranges) != want {
		t.Fatalf("%d child ranges for %d partitions at max-partitions %d, want %d", len(ranges), parts, size, want)
	}
	next := 0
	for i, r := range ranges {
		if r.Index != i || r.First != next || r.Last < r.First || r.Last-r.First+1 > size {
			t.Fatalf("child range %d = %+v: want index %d from partition %d, at most %d long", i, r, i, next, size)
		}
		next = r.Last + 1
	}
	if next != parts {
		t.Fatalf("the child ranges end at partition %d, want %d", next-1, parts-1)
	}
}

// childWorkflows lists the child Workflows of the run parent, their nodes
// decompressed.
func (s *suite) childWorkflows(t *testing.T, parent string) []wfv1.Workflow {
	t.Helper()
	list, err := s.stack.Argo.ArgoprojV1alpha1().Workflows(s.ns).List(context.Background(), metav1.ListOptions{LabelSelector: "partsync.io/parent=" + parent})
	if err != nil {
		t.Fatal(err)
	}
	for i := range list.Items {
		if err := packer.DecompressWorkflow(&list.Items[i]); err != nil {
			t.Fatalf("decompress workflow %s: %v", list.Items[i].Name, err)
		}
	}
	return list.Items
}

// getWorkflow returns the workflow name, its nodes decompressed.
func (s *suite) getWorkflow(t *testing.T, name string) *wfv1.Workflow {
	t.Helper()
	wf, err := s.stack.Argo.ArgoprojV1alpha1().Workflows(s.ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get workflow %s: %v", name, err)
	}
	if err := packer.DecompressWorkflow(wf); err != nil {
		t.Fatalf("decompress workflow %s: %v", name, err)
	}
	return wf
}

// childIndex is the index a child Workflow was created for: its name is
// "<parent>-c<index>-<suffix>".
func childIndex(t *testing.T, c *wfv1.Workflow) int {
	t.Helper()
	parent := c.Labels["partsync.io/parent"]
	var idx int
	var suffix string
	if _, err := fmt.Sscanf(c.Name[len(parent):], "-c%d-%s", &idx, &suffix); err != nil {
		t.Fatalf("child %s: no index after its parent's name %s: %v", c.Name, parent, err)
	}
	return idx
}

// childSequence is the range of partitions a child's fan-out runs.
func childSequence(t *testing.T, c *wfv1.Workflow) (first, last int) {
	t.Helper()
	for _, tmpl := range c.Spec.Templates {
		for _, group := range tmpl.Steps {
			for _, st := range group.Steps {
				if st.WithSequence == nil || st.WithSequence.Start == nil || st.WithSequence.End == nil {
					continue
				}
				f, err1 := strconv.Atoi(st.WithSequence.Start.String())
				l, err2 := strconv.Atoi(st.WithSequence.End.String())
				if err1 != nil || err2 != nil {
					t.Fatalf("child %s: sequence %s to %s", c.Name, st.WithSequence.Start.String(), st.WithSequence.End.String())
				}
				return f, l
			}
		}
	}
	t.Fatalf("child %s has no sequence", c.Name)
	return 0, 0
}

// terminateRun ends a run that is left running: the parent and its
// children are terminated (Argo's `argo terminate`) and deleted, so that
// the next scenario starts on a quiet controller.
func (s *suite) terminateRun(t *testing.T, parent string) {
	t.Helper()
	ctx := context.Background()
	wfs := s.stack.Argo.ArgoprojV1alpha1().Workflows(s.ns)
	patch := []byte(`{"spec":{"shutdown":"Terminate"}}`)
	names := []string{parent}
	for _, c := range s.childWorkflows(t, parent) {
		names = append(names, c.Name)
	}
	for _, n := range names {
		if _, err := wfs.Patch(ctx, n, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
			t.Logf("terminate %s: %v", n, err)
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for _, n := range names {
		for time.Now().Before(deadline) {
			wf, err := wfs.Get(ctx, n, metav1.GetOptions{})
			if err != nil || wf.Status.Phase.Completed() {
				break
			}
			time.Sleep(time.Second)
		}
	}
	for _, n := range names {
		if err := wfs.Delete(ctx, n, metav1.DeleteOptions{}); err != nil {
			t.Logf("delete %s: %v", n, err)
		}
	}
}

func phaseOf(wf *wfv1.Workflow) wfv1.WorkflowPhase {
	if wf == nil {
		return ""
	}
	return wf.Status.Phase
}

func messageOf(wf *wfv1.Workflow) string {
	if wf == nil {
		return ""
	}
	return wf.Status.Message
}

// withoutOutputs takes the output parameters and the metrics off the
// transfer template of the workflow (or child manifest) obj: a KWOK node
// completes a pod without Argo's wait container, so nothing reports the
// outputs, and Argo would wait for them forever ("required outputs are not
// yet set"). The KWOK scenarios measure the fan-out, not the outputs
// (ProgressInArgo checks those on the agent's node).
func withoutOutputs(obj map[string]any) {
	templates, _, _ := unstructured.NestedSlice(obj, "spec", "templates")
	for _, x := range templates {
		if m, _ := x.(map[string]any); m["name"] == transferTemplate {
			delete(m, "outputs")
			delete(m, "metrics")
		}
	}
	_ = unstructured.SetNestedSlice(obj, templates, "spec", "templates")
}
