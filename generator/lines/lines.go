// Package lines splits what a process writes, in pieces of any size, into
// its lines: the tools' output is read line by line as it is written, by
// the meter of what they sent (package tool) and by the transfer's readers
// of their errors (package transfer).
package lines

import "bytes"

// Writer hands each complete line written to it, with its '\n', to Line.
// Line must not keep the slice it is given after it returns.
// A line longer than Max bytes (when Max > 0) is handed on in pieces of
// Max bytes or more, each without a '\n' but the last, so that a line
// without end does not grow without bound.
type Writer struct {
	Line    func(line []byte)
	Max     int
	CR      bool // a '\r' ends a line too (rsync's progress lines), handed on with it
	partial []byte
}

// Write implements io.Writer; it never fails.
func (w *Writer) Write(p []byte) (int, error) {
	w.partial = append(w.partial, p...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if w.CR {
			if j := bytes.IndexByte(w.partial, '\r'); j >= 0 && (i < 0 || j < i) {
				i = j
			}
		}
		if i < 0 {
			break
		}
		w.Line(w.partial[:i+1])
		w.partial = w.partial[i+1:]
	}
	if w.Max > 0 && len(w.partial) > w.Max {
		w.Flush()
	}
	return len(p), nil
}

// Flush hands on what is left of an unfinished last line, if anything.
func (w *Writer) Flush() {
	if len(w.partial) > 0 {
		w.Line(w.partial)
		w.partial = nil
	}
}

// Pending is the unfinished last line, not handed on yet.
func (w *Writer) Pending() []byte { return w.partial }
