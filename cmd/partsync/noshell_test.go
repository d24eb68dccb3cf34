package main

// No shell anywhere: every container of every emitted or shipped document
// runs partsync directly, and SRC, DST and tool options full of shell syntax
// reach rsync as single, literal argv elements, run by a pod's argv and by
// `run`, with nothing executed.

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/partsync/partsync/generator/workflow"
)

// checkNoShell fails for a script template, or a container that runs
// anything but partsync itself (sh -c, bash, env, an interpreter …), each
// template as Argo runs it, with spec.templateDefaults merged in.
func checkNoShell(t *testing.T, doc string, spec wfv1.WorkflowSpec) {
	t.Helper()
	if len(spec.Templates) == 0 {
		t.Errorf("%s: no templates", doc)
	}
	for _, own := range spec.Templates {
		tmpl, err := workflow.Merged(spec, own.Name)
		if err != nil {
			t.Fatalf("%s: %v", doc, err)
		}
		if tmpl.Script != nil {
			t.Errorf("%s: template %s is a script template", doc, tmpl.Name)
		}
		var containers []corev1.Container
		if tmpl.Container != nil {
			containers = append(containers, *tmpl.Container)
		}
		if tmpl.ContainerSet != nil {
			for _, c := range tmpl.ContainerSet.Containers {
				containers = append(containers, c.Container)
			}
		}
		for _, c := range tmpl.InitContainers {
			containers = append(containers, c.Container)
		}
		for _, c := range tmpl.Sidecars {
			containers = append(containers, c.Container)
		}
		for _, c := range containers {
			argv := append(slices.Clone(c.Command), c.Args...)
			if len(argv) == 0 || argv[0] != "partsync" {
				t.Errorf("%s: template %s container %s runs %q; want partsync's own argv, no shell", doc, tmpl.Name, c.Name, argv)
			}
			sc := c.SecurityContext
			if sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
				sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || sc.Privileged != nil && *sc.Privileged {
				t.Errorf("%s: template %s container %s: securityContext %+v; want no privilege escalation, all capabilities dropped, read-only root", doc, tmpl.Name, c.Name, sc)
			}
		}
	}
}

// TestNoShellInEmittedDocuments checks the Workflows generate emits (rsync,
// rclone to a remote), the WorkflowTemplate `template` emits, and every
// document shipped in templates/.
func TestNoShellInEmittedDocuments(t *testing.T) {
	base := t.TempDir()
	src, shared := filepath.Join(base, "src"), filepath.Join(base, "runs")
	sourceTree(t, src)
	cfg := filepath.Join(base, "rclone.conf")
	writeFile(t, cfg, []byte("[remote]\ntype = local\n"), 0o600, time.Now())
	for name, args := range map[string][]string{
		"generate rsync":  {"generate", "-d", shared, "--pvc", "data:" + base, src, filepath.Join(base, "dst")},
		"generate rclone": {"generate", "-m", "rclone", "-d", shared, "--pvc", "data:" + base, "--rclone-config", cfg, "--rclone-config-secret", "rc", src, "remote:bucket/x"},
	} {
		wf := parseWorkflow(t, mustPartsync(t, args...).stdout)
		checkNoShell(t, name, wf.Spec)
		if wf.Spec.ServiceAccountName != "partsync" {
			t.Errorf("%s: serviceAccountName %q, want partsync (never Kubernetes' default silently)", name, wf.Spec.ServiceAccountName)
		}
	}
	// The transfer pods only read the source: on a claim of its own, its
	// volume is mounted read-only; the destination's and the run's are not.
	srcMnt, dstMnt, runMnt := filepath.Join(base, "s"), filepath.Join(base, "d"), filepath.Join(base, "r")
	sourceTree(t, filepath.Join(srcMnt, "tree"))
	wf := parseWorkflow(t, mustPartsync(t, "generate", "-d", filepath.Join(runMnt, "runs"), "--pvc", "src:"+srcMnt, "--pvc", "dst:"+dstMnt, "--pvc", "run:"+runMnt,
		filepath.Join(srcMnt, "tree"), filepath.Join(dstMnt, "copy")).stdout)
	transfers := 0
	for _, own := range wf.Spec.Templates {
		tmpl := workflowTemplate(t, wf, own.Name)
		if tmpl.Container == nil || !slices.Contains(tmpl.Container.Args, "transfer") {
			continue
		}
		transfers++
		ro := map[string]bool{}
		for _, m := range tmpl.Container.VolumeMounts {
			ro[m.MountPath] = m.ReadOnly
		}
		if r, ok := ro[srcMnt]; !ok || !r || ro[dstMnt] || ro[runMnt] {
			t.Errorf("transfer mounts %+v: want %s read-only, %s and %s writable", tmpl.Container.VolumeMounts, srcMnt, dstMnt, runMnt)
		}
	}
	if transfers != 1 {
		t.Errorf("%d transfer templates, want 1", transfers)
	}
	var wt wfv1.WorkflowTemplate
	res := mustPartsync(t, "template", "-d", shared, "--pvc", "data:"+base, src, filepath.Join(base, "dst"))
	if err := yaml.UnmarshalStrict([]byte(res.stdout), &wt); err != nil {
		t.Fatalf("template: %v", err)
	}
	checkNoShell(t, "partsync template", wt.Spec)
	if wt.Spec.ServiceAccountName == "" || wt.Spec.ServiceAccountName == "default" {
		t.Errorf("template: serviceAccountName %q; want a named account", wt.Spec.ServiceAccountName)
	}
	if res := partsync(context.Background(), "generate", "--service-account", "", "-d", shared, "--pvc", "data:"+base, src, filepath.Join(base, "dst")); res.code != ExitUsage {
		t.Errorf("an empty --service-account: want exit 2\n%s", res)
	}
	shipped, _ := filepath.Glob(filepath.Join("..", "..", "templates", "*.yaml"))
	if len(shipped) == 0 {
		t.Fatal("no documents in templates/")
	}
	for _, f := range shipped {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Spec wfv1.WorkflowSpec `json:"spec"`
		}
		if err := yaml.Unmarshal(data, &doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		checkNoShell(t, f, doc.Spec)
	}
}

