package main

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	argotemplate "github.com/argoproj/argo-workflows/v3/util/template"
	"sigs.k8s.io/yaml"

	"github.com/partsync/partsync/generator/plan"
	"github.com/partsync/partsync/generator/testtree/check"
	"github.com/partsync/partsync/generator/workflow"
)

// argoPod is one pod of the simulation: a template's container argv after
// Argo's substitution, run in-process as the pod would run it.
func argoPod(t *testing.T, tmpl *wfv1.Template, vars map[string]any, scratch string) cliResult {
	t.Helper()
	argv := append(slices.Clone(tmpl.Container.Command), tmpl.Container.Args...)
	data, err := json.Marshal(argv)
	if err != nil {
		t.Fatal(err)
	}
	replaced, err := argotemplate.Replace(string(data), vars, false) // every tag must resolve
	if err != nil {
		t.Fatalf("template %s: Argo cannot substitute %s: %v", tmpl.Name, data, err)
	}
	if err := json.Unmarshal([]byte(replaced), &argv); err != nil {
		t.Fatal(err)
	}
	if argv[0] != "partsync" {
		t.Fatalf("template %s runs %q, not partsync", tmpl.Name, argv)
	}
	for i := range argv { // the pod's emptyDir
		argv[i] = strings.ReplaceAll(argv[i], "/var/tmp/partsync", scratch)
	}
	return partsync(context.Background(), argv[1:]...)
}

