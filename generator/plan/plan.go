// Package plan defines the run directory and plan.json: the contract that every
// other stage of partsync reads. A run directory lives on the shared volume:
//
//	<shared-dir>/<run-id>/
//	  plan.json            source, destination, tool, options, totals, partitions
//	  header.json          plan.json without the scan's results, written before the scan (run --resume)
//	  lock                 held (flock) by the local executor while it runs partitions; names the holder
//	  manifest             everything the scan visited or skipped, in scan order
//	  parts/part.<N>       one file list per partition, paths relative to the source
//	  parts/part.<N>.whole the entries its whole-directory lines stand for (WholeFile)
//	  parts/dirs           every directory, parents first: the directory step's file list
//	  skipped              every entry that is in no partition, with the reason
//	  status/<N>.json      written when partition N finished an attempt
//	  status/dirs.json     written when the directory step finished
//	  logs/part.<N>.log    tool output of partition N (the local executor)
//	  logs/dirs.log        tool output of the directory step (the local executor)
//	  logs/verify.<N>.log  tool output of verify's comparison of partition N (on this machine)
//	  recheck.json         the check at the end of a run: the source walked again, compared with the manifest
//	  added                entries that check found in the source and no partition copied
//	  deleted-since        entries of the base run the scan of an incremental run no longer found
//	  dryrun.json          what a --dry-run run would send
//	  verify/<N>.json      verify's comparison of partition N
//	  verify.json          DST compared with the run (verify), the parts summed
//	  workflow.yaml        the emitted workflow (generate)
//	  workflow-child.yaml  the first child of a run split into a workflow of workflows
//	  outcome.json         written by the workflow's exit handler
//	  delete.json          the mirror's delete pass (run --delete): what it found at DST, deleted or refused
//	  extras               the entries at DST the source does not have (what the delete pass would delete)
//	  deleted              the entries the delete pass deleted at DST
//	  delete/list.<N>      the entries the delete pass's partition N deletes
//	  logs/delete.<N>.log  tool output of the delete pass's partition N (rclone delete)
//
// Every path is a method of Dir (rundir.go). Names that start with '.' are
// temporary: an atomic write's file before its rename, verify's scratch
// directory.
//
// plan.json is written last: a run directory without it is incomplete.
// Package plan imports nothing of partsync's own.
package plan

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// FormatVersion is the version of the plan.json layout.
const FormatVersion = 1

// ErrIncomplete is wrapped when a run directory has no readable plan.json.
var ErrIncomplete = errors.New("run directory is incomplete")

// Plan is the content of plan.json.
type Plan struct {
	FormatVersion int    `json:"format_version"`
	Generator     string `json:"generator"` // partsync version that wrote it
	RunID         string `json:"run_id"`
	RunDir        string `json:"run_dir"` // absolute path of the run directory
	CreatedAt     string `json:"created_at"`

	Source      string   `json:"source"`      // absolute path
	Destination string   `json:"destination"` // absolute path or rclone remote
	Tool        string   `json:"tool"`        // "rsync" or "rclone"
	ToolOptions []string `json:"tool_options"`
	Excludes    []string `json:"excludes,omitempty"`

	MaxFiles int64 `json:"max_files"`
	MaxBytes int64 `json:"max_bytes"`

	Totals     Totals      `json:"totals"`
	Partitions []Partition `json:"partitions"`
	Sizing     *Sizing     `json:"sizing,omitempty"` // --auto runs only (sizing.go)
	// DryRun marks a run made with --dry-run: its partitions ran the
	// tool's own dry run, which wrote nothing at DST, and dryrun.json says
	// what they would have sent; it has no status files and is never resumed.
	DryRun bool `json:"dry_run,omitempty"`
	// BwLimit is the run's bandwidth budget in bytes per second (--bwlimit),
	// and TransferBwLimit each transfer's share of it: BwLimit / Jobs, the
	// transfers that run at once (-n). 0: no limit.
	BwLimit         int64 `json:"bwlimit,omitempty"`
	Jobs            int   `json:"jobs,omitempty"`
	TransferBwLimit int64 `json:"transfer_bwlimit,omitempty"`
	// Incremental is set when the scan was compared with a base run and
	// only new and changed entries were partitioned (since.go); FullRun
	// says why a run was not incremental.
	Incremental *Incremental `json:"incremental,omitempty"`
	FullRun     string       `json:"full_run,omitempty"`
	// Delete makes the run a mirror (--delete): after every partition has
	// succeeded, the entries at DST that the source does not have are
	// deleted (delete.json), unless they are more than MaxDelete (0: no
	// limit).
	Delete    bool  `json:"delete,omitempty"`
	MaxDelete int64 `json:"max_delete,omitempty"`
}

