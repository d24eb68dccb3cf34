package workflow

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	argotemplate "github.com/argoproj/argo-workflows/v3/util/template"
	wfutil "github.com/argoproj/argo-workflows/v3/workflow/util"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// knobs sets every pod option.
func knobs() PodOptions {
	return PodOptions{
		Requests:         corev1.ResourceList{"cpu": resource.MustParse("500m"), "memory": resource.MustParse("1Gi")},
		Limits:           corev1.ResourceList{"memory": resource.MustParse("4Gi")},
		StepRequests:     corev1.ResourceList{"cpu": resource.MustParse("100m")},
		StepLimits:       corev1.ResourceList{"memory": resource.MustParse("512Mi")},
		NodeSelector:     map[string]string{"pool": "transfer"},
		Tolerations:      []corev1.Toleration{{Key: "dedicated", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}},
		Affinity:         &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "zone", Operator: corev1.NodeSelectorOpIn, Values: []string{"a"}}}}}}}},
		ImagePullSecrets: []string{"registry"},
		ImagePullPolicy:  corev1.PullAlways,
		PriorityClass:    "batch-low",
		ActiveDeadline:   72 * time.Hour,
		Annotations:      map[string]string{"example.com/team": "storage"},
		Labels:           map[string]string{"cost-center": "42"},
		SpecPatch:        `{"hostAliases":[{"ip":"10.0.0.1","hostnames":["s3.internal"]}]}`,
	}
}

// TestPodKnobs: every knob lands where Argo reads it in a generated
// Workflow (a split run's parent and child too), the documents pass Argo's
// validator and, as pods, Pod Security restricted.
func TestPodKnobs(t *testing.T) {
	o := baseOptions()
	o.Pods = knobs()
	for name, maxPartitions := range map[string]int{"plain": 0, "split": 5} {
		o.MaxPartitions = maxPartitions
		p := testPlan("rsync", "/mnt/dst/copy", 12)
		wf, err := Build(p, o)
		if err != nil {
			t.Fatal(err)
		}
		specs := map[string]wfv1.WorkflowSpec{name: wf.Spec}
		if maxPartitions > 0 {
			child, err := BuildChild(p, o, "partsync-r1", 1)
			if err != nil {
				t.Fatal(err)
			}
			specs[name+"-child"] = child.Spec
		}
		for which, spec := range specs {
			doc, err := Marshal(&wfv1.Workflow{TypeMeta: wf.TypeMeta, ObjectMeta: wf.ObjectMeta, Spec: spec})
			if err != nil {
				t.Fatal(err)
			}
			lintDoc(t, which, doc)
			if spec.NodeSelector["pool"] != "transfer" || len(spec.Tolerations) != 1 || spec.Affinity == nil || spec.Affinity.NodeAffinity == nil ||
				len(spec.ImagePullSecrets) != 1 || spec.PodPriorityClassName != "batch-low" || spec.ActiveDeadlineSeconds == nil || *spec.ActiveDeadlineSeconds != 72*3600 ||
				spec.PodMetadata == nil || spec.PodMetadata.Labels["cost-center"] != "42" || spec.PodMetadata.Annotations["example.com/team"] != "storage" || spec.PodSpecPatch != o.Pods.SpecPatch {
				t.Errorf("%s: the workflow-wide knobs are not all set:\n%s", which, doc)
			}
			for tmpl, pod := range podsOf(t, spec) {
				c := pod.Containers[0]
				if c.ImagePullPolicy != corev1.PullAlways {
					t.Errorf("%s: %s: pull policy %q", which, tmpl, c.ImagePullPolicy)
				}
				wantReq, wantLim := o.Pods.StepRequests, o.Pods.StepLimits
				if tmpl == transferName {
					wantReq, wantLim = o.Pods.Requests, o.Pods.Limits
					terms := pod.Affinity.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution
					if pod.Affinity.NodeAffinity == nil || len(terms) != 1 || terms[0].PodAffinityTerm.TopologyKey != "kubernetes.io/hostname" {
						t.Errorf("%s: the transfer's affinity is not --affinity with the spread: %+v", which, pod.Affinity)
					}
				}
				if !c.Resources.Requests.Cpu().Equal(*wantReq.Cpu()) || !c.Resources.Limits.Memory().Equal(*wantLim.Memory()) {
					t.Errorf("%s: %s: resources %+v; want requests %v limits %v", which, tmpl, c.Resources, wantReq, wantLim)
				}
				if why := forbidden(t, "restricted", pod); why != "" {
					t.Errorf("%s: %s fails restricted: %s", which, tmpl, why)
				}
			}
		}
	}
	o.Pods.ActiveDeadline = 10 * time.Millisecond
	if _, err := Build(testPlan("rsync", "/mnt/dst/copy", 2), o); err == nil {
		t.Errorf("an active deadline under a second is accepted")
	}
}

