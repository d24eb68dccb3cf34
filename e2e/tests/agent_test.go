package tests

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
)

func toUnstructured(t *testing.T, wf *wfv1.Workflow) *unstructured.Unstructured {
	t.Helper()
	wf.APIVersion, wf.Kind = "argoproj.io/v1alpha1", "Workflow"
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(wf)
	if err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{Object: m}
	unstructured.RemoveNestedField(u.Object, "status")
	unstructured.RemoveNestedField(u.Object, "metadata", "creationTimestamp")
	return u
}

// testAgentRunsArgoPods checks the node agent itself with a hand-written
// workflow: exit codes reach Argo, env, workingDir, Secret volumes and
// read-only mounts are honoured, and output parameters read from a file
// flow to the next step through the WorkflowTaskResult the agent writes.
func testAgentRunsArgoPods(t *testing.T, s *suite) {
	// Root pods with the runtime's default capabilities: baseline.
	s = s.in(baselineNS)
	ctx := context.Background()
	_, vols := s.volumes(t, "data", "ro")
	data, ro := vols["data"], vols["ro"]
	if err := os.MkdirAll(filepath.Join(data.Local, "out"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(data.Local, "answer"), []byte("42\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "agent-smoke"}, Data: map[string][]byte{"token": []byte("s3cr3t")}}
	if _, err := s.stack.Kube.CoreV1().Secrets(s.ns).Create(ctx, sec, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	dataMount := corev1.VolumeMount{Name: "data", MountPath: data.Mount}
	container := func(argv ...string) *corev1.Container {
		return &corev1.Container{Image: "e2e:none", Command: argv[:1], Args: argv[1:], VolumeMounts: []corev1.VolumeMount{dataMount}}
	}
	envWD := container("sh", "-c", `test "$GREETING" = hello && test "$(pwd)" = "$EXPECTED_WD" && test "$(cat /etc/partsync-e2e-secret/token)" = s3cr3t && ! touch /var/tmp/partsync-e2e-probe`)
	envWD.SecurityContext = &corev1.SecurityContext{ReadOnlyRootFilesystem: ptr.To(true)}
	envWD.Env = []corev1.EnvVar{{Name: "GREETING", Value: "hello"}, {Name: "EXPECTED_WD", Value: data.Mount}}
	envWD.WorkingDir = data.Mount
	envWD.VolumeMounts = append(envWD.VolumeMounts, corev1.VolumeMount{Name: "secret", MountPath: "/etc/partsync-e2e-secret"})
	readOnly := container("touch", filepath.Join(ro.Mount, "written"))
	readOnly.VolumeMounts = []corev1.VolumeMount{{Name: "ro", MountPath: ro.Mount, ReadOnly: true}}
	cont := &wfv1.ContinueOn{Failed: true}
	wf := &wfv1.Workflow{
		ObjectMeta: metav1.ObjectMeta{Name: "agent-smoke"},
		Spec: wfv1.WorkflowSpec{
			Entrypoint:      "main",
			SecurityContext: &corev1.PodSecurityContext{RunAsUser: ptr.To(int64(0))},
			Volumes: []corev1.Volume{
				{Name: "data", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: data.Claim}}},
				{Name: "ro", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: ro.Claim}}},
				{Name: "secret", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "agent-smoke"}}},
			},
			Templates: []wfv1.Template{
				{Name: "main", Steps: []wfv1.ParallelSteps{
					{Steps: []wfv1.WorkflowStep{{Name: "produce", Template: "produce"}}},
					{Steps: []wfv1.WorkflowStep{
						{Name: "consume", Template: "consume", Arguments: wfv1.Arguments{Parameters: []wfv1.Parameter{
							{Name: "answer", Value: wfv1.AnyStringPtr("{{steps.produce.outputs.parameters.answer}}")}}}},
						{Name: "env-wd", Template: "env-wd"},
						{Name: "exit3", Template: "exit3", ContinueOn: cont},
						{Name: "readonly", Template: "readonly", ContinueOn: cont},
					}},
				}},
				{Name: "produce", Container: container("cp", filepath.Join(data.Mount, "answer"), filepath.Join(data.Mount, "out", "answer")),
					Outputs: wfv1.Outputs{Parameters: []wfv1.Parameter{{Name: "answer", ValueFrom: &wfv1.ValueFrom{Path: filepath.Join(data.Mount, "out", "answer")}}}}},
				{Name: "consume", Inputs: wfv1.Inputs{Parameters: []wfv1.Parameter{{Name: "answer"}}},
					Container: container("test", "{{inputs.parameters.answer}}", "=", "42")},
				{Name: "env-wd", Container: envWD},
				{Name: "exit3", Container: container("sh", "-c", "exit 3")},
				{Name: "readonly", Container: readOnly},
			},
		},
	}
	name := s.submit(t, toUnstructured(t, wf))
	got := s.wait(t, name, waitTimeout, nil)
	if got.Status.Phase != wfv1.WorkflowSucceeded {
		t.Fatalf("workflow %s: %s (%s)\n%s", name, got.Status.Phase, got.Status.Message, s.stack.ContainerLogs(name))
	}
	byTemplate := map[string]wfv1.NodeStatus{}
	for _, n := range got.Status.Nodes {
		if n.Type == wfv1.NodeTypePod {
			byTemplate[n.TemplateName] = n
		}
	}
	want := map[string]wfv1.NodePhase{
		"produce": wfv1.NodeSucceeded, "consume": wfv1.NodeSucceeded, "env-wd": wfv1.NodeSucceeded,
		"exit3": wfv1.NodeFailed, "readonly": wfv1.NodeFailed,
	}
	for tmpl, phase := range want {
		n, ok := byTemplate[tmpl]
		if !ok {
			t.Errorf("no pod node for template %s", tmpl)
			continue
		}
		if n.Phase != phase {
			t.Errorf("node %s: phase %s (%s), want %s", tmpl, n.Phase, n.Message, phase)
		}
	}
	if p := byTemplate["produce"]; p.Outputs == nil || len(p.Outputs.Parameters) != 1 || p.Outputs.Parameters[0].Value.String() != "42" {
		t.Errorf("produce outputs = %+v, want answer=42 (read from the file by the agent)", p.Outputs)
	}
	// The WorkflowTaskResult itself is gone by now: the controller deletes
	// them once the workflow completes. The output above came through it.
	for _, pod := range s.workflowPods(t, name) {
		if pod.Annotations["workflows.argoproj.io/node-id"] != byTemplate["exit3"].ID {
			continue
		}
		for _, cs := range pod.Status.ContainerStatuses {
			if cs.Name == "main" && (cs.State.Terminated == nil || cs.State.Terminated.ExitCode != 3) {
				t.Errorf("exit3 pod main container state %+v, want terminated with exit code 3", cs.State)
			}
		}
		if pod.Status.Phase != corev1.PodFailed {
			t.Errorf("exit3 pod phase %s, want Failed", pod.Status.Phase)
		}
	}
	if _, err := os.Stat(filepath.Join(ro.Local, "written")); err == nil {
		t.Errorf("a read-only mount was written to")
	}
	if _, err := os.Stat(mountBase); err == nil {
		t.Errorf("%s exists on the host: a mount point leaked", mountBase)
	}
	if _, err := os.Stat("/etc/partsync-e2e-secret"); err == nil {
		t.Errorf("/etc/partsync-e2e-secret exists on the host: the agent leaked a mount point")
	}
	t.Logf("agent smoke workflow took %s", got.Status.FinishedAt.Sub(got.Status.StartedAt.Time).Round(time.Second))
}
