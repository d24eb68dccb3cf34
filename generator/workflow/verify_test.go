package workflow

import (
	"slices"
	"testing"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	corev1 "k8s.io/api/core/v1"
)

// stepNames lists the step groups of tmpl, one name per group.
func stepNames(tmpl *wfv1.Template) []string {
	var names []string
	for _, g := range tmpl.Steps {
		names = append(names, g.Steps[0].Name)
	}
	return names
}

// TestVerifySteps: with Verify, an rclone workflow compares DST after the
// directory step with one pod per partition that is a transfer pod in all
// but its argv and role (image, volumes, the rclone Secret, resources,
// spreading, retries), then sums them in one pod that has the Secret too
// (it lists DST for extras) and is not retried on its exit code; without
// Verify there is no such step. The documents pass Argo's lint
// (TestEveryVariantPassesArgoLint, variant verify).
func TestVerifySteps(t *testing.T) {
	o := baseOptions()
	o.RcloneConfigSecret = &SecretRef{Name: "rclone-config", Key: "rclone.conf"}
	o.Pods = knobs()
	p := testPlan("rclone", "oci:bucket/prefix", 7)
	wf, err := Build(p, o)
	if err != nil {
		t.Fatal(err)
	}
	if got := stepNames(wf.GetTemplateByName(entrypoint)); !slices.Equal(got, []string{transferName, dirsName}) {
		t.Fatalf("steps without --verify: %q", got)
	}
	o.Verify = true
	wf, err = Build(p, o)
	if err != nil {
		t.Fatal(err)
	}
	main := wf.GetTemplateByName(entrypoint)
	if got := stepNames(main); !slices.Equal(got, []string{transferName, dirsName, verifyName, verifySumName}) {
		t.Fatalf("steps with --verify: %q; want the fan-out, dirs, the verify fan-out, the sum", got)
	}
	if seq := main.Steps[2].Steps[0].WithSequence; seq == nil || seq.Count.String() != "7" {
		t.Errorf("verify fan-out %+v: want withSequence count 7", main.Steps[2].Steps[0])
	}
	tr, v := mergedTemplate(t, wf.Spec, transferName), mergedTemplate(t, wf.Spec, verifyName)
	argv := append(slices.Clone(v.Container.Command), v.Container.Args...)
	if want := []string{"partsync", "verify", "--part", partExpr, p.RunDir}; !slices.Equal(argv, want) {
		t.Errorf("verify pod runs %q; want %q", argv, want)
	}
	if v.Metadata.Labels[LabelRole] != verifyName || tr.Metadata.Labels[LabelRole] != transferName {
		t.Errorf("roles: verify %q, transfer %q", v.Metadata.Labels[LabelRole], tr.Metadata.Labels[LabelRole])
	}
	// Apart from argv and role, the verify pod is the transfer pod, without
	// the transfer's outputs and metrics.
	if len(v.Outputs.Parameters) != 0 || v.Metrics != nil {
		t.Errorf("verify pod outputs %+v, metrics %+v: a comparison is no transfer", v.Outputs, v.Metrics)
	}
	v.Name, v.Container.Args, v.Metadata, v.Outputs, v.Metrics = tr.Name, tr.Container.Args, tr.Metadata, tr.Outputs, tr.Metrics
	if a, b := mustJSON(t, v), mustJSON(t, tr); a != b {
		t.Errorf("verify pod differs from the transfer pod:\n%s\nwant\n%s", a, b)
	}
	sum := mergedTemplate(t, wf.Spec, verifySumName)
	argv = append(slices.Clone(sum.Container.Command), sum.Container.Args...)
	if want := []string{"partsync", "verify", "--collect", p.RunDir}; !slices.Equal(argv, want) {
		t.Errorf("verify sum runs %q; want %q", argv, want)
	}
	if !slices.ContainsFunc(sum.Container.Env, func(e corev1.EnvVar) bool { return e.Name == "RCLONE_CONFIG" }) {
		t.Errorf("the verify sum lists DST without the rclone config: %+v", sum.Container.Env)
	}
	if sum.RetryStrategy == nil || sum.RetryStrategy.RetryPolicy != wfv1.RetryPolicyOnError {
		t.Errorf("verify sum retry %+v: its exit code 5 must not be retried (OnError)", sum.RetryStrategy)
	}

	// --verify-checksum: the same steps, comparing content.
	o.Verify, o.VerifyChecksum = false, true
	wf, err = Build(p, o)
	if err != nil {
		t.Fatal(err)
	}
	if got := stepNames(wf.GetTemplateByName(entrypoint)); !slices.Equal(got, []string{transferName, dirsName, verifyName, verifySumName}) {
		t.Fatalf("steps with --verify-checksum: %q", got)
	}
	v, sum = mergedTemplate(t, wf.Spec, verifyName), mergedTemplate(t, wf.Spec, verifySumName)
	if got, want := append(slices.Clone(v.Container.Command), v.Container.Args...), []string{"partsync", "verify", "--part", partExpr, "--checksum", p.RunDir}; !slices.Equal(got, want) {
		t.Errorf("verify pod with --verify-checksum runs %q; want %q", got, want)
	}
	if got, want := append(slices.Clone(sum.Container.Command), sum.Container.Args...), []string{"partsync", "verify", "--collect", "--checksum", p.RunDir}; !slices.Equal(got, want) {
		t.Errorf("verify sum with --verify-checksum runs %q; want %q", got, want)
	}
	lintDoc(t, "verify-checksum", buildDoc(t, p, o))
}

// TestVerifyStepSplitRun: a split run verifies in one pod of the parent,
// after every child and the directory step, -n partitions at once; the
// children have no verify step; the parent passes Argo's lint.
func TestVerifyStepSplitRun(t *testing.T) {
	o := baseOptions()
	o.MaxPartitions, o.Verify = 3, true
	p := testPlan("rsync", "/mnt/dst/copy", 10)
	wf, err := Build(p, o)
	if err != nil {
		t.Fatal(err)
	}
	lintDoc(t, "verify-split", buildDoc(t, p, o))
	names := stepNames(wf.GetTemplateByName(entrypoint))
	if len(names) < 2 || !slices.Equal(names[len(names)-2:], []string{dirsName, verifySumName}) || slices.Contains(names, verifyName) {
		t.Fatalf("parent steps %q: want ..., dirs, verify-sum, no fan-out", names)
	}
	sum := mergedTemplate(t, wf.Spec, verifySumName)
	argv := append(slices.Clone(sum.Container.Command), sum.Container.Args...)
	if want := []string{"partsync", "verify", "-n", "4", p.RunDir}; !slices.Equal(argv, want) {
		t.Errorf("parent verify runs %q; want %q", argv, want)
	}
	child, err := BuildChild(p, o, "parent", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, tmpl := range child.Spec.Templates {
		if tmpl.Name == verifyName || tmpl.Name == verifySumName {
			t.Errorf("child has a verify template %q", tmpl.Name)
		}
	}
}
