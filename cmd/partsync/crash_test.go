package main

// The machine running `partsync run` dies mid-run (SIGKILL to partsync and
// the tools it started): `run --resume` finishes the run.

import (
	"context"
	"crypto/rand"
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
	cmd := exec.Command(bin, "run", "-o", "-a --numeric-ids --bwlimit=2000", "-n", "1", "-f", "6", "-s", "1M",
		"-d", shared, "--run-id", "crash", src, dst)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
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
	if !strings.Contains(res.stderr, fmt.Sprintf("running %d partition(s): %s", len(before.Missing), ranges(before.Missing))) {
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
