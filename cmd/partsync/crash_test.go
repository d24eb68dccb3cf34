package main

// The machine running `partsync run` dies mid-run (SIGKILL to partsync and
// the tools it started): `run --resume` finishes the run.

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/partsync/partsync/generator/plan"
)

// rsyncTemp matches the temporary file rsync writes beside a file it
// receives (".NAME.XXXXXX") and renames when the file is complete.
var rsyncTemp = regexp.MustCompile(`(^|/)\.[^/]+\.[A-Za-z0-9]{6}$`)

// TestRunKilledThenResumed runs the built binary in its own process group,
// kills the whole group with SIGKILL once some partitions finished and
// others had not, and resumes with `run --resume`: the partitions without a
// successful status run, the finished ones do not, and every source file is
// at the destination with its bytes. What the killed rsync leaves behind is
// its temporary file of the interrupted file, nothing else.
func TestRunKilledThenResumed(t *testing.T) {
	needTools(t, "rsync")
	bin := buildPartsync(t, t.TempDir())
	base := t.TempDir()
	src, dst, shared := filepath.Join(base, "src"), filepath.Join(base, "dst"), filepath.Join(base, "runs")
	sourceTree(t, src)
	for i := range 4 {
		big := make([]byte, 2<<20)
		if _, err := rand.Read(big); err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(src, "big", fmt.Sprintf("big-%d.bin", i)), big, 0o644, time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC))
	}
	runDir := filepath.Join(shared, "crash")
	cmd, exited, stderr := startGroup(t, bin, "run", "-o", "-a --numeric-ids --bwlimit=2000", "-n", "1", "-f", "6", "-s", "1M",
		"-d", shared, "--run-id", "crash", src, dst)
	// Kill once a big file's partition has finished and the next one is running.
	for {
		select {
		case err := <-exited:
			t.Fatalf("the run ended (%v) before it could be killed:\n%s", err, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		if _, err := os.Stat(filepath.Join(runDir, "plan.json")); err != nil {
			continue
		}
		r, err := plan.ReadReport(plan.Dir(runDir))
		if err == nil && r.BytesDone >= 2<<20 && len(r.Missing) > 1 && partialBig(dst) {
			break
		}
	}
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-exited
	before := statusJSON(t, ExitPending, runDir)
	if len(before.Succeeded) == 0 || len(before.Missing) < 2 {
		t.Fatalf("after the kill: %d partitions ok, %d without status; want some of each", len(before.Succeeded), len(before.Missing))
	}

	res := partsync(context.Background(), "run", "--resume", "crash", "-d", shared)
	if res.code != ExitOK {
		t.Fatalf("%s", res)
	}
	if !strings.Contains(res.stderr, fmt.Sprintf("running %d partitions: %s", len(before.Missing), ranges(before.Missing))) {
		t.Errorf("the resume does not run exactly the partitions without status %v:\n%s", before.Missing, res.stderr)
	}
	want, got := manifest(t, src), manifest(t, dst)
	for rel, n := range want {
		if n.Type == 'f' && got[rel].SHA256 != n.SHA256 {
			t.Errorf("%s at the destination: sha256 %q, want %s", rel, got[rel].SHA256, n.SHA256)
		}
	}
	var leftovers []string
	for rel := range got {
		if _, ok := want[rel]; !ok {
			if !rsyncTemp.MatchString(rel) {
				t.Errorf("%s is at the destination but not in the source", rel)
			}
			leftovers = append(leftovers, rel)
		}
	}
	if len(leftovers) > 1 {
		t.Errorf("rsync temporary files left: %q; want at most the one of the interrupted file", leftovers)
	}
	t.Logf("left by the killed rsync: %q", leftovers)
}

// partialBig reports whether rsync is writing a big file: its temporary file exists.
func partialBig(dst string) bool {
	ents, _ := os.ReadDir(filepath.Join(dst, "big"))
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".big-") {
			return true
		}
	}
	return false
}

