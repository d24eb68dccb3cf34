package workflow

import (
	"errors"
	"fmt"
	"path"
	"strings"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/partsync/partsync/generator/bytesize"
	"github.com/partsync/partsync/generator/clusterflags"
	"github.com/partsync/partsync/generator/partition"
	"github.com/partsync/partsync/generator/plan"
	"github.com/partsync/partsync/generator/tool"
	"github.com/partsync/partsync/generator/transfer"
)

// A WorkflowTemplate is the form of the Argo UI: someone applies it once and
// submits it with parameters. Its first step runs `partsync generate` in the
// cluster on the mounted volumes: it scans, writes the run directory
// <shared-dir>/<workflow name> and the summary whose partition count drives
// the fan-out, withSequence as in a generated Workflow. The transfer and
// exit-handler pods are the generated Workflow's, built by the same
// functions; a transfer pod reads its tool argv from plan.json at run time
// (`partsync transfer` without an argv builds it with transfer.Command, the
// function that builds the argv of generate and of a local run).
//
// Argo's spec.parallelism takes no parameter, so the form's `jobs` limits the
// transfers with a semaphore instead: a resource step creates the ConfigMap
// <workflow name>-jobs holding jobs, owned by the workflow (deleted with it),
// and every transfer holds that semaphore while it runs.

// Names in a WorkflowTemplate.
const (
	scanName      = "scan"
	jobsLimitName = "jobs-limit"
	summaryParam  = "summary"
	jobsKey       = "jobs"
	// The scan writes the standalone Workflow and the summary to scratch space.
	scanWorkflowFile = scratchDir + "/workflow.yaml"
	scanSummaryFile  = scratchDir + "/summary.json"
	workflowNameExpr = "{{workflow.name}}"
)

// Parameter names of the form. Each but source and destination is the long
// name of the generate flag it is handed to.
const (
	ParamSource      = "source"
	ParamDestination = "destination"
	ParamTool        = "tool"
	ParamJobs        = "jobs"
	ParamBwLimit     = "bwlimit"
	ParamFiles       = "files"
	ParamSize        = "size"
	ParamToolOptions = "tool-options"
	ParamExclude     = "exclude"
	ParamScanWorkers = "scan-workers"
	ParamRetries     = "retries"
	ParamBackoff     = "backoff"
	ParamRequests    = "requests"
	ParamLimits      = "limits"
	ParamPodPatch    = "pod-spec-patch"
	ParamSizing      = "sizing"
	ParamMaxParts    = "max-partitions"
	ParamDelete      = "delete"
	ParamMaxDelete   = "max-delete"
	ParamVerify      = "verify"
)

// Values of the form's verify: no verification, size and mtime
// (--verify), content (--verify-checksum).
const (
	VerifySkip     = "skip"
	VerifySize     = "size-mtime"
	VerifyChecksum = "checksum"
)

// Values of the form's delete: DST's extras stay, or the run is a mirror
// (--delete). Words, not true/false, which YAML 1.1 reads as booleans.
const (
	DeleteKeep   = "keep"
	DeleteExtras = "delete"
)

// Values of the form's sizing: by -f/-s alone, or --auto.
const (
	SizingLimits = "limits"
	SizingAuto   = "auto"
)

// TemplateOptions say what a WorkflowTemplate holds besides Options: its
// name and kind, the fixed shared directory, and the form's defaults.
// Options.Jobs, Retries and Backoff are the defaults of jobs, retries and
// backoff; Options.Namespace is the template's namespace.
type TemplateOptions struct {
	Name      string // metadata.name
	Cluster   bool   // a ClusterWorkflowTemplate instead of a WorkflowTemplate
	SharedDir string // absolute, on a claim: runs go to <SharedDir>/<workflow name>
	// RunAsRoot runs the pods as root with the capabilities rsync needs to
	// preserve owners (rootCapabilities); otherwise they run as Options.RunAs,
	// by default the image's non-root user.
	RunAsRoot bool
	Defaults  FormDefaults
}

