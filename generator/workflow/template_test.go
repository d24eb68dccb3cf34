package workflow

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	argotemplate "github.com/argoproj/argo-workflows/v3/util/template"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/partsync/partsync/generator/tool"
)

// templateOptions are the form of the rclone variant of workflow_test.go:
// the same claims, source, destination and Secret.
func templateOptions() (Options, TemplateOptions) {
	o := baseOptions()
	o.RcloneConfigSecret = &SecretRef{Name: "rclone-config", Key: "rclone.conf"}
	return o, TemplateOptions{
		Name: "partsync", SharedDir: "/mnt/shared/runs",
		Defaults: FormDefaults{
			Source: "/mnt/src/project", Destination: "oci:bucket/prefix", Tool: "rclone",
			Files: 2000, Size: "4G", ScanWorkers: 32,
		},
	}
}

// templateVariants is every kind of template `partsync template` can print.
func templateVariants() map[string]struct {
	o Options
	t TemplateOptions
} {
	type v = struct {
		o Options
		t TemplateOptions
	}
	out := map[string]v{}
	for name, mutate := range map[string]func(*Options, *TemplateOptions){
		"rclone": func(*Options, *TemplateOptions) {},
		"rsync": func(_ *Options, t *TemplateOptions) {
			t.Defaults.Tool, t.Defaults.Destination = "rsync", "/mnt/dst/copy"
		},
		"no-secret": func(o *Options, t *TemplateOptions) {
			o.RcloneConfigSecret, t.Defaults.Tool, t.Defaults.Destination = nil, "rsync", "/mnt/dst"
		},
		"cluster":     func(_ *Options, t *TemplateOptions) { t.Cluster = true },
		"namespace":   func(o *Options, _ *TemplateOptions) { o.Namespace = "migrations" },
		"run-as-root": func(_ *Options, t *TemplateOptions) { t.RunAsRoot = true },
		"pod-knobs":   func(o *Options, _ *TemplateOptions) { o.Pods = knobs() },
		"knobs-root":  func(o *Options, t *TemplateOptions) { o.Pods, t.RunAsRoot = knobs(), true },
		"one-pvc": func(o *Options, t *TemplateOptions) {
			o.PVCs = []PVC{{Claim: "all", MountPath: "/mnt"}}
		},
		"form-values": func(o *Options, t *TemplateOptions) {
			o.Jobs, o.Retries, o.Backoff = 64, 0, 1500000000
			t.Defaults.Excludes = []string{"*.tmp", "/scratch/", "**/cache"}
			t.Defaults.ToolOptions = "--transfers=16 --checkers=32"
			t.Name = "copy-lustre-to-oci"
		},
	} {
		o, t := templateOptions()
		mutate(&o, &t)
		out[name] = v{o, t}
	}
	return out
}

func buildTemplateDoc(t *testing.T, o Options, to TemplateOptions) (wfv1.WorkflowSpec, []byte) {
	t.Helper()
	obj, err := BuildTemplate(o, to)
	if err != nil {
		t.Fatalf("BuildTemplate: %v", err)
	}
	doc, err := Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	switch x := obj.(type) {
	case *wfv1.WorkflowTemplate:
		return x.Spec, doc
	case *wfv1.ClusterWorkflowTemplate:
		return x.Spec, doc
	}
	t.Fatalf("BuildTemplate returned a %T", obj)
	return wfv1.WorkflowSpec{}, nil
}

func TestEveryTemplateVariantPassesArgoLint(t *testing.T) {
	dir := t.TempDir()
	for name, v := range templateVariants() {
		_, doc := buildTemplateDoc(t, v.o, v.t)
		f := filepath.Join(dir, name+".yaml")
		if err := os.WriteFile(f, doc, 0o644); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if err := Lint(context.Background(), []string{f}, "", &out); err != nil {
			t.Errorf("%s: Argo's validator rejects it: %v\n%s\n%s", name, err, out.String(), doc)
		}
		kind := map[bool]string{true: "kind: ClusterWorkflowTemplate", false: "kind: WorkflowTemplate"}[v.t.Cluster]
		if !strings.Contains(string(doc), "\n"+kind+"\n") {
			t.Errorf("%s: not a %s", name, kind)
		}
	}
}

