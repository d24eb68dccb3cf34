package workflow

import (
	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	corev1 "k8s.io/api/core/v1"

	"github.com/partsync/partsync/generator/plan"
)

// The directory step runs after the fan-out, only when every transfer has
// succeeded (Argo runs a step group after the previous one succeeded):
// `partsync dirs` re-applies each directory's mode and mtime (and what else
// the tool options keep) from the source, which the partitions, running in
// any order, may have left wrong. It builds its argv from plan.json with
// transfer.DirsCommand, the function `run` uses for the same step. rclone
// keeps no directories, so its runs have no such step.
const dirsName = "dirs"

// dirsStep is the step after the fan-out; when is empty in a generated
// Workflow, and in a WorkflowTemplate limits the step to rsync runs.
func dirsStep(when string) wfv1.ParallelSteps {
	return wfv1.ParallelSteps{Steps: []wfv1.WorkflowStep{{Name: dirsName, Template: dirsName, When: when}}}
}

// dirsTemplate runs `partsync dirs` with the transfers' retries.
func (o Options) dirsTemplate(runID string, dir plan.Dir, mounts []corev1.VolumeMount, retry *wfv1.RetryStrategy) wfv1.Template {
	argv := []string{"partsync", "dirs", "--run-dir", string(dir), "--attempt", attemptExpr}
	return wfv1.Template{
		Name:          dirsName,
		Metadata:      wfv1.Metadata{Labels: map[string]string{LabelRunID: runID, LabelRole: dirsName}},
		RetryStrategy: retry,
		Container:     o.container(argv, mounts, false),
	}
}
