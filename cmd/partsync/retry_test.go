package main

// Failures with the real tools: a partition that fails and then succeeds
// after a backoff, and one that never succeeds while the others do.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/partsync/partsync/generator/testtree/check"
	"github.com/partsync/partsync/generator/testtree/sample"
)

// TestRunRetriesAfterFailure blocks the destination for the first attempts
// (a non-empty directory where each file must go, which neither rsync nor
// rclone removes; as root, permissions would not stop the tools, and a DST
// that cannot be made at all is refused before the scan) and unblocks it
// during the backoff: the run ends with exit 0, every partition ok, and some
// partition needed more than one attempt.
func TestRunRetriesAfterFailure(t *testing.T) {
	for _, tool := range []string{"rsync", "rclone"} {
		t.Run(tool, func(t *testing.T) {
			needTools(t, tool)
			t.Parallel()
			base := t.TempDir()
			src, shared := filepath.Join(base, "src"), filepath.Join(base, "runs")
			made, err := sample.Build(src, sample.Spec{Seed: 3, Dirs: 3, FilesPerDir: 8, MaxSize: 2048})
			if err != nil {
				t.Fatal(err)
			}
			dst := filepath.Join(base, "dst")
			var blockers []string
			for rel, n := range manifest(t, src) {
				if n.Type == 'f' {
					blockers = append(blockers, filepath.Join(dst, rel))
					writeFile(t, filepath.Join(dst, rel, "not-yet"), []byte("a directory where a file must go"), 0o644, time.Now())
				}
			}
			runDir := filepath.Join(shared, "retry")

			done := make(chan cliResult, 1)
			go func() {
				done <- partsync(context.Background(), "run", "-m", tool, "-n", "2", "-f", "10", "--retries", "3", "--backoff", "200ms",
					"-d", shared, "--run-id", "retry", src, dst)
			}()
			// Unblock once the first attempt has failed and recorded it.
			var first string
			deadline := time.Now().Add(30 * time.Second)
			for first == "" && time.Now().Before(deadline) {
				select {
				case res := <-done:
					t.Fatalf("the run ended before any attempt failed: %s", res)
				case <-time.After(5 * time.Millisecond):
				}
				if m, _ := filepath.Glob(filepath.Join(runDir, "status", "*.json")); len(m) > 0 {
					first = m[0]
				}
			}
			if first == "" {
				t.Fatal("no status file after 30s")
			}
			n, _ := strconv.Atoi(strings.TrimSuffix(filepath.Base(first), ".json"))
			if st := loadStatus(t, runDir, n); st.OK || st.Attempts != 1 || st.ExitCode == 0 || st.Error == "" {
				t.Errorf("first status: ok=%v attempts=%d exit=%d error=%q; want a failed first attempt with its error", st.OK, st.Attempts, st.ExitCode, st.Error)
			}
			for _, b := range blockers {
				if err := os.RemoveAll(b); err != nil {
					t.Fatal(err)
				}
			}

			res := <-done
			if res.code != ExitOK {
				t.Fatalf("%s", res)
			}
			p := loadPlan(t, runDir)
			retried := -1
			for i := range p.Count() {
				st := loadStatus(t, runDir, i)
				if !st.OK || st.ExitCode != 0 || st.Error != "" {
					t.Errorf("status %d: ok=%v exit=%d error=%q after the run succeeded", i, st.OK, st.ExitCode, st.Error)
				}
				if st.Attempts > 1 {
					retried = i
				}
			}
			if retried < 0 {
				t.Fatalf("no partition has attempts > 1 in its status\n%s", res.stderr)
			}
			if !strings.Contains(res.stderr, fmt.Sprintf("part %d attempt 1 failed (exit", retried)) || !strings.Contains(res.stderr, "will retry") {
				t.Errorf("stderr does not report the failed attempt of part %d:\n%s", retried, res.stderr)
			}
			log, err := os.ReadFile(filepath.Join(runDir, "logs", fmt.Sprintf("part.%d.log", retried)))
			if err != nil || !strings.Contains(string(log), "attempt 1:") || !strings.Contains(string(log), "attempt 2:") {
				t.Errorf("log of part %d lacks both attempts (%v):\n%s", retried, err, log)
			}
			r, err := check.Compare(src, dst, check.Options{Mtimes: true})
			if err != nil || r.Files != made.Files {
				t.Errorf("copy: %d of %d files verified: %v", r.Files, made.Files, err)
			}
		})
	}
}

