// Package workflow turns a plan into an Argo Workflow built from Argo's typed
// structs, and lints Workflows and WorkflowTemplates with Argo's own offline
// validator. The fan-out is withSequence over the partition count and every
// pod reads its own part file from the shared volume, so the document does
// not grow with the number of partitions.
package workflow

import (
	"encoding/json"
	"fmt"
	"path"
	"strconv"
	"strings"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"

	"github.com/partsync/partsync/generator/bytesize"
	"github.com/partsync/partsync/generator/plan"
	"github.com/partsync/partsync/generator/plural"
	"github.com/partsync/partsync/generator/transfer"
)

// Names and paths inside the emitted workflow.
const (
	entrypoint      = "main"
	transferName    = "transfer"
	outcomeName     = "record-outcome"
	partParam       = "part"
	partExpr        = "{{inputs.parameters." + partParam + "}}"
	attemptExpr     = "{{retries}}"
	rcloneConfigDir = "/etc/partsync/rclone"
	tmpVolume       = "scratch"
	// scratchDir is writable scratch space (HOME, TMPDIR) on a read-only root
	// file system; kept out of /tmp so that claims may be mounted there.
	scratchDir   = "/var/tmp/partsync"
	configVolume = "rclone-config"

	LabelRunID = "partsync.io/run-id"
	LabelRole  = "partsync.io/role"
	LabelTool  = "partsync.io/tool"

	successTTL = 7 * 24 * 3600  // keep a succeeded workflow a week
	failureTTL = 30 * 24 * 3600 // and a failed one a month, for argo retry
)

// Build returns the Workflow that runs plan p in the cluster.
func Build(p *plan.Plan, o Options) (*wfv1.Workflow, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	if o.split(p) {
		return o.buildParent(p)
	}
	mounts, err := o.mounts(TargetOf(p))
	if err != nil {
		return nil, err
	}
	transferTmpl, err := o.transferOf(p, partExpr, mounts)
	if err != nil {
		return nil, err
	}
	count := intstr.FromString(strconv.Itoa(p.Count()))
	wf := &wfv1.Workflow{
		TypeMeta:   metav1.TypeMeta{APIVersion: "argoproj.io/v1alpha1", Kind: "Workflow"},
		ObjectMeta: runMeta(p, o, ""),
		Spec: o.spec(
			wfv1.Template{Name: entrypoint, Steps: []wfv1.ParallelSteps{{Steps: []wfv1.WorkflowStep{fanOut(count)}}}},
			transferTmpl,
			o.outcomeTemplate(p.RunID, p.Dir(), mounts),
		),
	}
	if err := o.addDirsStep(&wf.Spec, p, mounts); err != nil {
		return nil, err
	}
	o.addVerifySteps(&wf.Spec, p, mounts, false)
	wf.Spec.Parallelism = ptr(int64(o.Jobs))
	wf.Spec.Metrics = runMetrics(p.RunID) // metrics.go
	wf.Spec.Synchronization = destinationMutex(path.Dir(p.RunDir), p.Destination)
	o.secure(&wf.Spec)
	return wf, nil
}

// spec is what every partsync workflow spec holds, a Workflow's and a
// WorkflowTemplate's alike: the entry point, the exit handler that records
// the outcome, the service account, pod and workflow garbage collection, and
// the volumes.
func (o Options) spec(templates ...wfv1.Template) wfv1.WorkflowSpec {
	spec := wfv1.WorkflowSpec{
		Entrypoint:         entrypoint,
		OnExit:             outcomeName,
		ServiceAccountName: o.ServiceAccount,
		PodGC:              &wfv1.PodGC{Strategy: wfv1.PodGCOnPodSuccess},
		TTLStrategy: &wfv1.TTLStrategy{
			SecondsAfterSuccess: ptr(int32(successTTL)),
			SecondsAfterFailure: ptr(int32(failureTTL)),
		},
		Volumes:   o.volumes(),
		Templates: templates,
	}
	o.Pods.applyTo(&spec)
	return spec
}

// fanOut is the step that runs the transfer template once per partition:
// withSequence over the partition count, each pod reading its own part file.
func fanOut(count intstr.IntOrString) wfv1.WorkflowStep {
	return wfv1.WorkflowStep{
		Name:         transferName,
		Template:     transferName,
		Arguments:    wfv1.Arguments{Parameters: []wfv1.Parameter{{Name: partParam, Value: wfv1.AnyStringPtr("{{item}}")}}},
		WithSequence: &wfv1.Sequence{Count: &count},
	}
}

