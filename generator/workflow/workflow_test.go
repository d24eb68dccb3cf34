package workflow

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	"sigs.k8s.io/yaml"

	"github.com/partsync/partsync/generator/plan"
)

// testPlan is a plan of n partitions, as prepare would write it.
func testPlan(tool, dst string, n int) *plan.Plan {
	p := &plan.Plan{
		FormatVersion: plan.FormatVersion, RunID: "r1", RunDir: "/mnt/shared/runs/r1",
		Source: "/mnt/src/project", Destination: dst, Tool: tool,
		ToolOptions: map[string][]string{"rsync": {"-a", "--numeric-ids"}, "rclone": {"--transfers=8"}}[tool],
		MaxFiles:    2000, MaxBytes: 4 << 30,
	}
	for range n {
		p.Partitions = append(p.Partitions, plan.Partition{Entries: 3, Files: 3, Bytes: 10})
	}
	return p
}

func baseOptions() Options {
	return Options{
		Jobs: 4, Image: "ghcr.io/partsync/partsync:v0.1.0", ServiceAccount: "partsync",
		PVCs:    []PVC{{Claim: "src", MountPath: "/mnt/src"}, {Claim: "shared", MountPath: "/mnt/shared"}, {Claim: "dst", MountPath: "/mnt/dst"}},
		Retries: 3, Backoff: 30 * time.Second,
	}
}

// variants is every document generate can emit: both tools, with and
// without each optional flag.
func variants() map[string]struct {
	p *plan.Plan
	o Options
} {
	type v = struct {
		p *plan.Plan
		o Options
	}
	out := map[string]v{}
	rsyncPlan := func() *plan.Plan { return testPlan("rsync", "/mnt/dst/copy", 12) }
	rclonePlan := func() *plan.Plan { return testPlan("rclone", "oci:bucket/prefix", 12) }
	secret := &SecretRef{Name: "rclone-config", Key: "rclone.conf"}
	out["rsync"] = v{rsyncPlan(), baseOptions()}
	out["rclone"] = v{rclonePlan(), func() Options { o := baseOptions(); o.RcloneConfigSecret = secret; return o }()}
	out["rclone-local"] = v{testPlan("rclone", "/mnt/dst/copy", 3), baseOptions()}
	for name, mutate := range map[string]func(*Options){
		"namespace":      func(o *Options) { o.Namespace = "migrations" },
		"no-retries":     func(o *Options) { o.Retries = 0 },
		"one-job":        func(o *Options) { o.Jobs = 1 },
		"service-acct":   func(o *Options) { o.ServiceAccount = "mover" },
		"image":          func(o *Options) { o.Image = "registry.example.com/p/partsync@sha256:" + strings.Repeat("a", 64) },
		"secret-key":     func(o *Options) { o.RcloneConfigSecret = &SecretRef{Name: "rc", Key: "config"} },
		"one-pvc":        func(o *Options) { o.PVCs = []PVC{{Claim: "all", MountPath: "/mnt"}} },
		"backoff-ms":     func(o *Options) { o.Backoff = 1500 * time.Millisecond },
		"many-jobs":      func(o *Options) { o.Jobs = 500 },
		"retries-large":  func(o *Options) { o.Retries = 50 },
		"pod-knobs":      func(o *Options) { o.Pods = knobs() },
		"zero-parts-pvc": func(o *Options) {},
		"verify":         func(o *Options) { o.Verify = true },
	} {
		for _, tool := range []string{"rsync", "rclone"} {
			p := rsyncPlan()
			o := baseOptions()
			if tool == "rclone" {
				p = rclonePlan()
				o.RcloneConfigSecret = secret
			}
			if name == "zero-parts-pvc" {
				p.Partitions = nil
			}
			mutate(&o)
			out[tool+"-"+name] = v{p, o}
		}
	}
	return out
}

