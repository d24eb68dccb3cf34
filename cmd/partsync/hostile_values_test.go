package main

// Issue 11 §7: values that cannot work get a clear one-line error naming
// them, exit 2, and nothing made.

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestHostileValues(t *testing.T) {
	base := t.TempDir()
	src := filepath.Join(base, "src")
	writeFile(t, filepath.Join(src, "f"), []byte("data\n"), 0o644, fixedTime)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"generate", "--pvc", "data:" + base, "--image", "ghcr.io/x y:1"}, `--image "ghcr.io/x y:1" is not an image reference`},
		{[]string{"generate", "--pvc", "data:" + base, "--image", "ghcr.io/x\n:1"}, `is not an image reference`},
		{[]string{"template", "--pvc", "data:" + base, "--image", "ghcr.io/x y:1"}, `is not an image reference`},
		{[]string{"generate", "--pvc", "data:" + base, "--pvc", "a:/proc"}, `mount path "/proc" is in /proc`},
		{[]string{"generate", "--pvc", "data:" + base, "--pvc", "a:/etc/ssl"}, `mount path "/etc/ssl" is in /etc`},
		{[]string{"generate", "--pvc", "data:" + base, "--pvc", "a:/usr/local/bin"}, `is in /usr`},
		{[]string{"generate", "--pvc", "data:" + base, "--scan-workers", "0"}, "--scan-workers 0: give at least 1"},
		{[]string{"run", "--scan-workers", "0"}, "--scan-workers 0: give at least 1"},
		{[]string{"run", "--scan-workers", "-3"}, "--scan-workers -3: give at least 1"},
	}
	for i, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			shared := filepath.Join(base, "runs", strconv.Itoa(i))
			args := append(append(append([]string{}, c.args...), "-d", shared), src, filepath.Join(base, "dst"))
			if c.args[0] == "template" {
				args = append(append([]string{}, c.args...), src, filepath.Join(base, "dst"))
			}
			res := partsync(context.Background(), args...)
			msg := errText(res.err)
			if res.code != ExitUsage || !strings.Contains(msg, c.want) {
				t.Errorf("exit %d, want %d and %q:\n%s", res.code, ExitUsage, c.want, res)
			}
			if _, err := os.Stat(shared); !os.IsNotExist(err) {
				t.Errorf("a refused command left the shared dir: %v", err)
			}
		})
	}
}
