package main

// Issue 11 §6: a shared dir that fills up ends the run with the documented
// exit code 4 (ExitRunDir), not 1.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestHostileSharedDirFull(t *testing.T) {
	needRoot(t, "a small tmpfs in a mount namespace of its own")
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Fatalf("unshare (util-linux) is not installed: %v", err)
	}
	needTools(t, "rsync")
	bin := buildPartsync(t, t.TempDir())
	base := t.TempDir()
	src := filepath.Join(base, "src")
	long := strings.Repeat("n", 200)
	for i := range 600 { // 600 names of 200 bytes: the part files and the manifest need more than 64 KiB
		writeFile(t, filepath.Join(src, fmt.Sprintf("%s-%03d", long, i)), []byte("x"), 0o644, fixedTime)
	}
	if err := os.Mkdir(filepath.Join(base, "small"), 0o755); err != nil {
		t.Fatal(err)
	}
	argv := []string{"unshare", "-m", "--propagation", "private", "sh", "-c", `mount -t tmpfs -o size=64k tmpfs "$1" && shift && exec "$@"`, "sh",
		"small", bin, "run", "-d", "small/runs", "src", "dst"}
	code, out := runIn(t, base, argv...)
	if code != ExitRunDir || !strings.Contains(out, "no space left on device") {
		t.Errorf("exit %d, want %d (ExitRunDir) naming the full device:\n%s", code, ExitRunDir, out)
	}
}
