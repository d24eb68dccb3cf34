package plan

// DryRunReport is dryrun.json: what each partition of a --dry-run run
// would send, as the tool's own dry run reported it.
type DryRunReport struct {
	RunID    string `json:"run_id"`
	Tool     string `json:"tool"`
	Finished string `json:"finished"`
	// Listed is what the scan listed in the partitions (the plan's counts);
	// WouldSend what the tools would send of it (what DST lacks or holds
	// otherwise), summed over the partitions whose dry run succeeded.
	Listed     Sent          `json:"listed"`
	WouldSend  Sent          `json:"would_send"`
	Failed     int           `json:"failed"` // partitions whose dry run failed
	Partitions []DryRunEntry `json:"partitions"`
}

// DryRunEntry is one partition of a dry run.
type DryRunEntry struct {
	Part      int    `json:"part"`
	Listed    Sent   `json:"listed"`
	WouldSend *Sent  `json:"would_send,omitempty"` // nil when the dry run failed
	ExitCode  int    `json:"exit_code"`
	Error     string `json:"error,omitempty"`
}

// SaveDryRun writes dryrun.json atomically.
func SaveDryRun(dir Dir, r *DryRunReport) error {
	return saveJSON(dir.DryRunFile(), "dry run", r)
}

// LoadDryRun reads dryrun.json; ok is false when there is none.
func LoadDryRun(dir Dir) (r *DryRunReport, ok bool, err error) {
	r = &DryRunReport{}
	if ok, err = loadJSON(dir.DryRunFile(), "dry run", r); !ok {
		return nil, false, err
	}
	return r, true, nil
}
