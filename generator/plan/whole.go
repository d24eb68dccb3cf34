package plan

import (
	"fmt"
	"path"
	"strings"
)

// WholeDir is one whole-directory line of a part file and the entries the
// scan saw directly in the directory.
type WholeDir struct {
	Path    string   // the directory, relative to the source, without the trailing '/'
	Entries []string // paths relative to the source, each directly in Path
}

// ParseWhole reads a WholeFile: every group starts with a "DIR/" line and
// holds at least one entry directly in DIR (a directory is written whole
// only when the scan found entries in it). Anything else is ErrCorrupt.
func ParseWhole(data []byte, sep byte) ([]WholeDir, error) {
	lines, err := ParsePart(data, sep)
	if err != nil {
		return nil, err
	}
	var groups []WholeDir
	for i, l := range lines {
		if dir, ok := strings.CutSuffix(l, "/"); ok {
			if n := len(groups); n > 0 && len(groups[n-1].Entries) == 0 {
				return nil, fmt.Errorf("%w: whole-directory list line %d: %q lists no entry", ErrCorrupt, i+1, groups[n-1].Path+"/")
			}
			groups = append(groups, WholeDir{Path: dir})
			continue
		}
		n := len(groups)
		if n == 0 || path.Dir(l) != groups[n-1].Path {
			return nil, fmt.Errorf("%w: whole-directory list line %d: %q follows no directory line of its parent", ErrCorrupt, i+1, l)
		}
		groups[n-1].Entries = append(groups[n-1].Entries, l)
	}
	if n := len(groups); n > 0 && len(groups[n-1].Entries) == 0 {
		return nil, fmt.Errorf("%w: whole-directory list: %q lists no entry", ErrCorrupt, groups[n-1].Path+"/")
	}
	return groups, nil
}
