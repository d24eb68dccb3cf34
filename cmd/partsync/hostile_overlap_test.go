package main

// Issue 11 §1: SRC, DST and the run directory may not overlap however they
// are spelled. The probe's commands, word for word, run by the partsync
// binary in a directory holding the aliases: a symbolic link into the
// source used as DST's parent, a link to the source used as SRC, and (as
// root, in a mount namespace of its own) a bind mount of a source
// directory. Each must be refused with exit 2 and leave the source as it
// was.

import (
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// fixedTime is the mtime of the files the hostile tests write.
var fixedTime = time.Date(2020, 2, 2, 2, 2, 2, 0, time.UTC)

// runIn runs the partsync binary with args in dir and returns its exit
// code and stderr.
func runIn(t *testing.T, dir string, argv ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%q: %v", argv, err)
	}
	return code, string(out)
}

func TestHostileOverlapAliases(t *testing.T) {
	needTools(t, "rsync")
	bin := buildPartsync(t, t.TempDir())
	base := t.TempDir()
	src := filepath.Join(base, "src")
	writeFile(t, filepath.Join(src, "sub", "f"), []byte("source file\n"), 0o644, fixedTime)
	writeFile(t, filepath.Join(src, "top"), []byte("top\n"), 0o644, fixedTime)
	if err := os.Mkdir(filepath.Join(base, "dst"), 0o755); err != nil {
		t.Fatal(err)
	}
	for link, target := range map[string]string{"alias": "src/sub", "srcalias": "src", "runsalias": "src/sub", "dstalias": "dst"} {
		if err := os.Symlink(target, filepath.Join(base, link)); err != nil {
			t.Fatal(err)
		}
	}
	before := walkTree(t, src)
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"dst through a link into the source", []string{"run", "-d", "runs", "src", "alias/copy"}, "DST alias/copy and SRC src overlap"},
		{"source through a link", []string{"run", "-d", "runs", "srcalias", "src/sub/c2"}, "DST src/sub/c2 and SRC srcalias overlap"},
		{"run dir through a link into the source", []string{"run", "-d", "runsalias/runs", "src", "dst"}, "inside SRC"},
		{"generate: dst through a link", []string{"generate", "-d", "runs", "--pvc", "data:" + base, "src", "alias/copy"}, "DST alias/copy and SRC src overlap"},
		// The run's own files at DST would be extra entries there: verify
		// would fail, and --delete would delete the run directory.
		{"run dir inside DST", []string{"run", "-d", "out/.runs", "src", "out"}, "run directory out/.runs is inside DST out"},
		{"run dir through a link into DST", []string{"run", "-d", "dstalias/runs", "src", "dst"}, "inside DST dst through a symbolic link"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out := runIn(t, base, append([]string{bin}, c.args...)...)
			abs := strings.NewReplacer(base+"/", "")
			if code != ExitUsage || !strings.Contains(abs.Replace(out), c.want) {
				t.Errorf("partsync %q: exit %d, want %d and %q in:\n%s", c.args, code, ExitUsage, c.want, out)
			}
		})
	}
	if after := walkTree(t, src); len(after) != len(before) {
		t.Errorf("the source changed: %d entries, was %d: %q", len(after), len(before), slices.Sorted(maps.Keys(after)))
	}
	// Not an overlap: a link inside the source that points out of it is
	// not followed by the copy, and a destination beside the source.
	code, out := runIn(t, base, bin, "run", "-d", "runs", "src", "dst")
	if code != ExitOK {
		t.Errorf("a destination beside the source: exit %d\n%s", code, out)
	}
}

// TestHostileOverlapBindMount: DST below a bind mount of a source
// directory, and SRC a bind mount of DST's parent. Needs root for the
// mount namespace (CI runs as root).
func TestHostileOverlapBindMount(t *testing.T) {
	needRoot(t, "a bind mount in a mount namespace of its own")
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Fatalf("unshare (util-linux) is not installed: %v", err)
	}
	needTools(t, "rsync")
	bin := buildPartsync(t, t.TempDir())
	// bindThen mounts from on to (both below base) in a new mount
	// namespace, then runs the partsync binary with args in base; no user
	// data is in the script, only in its positional parameters.
	bindThen := func(base, from, to string, args ...string) (int, string) {
		argv := append([]string{"unshare", "-m", "--propagation", "private", "sh", "-c", `mount --bind "$1" "$2" && shift 2 && exec "$@"`, "sh", from, to, bin}, args...)
		return runIn(t, base, argv...)
	}
	cases := []struct {
		name     string
		from, to string
		args     []string
		want     string
	}{
		{"dst below a bind mount of a source dir", "src/sub", "bound", []string{"run", "-d", "runs", "src", "bound/copy"}, "DST bound/copy and SRC src overlap"},
		{"dst is a bind mount of the source", "src", "bound", []string{"run", "-d", "runs", "src", "bound"}, "DST bound and SRC src overlap"},
		{"run dir below a bind mount of the source", "src", "bound", []string{"run", "-d", "bound/runs", "src", "elsewhere/dst"}, "inside SRC"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			base := t.TempDir()
			src := filepath.Join(base, "src")
			writeFile(t, filepath.Join(src, "sub", "f"), []byte("source file\n"), 0o644, fixedTime)
			for _, d := range []string{"bound", "elsewhere"} {
				if err := os.Mkdir(filepath.Join(base, d), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			before := walkTree(t, src)
			code, out := bindThen(base, c.from, c.to, c.args...)
			if code != ExitUsage || !strings.Contains(strings.ReplaceAll(out, base+"/", ""), c.want) {
				t.Errorf("partsync %q with %s bound on %s: exit %d, want %d and %q in:\n%s", c.args, c.from, c.to, code, ExitUsage, c.want, out)
			}
			if after := walkTree(t, src); len(after) != len(before) {
				t.Errorf("the run wrote into the source: %q", slices.Sorted(maps.Keys(after)))
			}
		})
	}
}
