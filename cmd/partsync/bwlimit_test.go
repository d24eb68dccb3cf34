package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestRunBwLimitSplitOverJobs: run --bwlimit 2M -n 4 gives each transfer
// 512 KiB/s, with real rsync (to a directory) and rclone (to S3): every
// partition ran with --bwlimit=512K (its status's argv), the tools took
// the option and copied every listed file, and plan.json keeps the budget.
func TestRunBwLimitSplitOverJobs(t *testing.T) {
	for _, toolName := range []string{"rsync", "rclone"} {
		t.Run(toolName, func(t *testing.T) {
			cc := newCopyCase(t, toolName)
			args := append(append([]string{"run", "--run-id", "bw", "--bwlimit", "2M"}, cc.args...), "-n", "4", cc.src, cc.dst)
			res := mustPartsync(t, args...)
			dir := filepath.Join(cc.shared, "bw")
			p := loadPlan(t, dir)
			if p.BwLimit != 2<<20 || p.Jobs != 4 || p.TransferBwLimit != 512<<10 {
				t.Errorf("plan.json: bwlimit %d, jobs %d, transfer_bwlimit %d; want 2 MiB/s over 4: 512 KiB/s", p.BwLimit, p.Jobs, p.TransferBwLimit)
			}
			var sent int64
			for i := range p.Count() {
				st := loadStatus(t, dir, i)
				if !slices.Contains(st.Argv, "--bwlimit=512K") {
					t.Errorf("part %d ran %q; want --bwlimit=512K", i, st.Argv)
				}
				if st.Sent != nil {
					sent += st.Sent.Files
				}
			}
			if listed := listedSent(p); sent != listed.Files || listed.Files < 40 {
				t.Errorf("the tools sent %d files; want the %d listed\n%s", sent, listed.Files, res.stderr)
			}
		})
	}
}

// TestBwLimitInWorkflowAndBadValues: generate puts each transfer's share in
// the pods' argv (the workflow passes Argo's validator, generate lints it);
// a budget under 1 KiB/s per transfer, one that is not a size, and one
// given beside -o's own --bwlimit are usage errors naming the value, and
// leave no run directory.
func TestBwLimitInWorkflowAndBadValues(t *testing.T) {
	needTools(t, "rsync")
	base := t.TempDir()
	src, shared := filepath.Join(base, "src"), filepath.Join(base, "runs")
	buildSampleTree(t, src, 2, 4)
	gen := mustPartsync(t, "generate", "--pvc", "data:"+base, "-d", shared, "-n", "8", "--bwlimit", "1G", src, filepath.Join(base, "dst"))
	if !strings.Contains(gen.stdout, "--bwlimit=131072K") {
		t.Errorf("the workflow's transfers do not get 1 GiB/s / 8 = --bwlimit=131072K:\n%s", gen.stdout)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--bwlimit", "3K", "-n", "4"}, "--bwlimit 3072 B/s over -n 4 transfers is under 1 KiB/s each"},
		{[]string{"--bwlimit", "fast"}, `--bwlimit "fast": give bytes per second`},
		{[]string{"--bwlimit", "10M", "-o", "-a --bwlimit=100"}, "--bwlimit and a --bwlimit in -o"},
	} {
		runs := filepath.Join(t.TempDir(), "runs")
		res := partsync(context.Background(), append(append([]string{"run", "-d", runs}, c.args...), src, filepath.Join(base, "dst2"))...)
		if res.code != ExitUsage || !strings.Contains(errText(res.err), c.want) {
			t.Errorf("%q: exit %d, want %d and %q:\n%s", c.args, res.code, ExitUsage, c.want, res)
		}
		if _, err := os.Stat(runs); !os.IsNotExist(err) {
			t.Errorf("%q left the shared dir: %v", c.args, err)
		}
	}
}
