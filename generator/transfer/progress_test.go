package transfer

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/partsync/partsync/generator/plan"
)

// progressRun is one partition of files files of 16 KiB each, at the
// shared root of a fresh run, for tool with opts.
func progressRun(t *testing.T, tool string, opts []string, files int) *plan.Plan {
	t.Helper()
	if _, err := exec.LookPath(tool); err != nil {
		t.Skipf("%s is not installed", tool)
	}
	base := t.TempDir()
	dir, err := plan.Create(filepath.Join(base, "runs"), "t")
	if err != nil {
		t.Fatal(err)
	}
	p := &plan.Plan{
		RunDir: string(dir), Source: filepath.Join(base, "src"), Destination: filepath.Join(base, "dst"),
		Tool: tool, ToolOptions: opts,
		Partitions: []plan.Partition{{Entries: int64(files), Files: int64(files), Bytes: int64(files) << 14}},
	}
	sep := "\x00"
	if tool == "rclone" {
		sep = "\n"
	}
	var list strings.Builder
	for i := range files {
		name := fmt.Sprintf("d/f%03d", i)
		list.WriteString(name + sep)
		path := filepath.Join(p.Source, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, bytes.Repeat([]byte{byte(i)}, 16<<10), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(dir.PartFile("0"), []byte(list.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// watchProgress reads path every 50 ms, as Argo's executor does every few
// seconds, until stop is closed, and returns every distinct line it saw.
func watchProgress(path string, stop <-chan struct{}) func() []string {
	var mu sync.Mutex
	var seen []string
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		read := func() {
			if data, err := os.ReadFile(path); err == nil {
				line := strings.TrimSpace(string(data))
				mu.Lock()
				if len(seen) == 0 || seen[len(seen)-1] != line {
					seen = append(seen, line)
				}
				mu.Unlock()
			}
		}
		for {
			read()
			select {
			case <-stop:
				read() // what the run left
				return
			case <-tick.C:
			}
		}
	}()
	return func() []string {
		<-done
		mu.Lock()
		defer mu.Unlock()
		return seen
	}
}

// TestRunReportsProgress: with a progress file (ARGO_PROGRESS_FILE in a
// pod), a partition's files done rise from 0 to all of them while the tool
// runs, read from rsync's --info=progress2 and rclone's statistics; the
// file always holds one whole "N/M" line, readable by another user (Argo's
// wait container), and rsync's progress lines stay out of the log.
func TestRunReportsProgress(t *testing.T) {
	for _, c := range []struct {
		tool string
		opts []string
	}{
		// 12 files of 16 KiB at 64 KiB/s: about 3 s, a line each file.
		{"rsync", []string{"-a", "--bwlimit=64"}},
		// rclone, one file at a time, 64 KiB/s, statistics every 500 ms.
		{"rclone", []string{"--transfers=1", "--bwlimit=64k", "--stats=500ms"}},
	} {
		t.Run(c.tool, func(t *testing.T) {
			const files = 12
			p := progressRun(t, c.tool, c.opts, files)
			argv, err := Command(p, "0")
			if err != nil {
				t.Fatal(err)
			}
			progress := filepath.Join(t.TempDir(), "progress")
			stop := make(chan struct{})
			seen := watchProgress(progress, stop)
			var out bytes.Buffer
			st, err := Run(context.Background(), p, Spec{Dir: p.Dir(), Argv: argv, Executor: "pod", Output: &out, ProgressFile: progress})
			close(stop)
			lines := seen()
			if err != nil || !st.OK {
				t.Fatalf("transfer: %v\n%s", err, out.String())
			}
			want := fmt.Sprintf("%d/%d", files, files)
			if len(lines) == 0 || lines[len(lines)-1] != want || lines[0] != fmt.Sprintf("0/%d", files) {
				t.Fatalf("progress lines %q; want 0/%d first and %s last", lines, files, want)
			}
			var between []int
			last := -1
			for _, l := range lines {
				n, m, ok := strings.Cut(l, "/")
				done, err := strconv.Atoi(n)
				if !ok || err != nil || m != strconv.Itoa(files) || done < last {
					t.Fatalf("progress lines %q: %q is not N/%d rising", lines, l, files)
				}
				last = done
				if done > 0 && done < files {
					between = append(between, done)
				}
			}
			if len(between) == 0 {
				t.Errorf("progress lines %q: no count between 0 and %d while the tool ran", lines, files)
			}
			if fi, err := os.Stat(progress); err != nil || fi.Mode().Perm() != 0o644 {
				t.Errorf("progress file: %v, mode %v; want 0644", err, fi.Mode().Perm())
			}
			if c.tool == "rsync" && (strings.Contains(out.String(), "to-chk=") || strings.Contains(out.String(), "\r")) {
				t.Errorf("rsync's progress lines reached the log:\n%q", out.String())
			}
			if st.Sent == nil || st.Sent.Files != files {
				t.Errorf("sent %+v; want the %d files (the statistics still read)", st.Sent, files)
			}
			if entries, _ := os.ReadDir(filepath.Dir(progress)); !slices.EqualFunc(entries, []string{"progress"}, func(e os.DirEntry, n string) bool { return e.Name() == n }) {
				t.Errorf("progress dir holds %v; want the file alone (no temp file left)", entries)
			}
		})
	}
}

// TestRunProgressOfAFailure: a failed partition's file keeps the count it
// reached, not M/M.
func TestRunProgressOfAFailure(t *testing.T) {
	p := progressRun(t, "rsync", []string{"-a"}, 3)
	progress := filepath.Join(t.TempDir(), "progress")
	st, err := Run(context.Background(), p, Spec{Dir: p.Dir(), Argv: []string{"false"}, Executor: "pod", Output: &bytes.Buffer{}, ProgressFile: progress})
	if err == nil || st.OK {
		t.Fatalf("false succeeded: %+v", st)
	}
	if data, err := os.ReadFile(progress); err != nil || string(data) != "0/3\n" {
		t.Errorf("progress file %q, %v; want 0/3", data, err)
	}
}