// FormDefaults are the defaults the form shows, as the generate flags take them.
type FormDefaults struct {
	Source      string // absolute path under a claim
	Destination string // absolute path under a claim, or an rclone remote
	Tool        string
	Files       int64
	Size        string // as -s takes it: 4G, 512MiB, …
	Auto        bool   // --auto: the form's sizing is auto
	// MaxPartitions is the most partitions in one workflow: more are split
	// into child workflows.
	MaxPartitions int
	ToolOptions   string // blank: the tool's defaults
	Excludes      []string
	ScanWorkers   int
	BwLimit       string // as --bwlimit takes it: 100M; blank for no limit
	Delete        bool   // --delete: the form's delete is delete
	MaxDelete     int64  // --max-delete
}

// param is the Argo expression of a form parameter.
func param(name string) string { return "{{workflow.parameters." + name + "}}" }

// CheckTemplate reports every problem of o and t that BuildTemplate would
// refuse (-n, --retries, --backoff, the name, the claims …), without
// building, so that the CLI reports them with its own in one go.
func CheckTemplate(o Options, t TemplateOptions) error {
	_, err := t.mounts(o)
	return err
}

// mounts checks t and o and returns the transfer pod's volume mounts.
func (t TemplateOptions) mounts(o Options) ([]corev1.VolumeMount, error) {
	if t.RunAsRoot {
		o.RunAs = &Identity{UID: 0, GID: 0}
	}
	target, err := t.check(o)
	mounts, merr := o.mounts(target)
	return mounts, errors.Join(err, merr)
}

