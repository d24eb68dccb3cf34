package workflow

import (
	"strings"
	"testing"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	psaapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
)

// mergedTemplate is template name of spec as Argo's controller runs it.
func mergedTemplate(t *testing.T, spec wfv1.WorkflowSpec, name string) wfv1.Template {
	t.Helper()
	tmpl, err := Merged(spec, name)
	if err != nil {
		t.Fatal(err)
	}
	return *tmpl
}

// podsOf returns, for every container template of spec, the part of its pod
// that partsync writes, as Argo's controller builds it: the merged template
// (mergedTemplate), the workflow's pod securityContext unless the template
// has one, the workflow's volumes and the template's scheduling fields.
// Argo's own init and wait containers follow the controller's executor
// settings, not the workflow (see docs/cluster.md).
func podsOf(t *testing.T, spec wfv1.WorkflowSpec) map[string]corev1.PodSpec {
	t.Helper()
	pods := map[string]corev1.PodSpec{}
	for _, tmpl := range spec.Templates {
		if tmpl.Container == nil {
			continue
		}
		merged := mergedTemplate(t, spec, tmpl.Name)
		pod := corev1.PodSpec{
			SecurityContext:   spec.SecurityContext,
			Containers:        []corev1.Container{*merged.Container},
			Volumes:           append(append([]corev1.Volume{}, spec.Volumes...), merged.Volumes...),
			Affinity:          merged.Affinity,
			NodeSelector:      merged.NodeSelector,
			Tolerations:       merged.Tolerations,
			PriorityClassName: merged.PriorityClassName,
		}
		if merged.SecurityContext != nil {
			pod.SecurityContext = merged.SecurityContext
		}
		pods[tmpl.Name] = pod
	}
	if len(pods) == 0 {
		t.Fatal("no container template in the spec")
	}
	return pods
}

// forbidden is what Pod Security admission at level says of pod, or "".
func forbidden(t *testing.T, level psaapi.Level, pod corev1.PodSpec) string {
	t.Helper()
	ev, err := policy.NewEvaluator(policy.DefaultChecks())
	if err != nil {
		t.Fatal(err)
	}
	var why []string
	for _, r := range ev.EvaluatePod(psaapi.LevelVersion{Level: level, Version: psaapi.LatestVersion()}, &metav1.ObjectMeta{}, &pod) {
		if !r.Allowed {
			why = append(why, r.ForbiddenReason+" ("+r.ForbiddenDetail+")")
		}
	}
	return strings.Join(why, "; ")
}

// TestPodSecurityLevels evaluates every pod of every document partsync
// emits (generate with rsync and rclone, the WorkflowTemplate and the
// ClusterWorkflowTemplate, as the image's user, another user and root) with
// Kubernetes' Pod Security admission library: non-root pods pass
// restricted, root pods pass baseline (and not restricted). The root pods of
// before, with DAC_READ_SEARCH, fail baseline: the test can tell.
func TestPodSecurityLevels(t *testing.T) {
	type doc struct {
		spec wfv1.WorkflowSpec
		root bool
	}
	docs := map[string]doc{}
	for name, v := range variants() {
		for who, runAs := range map[string]*Identity{"image": nil, "user": {UID: 1000, GID: 100}, "root": {}} {
			o := v.o
			o.RunAs = runAs
			wf, err := Build(v.p, o)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			docs["generate-"+name+"-"+who] = doc{wf.Spec, who == "root"}
		}
	}
	for name, v := range templateVariants() {
		spec, _ := buildTemplateDoc(t, v.o, v.t)
		docs["template-"+name] = doc{spec, v.t.RunAsRoot}
	}
	for name, d := range docs {
		for tmpl, pod := range podsOf(t, d.spec) {
			restricted, baseline := forbidden(t, psaapi.LevelRestricted, pod), forbidden(t, psaapi.LevelBaseline, pod)
			switch {
			case baseline != "":
				t.Errorf("%s: pod %s fails Pod Security baseline: %s", name, tmpl, baseline)
			case !d.root && restricted != "":
				t.Errorf("%s: non-root pod %s fails Pod Security restricted: %s", name, tmpl, restricted)
			case d.root && restricted == "":
				t.Errorf("%s: root pod %s passes restricted; the test of the levels is broken", name, tmpl)
			}
		}
	}
	if len(docs) < 60 {
		t.Fatalf("only %d documents", len(docs))
	}

	o := baseOptions()
	o.RunAs = &Identity{}
	wf, err := Build(testPlan("rsync", "/mnt/dst/x", 2), o)
	if err != nil {
		t.Fatal(err)
	}
	old := podsOf(t, wf.Spec)[transferName]
	old.Containers[0].SecurityContext.Capabilities.Add = append(old.Containers[0].SecurityContext.Capabilities.Add, "DAC_READ_SEARCH")
	if why := forbidden(t, psaapi.LevelBaseline, old); !strings.Contains(why, "DAC_READ_SEARCH") {
		t.Errorf("the root pod of before (with DAC_READ_SEARCH) passes baseline: %q", why)
	} else {
		t.Logf("the root pod of before, at baseline: %s", why)
	}
}
