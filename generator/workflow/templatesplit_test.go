package workflow

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	"sigs.k8s.io/yaml"
)

// TestTemplateSplitsLikeGenerate plays Argo's substitution on the template's
// fan-out for both of its branches: a scan within max-partitions fans out in
// the workflow itself; past it, the scan's summary lists the children's
// ranges and the template creates generate's child workflows from them, each
// under this workflow's semaphore and run directory, with the form's values.
func TestTemplateSplitsLikeGenerate(t *testing.T) {
	to, templates := formTemplates(t)
	group := templates[entrypoint].Steps[2].Steps
	if len(group) != 2 || group[0].Name != transferName || group[1].Name != childrenName {
		t.Fatalf("fan-out steps %+v; want the transfer and the children side by side", group)
	}
	one, split := group[0], group[1]
	// The form's pod-spec-patch holds a ' and line breaks: it reaches the
	// children through the YAML of their manifest.
	form := map[string]string{ParamRequests: "cpu=500m, memory=1Gi", ParamLimits: "memory=4Gi", ParamPodPatch: "{\"nodeSelector\":\n  {\"pool\":\"o'reilly\"},\r\n \"priorityClassName\": \"batch\"}",
		ParamRetries: "3", ParamBackoff: "30s", ParamTool: "rsync"}
	childrenArgs := map[string]string{} // the patches the split step hands the children
	summaryVar := "steps." + scanName + ".outputs.parameters." + summaryParam
	for _, c := range []struct {
		name       string
		partitions int
		max        int
		wantCount  string
	}{
		{"within max-partitions", 1234, 2000, "1234"},
		{"past max-partitions", 5000, 2000, "0"}, // no skipped node per partition
		{"100k partitions", 100000, 2000, "0"},   // issue 10's 50M files: 50 children, the parent's nodes by child only
	} {
		t.Run(c.name, func(t *testing.T) {
			ranges := ChildRanges(c.partitions, c.max)
			if c.partitions <= c.max {
				ranges = []Range{}
			}
			data, err := json.Marshal(map[string]any{"run_id": "partsync-abcde", "partitions": c.partitions, "children": ranges})
			if err != nil {
				t.Fatal(err)
			}
			vars := map[string]any{summaryVar: string(data)}
			for name, value := range form {
				vars["workflow.parameters."+name] = value
			}
			var got wfv1.WorkflowStep
			argoEval(t, one, vars, true, &got)
			if got.WithSequence.Count.String() != c.wantCount || got.When != mustBool(len(ranges) == 0) {
				t.Errorf("one-workflow fan-out: count %s when %q; want %s when %v", got.WithSequence.Count.String(), got.When, c.wantCount, len(ranges) == 0)
			}
			argoEval(t, split, vars, true, &got)
			if got.When != mustBool(len(ranges) > 0) {
				t.Errorf("split step when %q; want %v", got.When, len(ranges) > 0)
			}
			var items []Range
			if err := json.Unmarshal([]byte(got.Arguments.Parameters[0].Value.String()), &items); err != nil || len(items) != len(ranges) {
				t.Fatalf("children %s: %v; want %+v", got.Arguments.Parameters[0].Value, err, ranges)
			}
			for i := range items {
				if items[i] != ranges[i] {
					t.Errorf("child %d: %+v; want %+v", i, items[i], ranges[i])
				}
			}
			for _, p := range got.Arguments.Parameters[1:] {
				childrenArgs[p.Name] = p.Value.String()
			}
		})
	}

	// The children template runs ChildrenAtOnce children over its input.
	children := templates[childrenName]
	if children.Parallelism == nil || *children.Parallelism != ChildrenAtOnce || children.Steps[0].Steps[0].WithParam != param2(childrenName) ||
		children.Steps[0].Steps[0].Template != childName {
		t.Errorf("children template %+v", children)
	}

	// The parent creates child 1 of 2000..3999: Argo substitutes the
	// parent's tags in the manifest, the child its own.
	parentVars := map[string]any{"workflow.name": "partsync-x1", "workflow.namespace": "argo",
		"inputs.parameters." + childIndexParam: "1", "inputs.parameters." + childFirstParam: "2000", "inputs.parameters." + childLastParam: "3999"}
	for name, value := range form {
		parentVars["workflow.parameters."+name] = value
	}
	for name, value := range childrenArgs {
		parentVars["inputs.parameters."+name] = value
	}
	var childTmpl wfv1.Template
	argoEval(t, templates[childName], parentVars, true, &childTmpl)
	var child wfv1.Workflow
	if err := yaml.UnmarshalStrict([]byte(childTmpl.Resource.Manifest), &child); err != nil {
		t.Fatalf("the manifest the parent creates is no Workflow: %v\n%s", err, childTmpl.Resource.Manifest)
	}
	if child.GenerateName != "partsync-x1-c1-" || child.Labels[LabelRunID] != "partsync-x1" || child.Labels[LabelTool] != "rsync" || child.Spec.OnExit != "" {
		t.Errorf("child metadata %+v, onExit %q", child.ObjectMeta, child.Spec.OnExit)
	}
	for _, v := range child.Spec.Volumes {
		if v.Secret != nil && (v.Secret.Optional == nil || !*v.Secret.Optional) {
			t.Errorf("child volume %s: the Secret is required; a form's rsync run has none", v.Name)
		}
	}
	if child.Spec.Parallelism != nil || child.Spec.Synchronization != nil {
		t.Errorf("child parallelism %v, synchronization %+v: the form's jobs and the parent's mutex bound it", child.Spec.Parallelism, child.Spec.Synchronization)
	}
	var main, xfer wfv1.Template
	for _, tmpl := range child.Spec.Templates {
		switch tmpl.Name {
		case entrypoint:
			main = tmpl
		case transferName:
			xfer = tmpl
		}
	}
	seq := main.Steps[0].Steps[0].WithSequence
	if seq == nil || seq.Start.String() != "2000" || seq.End.String() != "3999" {
		t.Errorf("child sequence %+v; want 2000..3999", seq)
	}
	if sem := xfer.Synchronization.Semaphores[0].ConfigMapKeyRef; sem.Name != "partsync-x1-jobs" || sem.Key != jobsKey {
		t.Errorf("child semaphore %+v; want the parent's partsync-x1-jobs", sem)
	}
	if args := strings.Join(xfer.Container.Args, " "); !strings.Contains(args, "--run-dir "+to.SharedDir+"/partsync-x1 ") {
		t.Errorf("child transfer %q does not read the parent's run directory", args)
	}
	if xfer.RetryStrategy.Limit.String() != "3" || xfer.RetryStrategy.Backoff.Duration != "30s" {
		t.Errorf("child retries %+v", xfer.RetryStrategy)
	}
	// The child's own substitution: the partition of each transfer.
	var patched struct {
		Transfer string `json:"transfer"`
		Workflow string `json:"workflow"`
		Part     string `json:"part"`
	}
	argoEval(t, map[string]string{"transfer": xfer.PodSpecPatch, "workflow": child.Spec.PodSpecPatch, "part": xfer.Container.Args[4]},
		map[string]any{"inputs.parameters." + partParam: "2345"}, false, &patched)
	var resources struct {
		Containers []struct {
			Resources struct{ Requests, Limits map[string]string } `json:"resources"`
		} `json:"containers"`
	}
	if err := json.Unmarshal([]byte(patched.Transfer), &resources); err != nil || resources.Containers[0].Resources.Requests["cpu"] != "500m" ||
		resources.Containers[0].Resources.Limits["memory"] != "4Gi" {
		t.Errorf("child transfer podSpecPatch %s (%v); want the form's requests and limits", patched.Transfer, err)
	}
	var formPatch, childPatch any
	if err := json.Unmarshal([]byte(form[ParamPodPatch]), &formPatch); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(patched.Workflow), &childPatch); err != nil || !reflect.DeepEqual(childPatch, formPatch) || patched.Part != "2345" {
		t.Errorf("child podSpecPatch %q (%v), part %q; want the form's %q and 2345", patched.Workflow, err, patched.Part, form[ParamPodPatch])
	}
}

