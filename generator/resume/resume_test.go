package resume_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/partsync/partsync/generator/local"
	"github.com/partsync/partsync/generator/plan"
	"github.com/partsync/partsync/generator/prepare"
	"github.com/partsync/partsync/generator/resume"
)

// prepared makes a run of four files in partitions of two, under base/runs.
func prepared(t *testing.T, base string) *plan.Plan {
	t.Helper()
	src := filepath.Join(base, "src")
	for _, f := range []string{"a", "b", "c", "d"} {
		if err := os.MkdirAll(src, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(src, f), []byte(f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p, err := prepare.Prepare(context.Background(), prepare.Request{
		Source: src, Destination: filepath.Join(base, "dst"), Tool: "rsync", MaxFiles: 2, MaxBytes: 1 << 30,
		SharedDir: filepath.Join(base, "runs"), RunID: "r", ScanWorkers: 2, Version: "test",
		Getenv: func(string) string { return "" }, Now: time.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestOpenPendingAndLocked: a resume runs the partitions whose latest
// attempt failed or left no status, and holds the run's lock until Close.
func TestOpenPendingAndLocked(t *testing.T) {
	base := t.TempDir()
	p := prepared(t, base)
	if p.Count() < 2 {
		t.Fatalf("%d partitions; the test needs two", p.Count())
	}
	if err := plan.SaveStatus(p.Dir(), &plan.Status{Part: 0, OK: true, Attempts: 1}); err != nil {
		t.Fatal(err)
	}
	shared := filepath.Join(base, "runs")
	r, err := resume.Open(shared, "r", resume.Given{})
	if err != nil {
		t.Fatal(err)
	}
	want := make([]int, 0, p.Count()-1)
	for i := 1; i < p.Count(); i++ {
		want = append(want, i)
	}
	if !slices.Equal(r.Pending, want) || !slices.Equal(r.Report.Succeeded, []int{0}) {
		t.Errorf("pending %v, succeeded %v; want %v, [0]", r.Pending, r.Report.Succeeded, want)
	}
	if o := r.Options(local.Options{Jobs: 3}); !slices.Equal(o.Only, want) || !o.Locked || o.Jobs != 3 {
		t.Errorf("executor options %+v", o)
	}
	if _, err := resume.Open(shared, "r", resume.Given{}); !errors.Is(err, plan.ErrLocked) {
		t.Errorf("a second resume while the first holds the lock: %v, want ErrLocked", err)
	}
	r.Close()
	again, err := resume.Open(shared, string(p.Dir()), resume.Given{})
	if err != nil {
		t.Fatalf("resume by run directory after Close: %v", err)
	}
	again.Close()
}

// TestCheckNamesEveryConflict: each argument and given flag that differs
// from the plan is named with its flag, all at once; flags not given are
// not compared, and the plan's own values pass.
func TestCheckNamesEveryConflict(t *testing.T) {
	base := t.TempDir()
	p := prepared(t, base)
	set := func(names ...string) func(string) bool {
		return func(n string) bool { return slices.Contains(names, n) }
	}
	same := resume.Given{
		Args: []string{p.Source, p.Destination}, Tool: "rsync", MaxFiles: 2, Size: "1GiB",
		ToolOptions: strings.Join(p.ToolOptions, " "), Excludes: p.Excludes, RunID: "r",
		IsSet: set("tool", "files", "size", "tool-options", "exclude", "run-id"),
	}
	if err := resume.Check(p, same); err != nil {
		t.Errorf("the plan's own values: %v", err)
	}
	if err := resume.Check(p, resume.Given{Tool: "rclone", MaxFiles: 9}); err != nil {
		t.Errorf("flags not given are compared: %v", err)
	}
	err := resume.Check(p, resume.Given{
		Args: []string{filepath.Join(base, "other"), p.Destination}, Tool: "rclone", MaxFiles: 3, Size: "2G",
		ToolOptions: "-a", Excludes: []string{"*.tmp"}, RunID: "s",
		IsSet: set("tool", "files", "size", "tool-options", "exclude", "run-id"),
	})
	if !errors.Is(err, resume.ErrRefused) {
		t.Fatalf("conflicts: %v, want ErrRefused", err)
	}
	for _, want := range []string{"SRC " + filepath.Join(base, "other"), "-m/--tool rclone", "-f/--files 3", "-s/--size 2G", `-o/--tool-options "-a"`, "-x/--exclude", "--run-id s"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not name %q:\n%v", want, err)
		}
	}
	if err := resume.Check(p, resume.Given{Args: []string{p.Source}}); !errors.Is(err, resume.ErrRefused) {
		t.Errorf("SRC without DST: %v, want ErrRefused", err)
	}
}

// TestOpenRefusesDryRun: a dry run copied nothing and is never resumed.
func TestOpenRefusesDryRun(t *testing.T) {
	base := t.TempDir()
	p := prepared(t, base)
	p.DryRun = true
	if err := plan.Save(p); err != nil {
		t.Fatal(err)
	}
	if _, err := resume.Open(filepath.Join(base, "runs"), "r", resume.Given{}); !errors.Is(err, resume.ErrRefused) || !strings.Contains(err.Error(), "dry run") {
		t.Errorf("resume of a dry run: %v, want ErrRefused", err)
	}
}

// TestOpenRunStoppedDuringScan: a run directory with its header and no
// plan.json (the scan was stopped) is made again from the header, after
// the same check of the command line.
func TestOpenRunStoppedDuringScan(t *testing.T) {
	base := t.TempDir()
	p := prepared(t, base)
	if err := os.Remove(p.Dir().PlanFile()); err != nil {
		t.Fatal(err)
	}
	shared := filepath.Join(base, "runs")
	if _, err := resume.Open(shared, "r", resume.Given{MaxFiles: 5, IsSet: func(f string) bool { return f == "files" }}); !errors.Is(err, resume.ErrRefused) {
		t.Errorf("-f differing from the header: %v, want ErrRefused", err)
	}
	r, err := resume.Open(shared, "r", resume.Given{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	req := r.Request()
	if !r.Rescan || req.Source != p.Source || req.Destination != p.Destination || req.MaxFiles != 2 || req.RunID != "r" || req.SharedDir != shared {
		t.Errorf("rescan %v, request %+v; want the header's run again", r.Rescan, req)
	}
}
