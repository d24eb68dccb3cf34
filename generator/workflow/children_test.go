package workflow

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	"github.com/argoproj/argo-workflows/v3/workflow/common"
	"sigs.k8s.io/yaml"

	"github.com/partsync/partsync/generator/plan"
)

// lintDoc writes doc to a file and lints it with Argo's validator.
func lintDoc(t *testing.T, name string, doc []byte) {
	t.Helper()
	f := filepath.Join(t.TempDir(), name+".yaml")
	if err := os.WriteFile(f, doc, 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := Lint(context.Background(), []string{f}, "", &out); err != nil {
		t.Fatalf("%s fails Argo's lint: %v\n%s\n%s", name, err, out.String(), doc)
	}
}

// buildDoc is the YAML of Build(p, o).
func buildDoc(t *testing.T, p *plan.Plan, o Options) []byte {
	t.Helper()
	wf, err := Build(p, o)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := Marshal(wf)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestChildRangesCoverEveryPartitionOnce(t *testing.T) {
	for _, c := range []struct{ count, size, children int }{
		{25, 10, 3}, {20, 10, 2}, {1, 10, 1}, {0, 10, 0}, {100000, 2000, 50}, {100001, 2000, 51},
	} {
		ranges := ChildRanges(c.count, c.size)
		if len(ranges) != c.children {
			t.Errorf("ChildRanges(%d, %d): %d children, want %d", c.count, c.size, len(ranges), c.children)
		}
		seen := make([]int, c.count)
		for _, r := range ranges {
			if n := r.Last - r.First + 1; n < 1 || n > c.size {
				t.Errorf("ChildRanges(%d, %d): range %v holds %d partitions", c.count, c.size, r, n)
			}
			for i := r.First; i <= r.Last; i++ {
				seen[i]++
			}
		}
		for i, n := range seen {
			if n != 1 {
				t.Fatalf("ChildRanges(%d, %d): partition %d in %d children", c.count, c.size, i, n)
			}
		}
	}
}

// TestWorkflowOfWorkflows builds a run of 25 partitions with a cap of 10:
// the parent creates 3 children whose ranges cover every partition once;
// the parent and every child pass Argo's lint; and the manifest the parent
// embeds, substituted the way Argo's controller substitutes a template
// (common.SubstituteParams), is exactly the child BuildChild returns, with
// the child's own tags left for the child to resolve.
func TestWorkflowOfWorkflows(t *testing.T) {
	for _, tool := range []string{"rsync", "rclone"} {
		t.Run(tool, func(t *testing.T) {
			p := testPlan("rsync", "/mnt/dst/copy", 25)
			o := baseOptions()
			if tool == "rclone" {
				p = testPlan("rclone", "oci:bucket/prefix", 25)
				o.RcloneConfigSecret = &SecretRef{Name: "rclone-config", Key: "rclone.conf"}
			}
			o.MaxPartitions = 10
			if n := o.Workflows(p); n != 4 {
				t.Fatalf("Workflows = %d, want 4 (parent and 3 children)", n)
			}
			doc := buildDoc(t, p, o)
			lintDoc(t, "parent", doc)

			var parent wfv1.Workflow
			if err := yaml.UnmarshalStrict(doc, &parent); err != nil {
				t.Fatal(err)
			}
			tmpl := parent.GetTemplateByName(childName)
			if tmpl == nil || tmpl.Resource == nil || tmpl.Resource.Action != "create" || !tmpl.Resource.SetOwnerReference {
				t.Fatalf("no owned resource template %q creating the children: %+v", childName, tmpl)
			}
			main := parent.GetTemplateByName(entrypoint)
			children := main.Steps[1].Steps[0]
			if len(children.WithItems) != 3 {
				t.Fatalf("%d children, want 3", len(children.WithItems))
			}
			if parent.Spec.OnExit != outcomeName {
				t.Errorf("parent onExit %q, want %q: the outcome is recorded once", parent.Spec.OnExit, outcomeName)
			}
			seen := make([]int, 25)
			for i, item := range children.WithItems {
				var r struct{ Index, First, Last int }
				if err := json.Unmarshal([]byte(item.String()), &r); err != nil {
					t.Fatal(err)
				}
				if r.Index != i {
					t.Errorf("item %d has index %d", i, r.Index)
				}
				for k := r.First; k <= r.Last; k++ {
					seen[k]++
				}
				// What the controller makes of the child template for this item.
				args := map[string]string{"index": strconv.Itoa(r.Index), "first": strconv.Itoa(r.First), "last": strconv.Itoa(r.Last)}
				in := tmpl.DeepCopy()
				for j := range in.Inputs.Parameters {
					in.Inputs.Parameters[j].Value = wfv1.AnyStringPtr(args[in.Inputs.Parameters[j].Name])
				}
				got, err := common.SubstituteParams(in, common.Parameters{"workflow.name": parent.Name, "workflow.namespace": "default"}, common.Parameters{})
				if err != nil {
					t.Fatalf("child %d: Argo's substitution: %v", i, err)
				}
				want, err := BuildChild(p, o, parent.Name, i)
				if err != nil {
					t.Fatal(err)
				}
				wantDoc, err := Marshal(want)
				if err != nil {
					t.Fatal(err)
				}
				var created wfv1.Workflow
				if err := yaml.UnmarshalStrict([]byte(got.Resource.Manifest), &created); err != nil {
					t.Fatalf("child %d as the controller creates it is no Workflow: %v\n%s", i, err, got.Resource.Manifest)
				}
				if createdDoc, _ := Marshal(&created); !bytes.Equal(createdDoc, wantDoc) {
					t.Fatalf("child %d as the controller creates it:\n%s\nwant BuildChild's:\n%s", i, createdDoc, wantDoc)
				}
				if !strings.Contains(string(wantDoc), childPartExpr) || !strings.Contains(string(wantDoc), "{{item}}") {
					t.Errorf("child %d lost its own tags:\n%s", i, wantDoc)
				}
				if strings.Contains(string(wantDoc), "{{inputs.parameters.first}}") || strings.Contains(string(wantDoc), "{{workflow.name}}") {
					t.Errorf("child %d holds unresolved parent tags:\n%s", i, wantDoc)
				}
				lintDoc(t, "child-"+strconv.Itoa(i), wantDoc)

				var child wfv1.Workflow
				if err := yaml.UnmarshalStrict(wantDoc, &child); err != nil {
					t.Fatal(err)
				}
				seq := child.GetTemplateByName(entrypoint).Steps[0].Steps[0].WithSequence
				if seq.Start.String() != strconv.Itoa(r.First) || seq.End.String() != strconv.Itoa(r.Last) {
					t.Errorf("child %d sequence %s..%s, want %d..%d", i, seq.Start.String(), seq.End.String(), r.First, r.Last)
				}
				if child.Spec.OnExit != "" {
					t.Errorf("child %d has an exit handler %q; the parent records the outcome", i, child.Spec.OnExit)
				}
				sem := child.GetTemplateByName(transferName).Synchronization.Semaphores[0].ConfigMapKeyRef
				if sem.Name != parent.Name+"-jobs" || sem.Key != jobsKey {
					t.Errorf("child %d semaphore %s/%s, want the parent's %s-jobs/%s", i, sem.Name, sem.Key, parent.Name, jobsKey)
				}
			}
			for k, n := range seen {
				if n != 1 {
					t.Errorf("partition %d is in %d children", k, n)
				}
			}
			cm := parent.GetTemplateByName(jobsLimitName).Resource.Manifest
			if !strings.Contains(cm, jobsKey+": \"4\"") {
				t.Errorf("semaphore ConfigMap does not hold -n 4:\n%s", cm)
			}
		})
	}
}

// TestSplitSizeDoesNotGrowWithPartitions: the parent grows by one item per
// child, not with the partitions.
func TestSplitSizeDoesNotGrowWithPartitions(t *testing.T) {
	size := func(count int) int {
		p := testPlan("rsync", "/mnt/dst/copy", count)
		o := baseOptions()
		o.MaxPartitions = 1000
		return len(buildDoc(t, p, o))
	}
	// 2 children each; 2,000 partitions apart
	if a, b := size(1001), size(2000); a != b {
		t.Errorf("1,001 partitions: %d bytes; 2,000: %d bytes; want the same (2 children each)", a, b)
	}
	if a, b := size(2000), size(2001); b-a > 100 {
		t.Errorf("one more child costs %d bytes", b-a)
	}
}

func TestNoSplitAtOrBelowTheCap(t *testing.T) {
	p := testPlan("rsync", "/mnt/dst/copy", 10)
	o := baseOptions()
	a := buildDoc(t, p, o)
	o.MaxPartitions = 10
	b := buildDoc(t, p, o)
	if !bytes.Equal(a, b) {
		t.Errorf("a run at the cap changed:\n%s\nwant\n%s", b, a)
	}
}