func mustBool(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// TestTemplateFormVerify: the form's verify, through Argo's own
// substitution. skip runs neither verify step; size-mtime and checksum run,
// for a run in one workflow, one verify pod per partition and then
// `verify --collect`, and for a split run no verify pod in the parent and
// one pod `verify -n JOBS`; checksum adds --checksum=true to both.
func TestTemplateFormVerify(t *testing.T) {
	to, templates := formTemplates(t)
	main := templates[entrypoint]
	n := len(main.Steps)
	fan, sum := main.Steps[n-2].Steps[0], main.Steps[n-1].Steps[0]
	if fan.Name != verifyName || sum.Name != verifySumName {
		t.Fatalf("the last steps are %s and %s; want the form's verify and verify-sum", fan.Name, sum.Name)
	}
	summaryVar := "steps." + scanName + ".outputs.parameters." + summaryParam
	for _, verify := range []string{VerifySkip, VerifySize, VerifyChecksum} {
		for _, split := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/split=%v", verify, split), func(t *testing.T) {
				ranges := []Range{}
				if split {
					ranges = ChildRanges(5000, 2000)
				}
				data, err := json.Marshal(map[string]any{"partitions": 5000, "children": ranges})
				if err != nil {
					t.Fatal(err)
				}
				vars := map[string]any{summaryVar: string(data), "workflow.parameters." + ParamVerify: verify,
					"workflow.parameters." + ParamJobs: "7", "workflow.name": "partsync-v1"}
				on := verify != VerifySkip
				var gotFan, gotSum wfv1.WorkflowStep
				argoEval(t, fan, vars, true, &gotFan)
				argoEval(t, sum, vars, true, &gotSum)
				wantCount := "0"
				if on && !split {
					wantCount = "5000"
				}
				if gotFan.When != mustBool(on && !split) || gotFan.WithSequence.Count.String() != wantCount {
					t.Errorf("verify fan-out: when %q count %s; want %v, %s", gotFan.When, gotFan.WithSequence.Count.String(), on && !split, wantCount)
				}
				if gotSum.When != mustBool(on) || gotSum.Arguments.Parameters[0].Value.String() != mustBool(split) {
					t.Errorf("verify-sum: when %q split %s; want %v, %v", gotSum.When, gotSum.Arguments.Parameters[0].Value, on, split)
				}
				sumVars := map[string]any{"inputs.parameters." + splitParam: mustBool(split)}
				maps.Copy(sumVars, vars)
				var sumTmpl, podTmpl wfv1.Template
				argoEval(t, templates[verifySumName], sumVars, true, &sumTmpl)
				argoEval(t, templates[verifyName], vars, true, &podTmpl)
				checksum := "--checksum=" + mustBool(verify == VerifyChecksum)
				// (the command, partsync, is the templates' default)
				wantSum := []string{"verify", "--collect=" + mustBool(!split), "-n", "7", checksum, to.SharedDir + "/partsync-v1"}
				if got := sumTmpl.Container.Args; !slices.Equal(got, wantSum) {
					t.Errorf("verify-sum runs %q; want %q", got, wantSum)
				}
				if !slices.Contains(podTmpl.Container.Args, checksum) || podTmpl.Synchronization == nil {
					t.Errorf("verify pod %q, synchronization %+v: want %s under the jobs semaphore", podTmpl.Container.Args, podTmpl.Synchronization, checksum)
				}
			})
		}
	}
}

// formTemplates builds the test's WorkflowTemplate and returns its options
// and its templates by name.
func formTemplates(t *testing.T) (TemplateOptions, map[string]wfv1.Template) {
	t.Helper()
	o, to := templateOptions()
	spec, _ := buildTemplateDoc(t, o, to)
	templates := map[string]wfv1.Template{}
	for _, tmpl := range spec.Templates {
		templates[tmpl.Name] = tmpl
	}
	return to, templates
}
