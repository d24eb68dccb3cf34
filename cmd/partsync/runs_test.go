package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/partsync/partsync/generator/plan"
)

// TestStatusListAndPrune: status without a run lists the runs of -d, the
// most recently active first, with their phase (text and -o json); status
// RUN -o json carries the phase; prune lists only until --older-than, then
// removes Succeeded and Failed runs and never a Running (locked) or
// Pending one.
func TestStatusListAndPrune(t *testing.T) {
	needTools(t, "rsync")
	base := t.TempDir()
	src := buildSampleTree(t, filepath.Join(base, "src"), 2, 2).root
	shared := filepath.Join(base, "runs")
	run := func(id, dst string) {
		_ = partsync(t.Context(), "run", src, dst, "-d", shared, "--run-id", id, "--retries", "0")
	}
	run("ok", filepath.Join(base, "dst"))
	run("failed", blockedDst(t, src, filepath.Join(base, "blocked")))
	run("pending", filepath.Join(base, "dst2"))
	run("running", filepath.Join(base, "dst3"))
	if err := os.Remove(filepath.Join(shared, "pending", "status", "0.json")); err != nil {
		t.Fatal(err)
	}
	unlock, err := plan.Lock(plan.Dir(filepath.Join(shared, "running")))
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	order := []string{"pending", "running", "failed", "ok"} // most recently active first
	for i, id := range order {
		when := time.Now().Add(-time.Duration(i+1) * time.Hour)
		dir := plan.Dir(filepath.Join(shared, id))
		for _, p := range []string{string(dir), dir.PlanFile(), dir.StatusDir()} {
			if err := os.Chtimes(p, when, when); err != nil {
				t.Fatal(err)
			}
		}
	}
	wantPhase := map[string]string{"ok": "Succeeded", "failed": "Failed", "pending": "Pending", "running": "Running"}

	res := mustPartsync(t, "status", "-d", shared, "-o", "json")
	var list []plan.RunInfo
	if err := json.Unmarshal([]byte(res.stdout), &list); err != nil {
		t.Fatalf("status -o json without a run: %v\n%s", err, res)
	}
	var ids []string
	for _, r := range list {
		ids = append(ids, r.RunID)
		if r.Phase != wantPhase[r.RunID] {
			t.Errorf("run %s: phase %q, want %q", r.RunID, r.Phase, wantPhase[r.RunID])
		}
	}
	if !slices.Equal(ids, order) {
		t.Errorf("runs listed %q, want the most recently active first %q", ids, order)
	}
	text := mustPartsync(t, "status", "-d", shared).stdout
	if lines := strings.Split(strings.TrimSpace(text), "\n"); len(lines) != 5 || !strings.HasPrefix(lines[1], "pending ") || !strings.Contains(lines[4], "Succeeded") {
		t.Errorf("status without a run, text:\n%s", text)
	}
	wantCode := map[string]int{"ok": ExitOK, "failed": ExitFailed, "pending": ExitPending, "running": ExitPending}
	for id, phase := range wantPhase {
		if r := statusJSON(t, wantCode[id], "-d", shared, id); r.Phase != phase {
			t.Errorf("status %s -o json: phase %q, want %q", id, r.Phase, phase)
		}
	}

	res = mustPartsync(t, "prune", "-d", shared)
	if !strings.Contains(res.stdout, "would remove "+filepath.Join(shared, "ok")) || !strings.Contains(res.stdout, filepath.Join(shared, "failed")) ||
		strings.Contains(res.stdout, "pending") || strings.Contains(res.stdout, "running") {
		t.Errorf("prune without --older-than:\n%s", res)
	}
	if _, err := os.Stat(filepath.Join(shared, "ok")); err != nil {
		t.Fatalf("prune without --older-than removed a run: %v", err)
	}
	mustPartsync(t, "prune", "-d", shared, "--older-than", "90m") // ok and failed (2h and 4h ago), not the others
	for id := range wantPhase {
		_, err := os.Stat(filepath.Join(shared, id))
		if gone := os.IsNotExist(err); gone != (id == "ok" || id == "failed") {
			t.Errorf("after prune --older-than 90m: run %s gone = %v", id, gone)
		}
	}
}
