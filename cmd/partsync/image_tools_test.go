package main

// The image's transfer tools, checked without a Docker engine: the rclone the
// tests run is the one the Dockerfile builds, and the runtime stage's rsync
// install line accepts Debian's updates and refuses an older rsync.

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// dockerArg is the value of the Dockerfile's ARG name.
func dockerArg(t *testing.T, name string) string {
	t.Helper()
	for _, in := range readDockerfile(t) {
		if n, v, ok := strings.Cut(in.rest, "="); ok && in.cmd == "ARG" && n == name {
			return v
		}
	}
	t.Fatalf("the Dockerfile has no ARG %s=…", name)
	return ""
}

// TestRcloneIsImageVersion: the rclone on PATH, which every rclone test and
// e2e run, is the version the image ships (.ci/run puts .ci/rclone.sh's build
// first on PATH). Outside CI another rclone only skips.
func TestRcloneIsImageVersion(t *testing.T) {
	needTools(t, "rclone")
	want := dockerArg(t, "RCLONE_VERSION")
	out, err := exec.Command("rclone", "version").Output()
	if err != nil {
		t.Fatalf("rclone version: %v", err)
	}
	first, _, _ := strings.Cut(string(out), "\n")
	if got := strings.TrimPrefix(first, "rclone "); got != want {
		path, _ := exec.LookPath("rclone")
		msg := "the tests run " + path + " " + got + "; the image ships rclone " + want +
			": put it first on PATH with PATH=\"$(dirname \"$(bash .ci/rclone.sh)\"):$PATH\""
		if requireTools {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
}

// TestDockerfileRsyncFloor runs the runtime stage's install line as written,
// with apt-get, useradd and the other commands that change the system
// replaced by no-ops, dpkg's real --compare-versions, and dpkg-query telling
// the installed rsync's version: the real one, or a fake older or newer one.
func TestDockerfileRsyncFloor(t *testing.T) {
	var line string
	for _, in := range readDockerfile(t) {
		if in.cmd == "RUN" && strings.Contains(in.rest, "dpkg --compare-versions") {
			line = in.rest
		}
	}
	if line == "" || !strings.Contains(line, "apt-get install") {
		t.Fatal("the Dockerfile installs rsync without a dpkg --compare-versions floor check")
	}
	floor := dockerArg(t, "RSYNC_MIN_VERSION")
	dpkg, err := exec.LookPath("dpkg")
	if err != nil {
		t.Skip("no dpkg here: the floor check is Debian's")
	}
	realQuery, err := exec.LookPath("dpkg-query")
	if err != nil {
		t.Skip("no dpkg-query here")
	}
	installed, err := exec.Command(realQuery, "-W", "-f=${Version}", "rsync").Output()
	if err != nil {
		needTools(t, "rsync")
		t.Skipf("rsync is not a Debian package here: %v", err)
	}
	for _, c := range []struct {
		name, version string // version "" is the real dpkg-query
		ok            bool
	}{
		{"installed " + string(installed), "", true},
		{"the floor itself", floor, true},
		{"the next security update", strings.TrimSuffix(floor, "1") + "2", true},
		{"a newer upstream", "3.5.1-1", true},
		{"bookworm's release", "3.2.7-1+deb12u2", false},
		{"a lower Debian revision", "3.5.0+ds1-0", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			bin := t.TempDir()
			for _, noop := range []string{"apt-get", "groupadd", "useradd", "install", "rm"} {
				writeScript(t, filepath.Join(bin, noop), "exit 0")
			}
			if err := os.Symlink(dpkg, filepath.Join(bin, "dpkg")); err != nil {
				t.Fatal(err)
			}
			if c.version == "" {
				err = os.Symlink(realQuery, filepath.Join(bin, "dpkg-query"))
			} else {
				writeScript(t, filepath.Join(bin, "dpkg-query"), `[ "$1 $2 $3" = '-W -f=${Version} rsync' ] || exit 2; printf %s '`+c.version+`'`)
			}
			if err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command("/bin/sh", "-c", line)
			cmd.Env = []string{"PATH=" + bin, "RSYNC_MIN_VERSION=" + floor}
			out, err := cmd.CombinedOutput()
			if c.ok && err != nil {
				t.Errorf("the install line refuses rsync %q with the floor %s: %v\n%s", c.version, floor, err, out)
			}
			if !c.ok && (err == nil || !strings.Contains(string(out), "older than RSYNC_MIN_VERSION="+floor)) {
				t.Errorf("the install line accepts rsync %s below the floor %s (%v):\n%s", c.version, floor, err, out)
			}
		})
	}
}

// writeScript writes an executable /bin/sh script.
func writeScript(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
}
