package workflow

import (
	"encoding/json"
	"fmt"
	"maps"
	"path"
	"strconv"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/partsync/partsync/generator/plan"
)

// A run of more partitions than Options.MaxPartitions becomes a workflow of
// workflows, so that no workflow's status outgrows what Argo handles (~1.1 KB
// per node against etcd's and the API's limits; stalls are reported at
// 6-7k nodes). The parent Workflow
//
//  1. creates the semaphore ConfigMap <parent>-jobs holding -n (owned by the
//     parent), as the WorkflowTemplate does;
//  2. creates one child Workflow per MaxPartitions partitions with a
//     resource template (action create, owned by the parent, so deleting
//     the parent deletes them), withItems over the children's ranges, and
//     waits for each to succeed or fail; ChildrenAtOnce run at once;
//  3. records the outcome of the whole run in its exit handler.
//
// A child is the transfer fan-out of a plain Workflow, withSequence over its
// range; every transfer holds the parent's semaphore, so all children
// together run at most -n transfers. The child's manifest is the same for
// every child (the parent fills in its range and name), so the parent grows
// by one short item per child and not with the partitions.
//
// The parent substitutes its own {{…}} tags in the manifest; the child's own
// references to its inputs are expression tags ({{=…}}), which Argo's
// validator leaves alone and the parent's substitution leaves unresolved
// because the parent has no such variable. {{item}} and {{retries}} need no
// such care: the parent resolves neither in a template.

// Names in a workflow of workflows.
const (
	childName       = "child"
	childrenName    = "children"
	childIndexParam = "index"
	childFirstParam = "first"
	childLastParam  = "last"
	childPartExpr   = "{{=inputs.parameters." + partParam + "}}"
	// ChildrenAtOnce is how many children run at once: one fills the -n
	// transfer slots, one finishes its tail, one absorbs a straggler. The
	// semaphore, not this, bounds the transfers.
	ChildrenAtOnce = 3
)

// Range is the partitions First..Last (inclusive) of child workflow Index.
type Range struct {
	Index int `json:"index"`
	First int `json:"first"`
	Last  int `json:"last"`
}

// ChildRanges splits count partitions into ranges of at most size, in order.
func ChildRanges(count, size int) []Range {
	out := []Range{} // [] and not null in JSON: an empty withParam
	for first := 0; first < count; first += size {
		out = append(out, Range{Index: len(out), First: first, Last: min(first+size, count) - 1})
	}
	return out
}

// Children are the ranges of the child workflows of a run of p: none when
// the run is one workflow.
func (o Options) Children(p *plan.Plan) []Range {
	if !o.split(p) {
		return []Range{}
	}
	return ChildRanges(p.Count(), o.MaxPartitions)
}

// buildParent returns the parent Workflow of a run split into children.
func (o Options) buildParent(p *plan.Plan) (*wfv1.Workflow, error) {
	mounts, err := o.mounts(TargetOf(p))
	if err != nil {
		return nil, err
	}
	child, err := o.childWorkflow(p, workflowNameExpr, param2(childIndexParam), param2(childFirstParam), param2(childLastParam))
	if err != nil {
		return nil, err
	}
	childTmpl, err := childTemplate(p.RunID, child)
	if err != nil {
		return nil, err
	}
	ranges := ChildRanges(p.Count(), o.MaxPartitions)
	items := make([]wfv1.Item, len(ranges))
	for i, r := range ranges {
		data, err := json.Marshal(r)
		if err != nil {
			return nil, fmt.Errorf("child %d: %w", i, err)
		}
		if items[i], err = wfv1.ParseItem(string(data)); err != nil {
			return nil, fmt.Errorf("child %d: %w", i, err)
		}
	}
	jobsLimit, err := jobsLimitTemplate(strconv.Itoa(o.Jobs))
	if err != nil {
		return nil, err
	}
	children := childrenStep()
	children.WithItems = items
	main := wfv1.Template{
		Name:        entrypoint,
		Parallelism: ptr(int64(ChildrenAtOnce)),
		Steps: []wfv1.ParallelSteps{
			{Steps: []wfv1.WorkflowStep{{Name: jobsLimitName, Template: jobsLimitName}}},
			{Steps: []wfv1.WorkflowStep{children}},
		},
	}
	wf := &wfv1.Workflow{
		TypeMeta: metav1.TypeMeta{APIVersion: "argoproj.io/v1alpha1", Kind: "Workflow"},
		ObjectMeta: runMeta(p, o, fmt.Sprintf(", in %d child workflows of at most %d partitions (%d at once)",
			len(ranges), o.MaxPartitions, ChildrenAtOnce)),
		Spec: o.spec(main, jobsLimit, childTmpl, o.outcomeTemplate(p.RunID, p.Dir(), mounts)),
	}
	if err := o.addDirsStep(&wf.Spec, p, mounts); err != nil { // after every child
		return nil, err
	}
	o.addVerifySteps(&wf.Spec, p, mounts, true)
	wf.Spec.Synchronization = destinationMutex(path.Dir(p.RunDir), p.Destination) // the parent's alone
	o.secure(&wf.Spec)
	return wf, nil
}