// TestRunKilledDuringScan kills `partsync run` (live: partitions start while
// the scan goes on) with SIGKILL while it scans: some part files exist, no
// plan.json. The process group is stopped first and the run directory read
// while it stands still, so the kill is known to land during the scan
// whatever the machine's speed; a scan that finished first is tried again
// with a tree twice as big. Then reusing the run id names --resume, and
// `run --resume` scans again and copies the whole source.
func TestRunKilledDuringScan(t *testing.T) {
	needTools(t, "rsync")
	bin := buildPartsync(t, t.TempDir())
	base := t.TempDir()
	src, dst, shared := filepath.Join(base, "src"), filepath.Join(base, "dst"), filepath.Join(base, "runs")
	runDir := filepath.Join(shared, "scan-kill")
	old := time.Date(2022, 2, 2, 2, 2, 2, 0, time.UTC)
	made := 0
	for files := 2000; ; files *= 2 {
		for ; made < files; made++ {
			writeFile(t, filepath.Join(src, fmt.Sprintf("d%03d", made%100), fmt.Sprintf("f-%05d", made)), []byte(fmt.Sprint(made)), 0o644, old)
		}
		if killDuringScan(t, bin, runDir, "run", "-n", "1", "-f", "50", "-d", shared, "--run-id", "scan-kill", src, dst) {
			break
		}
		if files >= 64000 {
			t.Fatalf("the scan of %d files always finished before the process could be stopped", files)
		}
		if err := os.RemoveAll(shared); err != nil {
			t.Fatal(err)
		}
	}

	again := partsync(context.Background(), "run", "-d", shared, "--run-id", "scan-kill", src, dst)
	if again.code != ExitRunDir || !strings.Contains(again.stderr+errText(again.err), "run --resume scan-kill") {
		t.Errorf("reusing the id of a run killed during its scan: want exit %d naming `run --resume scan-kill`\n%s", ExitRunDir, again)
	}
	res := partsync(context.Background(), "run", "--resume", "scan-kill", "-d", shared, "-n", "4")
	if res.code != ExitOK {
		t.Fatalf("%s", res)
	}
	p := loadPlan(t, runDir)
	if p.Totals.Files != int64(made) {
		t.Errorf("the rescan found %d files; the source has %d", p.Totals.Files, made)
	}
	want, got := manifest(t, src), manifest(t, dst)
	for rel, n := range want {
		if n.Type == 'f' && got[rel].SHA256 != n.SHA256 {
			t.Errorf("%s at the destination: sha256 %q, want %s", rel, got[rel].SHA256, n.SHA256)
		}
	}
	if r := statusJSON(t, ExitOK, runDir); len(r.Succeeded) != p.Count() {
		t.Errorf("after the resume %d of %d partitions ok", len(r.Succeeded), p.Count())
	}
}

// killDuringScan starts the binary with args in a process group of its own
// and, once runDir holds a part file, stops the group (SIGSTOP), and kills
// it (SIGKILL). It reports whether the kill landed during the scan: plan.json
// was absent while the group stood still.
func killDuringScan(t *testing.T, bin, runDir string, args ...string) bool {
	t.Helper()
	cmd, exited, _ := startGroup(t, bin, args...)
	for {
		select {
		case err := <-exited:
			t.Logf("the run ended (%v) before a part file was seen", err)
			return false
		default:
		}
		if _, err := os.Stat(filepath.Join(runDir, "parts", "part.0")); err == nil {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	_, err := os.Stat(filepath.Join(runDir, "plan.json"))
	scanning := errors.Is(err, os.ErrNotExist)
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-exited
	t.Logf("killed with plan.json absent: %v", scanning)
	return scanning
}

// startGroup starts the binary with args in a process group of its own; its
// Wait's result arrives on exited, its stderr is collected.
func startGroup(t *testing.T, bin string, args ...string) (cmd *exec.Cmd, exited <-chan error, stderr *strings.Builder) {
	t.Helper()
	cmd = exec.Command(bin, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stderr = &strings.Builder{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	return cmd, done, stderr
}