func TestTemplateRejects(t *testing.T) {
	cases := map[string]struct {
		edit func(*Options, *TemplateOptions)
		want string
	}{
		"cluster-namespace": {func(o *Options, t *TemplateOptions) { t.Cluster, o.Namespace = true, "x" }, "has no namespace"},
		"name":              {func(_ *Options, t *TemplateOptions) { t.Name = "Bad_Name" }, `--name "Bad_Name"`},
		"shared-off-claims": {func(_ *Options, t *TemplateOptions) { t.SharedDir = "/elsewhere/runs" }, "shared dir /elsewhere/runs"},
		"shared-relative":   {func(_ *Options, t *TemplateOptions) { t.SharedDir = "runs" }, `shared dir "runs"`},
		"source-relative":   {func(_ *Options, t *TemplateOptions) { t.Defaults.Source = "src" }, `SRC "src"`},
		"remote-no-secret":  {func(o *Options, _ *TemplateOptions) { o.RcloneConfigSecret = nil }, "--rclone-config-secret"},
		"rsync-to-remote":   {func(_ *Options, t *TemplateOptions) { t.Defaults.Tool = "rsync" }, "oci:bucket/prefix"},
		"unknown-tool":      {func(_ *Options, t *TemplateOptions) { t.Defaults.Tool = "scp" }, `"scp"`},
		"jobs":              {func(o *Options, _ *TemplateOptions) { o.Jobs = 0 }, "-n/--jobs 0"},
		"dst-off-claims":    {func(_ *Options, t *TemplateOptions) { t.Defaults.Destination = "/elsewhere" }, "DST /elsewhere"},
	}
	for name, c := range cases {
		o, to := templateOptions()
		c.edit(&o, &to)
		_, err := BuildTemplate(o, to)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: BuildTemplate = %v; want an error naming %s", name, err, c.want)
		}
		if err != nil && !errors.Is(err, ErrCluster) && !errors.Is(err, tool.ErrTool) && !errors.Is(err, tool.ErrDestination) {
			t.Errorf("%s: %v wraps no known error", name, err)
		}
	}
}

// yaml11Booleans are read as booleans by YAML 1.1 parsers, and the full CRD
// schema then rejects the document.
var yaml11Booleans = []string{"y", "n", "yes", "no", "on", "off", "true", "false"}

func TestTemplateForm(t *testing.T) {
	o, to := templateOptions()
	spec, doc := buildTemplateDoc(t, o, to)
	params := spec.Arguments.Parameters
	var names []string
	for _, p := range params {
		names = append(names, p.Name)
		if p.Description == nil || len(p.Description.String()) < 20 {
			t.Errorf("parameter %s has no real description", p.Name)
		}
		if p.Value == nil {
			t.Errorf("parameter %s has no default", p.Name)
		}
		if slices.Contains(yaml11Booleans, strings.ToLower(p.Name)) || (p.Value != nil && slices.Contains(yaml11Booleans, strings.ToLower(p.Value.String()))) {
			t.Errorf("parameter %s=%v is a YAML 1.1 boolean", p.Name, p.Value)
		}
	}
	want := []string{ParamSource, ParamDestination, ParamTool, ParamJobs, ParamBwLimit, ParamFiles, ParamSize, ParamSizing, ParamMaxParts, ParamToolOptions, ParamExclude, ParamDelete, ParamMaxDelete, ParamVerify, ParamScanWorkers, ParamRetries, ParamBackoff,
		ParamRequests, ParamLimits, ParamPodPatch}
	if !slices.Equal(names, want) {
		t.Errorf("parameters %q; want %q", names, want)
	}
	toolParam := params[slices.Index(names, ParamTool)]
	var enum []string
	for _, e := range toolParam.Enum {
		enum = append(enum, string(e))
	}
	if !slices.Equal(enum, tool.Names()) || toolParam.Value.String() != "rclone" {
		t.Errorf("tool is not a dropdown of %q defaulting to rclone: %q, %v", tool.Names(), enum, toolParam.Value)
	}
	if v := params[slices.Index(names, ParamJobs)].Value.String(); v != "4" {
		t.Errorf("jobs default %q; want -n's 4", v)
	}
	// Every parameter is used, and every parameter used is declared.
	used := map[string]bool{}
	for _, m := range regexp.MustCompile(`workflow\.parameters\.([a-z-]+)`).FindAllStringSubmatch(string(doc), -1) {
		used[m[1]] = true
	}
	for _, n := range names {
		if !used[n] {
			t.Errorf("parameter %s is never used", n)
		}
		delete(used, n)
	}
	if len(used) > 0 {
		t.Errorf("undeclared parameters used: %v", used)
	}
	var meta struct {
		Metadata struct{ Annotations map[string]string }
	}
	if err := yaml.Unmarshal(doc, &meta); err != nil {
		t.Fatal(err)
	}
	if meta.Metadata.Annotations["workflows.argoproj.io/title"] == "" || !strings.Contains(meta.Metadata.Annotations["workflows.argoproj.io/description"], "/mnt/shared/runs") {
		t.Errorf("title or description annotation missing: %v", meta.Metadata.Annotations)
	}
	if spec.Parallelism != nil {
		t.Errorf("spec.parallelism is fixed at %d: the form's jobs would not count", *spec.Parallelism)
	}
}