// BuildTemplate returns the WorkflowTemplate, or with t.Cluster the
// ClusterWorkflowTemplate, that runs partsync from the Argo UI's form.
func BuildTemplate(o Options, t TemplateOptions) (metav1.Object, error) {
	if t.RunAsRoot {
		o.RunAs = &Identity{UID: 0, GID: 0}
	}
	mounts, err := t.mounts(o)
	if err != nil {
		return nil, err
	}
	rclone := o.RcloneConfigSecret != nil // the tool is chosen in the form
	dir := plan.Dir(path.Join(t.SharedDir, workflowNameExpr))
	retry := retryStrategy(intstr.FromString(param(ParamRetries)), param(ParamBackoff))
	// The form's transfer, its partition given by the Argo tag part.
	formTransfer := func(part string) wfv1.Template {
		tmpl := o.transferTemplate(workflowNameExpr, transfer.PodArgv(dir, part, attemptExpr, scratchDir, nil), mounts, rclone, retry)
		tmpl.Container.Resources = corev1.ResourceRequirements{} // the form's, in formResources
		tmpl.PodSpecPatch = formResources()
		return tmpl
	}
	transferTmpl := formTransfer(partExpr)
	transferTmpl.Synchronization = &wfv1.Synchronization{Semaphores: []*wfv1.SemaphoreRef{{
		ConfigMapKeyRef: &corev1.ConfigMapKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: jobsConfigMapName},
			Key:                  jobsKey,
		},
	}}}
	jobsLimit, err := jobsLimitTemplate(param(ParamJobs))
	if err != nil {
		return nil, err
	}
	// The split branch: the child Workflow generate's parent creates, with
	// the form's transfer; the parent (this workflow) fills in its tags.
	child := o.childOf(formTransfer(childPartExpr), formLabels(), "partsync {{workflow.name}}",
		workflowNameExpr, param2(childIndexParam), param2(childFirstParam), param2(childLastParam))
	child.Spec.Parallelism = nil // the form's jobs, in the parent's semaphore
	optionalSecrets(&child.Spec)
	// The patches are evaluated in the parent, by the children step: an
	// expression inside the manifest would be read as YAML text.
	child.Spec.PodSpecPatch = param2(ParamPodPatch)
	for i := range child.Spec.Templates {
		if child.Spec.Templates[i].Name == transferName {
			child.Spec.Templates[i].PodSpecPatch = param2(resourcesParam)
		}
	}
	childTmpl, err := childTemplate(workflowNameExpr, child, resourcesParam, ParamPodPatch)
	if err != nil {
		return nil, err
	}
	main := wfv1.Template{
		Name: entrypoint,
		Steps: []wfv1.ParallelSteps{
			{Steps: []wfv1.WorkflowStep{{Name: scanName, Template: scanName}}},
			{Steps: []wfv1.WorkflowStep{{Name: jobsLimitName, Template: jobsLimitName}}},
			{Steps: []wfv1.WorkflowStep{oneWorkflowStep(), splitStep()}},
			dirsStep(),
			{Steps: []wfv1.WorkflowStep{formVerifyStep()}},
			{Steps: []wfv1.WorkflowStep{formVerifySumStep()}},
		},
	}
	verifyTmpl, verifySum := o.formVerifyTemplates(dir, mounts, rclone, retry, transferTmpl)
	podFlags, err := o.Pods.flags()
	if err != nil {
		return nil, err
	}
	spec := o.spec(main, o.scanTemplate(t, mounts, rclone, podFlags), jobsLimit, transferTmpl,
		o.outcomeTemplate(workflowNameExpr, dir, mounts), o.dirsTemplate(workflowNameExpr, dir, mounts, rclone, retry),
		verifyTmpl, verifySum, childrenTemplate(), childTmpl) // the split branch last: the chart appends it
	spec.Arguments = wfv1.Arguments{Parameters: t.parameters(o)}
	spec.Metrics = runMetrics(workflowNameExpr) // metrics.go
	spec.Synchronization = formMutex(t.SharedDir)
	spec.PodSpecPatch = formPodSpecPatch()
	spec.WorkflowMetadata = &wfv1.WorkflowMetadata{
		Labels: map[string]string{"app.kubernetes.io/name": "partsync", "app.kubernetes.io/managed-by": "partsync"},
		LabelsFrom: map[string]wfv1.LabelValueFrom{
			LabelRunID: {Expression: "workflow.name"},
			LabelTool:  {Expression: "workflow.parameters." + ParamTool},
		},
	}
	o.secure(&spec)
	optionalSecrets(&spec)
	meta := metav1.ObjectMeta{
		Name:      t.Name,
		Namespace: o.Namespace,
		Labels:    map[string]string{"app.kubernetes.io/name": "partsync", "app.kubernetes.io/managed-by": "partsync"},
		Annotations: map[string]string{
			"workflows.argoproj.io/title":       "partsync: copy a file tree in parallel partitions",
			"workflows.argoproj.io/description": t.description(o),
		},
	}
	if t.Cluster {
		imageInEveryTemplate(&spec)
		return &wfv1.ClusterWorkflowTemplate{
			TypeMeta:   metav1.TypeMeta{APIVersion: "argoproj.io/v1alpha1", Kind: "ClusterWorkflowTemplate"},
			ObjectMeta: meta,
			Spec:       spec,
		}, nil
	}
	return &wfv1.WorkflowTemplate{
		TypeMeta:   metav1.TypeMeta{APIVersion: "argoproj.io/v1alpha1", Kind: "WorkflowTemplate"},
		ObjectMeta: meta,
		Spec:       spec,
	}, nil
}

// optionalSecrets lets the pods of spec start without its Secret volumes: a
// form's rsync run needs no rclone config, and the Secret may be absent.
func optionalSecrets(spec *wfv1.WorkflowSpec) {
	for _, v := range spec.Volumes {
		if v.Secret != nil {
			v.Secret.Optional = ptr(true)
		}
	}
}

// formLabels are the labels of a child workflow of a run from the form.
func formLabels() map[string]string {
	return map[string]string{
		"app.kubernetes.io/name": "partsync", "app.kubernetes.io/managed-by": "partsync",
		LabelRunID: workflowNameExpr, LabelTool: param(ParamTool),
	}
}

// summaryExpr is an Argo expression of the scan's summary at JSON path p.
func summaryExpr(p string) string {
	return "jsonpath(steps." + scanName + ".outputs.parameters." + summaryParam + ", '" + p + "')"
}

