package plan

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// The phase of a run, in Argo's words, as `status` reports it.
const (
	PhaseSucceeded = "Succeeded" // every partition succeeded
	PhaseFailed    = "Failed"    // a partition's latest attempt failed
	PhaseRunning   = "Running"   // a local run holds the lock: it is running partitions now
	// PhasePending: some partitions have no status and no local run holds
	// the lock: not started, running in a workflow, or killed.
	PhasePending = "Pending"
	// PhaseIncomplete: no readable plan.json: a scan running or killed.
	PhaseIncomplete = "Incomplete"
)

// phase is the phase of a run from its progress and its lock.
func phase(p Progress, locked bool) string {
	switch {
	case locked:
		return PhaseRunning
	case len(p.Failed) > 0:
		return PhaseFailed
	case len(p.Missing) > 0:
		return PhasePending
	}
	return PhaseSucceeded
}

// RunInfo is one run directory of a shared dir, as `status` lists it.
type RunInfo struct {
	RunID       string    `json:"run_id"`
	RunDir      string    `json:"run_dir"`
	Phase       string    `json:"phase"`
	CreatedAt   string    `json:"created_at,omitempty"`
	Active      time.Time `json:"last_active"` // newest change of plan.json, status/ and the run directory
	Source      string    `json:"source,omitempty"`
	Destination string    `json:"destination,omitempty"`
	Tool        string    `json:"tool,omitempty"`
	Partitions  int       `json:"partitions"`
	Succeeded   int       `json:"succeeded"`
	Failed      int       `json:"failed"`
	Pending     int       `json:"pending"`
	Error       string    `json:"error,omitempty"` // why the run could not be read (PhaseIncomplete)
}

// Runs lists the run directories under sharedDir, the most recently active
// first. A directory without plan.json is listed as PhaseIncomplete (or
// PhaseRunning when a live run is scanning it) only when it has the run
// directory's layout; anything else in sharedDir is left out.
func Runs(sharedDir string) ([]RunInfo, error) {
	entries, err := os.ReadDir(sharedDir)
	if err != nil {
		return nil, fmt.Errorf("%w: list runs in %s: %v; check -d/--shared-dir", ErrSharedDir, sharedDir, unwrapPath(err))
	}
	var runs []RunInfo
	for _, e := range entries {
		if !e.IsDir() || CheckRunID(e.Name()) != nil {
			continue
		}
		dir := Dir(filepath.Join(sharedDir, e.Name()))
		if _, err := os.Stat(dir.PartsDir()); err != nil {
			continue // not a run directory
		}
		runs = append(runs, runInfo(dir, e.Name()))
	}
	slices.SortStableFunc(runs, func(a, b RunInfo) int { return b.Active.Compare(a.Active) })
	return runs, nil
}

// runInfo reads one run directory for Runs.
func runInfo(dir Dir, id string) RunInfo {
	abs, _ := filepath.Abs(string(dir))
	info := RunInfo{RunID: id, RunDir: abs, Active: lastActive(dir)}
	_, locked := Held(dir)
	r, err := ReadReport(dir)
	if err != nil {
		info.Phase, info.Error = PhaseIncomplete, err.Error()
		if locked {
			info.Phase = PhaseRunning
		}
		return info
	}
	info.Phase, info.CreatedAt = r.Phase, r.CreatedAt
	info.Source, info.Destination, info.Tool = r.Source, r.Destination, r.Tool
	info.Partitions, info.Succeeded, info.Failed, info.Pending = r.Partitions, len(r.Succeeded), len(r.Failed), len(r.Missing)
	return info
}

// lastActive is the newest modification time of the run directory, its
// plan.json and its status directory (a finished partition adds a file there).
func lastActive(dir Dir) time.Time {
	var t time.Time
	for _, p := range []string{string(dir), dir.PlanFile(), dir.StatusDir(), dir.OutcomeFile()} {
		if st, err := os.Stat(p); err == nil && st.ModTime().After(t) {
			t = st.ModTime()
		}
	}
	return t
}
