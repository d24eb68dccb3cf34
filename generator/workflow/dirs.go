package workflow

import (
	"fmt"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/partsync/partsync/generator/plan"
	"github.com/partsync/partsync/generator/transfer"
)

// The directory step runs after the fan-out, only when every transfer has
// succeeded (Argo runs a step group after the previous one succeeded), with
// either tool. `partsync dirs` walks the source again and names the entries
// added after the scan (package recheck), which no partition copied; with
// rsync it then re-applies each directory's mode and mtime (and what else
// the tool options keep) from the source, which the partitions, running in
// any order, may have left wrong. In a mirror (generate --delete) it first
// deletes at DST what the source does not have (package mirror, through
// finish.Run as `run` does). It builds that argv from plan.json with
// transfer.DirsCommand, the function `run` uses for the same step.
const dirsName = "dirs"

// dirsStep is the step after the fan-out.
func dirsStep() wfv1.ParallelSteps {
	return wfv1.ParallelSteps{Steps: []wfv1.WorkflowStep{{Name: dirsName, Template: dirsName}}}
}

// ExitRefused is the exit code of `partsync dirs` (and run) when the
// mirror's delete pass refused to delete: the scan could not read some
// entries, or the extras are more than --max-delete. The answer is the
// same at every attempt, so the dirs step is not retried on it.
const ExitRefused = 9

// dirsTemplate runs `partsync dirs` with the transfers' retries, but none
// after a refused delete pass (ExitRefused). With rclone (as the
// transfers) it gets the config's path in RCLONE_CONFIG: the mirror's
// delete pass (plan.Delete) lists and deletes at the remote.
func (o Options) dirsTemplate(runID string, dir plan.Dir, mounts []corev1.VolumeMount, rclone bool, retry *wfv1.RetryStrategy) wfv1.Template {
	argv := []string{"partsync", "dirs", "--run-dir", string(dir), "--attempt", attemptExpr}
	dirsRetry := *retry
	// exitCode is a string, "-1" when the pod was lost: that is retried.
	dirsRetry.Expression = fmt.Sprintf("lastRetry.exitCode != %q", fmt.Sprint(ExitRefused))
	return wfv1.Template{
		Name:          dirsName,
		Metadata:      wfv1.Metadata{Labels: map[string]string{LabelRunID: runID, LabelRole: dirsName}},
		RetryStrategy: &dirsRetry,
		Container:     o.container(argv, mounts, rclone),
	}
}

// addDirsStep appends the directory step to spec's entry point (its first
// template): after the fan-out of a Workflow, or after every child of a
// split run's parent.
func (o Options) addDirsStep(spec *wfv1.WorkflowSpec, p *plan.Plan, mounts []corev1.VolumeMount) error {
	if _, err := transfer.DirsCommand(p); err != nil { // the plan's tool is known
		return err
	}
	retry := retryStrategy(intstr.FromInt32(int32(o.Retries)), o.Backoff.String())
	spec.Templates[0].Steps = append(spec.Templates[0].Steps, dirsStep())
	spec.Templates = append(spec.Templates, o.dirsTemplate(p.RunID, p.Dir(), mounts, p.Tool == "rclone", retry))
	return nil
}