// splitExpr is true when the scan split the run into child workflows (more
// partitions than the form's max-partitions): its summary lists their ranges.
var splitExpr = "len(" + summaryExpr("$.children") + ") > 0"

// oneWorkflowStep fans the transfers out in this workflow when the run is
// not split. Its count is 0 when it is: Argo expands a step before its when,
// and every partition would become a skipped node.
func oneWorkflowStep() wfv1.WorkflowStep {
	step := fanOut(intstr.FromString("{{=" + splitExpr + " ? 0 : " + summaryExpr("$.partitions") + "}}"))
	step.When = "{{=!(" + splitExpr + ")}}"
	return step
}

// splitStep creates the child workflows when the run is split, over the
// ranges in the scan's summary.
func splitStep() wfv1.WorkflowStep {
	return wfv1.WorkflowStep{
		Name:     childrenName,
		Template: childrenName,
		When:     "{{=" + splitExpr + "}}",
		Arguments: wfv1.Arguments{Parameters: []wfv1.Parameter{
			{Name: childrenName, Value: wfv1.AnyStringPtr("{{=toJson(" + summaryExpr("$.children") + ")}}")},
			{Name: resourcesParam, Value: wfv1.AnyStringPtr(formResources())},
			{Name: ParamPodPatch, Value: wfv1.AnyStringPtr(childPodSpecPatch())},
		}},
	}
}

// verifyOnExpr and checksumExpr read the form's verify.
var (
	verifyOnExpr = "workflow.parameters." + ParamVerify + " != '" + VerifySkip + "'"
	checksumExpr = "workflow.parameters." + ParamVerify + " == '" + VerifyChecksum + "'"
)

// formVerifyStep is the verify fan-out of a run that is not split, when the
// form asks for a verification: one pod per partition, as generate
// --verify's. Its count is 0 otherwise, as the plain fan-out's.
func formVerifyStep() wfv1.WorkflowStep {
	on := verifyOnExpr + " && !(" + splitExpr + ")"
	step := fanOut(intstr.FromString("{{=" + on + " ? " + summaryExpr("$.partitions") + " : 0}}"))
	step.Name, step.Template = verifyName, verifyName
	step.When = "{{=" + on + "}}"
	return step
}

// splitParam tells verify-sum whether the run was split.
const splitParam = "split"

// formVerifySumStep sums the verify pods' results, or verifies a split run
// in one pod, when the form asks for a verification.
func formVerifySumStep() wfv1.WorkflowStep {
	return wfv1.WorkflowStep{
		Name: verifySumName, Template: verifySumName, When: "{{=" + verifyOnExpr + "}}",
		Arguments: wfv1.Arguments{Parameters: []wfv1.Parameter{{Name: splitParam, Value: wfv1.AnyStringPtr("{{=" + splitExpr + "}}")}}},
	}
}

// formVerifyTemplates are the form's verify steps, as generate --verify's
// (verify.go): each verify pod is the form's transfer pod (its semaphore,
// requests, limits and retries) but for its argv and role, without the
// transfer's outputs and metrics; verify-sum runs `partsync verify
// --collect` after them, or for a split run `partsync verify -n JOBS`, and
// exits 5 on any mismatch, retried only when its pod is lost.
func (o Options) formVerifyTemplates(dir plan.Dir, mounts []corev1.VolumeMount, rclone bool, retry *wfv1.RetryStrategy, transferTmpl wfv1.Template) (wfv1.Template, wfv1.Template) {
	checksum := "--checksum={{=" + checksumExpr + "}}"
	v := transferTmpl
	v.Name = verifyName
	v.Metadata = wfv1.Metadata{Labels: map[string]string{LabelRunID: workflowNameExpr, LabelRole: verifyName}}
	c := *transferTmpl.Container
	c.Args = []string{"verify", "--part", partExpr, checksum, string(dir)}
	v.Container = &c
	v.Outputs, v.Metrics = wfv1.Outputs{}, nil
	sumRetry := *retry
	sumRetry.RetryPolicy = wfv1.RetryPolicyOnError
	sum := wfv1.Template{
		Name:          verifySumName,
		Inputs:        wfv1.Inputs{Parameters: []wfv1.Parameter{{Name: splitParam}}},
		Metadata:      wfv1.Metadata{Labels: map[string]string{LabelRunID: workflowNameExpr, LabelRole: verifySumName}},
		RetryStrategy: &sumRetry,
		Container: o.container([]string{"partsync", "verify", "--collect={{=inputs.parameters." + splitParam + " != 'true'}}",
			"-n", param(ParamJobs), checksum, string(dir)}, mounts, rclone),
	}
	return v, sum
}

