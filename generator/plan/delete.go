package plan

import (
	"fmt"
)

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
	// From says where the extras come from: DST's listing, or the
	// incremental run's deleted-since list when its base was a complete
	// mirror (DST was then the base's source, so what left the source
	// since is what DST has in excess).
	From string `json:"from,omitempty"`
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