// TestRunPartitionFailsForGood makes one partition fail on every attempt (a
// non-empty directory at the destination where one of its files must go,
// which neither rsync nor rclone removes): the run exits 5, the stderr
// summary names the partition and the first line of its error, and every
// other partition still succeeded.
func TestRunPartitionFailsForGood(t *testing.T) {
	for _, tool := range []string{"rsync", "rclone"} {
		t.Run(tool, func(t *testing.T) {
			needTools(t, tool)
			t.Parallel()
			base := t.TempDir()
			src, dst, shared := filepath.Join(base, "src"), filepath.Join(base, "dst"), filepath.Join(base, "runs")
			old := time.Date(2022, 2, 2, 2, 2, 2, 0, time.UTC)
			for _, d := range []string{"a", "b", "c", "d"} {
				for i := range 5 {
					writeFile(t, filepath.Join(src, d, fmt.Sprintf("f-%d", i)), []byte(d+strconv.Itoa(i)), 0o644, old)
				}
			}
			const culprit = "b/f-1"
			writeFile(t, filepath.Join(dst, culprit, "in-the-way"), []byte("x"), 0o644, old)
			runDir := filepath.Join(shared, "fails")

			res := partsync(context.Background(), "run", "-m", tool, "-n", "3", "-f", "6", "--retries", "1", "--backoff", "200ms",
				"-d", shared, "--run-id", "fails", src, dst)
			if res.code != ExitFailed {
				t.Fatalf("exit %d, want %d (ExitFailed)\n%s", res.code, ExitFailed, res)
			}
			p := loadPlan(t, runDir)
			bad := -1
			for i := range p.Count() {
				if slices.Contains(readPart(t, runDir, i, separator(tool)), culprit) {
					bad = i
				}
			}
			if bad < 0 || p.Count() < 3 {
				t.Fatalf("%s is in no partition of %d", culprit, p.Count())
			}
			for i := range p.Count() {
				st := loadStatus(t, runDir, i)
				switch {
				case i == bad && (st.OK || st.Attempts != 2 || st.ExitCode <= 0 || st.Error == ""):
					t.Errorf("status of the failing part %d: ok=%v attempts=%d exit=%d error=%q; want 2 failed attempts with the tool's exit code and error",
						i, st.OK, st.Attempts, st.ExitCode, st.Error)
				case i != bad && (!st.OK || st.Attempts != 1):
					t.Errorf("status of part %d: ok=%v attempts=%d; only part %d should fail", i, st.OK, st.Attempts, bad)
				}
			}
			st := loadStatus(t, runDir, bad)
			firstLine, _, _ := strings.Cut(st.Error, "\n")
			for _, want := range []string{
				fmt.Sprintf("%d/%d partitions ok, 1 failed", p.Count()-1, p.Count()),
				fmt.Sprintf("part %d FAILED after 2 attempts, exit code %d; log %s", bad, st.ExitCode, filepath.Join(runDir, "logs", fmt.Sprintf("part.%d.log", bad))),
				firstLine,
			} {
				if !strings.Contains(res.stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, res.stderr)
				}
			}
			// The first line is what the summary and the error message show:
			// it must be the tool's error, not its chatter.
			if !strings.Contains(firstLine, culprit) {
				t.Errorf("the first line of part %d's error, %q, does not name %s; the tool's error output:\n%s", bad, firstLine, culprit, st.Error)
			}
			if !strings.Contains(res.err.Error(), "1 of "+strconv.Itoa(p.Count())+" partitions") {
				t.Errorf("error %q does not count the failed partitions", res.err)
			}
			// Every file of the other partitions arrived.
			for i := range p.Count() {
				if i == bad {
					continue
				}
				for _, rel := range readPart(t, runDir, i, separator(tool)) {
					want, _ := os.ReadFile(filepath.Join(src, rel))
					if info, _ := os.Stat(filepath.Join(src, rel)); info.IsDir() {
						continue
					}
					if got, err := os.ReadFile(filepath.Join(dst, rel)); err != nil || string(got) != string(want) {
						t.Errorf("part %d: %s at the destination: %q (%v), want %q", i, rel, got, err, want)
					}
				}
			}
		})
	}
}