// TestShellMetacharactersAreLiteral generates and runs a copy whose SRC, DST
// and -o hold command substitutions, backticks, ';', '|', '&' and spaces.
// Each reaches the pod's argv as exactly one element; executing that argv
// (as a pod does) and `run` copy the files, and no command ran.
func TestShellMetacharactersAreLiteral(t *testing.T) {
	needTools(t, "rsync")
	base := t.TempDir()
	marker := func(n int) string { return filepath.Join(base, "pwned-"+strconv.Itoa(n)) }
	// A name cannot hold '/', so the injected commands use paths relative to
	// the working directory, which is checked as well.
	src := filepath.Join(base, "src $(touch pwned-1); `touch pwned-2` | x & y")
	dst := filepath.Join(base, "dst;touch pwned-3 && $(touch pwned-4)")
	option := "--suffix=$(touch pwned-5);`touch pwned-6`"
	sourceTree(t, src)
	shared := filepath.Join(base, "runs")
	opts := "-a --numeric-ids '" + option + "'"

	gen := mustPartsync(t, "generate", "-o", opts, "-f", "8", "-d", shared, "--run-id", "meta", "--pvc", "data:"+base, src, dst)
	wf := parseWorkflow(t, gen.stdout)
	checkNoShell(t, "generate", wf.Spec)
	var podArgv []string
	for _, own := range wf.Spec.Templates {
		if tmpl := workflowTemplate(t, wf, own.Name); tmpl.Container != nil && slices.Contains(tmpl.Container.Args, "transfer") {
			podArgv = append(slices.Clone(tmpl.Container.Command), tmpl.Container.Args...)
		}
	}
	for _, want := range []string{src + "/", dst + "/", option} {
		if !slices.Contains(podArgv, want) {
			t.Errorf("pod argv %q lacks the literal element %q", podArgv, want)
		}
	}
	p := loadPlan(t, filepath.Join(shared, "meta"))
	for n := range p.Count() {
		argv := slices.Clone(podArgv)
		for i, a := range argv {
			argv[i] = strings.NewReplacer("{{inputs.parameters.part}}", strconv.Itoa(n), "{{retries}}", "0").Replace(a)
		}
		if res := partsync(context.Background(), argv[1:]...); res.code != ExitOK {
			t.Fatalf("pod of part %d: %s", n, res)
		}
	}
	sameTree(t, src, dst)

	dst2 := dst + " again"
	mustPartsync(t, "run", "-o", opts, "-f", "8", "-d", shared, src, dst2)
	sameTree(t, src, dst2)

	wd, _ := os.Getwd()
	for n := 1; n <= 6; n++ {
		for _, path := range []string{marker(n), filepath.Join(wd, "pwned-"+strconv.Itoa(n)), filepath.Join(src, "pwned-"+strconv.Itoa(n))} {
			if _, err := os.Lstat(path); err == nil {
				t.Errorf("%s exists: a shell ran the injected command", path)
			}
		}
	}
}
