package workflow

import (
	"slices"
	"strconv"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/partsync/partsync/generator/plan"
)

// With Options.Verify the workflow compares DST with the run after the
// directory step, as `run --verify` does (package verify):
//
//   - a Workflow of one run: a fan-out of one pod per partition, the
//     transfers' image, volumes, rclone Secret, resources, spreading and
//     retries, -n at once under the workflow's parallelism; each runs
//     `partsync verify --part N RUN_DIR`, which writes verify/N.json and
//     exits 0 whatever it found; then one pod `partsync verify --collect
//     RUN_DIR` sums them into verify.json with the extra entries at DST and
//     exits 5 on any mismatch, which fails the workflow; the exit handler's
//     outcome.json says so (its verify section).
//   - a split run (generate past --max-partitions): one pod in the parent,
//     after every child and the directory step, runs `partsync verify -n N
//     RUN_DIR`, comparing -n partitions at once inside the pod. A fan-out over
//     every partition in the parent would give it the nodes the split keeps
//     out of one workflow, and a verify in each child would run before the
//     parent's directory step restores the directories' mtimes.
const (
	verifyName    = "verify"
	verifySumName = "verify-sum"
)

// addVerifySteps appends the verify steps to spec's entry point, after the
// steps it has; split says p runs in child workflows.
func (o Options) addVerifySteps(spec *wfv1.WorkflowSpec, p *plan.Plan, mounts []corev1.VolumeMount, split bool) {
	if !o.Verify && !o.VerifyChecksum {
		return
	}
	var checksum []string
	if o.VerifyChecksum {
		checksum = []string{"--checksum"}
	}
	rclone := p.Tool == "rclone"
	retry := retryStrategy(intstr.FromInt32(int32(o.Retries)), o.Backoff.String())
	dir := string(p.Dir())
	main := &spec.Templates[0]
	sumArgv := slices.Concat([]string{"partsync", "verify", "--collect"}, checksum, []string{dir})
	if split {
		sumArgv = slices.Concat([]string{"partsync", "verify", "-n", strconv.Itoa(o.Jobs)}, checksum, []string{dir})
	} else {
		count := intstr.FromString(strconv.Itoa(p.Count()))
		step := fanOut(count)
		step.Name, step.Template = verifyName, verifyName
		main.Steps = append(main.Steps, wfv1.ParallelSteps{Steps: []wfv1.WorkflowStep{step}})
		spec.Templates = append(spec.Templates, o.verifyTemplate(p.RunID, dir, mounts, rclone, retry, checksum))
	}
	main = &spec.Templates[0]
	main.Steps = append(main.Steps, wfv1.ParallelSteps{Steps: []wfv1.WorkflowStep{{Name: verifySumName, Template: verifySumName}}})
	// Its exit code 5 is the answer, not a failure to try again: only a
	// pod lost (an error, not a failure) is retried.
	sumRetry := *retry
	sumRetry.RetryPolicy = wfv1.RetryPolicyOnError
	spec.Templates = append(spec.Templates, wfv1.Template{
		Name:          verifySumName,
		Metadata:      wfv1.Metadata{Labels: map[string]string{LabelRunID: p.RunID, LabelRole: verifySumName}},
		RetryStrategy: &sumRetry,
		// rclone lists DST for the extra entries: the Secret is mounted.
		Container: o.container(sumArgv, mounts, rclone),
	})
}

// verifyTemplate compares one partition with DST: a transfer pod in all
// but its argv (with the flags in checksum) and role.
func (o Options) verifyTemplate(runID, dir string, mounts []corev1.VolumeMount, rclone bool, retry *wfv1.RetryStrategy, checksum []string) wfv1.Template {
	t := o.transferTemplate(runID, slices.Concat([]string{"partsync", "verify", "--part", partExpr}, checksum, []string{dir}), mounts, rclone, retry)
	t.Name = verifyName
	t.Metadata.Labels[LabelRole] = verifyName
	// What a verify pod finds is no transfer: none of the transfer's
	// outputs, nor its metrics (sent bytes, partition attempts).
	t.Outputs, t.Metrics = wfv1.Outputs{}, nil
	return t
}
