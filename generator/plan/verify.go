package plan

import (
	"os"
	"strconv"
)

// Verify is verify.json: DST compared with a run's partitions
// (`partsync verify`, `run --verify`, the workflow's verify steps), every
// entry missing at DST or differing named.
type Verify struct {
	RunID    string `json:"run_id"`
	Checksum bool   `json:"checksum"` // content compared, not only size and mtime
	Finished string `json:"finished"`
	// Checked counts the entries listed in the partitions compared.
	Checked int64 `json:"checked"`
	// Unchanged counts, of Checked, the entries of an incremental run that
	// no partition listed (unchanged since its base, copied by it): verify
	// compares them too, so that DST is checked against the whole source
	// (package verify, compareUnchanged).
	Unchanged int64    `json:"unchanged,omitempty"`
	Missing   []string `json:"missing"`   // listed, not at DST
	Differing []string `json:"differing"` // at DST, not as in the source
	// Extra are the entries at DST that the source does not have (package
	// extras: DST's listing minus the scan's manifest), a directory before
	// its contents. They count as a mismatch: DST is not a copy of SRC.
	Extra []string `json:"extra"`
	// ExtraError says why DST could not be listed for extras; it counts
	// as a mismatch.
	ExtraError string `json:"extra_error,omitempty"`
	// Failed are the partitions whose comparison could not run; their
	// entries are not in Missing or Differing.
	Failed []VerifyFailure `json:"failed"`
}

// Mismatches counts what makes a verification fail: entries missing,
// differing or extra, partitions not compared, and a DST not listed.
func (v *Verify) Mismatches() int {
	n := len(v.Missing) + len(v.Differing) + len(v.Extra) + len(v.Failed)
	if v.ExtraError != "" {
		n++
	}
	return n
}

// Outcome is what outcome.json says of v.
func (v *Verify) Outcome(dir Dir) *VerifyOutcome {
	return &VerifyOutcome{OK: v.Mismatches() == 0, Missing: len(v.Missing), Differing: len(v.Differing),
		Extra: len(v.Extra), Failed: len(v.Failed), File: dir.VerifyFile()}
}

// VerifySummary is verify.json as a run's report (`partsync status`)
// shows it: the counts, and the first entries of each kind (ShownPaths);
// verify.json (File) names them all.
type VerifySummary struct {
	Checksum       bool            `json:"checksum"`
	Finished       string          `json:"finished"`
	Checked        int64           `json:"checked"`
	Missing        int             `json:"missing"`
	Differing      int             `json:"differing"`
	Extra          int             `json:"extra"`
	Failed         int             `json:"failed"` // partitions not compared
	ExtraError     string          `json:"extra_error,omitempty"`
	FirstMissing   []string        `json:"first_missing"`
	FirstDiffering []string        `json:"first_differing"`
	FirstExtra     []string        `json:"first_extra"`
	FirstFailed    []VerifyFailure `json:"first_failed"`
	// OK is true when DST matched; otherwise the run (or the workflow's
	// verify-sum step) exited 5, and so does `partsync status`.
	OK   bool   `json:"ok"`
	File string `json:"file"`
}

// Summary is what a report shows of v.
func (v *Verify) Summary(dir Dir) *VerifySummary {
	return &VerifySummary{Checksum: v.Checksum, Finished: v.Finished, Checked: v.Checked,
		Missing: len(v.Missing), Differing: len(v.Differing), Extra: len(v.Extra), Failed: len(v.Failed), ExtraError: v.ExtraError,
		FirstMissing: firstOf(v.Missing), FirstDiffering: firstOf(v.Differing), FirstExtra: firstOf(v.Extra), FirstFailed: firstOf(v.Failed),
		OK: v.Mismatches() == 0, File: dir.VerifyFile()}
}

// firstOf is the first ShownPaths elements of s, never nil.
func firstOf[T any](s []T) []T { return append([]T{}, s[:min(len(s), ShownPaths)]...) }

// VerifyFailure is a partition whose comparison failed.
type VerifyFailure struct {
	Part     int    `json:"part"`
	ExitCode int    `json:"exit_code"`
	Error    string `json:"error"`
}

// VerifyPart is verify/<N>.json: partition N compared with DST, written by
// the process that compared it (a local worker or a workflow's verify pod)
// and summed into verify.json.
type VerifyPart struct {
	Part      int            `json:"part"`
	Checksum  bool           `json:"checksum"`
	Checked   int64          `json:"checked"`
	Missing   []string       `json:"missing"`
	Differing []string       `json:"differing"`
	Failure   *VerifyFailure `json:"failure,omitempty"`
}

// SaveVerify writes verify.json atomically.
func SaveVerify(dir Dir, v *Verify) error { return saveJSON(dir.VerifyFile(), "verify", v) }

// SaveVerifyPart writes verify/<N>.json atomically.
func SaveVerifyPart(dir Dir, v *VerifyPart) error {
	if err := os.MkdirAll(dir.VerifyDir(), 0o755); err != nil {
		return err
	}
	return saveJSON(dir.VerifyPartFile(v.Part), "verify of part "+strconv.Itoa(v.Part), v)
}

// LoadVerifyPart reads verify/<index>.json; ok is false when there is none.
func LoadVerifyPart(dir Dir, index int) (v *VerifyPart, ok bool, err error) {
	v = &VerifyPart{}
	ok, err = loadJSON(dir.VerifyPartFile(index), "verify of part "+strconv.Itoa(index), v)
	return v, ok, err
}

// LoadVerify reads verify.json; ok is false when there is none.
func LoadVerify(dir Dir) (v *Verify, ok bool, err error) {
	v = &Verify{}
	ok, err = loadJSON(dir.VerifyFile(), "verify", v)
	return v, ok, err
}
