package main

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestRunUnwritableDestinationAsNonRoot: `run` as the image's non-root
// user (65532) onto a DST that user cannot write, or cannot create, stops
// before the scan with one line naming DST, the user and the reason, exit 4,
// and no run directory; a DST the user owns is copied; `run --resume` of a
// run whose DST became unwritable stops the same way before its pending
// partitions run, or before it scans again a run stopped during its scan. (Before the check, the first case scanned, then failed in
// every partition with "mkdir …: permission denied", exit 5.)
func TestRunUnwritableDestinationAsNonRoot(t *testing.T) {
	needTools(t, "rsync")
	needRoot(t, "to run partsync as another user")
	const uid = 65532 // the image's user, as in the pods
	base := openTempDir(t)
	bin := buildPartsync(t, base)
	src, shared := filepath.Join(base, "src"), filepath.Join(base, "runs")
	sourceTree(t, src)
	if err := os.Mkdir(shared, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(shared, uid, uid); err != nil {
		t.Fatal(err)
	}
	rootOwned := filepath.Join(base, "root-owned") // 0755 root: others may enter, not write
	if err := os.Mkdir(rootOwned, 0o755); err != nil {
		t.Fatal(err)
	}
	aFile := filepath.Join(base, "a-file")
	if err := os.WriteFile(aFile, []byte("x"), 0o666); err != nil {
		t.Fatal(err)
	}
	partsyncAs := func(args ...string) (int, string) {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + base}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: uid}}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		var ee *exec.ExitError
		switch {
		case err == nil:
			return 0, stderr.String()
		case errors.As(err, &ee):
			return ee.ExitCode(), stderr.String()
		}
		t.Fatalf("partsync %q: %v", args, err)
		return 0, ""
	}
	runs := func() []os.DirEntry {
		entries, err := os.ReadDir(shared)
		if err != nil {
			t.Fatal(err)
		}
		return entries
	}

	for name, tc := range map[string]struct {
		dst, want string
	}{
		"existing, not writable": {rootOwned, "DST " + rootOwned + " cannot be written by uid 65532: permission denied"},
		"missing, under a directory not writable": {filepath.Join(rootOwned, "new", "deeper"),
			"DST " + filepath.Join(rootOwned, "new", "deeper") + " cannot be created by uid 65532: " + rootOwned + ": permission denied"},
		"a file": {filepath.Join(aFile, "sub"), aFile + " is not a directory"},
	} {
		t.Run(name, func(t *testing.T) {
			code, stderr := partsyncAs("run", "-f", "4", "--retries", "0", "-d", shared, src, tc.dst)
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			if code != ExitRunDir || len(lines) != 1 || !strings.Contains(lines[0], tc.want) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit %d and one line holding %q", code, stderr, ExitRunDir, tc.want)
			}
			if n := len(runs()); n != 0 {
				t.Errorf("%d run directories left in %s; want none", n, shared)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(rootOwned, "new")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the refused run created part of DST: %v", err)
	}

	// The same user copies into a DST it owns: the check refuses no more than it must.
	dst := filepath.Join(base, "dst")
	if err := os.Mkdir(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dst, uid, uid); err != nil {
		t.Fatal(err)
	}
	if code, stderr := partsyncAs("run", "-f", "4", "--retries", "0", "-d", shared, "--run-id", "owned", src, filepath.Join(dst, "copy")); code != 0 {
		t.Fatalf("run into a DST uid %d owns: exit %d\n%s", uid, code, stderr)
	}
	for rel, n := range manifest(t, src) {
		if n.Type != 'f' {
			continue
		}
		if data, err := os.ReadFile(filepath.Join(dst, "copy", rel)); err != nil || sha256hex(data) != n.SHA256 {
			t.Errorf("%s at the destination: %v", rel, err)
		}
	}

	// The run's DST becomes root's; partition 0 has no status and a file
	// of it changed, so it has work to do: resume refuses before it runs.
	if err := os.Remove(filepath.Join(shared, "owned", "status", "0.json")); err != nil {
		t.Fatal(err)
	}
	changed := ""
	for _, rel := range readPart(t, filepath.Join(shared, "owned"), 0, separator("rsync")) {
		if st, err := os.Lstat(filepath.Join(src, rel)); err == nil && st.Mode().IsRegular() {
			changed = rel
			break
		}
	}
	if changed == "" {
		t.Fatal("part 0 lists no file")
	}
	writeFile(t, filepath.Join(src, changed), []byte("changed after the copy"), 0o644, time.Now())
	err := filepath.WalkDir(filepath.Join(dst, "copy"), func(path string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(path, 0, 0) // the whole copy is root's now
	})
	if err != nil {
		t.Fatal(err)
	}
	code, stderr := partsyncAs("run", "--resume", "owned", "--retries", "0", "-d", shared)
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	want := "DST " + filepath.Join(dst, "copy") + " cannot be written by uid 65532: permission denied"
	if code != ExitRunDir || !strings.Contains(lines[len(lines)-1], want) || strings.Contains(stderr, "running 1 partition") {
		t.Errorf("resume: exit %d, stderr:\n%s\nwant exit %d before any partition runs, the last line holding %q", code, stderr, ExitRunDir, want)
	}
	if _, err := os.Stat(filepath.Join(shared, "owned", "status", "0.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the refused resume ran partition 0: %v", err)
	}

	// A run stopped during its scan (header.json, no plan.json) is scanned again on resume: refused before that too.
	if err := os.Remove(filepath.Join(shared, "owned", "plan.json")); err != nil {
		t.Fatal(err)
	}
	code, stderr = partsyncAs("run", "--resume", "owned", "--retries", "0", "-d", shared)
	lines = strings.Split(strings.TrimSpace(stderr), "\n")
	if code != ExitRunDir || len(lines) != 1 || !strings.Contains(lines[0], want) {
		t.Errorf("resume of a stopped scan: exit %d, stderr:\n%s\nwant exit %d and one line holding %q", code, stderr, ExitRunDir, want)
	}
	if _, err := os.Stat(filepath.Join(shared, "owned", "header.json")); err != nil {
		t.Errorf("the refused resume removed the run it was to scan again: %v", err)
	}
}
