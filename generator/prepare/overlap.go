package prepare

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/moby/sys/mountinfo"

	"github.com/partsync/partsync/generator/tool"
)

// The overlap check compares where SRC, DST and the run directory really
// are, not how they are spelled: a symbolic link (alias -> src/sub) or a bind
// mount (mount --bind src/sub alias) makes two different strings name the
// same directory, and a copy to alias/copy would write into the source.
//
// Each path is resolved in three ways, and two paths overlap when any of
// them nests one in the other:
//   - as given, made absolute (what the user sees);
//   - with every symbolic link resolved (filepath.EvalSymlinks on the
//     deepest part that exists; the rest does not exist yet and holds no
//     link);
//   - as a location in its file system: the device of the mount the
//     resolved path is on and the path below that file system's root
//     (mountinfo's root field + the rest), which is the same for every bind
//     mount of a directory.
//
// and, for paths that exist in part, by device and inode: an existing
// ancestor of one path that is the other directory itself.

// location is one way of naming a path: a path in the process's view, or
// (inFS) a path below the root of the file system on device dev.
type location struct {
	inFS bool
	dev  uint64
	path string
}

// place is everything known of where a path is.
type place struct {
	given    string     // absolute, as given
	names    []location // the given path, the resolved path, the file-system path
	existing string     // the deepest existing ancestor, resolved
	rest     string     // the part below existing, which does not exist yet
}

// locate resolves path (absolute) as far as it exists. mounts may be nil
// (no mount table): the file-system location is then left out.
func locate(path string, mounts []*mountinfo.Info) (place, error) {
	p := place{given: path, names: []location{{path: path}}}
	existing, rest := path, ""
	for {
		if _, err := os.Lstat(existing); err == nil {
			break
		} else if !errors.Is(err, os.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
			return p, err
		}
		parent := filepath.Dir(existing)
		if parent == existing {
			break
		}
		rest = filepath.Join(filepath.Base(existing), rest)
		existing = parent
	}
	resolved, err := filepath.EvalSymlinks(existing)
	if err != nil {
		return p, err
	}
	p.existing, p.rest = resolved, rest
	full := filepath.Join(resolved, rest)
	p.names = append(p.names, location{path: full})
	if m := mountOf(full, mounts); m != nil {
		below, _ := filepath.Rel(m.Mountpoint, full)
		p.names = append(p.names, location{inFS: true, dev: uint64(m.Major)<<32 | uint64(m.Minor), path: filepath.Join(m.Root, below)})
	}
	return p, nil
}

// mountOf is the mount that holds path: the one with the longest mount
// point above it (the last such in the table: a later mount hides an
// earlier one on the same point).
func mountOf(path string, mounts []*mountinfo.Info) *mountinfo.Info {
	var best *mountinfo.Info
	for _, m := range mounts {
		if within(path, m.Mountpoint) && (best == nil || len(m.Mountpoint) >= len(best.Mountpoint)) {
			best = m
		}
	}
	return best
}

// inside reports whether a is b or below it, in any way of naming them.
func inside(a, b place) bool {
	for _, la := range a.names {
		for _, lb := range b.names {
			if la.inFS == lb.inFS && la.dev == lb.dev && within(la.path, lb.path) {
				return true
			}
		}
	}
	return sameFileAbove(a, b)
}

// sameFileAbove reports whether an existing ancestor of a (or a itself) is
// the same directory as b, by device and inode: what a bind mount the mount
// table did not explain still cannot hide.
func sameFileAbove(a, b place) bool {
	if a.existing == "" || b.existing == "" || b.rest != "" {
		return false // b does not exist: nothing can be inside it yet
	}
	target, err := os.Stat(b.existing)
	if err != nil {
		return false
	}
	for dir := a.existing; ; dir = filepath.Dir(dir) {
		if st, err := os.Stat(dir); err == nil && os.SameFile(st, target) {
			return true
		}
		if filepath.Dir(dir) == dir {
			return false
		}
	}
}

// readMounts is the process's mount table; nil where there is none.
func readMounts() []*mountinfo.Info {
	mounts, err := mountinfo.GetMounts(nil)
	if err != nil {
		return nil
	}
	return mounts
}

// checkOverlap refuses a destination or run directory inside the source
// (the run would copy its own output, or write into the source) and a
// source inside the destination, however the paths are spelled. dst is ""
// for a remote destination. runDir is the shared dir when the run id is not
// known yet.
func checkOverlap(src, dst, runDir string, mounts []*mountinfo.Info) error {
	var errs []error
	s, err := locate(src, mounts)
	if err != nil {
		return fmt.Errorf("%w: SRC %s: %v", ErrPaths, src, err)
	}
	var d *place
	if dst != "" {
		dp, err := locate(dst, mounts)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%w: DST %s: %v", ErrPaths, dst, err))
		case inside(dp, s) || inside(s, dp):
			errs = append(errs, fmt.Errorf("%w: DST %s and SRC %s overlap%s; copy to a directory outside the source", ErrPaths, dst, src, really(dp, s)))
		default:
			d = &dp
		}
	}
	r, err := locate(runDir, mounts)
	switch {
	case err != nil:
		errs = append(errs, fmt.Errorf("%w: run directory %s: %v", ErrPaths, runDir, err))
	case inside(r, s):
		errs = append(errs, fmt.Errorf("%w: run directory %s is inside SRC %s%s; the run's own files would be copied: choose -d outside the source", ErrPaths, runDir, src, really(r, s)))
	case d != nil && inside(r, *d):
		errs = append(errs, fmt.Errorf("%w: run directory %s is inside DST %s%s; the run's own files would be extra entries at DST (verify, --delete): choose -d outside the destination", ErrPaths, runDir, dst, really(r, *d)))
	}
	return errors.Join(errs...)
}

// checkOptionPaths refuses a path a tool option writes to (--log-file,
// --temp-dir, --backup-dir …) inside the source, however it is spelled.
func checkOptionPaths(src string, paths []tool.OptionPath, mounts []*mountinfo.Info) error {
	if len(paths) == 0 {
		return nil
	}
	s, err := locate(src, mounts)
	if err != nil {
		return fmt.Errorf("%w: SRC %s: %v", ErrPaths, src, err)
	}
	var errs []error
	for _, p := range paths {
		l, err := locate(filepath.Clean(p.Path), mounts)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%w: -o %s %s: %v", ErrPaths, p.Option, p.Path, err))
		case inside(l, s):
			errs = append(errs, fmt.Errorf("%w: -o %s %s is inside SRC %s%s: the tool would write into the source; give a path outside it", ErrPaths, p.Option, p.Path, src, really(l, s)))
		}
	}
	return errors.Join(errs...)
}

// really says where a and b are when their names alone do not show that
// they overlap.
func really(a, b place) string {
	if within(a.given, b.given) || within(b.given, a.given) {
		return ""
	}
	if len(a.names) > 1 && len(b.names) > 1 && (within(a.names[1].path, b.names[1].path) || within(b.names[1].path, a.names[1].path)) {
		return fmt.Sprintf(" through a symbolic link (they are %s and %s)", a.names[1].path, b.names[1].path)
	}
	return " (the same directory through a bind mount or another mount of the same file system)"
}

// within reports whether path is dir or below it.
func within(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../")
}
