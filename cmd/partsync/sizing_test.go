package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/partsync/partsync/generator/partition"
	"github.com/partsync/partsync/generator/testtree/check"
	"github.com/partsync/partsync/generator/workflow"
)

// TestRunAuto copies the sample tree with --auto: the partitions are the
// aimed 4 × -n, costliest first, every file arrives, the balance is printed
// and recorded, and the manifest holds the scan.
func TestRunAuto(t *testing.T) {
	needTools(t, "rsync")
	t.Parallel()
	base := t.TempDir()
	src, dst, shared := filepath.Join(base, "src"), filepath.Join(base, "dst"), filepath.Join(base, "runs")
	tree := buildSampleTree(t, src, 12, 25)
	args := []string{"run", "--auto", "--min-partition", "1", "-m", "rsync", "-n", "2", "-d", shared, "--run-id", "auto"}
	res := mustPartsync(t, append(append(args, excludeArgs()...), src, dst)...)
	runDir := filepath.Join(shared, "auto")
	p := loadPlan(t, runDir)

	report, err := check.Compare(src, dst, check.Options{Modes: true, Mtimes: true, Symlinks: true, Dirs: true, Ignore: tree.isExcluded})
	if err != nil {
		t.Errorf("treecheck: %v", err)
	}
	if report.Files != tree.made.Files {
		t.Errorf("treecheck verified %d files, want %d", report.Files, tree.made.Files)
	}
	if p.Count() != 4*2 {
		t.Errorf("%d partitions, want 4 × -n 2 = 8", p.Count())
	}
	if p.Sizing == nil || p.Sizing.Aimed != 8 || p.Sizing.FileCost != partition.DefaultFileCost || p.Sizing.Balance.Partitions != p.Count() {
		t.Fatalf("plan.json sizing %+v", p.Sizing)
	}
	a := partition.Auto{FileCost: p.Sizing.FileCost}
	for i := 1; i < p.Count(); i++ {
		if a.PartCost(p.Partitions[i]) > a.PartCost(p.Partitions[i-1]) {
			t.Errorf("part %d costs more than part %d: not largest first", i, i-1)
		}
	}
	// The part files hold what plan.json says, after the renumbering.
	var listed int64
	for i, part := range p.Partitions {
		if n := len(readPart(t, runDir, i, separator("rsync"))); int64(n) != part.Entries {
			t.Errorf("part.%d has %d lines, plan.json says %d", i, n, part.Entries)
		}
		listed += part.Entries
	}
	if listed != p.Totals.Listed {
		t.Errorf("partitions hold %d entries, totals say %d", listed, p.Totals.Listed)
	}
	if !strings.Contains(res.stderr, "auto sizing: 8 partitions") || !strings.Contains(res.stderr, "max/mean") {
		t.Errorf("no balance line on stderr:\n%s", res.stderr)
	}
	if info, err := os.Stat(filepath.Join(runDir, "manifest")); err != nil || info.Size() < int64(tree.made.Files) {
		t.Errorf("manifest: %v", err)
	}
}

