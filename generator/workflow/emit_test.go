package workflow

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEmitWritesWhatItLints: a run split into child workflows gets its
// workflow and first child written to the run directory, byte for byte
// the documents Emit returns, and both pass Argo's validator.
func TestEmitWritesWhatItLints(t *testing.T) {
	p := testPlan("rsync", "/mnt/dst/x", 7)
	p.RunDir = filepath.Join(t.TempDir(), "r1")
	if err := os.MkdirAll(p.RunDir, 0o755); err != nil {
		t.Fatal(err)
	}
	o := baseOptions()
	o.PVCs = append(o.PVCs, PVC{Claim: "tmp", MountPath: filepath.Dir(p.RunDir)})
	o.MaxPartitions = 3
	var out bytes.Buffer
	e, err := Emit(context.Background(), p, o, &out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for file, want := range map[string][]byte{p.Dir().WorkflowFile(): e.Doc, p.Dir().ChildWorkflowFile(): e.Child} {
		got, err := os.ReadFile(file)
		if err != nil || len(want) == 0 || !bytes.Equal(got, want) {
			t.Errorf("%s: %d bytes written (%v), %d returned", file, len(got), err, len(want))
		}
	}
	if !strings.Contains(string(e.Child), "kind: Workflow") || e.Workflow == nil {
		t.Errorf("the first child is not a Workflow:\n%s", e.Child)
	}

	// One workflow: no child written.
	one := testPlan("rsync", "/mnt/dst/x", 2)
	one.RunDir = filepath.Join(t.TempDir(), "r1")
	if err := os.MkdirAll(one.RunDir, 0o755); err != nil {
		t.Fatal(err)
	}
	o.PVCs[len(o.PVCs)-1].MountPath = filepath.Dir(one.RunDir)
	if e, err := Emit(context.Background(), one, o, &out); err != nil || e.Child != nil {
		t.Errorf("one workflow: child %d bytes, %v", len(e.Child), err)
	}
	if _, err := os.Stat(one.Dir().ChildWorkflowFile()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("one workflow: %s exists (%v)", one.Dir().ChildWorkflowFile(), err)
	}
}

// TestLintDocumentsInMemory: documents given as bytes are linted as files
// are: a template referred to by name is found in another document, and a
// problem is reported under the document's name.
func TestLintDocumentsInMemory(t *testing.T) {
	wft := []byte("apiVersion: argoproj.io/v1alpha1\nkind: WorkflowTemplate\nmetadata: {name: shared}\nspec:\n  entrypoint: main\n  templates:\n  - name: main\n    container: {image: busybox}\n")
	ref := []byte("apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {generateName: ref-}\nspec:\n  workflowTemplateRef: {name: shared}\n")
	var out bytes.Buffer
	if err := LintDocuments(context.Background(), []Document{{Name: "wft", Data: wft}, {Name: "ref", Data: ref}}, "", &out); err != nil {
		t.Errorf("a Workflow and its template: %v\n%s", err, out.String())
	}
	out.Reset()
	err := LintDocuments(context.Background(), []Document{{Name: "alone", Data: ref}}, "", &out)
	if !errors.Is(err, ErrInvalid) || !strings.HasPrefix(out.String(), "alone: ") || !strings.Contains(out.String(), `couldn't find workflow template "shared"`) {
		t.Errorf("a Workflow without its template: %v\n%s", err, out.String())
	}
	if err := LintDocuments(context.Background(), nil, "", &out); !errors.Is(err, ErrInvalid) {
		t.Errorf("no documents: %v, want ErrInvalid", err)
	}
	docs, err := ReadDocuments([]string{"-"}, bytes.NewReader(ref))
	if err != nil || len(docs) != 1 || docs[0].Name != "stdin" || !bytes.Equal(docs[0].Data, ref) {
		t.Errorf("ReadDocuments(-): %+v, %v", docs, err)
	}
	if _, err := ReadDocuments([]string{"-"}, nil); err == nil {
		t.Error("ReadDocuments(-) without stdin: no error")
	}
}