// resourcesParam is the transfer pods' podSpecPatch of the form's requests
// and limits, handed to the children.
const resourcesParam = "resources-patch"

// childrenTemplate runs the child template once per range of its input,
// ChildrenAtOnce at once (a template of its own: the parallelism would
// otherwise bound the one-workflow fan-out too).
func childrenTemplate() wfv1.Template {
	step := childrenStep()
	step.WithParam = param2(childrenName)
	for _, name := range []string{resourcesParam, ParamPodPatch} {
		step.Arguments.Parameters = append(step.Arguments.Parameters, wfv1.Parameter{Name: name, Value: wfv1.AnyStringPtr(param2(name))})
	}
	return wfv1.Template{
		Name:        childrenName,
		Inputs:      wfv1.Inputs{Parameters: []wfv1.Parameter{{Name: childrenName}, {Name: resourcesParam}, {Name: ParamPodPatch}}},
		Parallelism: ptr(int64(ChildrenAtOnce)),
		Steps:       []wfv1.ParallelSteps{{Steps: []wfv1.WorkflowStep{step}}},
	}
}

// jobsConfigMapName holds the run's semaphore limit, the form's jobs.
const jobsConfigMapName = workflowNameExpr + "-jobs"

// check validates the template options and returns the target the form's
// defaults describe, which decides the claims' read-only flags: the claims
// of the shared directory and of a local destination are writable.
func (t TemplateOptions) check(o Options) (Target, error) {
	var errs []error
	if err := o.validate(); err != nil {
		errs = append(errs, err)
	}
	if msgs := validation.IsDNS1123Subdomain(t.Name); len(msgs) > 0 {
		errs = append(errs, fmt.Errorf("%w: --name %q: %s", ErrCluster, t.Name, msgs[0]))
	}
	if t.Cluster && o.Namespace != "" {
		errs = append(errs, fmt.Errorf("%w: --namespace %s: a ClusterWorkflowTemplate has no namespace; drop --namespace or --cluster", ErrCluster, o.Namespace))
	}
	d := t.Defaults
	for _, p := range []struct{ what, path string }{{"SRC", d.Source}, {"the shared dir", t.SharedDir}} {
		if !path.IsAbs(p.path) || path.Clean(p.path) != p.path {
			errs = append(errs, fmt.Errorf("%w: %s %q must be a clean absolute path in the pods", ErrCluster, p.what, p.path))
		}
	}
	target := Target{Tool: "rclone", Source: d.Source, RunDir: t.SharedDir}
	if tl, err := tool.Lookup(d.Tool); err != nil {
		errs = append(errs, err)
	} else if dst, err := tl.CheckDestination(d.Destination); err != nil {
		errs = append(errs, err)
	} else {
		target.LocalDestination, target.RemoteName = dst.LocalPath, dst.Remote
	}
	return target, errors.Join(errs...)
}

