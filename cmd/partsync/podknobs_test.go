package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	"sigs.k8s.io/yaml"

	"github.com/partsync/partsync/generator/workflow"
)

// TestPodKnobFlags: generate and template take every pod knob (the output
// is linted with Argo's validator before it is printed, so exit 0 means
// Argo accepts it), they land in the document, the template's form offers
// the transfer pods' requests, limits and pod spec patch with the flags'
// values as defaults, and each bad value is a one-line error naming the
// flag, the value and the fix, with exit code 2.
func TestPodKnobFlags(t *testing.T) {
	base := t.TempDir()
	src, shared := filepath.Join(base, "src"), filepath.Join(base, "runs")
	writeFile(t, filepath.Join(src, "a"), []byte("a"), 0o644, time.Unix(1e9, 0))
	affinity := filepath.Join(base, "affinity.yaml")
	writeFile(t, affinity, []byte("nodeAffinity:\n  requiredDuringSchedulingIgnoredDuringExecution:\n    nodeSelectorTerms:\n    - matchExpressions:\n      - {key: zone, operator: In, values: [a]}\n"), 0o644, time.Now())
	patchFile := filepath.Join(base, "patch.yaml")
	writeFile(t, patchFile, []byte("hostAliases:\n- ip: 10.0.0.1\n  hostnames: [s3.internal]\n"), 0o644, time.Now())
	knobs := []string{"--requests", "cpu=500m,memory=1Gi", "--limits", "memory=4Gi", "--step-requests", "cpu=100m", "--step-limits", "memory=512Mi",
		"--node-selector", "pool=transfer", "--node-selector", "kubernetes.io/arch=arm64", "--toleration", "dedicated=transfer:NoSchedule", "--toleration", "spot:NoExecute",
		"--affinity", affinity, "--image-pull-secret", "registry", "--image-pull-policy", "IfNotPresent", "--priority-class", "batch-low",
		"--active-deadline", "72h", "--pod-annotation", "example.com/team=storage, inc.", "--pod-label", "cost-center=42", "--pod-spec-patch", patchFile}
	gen := mustPartsync(t, append(append([]string{"generate", "--pvc", "data:" + base, "-d", shared}, knobs...), src, filepath.Join(base, "dst"))...)
	var wf wfv1.Workflow
	if err := yaml.UnmarshalStrict([]byte(gen.stdout), &wf); err != nil {
		t.Fatal(err)
	}
	s := wf.Spec
	if len(s.NodeSelector) != 2 || len(s.Tolerations) != 2 || s.Affinity == nil || len(s.ImagePullSecrets) != 1 || s.PodPriorityClassName != "batch-low" ||
		*s.ActiveDeadlineSeconds != 72*3600 || s.PodMetadata.Annotations["example.com/team"] != "storage, inc." || s.PodMetadata.Labels["cost-center"] != "42" ||
		s.PodSpecPatch != `{"hostAliases":[{"hostnames":["s3.internal"],"ip":"10.0.0.1"}]}` || s.TemplateDefaults.Container.ImagePullPolicy != "IfNotPresent" {
		t.Errorf("generate: the knobs are not all in the workflow:\n%s", gen.stdout)
	}
	if r := workflowTemplate(t, &wf, "transfer").Container.Resources; r.Requests.Cpu().String() != "500m" || r.Limits.Memory().String() != "4Gi" {
		t.Errorf("transfer resources %+v", r)
	}
	if r := workflowTemplate(t, &wf, "dirs").Container.Resources; r.Requests.Cpu().String() != "100m" || r.Limits.Memory().String() != "512Mi" {
		t.Errorf("dirs resources %+v", r)
	}

	tmpl := mustPartsync(t, append(append([]string{"template", "--pvc", "data:" + base, "-d", shared}, knobs...), src, filepath.Join(base, "dst"))...)
	var wt wfv1.WorkflowTemplate
	if err := yaml.UnmarshalStrict([]byte(tmpl.stdout), &wt); err != nil {
		t.Fatal(err)
	}
	form := map[string]string{}
	for _, p := range wt.Spec.Arguments.Parameters {
		form[p.Name] = p.Value.String()
	}
	if form["requests"] != "cpu=500m,memory=1Gi" || form["limits"] != "memory=4Gi" || !strings.Contains(form["pod-spec-patch"], "s3.internal") {
		t.Errorf("the form's requests %q, limits %q, pod-spec-patch %q; want the flags'", form["requests"], form["limits"], form["pod-spec-patch"])
	}
	if len(wt.Spec.NodeSelector) != 2 || len(wt.Spec.Tolerations) != 2 || wt.Spec.PodPriorityClassName != "batch-low" {
		t.Errorf("template: the fixed knobs are not in the spec:\n%s", tmpl.stdout)
	}
	// The scan pod, played as Argo runs it with the form's defaults, writes
	// the standalone workflow.yaml with the same pods as generate's.
	vars := map[string]any{"workflow.name": "partsync-knobs", "workflow.namespace": "argo"}
	for name, v := range form {
		vars["workflow.parameters."+name] = v
	}
	scan, err := workflow.Merged(wt.Spec, "scan")
	if err != nil {
		t.Fatal(err)
	}
	if r := argoPod(t, scan, vars, t.TempDir()); r.code != ExitOK {
		t.Fatalf("scan pod: %s", r)
	}
	standalone, err := os.ReadFile(filepath.Join(shared, "partsync-knobs", "workflow.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	inCluster := parseWorkflow(t, string(standalone))
	for _, pair := range [][2]any{{inCluster.Spec.NodeSelector, wf.Spec.NodeSelector}, {inCluster.Spec.Tolerations, wf.Spec.Tolerations}, {inCluster.Spec.Affinity, wf.Spec.Affinity},
		{inCluster.Spec.PodMetadata, wf.Spec.PodMetadata}, {inCluster.Spec.ActiveDeadlineSeconds, wf.Spec.ActiveDeadlineSeconds}, {inCluster.Spec.PodSpecPatch, wf.Spec.PodSpecPatch},
		{inCluster.Spec.TemplateDefaults.Container.ImagePullPolicy, wf.Spec.TemplateDefaults.Container.ImagePullPolicy},
		{workflowTemplate(t, inCluster, "transfer").Container.Resources, workflowTemplate(t, &wf, "transfer").Container.Resources},
		{workflowTemplate(t, inCluster, "dirs").Container.Resources, workflowTemplate(t, &wf, "dirs").Container.Resources}} {
		if a, b := mustJSONText(t, pair[0]), mustJSONText(t, pair[1]); a != b {
			t.Errorf("the template's scan wrote %s; generate wrote %s", a, b)
		}
	}

	for flag, c := range map[string]struct{ value, says string }{
		"requests":          {"cpu=lots", `--requests "cpu=lots": cpu="lots" is not a quantity`},
		"limits":            {"memory", `--limits "memory": "memory" is not NAME=QUANTITY`},
		"step-requests":     {"cpu=-1", `--step-requests "cpu=-1"`},
		"node-selector":     {"pool", `--node-selector "pool": give KEY=VALUE`},
		"toleration":        {"dedicated=x:Sometimes", `effect "Sometimes": give NoSchedule, PreferNoSchedule or NoExecute`},
		"affinity":          {patchFile, "--affinity " + patchFile + ": error unmarshaling JSON"},
		"image-pull-secret": {"Bad_Name", `--image-pull-secret "Bad_Name"`},
		"image-pull-policy": {"Sometimes", `--image-pull-policy "Sometimes": give Always, IfNotPresent or Never`},
		"priority-class":    {"Bad_Name", `--priority-class "Bad_Name"`},
		"active-deadline":   {"10ms", "--active-deadline 10ms: give a duration of a second or more"},
		"pod-annotation":    {"noequals", `--pod-annotation "noequals": give KEY=VALUE`},
		"pod-label":         {"k=bad value", `--pod-label "k=bad value": value "bad value"`},
		"pod-spec-patch":    {`{"containers": 3}`, `--pod-spec-patch "{\"containers\": 3}"`},
	} {
		for _, cmd := range []string{"generate", "template"} {
			res := partsync(t.Context(), cmd, "--pvc", "data:"+base, "-d", shared, "--"+flag, c.value, src, filepath.Join(base, "dst"))
			msg := errText(res.err)
			if res.code != ExitUsage || !strings.Contains(msg, c.says) || strings.Count(msg, "\n") > 0 {
				t.Errorf("%s --%s %q: exit %d, %q; want exit 2 and one line saying %q", cmd, flag, c.value, res.code, msg, c.says)
			}
		}
	}
	if entries, _ := os.ReadDir(shared); len(entries) != 2 {
		t.Errorf("bad flags left %d run directories; want only the two good runs'", len(entries))
	}
}

// mustJSONText is v in JSON.
func mustJSONText(t *testing.T, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
