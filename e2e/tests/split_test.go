package tests

import (
	"context"
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// testSplitWorkflowOfWorkflows: a run past --max-partitions is a parent
// Workflow whose resource steps create child Workflows. The real controller
// substitutes the parent's tags in the child manifest and runs the
// children; every partition runs exactly once across them, all children
// together never run more than -n transfers (the parent's semaphore), and
// the tree arrives. The test agent applies a resource manifest but does not
// wait for successCondition as Argo's executor does, so the parent may end
// before its children: the test waits for the children itself.
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
	deadline := time.Now().Add(waitTimeout)
	var names []string
	for {
		list, err := s.stack.Argo.ArgoprojV1alpha1().Workflows(namespace).List(ctx, metav1.ListOptions{LabelSelector: "partsync.io/parent=" + name})
		if err != nil {
			t.Fatal(err)
		}
		names = names[:0]
		for _, wf := range list.Items {
			names = append(names, wf.Name)
			if len(wf.OwnerReferences) != 1 || wf.OwnerReferences[0].Name != name {
				t.Errorf("child %s: owners %+v, want the parent %s", wf.Name, wf.OwnerReferences, name)
			}
		}
		if len(names) >= children || time.Now().After(deadline) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if len(names) != children {
		t.Fatalf("%d child workflows, want %d", len(names), children)
	}
	all := map[int][]attempt{}
	for _, n := range names {
		wf := s.wait(t, n, waitTimeout, nil)
		s.mustSucceed(t, wf)
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
	t.Logf("workflow of workflows: %d partitions in %d children", r.Parts, children)
}