// scanTemplate runs `partsync generate` with the form's values: it scans
// SRC into <shared-dir>/<workflow name>, checks everything generate checks,
// keeps the equivalent standalone Workflow as workflow.yaml in the run
// directory, and outputs the summary whose partition count drives the fan-out.
func (o Options) scanTemplate(t TemplateOptions, mounts []corev1.VolumeMount, rclone bool, podFlags []string) wfv1.Template {
	argv := []string{"partsync", "generate", "--run-id=" + workflowNameExpr, "--shared-dir=" + t.SharedDir}
	for _, name := range []string{ParamTool, ParamJobs, ParamBwLimit, ParamFiles, ParamSize, ParamMaxParts, ParamToolOptions, ParamExclude, ParamScanWorkers,
		ParamRetries, ParamBackoff, ParamRequests, ParamLimits, ParamPodPatch} {
		argv = append(argv, "--"+name+"="+param(name))
	}
	for _, v := range o.PVCs {
		argv = append(argv, "--pvc="+v.Claim+":"+v.MountPath)
	}
	id := o.Identity() // the scan's own identity: generate gives it to the pods as it is
	argv = append(argv, "--image="+o.Image, "--namespace={{workflow.namespace}}", "--service-account="+o.ServiceAccount,
		fmt.Sprintf("--run-as-user=%d:%d", id.UID, id.GID))
	argv = append(argv, podFlags...)
	if s := o.RcloneConfigSecret; s != nil {
		argv = append(argv, "--rclone-config-secret="+s.Name+":"+s.Key)
	}
	argv = append(argv, "--auto={{=workflow.parameters."+ParamSizing+" == '"+SizingAuto+"'}}") // the form offers a choice, not a YAML boolean
	argv = append(argv, "--delete={{=workflow.parameters."+ParamDelete+" == '"+DeleteExtras+"'}}", "--"+ParamMaxDelete+"="+param(ParamMaxDelete))
	argv = append(argv, "--output-file="+scanWorkflowFile, "--summary-json="+scanSummaryFile, "--", param(ParamSource), param(ParamDestination))
	return wfv1.Template{
		Name:      scanName,
		Metadata:  wfv1.Metadata{Labels: map[string]string{LabelRunID: workflowNameExpr, LabelRole: scanName}},
		Container: o.container(argv, mounts, rclone),
		Outputs: wfv1.Outputs{Parameters: []wfv1.Parameter{{
			Name:        summaryParam,
			GlobalName:  summaryParam,
			ValueFrom:   &wfv1.ValueFrom{Path: scanSummaryFile},
			Description: wfv1.AnyStringPtr("generate's --summary-json: run id, partitions, files, bytes, skipped, excluded, run directory"),
		}}},
	}
}

// jobsLimitTemplate creates the ConfigMap that holds the run's semaphore
// limit, jobs. In a WorkflowTemplate it runs after the scan, which has
// checked that the form's jobs is a number ≥ 1.
func jobsLimitTemplate(jobs string) (wfv1.Template, error) {
	cm := corev1.ConfigMap{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{
			Name:      jobsConfigMapName,
			Namespace: "{{workflow.namespace}}",
			Labels: map[string]string{
				"app.kubernetes.io/name": "partsync", "app.kubernetes.io/managed-by": "partsync",
				LabelRunID: workflowNameExpr, LabelRole: jobsLimitName,
			},
		},
		Data: map[string]string{jobsKey: jobs},
	}
	manifest, err := Marshal(cm)
	if err != nil {
		return wfv1.Template{}, err
	}
	return wfv1.Template{
		Name:     jobsLimitName,
		Metadata: wfv1.Metadata{Labels: map[string]string{LabelRunID: workflowNameExpr, LabelRole: jobsLimitName}},
		Resource: &wfv1.ResourceTemplate{Action: "create", SetOwnerReference: true, Manifest: string(manifest)},
	}, nil
}

