package main

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestFlagsAfterArguments: `partsync run SRC DST -n 4 …` and
// `partsync status RUN -d DIR` work as kubectl and argo users write them
// (both exited 2 before), a value that looks like a flag stays the value of
// its flag, and the transfer's argv after `--` is left as it is.
func TestFlagsAfterArguments(t *testing.T) {
	needTools(t, "rsync")
	base := t.TempDir()
	src := buildSampleTree(t, filepath.Join(base, "src"), 3, 4).root
	dst, shared := filepath.Join(base, "dst"), filepath.Join(base, "shared")
	mustPartsync(t, "run", src, dst, "-n", "4", "-d", shared, "--run-id", "after", "-o", "-a -H", "-f", "3")
	p := loadPlan(t, filepath.Join(shared, "after"))
	if !slices.Equal(p.ToolOptions, []string{"-a", "-H"}) {
		t.Errorf("-o after the arguments gave tool options %q, want [-a -H]", p.ToolOptions)
	}
	if len(p.Partitions) < 2 {
		t.Errorf("-f 3 after the arguments gave %d partitions", len(p.Partitions))
	}
	mustPartsync(t, "status", "after", "-d", shared)
	mustPartsync(t, "status", "after", "-d", shared, "--output", "json")
	for _, args := range [][]string{{"lint", "x.yaml", "--namespace"}, {"status", "after", "-d"}} {
		if res := partsync(t.Context(), args...); res.code != ExitUsage || !strings.Contains(res.String(), "needs a value") {
			t.Errorf("partsync %q, a flag without its value: exit %d, want %d naming it\n%s", args, res.code, ExitUsage, res)
		}
	}
}

// TestFlagsFirstKeepsArgv: the reordering moves each flag with its value
// and leaves every word after `--` in place, flags or not.
func TestFlagsFirstKeepsArgv(t *testing.T) {
	cmd := transferCommand(Streams{})
	got, err := flagsFirst(cmd, []string{"--run-dir", "D", "--part", "3", "--", "rsync", "-a", "--part", "x"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"--run-dir", "D", "--part", "3", "--", "rsync", "-a", "--part", "x"}
	if !slices.Equal(got, want) {
		t.Errorf("flagsFirst = %q, want %q", got, want)
	}
	run := runCommand(Streams{})
	got, err = flagsFirst(run, []string{"SRC", "DST", "-o", "--delete", "-n=4", "--live=false", "-x", "-n"})
	if err != nil {
		t.Fatal(err)
	}
	want = []string{"-o", "--delete", "-n=4", "--live=false", "-x", "-n", "SRC", "DST"}
	if !slices.Equal(got, want) {
		t.Errorf("flagsFirst = %q, want %q", got, want)
	}
}

// TestHelpAndVersionToStdout: what was asked for goes to stdout, as with
// kubectl and argo (`partsync --help | less`), for the app and a command.
func TestHelpAndVersionToStdout(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"--version"}, {"run", "--help"}, {"status", "-h"}} {
		res := partsync(t.Context(), args...)
		if res.code != ExitOK || res.stdout == "" || res.stderr != "" {
			t.Errorf("partsync %q: exit %d, %d bytes on stdout, stderr %q; want the text on stdout alone", args, res.code, len(res.stdout), res.stderr)
		}
	}
}

// TestVersionFlag: --version prints the version; -v is not its alias, as
// urfave/cli's own version flag has it, because fpsync users mean --verbose
// by -v: `partsync -v` is a usage error that prints no version (and `run -v`
// is --verbose, TestVerboseQuiet). The help keeps its VERSION section.
func TestVersionFlag(t *testing.T) {
	if res := partsync(t.Context(), "--version"); res.code != ExitOK || res.stdout != "partsync version "+version+"\n" {
		t.Errorf("partsync --version: exit %d, stdout %q; want 0 and %q", res.code, res.stdout, "partsync version "+version+"\n")
	}
	if res := partsync(t.Context(), "-v"); res.code != ExitUsage || strings.Contains(res.stdout+res.stderr, version) {
		t.Errorf("partsync -v: exit %d, stdout %q, stderr %q; want exit %d and no version", res.code, res.stdout, res.stderr, ExitUsage)
	}
	help := partsync(t.Context(), "--help").stdout
	if !strings.Contains(help, "VERSION:\n   "+version+"\n") || !strings.Contains(help, "--version ") || strings.Contains(help, "--version, -v") {
		t.Errorf("partsync --help: want a VERSION section and --version without -v:\n%s", help)
	}
}

// TestHelpCommand: `partsync help` and `partsync help COMMAND` print the
// same help as --help, on stdout (exit 2 "unknown command" before); an
// unknown command after help is still a usage error.
func TestHelpCommand(t *testing.T) {
	for _, tc := range [][]string{{"help"}, {"help", "run"}, {"help", "transfer"}} {
		want := partsync(context.Background(), append(tc[1:], "--help")...)
		got := partsync(context.Background(), tc...)
		if got.code != ExitOK || got.stdout == "" || got.stdout != want.stdout {
			t.Errorf("partsync %s: want exit 0 and the help of --help on stdout; got\n%s\nwant\n%s", strings.Join(tc, " "), got, want)
		}
	}
	if res := partsync(context.Background(), "help", "nosuch"); res.code != ExitUsage {
		t.Errorf("partsync help nosuch: want exit %d, got\n%s", ExitUsage, res)
	}
}

// TestPodCommandsHidden: the commands only a workflow's pods run (transfer,
// record, dirs) are left out of `partsync --help`'s list but still have their
// own help (and their flags in docs/flags.md, TestFlagsDoc).
func TestPodCommandsHidden(t *testing.T) {
	top := partsync(t.Context(), "--help").stdout
	for _, name := range []string{"transfer", "record", "dirs"} {
		if strings.Contains(top, "\n   "+name+" ") {
			t.Errorf("partsync --help lists the pod-side command %s:\n%s", name, top)
		}
		if res := partsync(t.Context(), name, "--help"); res.code != ExitOK || !strings.Contains(res.stdout, "--run-dir") {
			t.Errorf("partsync %s --help: want its help on stdout, got\n%s", name, res)
		}
	}
	if !strings.Contains(top, "\n   generate ") {
		t.Errorf("partsync --help lost generate:\n%s", top)
	}
}