// retryStrategy retries a failed transfer limit times with exponential
// backoff from the first delay, capped at 30 minutes.
func retryStrategy(limit intstr.IntOrString, backoff string) *wfv1.RetryStrategy {
	return &wfv1.RetryStrategy{
		Limit:       &limit,
		RetryPolicy: wfv1.RetryPolicyAlways,
		Backoff: &wfv1.Backoff{
			Duration: backoff,
			Factor:   ptr(intstr.FromInt32(2)),
			Cap:      "30m",
		},
	}
}

// transferTemplate runs one partition: argv in the partsync image, retried,
// spread over nodes. runID labels the pods (an Argo expression in a
// WorkflowTemplate).
func (o Options) transferTemplate(runID string, argv []string, mounts []corev1.VolumeMount, rclone bool, retry *wfv1.RetryStrategy) wfv1.Template {
	t := wfv1.Template{
		Name:          transferName,
		Inputs:        wfv1.Inputs{Parameters: []wfv1.Parameter{{Name: partParam}}},
		Metadata:      wfv1.Metadata{Labels: map[string]string{LabelRunID: runID, LabelRole: "transfer"}},
		Affinity:      o.Pods.transferAffinity(runID),
		RetryStrategy: retry,
		Container:     o.container(argv, mounts, rclone),
		Outputs:       transferOutputs(),      // metrics.go
		Metrics:       transferMetrics(runID), // metrics.go
	}
	t.Container.Resources = resources(o.Pods.Requests, o.Pods.Limits)
	return t
}

// outcomeTemplate is the exit handler: `partsync record` writes outcome.json.
func (o Options) outcomeTemplate(runID string, dir plan.Dir, mounts []corev1.VolumeMount) wfv1.Template {
	argv := []string{"partsync", "record", "--run-dir", string(dir),
		"--workflow-status", "{{workflow.status}}", "--failures", "{{workflow.failures}}"}
	return wfv1.Template{
		Name:     outcomeName,
		Metadata: wfv1.Metadata{Labels: map[string]string{LabelRunID: runID, LabelRole: "outcome"}},
		// record rewrites outcome.json whole: a pod lost to a node or a
		// hiccup of the shared volume is simply run again.
		RetryStrategy: retryStrategy(intstr.FromInt32(outcomeRetries), outcomeBackoff),
		Container:     o.container(argv, mounts, false),
	}
}

// The exit handler's retries do not follow --retries (which may be 0): the
// record of the run's outcome is worth a few attempts in any case.
const (
	outcomeRetries = 3
	outcomeBackoff = "10s"
)

// WorkflowName is the name of the Workflow that generate emits for a run.
func WorkflowName(runID string) string { return "partsync-" + runID }

// TargetOf is the target of a plan.
func TargetOf(p *plan.Plan) Target {
	t := Target{Tool: p.Tool, Source: p.Source, RunDir: p.RunDir}
	if path.IsAbs(p.Destination) {
		t.LocalDestination = p.Destination
	} else {
		t.RemoteName, _, _ = strings.Cut(p.Destination, ":")
	}
	return t
}

// container runs argv in the partsync image with the volumes mounted, a
// locked-down security context and the steps' resources.
func (o Options) container(argv []string, mounts []corev1.VolumeMount, rclone bool) *corev1.Container {
	env := []corev1.EnvVar{{Name: "HOME", Value: scratchDir}, {Name: "TMPDIR", Value: scratchDir}}
	if rclone && o.RcloneConfigSecret != nil {
		env = append(env, corev1.EnvVar{Name: "RCLONE_CONFIG", Value: path.Join(rcloneConfigDir, "rclone.conf")})
	}
	return &corev1.Container{
		Image:           o.Image,
		Command:         argv[:1],
		Args:            argv[1:],
		Env:             env,
		VolumeMounts:    mounts,
		Resources:       resources(o.Pods.StepRequests, o.Pods.StepLimits), // a transfer's are its own
		ImagePullPolicy: o.Pods.ImagePullPolicy,
		SecurityContext: &corev1.SecurityContext{
			AllowPrivilegeEscalation: ptr(false),
			ReadOnlyRootFilesystem:   ptr(true),
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		},
	}
}

// volumes lists the claims, the rclone config Secret and a scratch directory.
func (o Options) volumes() []corev1.Volume {
	vols := []corev1.Volume{}
	for i, v := range o.PVCs {
		vols = append(vols, corev1.Volume{
			Name:         pvcVolumeName(i),
			VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: v.Claim}},
		})
	}
	if s := o.RcloneConfigSecret; s != nil {
		vols = append(vols, corev1.Volume{
			Name: configVolume,
			VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{
				SecretName:  s.Name,
				Items:       []corev1.KeyToPath{{Key: s.Key, Path: "rclone.conf"}},
				DefaultMode: ptr(int32(SecretMode)),
			}},
		})
	}
	vols = append(vols, corev1.Volume{Name: tmpVolume, VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}})
	return vols
}

