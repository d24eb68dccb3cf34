package tests

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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

	ctx := context.Background()
	list, err := s.stack.Argo.ArgoprojV1alpha1().Workflows(s.ns).List(ctx, metav1.ListOptions{LabelSelector: "partsync.io/parent=" + name})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != children {
		t.Fatalf("%d child workflows when the parent ended, want %d", len(list.Items), children)
	}
	all := map[int][]attempt{}
	for i := range list.Items {
		wf := &list.Items[i]
		if len(wf.OwnerReferences) != 1 || wf.OwnerReferences[0].Name != name {
			t.Errorf("child %s: owners %+v, want the parent %s", wf.Name, wf.OwnerReferences, name)
		}
		// The parent waited for it: the child had Succeeded when the parent ended.
		s.mustSucceed(t, wf)
		if wf.Status.FinishedAt.After(parent.Status.FinishedAt.Time) {
			t.Errorf("child %s finished at %s, after its parent (%s): the parent did not wait for it",
				wf.Name, wf.Status.FinishedAt.Time, parent.Status.FinishedAt.Time)
		}
		for part, as := range transferAttempts(t, wf, transferTemplate) {
			all[part] = append(all[part], as...)
		}
	}
	for _, p := range seq(r.Parts) {
		if n := len(all[p]); n != 1 {
			t.Errorf("partition %d ran %d times across the children, want 1", p, n)
		}
	}
	if len(all) != r.Parts {
		t.Errorf("%d partitions ran, want %d", len(all), r.Parts)
	}
	checkParallelism(t, all, jobs)
	sameFiles(t, treeFiles(t, vols["src"].Local), treeFiles(t, vols["dst"].Local))
	checkStatusFiles(t, r, seq(r.Parts))
	checkExitHandler(t, parent)
	o := readOutcome(t, filepath.Join(r.RunDir, "outcome.json"))
	if o.WorkflowStatus != "Succeeded" || !slices.Equal(o.Succeeded, seq(r.Parts)) {
		t.Errorf("outcome.json = %+v, want Succeeded with all %d partitions", o, r.Parts)
	}
	t.Logf("workflow of workflows: %d partitions in %d children", r.Parts, children)
}