// parameters is the form: every parameter with its default and a description.
func (t TemplateOptions) parameters(o Options) []wfv1.Parameter {
	d := t.Defaults
	p := func(name, value, description string) wfv1.Parameter {
		return wfv1.Parameter{Name: name, Value: wfv1.AnyStringPtr(value), Description: wfv1.AnyStringPtr(description)}
	}
	toolParam := p(ParamTool, d.Tool, "Transfer tool (partsync -m): rsync copies to a path; rclone copies to an rclone remote (remote:bucket/prefix) or a path.")
	for _, name := range tool.Names() {
		toolParam.Enum = append(toolParam.Enum, wfv1.AnyString(name))
	}
	sizing := SizingLimits
	if d.Auto {
		sizing = SizingAuto
	}
	sizingParam := p(ParamSizing, sizing, fmt.Sprintf("How the scan cuts partitions: %s cuts by files and size only; %s sizes them from the scan (partsync --auto): about %d per job, of even cost (bytes + %s per entry), largest first, files and size still bounding each one.",
		SizingLimits, SizingAuto, partition.PartsPerJob, bytesize.Format(partition.DefaultFileCost)))
	sizingParam.Enum = []wfv1.AnyString{SizingLimits, SizingAuto}
	del := DeleteKeep
	if d.Delete {
		del = DeleteExtras
	}
	deleteParam := p(ParamDelete, del, fmt.Sprintf("%s leaves at DST what the source does not have; %s makes DST a mirror (partsync --delete): after every partition succeeded, the step after them deletes it, refused when the scan could not read some entries; excluded entries stay.", DeleteKeep, DeleteExtras))
	deleteParam.Enum = []wfv1.AnyString{DeleteKeep, DeleteExtras}
	ver := VerifySkip
	switch {
	case o.VerifyChecksum:
		ver = VerifyChecksum
	case o.Verify:
		ver = VerifySize
	}
	verifyParam := p(ParamVerify, ver, fmt.Sprintf("After the copy, compare DST with the run (partsync --verify): %s does not; %s compares size and mtime; %s compares content, reading every byte on both sides. A difference fails the workflow (exit 5); verify.json in the run directory names every entry missing, differing or extra at DST.", VerifySkip, VerifySize, VerifyChecksum))
	verifyParam.Enum = []wfv1.AnyString{VerifySkip, VerifySize, VerifyChecksum}
	return []wfv1.Parameter{
		p(ParamSource, d.Source, "Directory to copy (SRC): an absolute path under one of the mounted volumes ("+t.mountList(o)+"). It is scanned once, in the cluster."),
		p(ParamDestination, d.Destination, "Where to copy it (DST): an absolute path under a mounted volume, or with rclone a remote:bucket/prefix defined in the rclone config Secret."),
		toolParam,
		p(ParamJobs, fmt.Sprint(o.Jobs), "Transfers at once (partsync -n): one pod per partition, at most this many running."),
		p(ParamBwLimit, d.BwLimit, "One bandwidth budget for the whole run, bytes per second (partsync --bwlimit): 100M = 100 MiB/s, split evenly over the jobs transfers (rsync and rclone --bwlimit). Blank sets no limit."),
		p(ParamFiles, fmt.Sprint(d.Files), "At most this many entries per partition (partsync -f)."),
		p(ParamSize, d.Size, "At most this many bytes per partition (partsync -s): 4G = 4 GiB, 512MiB, 4GB = 4·10⁹, or plain bytes."),
		sizingParam,
		p(ParamMaxParts, fmt.Sprint(d.MaxPartitions), "Most partitions in one workflow (partsync --max-partitions): a run with more is split into child workflows of at most this many, created by this one ("+
			fmt.Sprint(ChildrenAtOnce)+" at once, jobs transfers at once in all; the service account needs to create and get workflows). Above ~5000 Argo's status grows too large."),
		p(ParamToolOptions, d.ToolOptions, "Options that replace the tool's defaults (partsync -o), quoted like a shell but never run by one. Blank keeps the defaults: rsync "+
			strings.Join(tool.Rsync{}.DefaultOptions(), " ")+"; rclone "+strings.Join(tool.Rclone{}.DefaultOptions(), " ")+"."),
		p(ParamExclude, strings.Join(d.Excludes, "\n"), "Globs to exclude (partsync -x), one per line: *.tmp matches a name at any depth, a pattern with / the path from SRC, a trailing / directories only. Blank excludes nothing."),
		deleteParam,
		p(ParamMaxDelete, fmt.Sprint(d.MaxDelete), "With delete: refuse the whole deletion when more than this many entries would go (partsync --max-delete); 0 sets no limit."),
		verifyParam,
		p(ParamScanWorkers, fmt.Sprint(d.ScanWorkers), "Directories the scan reads at once (raise it on Lustre or NFS)."),
		p(ParamRetries, fmt.Sprint(o.Retries), "Further attempts at a failed partition."),
		p(ParamBackoff, o.Backoff.String(), "Delay before a partition's first retry, doubled for each further one (capped at 30m)."),
		p(ParamRequests, clusterflags.FormatResources(o.Pods.Requests), "CPU and memory each transfer pod requests, as NAME=QUANTITY,… (cpu=500m,memory=1Gi). Blank requests nothing."),
		p(ParamLimits, clusterflags.FormatResources(o.Pods.Limits), "CPU and memory each transfer pod may use at most, as NAME=QUANTITY,… (cpu=2,memory=4Gi). Blank sets no limit."),
		p(ParamPodPatch, o.Pods.SpecPatch, `A patch of every pod's spec in JSON, as Argo's podSpecPatch (containers by name; partsync's is "main"), e.g. {"nodeSelector":{"pool":"transfer"}}. Blank patches nothing.`),
	}
}

