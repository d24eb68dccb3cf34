package tests

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	"github.com/argoproj/argo-workflows/v3/workflow/util"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/partsync/partsync/generator/testtree"
)

// testArgoRetryRunsOnlyFailed: a workflow ends Failed because some
// partitions' destination is unavailable (no retries); `partsync status`
// names them and exits 5. After the cause is fixed, `argo retry` (the same
// library call the Argo server makes: FormulateRetryWorkflow, then the
// failed pods deleted and the workflow updated) runs only the failed
// partitions: the others keep their single attempt and their status files
// byte for byte, the workflow succeeds, outcome.json says so, and
// `partsync status` exits 0.
func testArgoRetryRunsOnlyFailed(t *testing.T, s *suite) {
	ctx := context.Background()
	_, vols := s.volumes(t, "src", "dst", "shared")
	makeTree(t, vols["src"].Local, 6, 10, 8<<10)
	r := s.generate(t, "argo-retry", vols, vols["src"].Mount, vols["dst"].Mount,
		"-n", "2", "-f", "10", "--retries", "0", "--backoff", "1s")
	blocked, hit := blockPartition(t, r, vols["dst"].Local)
	name := s.submit(t, decodeWorkflow(t, r.YAML))
	wf := s.wait(t, name, waitTimeout, nil)
	if wf.Status.Phase != wfv1.WorkflowFailed {
		t.Fatalf("workflow %s: %s, want Failed", name, wf.Status.Phase)
	}
	statusArgv := []string{"partsync", "status", "-d", vols["shared"].Mount, r.ID}
	out, _, err := s.operatorRunErr(t, vols, statusArgv...)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 5 {
		t.Errorf("partsync status of the failed workflow: %v, want exit 5\n%s", err, out)
	}
	for _, p := range hit {
		if !bytes.Contains(out, []byte("FAILED part "+strconv.Itoa(p)+": ")) {
			t.Errorf("partsync status does not name failed partition %d:\n%s", p, out)
		}
	}
	before := map[int][]byte{}
	for p := range r.Parts {
		if !slices.Contains(hit, p) {
			data, err := os.ReadFile(filepath.Join(r.RunDir, "status", strconv.Itoa(p)+".json"))
			if err != nil {
				t.Fatalf("status of partition %d, which succeeded: %v", p, err)
			}
			before[p] = data
		}
	}

	if err := setImmutable(blocked, false); err != nil {
		t.Fatal(err)
	}
	retried, podsToDelete, err := util.FormulateRetryWorkflow(ctx, wf, false, "", nil)
	if err != nil {
		t.Fatalf("argo retry: %v", err)
	}
	for _, pod := range podsToDelete {
		if err := s.stack.Kube.CoreV1().Pods(s.ns).Delete(ctx, pod, metav1.DeleteOptions{}); err != nil {
			t.Logf("delete pod %s: %v", pod, err)
		}
	}
	if _, err := s.stack.Argo.ArgoprojV1alpha1().Workflows(s.ns).Update(ctx, retried, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("argo retry: update workflow: %v", err)
	}
	t.Logf("argo retry %s: partitions %v failed; %d pods deleted", name, hit, len(podsToDelete))
	wf = s.wait(t, name, waitTimeout, nil)
	s.mustSucceed(t, wf)

	atts := transferAttempts(t, wf, transferTemplate)
	for p := range r.Parts {
		as := atts[p]
		if len(as) == 0 || as[len(as)-1].Node.Phase != wfv1.NodeSucceeded {
			t.Errorf("partition %d: attempts %d, last not Succeeded", p, len(as))
		}
		if data, ok := before[p]; ok {
			if len(as) != 1 {
				t.Errorf("partition %d succeeded before the retry but has %d attempts", p, len(as))
			}
			if now, _ := os.ReadFile(filepath.Join(r.RunDir, "status", strconv.Itoa(p)+".json")); !bytes.Equal(now, data) {
				t.Errorf("partition %d succeeded before the retry, and its status file changed: it ran again", p)
			}
		}
	}
	sameFiles(t, testtree.Files(t, vols["src"].Local), testtree.Files(t, vols["dst"].Local))
	o := readOutcome(t, filepath.Join(r.RunDir, "outcome.json"))
	if o.WorkflowStatus != "Succeeded" || len(o.Failed) != 0 || len(o.Missing) != 0 {
		t.Errorf("outcome.json after the retry = %+v, want Succeeded, nothing failed or missing", o)
	}
	if out, errOut, err := s.operatorRunErr(t, vols, statusArgv...); err != nil || !strings.Contains(string(out), "0 failed, 0 pending") {
		t.Errorf("partsync status after the retry: %v\n%s%s", err, out, errOut)
	}
}
