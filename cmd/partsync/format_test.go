package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// TestOutputOneMeaning: --output is a format on every command, as in argo
// and kubectl; generate's and template's file is --output-file, and the old
// spelling (flag or PARTSYNC_OUTPUT) is refused naming the new one, with no
// file and no run directory left.
func TestOutputOneMeaning(t *testing.T) {
	base := t.TempDir()
	src := buildSampleTree(t, filepath.Join(base, "src"), 2, 3).root
	shared, out := filepath.Join(base, "runs"), filepath.Join(base, "wf.yaml")
	for _, cmd := range []string{"generate", "template"} {
		args := []string{cmd, "-d", shared, "--pvc", "data:" + base, "--output", out, src, filepath.Join(base, "dst")}
		if cmd == "generate" {
			args = append(args, "--run-id", "old")
		}
		res := partsync(t.Context(), args...)
		if res.code != ExitUsage || !strings.Contains(errText(res.err), "--output-file "+out) || res.stdout != "" {
			t.Errorf("%s --output FILE: exit %d, want %d naming --output-file\n%s", cmd, res.code, ExitUsage, res)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("%s --output FILE wrote %s (%v)", cmd, out, err)
		}
	}
	if _, err := os.Stat(filepath.Join(shared, "old")); !os.IsNotExist(err) {
		t.Errorf("generate --output FILE left its run directory (%v)", err)
	}
	t.Setenv("PARTSYNC_OUTPUT", out)
	if res := partsync(t.Context(), "generate", "-d", shared, "--pvc", "data:"+base, src, filepath.Join(base, "dst")); res.code != ExitUsage {
		t.Errorf("PARTSYNC_OUTPUT=FILE: exit %d, want %d\n%s", res.code, ExitUsage, res)
	}
	t.Setenv("PARTSYNC_OUTPUT", "")
	mustPartsync(t, "generate", "-d", shared, "--pvc", "data:"+base, "--run-id", "new", "--output-file", out, src, filepath.Join(base, "dst"))
	if data, err := os.ReadFile(out); err != nil || !strings.Contains(string(data), "kind: Workflow") {
		t.Fatalf("--output-file wrote no workflow: %v\n%s", err, data)
	}
	// status -o yaml: the report with the same field names as -o json.
	res := partsync(t.Context(), "status", "new", "-d", shared, "-o", "yaml")
	var r map[string]any
	if err := yaml.Unmarshal([]byte(res.stdout), &r); err != nil || r["run_id"] != "new" {
		t.Errorf("status -o yaml: %v, run_id %v\n%s", err, r["run_id"], res)
	}
}

// TestRunOutputJSON: run --output json|yaml prints the summary on stdout
// (progress stays on stderr), for a run that failed too, with run's exit
// code; run's -o stays fpsync's tool options.
func TestRunOutputJSON(t *testing.T) {
	needTools(t, "rsync")
	base := t.TempDir()
	src := buildSampleTree(t, filepath.Join(base, "src"), 2, 3).root
	shared := filepath.Join(base, "runs")
	res := mustPartsync(t, "run", src, filepath.Join(base, "dst"), "-d", shared, "--output", "json", "-o", "-a")
	var sum struct {
		RunID          string `json:"run_id"`
		Partitions, OK int
		Failed         int
		Files          int64
	}
	if err := yaml.Unmarshal([]byte(res.stdout), &sum); err != nil || sum.Partitions < 1 || sum.OK != sum.Partitions || sum.Files < 6 {
		t.Errorf("run --output json: %+v (%v)\n%s", sum, err, res)
	}
	res = partsync(t.Context(), "run", src, blockedDst(t, src, filepath.Join(base, "blocked")), "-d", shared, "--retries", "0", "--output", "yaml")
	if err := yaml.Unmarshal([]byte(res.stdout), &sum); err != nil || res.code != ExitFailed || sum.Failed != sum.Partitions {
		t.Errorf("failed run --output yaml: exit %d, %+v (%v)\n%s", res.code, sum, err, res)
	}
	if res := partsync(t.Context(), "run", "--resume", sum.RunID, "-d", shared, "--output", "json"); res.code != ExitUsage {
		t.Errorf("run --resume --output json: exit %d, want %d\n%s", res.code, ExitUsage, res)
	}
}
