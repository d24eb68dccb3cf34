package plan

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
)

// Status is status/<N>.json: the result of the latest attempt at partition N.
type Status struct {
	Part     int   `json:"part"`
	OK       bool  `json:"ok"`
	ExitCode int   `json:"exit_code"` // the tool's exit code; -1 when it did not start or was killed
	Attempts int   `json:"attempts"`  // attempts made so far, this one included
	Files    int64 `json:"files"`     // regular files in the partition
	Bytes    int64 `json:"bytes"`     // their bytes
	// Sent is what the tool reported it transferred in this attempt (a
	// re-run sends only what changed); nil when it reported nothing.
	Sent     *Sent    `json:"sent,omitempty"`
	Seconds  float64  `json:"seconds"` // duration of this attempt
	Started  string   `json:"started"`
	Finished string   `json:"finished"`
	Argv     []string `json:"argv"`            // what ran
	Error    string   `json:"error,omitempty"` // first lines of the tool's error output
	// Warning says why an ok partition is not what the scan saw: entries
	// of its part file (or of its whole-directory lines) that no longer
	// existed in the source when the tool ran, and entries added since the
	// scan to the directories it copies whole (plan.Dir.WholeFile).
	Warning  string   `json:"warning,omitempty"`
	Vanished []string `json:"vanished,omitempty"` // the entries gone, relative to the source
	// Added are entries the scan did not see that the tool copied with a
	// directory listed whole (they are at the destination); NotCopied those
	// found in such a directory after the tool ran but not at the
	// destination. Neither is in the plan's counts.
	Added     []string `json:"added,omitempty"`
	NotCopied []string `json:"not_copied,omitempty"`
	// UpToDate is true when partsync found every entry already at the
	// destination as the tool would leave it, and did not run the tool
	// (transfer/uptodate.go); Argv is what it would have run.
	UpToDate bool   `json:"up_to_date,omitempty"`
	Executor string `json:"executor"`       // "local" or "pod"
	Host     string `json:"host,omitempty"` // node or pod name
}

// Sent is what a tool reported it transferred: regular files and their bytes.
type Sent struct {
	Files int64 `json:"files"`
	Bytes int64 `json:"bytes"`
}

// SaveStatus writes the status file of s.Part atomically.
func SaveStatus(dir Dir, s *Status) error {
	return saveJSON(dir.StatusFile(s.Part), fmt.Sprintf("status of part %d", s.Part), s)
}

// LoadStatus reads the status of partition index; ok is false when there is none.
func LoadStatus(dir Dir, index int) (s *Status, ok bool, err error) {
	data, err := os.ReadFile(dir.StatusFile(index))
	if errors.Is(err, os.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read status of part %d: %w", index, err)
	}
	if s, err = ParseStatus(data, index, math.MaxInt); err != nil {
		return nil, false, fmt.Errorf("%s: %w", dir.StatusFile(index), err)
	}
	return s, true, nil
}

// Progress sorts the partitions of a run by their status files.
type Progress struct {
	Partitions int   `json:"partitions"`
	Succeeded  []int `json:"succeeded"`
	Failed     []int `json:"failed"`
	Missing    []int `json:"missing"` // no status file: not run yet, running, or killed
}

// ReadProgress reads every status file of a run of count partitions.
func ReadProgress(dir Dir, count int) (Progress, error) {
	pr := Progress{Partitions: count, Succeeded: []int{}, Failed: []int{}, Missing: []int{}}
	for i := range count {
		s, ok, err := LoadStatus(dir, i)
		switch {
		case err != nil:
			return pr, err
		case !ok:
			pr.Missing = append(pr.Missing, i)
		case s.OK:
			pr.Succeeded = append(pr.Succeeded, i)
		default:
			pr.Failed = append(pr.Failed, i)
		}
	}
	return pr, nil
}

// Outcome is outcome.json, written by the workflow's exit handler.
type Outcome struct {
	WorkflowStatus string `json:"workflow_status"`
	Progress
	// ArgoFailures is Argo's {{workflow.failures}} as it was passed, parsed when it is JSON.
	ArgoFailures json.RawMessage `json:"argo_failures,omitempty"`
	// Verify is the workflow's comparison of DST with the run
	// (verify.json), when it has one.
	Verify     *VerifyOutcome `json:"verify,omitempty"`
	RecordedAt string         `json:"recorded_at"`
	// Delete is the mirror's delete pass (delete.json) as the exit handler
	// found it: what the step after the fan-out deleted, or why it refused.
	Delete *Deletion `json:"delete,omitempty"`
}

// VerifyOutcome is what outcome.json says of verify.json.
type VerifyOutcome struct {
	// OK is true when DST matched the run: nothing missing, differing or
	// extra, every partition compared.
	OK        bool   `json:"ok"`
	Missing   int    `json:"missing"`
	Differing int    `json:"differing"`
	Extra     int    `json:"extra"`
	Failed    int    `json:"failed"`
	File      string `json:"file"`
}

// SaveOutcome writes outcome.json atomically.
func SaveOutcome(dir Dir, o *Outcome) error {
	return saveJSON(dir.OutcomeFile(), "outcome", o)
}
