package tool

import (
	"bytes"
	"strconv"
	"strings"
)

// How far a partition has got is read from what the tool prints anyway,
// so that it costs no extra pass over the files:
//
//   - rsync: --info=progress2 (rsyncProgressOptions) prints one overall
//     line per file it sends, "… (xfr#N, to-chk=LEFT/TOTAL)", ended by a
//     carriage return; rsync's list holds the directories too, and they come
//     before their files, so the files done are at least the partition's
//     files less LEFT. The lines are read and left out of the log, unless
//     the user asked for a progress of their own (--progress, -P, --info=progress…),
//     whose per-file lines end the same way.
//   - rclone: its statistics line (--stats interval, rcloneProgressOptions,
//     or the user's --stats) counts the files transferred and the files
//     checked and found up to date; their sum, at most the partition's
//     files, is the files done (a file rclone checked and then sent counts
//     once in each).
//
// BenchmarkMeterRsyncProgress measures what reading them costs.

// rcloneProgressOptions come before the user's options: a --stats of theirs wins.
var rcloneProgressOptions = []string{"--stats", "30s"}

// Progress makes m call report with the files done, of the partition's
// files, each time the tool says how far it got. Call it before the tool
// starts; report is called from the goroutines that read its output.
func (m *Meter) Progress(files int64, report func(done int64)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.partFiles, m.report = files, report
}

// progressed hands done, bounded by the partition's files, to the reporter.
func (m *Meter) progressed(done int64) {
	m.mu.Lock()
	report, files := m.report, m.partFiles
	m.mu.Unlock()
	if report != nil {
		report(min(max(done, 0), files))
	}
}

// rsyncProgress reports whether line is one of rsync's progress lines and,
// when it ends with rsync's count of entries left to check, reports the
// files done.
func (m *Meter) rsyncProgress(line []byte) bool {
	if !isRsyncProgress(line) {
		return false
	}
	if left, ok := rsyncLeft(line); ok {
		m.mu.Lock()
		files := m.partFiles
		m.mu.Unlock()
		m.progressed(files - left)
	}
	return true
}

// isRsyncProgress: an empty line ended by \r, or spaces, a byte count, spaces, a percentage.
func isRsyncProgress(line []byte) bool {
	body := bytes.TrimRight(line, "\r\n")
	if len(body) == 0 {
		return len(line) > 0 && line[len(line)-1] == '\r'
	}
	rest := bytes.TrimLeft(body, " ")
	digits := 0
	for digits < len(rest) && (rest[digits] >= '0' && rest[digits] <= '9' || rest[digits] == ',' || rest[digits] == '.') {
		digits++
	}
	if digits == 0 || digits == len(rest) || rest[digits] != ' ' {
		return false
	}
	rest = bytes.TrimLeft(rest[digits:], " ")
	pct := bytes.IndexByte(rest, '%')
	if pct < 1 || pct > 3 {
		return false
	}
	_, err := strconv.Atoi(string(rest[:pct]))
	return err == nil
}

// rsyncLeft reads LEFT from "to-chk=LEFT/TOTAL)". An "ir-chk" (a list
// still growing, with incremental recursion) says nothing of the whole.
func rsyncLeft(line []byte) (int64, bool) {
	i := bytes.LastIndex(line, []byte("to-chk="))
	if i < 0 {
		return 0, false
	}
	rest := line[i+len("to-chk="):]
	slash := bytes.IndexByte(rest, '/')
	if slash < 1 {
		return 0, false
	}
	left, err := strconv.ParseInt(string(rest[:slash]), 10, 64)
	return left, err == nil
}

// rcloneProgress reports the files done from a statistics line's counts.
func (m *Meter) rcloneProgress(transfers, checks int64) {
	m.progressed(transfers + checks)
}

// rsyncUserProgress: the user's options ask rsync for progress output.
func rsyncUserProgress(opts []string) bool {
	for i, o := range opts {
		switch {
		case o == "--progress":
			return true
		case strings.HasPrefix(o, "--info=") && strings.Contains(o, "progress"):
			return true
		case o == "--info" && i+1 < len(opts) && strings.Contains(opts[i+1], "progress"):
			return true
		case len(o) > 1 && o[0] == '-' && o[1] != '-':
			for _, c := range o[1:] {
				if c == 'P' {
					return true
				}
				if strings.ContainsRune("BT@feM", c) { // the rest is this option's value
					break
				}
			}
		}
	}
	return false
}