// SecretMode is the mode of the rclone config in the pods. The kubelet
// leaves a Secret's files owned by root:root, so the pods' non-root user
// reads the file through its "other" bits; the Secret's volume is the pod's
// own (a tmpfs no other pod sees). A pod fsGroup would make 0440 do, but it
// would also let the kubelet chgrp -R the pod's claims (CSI drivers with
// fsGroupPolicy File, or RWO volumes with an fsType): the source tree.
const SecretMode = 0o444

func pvcVolumeName(i int) string { return "pvc-" + strconv.Itoa(i) }

// spreadOverNodes prefers nodes that run no other transfer of the run.
func spreadOverNodes(runID string) *corev1.Affinity {
	return &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{
		PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{{
			Weight: 100,
			PodAffinityTerm: corev1.PodAffinityTerm{
				LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{LabelRunID: runID, LabelRole: "transfer"}},
				TopologyKey:   "kubernetes.io/hostname",
			},
		}},
	}}
}

// Marshal renders a Workflow or WorkflowTemplate as YAML without the empty
// status and creation timestamp that the typed structs carry.
func Marshal(obj any) ([]byte, error) {
	data, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("encode workflow: %w", err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("encode workflow: %w", err)
	}
	delete(doc, "status")
	if meta, ok := doc["metadata"].(map[string]any); ok {
		delete(meta, "creationTimestamp")
	}
	dropEmpty(doc)
	out, err := yaml.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("encode workflow: %w", err)
	}
	return out, nil
}

// dropEmpty removes from doc, and everything in it, the fields of Argo's and
// Kubernetes' types that the typed structs print as {} when unset and whose
// {} means the same as their absence. (An emptyDir's {} is a volume: it is
// not among them.) An empty name goes too: only a container's is ever
// empty, and Argo names the container main.
func dropEmpty(v any) {
	switch x := v.(type) {
	case map[string]any:
		for _, k := range []string{"arguments", "inputs", "outputs", "metadata", "resources"} {
			if m, ok := x[k].(map[string]any); ok && len(m) == 0 {
				delete(x, k)
			}
		}
		if name, ok := x["name"].(string); ok && name == "" { // a container's: Argo names it main
			delete(x, "name")
		}
		for _, sub := range x {
			dropEmpty(sub)
		}
	case []any:
		for _, sub := range x {
			dropEmpty(sub)
		}
	}
}

func ptr[T any](v T) *T { return &v }

// split reports whether plan p needs a workflow of workflows.
func (o Options) split(p *plan.Plan) bool { return o.MaxPartitions > 0 && p.Count() > o.MaxPartitions }

// Workflows is the number of Workflows a run of p makes: 1, or the parent
// and its children.
func (o Options) Workflows(p *plan.Plan) int {
	if !o.split(p) {
		return 1
	}
	return 1 + len(ChildRanges(p.Count(), o.MaxPartitions))
}

// runLabels are the labels of every workflow of a run.
func runLabels(p *plan.Plan) map[string]string {
	return map[string]string{
		"app.kubernetes.io/name":       "partsync",
		"app.kubernetes.io/managed-by": "partsync",
		LabelRunID:                     p.RunID,
		LabelTool:                      p.Tool,
	}
}

// runMeta is the metadata of the Workflow generate prints; extra goes into
// its description.
func runMeta(p *plan.Plan, o Options, extra string) metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Name:      WorkflowName(p.RunID),
		Namespace: o.Namespace,
		Labels:    runLabels(p),
		Annotations: map[string]string{
			"workflows.argoproj.io/title": fmt.Sprintf("partsync %s: %s → %s", p.RunID, p.Source, p.Destination),
			"workflows.argoproj.io/description": fmt.Sprintf(
				"Copies %s to %s with %s in %s of at most %s / %s, %d at once%s. Plan: %s",
				p.Source, p.Destination, p.Tool, plural.Count(p.Count(), "partition"), plural.Count(p.MaxFiles, "entry"), bytesize.Format(p.MaxBytes), o.Jobs, extra, p.Dir().PlanFile()),
		},
	}
}

// transferOf is the transfer template of plan p, its partition given by the
// Argo tag part.
func (o Options) transferOf(p *plan.Plan, part string, mounts []corev1.VolumeMount) (wfv1.Template, error) {
	toolArgv, err := transfer.Command(p, part)
	if err != nil {
		return wfv1.Template{}, err
	}
	podArgv := transfer.PodArgv(p.Dir(), part, attemptExpr, scratchDir, toolArgv)
	retry := retryStrategy(intstr.FromInt32(int32(o.Retries)), o.Backoff.String())
	return o.transferTemplate(p.RunID, podArgv, mounts, p.Tool == "rclone", retry), nil
}

// param2 is an Argo tag for an input parameter of the template it is in.
func param2(name string) string { return "{{inputs.parameters." + name + "}}" }
