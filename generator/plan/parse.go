package plan

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"
)

// ErrCorrupt is wrapped when a file of the run directory (a part file, a
// status or outcome file) cannot be what partsync wrote.
var ErrCorrupt = errors.New("corrupt run file")

// ParseStatus decodes status/<index>.json and checks that it describes
// partition index of a run with count partitions and is consistent: a status
// written by hand or by another version must not make `status` or `run
// --resume` count a partition as done when it is not.
func ParseStatus(data []byte, index, count int) (*Status, error) {
	var s Status
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("%w: status of part %d: %v", ErrCorrupt, index, err)
	}
	switch {
	case s.Part != index:
		return nil, fmt.Errorf("%w: status/%d.json is about part %d", ErrCorrupt, index, s.Part)
	case s.Part != DirsPart && (s.Part < 0 || s.Part >= count):
		return nil, fmt.Errorf("%w: status of part %d: the run has %d partitions", ErrCorrupt, index, count)
	case s.Attempts < 0:
		return nil, fmt.Errorf("%w: status of part %d: attempts %d", ErrCorrupt, index, s.Attempts)
	case s.OK && s.ExitCode != 0 && s.Warning == "":
		return nil, fmt.Errorf("%w: status of part %d: ok with exit code %d and no warning", ErrCorrupt, index, s.ExitCode)
	case !s.OK && s.ExitCode == 0:
		return nil, fmt.Errorf("%w: status of part %d: failed with exit code 0", ErrCorrupt, index)
	case s.Files < 0 || s.Bytes < 0:
		return nil, fmt.Errorf("%w: status of part %d: negative counts (%d files, %d bytes)", ErrCorrupt, index, s.Files, s.Bytes)
	}
	// An empty list and no list are the same status; keep one form so a
	// status written back reads as the same value.
	for _, l := range []*[]string{&s.Vanished, &s.Added, &s.NotCopied} {
		if len(*l) == 0 {
			*l = nil
		}
	}
	return &s, nil
}

// ParseOutcome decodes outcome.json.
func ParseOutcome(data []byte) (*Outcome, error) {
	var o Outcome
	if err := json.Unmarshal(data, &o); err != nil {
		return nil, fmt.Errorf("%w: outcome.json: %v", ErrCorrupt, err)
	}
	return &o, nil
}

// ParsePart splits the content of a part file into its paths. Every path
// ends with sep (NUL for rsync, newline for rclone), is relative to the
// source, and has no empty, "." or ".." element (a path may end with one
// '/': a whole-directory line): a truncated or foreign file is an error,
// never a shorter list.
func ParsePart(data []byte, sep byte) ([]string, error) {
	if len(data) == 0 {
		return nil, nil
	}
	if data[len(data)-1] != sep {
		return nil, fmt.Errorf("%w: part file does not end with its separator %q (truncated?)", ErrCorrupt, sep)
	}
	fields := bytes.Split(data[:len(data)-1], []byte{sep})
	paths := make([]string, len(fields))
	for i, f := range fields {
		p := string(f)
		// A trailing '/' is a whole-directory line (rsync: the directory
		// and every entry directly in it); the path before it is checked.
		if err := checkRelative(strings.TrimSuffix(p, "/")); err != nil {
			return nil, fmt.Errorf("%w: part file line %d: %v", ErrCorrupt, i+1, err)
		}
		paths[i] = p
	}
	return paths, nil
}

// checkRelative accepts a clean '/'-separated path below the source.
func checkRelative(p string) error {
	switch {
	case p == "":
		return errors.New("empty path")
	case strings.ContainsRune(p, 0):
		return fmt.Errorf("path %q holds a NUL byte", p)
	case strings.HasPrefix(p, "/"):
		return fmt.Errorf("path %q is absolute", p)
	case path.Clean(p) != p || p == "." || p == ".." || strings.HasPrefix(p, "../"):
		return fmt.Errorf("path %q is not clean or leaves the source", p)
	}
	return nil
}
