package workflow

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	corev1 "k8s.io/api/core/v1"

	"github.com/partsync/partsync/generator/clusterflags"
)

// PodOptions are what a cluster asks of every pod: resources, scheduling,
// image pulling, a deadline, metadata and, as an escape hatch, a pod spec
// patch. The zero value asks nothing.
type PodOptions struct {
	Requests, Limits         corev1.ResourceList // transfer pods: --requests, --limits
	StepRequests, StepLimits corev1.ResourceList // scan, dirs and record pods: --step-requests, --step-limits
	NodeSelector             map[string]string   // --node-selector
	Tolerations              []corev1.Toleration // --toleration
	Affinity                 *corev1.Affinity    // --affinity (a file, or JSON); the transfers keep their spread over nodes besides
	ImagePullSecrets         []string            // --image-pull-secret
	ImagePullPolicy          corev1.PullPolicy   // --image-pull-policy
	PriorityClass            string              // --priority-class
	ActiveDeadline           time.Duration       // --active-deadline: spec.activeDeadlineSeconds
	Annotations, Labels      map[string]string   // --pod-annotation, --pod-label: spec.podMetadata
	SpecPatch                string              // --pod-spec-patch, JSON: spec.podSpecPatch
}

// validate reports the problems of the pod options that their parsers cannot see.
func (p PodOptions) validate() error {
	if p.ActiveDeadline < 0 || p.ActiveDeadline > 0 && p.ActiveDeadline < time.Second {
		return fmt.Errorf("%w: --active-deadline %s: give a duration of a second or more, such as 72h (0: none)", ErrCluster, p.ActiveDeadline)
	}
	return nil
}

// applyTo sets the workflow-wide pod fields of spec.
func (p PodOptions) applyTo(spec *wfv1.WorkflowSpec) {
	spec.NodeSelector = p.NodeSelector
	spec.Tolerations = p.Tolerations
	spec.Affinity = p.Affinity
	for _, name := range p.ImagePullSecrets {
		spec.ImagePullSecrets = append(spec.ImagePullSecrets, corev1.LocalObjectReference{Name: name})
	}
	spec.PodPriorityClassName = p.PriorityClass
	if p.ActiveDeadline > 0 {
		spec.ActiveDeadlineSeconds = ptr(int64(p.ActiveDeadline / time.Second))
	}
	if len(p.Annotations) > 0 || len(p.Labels) > 0 {
		spec.PodMetadata = &wfv1.Metadata{Annotations: p.Annotations, Labels: p.Labels}
	}
	spec.PodSpecPatch = p.SpecPatch
}

// transferAffinity is --affinity with the transfers' spread over nodes
// added to its preferred pod anti-affinity.
func (p PodOptions) transferAffinity(runID string) *corev1.Affinity {
	spread := spreadOverNodes(runID)
	if p.Affinity == nil {
		return spread
	}
	a := p.Affinity.DeepCopy()
	if a.PodAntiAffinity == nil {
		a.PodAntiAffinity = &corev1.PodAntiAffinity{}
	}
	a.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution = append(
		a.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution,
		spread.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution...)
	return a
}

// resources is a container's requirements.
func resources(requests, limits corev1.ResourceList) corev1.ResourceRequirements {
	r := corev1.ResourceRequirements{}
	if len(requests) > 0 {
		r.Requests = requests
	}
	if len(limits) > 0 {
		r.Limits = limits
	}
	return r
}

// flags are the generate flags that give p again, but the form's (requests,
// limits, pod-spec-patch): the template's scan step hands them to the
// generate it runs, so the run directory's workflow.yaml has the template's
// pods.
func (p PodOptions) flags() ([]string, error) {
	var argv []string
	add := func(flag, value string) { argv = append(argv, "--"+flag+"="+value) }
	if len(p.StepRequests) > 0 {
		add("step-requests", clusterflags.FormatResources(p.StepRequests))
	}
	if len(p.StepLimits) > 0 {
		add("step-limits", clusterflags.FormatResources(p.StepLimits))
	}
	for _, k := range slices.Sorted(maps.Keys(p.NodeSelector)) {
		add("node-selector", k+"="+p.NodeSelector[k])
	}
	for _, t := range p.Tolerations {
		add("toleration", clusterflags.FormatToleration(t))
	}
	if p.Affinity != nil {
		data, err := sortedJSON(p.Affinity)
		if err != nil {
			return nil, fmt.Errorf("--affinity: %w", err)
		}
		add("affinity", string(data))
	}
	for _, s := range p.ImagePullSecrets {
		add("image-pull-secret", s)
	}
	if p.ImagePullPolicy != "" {
		add("image-pull-policy", string(p.ImagePullPolicy))
	}
	if p.PriorityClass != "" {
		add("priority-class", p.PriorityClass)
	}
	if p.ActiveDeadline > 0 {
		add("active-deadline", p.ActiveDeadline.String())
	}
	for _, k := range slices.Sorted(maps.Keys(p.Annotations)) {
		add("pod-annotation", k+"="+p.Annotations[k])
	}
	for _, k := range slices.Sorted(maps.Keys(p.Labels)) {
		add("pod-label", k+"="+p.Labels[k])
	}
	return argv, nil
}

// sortedJSON is v as JSON with every object's keys sorted, the form Helm's
// toJson writes, so that the chart's scan step gives generate the same
// --affinity to the byte.
func sortedJSON(v any) ([]byte, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var generic any
	if err := json.Unmarshal(data, &generic); err != nil {
		return nil, err
	}
	return json.Marshal(generic)
}
