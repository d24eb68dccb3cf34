package main

import (
	"bytes"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// TestHelpExamples: every command's --help ends with two or three examples
// (one for the pods' commands), and each runs, exiting 0, against the
// sample trees of TestDocCommands, after a run named nightly.
func TestHelpExamples(t *testing.T) {
	needTools(t, "rsync", "rclone")
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	for _, cmd := range newApp(Streams{}).Commands {
		t.Run(cmd.Name, func(t *testing.T) {
			help := mustPartsync(t, cmd.Name, "--help").stdout
			_, examples, ok := strings.Cut(help, "\nEXAMPLES:\n")
			commands := commandLines("partsync "+cmd.Name+" --help", examples, false)
			want := 2
			if cmd.Hidden {
				want = 1
			}
			if !ok || len(commands) < want || len(commands) > 3 {
				t.Fatalf("partsync %s --help ends with %d examples, want %d to 3:\n%s", cmd.Name, len(commands), want, help)
			}
			runDocCommands(t, root, "partsync "+cmd.Name+" --help", commands, func(base string) {
				mnt := filepath.Join(base, "mnt")
				mustPartsync(t, "run", "--run-id", "nightly", "-d", filepath.Join(mnt, "shared", "runs"),
					filepath.Join(mnt, "lustre", "project"), filepath.Join(mnt, "fss", "nightly"))
			})
		})
	}
}

// TestHelpWraps: with a width, every line of a command's help that has a
// space to break at fits in it; without one (not a terminal) a flag's line
// stays whole.
func TestHelpWraps(t *testing.T) {
	app := newApp(Streams{})
	cmd := app.Command("generate")
	render := func(width int) string {
		var b bytes.Buffer
		wrappingHelpPrinter(func(io.Writer) int { return width })(&b, cli.CommandHelpTemplate, cmd)
		return b.String()
	}
	long := 0
	for _, line := range strings.Split(render(0), "\n") {
		long = max(long, len(line))
	}
	if long <= 100 {
		t.Fatalf("unwrapped help's longest line is %d bytes; the test needs a longer one", long)
	}
	for _, line := range strings.Split(render(80), "\n") {
		if len(line) > 80 && strings.Contains(strings.TrimSpace(line), " ") {
			t.Errorf("line of %d bytes in help wrapped at 80: %q", len(line), line)
		}
	}
}