// TestTemplateFormResources: the form's requests, limits and pod spec patch
// reach the pod as Argo builds it: Argo's substitution of the parameters in
// the podSpecPatch expressions, then Argo's ApplyPodSpecPatch on a pod spec.
func TestTemplateFormResources(t *testing.T) {
	o, to := templateOptions()
	o.Pods = knobs()
	spec, _ := buildTemplateDoc(t, o, to)
	defaults := map[string]string{}
	for _, p := range spec.Arguments.Parameters {
		defaults[p.Name] = p.Value.String()
	}
	if defaults[ParamRequests] != "cpu=500m,memory=1Gi" || defaults[ParamLimits] != "memory=4Gi" || defaults[ParamPodPatch] != o.Pods.SpecPatch {
		t.Errorf("form defaults %q %q %q; want the flags'", defaults[ParamRequests], defaults[ParamLimits], defaults[ParamPodPatch])
	}
	transfer := mergedTemplate(t, spec, transferName)
	for _, c := range []struct {
		requests, limits, patch string
		cpu, memLimit           string
		hostAliases             int
	}{
		{"cpu=500m,memory=1Gi", "memory=4Gi", `{"hostAliases":[{"ip":"10.0.0.1","hostnames":["s3.internal"]}]}`, "500m", "4Gi", 1},
		{" cpu = 2 ,memory=", "", "", "2", "", 0},
		{"", "", "  ", "", "", 0},
	} {
		vars := map[string]any{
			"workflow.parameters." + ParamRequests: c.requests,
			"workflow.parameters." + ParamLimits:   c.limits,
			"workflow.parameters." + ParamPodPatch: c.patch,
		}
		var patches []string
		for _, expr := range []string{spec.PodSpecPatch, transfer.PodSpecPatch} {
			data, _ := json.Marshal(expr)
			got, err := argotemplate.Replace(string(data), vars, false)
			if err != nil {
				t.Fatalf("Argo cannot substitute %s: %v", expr, err)
			}
			var patch string
			if err := json.Unmarshal([]byte(got), &patch); err != nil {
				t.Fatal(err)
			}
			patches = append(patches, patch)
		}
		pod, err := wfutil.ApplyPodSpecPatch(corev1.PodSpec{Containers: []corev1.Container{{Name: "main"}, {Name: "wait"}}}, patches...)
		if err != nil {
			t.Fatalf("%+v: Argo cannot apply the patches %q: %v", c, patches, err)
		}
		main := pod.Containers[slices.IndexFunc(pod.Containers, func(c corev1.Container) bool { return c.Name == "main" })]
		if got := main.Resources.Requests.Cpu().String(); c.cpu != "" && got != c.cpu || c.cpu == "" && !main.Resources.Requests.Cpu().IsZero() {
			t.Errorf("%+v: cpu request %s; want %q (patches %q)", c, got, c.cpu, patches)
		}
		if got := main.Resources.Limits.Memory().String(); c.memLimit != "" && got != c.memLimit || c.memLimit == "" && !main.Resources.Limits.Memory().IsZero() {
			t.Errorf("%+v: memory limit %s; want %q", c, got, c.memLimit)
		}
		if len(pod.HostAliases) != c.hostAliases || len(pod.Containers) != 2 {
			t.Errorf("%+v: the pod spec patch gave %+v", c, pod)
		}
	}
}
