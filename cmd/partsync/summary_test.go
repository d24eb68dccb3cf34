package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/partsync/partsync/generator/plan"
	"github.com/partsync/partsync/generator/testtree/sample"
	"github.com/partsync/partsync/generator/workflow"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden and templates/ from the current output")

// goldenTree is the fixed tree of the golden tests.
func goldenTree(t *testing.T, root string) {
	t.Helper()
	if _, err := sample.Build(root, sample.Spec{Seed: 7, Dirs: 6, FilesPerDir: 25, MaxSize: 16 << 10, Extras: true}); err != nil {
		t.Fatal(err)
	}
}

// checkGolden compares got, with base replaced by /BASE, to testdata/name.
func checkGolden(t *testing.T, name, base, got string) {
	t.Helper()
	got = strings.ReplaceAll(got, base, "/BASE")
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run: go test ./cmd/partsync -run %s -update)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("%s differs from the output (if the change is meant: go test ./cmd/partsync -run %s -update):\n%s", path, t.Name(), got)
	}
}

// relocated is the YAML document with the temporary directory base moved
// to /BASE in every string, printed again: YAML folds long strings, so the
// length of base must not show.
func relocated(t *testing.T, doc []byte, base string) string {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(doc, &v); err != nil {
		t.Fatal(err)
	}
	var walk func(any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case string:
			return strings.ReplaceAll(x, base, "/BASE")
		case []any:
			for i := range x {
				x[i] = walk(x[i])
			}
		case map[string]any:
			for k := range x {
				x[k] = walk(x[k])
			}
		}
		return v
	}
	out, err := yaml.Marshal(walk(v))
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// TestGenerateGolden: the same tree and flags with a fixed --run-id give
// byte-identical YAML and summary, here and on every machine.
func TestGenerateGolden(t *testing.T) {
	for _, tool := range []string{"rsync", "rclone"} {
		t.Run(tool, func(t *testing.T) {
			base := t.TempDir()
			src, out := filepath.Join(base, "src"), filepath.Join(base, "workflow.yaml")
			goldenTree(t, src)
			args := []string{"generate", "-m", tool, "-n", "4", "-f", "40", "-s", "128KiB", "-x", "*.tmp", "--run-id", "golden", "--run-as-user", "1000:1000",
				"-d", filepath.Join(base, "runs"), "--pvc", "data:" + base, "--namespace", "argo",
				"--output-file", out, "--summary-json", "-", src, filepath.Join(base, "dst")}
			res := mustPartsync(t, args...)
			var s Summary
			if err := json.Unmarshal([]byte(res.stdout), &s); err != nil {
				t.Fatalf("stdout is not the summary: %v\n%s", err, res.stdout)
			}
			p, err := plan.Load(plan.Dir(s.RunDir))
			if err != nil {
				t.Fatal(err)
			}
			if s.Partitions != p.Count() || s.Partitions < 3 || s.Bytes != p.Totals.ListedBytes || s.Workflow != "partsync-golden" || s.Output != out {
				t.Errorf("summary %+v does not describe the plan", s)
			}
			doc, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			// Byte for byte: the same run again gives the same YAML.
			if err := os.RemoveAll(s.RunDir); err != nil {
				t.Fatal(err)
			}
			mustPartsync(t, args...)
			again, err := os.ReadFile(out)
			if err != nil || !bytes.Equal(doc, again) {
				t.Errorf("a second generate of the same tree gives another workflow (%v):\n%s\n---\n%s", err, doc, again)
			}
			// The mutex's name hashes the shared directory, a temporary one here.
			mutex := workflow.MutexName(filepath.Join(base, "runs"), filepath.Join(base, "dst"))
			if !bytes.Contains(doc, []byte("- name: "+mutex+"\n")) {
				t.Errorf("the workflow does not hold the mutex %s of its DST", mutex)
			}
			doc = bytes.ReplaceAll(doc, []byte(mutex), []byte(workflow.MutexName("/BASE/runs", "/BASE/dst")))
			checkGolden(t, "generate-"+tool+".yaml.golden", base, relocated(t, doc, base))
			checkGolden(t, "generate-"+tool+".summary.golden", base, res.stdout)
		})
	}
}

// TestGenerateSummaryErrors: exit codes and leftovers of --summary-json.
func TestGenerateSummaryErrors(t *testing.T) {
	base := t.TempDir()
	src, shared := filepath.Join(base, "src"), filepath.Join(base, "runs")
	goldenTree(t, src)
	gen := func(extra ...string) cliResult {
		args := append([]string{"generate", "-d", shared, "--run-id", "s1", "--pvc", "data:" + base}, extra...)
		return partsync(context.Background(), append(args, src, filepath.Join(base, "dst"))...)
	}
	noRun := func(name string) {
		t.Helper()
		if _, err := os.Stat(filepath.Join(shared, "s1")); !os.IsNotExist(err) {
			t.Errorf("%s: the run directory is left behind (%v)", name, err)
		}
	}
	if res := gen("--summary-json", "-"); res.code != ExitUsage || res.stdout != "" || !strings.Contains(errText(res.err), "--output-file") {
		t.Errorf("summary and YAML both on stdout: %s", res)
	}
	noRun("stdout twice")
	if res := gen("--summary-json", filepath.Join(base, "missing", "s.json")); res.code != ExitError || res.stdout != "" {
		t.Errorf("unwritable summary: exit %d, stdout %d bytes; want 1 and nothing\n%s", res.code, len(res.stdout), res)
	}
	noRun("unwritable summary")
	sum := filepath.Join(base, "s.json")
	if res := gen("--summary-json", sum, "--output-file", filepath.Join(base, "missing", "w.yaml")); res.code != ExitError {
		t.Errorf("unwritable output: %s", res)
	}
	if _, err := os.Stat(sum); !os.IsNotExist(err) {
		t.Errorf("the summary of a failed generate is left behind (%v)", err)
	}
	noRun("unwritable output")
	res := gen("--summary-json", sum)
	if res.code != ExitOK || parseWorkflow(t, res.stdout).Name != "partsync-s1" {
		t.Fatalf("YAML on stdout, summary to a file: %s", res)
	}
	var s Summary
	data, err := os.ReadFile(sum)
	if err != nil || json.Unmarshal(data, &s) != nil || s.Output != "-" || s.RunID != "s1" || s.PlanFile != filepath.Join(shared, "s1", "plan.json") {
		t.Errorf("summary file %s: %v", data, err)
	}
}
