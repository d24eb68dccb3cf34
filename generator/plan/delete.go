package plan

import (
	"fmt"
	"path/filepath"
	"strconv"
)

// DeleteFile is delete.json, written by the mirror's delete pass (run
// --delete): what it found at DST, what it deleted or why it refused.
func (d Dir) DeleteFile() string { return filepath.Join(string(d), "delete.json") }

// ExtrasFile lists the extras the delete pass found at DST (what a dry run
// would delete), each path relative to DST and ended by a NUL byte, in walk
// order.
func (d Dir) ExtrasFile() string { return filepath.Join(string(d), "extras") }

// DeletedFile lists the entries the delete pass deleted at DST, each path
// relative to DST and ended by a NUL byte, in walk order.
func (d Dir) DeletedFile() string { return filepath.Join(string(d), "deleted") }

// DeleteDir holds the delete pass's partitions: list.<N>, the entries
// partition N deletes (NUL-separated at a local DST, one a line for
// rclone --files-from-raw).
func (d Dir) DeleteDir() string { return filepath.Join(string(d), "delete") }

// DeleteListFile is the list of the delete pass's partition i.
func (d Dir) DeleteListFile(i int) string {
	return filepath.Join(d.DeleteDir(), "list."+strconv.Itoa(i))
}

// DeleteLogFile is the tool output of the delete pass's partition i
// (rclone delete).
func (d Dir) DeleteLogFile(i int) string {
	return filepath.Join(d.LogsDir(), "delete."+strconv.Itoa(i)+".log")
}

// Deletion is delete.json: the mirror's delete pass, which runs after every
// partition has succeeded and deletes at DST the entries the source does
// not have (package extras finds them, package mirror deletes them).
type Deletion struct {
	Finished string  `json:"finished"`
	Seconds  float64 `json:"seconds"`
	DryRun   bool    `json:"dry_run,omitempty"` // listed, nothing deleted
	// Refused says why nothing was deleted: the scan could not read some
	// entries, a partition has not succeeded, or the extras are more than
	// MaxDelete.
	Refused   string `json:"refused,omitempty"`
	MaxDelete int64  `json:"max_delete,omitempty"` // 0: no limit
	// Extras counts the entries found at DST that the source does not
	// have (ExtrasFile lists them).
	Extras int64 `json:"extras"`
	// Deleted counts the entries deleted (DeletedFile lists them), Kept
	// the extras left in place: a directory still holding something (an
	// excluded entry), an entry back in the source.
	Deleted    int64 `json:"deleted"`
	Kept       int64 `json:"kept,omitempty"`
	Failed     int64 `json:"failed,omitempty"` // extras that could not be deleted
	Partitions int   `json:"partitions"`       // lists deleted in parallel
	// First holds the first deleted (or, in a dry run, extra) entries,
	// for the summary.
	First  []string `json:"first,omitempty"`
	Errors []string `json:"errors,omitempty"` // the first errors, one line each
}

// SaveDeletion writes delete.json atomically.
func SaveDeletion(dir Dir, d *Deletion) error { return saveJSON(dir.DeleteFile(), "delete", d) }

// LoadDeletion reads delete.json; ok is false when the pass has not run.
func LoadDeletion(dir Dir) (d *Deletion, ok bool, err error) {
	d = &Deletion{}
	if ok, err = loadJSON(dir.DeleteFile(), "delete", d); !ok {
		return nil, false, err
	}
	if d.Extras < 0 || d.Deleted < 0 || d.Deleted > d.Extras {
		return nil, false, fmt.Errorf("%w: %s: %d deleted of %d extras", ErrCorrupt, dir.DeleteFile(), d.Deleted, d.Extras)
	}
	return d, true, nil
}