// TestTemplateSharesTheWorkflowsPods: the transfer and exit-handler pods of
// the template are those of a Workflow that generate emits for the same
// claims and paths, except that a transfer pod reads its tool argv from
// plan.json and holds the jobs semaphore.
func TestTemplateSharesTheWorkflowsPods(t *testing.T) {
	o, to := templateOptions()
	spec, _ := buildTemplateDoc(t, o, to)
	p := testPlan("rclone", "oci:bucket/prefix", 7)
	p.RunID, p.RunDir = "{{workflow.name}}", "/mnt/shared/runs/{{workflow.name}}"
	wf, err := Build(p, o)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := func(s wfv1.WorkflowSpec, name string) wfv1.Template { return mergedTemplate(t, s, name) }
	got, want := tmpl(spec, transferName), tmpl(wf.Spec, transferName)
	argv := want.Container.Args
	cut := slices.Index(argv, "--")
	if cut < 0 || !slices.Equal(got.Container.Args, argv[:cut]) {
		t.Errorf("transfer args %q; want generate's %q without the tool argv", got.Container.Args, argv)
	}
	if got.Synchronization == nil || len(got.Synchronization.Semaphores) != 1 {
		t.Fatalf("the transfer holds no semaphore")
	}
	if got.PodSpecPatch == "" {
		t.Errorf("the template's transfer has no podSpecPatch for the form's requests and limits")
	}
	got.Container.Args, want.Container.Args = nil, nil
	got.Synchronization, got.PodSpecPatch = nil, ""
	got.RetryStrategy.Limit, want.RetryStrategy.Limit = nil, nil
	got.RetryStrategy.Backoff.Duration, want.RetryStrategy.Backoff.Duration = "", ""
	if a, b := mustJSON(t, got), mustJSON(t, want); a != b {
		t.Errorf("transfer templates differ:\n%s\n%s", a, b)
	}
	if a, b := mustJSON(t, tmpl(spec, outcomeName)), mustJSON(t, tmpl(wf.Spec, outcomeName)); a != b {
		t.Errorf("exit handlers differ:\n%s\n%s", a, b)
	}
	for i := range spec.Volumes {
		if s := spec.Volumes[i].Secret; s != nil {
			s.Optional = nil
		}
	}
	if a, b := mustJSON(t, spec.Volumes), mustJSON(t, wf.Spec.Volumes); a != b {
		t.Errorf("volumes differ:\n%s\n%s", a, b)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestJobsSemaphore: the transfers hold the semaphore whose limit the
// jobs-limit step creates, and the fan-out count is the partitions of the
// scan's summary, evaluated by Argo's own substitution code.
func TestJobsSemaphore(t *testing.T) {
	o, to := templateOptions()
	spec, _ := buildTemplateDoc(t, o, to)
	var transfer, limit, main *wfv1.Template
	for i := range spec.Templates {
		switch spec.Templates[i].Name {
		case transferName:
			transfer = &spec.Templates[i]
		case jobsLimitName:
			limit = &spec.Templates[i]
		case entrypoint:
			main = &spec.Templates[i]
		}
	}
	var cm corev1.ConfigMap
	if err := yaml.UnmarshalStrict([]byte(limit.Resource.Manifest), &cm); err != nil {
		t.Fatalf("jobs-limit manifest: %v", err)
	}
	ref := transfer.Synchronization.Semaphores[0].ConfigMapKeyRef
	if cm.Name != ref.Name || cm.Data[ref.Key] != "{{workflow.parameters.jobs}}" || !limit.Resource.SetOwnerReference || limit.Resource.Action != "create" {
		t.Errorf("semaphore %s/%s does not read the ConfigMap the jobs-limit step creates: %+v", ref.Name, ref.Key, cm)
	}
	// The steps run in order: scan (which checks jobs and the tool), the
	// limit, the fan-out, the directory step (for both tools), and the
	// form's verify (verify-sum's sum, or all of a split run's).
	var order []string
	for _, g := range main.Steps {
		order = append(order, g.Steps[0].Name)
	}
	if !slices.Equal(order, []string{scanName, jobsLimitName, transferName, dirsName, verifyName, verifySumName}) {
		t.Errorf("steps %q", order)
	}
	if when := main.Steps[3].Steps[0].When; when != "" { // the recheck runs for both tools
		t.Errorf("the directory step runs only when %q", when)
	}
	count := main.Steps[2].Steps[0].WithSequence.Count.String()
	summary := `{"run_id":"partsync-abcde","partitions":1234,"files":5,"children":[]}`
	got, err := argotemplate.Replace(mustJSON(t, count), map[string]any{"steps.scan.outputs.parameters.summary": summary}, false)
	if err != nil || got != `"1234"` {
		t.Errorf("Argo evaluates the count %s to %s, %v; want 1234", count, got, err)
	}
}

func TestTemplateRunAsRoot(t *testing.T) {
	o, to := templateOptions()
	for _, root := range []bool{false, true} {
		to.RunAsRoot = root
		spec, _ := buildTemplateDoc(t, o, to)
		sc := spec.SecurityContext
		if sc == nil || *sc.RunAsNonRoot == root || (root && (sc.RunAsUser == nil || *sc.RunAsUser != 0)) {
			t.Errorf("root=%v: pod securityContext %+v", root, sc)
		}
		for name, pod := range podsOf(t, spec) {
			x := struct{ Name string }{name}
			c := pod.Containers[0].SecurityContext
			if *c.AllowPrivilegeEscalation || !*c.ReadOnlyRootFilesystem || !slices.Equal(c.Capabilities.Drop, []corev1.Capability{"ALL"}) {
				t.Errorf("root=%v: %s: weak securityContext %+v", root, x.Name, c)
			}
			if root != slices.Contains(c.Capabilities.Add, "CHOWN") {
				t.Errorf("root=%v: %s: capabilities %+v", root, x.Name, c.Capabilities)
			}
		}
	}
}

// argoEval substitutes vars in the Argo tags of v as Argo does, and decodes
// the result into out.
func argoEval(t *testing.T, v any, vars map[string]any, allowUnresolved bool, out any) {
	t.Helper()
	got, err := argotemplate.Replace(mustJSON(t, v), vars, allowUnresolved)
	if err != nil {
		t.Fatalf("Argo cannot substitute %s: %v", mustJSON(t, v), err)
	}
	if err := json.Unmarshal([]byte(got), out); err != nil {
		t.Fatalf("after Argo's substitution: %v\n%s", err, got)
	}
}

// TestTemplateScanSizing: the form's sizing reaches the scan's generate as
// --auto, which Argo evaluates to true only for auto; the form offers the
// two values and defaults to the template's --auto.
func TestTemplateScanSizing(t *testing.T) {
	for _, auto := range []bool{false, true} {
		o, to := templateOptions()
		to.Defaults.Auto = auto
		spec, _ := buildTemplateDoc(t, o, to)
		want := map[bool]string{false: SizingLimits, true: SizingAuto}[auto]
		i := slices.IndexFunc(spec.Arguments.Parameters, func(p wfv1.Parameter) bool { return p.Name == ParamSizing })
		if i < 0 {
			t.Fatal("the form has no sizing")
		}
		if p := spec.Arguments.Parameters[i]; p.Value.String() != want || len(p.Enum) != 2 {
			t.Errorf("--auto=%v: form's sizing %s %v; want %s of [limits auto]", auto, p.Value, p.Enum, want)
		}
		scan, err := Merged(spec, scanName)
		if err != nil {
			t.Fatal(err)
		}
		for value, flag := range map[string]string{SizingAuto: "--auto=true", SizingLimits: "--auto=false"} {
			var got []string
			argoEval(t, scan.Container.Args, map[string]any{"workflow.parameters." + ParamSizing: value}, true, &got)
			if !slices.Contains(got, flag) {
				t.Errorf("sizing %s: scan args %q lack %s", value, got, flag)
			}
		}
	}
}