// mountList names the claims and where the pods see them.
func (t TemplateOptions) mountList(o Options) string {
	var list []string
	for _, v := range o.PVCs {
		list = append(list, v.MountPath+" (claim "+v.Claim+")")
	}
	return strings.Join(list, ", ")
}

// description is the template's description in the Argo UI (markdown).
func (t TemplateOptions) description(o Options) string {
	return "Copies a file tree to another file system (rsync) or to object storage (rclone) in parallel partitions. " +
		"The first step scans `source` in the cluster and writes the run directory " + t.SharedDir + "/<workflow name> " +
		"(plan.json, part files, skipped list, and workflow.yaml: the equivalent standalone Workflow); then one pod per partition " +
		"copies it, `jobs` at once, each retried `retries` times; the exit handler writes outcome.json. Volumes: " + t.mountList(o) + "."
}

// formResources is the transfer pods' podSpecPatch that gives the main
// container the form's requests and limits: Argo substitutes parameters in a
// podSpecPatch but not in the typed quantities of a container's resources.
// The expression turns NAME=QUANTITY,… into the resources' JSON, leaving out
// blank names and values; the scan (partsync generate) has checked both
// values before any transfer starts.
func formResources() string {
	object := func(name string) string { // {"cpu":"500m",…}, as a string: toJson cannot encode expr's maps
		pairs := "filter(map(split(workflow.parameters." + name + ", ','), map(split(#, '='), trim(#))), len(#) == 2 && #[0] != '' && #[1] != '')"
		return "'{' + join(map(" + pairs + ", toJson(#[0]) + ':' + toJson(#[1])), ',') + '}'"
	}
	// No "}}" inside: it would end Argo's tag.
	return `{{='{"containers": [{"name": "main", "resources": {"requests": ' + ` + object(ParamRequests) +
		` + ', "limits": ' + ` + object(ParamLimits) + ` + '} } ] }'}}`
}

// formPodSpecPatch is the workflow's podSpecPatch: the form's, or {} (no
// change) when it is blank.
func formPodSpecPatch() string {
	v := "workflow.parameters['" + ParamPodPatch + "']"
	return "{{=trim(" + v + ") == '' ? '{}' : " + v + "}}"
}

// childPodSpecPatch is formPodSpecPatch as the children receive it: the
// parent substitutes it into the child manifest's YAML inside single quotes,
// so each ' is doubled and each line break becomes a space (whitespace in
// JSON; a JSON string cannot hold a raw line break).
func childPodSpecPatch() string {
	v := "workflow.parameters['" + ParamPodPatch + "']"
	esc := `sprig.replace("'", "''", sprig.replace("\r", " ", sprig.replace("\n", " ", ` + v + `)))`
	return "{{=trim(" + v + ") == '' ? '{}' : " + esc + "}}"
}
