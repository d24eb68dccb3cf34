package transfer

import (
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/partsync/partsync/generator/plan"
	"github.com/partsync/partsync/generator/tool"
)

// A re-run onto a complete destination spends most of its time in rsync
// finding that nothing is to be done: a process per partition and, with a
// file list, a round of its protocol per entry (several times a recursive
// rsync's; figures: bench/BENCHMARKS.md, "Figures behind the code"). So before rsync runs, partsync compares
// the partition's entries itself, two lstat calls each, and when every one
// is at the destination as rsync would leave it, rsync is not run and the
// status says so (Status.UpToDate). The comparison is stricter than rsync's
// quick check, so it only ever sends work to rsync:
//
//   - only with options that keep and compare nothing more (tool.QuickChecker);
//   - a regular file: one link only (rsync -H needs to see the others),
//     same size, mtime to the nanosecond, permission bits, group, and owner
//     when partsync runs as root (rsync keeps owners only as root);
//   - a symbolic link: same target, group (and owner as root), as rsync
//     compares it;
//   - a directory: a directory at the destination (its mode and mtime are
//     the directory step's, which runs after every partition anyway);
//   - a whole-directory line: the directory holds exactly the entries the
//     scan saw (its sidecar), each of them up to date;
//   - anything else (FIFO, device, socket), any error, anything missing:
//     not up to date, rsync runs and reports as usual.

// upToDate reports whether rsync would change nothing at the destination
// for partition part.
func upToDate(p *plan.Plan, part int) bool {
	if part < 0 || part >= p.Count() {
		return false
	}
	t, err := tool.Lookup(p.Tool)
	if err != nil {
		return false
	}
	q, ok := t.(tool.QuickChecker)
	if !ok || !q.QuickCheckable(p.ToolOptions) {
		return false
	}
	data, err := os.ReadFile(p.Dir().PartFile(strconv.Itoa(part)))
	if err != nil {
		return false
	}
	lines, err := plan.ParsePart(data, t.Separator())
	if err != nil {
		return false
	}
	c := entryComparer{src: p.Source, dst: p.Destination, root: os.Geteuid() == 0}
	var whole map[string][]string // whole-directory line → the entries the scan saw in it
	for _, l := range lines {
		dir, isWhole := strings.CutSuffix(l, "/")
		if !isWhole {
			if !c.same(l) {
				return false
			}
			continue
		}
		if whole == nil {
			if whole, err = wholeEntries(p, part, t.Separator()); err != nil {
				return false
			}
		}
		if !c.same(dir) || !c.sameWholeDir(dir, whole[dir]) {
			return false
		}
	}
	return true
}

// wholeEntries reads the sidecar of partition part.
func wholeEntries(p *plan.Plan, part int, sep byte) (map[string][]string, error) {
	groups, err := readWhole(p, part, sep)
	if err != nil {
		return nil, err
	}
	m := make(map[string][]string, len(groups))
	for _, g := range groups {
		m[g.Path] = g.Entries
	}
	return m, nil
}

// entryComparer compares an entry of the source with its copy.
type entryComparer struct {
	src, dst string
	root     bool // owners are compared (rsync -o keeps them only as root)
}

// sameWholeDir: dir holds exactly the entries the scan saw, each up to date.
func (c entryComparer) sameWholeDir(dir string, entries []string) bool {
	names, err := readNames(filepath.Join(c.src, dir))
	if err != nil || len(names) != len(entries) || len(entries) == 0 {
		return false
	}
	for _, e := range entries {
		if !names[path.Base(e)] || !c.same(e) {
			return false
		}
	}
	return true
}

// same reports whether the entry rel is at the destination as rsync -a
// would leave it.
func (c entryComparer) same(rel string) bool {
	srcPath, dstPath := filepath.Join(c.src, rel), filepath.Join(c.dst, rel)
	var s, d unix.Stat_t
	if unix.Lstat(srcPath, &s) != nil || unix.Lstat(dstPath, &d) != nil {
		return false
	}
	if s.Mode&unix.S_IFMT != d.Mode&unix.S_IFMT {
		return false
	}
	switch s.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		return true
	case unix.S_IFREG:
		if s.Nlink != 1 || s.Size != d.Size || s.Mode&0o7777 != d.Mode&0o7777 {
			return false
		}
		if s.Mtim != d.Mtim {
			return false
		}
	case unix.S_IFLNK:
		// rsync compares a link's target, not its mtime (Debian's rsync
		// does not even set it).
		if !sameTarget(srcPath, dstPath) {
			return false
		}
	default:
		return false
	}
	return s.Gid == d.Gid && (!c.root || s.Uid == d.Uid)
}

// sameTarget reports whether two symbolic links point at the same path.
func sameTarget(a, b string) bool {
	ta, errA := os.Readlink(a)
	tb, errB := os.Readlink(b)
	return errA == nil && errB == nil && ta == tb
}
