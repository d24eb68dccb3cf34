package plan

// Verify is verify.json: DST compared with a run's partitions
// (`partsync verify`), every entry missing at DST or differing named.
type Verify struct {
	RunID    string `json:"run_id"`
	Checksum bool   `json:"checksum"` // content compared, not only size and mtime
	Finished string `json:"finished"`
	// Checked counts the entries listed in the partitions compared.
	Checked   int64    `json:"checked"`
	Missing   []string `json:"missing"`   // listed, not at DST
	Differing []string `json:"differing"` // at DST, not as in the source
	// Failed are the partitions whose comparison could not run; their
	// entries are not in Missing or Differing.
	Failed []VerifyFailure `json:"failed"`
}

// VerifyFailure is a partition whose comparison failed.
type VerifyFailure struct {
	Part     int    `json:"part"`
	ExitCode int    `json:"exit_code"`
	Error    string `json:"error"`
}

// SaveVerify writes verify.json atomically.
func SaveVerify(dir Dir, v *Verify) error { return saveJSON(dir.VerifyFile(), "verify", v) }
