package plan

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// Report is the state of a run read from its run directory alone, the same
// for the local executor and a workflow since both write status/<N>.json.
type Report struct {
	RunID       string `json:"run_id"`
	RunDir      string `json:"run_dir"`
	Source      string `json:"source"`
	Destination string `json:"destination"`
	Tool        string `json:"tool"`
	CreatedAt   string `json:"created_at"`
	// Phase is PhaseSucceeded, PhaseFailed, PhaseRunning or PhasePending.
	Phase string `json:"phase"`
	Progress
	// Done are the partitions whose latest attempt succeeded: their files and bytes.
	FilesDone  int64 `json:"files_done"`
	BytesDone  int64 `json:"bytes_done"`
	FilesTotal int64 `json:"files_total"`
	BytesTotal int64 `json:"bytes_total"`
	// Sent is what the tools reported they transferred in the partitions
	// done (Status.Sent): a re-run sends only what changed.
	Sent Sent `json:"sent"`
	// Vanished counts the listed entries that were gone from the source
	// when their partition ran (counted in FilesDone: nothing more to do).
	Vanished int64 `json:"vanished"`
	// Added and NotCopied count the entries added after the scan to
	// directories a partition copied whole: copied with them, or not
	// (Status.Added, Status.NotCopied). Neither is in FilesTotal.
	Added     int64 `json:"added"`
	NotCopied int64 `json:"not_copied"`
	// Recheck is recheck.json: the entries added to the source after the
	// scan that no partition copied or reported; nil until every partition
	// has succeeded and the step after them ran.
	Recheck *Recheck `json:"recheck,omitempty"`
	// Delete is delete.json: the mirror's delete pass (run --delete); nil
	// until it ran.
	Delete *Deletion `json:"delete,omitempty"`
	// Verify is verify.json summed up (counts, the first entries of each
	// kind); nil until a verify ran.
	Verify *VerifySummary `json:"verify,omitempty"`
	// Skipped counts the entries of the skipped file (in no partition).
	Skipped int64 `json:"skipped"`
	// Incremental is plan.json's: what a run against a base compared, and
	// the unchanged entries it did not list (copied by the base).
	Incremental *Incremental `json:"incremental,omitempty"`
	Failures    []PartReport `json:"failures"`
	Warnings    []PartReport `json:"warnings"` // ok partitions with a warning (vanished entries)
	Outcome     *Outcome     `json:"outcome,omitempty"`
	// DryRun is dryrun.json for a run made with --dry-run (nil until its
	// partitions' dry runs ended); such a run copies nothing and has no status.
	DryRun *DryRunReport  `json:"dry_run,omitempty"`
	Broken []BrokenStatus `json:"broken,omitempty"` // unreadable status files: counted as missing
}

// PartReport is one partition's latest status, shortened for a report.
type PartReport struct {
	Part     int    `json:"part"`
	ExitCode int    `json:"exit_code"`
	Attempts int    `json:"attempts"`
	Executor string `json:"executor"`
	Host     string `json:"host,omitempty"`
	Finished string `json:"finished"`
	Message  string `json:"message"` // first lines of the error, or the warning
}

// BrokenStatus is a status file that could not be read.
type BrokenStatus struct {
	Part  int    `json:"part"`
	Error string `json:"error"`
}

// reportLines is how many lines of an error a report keeps.
const reportLines = 5

// ReadReport reads plan.json, every status file and outcome.json of dir. A
// status file that cannot be parsed is listed in Broken and its partition
// counted as missing, so that `run --resume` runs it again.
func ReadReport(dir Dir) (*Report, error) {
	p, err := Load(dir)
	if err != nil {
		return nil, err
	}
	r := &Report{
		RunID: p.RunID, RunDir: string(dir), Source: p.Source, Destination: p.Destination, Tool: p.Tool, CreatedAt: p.CreatedAt,
		Progress: Progress{Partitions: p.Count(), Succeeded: []int{}, Failed: []int{}, Missing: []int{}},
		Skipped:  p.Totals.Skipped, Failures: []PartReport{}, Warnings: []PartReport{}, Incremental: p.Incremental,
	}
	for i, part := range p.Partitions {
		r.FilesTotal += part.Files
		r.BytesTotal += part.Bytes
		s, ok, err := LoadStatus(dir, i)
		switch {
		case err != nil && errors.Is(err, ErrCorrupt):
			r.Broken = append(r.Broken, BrokenStatus{Part: i, Error: err.Error()})
			r.Missing = append(r.Missing, i)
		case err != nil:
			return nil, err
		case !ok:
			r.Missing = append(r.Missing, i)
		case s.OK:
			r.Succeeded = append(r.Succeeded, i)
			r.FilesDone += part.Files
			r.Vanished += int64(len(s.Vanished))
			r.Added += int64(len(s.Added))
			r.NotCopied += int64(len(s.NotCopied))
			r.BytesDone += part.Bytes
			if s.Sent != nil {
				r.Sent.Files += s.Sent.Files
				r.Sent.Bytes += s.Sent.Bytes
			}
			if s.Warning != "" {
				r.Warnings = append(r.Warnings, partReport(s, s.Warning))
			}
		default:
			r.Failed = append(r.Failed, i)
			r.Failures = append(r.Failures, partReport(s, s.Error))
		}
	}
	if p.DryRun {
		if r.DryRun, _, err = LoadDryRun(dir); err != nil {
			return nil, err
		}
	}
	_, locked := Held(dir)
	r.Phase = phase(r.Progress, locked)
	if r.Delete, _, err = LoadDeletion(dir); err != nil {
		return nil, err
	}
	if r.Recheck, _, err = LoadRecheck(dir); err != nil {
		return nil, err
	}
	switch v, ok, err := LoadVerify(dir); {
	case err != nil:
		return nil, err
	case ok:
		r.Verify = v.Summary(dir)
	}
	data, err := os.ReadFile(dir.OutcomeFile())
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("read outcome: %w", err)
	default:
		if r.Outcome, err = ParseOutcome(data); err != nil {
			return nil, fmt.Errorf("%s: %w", dir.OutcomeFile(), err)
		}
	}
	return r, nil
}

// Pending lists the partitions a resume runs: those without a successful
// latest attempt, in order.
func (r *Report) Pending() []int {
	out := make([]int, 0, len(r.Failed)+len(r.Missing))
	i, j := 0, 0
	for i < len(r.Failed) || j < len(r.Missing) {
		if j == len(r.Missing) || i < len(r.Failed) && r.Failed[i] < r.Missing[j] {
			out = append(out, r.Failed[i])
			i++
		} else {
			out = append(out, r.Missing[j])
			j++
		}
	}
	return out
}

func partReport(s *Status, msg string) PartReport {
	lines := strings.Split(strings.TrimSpace(msg), "\n")
	if len(lines) > reportLines {
		lines = append(lines[:reportLines], fmt.Sprintf("… (%d more lines)", len(lines)-reportLines))
	}
	return PartReport{Part: s.Part, ExitCode: s.ExitCode, Attempts: s.Attempts, Executor: s.Executor, Host: s.Host,
		Finished: s.Finished, Message: strings.Join(lines, "\n")}
}
