package tests

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/partsync/partsync/generator/testtree"
)

// podSpans are the [started, finished) times of a workflow's pod nodes.
func podSpans(wf *wfv1.Workflow) [][2]time.Time {
	var out [][2]time.Time
	for _, n := range wf.Status.Nodes {
		if n.Type == wfv1.NodeTypePod && !n.StartedAt.IsZero() {
			out = append(out, [2]time.Time{n.StartedAt.Time, n.FinishedAt.Time})
		}
	}
	return out
}

// overlapping counts the pairs of pods, one of each workflow, that ran at
// the same time. Argo records whole seconds: with half-open intervals on
// floored times an overlap is never invented, only possibly missed.
func overlapping(a, b [][2]time.Time) int {
	n := 0
	for _, x := range a {
		for _, y := range b {
			if x[0].Before(y[1]) && y[0].Before(x[1]) {
				n++
			}
		}
	}
	return n
}

// testOneRunPerDestination: two generated workflows copying two sources
// into the same destination (and run directory volume) are submitted at
// once. Argo's synchronization mutex, keyed by the destination, makes the
// second wait: Argo reports "Waiting for … lock" on it, no pod of one ran
// while a pod of the other did, and both Succeed with every byte at the
// destination.
func testOneRunPerDestination(t *testing.T, s *suite) {
	_, vols := s.volumes(t, "src", "dst", "shared")
	giveTo(t, nonRootUID, vols["dst"], vols["shared"])
	for _, sub := range []string{"a", "b"} {
		makeTree(t, filepath.Join(vols["src"].Local, sub), 3, 4, 8<<10)
	}
	op := s.asOperator(nonRootUID)
	extra := []string{"-n", "2", "-f", "2", "--retries", "0", "--backoff", "1s"}
	ra := op.generate(t, "mutex-a", vols, filepath.Join(vols["src"].Mount, "a"), vols["dst"].Mount, extra...)
	rb := op.generate(t, "mutex-b", vols, filepath.Join(vols["src"].Mount, "b"), vols["dst"].Mount, extra...)
	wfA, wfB := decodeWorkflow(t, ra.YAML), decodeWorkflow(t, rb.YAML)
	names := []string{s.submit(t, wfA), s.submit(t, wfB)}
	// Poll both until both completed, noting Argo's waiting message.
	waited := map[string]string{}
	deadline := time.Now().Add(waitTimeout)
	for {
		complete := 0
		for _, name := range names {
			wf, err := s.stack.Argo.ArgoprojV1alpha1().Workflows(s.ns).Get(context.Background(), name, metav1.GetOptions{})
			if err != nil {
				t.Fatalf("get workflow %s: %v", name, err)
			}
			if msgs := workflowMessages(wf); strings.Contains(msgs, "Waiting for") && strings.Contains(msgs, "lock") {
				waited[name] = firstLineWith(msgs, "Waiting for")
			}
			if wf.Status.Phase.Completed() {
				complete++
			}
		}
		if complete == len(names) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("workflows %v not complete after %s", names, waitTimeout)
		}
		time.Sleep(300 * time.Millisecond)
	}
	done := []*wfv1.Workflow{s.wait(t, names[0], waitTimeout, nil), s.wait(t, names[1], waitTimeout, nil)}
	for _, wf := range done {
		s.mustSucceed(t, wf)
	}
	n := overlapping(podSpans(done[0]), podSpans(done[1]))
	t.Logf("pods of %s: %d, of %s: %d; pairs that ran at once: %d; waited: %q", names[0], len(podSpans(done[0])), names[1], len(podSpans(done[1])), n, waited)
	if n > 0 {
		t.Errorf("%d pairs of pods of the two workflows ran at the same time into %s: no mutual exclusion", n, vols["dst"].Mount)
	}
	if len(waited) == 0 {
		t.Errorf("neither workflow was reported waiting for a lock (Argo: \"Waiting for … lock\")")
	}
	dst := testtree.Files(t, vols["dst"].Local)
	for _, sub := range []string{"a", "b"} {
		want := testtree.Files(t, filepath.Join(vols["src"].Local, sub))
		sameFiles(t, want, dst)
	}
}