func TestEveryVariantPassesArgoLint(t *testing.T) {
	dir := t.TempDir()
	var files []string
	for name, v := range variants() {
		wf, err := Build(v.p, v.o)
		if err != nil {
			t.Fatalf("%s: Build: %v", name, err)
		}
		doc, err := Marshal(wf)
		if err != nil {
			t.Fatal(err)
		}
		f := filepath.Join(dir, name+".yaml")
		if err := os.WriteFile(f, doc, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
		var out bytes.Buffer
		if err := Lint(context.Background(), []string{f}, "", &out); err != nil {
			t.Errorf("%s: Argo's validator rejects it: %v\n%s\n%s", name, err, out.String(), doc)
		}
	}
	if len(files) < 20 {
		t.Fatalf("only %d variants", len(files))
	}
}

func TestLintRejects(t *testing.T) {
	wf, err := Build(testPlan("rsync", "/mnt/dst/x", 3), baseOptions())
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := Marshal(wf)
	dir := t.TempDir()
	for name, edit := range map[string]func(string) string{
		"unknown-field":    func(s string) string { return strings.Replace(s, "parallelism:", "parallelismm:", 1) },
		"missing-template": func(s string) string { return strings.Replace(s, "template: transfer", "template: nope", 1) },
		"bad-entrypoint":   func(s string) string { return strings.Replace(s, "entrypoint: main", "entrypoint: absent", 1) },
		"no-document":      func(string) string { return "just: text\n" },
	} {
		f := filepath.Join(dir, name+".yaml")
		if err := os.WriteFile(f, []byte(edit(string(doc))), 0o644); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		err := Lint(context.Background(), []string{f}, "", &out)
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Lint = %v; want ErrInvalid", name, err)
		}
		if name != "no-document" && !strings.Contains(out.String(), f) {
			t.Errorf("%s: the problem report does not name the file: %q", name, out.String())
		}
	}
}

// TestSizeDoesNotGrowWithPartitions: 10 and 10,000 partitions give the same
// YAML apart from the count.
func TestSizeDoesNotGrowWithPartitions(t *testing.T) {
	for _, tool := range []string{"rsync", "rclone"} {
		o := baseOptions()
		dst := "/mnt/dst/copy"
		if tool == "rclone" {
			dst, o.RcloneConfigSecret = "oci:b", &SecretRef{Name: "rc", Key: "rclone.conf"}
		}
		docs := map[int]string{}
		for _, n := range []int{10, 10000} {
			wf, err := Build(testPlan(tool, dst, n), o)
			if err != nil {
				t.Fatal(err)
			}
			doc, err := Marshal(wf)
			if err != nil {
				t.Fatal(err)
			}
			flat, err := yaml.YAMLToJSON(doc) // YAML folds long strings where their length says
			if err != nil {
				t.Fatal(err)
			}
			docs[n] = string(flat)
		}
		small := regexp.MustCompile(`\b10\b`).ReplaceAllString(docs[10], "N")
		large := regexp.MustCompile(`\b10000\b`).ReplaceAllString(docs[10000], "N")
		if small != large {
			t.Errorf("%s: documents differ beyond the count:\n%s\n---\n%s", tool, docs[10], docs[10000])
		}
		if strings.Count(docs[10000], "10000") != 2 { // withSequence count and the description
			t.Errorf("%s: the count appears %d times; want 2", tool, strings.Count(docs[10000], "10000"))
		}
	}
}

