package plan

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
)

// Incremental is plan.json's record of a run made against a base: an
// earlier finished run of the same SRC → DST, tool, options and excludes
// (package since). Its scan was compared with the base's manifest and only
// the entries new or changed since then were partitioned; the others are
// counted in Unchanged, and the entries gone from the source are listed in
// DeletedSinceFile.
type Incremental struct {
	BaseRunID  string `json:"base_run_id"`
	BaseRunDir string `json:"base_run_dir"`
	// Chosen says how the base was chosen: "--since" or "newest finished
	// run of the same SRC, DST, tool, options and excludes in -d".
	Chosen string `json:"chosen"`
	// Counts of the comparison. New and Changed entries were partitioned
	// (with, for rsync, the other links of a changed hard-linked file and
	// the directories above a changed entry, so that the directory step
	// restores their times); Unchanged entries were not, and UnchangedBytes
	// are their regular files' bytes. Deleted counts the lines of
	// DeletedSinceFile.
	New            int64 `json:"new"`
	Changed        int64 `json:"changed"`
	Unchanged      int64 `json:"unchanged"`
	UnchangedBytes int64 `json:"unchanged_bytes"`
	Deleted        int64 `json:"deleted"`
	// Relisted counts unchanged entries handed to the partitioner all the
	// same: the directories above a new or changed entry, the other links
	// of a changed hard-linked file, and the entries the tool does not copy
	// (named in skipped again). New + Changed + Unchanged + Relisted is
	// every entry the scan visited.
	Relisted int64 `json:"relisted"`
	// Compared names what tells a changed entry from an unchanged one.
	Compared string `json:"compared"`
	// DestinationListed is false: an incremental run lists neither the
	// destination nor the entries it does not copy.
	DestinationListed bool `json:"destination_listed"`
	// NoCheckDest is true when the tool's transfers skip their own check
	// of the destination (rclone --no-check-dest); Why says why that is safe.
	NoCheckDest bool   `json:"no_check_dest"`
	Why         string `json:"why"`
}

// DeletedWriter writes DeletedSinceFile.
type DeletedWriter struct {
	w *bufio.Writer
	n int64
}

// NewDeletedWriter writes the deleted-since list to w.
func NewDeletedWriter(w io.Writer) *DeletedWriter {
	return &DeletedWriter{w: bufio.NewWriterSize(w, 64*1024)}
}

// Add lists one entry gone since the base run; isDir marks a directory.
func (d *DeletedWriter) Add(path string, isDir bool) error {
	d.n++
	d.w.WriteString(path)
	if isDir {
		d.w.WriteByte('/')
	}
	return d.w.WriteByte(0)
}

// Count is the number of entries added.
func (d *DeletedWriter) Count() int64 { return d.n }

// Flush writes what is buffered.
func (d *DeletedWriter) Flush() error { return d.w.Flush() }

// ReadDeletedSince calls fn, in order, for every entry of the run's
// DeletedSinceFile: its path relative to the source (no trailing '/') and
// whether it was a directory. A run that was not incremental has no such
// file: ok is false and fn is not called.
func ReadDeletedSince(dir Dir, fn func(path string, isDir bool) error) (ok bool, err error) {
	f, err := os.Open(dir.DeletedSinceFile())
	if os.IsNotExist(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read deleted-since list: %w", err)
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 64*1024)
	for {
		line, err := r.ReadBytes(0)
		if err == io.EOF {
			if len(line) != 0 {
				return true, fmt.Errorf("%w: %s ends without a NUL byte", ErrCorrupt, dir.DeletedSinceFile())
			}
			return true, nil
		}
		if err != nil {
			return true, fmt.Errorf("read deleted-since list: %w", err)
		}
		line = line[:len(line)-1]
		isDir := bytes.HasSuffix(line, []byte("/"))
		path := strings.TrimSuffix(string(line), "/")
		if path == "" {
			return true, fmt.Errorf("%w: %s holds an empty path", ErrCorrupt, dir.DeletedSinceFile())
		}
		if err := fn(path, isDir); err != nil {
			return true, err
		}
	}
}
