package workflow

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestRootCapabilitiesCopyEverything: root with only rootCapabilities (the
// bounding set a container runtime gives a pod that drops ALL and adds
// them) runs the real rsync -a --numeric-ids over another user's 0700
// directory holding a 0000 file, and the copy has its bytes, owner and
// mode. Without DAC_OVERRIDE the same copy fails, so the test can tell.
func TestRootCapabilitiesCopyEverything(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run rsync as root with fewer capabilities")
	}
	needPrograms(t, "rsync", "setpriv")
	const owner = 1234
	run := func(t *testing.T, caps []string) (string, error) {
		base := t.TempDir()
		src, dst := filepath.Join(base, "src"), filepath.Join(base, "dst")
		private := filepath.Join(src, "home", "private")
		if err := os.MkdirAll(private, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(private, "secret"), []byte("only the owner"), 0o600); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			path string
			mode os.FileMode
		}{{filepath.Join(private, "secret"), 0}, {private, 0o700}} {
			if err := os.Chown(c.path, owner, owner); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(c.path, c.mode); err != nil {
				t.Fatal(err)
			}
		}
		bounding := "-all"
		for _, c := range caps {
			bounding += ",+" + strings.ToLower(c)
		}
		cmd := exec.Command("setpriv", "--bounding-set", bounding, "--", "rsync", "-a", "--numeric-ids", src+"/", dst+"/")
		out, err := cmd.CombinedOutput()
		if err != nil {
			return string(out), err
		}
		got, err := os.ReadFile(filepath.Join(dst, "home", "private", "secret"))
		if err != nil || !bytes.Equal(got, []byte("only the owner")) {
			t.Fatalf("the copy of the 0000 file: %q, %v", got, err)
		}
		for path, mode := range map[string]os.FileMode{"home/private": 0o700 | os.ModeDir, "home/private/secret": 0} {
			st, err := os.Lstat(filepath.Join(dst, path))
			if err != nil {
				t.Fatal(err)
			}
			if sys := st.Sys().(*syscall.Stat_t); st.Mode() != mode || sys.Uid != owner || sys.Gid != owner {
				t.Errorf("%s at the destination: %v %d:%d; want %v %d:%d", path, st.Mode(), sys.Uid, sys.Gid, mode, owner, owner)
			}
		}
		return string(out), nil
	}
	var caps []string
	for _, c := range rootCapabilities() {
		caps = append(caps, string(c))
	}
	if out, err := run(t, caps); err != nil {
		t.Fatalf("rsync as root with %v: %v\n%s", caps, err, out)
	}
	var fewer []string
	for _, c := range caps {
		if c != "DAC_OVERRIDE" {
			fewer = append(fewer, c)
		}
	}
	if out, err := run(t, fewer); err == nil {
		t.Fatalf("rsync as root with %v (no DAC_OVERRIDE) copied a 0000 file of another user; the test cannot tell:\n%s", fewer, out)
	} else {
		t.Logf("without DAC_OVERRIDE, as expected: %v: %s", err, strings.TrimSpace(out))
	}
}
