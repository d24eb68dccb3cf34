package tool

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
)

// rsyncOutput is what rsync --info=progress2 --stats prints for files
// files in one directory (the directory is in its list too).
func rsyncOutput(files int) string {
	var b strings.Builder
	b.WriteString("\r              0   0%    0.00kB/s    0:00:00  ")
	for i := 1; i <= files; i++ {
		fmt.Fprintf(&b, "\r     %10d  %3d%%   19.07MB/s    0:00:00 (xfr#%d, to-chk=%d/%d)", i*20000, i*100/files, i, files-i, files+1)
	}
	b.WriteString("\n\nNumber of files: 4 (reg: 3, dir: 1)\nNumber of regular files transferred: 3\nTotal transferred file size: 60000 bytes\n")
	return b.String()
}

// TestMeterRsyncProgress: the files done come from rsync's to-chk counts,
// the progress lines are read and left out of the log (kept when the user
// asked for a progress), and the statistics are read as before.
func TestMeterRsyncProgress(t *testing.T) {
	for _, c := range []struct {
		opts []string
		keep bool
	}{
		{[]string{"-a"}, false},
		{[]string{"-a", "--progress"}, true},
		{[]string{"-aP"}, true},
		{[]string{"--info", "progress2,stats"}, true},
		{[]string{"-a", "-T/var/tmp/Partial"}, false}, // -T's value, not -P
	} {
		var log bytes.Buffer
		m := NewMeter("rsync", c.opts, &log, io.Discard)
		var done []int64
		m.Progress(3, func(n int64) { done = append(done, n) })
		out := rsyncOutput(3)
		for i := 0; i < len(out); i += 7 { // lines split across writes
			_, _ = m.Stdout().Write([]byte(out[i:min(i+7, len(out))]))
		}
		m.Close()
		if !slices.Equal(done, []int64{1, 2, 3}) { // to-chk=2/4 after the first file: 3-2 = 1 done
			t.Errorf("%q: files done %v; want [1 2 3]", c.opts, done)
		}
		if got := strings.Contains(log.String(), "to-chk="); got != c.keep {
			t.Errorf("%q: progress lines in the log: %v, want %v:\n%q", c.opts, got, c.keep, log.String())
		}
		if !strings.Contains(log.String(), "Number of files: 4") {
			t.Errorf("%q: the statistics left the log:\n%q", c.opts, log.String())
		}
		if sent, ok := m.Sent(); !ok || sent.Files != 3 || sent.Bytes != 60000 {
			t.Errorf("%q: sent %+v, %v", c.opts, sent, ok)
		}
		if argv := (Rsync{}).Argv(Job{Options: c.opts}); slices.Contains(argv, "--info=progress2") == c.keep {
			t.Errorf("%q: argv %q; want partsync's --info=progress2 only when the user asked for no progress", c.opts, argv)
		}
	}
}

// TestMeterRcloneProgress: rclone's statistics give transfers + checks,
// at most the partition's files.
func TestMeterRcloneProgress(t *testing.T) {
	m := NewMeter("rclone", nil, io.Discard, io.Discard)
	var done []int64
	m.Progress(5, func(n int64) { done = append(done, n) })
	for _, s := range []string{`{"bytes":0,"transfers":0,"checks":0}`, `{"bytes":10,"transfers":2,"checks":1}`, `{"bytes":20,"transfers":4,"checks":3}`} {
		_, _ = fmt.Fprintf(m.Stderr(), `{"time":"2026-12-04T09:00:00Z","level":"notice","msg":"stats","stats":%s}`+"\n", s)
	}
	m.Close()
	if !slices.Equal(done, []int64{0, 3, 5}) {
		t.Errorf("files done %v; want [0 3 5]", done)
	}
}

// BenchmarkMeterRsyncProgress: what reading rsync's progress costs per
// file sent, against the same output without it (-info=progress2 off).
func BenchmarkMeterRsyncProgress(b *testing.B) {
	const files = 10000
	with := []byte(rsyncOutput(files))
	without := []byte(strings.Repeat("d/file-name-of-some-length\n", files))
	for _, c := range []struct {
		name string
		out  []byte
	}{{"progress2", with}, {"names", without}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.out)))
			for b.Loop() {
				m := NewMeter("rsync", []string{"-a"}, io.Discard, io.Discard)
				m.Progress(files, func(int64) {})
				for i := 0; i < len(c.out); i += 32 << 10 {
					_, _ = m.Stdout().Write(c.out[i:min(i+32<<10, len(c.out))])
				}
				m.Close()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/files, "ns/file")
		})
	}
}