// Totals counts what the scan found and where each entry went.
type Totals struct {
	Entries  int64 `json:"entries"`  // everything the scan visited
	Files    int64 `json:"files"`    // regular files visited
	Dirs     int64 `json:"dirs"`     // directories visited
	Symlinks int64 `json:"symlinks"` // symbolic links visited
	Others   int64 `json:"others"`   // fifos, sockets, devices visited
	Bytes    int64 `json:"bytes"`    // bytes of regular files visited

	Listed       int64 `json:"listed"`                // entries written to part files
	ListedBytes  int64 `json:"listed_bytes"`          // bytes of the regular files written to part files
	Implied      int64 `json:"implied"`               // directories the tool creates without a list line (rclone)
	Excluded     int64 `json:"excluded"`              // entries matched by an exclude pattern (pruned dirs count once)
	Skipped      int64 `json:"skipped"`               // lines in the skipped file
	SkippedBytes int64 `json:"skipped_bytes"`         // bytes of skipped regular files
	HardLinked   int64 `json:"hard_linked,omitempty"` // listed regular files with more than one link
	// Unreadable counts the skipped entries the scan could not read
	// (permission denied, I/O errors); UnreadablePaths names the first
	// MaxUnreadablePaths of them, for the summary.
	Unreadable      int64    `json:"unreadable,omitempty"`
	UnreadablePaths []string `json:"unreadable_paths,omitempty"`
	// Unchanged counts the entries an incremental run found as its base
	// left them and did not hand to the partitioner (Incremental), and
	// UnchangedBytes their regular files' bytes: copied by the base.
	Unchanged      int64 `json:"unchanged,omitempty"`
	UnchangedBytes int64 `json:"unchanged_bytes,omitempty"`
}

// MaxUnreadablePaths is how many unreadable entries Totals names.
const MaxUnreadablePaths = 5

// Partition is what one part file holds.
type Partition struct {
	Entries int64 `json:"entries"` // entries listed (a whole-directory line counts as the entries it stands for)
	Files   int64 `json:"files"`   // regular files among them
	Bytes   int64 `json:"bytes"`   // their bytes
	// WholeDirs counts the part file's whole-directory lines (rsync's
	// "DIR/", standing for the directory and the entries directly in it;
	// Entries counts those one by one); parts/part.N.whole lists them.
	WholeDirs int64 `json:"whole_dirs,omitempty"`
}

// Count returns the number of partitions.
func (p *Plan) Count() int { return len(p.Partitions) }

// Dir returns the run directory the plan lives in.
func (p *Plan) Dir() Dir { return Dir(p.RunDir) }

// Stamp returns the time format plan files use.
func Stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// Load reads plan.json of the run directory dir.
func Load(dir Dir) (*Plan, error) {
	data, err := os.ReadFile(dir.PlanFile())
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s", ErrIncomplete, Unscanned(dir))
		}
		return nil, fmt.Errorf("read plan: %w", err)
	}
	var p Plan
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrIncomplete, dir.PlanFile(), err)
	}
	if p.FormatVersion != FormatVersion {
		return nil, fmt.Errorf("%s: plan format %d, this partsync reads %d", dir.PlanFile(), p.FormatVersion, FormatVersion)
	}
	return &p, nil
}

// SaveHeader writes hdr, a plan without its scan's results, to the run's
// header.json atomically.
func SaveHeader(hdr *Plan) error {
	data, err := json.MarshalIndent(hdr, "", "  ")
	if err != nil {
		return fmt.Errorf("encode plan header: %w", err)
	}
	return WriteFileAtomic(hdr.Dir().HeaderFile(), append(data, '\n'))
}

// LoadHeader reads the header.json of a run whose scan did not finish: one
// without plan.json. It fails with ErrIncomplete, saying what to do, when
// the run has a plan.json or no header.
func LoadHeader(dir Dir) (*Plan, error) {
	if _, err := os.Stat(dir.PlanFile()); err == nil {
		return nil, fmt.Errorf("%w: %s has a plan.json: its scan finished", ErrIncomplete, dir)
	}
	data, err := os.ReadFile(dir.HeaderFile())
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrIncomplete, Unscanned(dir))
	}
	var hdr Plan
	if err := json.Unmarshal(data, &hdr); err != nil || hdr.FormatVersion != FormatVersion || hdr.RunDir != string(dir) {
		return nil, fmt.Errorf("%w: %s: unreadable header of another run or version (%v); remove %s and start the run again", ErrIncomplete, dir.HeaderFile(), err, dir)
	}
	return &hdr, nil
}

// Unscanned says what a run directory without plan.json is and what to do.
func Unscanned(dir Dir) string {
	if _, err := os.Stat(dir.HeaderFile()); err == nil {
		return fmt.Sprintf("%s has no plan.json: its scan was stopped before it finished (the run or generate was killed or failed); "+
			"`partsync run --resume %s` scans it again and copies, or remove the directory and start anew", dir, filepath.Base(string(dir)))
	}
	return fmt.Sprintf("%s has no plan.json and no header.json: it was stopped before its scan began; remove the directory (rm -r %s) and start the run again", dir, dir)
}

// Save writes plan.json atomically. It is the last file generate writes.
func Save(p *Plan) error {
	data, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return fmt.Errorf("encode plan: %w", err)
	}
	return WriteFileAtomic(p.Dir().PlanFile(), append(data, '\n'))
}
