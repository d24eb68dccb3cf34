package tests

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/partsync/partsync/generator/testtree"
)

// testSplitWorkflowOfWorkflows: a run past --max-partitions is a parent
// Workflow whose resource steps create child Workflows. The real controller
// substitutes the parent's tags in the child manifest and runs the
// children; every partition runs exactly once across them, all children
// together never run more than -n transfers (the parent's semaphore), and
// the tree arrives. The node agent waits for each child's successCondition
// as Argo's executor does, so the parent ends only after every child
// Succeeded, and its exit handler records the whole run.
func testSplitWorkflowOfWorkflows(t *testing.T, s *suite) {
	_, vols := s.volumes(t, "src", "dst", "shared")
	makeTree(t, vols["src"].Local, 4, 6, 16<<10)
	const jobs, maxParts = 2, 4
	r := s.generate(t, "split", vols, vols["src"].Mount, vols["dst"].Mount,
		"-n", fmt.Sprint(jobs), "-f", "3", "--max-partitions", fmt.Sprint(maxParts), "--retries", "1", "--backoff", "1s")
	children := (r.Parts + maxParts - 1) / maxParts
	if children < 2 {
		t.Fatalf("%d partitions make %d children; the test needs several", r.Parts, children)
	}
	name := s.submit(t, decodeWorkflow(t, r.YAML))
	parent := s.wait(t, name, waitTimeout, nil)
	s.mustSucceed(t, parent)

	all := s.childAttempts(t, parent, children)
	for _, p := range seq(r.Parts) {
		if n := len(all[p]); n != 1 {
			t.Errorf("partition %d ran %d times across the children, want 1", p, n)
		}
	}
	if len(all) != r.Parts {
		t.Errorf("%d partitions ran, want %d", len(all), r.Parts)
	}
	checkParallelism(t, all, jobs)
	sameFiles(t, testtree.Files(t, vols["src"].Local), testtree.Files(t, vols["dst"].Local))
	checkStatusFiles(t, r, seq(r.Parts))
	checkExitHandler(t, parent)
	o := readOutcome(t, filepath.Join(r.RunDir, "outcome.json"))
	if o.WorkflowStatus != "Succeeded" || !slices.Equal(o.Succeeded, seq(r.Parts)) {
		t.Errorf("outcome.json = %+v, want Succeeded with all %d partitions", o, r.Parts)
	}
	t.Logf("workflow of workflows: %d partitions in %d children", r.Parts, children)
}

// testSplitFromTemplate: the WorkflowTemplate of the Argo UI splits as
// generate does. Submitted with the form's defaults on a tree past its
// max-partitions, the scan's summary lists the children's ranges and the
// real controller runs the split branch: the plain fan-out expands to no
// node (its count is 0), the children step creates generate's own child
// Workflows, each partition runs once across them, all children together
// hold the parent's jobs semaphore, and the bytes arrive at DST.
func testSplitFromTemplate(t *testing.T, s *suite) {
	s.needTemplatePods(t)
	_, vols := s.volumes(t, "src", "dst", "shared")
	makeTree(t, vols["src"].Local, 4, 6, 16<<10)
	const jobs, maxParts, name = 2, 4, "partsync-e2e-split"
	argv := append(s.templateFlags(name, vols, jobs), "-f", "3", "--max-partitions", fmt.Sprint(maxParts))
	tmpl := s.templateFromPartsync(t, vols, vols["src"].Mount, vols["dst"].Mount, argv...)
	for _, v := range []string{"dst", "shared"} { // the non-root pods write there
		if err := os.Chown(vols[v].Local, s.imageUser, s.imageUser); err != nil {
			t.Fatal(err)
		}
	}
	s.createTemplate(t, tmpl)
	parentName := s.submitFromTemplate(t, name, vols["src"].Mount, vols["dst"].Mount)
	parent := s.wait(t, parentName, waitTimeout, nil)
	s.mustSucceed(t, parent)
	runDir := filepath.Join(vols["shared"].Local, "runs", parentName)
	parts := len(readPlan(t, filepath.Join(runDir, "plan.json")).Partitions)
	children := (parts + maxParts - 1) / maxParts
	if children < 2 {
		t.Fatalf("%d partitions make %d children; the test needs several", parts, children)
	}
	checkNoOwnTransfers(t, parent)
	all := s.childAttempts(t, parent, children)
	for _, p := range seq(parts) {
		if n := len(all[p]); n != 1 {
			t.Errorf("partition %d ran %d times across the children, want 1", p, n)
		}
	}
	checkParallelism(t, all, jobs)
	sameFiles(t, testtree.Files(t, vols["src"].Local), testtree.Files(t, vols["dst"].Local))
	checkExitHandler(t, parent)
	o := readOutcome(t, filepath.Join(runDir, "outcome.json"))
	if o.WorkflowStatus != "Succeeded" || !slices.Equal(o.Succeeded, seq(parts)) {
		t.Errorf("outcome.json = %+v, want Succeeded with all %d partitions", o, parts)
	}
	t.Logf("split from the template: %d partitions in %d children", parts, children)
}

// childAttempts checks the children of the split run parent: as many as
// want, each owned by the parent, Succeeded, and finished before it (the
// parent waited for each); it returns their transfer attempts by partition.
func (s *suite) childAttempts(t *testing.T, parent *wfv1.Workflow, want int) map[int][]attempt {
	t.Helper()
	list, err := s.stack.Argo.ArgoprojV1alpha1().Workflows(s.ns).List(context.Background(), metav1.ListOptions{LabelSelector: "partsync.io/parent=" + parent.Name})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != want {
		t.Fatalf("%d child workflows when the parent ended, want %d", len(list.Items), want)
	}
	all := map[int][]attempt{}
	for i := range list.Items {
		wf := &list.Items[i]
		if len(wf.OwnerReferences) != 1 || wf.OwnerReferences[0].Name != parent.Name {
			t.Errorf("child %s: owners %+v, want the parent %s", wf.Name, wf.OwnerReferences, parent.Name)
		}
		s.mustSucceed(t, wf)
		if wf.Status.FinishedAt.After(parent.Status.FinishedAt.Time) {
			t.Errorf("child %s finished at %s, after its parent (%s): the parent did not wait for it",
				wf.Name, wf.Status.FinishedAt.Time, parent.Status.FinishedAt.Time)
		}
		for part, as := range transferAttempts(t, wf, transferTemplate) {
			all[part] = append(all[part], as...)
		}
	}
	return all
}

// checkNoOwnTransfers checks that the parent of a split run runs no
// partition itself and that its plain fan-out is at most one Skipped node.
// Argo 3.7.18 resolves a step's `when` before expanding its items, so the
// false `when` alone makes one node; controllers that expanded first (argo
// issue 4784) made one Skipped node per item, 100,000 of them at 100k
// partitions, which the fan-out's count of 0 when split prevents there.
func checkNoOwnTransfers(t *testing.T, parent *wfv1.Workflow) {
	t.Helper()
	byType := map[wfv1.NodeType]int{}
	total := 0
	for _, n := range parent.Status.Nodes {
		if n.TemplateName == transferTemplate {
			byType[n.Type]++
			total++
		}
	}
	if byType[wfv1.NodeTypePod] != 0 || total > 1 {
		t.Errorf("the parent has transfer nodes %v; a split run's parent runs no partition and its plain fan-out is at most one Skipped node", byType)
	}
}
