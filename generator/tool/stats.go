package tool

import (
	"bytes"
	"encoding/json"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/partsync/partsync/generator/lines"
	"github.com/partsync/partsync/generator/plan"
)

// What a partition really sent is what the tool says it sent, not the
// plan's counts: a re-run sends only what changed. Argv asks each tool for
// its final statistics:
//
//   - rsync: --stats --no-h, read from "Number of regular files
//     transferred: N" and "Total transferred file size: N bytes" on stdout;
//   - rclone: --use-json-log --stats-log-level NOTICE, read from the "stats"
//     object of its final statistics line on stderr ("transfers", "bytes").
//     Meter turns the JSON log back into rclone's text form for the log file
//     (unless the user asked for --use-json-log), so the log reads as before.

// rsyncStatsOptions and rcloneStatsOptions come after the user's options
// in Argv, so that they win over -h, --stats-log-level or --use-json-log=false.
var (
	rsyncStatsOptions = []string{"--stats", "--no-h"}
	// rsyncProgressOptions asks rsync for its overall progress
	// (progress.go), unless the user asked for a progress of their own.
	rsyncProgressOptions = []string{"--info=progress2"}
	rcloneStatsOptions   = []string{"--use-json-log", "--stats-log-level", "NOTICE"}
)

// Meter reads what the tool reports while it runs, passing its output on
// to the log. Use Stdout and Stderr as the tool's streams, then Close.
type Meter struct {
	mu      sync.Mutex
	log     io.Writer // the tool's output, as the user asked for it
	errText io.Writer // the tool's error output in text form
	sent    plan.Sent
	files   bool // the files count was seen
	byteSum bool // the bytes count was seen
	stdout  lines.Writer
	stderr  lines.Writer
	// progress (progress.go): the partition's files, the function told the
	// files done, and whether the log keeps rsync's progress lines.
	partFiles    int64
	report       func(done int64)
	keepProgress bool
}

// NewMeter returns a Meter for the tool called name run with opts (the
// user's -o), writing the tool's output to log and its error output to
// errText as well (rclone's: its error lines alone, in text form even when
// the log keeps JSON).
func NewMeter(name string, opts []string, log, errText io.Writer) *Meter {
	m := &Meter{log: log, errText: errText}
	m.stdout.Max, m.stderr.Max = 64<<10, 64<<10 // a longer line is handed on in pieces
	m.stdout.Line = func(line []byte) { m.write(line, nil) }
	m.stderr.Line = func(line []byte) { m.write(line, line) }
	switch name {
	case "rsync":
		m.keepProgress = rsyncUserProgress(opts)
		m.stdout.CR = true // --info=progress2 ends its lines with \r
		m.stdout.Line = func(line []byte) {
			if m.rsyncProgress(line) && !m.keepProgress {
				return // partsync's own --info=progress2: read, not logged
			}
			m.rsyncLine(line)
			m.write(line, nil)
		}
	case "rclone":
		keepJSON := slices.Contains(opts, "--use-json-log") || slices.Contains(opts, "--use-json-log=true")
		m.stderr.Line = func(line []byte) { m.rcloneLine(line, keepJSON) }
	}
	return m
}

// Stdout is the writer for the tool's standard output.
func (m *Meter) Stdout() io.Writer { return &m.stdout }

// Stderr is the writer for the tool's error output.
func (m *Meter) Stderr() io.Writer { return &m.stderr }

// Close passes on what is left of an unfinished last line.
func (m *Meter) Close() {
	m.stdout.Flush()
	m.stderr.Flush()
}

// Sent is what the tool reported it sent; ok is false when it reported
// nothing (it did not start, was killed, or its statistics were turned off).
func (m *Meter) Sent() (sent plan.Sent, ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.sent, m.files && m.byteSum
}

// write passes line on to the log and text on to errText.
func (m *Meter) write(line, text []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, _ = m.log.Write(line)
	if text != nil {
		_, _ = m.errText.Write(text)
	}
}

// rsyncNumber matches rsync's --stats lines partsync reads.
var rsyncNumber = regexp.MustCompile(`^(Number of regular files transferred|Total transferred file size): ([0-9,]+)( bytes)?\s*$`)

func (m *Meter) rsyncLine(line []byte) {
	match := rsyncNumber.FindSubmatch(line)
	if match == nil {
		return
	}
	n, err := strconv.ParseInt(strings.ReplaceAll(string(match[2]), ",", ""), 10, 64)
	if err != nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if string(match[1]) == "Number of regular files transferred" {
		m.sent.Files, m.files = n, true
	} else {
		m.sent.Bytes, m.byteSum = n, true
	}
}

func (m *Meter) rcloneLine(line []byte, keepJSON bool) {
	var l rcloneLogLine
	if !bytes.HasPrefix(line, []byte("{")) || json.Unmarshal(line, &l) != nil || l.Level == "" {
		m.write(line, line) // not a log line (rclone's usage errors come before its logger)
		return
	}
	if l.Stats != nil {
		m.mu.Lock()
		m.sent = plan.Sent{Files: l.Stats.Transfers, Bytes: l.Stats.Bytes}
		m.files, m.byteSum = true, true
		m.mu.Unlock()
		m.rcloneProgress(l.Stats.Transfers, l.Stats.Checks)
	}
	text := []byte(rcloneText(l))
	errText := text
	if chatterLevels[l.Level] { // the statistics block spans lines: keep it out of the error text whole
		errText = nil
	}
	if keepJSON {
		m.write(line, errText)
		return
	}
	m.write(text, errText)
}
