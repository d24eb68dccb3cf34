package scan

import (
	"errors"
	"io/fs"
	"strconv"
	"strings"
	"syscall"
	"unicode"
	"unicode/utf8"
)

// ErrBadPattern is wrapped by the errors of NewMatcher and Walk for an exclude
// pattern that is not a valid glob.
var ErrBadPattern = errors.New("bad exclude pattern")

// ErrSource is wrapped by the error of Walk when the root is missing, is not a
// directory, or cannot be read. The error also wraps the system error.
var ErrSource = errors.New("bad source")

// sourceError is the error of a root Walk cannot read: one line naming the
// path, what is wrong and the fix.
type sourceError struct {
	path string
	why  string
	err  error // the system error
}

func (e *sourceError) Error() string { return "source " + quote(e.path) + ": " + e.why }
func (e *sourceError) Unwrap() []error {
	if e.err == nil {
		return []error{ErrSource}
	}
	return []error{ErrSource, e.err}
}

// newSourceError explains why the root cannot be walked.
func newSourceError(root string, err error) error {
	var why string
	switch {
	case root == "":
		why = "empty path; give the directory to copy"
	case errors.Is(err, fs.ErrNotExist):
		why = "no such directory; check the path"
	case errors.Is(err, syscall.ENOTDIR):
		why = "not a directory; give the directory whose contents are copied"
	case errors.Is(err, fs.ErrPermission):
		why = "permission denied; run as a user who can read it"
	default:
		why = "cannot read: " + errText(err) + "; check that it is mounted and readable"
	}
	return &sourceError{path: root, why: why, err: err}
}

// dirReason is the Skip reason of a directory that was found but could not be read.
func dirReason(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "vanished during the scan"
	case errors.Is(err, syscall.ENOTDIR), errors.Is(err, syscall.ELOOP):
		return "changed during the scan: no longer a directory; its contents are not copied"
	}
	return cannotRead + errText(err) + "; its contents are not copied"
}

// The reasons of entries the scan could not read (as opposed to ones that
// vanished or changed during it): Skip.Unreadable tells them by these.
const (
	cannotRead = "cannot read directory: "
	cannotStat = "cannot stat: "
)

// Unreadable reports whether the entry was skipped because the scan could
// not read it (permission denied, an I/O error): its contents, or itself,
// are not copied though they exist. It goes by the reason, so a skip read
// back from a run's manifest or skipped list tells the same.
func (s Skip) Unreadable() bool {
	return strings.HasPrefix(s.Reason, cannotRead) || strings.HasPrefix(s.Reason, cannotStat)
}

// entryReason is the Skip reason of an entry whose lstat failed.
func entryReason(err error) string {
	if errors.Is(err, fs.ErrNotExist) {
		return "vanished during the scan"
	}
	return cannotStat + errText(err)
}

// errText is the system's text for err ("permission denied"), without the
// operation and path that wrappers such as fs.PathError add.
func errText(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno.Error()
	}
	return err.Error()
}

// quote returns p as it is when it reads plainly on one line, else quoted
// with Go escapes (spaces, control characters, bytes that are not UTF-8).
func quote(p string) string {
	if p == "" {
		return `""`
	}
	for _, r := range p {
		if r == utf8.RuneError || r == '"' || r == '\\' || unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return strconv.Quote(p)
		}
	}
	return p
}

// ErrWorkers is wrapped when the scan is asked to run with no worker.
var ErrWorkers = errors.New("bad scan workers")
