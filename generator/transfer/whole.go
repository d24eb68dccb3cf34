package transfer

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"syscall"

	"github.com/partsync/partsync/generator/plan"
)

// A whole-directory line ("DIR/", rsync) makes the tool read DIR when it
// runs and copy what it finds there, not what the scan saw: an entry deleted
// from DIR after the scan is passed over without a word (rsync never knew
// of it), and one added to DIR after the scan is copied, though it is in no
// list, manifest or count. So after the tool ran, the partition's sidecar
// (plan.Dir.WholeFile: every such directory with the entries the scan saw
// in it) is compared with DIR as it is now, one read of each directory:
//
//   - an entry of the sidecar no longer in DIR (or DIR gone) has vanished,
//     reported as the entries of a part file that vanished are;
//   - an entry in DIR the scan did not see was added after the scan: the
//     status names it, as copied when it is at the destination (rsync
//     found it when it read DIR), else as not copied (added after rsync
//     read DIR; a later run copies it). Either way the run's counts are the
//     scan's and leave it out.
//
// This is chosen over keeping rsync from copying added entries, which would
// need a filter rule per entry (rsync matches every name against each rule)
// or no whole-directory lines at all (a much slower re-run): the entry is
// copied, as a later run would copy it anyway, and never without a line.

// wholeCheck is what the comparison found.
type wholeCheck struct {
	gone      []string // entries of the sidecar (and directories) missing from the source
	added     []string // entries the scan did not see, now at the destination
	notCopied []string // entries the scan did not see, not at the destination
	problems  []string // directories that could not be compared, with the reason
}

// checkWhole compares the sidecar of partition part with the source, and
// looks up the entries added since the scan at the destination (whole
// directories exist for rsync only, whose destination is a local path).
func checkWhole(p *plan.Plan, part int, sep byte) (wholeCheck, error) {
	var c wholeCheck
	groups, err := readWhole(p, part, sep)
	if errors.Is(err, fs.ErrNotExist) {
		c.problems = append(c.problems, fmt.Sprintf("%s is missing: entries deleted from or added to its %d whole-directory lines after the scan cannot be named", p.Dir().WholeFile(part), p.Partitions[part].WholeDirs))
		return c, nil
	}
	if err != nil {
		return c, err
	}
	for _, g := range groups {
		names, err := readNames(filepath.Join(p.Source, g.Path))
		switch {
		case errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR):
			c.gone = append(append(c.gone, g.Path), g.Entries...)
			continue
		case err != nil:
			c.problems = append(c.problems, fmt.Sprintf("%q could not be compared with the scan: %v", g.Path, err))
			continue
		}
		seen := make(map[string]bool, len(g.Entries))
		for _, e := range g.Entries {
			base := path.Base(e)
			seen[base] = true
			if !names[base] {
				c.gone = append(c.gone, e)
			}
		}
		var added []string
		for n := range names {
			if !seen[n] {
				added = append(added, path.Join(g.Path, n))
			}
		}
		slices.Sort(added)
		for _, a := range added {
			if _, err := os.Lstat(filepath.Join(p.Destination, a)); err == nil {
				c.added = append(c.added, a)
			} else {
				c.notCopied = append(c.notCopied, a)
			}
		}
	}
	return c, nil
}

// readWhole reads and parses the sidecar of partition part
// (plan.Dir.WholeFile); a missing one wraps fs.ErrNotExist.
func readWhole(p *plan.Plan, part int, sep byte) ([]plan.WholeDir, error) {
	file := p.Dir().WholeFile(part)
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("whole-directory list: %w", err)
	}
	groups, err := plan.ParseWhole(data, sep)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return groups, nil
}

// readNames is the set of names in the directory dir, read without a stat
// of each (one getdents pass, as rsync's own read of the directory).
func readNames(dir string) (map[string]bool, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	list, err := f.Readdirnames(-1)
	if err != nil {
		return nil, err
	}
	names := make(map[string]bool, len(list))
	for _, n := range list {
		names[n] = true
	}
	return names, nil
}
