package tool

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/partsync/partsync/generator/plan"
)

// runMetered runs the argv t builds for the files of src listed in names,
// with a Meter, and returns what the meter read and the log.
func runMetered(t *testing.T, tl Tool, src, dst string, names ...string) (plan.Sent, bool, string, string) {
	t.Helper()
	list := filepath.Join(t.TempDir(), "list")
	sep := string(tl.Separator())
	if err := os.WriteFile(list, []byte(strings.Join(names, sep)+sep), 0o644); err != nil {
		t.Fatal(err)
	}
	argv := tl.Argv(Job{Source: src, Destination: dst, PartFile: list, Options: tl.DefaultOptions()})
	var log, errText bytes.Buffer
	m := NewMeter(tl.Name(), tl.DefaultOptions(), &log, &errText)
	cmd := exec.CommandContext(context.Background(), argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), "RCLONE_CONFIG="+filepath.Join(t.TempDir(), "none.conf"))
	cmd.Stdout, cmd.Stderr = m.Stdout(), m.Stderr()
	err := cmd.Run()
	m.Close()
	if err != nil && !strings.Contains(dst, "/proc/") {
		t.Fatalf("%q: %v\n%s", argv, err, log.String())
	}
	sent, ok := m.Sent()
	return sent, ok, log.String(), errText.String()
}

// TestMeterReadsWhatTheToolSent runs real rsync and rclone twice over the
// same files: the first run sends both files and their bytes, the re-run
// sends nothing, and a re-run after one file grew sends that file alone.
func TestMeterReadsWhatTheToolSent(t *testing.T) {
	for _, tl := range []Tool{Rsync{}, Rclone{}} {
		t.Run(tl.Name(), func(t *testing.T) {
			if _, err := exec.LookPath(tl.Name()); err != nil {
				t.Skipf("%s not installed", tl.Name())
			}
			src, dst := t.TempDir(), filepath.Join(t.TempDir(), "dst")
			if err := os.WriteFile(filepath.Join(src, "a"), bytes.Repeat([]byte("x"), 100_000), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(src, "b"), []byte("12345"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(dst, 0o755); err != nil {
				t.Fatal(err)
			}
			for _, step := range []struct {
				grow string
				want plan.Sent
			}{
				{"", plan.Sent{Files: 2, Bytes: 100_005}},
				{"", plan.Sent{}},
				{"b", plan.Sent{Files: 1, Bytes: 11}},
			} {
				if step.grow != "" {
					f, err := os.OpenFile(filepath.Join(src, step.grow), os.O_APPEND|os.O_WRONLY, 0)
					if err != nil {
						t.Fatal(err)
					}
					_, _ = f.WriteString("678901")
					_ = f.Close()
				}
				sent, ok, log, _ := runMetered(t, tl, src, dst, "a", "b")
				if !ok || sent != step.want {
					t.Fatalf("sent = %+v (reported %v); want %+v\nlog:\n%s", sent, ok, step.want, log)
				}
				if strings.Contains(log, `{"`) {
					t.Errorf("the log holds rclone's JSON; want its text form:\n%s", log)
				}
			}
		})
	}
}

// TestMeterRcloneErrorsAsText: rclone's errors reach the log and the
// error text in rclone's own text form, object name first.
func TestMeterRcloneErrorsAsText(t *testing.T) {
	if _, err := exec.LookPath("rclone"); err != nil {
		t.Skip("rclone not installed")
	}
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "a"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	sent, ok, log, errText := runMetered(t, Rclone{}, src, "/proc/no/such/dir", "a")
	if !ok || sent != (plan.Sent{}) {
		t.Errorf("sent = %+v (reported %v); want nothing, reported", sent, ok)
	}
	for name, out := range map[string]string{"log": log, "error text": errText} {
		if !strings.Contains(out, "ERROR : a: Failed to copy") || strings.Contains(out, `"level"`) {
			t.Errorf("%s does not hold rclone's text error line:\n%s", name, out)
		}
	}
	// The statistics block is in the log, not in the error text.
	if !strings.Contains(log, "Errors:") || strings.Contains(errText, "Errors:") || strings.Contains(errText, "NOTICE") {
		t.Errorf("rclone's statistics: want them in the log only\nlog:\n%s\nerror text:\n%s", log, errText)
	}
}