// TestGenerateSplitsPastTheCap: a run of more partitions than
// --max-partitions (no --auto) is a parent workflow whose children cover
// the partitions; the summary counts the workflows.
func TestGenerateSplitsPastTheCap(t *testing.T) {
	base := t.TempDir()
	src, shared := filepath.Join(base, "src"), filepath.Join(base, "shared")
	buildSampleTree(t, src, 3, 4)
	out := filepath.Join(base, "wf.yaml")
	res := mustPartsync(t, "generate", "-f", "1", "--max-partitions", "5", "-n", "3", "-d", shared, "--run-id", "split",
		"--pvc", "data:"+base, "--output-file", out, "--summary-json", "-", src, filepath.Join(base, "dst"))
	var sum Summary
	if err := json.Unmarshal([]byte(res.stdout), &sum); err != nil {
		t.Fatalf("summary: %v\n%s", err, res.stdout)
	}
	want := 1 + len(workflow.ChildRanges(sum.Partitions, 5))
	if sum.Partitions <= 5 || sum.Workflows != want {
		t.Errorf("%d partitions in %d workflows, want more than 5 in %d", sum.Partitions, sum.Workflows, want)
	}
	// The WorkflowTemplate creates the children from the summary's ranges:
	// every partition in exactly one.
	next := 0
	for i, r := range sum.Children {
		if r.Index != i || r.First != next || r.Last < r.First || r.Last-r.First >= 5 {
			t.Errorf("child %d: %+v after partition %d", i, r, next-1)
		}
		next = r.Last + 1
	}
	if len(sum.Children) != want-1 || next != sum.Partitions {
		t.Errorf("summary children %+v do not cover %d partitions in %d children", sum.Children, sum.Partitions, want-1)
	}
	doc, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), "action: create") || !strings.Contains(string(doc), "kind: Workflow") {
		t.Errorf("the workflow creates no children:\n%s", doc)
	}
	child, err := os.ReadFile(filepath.Join(shared, "split", "workflow-child.yaml"))
	if err != nil || !strings.Contains(string(child), "end: \"4\"") || !strings.Contains(string(child), "name: partsync-split-jobs") {
		t.Errorf("workflow-child.yaml (%v) is not child 0 of partsync-split:\n%s", err, child)
	}
	if !strings.Contains(res.stderr, "child workflows") {
		t.Errorf("stderr does not say the run is split:\n%s", res.stderr)
	}
}

func TestSizingBadInput(t *testing.T) {
	base := t.TempDir()
	src := filepath.Join(base, "src")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--max-partitions", "0"}, "--max-partitions 0: give at least 1"},
		{[]string{"--auto", "--file-cost", "lots"}, `--file-cost: bad size "lots"`},
		{[]string{"--auto", "--min-partition", "0"}, "--min-partition 0: give at least 1 byte"},
	} {
		for _, command := range []string{"run", "generate"} {
			args := append(append([]string{command, "-d", filepath.Join(base, "runs")}, c.args...), src, filepath.Join(base, "dst"))
			res := partsync(context.Background(), args...)
			if res.code != ExitUsage || !strings.Contains(errText(res.err), c.want) {
				t.Errorf("%s: exit %d, error %q; want exit %d naming %q", strings.Join(args, " "), res.code, errText(res.err), ExitUsage, c.want)
			}
			if strings.Contains(errText(res.err), "\n") {
				t.Errorf("%s: error of more than one line: %q", strings.Join(args, " "), errText(res.err))
			}
		}
	}
}

// TestGenerateAutoSummary: --summary-json holds the balance of an --auto run.
func TestGenerateAutoSummary(t *testing.T) {
	base := t.TempDir()
	src, shared := filepath.Join(base, "src"), filepath.Join(base, "shared")
	buildSampleTree(t, src, 3, 10)
	res := mustPartsync(t, "generate", "--auto", "--min-partition", "1", "-n", "2", "-d", shared, "--run-id", "auto-sum",
		"--pvc", "data:"+base, "--output-file", filepath.Join(base, "wf.yaml"), "--summary-json", "-", src, filepath.Join(base, "dst"))
	var sum Summary
	if err := json.Unmarshal([]byte(res.stdout), &sum); err != nil {
		t.Fatalf("summary: %v\n%s", err, res.stdout)
	}
	if sum.Sizing == nil || sum.Sizing.Balance.Partitions != sum.Partitions || sum.Partitions != 8 || sum.Sizing.Balance.Ratio < 1 || sum.Workflows != 0 {
		t.Errorf("summary: %d partitions, %d workflows, sizing %+v; want 8 partitions in one workflow with their balance", sum.Partitions, sum.Workflows, sum.Sizing)
	}
	if !strings.Contains(res.stderr, "max/mean") {
		t.Errorf("no balance line on stderr:\n%s", res.stderr)
	}
}
