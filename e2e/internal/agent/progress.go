package agent

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"strings"
	"sync"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/partsync/partsync/e2e/internal/sandbox"
)

// The environment Argo's controller gives every container of a pod when
// self-reported progress is on (workflow/controller/workflowpod.go).
const (
	envProgressFile      = "ARGO_PROGRESS_FILE"
	envProgressPatchTick = "ARGO_PROGRESS_PATCH_TICK_DURATION"
	envProgressFileTick  = "ARGO_PROGRESS_FILE_TICK_DURATION"
)

// monitorProgress does what argoexec v3.7.18's wait container does while
// the main container runs (workflow/executor/executor.go monitorProgress):
// every file tick it reads the last line of the progress file and keeps it
// when it parses as N/M; every patch tick it upserts the node's
// WorkflowTaskResult with that progress (workflow/executor/taskresult.go:
// create, labelled not completed, or merge-patch) and forgets it once
// sent. Like argoexec it reports nothing when the container ends: a count
// written after the last patch tick is not reported, and the controller
// completes a succeeded node's progress itself. The returned function stops
// the monitor and waits for it.
func (a *Agent) monitorProgress(ctx context.Context, pod *corev1.Pod, spec sandbox.Spec) func() {
	env := map[string]string{}
	for _, kv := range spec.Env {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	patchTick, _ := time.ParseDuration(env[envProgressPatchTick])
	fileTick, _ := time.ParseDuration(env[envProgressFileTick])
	if env[envProgressFile] == "" || patchTick <= 0 || fileTick <= 0 || pod.Annotations[argoNodeIDAnnotation] == "" {
		return func() {}
	}
	path := hostPath(spec, env[envProgressFile])
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		patch := time.NewTicker(patchTick)
		defer patch.Stop()
		file := time.NewTicker(fileTick)
		defer file.Stop()
		var progress wfv1.Progress
		lastLine := ""
		created := false
		for {
			select {
			case <-ctx.Done():
				return
			case <-patch.C:
				if err := a.reportProgress(ctx, pod, progress, &created); err != nil {
					a.cfg.Log.Info("progress not reported", "pod", pod.Namespace+"/"+pod.Name, "err", err)
				} else {
					progress = ""
				}
			case <-file.C:
				data, err := os.ReadFile(path)
				if err != nil {
					if !errors.Is(err, fs.ErrNotExist) {
						a.cfg.Log.Info("progress file", "pod", pod.Namespace+"/"+pod.Name, "err", err)
					}
					continue
				}
				lines := strings.Split(strings.TrimSpace(string(data)), "\n")
				recent := strings.TrimSpace(lines[len(lines)-1])
				if recent == "" || recent == lastLine {
					continue
				}
				lastLine = recent
				if p, ok := wfv1.ParseProgress(recent); ok {
					progress = p
				}
			}
		}
	}()
	return func() { cancel(); wg.Wait() }
}

// reportProgress upserts the node's task result with progress, as
// argoexec's upsertTaskResult: created once (labelled outputs not yet
// completed, owned by the workflow), merge-patched after.
func (a *Agent) reportProgress(ctx context.Context, pod *corev1.Pod, progress wfv1.Progress, created *bool) error {
	clients, err := a.clientsFor(pod)
	if err != nil {
		return err
	}
	client := clients.wf.ArgoprojV1alpha1().WorkflowTaskResults(pod.Namespace)
	nodeID := pod.Annotations[argoNodeIDAnnotation]
	patch := func() error {
		data, err := json.Marshal(&wfv1.WorkflowTaskResult{NodeResult: wfv1.NodeResult{Progress: progress}})
		if err != nil {
			return err
		}
		_, err = client.Patch(ctx, nodeID, types.MergePatchType, data, metav1.PatchOptions{})
		return err
	}
	if *created {
		if err := patch(); !apierrors.IsNotFound(err) {
			return err
		}
	}
	tr := &wfv1.WorkflowTaskResult{
		ObjectMeta: metav1.ObjectMeta{
			Name:            nodeID,
			Namespace:       pod.Namespace,
			Labels:          map[string]string{argoWorkflowLabel: pod.Labels[argoWorkflowLabel], argoOutputsCompleted: "false"},
			OwnerReferences: workflowOwners(pod),
		},
		NodeResult: wfv1.NodeResult{Progress: progress},
	}
	_, err = client.Create(ctx, tr, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		err = patch()
	}
	*created = err == nil
	return err
}
