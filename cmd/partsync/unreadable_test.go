package main

// Unreadable directories and files, as a user who cannot read them. The
// tests run as root, whom no permission stops, so this one builds the
// partsync binary and runs it as an unprivileged uid.

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// unprivileged is the uid and gid the test runs partsync as: one no other
// process uses, since Linux accounts pipe buffers per user and rclone (its
// go-fuse splice pool) panics at start when the user's quota is used up by
// other processes of a shared uid such as nobody.
func unprivileged() int { return 50000 + os.Getpid()%10000 }

// buildPartsync compiles this command into dir.
func buildPartsync(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "partsync")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// openTempDir is a t.TempDir that other users may enter (t.TempDir makes
// it and its parent 0700).
func openTempDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{dir, filepath.Dir(dir)} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestUnreadableAsNonRoot: a directory the user cannot read is in the
// skipped list with its path and "permission denied", and the summary names
// it; a file the user cannot read fails its partition, and the summary names
// the file and the error; every other file is copied and the run exits 5.
// Once the file is readable, `run --resume` copies it and exits 8: every
// partition ok, but the directory was never read; with --allow-unreadable 0.
func TestUnreadableAsNonRoot(t *testing.T) {
	needRoot(t, "to run partsync as another user")
	bin := buildPartsync(t, openTempDir(t))
	for _, tool := range []string{"rsync", "rclone"} {
		t.Run(tool, func(t *testing.T) {
			needTools(t, tool)
			t.Parallel()
			asUser := func(c *exec.Cmd) *exec.Cmd {
				c.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(unprivileged()), Gid: uint32(unprivileged())}}
				return c
			}
			// Some rclone builds (Debian's, with go-fuse) panic at start
			// as a non-root user on some kernels: "splice: permission denied".
			if out, err := asUser(exec.Command(tool, "--version")).CombinedOutput(); err != nil {
				t.Skipf("%s does not start as uid %d here (not partsync's doing): %v\n%s", tool, unprivileged(), err, out)
			}
			base := openTempDir(t)
			src, dst, shared := filepath.Join(base, "src"), filepath.Join(base, "dst"), filepath.Join(base, "runs")
			sourceTree(t, src)
			old := time.Date(2022, 2, 2, 2, 2, 2, 0, time.UTC)
			writeFile(t, filepath.Join(src, "locked", "inside"), []byte("unreadable directory"), 0o644, old)
			writeFile(t, filepath.Join(src, "a", "secret.txt"), []byte("unreadable file"), 0o600, old)
			if err := os.Chmod(filepath.Join(src, "locked"), 0o700); err != nil {
				t.Fatal(err)
			}
			for _, d := range []string{dst, shared} {
				if err := os.Mkdir(d, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.Chown(d, unprivileged(), unprivileged()); err != nil {
					t.Fatal(err)
				}
			}

			runAs := func(want int, args ...string) string {
				t.Helper()
				cmd := exec.Command(bin, args...)
				cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + base}
				asUser(cmd)
				var stderr bytes.Buffer
				cmd.Stderr = &stderr
				err := cmd.Run()
				code := 0
				if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
					code = ee.ExitCode()
				} else if err != nil {
					t.Fatalf("partsync %q: %v", args, err)
				}
				if code != want {
					t.Fatalf("partsync %q: exit %d, want %d\n%s", args, code, want, stderr.String())
				}
				return stderr.String()
			}
			summary := runAs(ExitFailed, "run", "-m", tool, "-n", "2", "-f", "8", "--retries", "0", "-d", shared, "--run-id", "unr", src, dst)
			runDir := filepath.Join(shared, "unr")
			skipped := readSkipped(t, runDir)
			if reason := skipped["locked"]; !strings.Contains(reason, "permission denied") {
				t.Errorf("skipped[locked] = %q, want the permission error; skipped: %q", reason, skipped)
			}
			bad := partOf(t, runDir, tool, "a/secret.txt")
			st := loadStatus(t, runDir, bad)
			if st.OK || !strings.Contains(st.Error, "secret.txt") || !strings.Contains(strings.ToLower(st.Error), "permission denied") {
				t.Errorf("status of part %d: ok=%v error %q; want a failure naming secret.txt and the permission error", bad, st.OK, st.Error)
			}
			if !strings.Contains(summary, `1 entry could not be read by the scan and is not copied (permission denied or I/O error): "locked"`) {
				t.Errorf("the summary does not name the unreadable directory:\n%s", summary)
			}
			if !strings.Contains(summary, "part ") || !strings.Contains(summary, "FAILED") || !strings.Contains(summary, "secret.txt") ||
				!strings.Contains(summary, "in no partition; reasons in "+filepath.Join(runDir, "skipped")) {
				t.Errorf("the summary does not name the unreadable file and the skipped list:\n%s", summary)
			}
			// Everything readable arrived.
			for rel, n := range manifest(t, src) {
				if n.Type != 'f' || rel == "a/secret.txt" || strings.HasPrefix(rel, "locked/") {
					continue
				}
				if data, err := os.ReadFile(filepath.Join(dst, rel)); err != nil || sha256hex(data) != n.SHA256 {
					t.Errorf("%s at the destination: %v", rel, err)
				}
			}
			// The file made readable: the resume copies it, and exits 8
			// for the directory the scan could not read, unless allowed.
			if err := os.Chmod(filepath.Join(src, "a", "secret.txt"), 0o644); err != nil {
				t.Fatal(err)
			}
			resumed := runAs(ExitUnreadable, "run", "--resume", "unr", "-d", shared)
			if !strings.Contains(resumed, `"locked"`) || !strings.Contains(resumed, "--allow-unreadable") {
				t.Errorf("the resume's exit 8 does not name the directory and the flag:\n%s", resumed)
			}
			runAs(ExitOK, "run", "--resume", "unr", "-d", shared, "--allow-unreadable")
			if data, err := os.ReadFile(filepath.Join(dst, "a", "secret.txt")); err != nil || string(data) != "unreadable file" {
				t.Errorf("a/secret.txt after the resume: %q, %v", data, err)
			}
		})
	}
}
