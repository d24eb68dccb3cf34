package tests

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/partsync/partsync/generator/testtree"
)

// workflowMessages is the workflow's message and every node's, one a line:
// where Argo reports a pod the API server refused.
func workflowMessages(wf *wfv1.Workflow) string {
	msgs := []string{wf.Status.Message}
	for _, n := range wf.Status.Nodes {
		if n.Message != "" {
			msgs = append(msgs, n.DisplayName+": "+n.Message)
		}
	}
	return strings.Join(msgs, "\n")
}

// testRootModeNeedsBaseline: `generate --run-as-root` (rsync keeping
// owners) emits root pods. In the restricted namespace the real API
// server's Pod Security admission refuses them (the workflow fails with the
// admission error in its nodes); in the baseline namespace the same run
// passes, copies every byte, and its pods ran as root.
func testRootModeNeedsBaseline(t *testing.T, s *suite) {
	t.Run("restricted refuses", func(t *testing.T) {
		_, vols := s.volumes(t, "src", "dst", "shared")
		makeTree(t, vols["src"].Local, 2, 3, 4<<10)
		r := s.generate(t, "root-restricted", vols, vols["src"].Mount, vols["dst"].Mount, "-n", "2", "-f", "4", "--retries", "0", "--backoff", "1s", "--run-as-root")
		name := s.submit(t, decodeWorkflow(t, r.YAML))
		// The first refusal is the answer: the exit handler's retries
		// would only repeat it (then the workflow is deleted).
		const refusal = `violates PodSecurity "restricted:latest"`
		wf := s.waitUntil(t, name, func(wf *wfv1.Workflow) bool { return strings.Contains(workflowMessages(wf), refusal) })
		msgs := workflowMessages(wf)
		if wf.Status.Phase == wfv1.WorkflowSucceeded {
			t.Fatalf("a --run-as-root workflow Succeeded in the namespace enforcing restricted")
		}
		if !strings.Contains(msgs, refusal) {
			t.Fatalf("workflow %s: %s, but no Pod Security refusal in its messages:\n%s", name, wf.Status.Phase, msgs)
		}
		if err := s.stack.Argo.ArgoprojV1alpha1().Workflows(s.ns).Delete(context.Background(), name, metav1.DeleteOptions{}); err != nil {
			t.Errorf("delete workflow %s: %v", name, err)
		}
		t.Logf("refused as it should be: %s", firstLineWith(msgs, "violates PodSecurity"))
	})
	t.Run("baseline runs", func(t *testing.T) {
		b := s.in(baselineNS)
		_, vols := b.volumes(t, "src", "dst", "shared")
		makeTree(t, vols["src"].Local, 2, 3, 4<<10)
		r := b.generate(t, "root-baseline", vols, vols["src"].Mount, vols["dst"].Mount, "-n", "2", "-f", "4", "--retries", "0", "--backoff", "1s", "--run-as-root")
		name := b.submit(t, decodeWorkflow(t, r.YAML))
		wf := b.wait(t, name, waitTimeout, nil)
		if wf.Status.Phase != wfv1.WorkflowSucceeded {
			t.Fatalf("--run-as-root workflow in the baseline namespace: %s\n%s\ncontainer logs:\n%s", wf.Status.Phase, workflowMessages(wf), b.stack.ContainerLogs(name))
		}
		sameFiles(t, testtree.Files(t, vols["src"].Local), testtree.Files(t, vols["dst"].Local))
		checkRanAs(t, r.RunDir, 0)
	})
}

// waitUntil polls workflow name until done says so or it completed, and
// returns it as last read.
func (s *suite) waitUntil(t *testing.T, name string, done func(*wfv1.Workflow) bool) *wfv1.Workflow {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		wf, err := s.stack.Argo.ArgoprojV1alpha1().Workflows(s.ns).Get(context.Background(), name, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("get workflow %s: %v", name, err)
		}
		if done(wf) || wf.Status.Phase.Completed() {
			return wf
		}
		if time.Now().After(deadline) {
			t.Fatalf("workflow %s: nothing after %s: phase %q", name, waitTimeout, wf.Status.Phase)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

func firstLineWith(text, want string) string {
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, want) {
			return l
		}
	}
	return ""
}

// testImageRcloneVersion: the pods' rclone (what the agent's "image"
// holds, first on PATH) is the version the Dockerfile pins: a pod in the
// restricted namespace runs `rclone version` and its output names it.
func testImageRcloneVersion(t *testing.T, s *suite) {
	if s.imageUser == 0 {
		t.Skip("a restricted pod asks for runAsNonRoot, which an image without USER (" + envUser + "=0) cannot satisfy")
	}
	data, err := os.ReadFile(filepath.Join("..", "..", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^ARG RCLONE_VERSION=(\S+)`).FindSubmatch(data)
	if m == nil {
		t.Fatal("no ARG RCLONE_VERSION in the Dockerfile")
	}
	want := "rclone " + string(m[1])
	wf := &wfv1.Workflow{
		ObjectMeta: metav1.ObjectMeta{Name: "rclone-version"},
		Spec: wfv1.WorkflowSpec{
			Entrypoint: "version",
			SecurityContext: &corev1.PodSecurityContext{
				RunAsNonRoot:   ptr.To(true),
				SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
			},
			Templates: []wfv1.Template{{Name: "version", Container: &corev1.Container{
				Image: "partsync:e2e", Command: []string{"rclone", "version"},
				SecurityContext: &corev1.SecurityContext{
					AllowPrivilegeEscalation: ptr.To(false),
					Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
				},
			}}},
		},
	}
	name := s.submit(t, toUnstructured(t, wf))
	got := s.wait(t, name, waitTimeout, nil)
	logs := s.stack.ContainerLogs(name)
	if got.Status.Phase != wfv1.WorkflowSucceeded {
		t.Fatalf("rclone version pod: %s\n%s\n%s", got.Status.Phase, workflowMessages(got), logs)
	}
	if !strings.Contains(logs, want+"\n") {
		t.Fatalf("the pods' rclone is not the Dockerfile's %q:\n%s", want, logs)
	}
	t.Logf("the pods ran %s", firstLineWith(logs, "rclone v"))
}