// TestTemplateRunsLikeArgo plays the WorkflowTemplate as Argo would, with
// the form's defaults: the scan pod (partsync generate), the fan-out over
// the count Argo computes from the scan's summary, each transfer pod
// (partsync transfer without an argv), and the exit handler. The copy must
// be complete, and each pod must have run exactly the tool argv of the
// standalone Workflow that the scan kept in the run directory.
func TestTemplateRunsLikeArgo(t *testing.T) {
	needTools(t, "rsync")
	base := t.TempDir()
	srcMount, dstMount, sharedMount := filepath.Join(base, "source"), filepath.Join(base, "destination"), filepath.Join(base, "shared")
	src, dst, scratch := filepath.Join(srcMount, "project"), filepath.Join(dstMount, "copy"), filepath.Join(base, "scratch")
	for _, d := range []string{dstMount, sharedMount, scratch} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	tree := buildSampleTree(t, src, 6, 20)
	// --bwlimit: the form's default budget, 3 MiB/s, split over its 3 jobs by the scan.
	// --delete: the form's delete is delete, and the dirs pod deletes an extra at DST.
	// --verify-checksum: the form's verify is checksum; the verify pods and
	// verify-sum compare content after the directory step.
	args := []string{"template", "-n", "3", "--bwlimit", "3M", "--delete", "--max-delete", "9", "--verify-checksum", "-f", "40", "-s", "256KiB", "--retries", "1", "--backoff", "1s",
		"--pvc", "src:" + srcMount, "--pvc", "dst:" + dstMount, "--pvc", "shared:" + sharedMount, "-d", filepath.Join(sharedMount, "runs")}
	for _, x := range sampleExcludes {
		args = append(args, "-x", x)
	}
	res := mustPartsync(t, append(args, src, dst)...)
	var wt wfv1.WorkflowTemplate
	if err := yaml.UnmarshalStrict([]byte(res.stdout), &wt); err != nil {
		t.Fatalf("not a WorkflowTemplate: %v\n%s", err, res.stdout)
	}
	vars := map[string]any{"workflow.name": "partsync-sim01", "workflow.namespace": "argo"}
	for _, p := range wt.Spec.Arguments.Parameters {
		vars["workflow.parameters."+p.Name] = p.Value.String()
	}
	if vars["workflow.parameters.exclude"] != "*.tmp\ncache/" {
		t.Errorf("exclude default %q; want the -x patterns one per line", vars["workflow.parameters.exclude"])
	}
	tmpl := func(name string) *wfv1.Template {
		x, err := workflow.Merged(wt.Spec, name) // as Argo runs it, with templateDefaults
		if err != nil {
			t.Fatal(err)
		}
		return x
	}

	if r := argoPod(t, tmpl("scan"), vars, scratch); r.code != ExitOK {
		t.Fatalf("scan pod: %s", r)
	}
	summary, err := os.ReadFile(filepath.Join(scratch, "summary.json"))
	if err != nil {
		t.Fatalf("the scan wrote no summary: %v", err)
	}
	main := tmpl("main")
	count, err := argotemplate.Replace(`"`+main.Steps[2].Steps[0].WithSequence.Count.String()+`"`,
		map[string]any{"steps.scan.outputs.parameters.summary": string(summary)}, false)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(strings.Trim(count, `"`))
	if err != nil || n < 3 {
		t.Fatalf("fan-out count %s (%v) from summary %s", count, err, summary)
	}
	var sum Summary
	if err := json.Unmarshal(summary, &sum); err != nil || sum.Excluded != tree.excludedMatches || sum.RunID != "partsync-sim01" {
		t.Errorf("summary %+v (%v): want run id partsync-sim01 and the %d entries -x excludes", sum, err, tree.excludedMatches)
	}
	runDir := plan.Dir(filepath.Join(sharedMount, "runs", "partsync-sim01"))
	p, err := plan.Load(runDir)
	if err != nil || p.Count() != n {
		t.Fatalf("plan: %v, %d partitions; the summary says %d", err, p.Count(), n)
	}
	if !p.Delete || p.MaxDelete != 9 || vars["workflow.parameters.delete"] != "delete" {
		t.Errorf("plan: delete %v, max_delete %d (form: %v); want the form's mirror, 9", p.Delete, p.MaxDelete, vars["workflow.parameters.delete"])
	}
	standalone, err := os.ReadFile(runDir.WorkflowFile())
	if err != nil {
		t.Fatal(err)
	}
	generated := parseWorkflow(t, string(standalone))
	genArgs := workflowTemplate(t, generated, "transfer").Container.Args
	genTool := genArgs[slices.Index(genArgs, "--")+1:]

	for i := range n {
		podVars := map[string]any{"inputs.parameters.part": strconv.Itoa(i), "retries": "0"}
		for k, v := range vars {
			podVars[k] = v
		}
		if r := argoPod(t, tmpl("transfer"), podVars, scratch); r.code != ExitOK {
			t.Fatalf("transfer pod %d: %s", i, r)
		}
		st, ok, err := plan.LoadStatus(runDir, i)
		if err != nil || !ok {
			t.Fatalf("part %d: no status: %v", i, err)
		}
		want := slices.Clone(genTool)
		for j := range want {
			want[j] = strings.ReplaceAll(want[j], "{{inputs.parameters.part}}", strconv.Itoa(i))
		}
		if !slices.Equal(st.Argv, want) {
			t.Errorf("part %d: the template's pod ran %q\ngenerate's pod runs     %q", i, st.Argv, want)
		}
		if !slices.Contains(st.Argv, "--bwlimit=1024K") {
			t.Errorf("part %d ran %q: the form's bwlimit 3M over its 3 jobs is --bwlimit=1024K", i, st.Argv)
		}
	}
	// The directory step, after the fan-out (an rsync run), a mirror's.
	extra := filepath.Join(dst, "extra-at-dst")
	if err := os.WriteFile(extra, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	dirsVars := map[string]any{"retries": "0"}
	for k, v := range vars {
		dirsVars[k] = v
	}
	if r := argoPod(t, tmpl("dirs"), dirsVars, scratch); r.code != ExitOK {
		t.Fatalf("directory pod: %s", r)
	}
	if st, ok, err := plan.LoadStatus(runDir, plan.DirsPart); err != nil || !ok || !st.OK || !slices.Contains(st.Argv, "--dirs") {
		t.Errorf("directory step status %+v, %v, %v; want ok, rsync --dirs", st, ok, err)
	}
	if _, err := os.Stat(extra); !os.IsNotExist(err) {
		t.Errorf("the extra at DST after the mirror's dirs pod: %v", err)
	}
	// The form's verify: one pod per partition, then the sum.
	if vars["workflow.parameters.verify"] != "checksum" {
		t.Errorf("the form's verify defaults to %v; want checksum (--verify-checksum)", vars["workflow.parameters.verify"])
	}
	for i := range n {
		podVars := map[string]any{"inputs.parameters.part": strconv.Itoa(i), "retries": "0"}
		maps.Copy(podVars, vars)
		if r := argoPod(t, tmpl("verify"), podVars, scratch); r.code != ExitOK {
			t.Fatalf("verify pod %d: %s", i, r)
		}
	}
	sumVars := map[string]any{"inputs.parameters.split": "false", "retries": "0"}
	maps.Copy(sumVars, vars)
	if r := argoPod(t, tmpl("verify-sum"), sumVars, scratch); r.code != ExitOK {
		t.Fatalf("verify-sum pod: %s", r)
	}
	if v, ok, err := plan.LoadVerify(runDir); err != nil || !ok || !v.Checksum || v.Checked == 0 || v.Mismatches() != 0 {
		t.Errorf("verify.json after the form's verify: %+v, %v, %v; want content compared, no mismatch", v, ok, err)
	}
	exitVars := map[string]any{"workflow.status": "Succeeded", "workflow.failures": "[]"}
	for k, v := range vars {
		exitVars[k] = v
	}
	if r := argoPod(t, tmpl("record-outcome"), exitVars, scratch); r.code != ExitOK || !strings.Contains(r.stdout, "Succeeded") {
		t.Fatalf("exit handler: %s", r)
	}
	if _, err := os.Stat(runDir.OutcomeFile()); err != nil {
		t.Errorf("no outcome.json: %v", err)
	}
	report, err := check.Compare(src, dst, check.Options{Mtimes: true, Modes: true, Dirs: true, Ignore: tree.isExcluded})
	if err != nil || report.Files != tree.made.Files {
		t.Errorf("copy: %d of %d files verified: %v", report.Files, tree.made.Files, err)
	}
}

// TestTemplateCommandErrors: every problem of the command line is reported
// at once, with exit code 2, and nothing is printed.
func TestTemplateCommandErrors(t *testing.T) {
	pvcs := []string{"--pvc", "src:/mnt/source", "--pvc", "shared:/mnt/shared", "-d", "/mnt/shared/runs"}
	cases := map[string]struct {
		args []string
		want []string
	}{
		"no-args":   {pvcs, []string{"needs SRC and DST"}},
		"many":      {append(slices.Clone(pvcs), "-n", "0", "-x", "[", "-s", "4Q", "--retries", "-1", "--bwlimit", "fast", "/mnt/source", "/mnt/dst"), []string{"-n/--jobs 0", `"["`, "4Q", "--retries -1", `--bwlimit "fast"`, "DST /mnt/dst"}},
		"tool-opts": {append(slices.Clone(pvcs), "-o", "--delete", "/mnt/source", "/mnt/shared/x"), []string{"--delete"}},
		"cluster":   {append(slices.Clone(pvcs), "--cluster", "--namespace", "argo", "/mnt/source", "/mnt/shared/x"), []string{"has no namespace"}},
		"shared":    {[]string{"--pvc", "src:/mnt/source", "/mnt/source", "/mnt/source2"}, []string{"shared dir /tmp/partsync"}},
		"remote":    {append(slices.Clone(pvcs), "-m", "rclone", "/mnt/source", "oci:bucket"), []string{"--rclone-config-secret"}},
		"bad-pvc":   {[]string{"--pvc", "Bad:/x", "/x/a", "/x/b"}, []string{`"Bad:/x"`}},
	}
	for name, c := range cases {
		res := partsync(context.Background(), append([]string{"template"}, c.args...)...)
		if res.code != ExitUsage || res.stdout != "" {
			t.Errorf("%s: exit %d, stdout %q; want 2 and nothing\n%s", name, res.code, res.stdout, res)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(errText(res.err), w) {
				t.Errorf("%s: the error does not name %s: %v", name, w, res.err)
			}
		}
	}
}

// shippedTemplates are the files of templates/ and the command that renders
// each: the claims and paths the chart's defaults use too.
var shippedTemplates = map[string][]string{
	"workflowtemplate.yaml": {"template", "--pvc", "partsync-source:/mnt/source", "--pvc", "partsync-destination:/mnt/destination",
		"--pvc", "partsync-shared:/mnt/shared", "-d", "/mnt/shared/runs", "--rclone-config-secret", "rclone-config", "/mnt/source", "/mnt/destination"},
	"clusterworkflowtemplate.yaml": {"template", "--cluster", "--pvc", "partsync-source:/mnt/source", "--pvc", "partsync-destination:/mnt/destination",
		"--pvc", "partsync-shared:/mnt/shared", "-d", "/mnt/shared/runs", "--rclone-config-secret", "rclone-config", "/mnt/source", "/mnt/destination"},
	"workflowtemplate-object-storage.yaml": {"template", "--name", "partsync-object-storage", "-m", "rclone", "-n", "16",
		"--pvc", "partsync-source:/mnt/source", "--pvc", "partsync-shared:/mnt/shared", "-d", "/mnt/shared/runs",
		"--rclone-config-secret", "rclone-config", "/mnt/source", "oci:my-bucket/prefix"},
}

// shippedHeader starts each file of templates/: how it was made.
func shippedHeader(args []string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = a
		if strings.ContainsAny(a, " *'\"") {
			quoted[i] = "'" + a + "'"
		}
	}
	return "# Rendered by: partsync " + strings.Join(quoted, " ") + "\n" +
		"# Do not edit: `go test ./cmd/partsync -run TestShippedTemplates -update` renders it again.\n"
}

// TestShippedTemplates: templates/ holds exactly what `partsync template`
// prints, and every file in it passes `partsync lint`.
func TestShippedTemplates(t *testing.T) {
	dir := filepath.Join("..", "..", "templates")
	for file, args := range shippedTemplates {
		want := shippedHeader(args) + mustPartsync(t, args...).stdout
		path := filepath.Join(dir, file)
		if *update {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != want {
			t.Errorf("%s is not what `partsync %s` prints (%v); run: go test ./cmd/partsync -run TestShippedTemplates -update", path, strings.Join(args, " "), err)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if _, ok := shippedTemplates[e.Name()]; !ok {
			t.Errorf("templates/%s is not rendered by this test: add it to shippedTemplates", e.Name())
		}
	}
	if res := partsync(context.Background(), "lint", dir); res.code != ExitOK {
		t.Errorf("partsync lint templates/: %s", res)
	}
}