func TestShapeAndSafety(t *testing.T) {
	o := baseOptions()
	o.RcloneConfigSecret = &SecretRef{Name: "rclone-config", Key: "rclone.conf"}
	p := testPlan("rclone", "oci:bucket/x", 5)
	wf, err := Build(p, o)
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := Marshal(wf)
	var back wfv1.Workflow
	if err := yaml.UnmarshalStrict(doc, &back); err != nil {
		t.Fatalf("emitted YAML does not read back strictly: %v", err)
	}
	if *back.Spec.Parallelism != 4 || back.Spec.OnExit == "" || back.Spec.PodGC == nil || back.Spec.TTLStrategy == nil {
		t.Errorf("spec lacks parallelism/onExit/podGC/ttl: %+v", back.Spec)
	}
	tr := back.GetTemplateByName("transfer")
	if tr == nil || tr.RetryStrategy == nil || tr.RetryStrategy.Backoff == nil || tr.RetryStrategy.Limit.IntValue() != 3 {
		t.Fatalf("transfer template lacks retryStrategy with backoff: %+v", tr)
	}
	if tr.Affinity == nil || tr.Affinity.PodAntiAffinity == nil {
		t.Errorf("transfer pods are not spread over nodes")
	}
	main := back.GetTemplateByName("main")
	if seq := main.Steps[0].Steps[0].WithSequence; seq == nil || seq.Count.String() != "5" {
		t.Errorf("fan-out is not withSequence count 5: %+v", main.Steps[0].Steps[0])
	}
	for name, pod := range podsOf(t, back.Spec) {
		tmpl := struct{ Name string }{name}
		c := &pod.Containers[0]
		argv := append(append([]string{}, c.Command...), c.Args...)
		for _, sh := range []string{"sh", "bash", "/bin/sh", "/bin/bash", "-c"} {
			if argv[0] == sh || (len(argv) > 1 && argv[1] == "-c") {
				t.Errorf("template %s runs a shell: %q", tmpl.Name, argv)
			}
		}
		sc := c.SecurityContext
		if sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem || len(sc.Capabilities.Drop) == 0 {
			t.Errorf("template %s: weak securityContext %+v", tmpl.Name, sc)
		}
		for _, e := range c.Env {
			if e.ValueFrom != nil || strings.Contains(strings.ToLower(e.Name), "secret") || strings.Contains(strings.ToLower(e.Name), "key") {
				t.Errorf("template %s: env %s may carry a credential", tmpl.Name, e.Name)
			}
		}
		for _, m := range c.VolumeMounts {
			if m.MountPath == "/mnt/src" && !m.ReadOnly {
				t.Errorf("template %s: the source claim is writable", tmpl.Name)
			}
			if m.MountPath == "/mnt/shared" && m.ReadOnly {
				t.Errorf("template %s: the shared claim is read-only", tmpl.Name)
			}
		}
	}
	if !strings.Contains(string(doc), "secretName: rclone-config") || !strings.Contains(string(doc), "RCLONE_CONFIG") {
		t.Errorf("the rclone config Secret is not mounted:\n%s", doc)
	}
	if back.Annotations["workflows.argoproj.io/title"] == "" || back.Annotations["workflows.argoproj.io/description"] == "" {
		t.Errorf("title/description annotations missing")
	}
}

func TestBuildRejects(t *testing.T) {
	cases := map[string]struct {
		p    *plan.Plan
		o    func(*Options)
		want string
	}{
		"src-not-mounted":   {testPlan("rsync", "/mnt/dst/x", 1), func(o *Options) { o.PVCs = o.PVCs[1:] }, "SRC /mnt/src/project"},
		"dst-not-mounted":   {testPlan("rsync", "/elsewhere", 1), func(*Options) {}, "DST /elsewhere"},
		"no-secret":         {testPlan("rclone", "oci:b", 1), func(*Options) {}, "--rclone-config-secret"},
		"jobs":              {testPlan("rsync", "/mnt/dst/x", 1), func(o *Options) { o.Jobs = 0 }, "-n/--jobs 0"},
		"sa":                {testPlan("rsync", "/mnt/dst/x", 1), func(o *Options) { o.ServiceAccount = "Bad_SA" }, `"Bad_SA"`},
		"scratch-collision": {testPlan("rsync", "/mnt/dst/x", 1), func(o *Options) { o.PVCs = append(o.PVCs, PVC{Claim: "v", MountPath: "/var/tmp"}) }, "scratch"},
	}
	for name, c := range cases {
		o := baseOptions()
		c.o(&o)
		_, err := Build(c.p, o)
		if !errors.Is(err, ErrCluster) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Build = %v; want ErrCluster naming %s", name, err, c.want)
		}
	}
}

func TestPodIdentity(t *testing.T) {
	for name, c := range map[string]struct {
		runAs   *Identity
		nonRoot bool
		caps    bool
	}{
		"image": {nil, true, false},
		"user":  {&Identity{UID: 1000, GID: 100}, true, false},
		"root":  {&Identity{}, false, true},
	} {
		o := baseOptions()
		o.RunAs = c.runAs
		wf, err := Build(testPlan("rsync", "/mnt/dst/x", 2), o)
		if err != nil {
			t.Fatal(err)
		}
		sc := wf.Spec.SecurityContext
		if sc == nil || *sc.RunAsNonRoot != c.nonRoot || (c.runAs != nil && (*sc.RunAsUser != c.runAs.UID || *sc.RunAsGroup != c.runAs.GID)) || (c.runAs == nil && (*sc.RunAsUser != ImageUID || *sc.RunAsGroup != ImageGID)) {
			t.Errorf("%s: pod securityContext %+v", name, sc)
		}
		for tmpl, pod := range podsOf(t, wf.Spec) {
			caps := pod.Containers[0].SecurityContext.Capabilities
			if (len(caps.Add) > 0) != c.caps || len(caps.Drop) != 1 || caps.Drop[0] != "ALL" {
				t.Errorf("%s: template %s capabilities %+v", name, tmpl, caps)
			}
		}
	}
}