// BuildChild returns child i of a split run as its parent creates it in a
// workflow named parent: for tests and linting; the parent embeds the same
// document with its own tags in place of the name and range.
func BuildChild(p *plan.Plan, o Options, parent string, i int) (*wfv1.Workflow, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	ranges := ChildRanges(p.Count(), max(o.MaxPartitions, 1))
	if i < 0 || i >= len(ranges) {
		return nil, fmt.Errorf("child %d: the run has %d children", i, len(ranges))
	}
	return o.childWorkflow(p, parent, strconv.Itoa(i), strconv.Itoa(ranges[i].First), strconv.Itoa(ranges[i].Last))
}

// childWorkflow is the Workflow that runs partitions first..last of p,
// holding the semaphore of the parent workflow named parent.
func (o Options) childWorkflow(p *plan.Plan, parent, index, first, last string) (*wfv1.Workflow, error) {
	mounts, err := o.mounts(TargetOf(p))
	if err != nil {
		return nil, err
	}
	transferTmpl, err := o.transferOf(p, childPartExpr, mounts)
	if err != nil {
		return nil, err
	}
	return o.childOf(transferTmpl, runLabels(p), "partsync "+p.RunID, parent, index, first, last), nil
}

// childOf is the child Workflow of generate's parent and of the
// WorkflowTemplate's split branch alike: transferTmpl, whose partition is
// childPartExpr, run withSequence over first..last under the semaphore of
// the parent named parent. labels are the run's; title starts the UI title.
func (o Options) childOf(transferTmpl wfv1.Template, labels map[string]string, title, parent, index, first, last string) *wfv1.Workflow {
	transferTmpl.Synchronization = &wfv1.Synchronization{Semaphores: []*wfv1.SemaphoreRef{{
		ConfigMapKeyRef: &corev1.ConfigMapKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: parent + "-jobs"},
			Key:                  jobsKey,
		},
	}}}
	step := fanOut(intstr.IntOrString{})
	step.WithSequence = &wfv1.Sequence{Start: ptr(intstr.FromString(first)), End: ptr(intstr.FromString(last))}
	labels = maps.Clone(labels)
	labels[LabelRole] = childName
	labels["partsync.io/parent"] = parent
	wf := &wfv1.Workflow{
		TypeMeta: metav1.TypeMeta{APIVersion: "argoproj.io/v1alpha1", Kind: "Workflow"},
		ObjectMeta: metav1.ObjectMeta{
			GenerateName: parent + "-c" + index + "-",
			Labels:       labels,
			Annotations: map[string]string{
				"workflows.argoproj.io/title": fmt.Sprintf("%s: partitions %s to %s", title, first, last),
			},
		},
		Spec: o.spec(wfv1.Template{Name: entrypoint, Steps: []wfv1.ParallelSteps{{Steps: []wfv1.WorkflowStep{step}}}}, transferTmpl),
	}
	wf.Spec.OnExit = "" // the parent records the outcome of the whole run
	wf.Spec.Parallelism = ptr(int64(o.Jobs))
	o.secure(&wf.Spec)
	return wf
}

// childTemplate is the parent's resource template that creates child
// Workflow child, given its index and range (and extra) as inputs, and
// waits for it.
func childTemplate(runID string, child *wfv1.Workflow, extra ...string) (wfv1.Template, error) {
	manifest, err := Marshal(child)
	if err != nil {
		return wfv1.Template{}, err
	}
	inputs := []wfv1.Parameter{{Name: childIndexParam}, {Name: childFirstParam}, {Name: childLastParam}}
	for _, name := range extra {
		inputs = append(inputs, wfv1.Parameter{Name: name})
	}
	return wfv1.Template{
		Name:     childName,
		Inputs:   wfv1.Inputs{Parameters: inputs},
		Metadata: wfv1.Metadata{Labels: map[string]string{LabelRunID: runID, LabelRole: childName}},
		Resource: &wfv1.ResourceTemplate{
			Action:            "create",
			SetOwnerReference: true,
			Manifest:          string(manifest),
			SuccessCondition:  "status.phase == Succeeded",
			FailureCondition:  "status.phase in (Failed, Error)",
		},
	}, nil
}

// childrenStep runs childTemplate once per item of the children's ranges
// (index, first, last), withItems or withParam.
func childrenStep() wfv1.WorkflowStep {
	arg := func(name string) wfv1.Parameter {
		return wfv1.Parameter{Name: name, Value: wfv1.AnyStringPtr("{{item." + name + "}}")}
	}
	return wfv1.WorkflowStep{
		Name:      childrenName,
		Template:  childName,
		Arguments: wfv1.Arguments{Parameters: []wfv1.Parameter{arg(childIndexParam), arg(childFirstParam), arg(childLastParam)}},
	}
}
