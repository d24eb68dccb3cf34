package workflow

import (
	"encoding/json"
	"strings"
	"testing"

	argotemplate "github.com/argoproj/argo-workflows/v3/util/template"
)

// TestDestinationMutex: two runs to the same DST from the same shared
// directory hold the same Argo mutex, whatever their run ids; another DST
// or shared directory another one; in a split run the parent alone holds
// it. In the WorkflowTemplate the name is an expression of the destination
// parameter, which Argo's own substitution (the code its controller runs on
// spec.synchronization before taking the lock) turns into the very name
// generate writes for that DST.
func TestDestinationMutex(t *testing.T) {
	mutexOf := func(runID, runDir, dst string, maxPartitions int) string {
		p := testPlan("rsync", dst, 12)
		p.RunID, p.RunDir = runID, runDir
		o := baseOptions()
		o.MaxPartitions = maxPartitions
		wf, err := Build(p, o)
		if err != nil {
			t.Fatal(err)
		}
		s := wf.Spec.Synchronization
		if s == nil || len(s.Mutexes) != 1 {
			t.Fatalf("%s: synchronization %+v; want one mutex", runID, s)
		}
		return s.Mutexes[0].Name
	}
	a := mutexOf("a", "/mnt/shared/runs/a", "/mnt/dst/copy", 0)
	if b := mutexOf("b", "/mnt/shared/runs/b", "/mnt/dst/copy", 0); a != b || !strings.HasPrefix(a, MutexPrefix) {
		t.Errorf("two runs to one DST hold %q and %q; want one partsync mutex", a, b)
	}
	if c := mutexOf("c", "/mnt/shared/runs/c", "/mnt/dst/other", 0); c == a {
		t.Errorf("runs to two DSTs share the mutex %q", a)
	}
	if d := mutexOf("d", "/mnt/shared/other/d", "/mnt/dst/copy", 0); d == a {
		t.Errorf("runs from two shared directories share the mutex %q", a)
	}
	if parent := mutexOf("p", "/mnt/shared/runs/p", "/mnt/dst/copy", 5); parent != a {
		t.Errorf("the parent of a split run holds %q; want %q", parent, a)
	}
	p := testPlan("rsync", "/mnt/dst/copy", 12)
	o := baseOptions()
	o.MaxPartitions = 5
	child, err := BuildChild(p, o, "partsync-r1", 0)
	if err != nil {
		t.Fatal(err)
	}
	if child.Spec.Synchronization != nil {
		t.Errorf("a child holds %+v; only the parent may (it would wait for its own parent)", child.Spec.Synchronization)
	}

	o, to := templateOptions()
	to.SharedDir = "/mnt/shared/runs"
	spec, _ := buildTemplateDoc(t, o, to)
	data, err := json.Marshal(spec.Synchronization)
	if err != nil {
		t.Fatal(err)
	}
	for _, dst := range []string{"/mnt/dst/copy", "oci:bucket/prefix", "it's odd/\"quoted\""} {
		got, err := argotemplate.Replace(string(data), map[string]any{"workflow.parameters." + ParamDestination: dst}, false)
		if err != nil {
			t.Fatalf("Argo cannot substitute the template's mutex: %v\n%s", err, data)
		}
		want := `{"mutexes":[{"name":"` + MutexName(to.SharedDir, dst) + `"}]}`
		if got != want {
			t.Errorf("DST %q: Argo makes the template's mutex %s; generate's is %s", dst, got, want)
		}
	}
}

// TestLessYAML: the container all templates share is written once, in
// templateDefaults; no field is an empty {} but an emptyDir; the sizes in
// the description are for people.
func TestLessYAML(t *testing.T) {
	for name, v := range variants() {
		wf, err := Build(v.p, v.o)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := Marshal(wf)
		if err != nil {
			t.Fatal(err)
		}
		text := string(doc)
		for _, once := range []string{"image: ", "allowPrivilegeEscalation: false", "readOnlyRootFilesystem: true", "name: HOME"} {
			if n := strings.Count(text, once); n != 1 {
				t.Errorf("%s: %q is written %d times; want once, in templateDefaults", name, once, n)
			}
		}
		if n, e := strings.Count(text, "{}"), strings.Count(text, "emptyDir: {}"); n != e {
			t.Errorf("%s: %d empty {} fields besides the emptyDir:\n%s", name, n-e, text)
		}
		if d := wf.Annotations["workflows.argoproj.io/description"]; strings.Contains(d, "bytes") || !strings.Contains(d, "4.0 GiB") {
			t.Errorf("%s: description %q; want the size as 4.0 GiB", name, d)
		}
	}
}
