package plan

import (
	"fmt"
	"strconv"
	"strings"
)

// Recheck is recheck.json: after every partition has succeeded, the source
// is walked again (with the run's excludes) and compared with the manifest.
// Entries added after the scan are in no part file, so no partition copied
// them unless a whole-directory line did (Status.Added, Status.NotCopied
// report those); the others are counted here and listed in AddedFile.
type Recheck struct {
	Finished string  `json:"finished"`
	Seconds  float64 `json:"seconds"`
	Entries  int64   `json:"entries"` // entries the walk visited
	// Added counts the entries listed in AddedFile: not copied by this run.
	Added int64 `json:"added"`
	// First holds the first of them, for the warning.
	First []string `json:"first,omitempty"`
	// Warning says what Added means; empty when nothing was added.
	Warning string `json:"warning,omitempty"`
}

// SaveRecheck writes recheck.json atomically.
func SaveRecheck(dir Dir, r *Recheck) error {
	return saveJSON(dir.RecheckFile(), "recheck", r)
}

// LoadRecheck reads recheck.json; ok is false when the check has not run.
func LoadRecheck(dir Dir) (r *Recheck, ok bool, err error) {
	r = &Recheck{}
	if ok, err = loadJSON(dir.RecheckFile(), "recheck", r); !ok {
		return nil, false, err
	}
	if r.Added < 0 || int64(len(r.First)) > r.Added {
		return nil, false, fmt.Errorf("%w: %s: added %d with %d names", ErrCorrupt, dir.RecheckFile(), r.Added, len(r.First))
	}
	return r, true, nil
}

// ShownPaths is how many paths a warning names.
const ShownPaths = 5

// ShortList quotes the first ShownPaths of first (the first paths of a list
// of total), saying where the whole list is.
func ShortList(first []string, total int64, where string) string {
	shown := make([]string, 0, ShownPaths)
	for _, p := range first[:min(len(first), ShownPaths)] {
		shown = append(shown, strconv.Quote(p))
	}
	more := ""
	if rest := total - int64(len(shown)); rest > 0 {
		more = fmt.Sprintf(" and %d more (all in %s)", rest, where)
	}
	return strings.Join(shown, ", ") + more
}
