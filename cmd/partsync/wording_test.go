package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestWordingFailedRun: a run whose only partition fails says "nothing
// sent", not "nothing to copy", counts one partition and one attempt in the
// singular, and exits 5.
func TestWordingFailedRun(t *testing.T) {
	needTools(t, "rsync")
	base := t.TempDir()
	src := buildSampleTree(t, filepath.Join(base, "src"), 2, 2).root
	res := partsync(t.Context(), "run", src, blockedDst(t, src, filepath.Join(base, "dst")), "-d", filepath.Join(base, "runs"), "--retries", "0", "-n", "1")
	if res.code != ExitFailed {
		t.Fatalf("exit %d, want %d\n%s", res.code, ExitFailed, res)
	}
	for _, want := range []string{" 1 partition, ", "(nothing sent)", "FAILED after 1 attempt, "} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("stderr lacks %q\n%s", want, res.stderr)
		}
	}
	for _, bad := range []string{"nothing to copy", "1 partitions,", "attempt(s)"} {
		if strings.Contains(res.stderr, bad) {
			t.Errorf("stderr says %q\n%s", bad, res.stderr)
		}
	}
}

// TestFewPartitionsNote: -n 4 on a tree that fits one partition says why
// (the sizes against -f and -s) and how to get more (--auto, -f, -s).
func TestFewPartitionsNote(t *testing.T) {
	needTools(t, "rsync")
	base := t.TempDir()
	src := buildSampleTree(t, filepath.Join(base, "src"), 2, 3).root
	for _, live := range []string{"--live=true", "--live=false"} {
		res := mustPartsync(t, "run", src, filepath.Join(base, "dst"+live), "-d", filepath.Join(base, "runs"), "-n", "4", live)
		for _, want := range []string{"-n 4 but 1 partition: all ", "within -f 10000 and -s 512 MiB per partition", "3 of the workers stay idle", "--auto", "smaller -f or -s"} {
			if !strings.Contains(res.stderr, want) {
				t.Errorf("%s: stderr lacks %q\n%s", live, want, res.stderr)
			}
		}
	}
	if res := mustPartsync(t, "run", src, filepath.Join(base, "dst2"), "-d", filepath.Join(base, "runs"), "-n", "1"); strings.Contains(res.stderr, "stay idle") {
		t.Errorf("-n 1 with 1 partition gets the note\n%s", res.stderr)
	}
}

// TestBadFlagValueHints: a bare number for a duration asks for its unit
// (--backoff 30 → 30s), a word for a count asks for a whole number; both
// name the flag as it is written and exit 2.
func TestBadFlagValueHints(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "a", "b", "--backoff", "30"}, "--backoff 30: a duration needs its unit: write 30s"},
		{[]string{"generate", "a", "b", "--active-deadline", "72"}, "--active-deadline 72: a duration needs its unit: write 72s"},
		{[]string{"run", "a", "b", "-n", "four"}, `-n "four": give a whole number`},
	} {
		res := partsync(t.Context(), c.args...)
		if res.code != ExitUsage || !strings.Contains(errText(res.err), c.want) {
			t.Errorf("partsync %q: exit %d, want %d with %q\n%s", c.args, res.code, ExitUsage, c.want, res)
		}
	}
}

// TestLintFilesAndUsage: lint DIR counts the files it read; a name that
// does not exist is a usage error (2) naming it, not an invalid workflow (6).
func TestLintFilesAndUsage(t *testing.T) {
	dir := filepath.Join("..", "..", "templates")
	yamls, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	res := mustPartsync(t, "lint", dir)
	if want := fmt.Sprintf("partsync: %d files pass Argo", len(yamls)); len(yamls) < 2 || !strings.Contains(res.stderr, want) {
		t.Errorf("lint %s (%d YAML files): stderr lacks %q\n%s", dir, len(yamls), want, res.stderr)
	}
	missing := filepath.Join(t.TempDir(), "nothere.yaml")
	res = partsync(t.Context(), "lint", missing)
	if res.code != ExitUsage || !strings.Contains(errText(res.err), missing) {
		t.Errorf("lint of a missing file: exit %d, want %d naming it\n%s", res.code, ExitUsage, res)
	}
}

// TestCountsTakeTheirNounsNumber: lint's and the argument checks' counts
// read "1 problem", "1 argument", never "problem(s)" or "1 problems".
func TestCountsTakeTheirNounsNumber(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: x}\nspec: {entrypoint: nope}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"lint", bad}, ExitInvalid, "1 problem in " + bad},
		{[]string{"run", "onlysrc"}, ExitUsage, "got 1 argument: "},
		{[]string{"generate", "onlysrc"}, ExitUsage, "got 1 argument: "},
		{[]string{"template", "a"}, ExitUsage, "got 1 argument: "},
		{[]string{"verify", "a", "b"}, ExitUsage, "got 2 arguments: "},
	} {
		res := partsync(t.Context(), c.args...)
		if msg := errText(res.err); res.code != c.code || !strings.Contains(msg, c.want) || strings.Contains(msg, "(s)") {
			t.Errorf("partsync %q: exit %d, %q; want exit %d with %q", c.args, res.code, msg, c.code, c.want)
		}
	}
}

// TestProgressBarIEC: the terminal's bar counts bytes in IEC units, as the
// summary's bytesize.Format does (it said MB beside the summary's MiB).
func TestProgressBarIEC(t *testing.T) {
	var buf bytes.Buffer
	bar := newBar(&buf, 3<<20, "test")
	_ = bar.Add64(3 << 19)
	_ = bar.Finish()
	out := buf.String()
	if !strings.Contains(out, "MiB") || strings.Contains(out, " MB") {
		t.Errorf("progress bar units are not IEC: %q", out)
	}
}

// TestLintOutputJSON: lint -o json reports the files read, whether they
// are valid and each problem, on stdout, with lint's exit code (6 invalid).
func TestLintOutputJSON(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: x}\nspec: {entrypoint: nope}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path  string
		code  int
		valid bool
	}{{filepath.Join("..", "..", "templates"), ExitOK, true}, {bad, ExitInvalid, false}} {
		res := partsync(t.Context(), "lint", "-o", "json", c.path)
		var r lintReport
		if err := json.Unmarshal([]byte(res.stdout), &r); err != nil || res.code != c.code || r.Valid != c.valid || r.Files < 1 || (len(r.Problems) == 0) == !c.valid {
			t.Errorf("lint -o json %s: exit %d, %+v (%v)\n%s", c.path, res.code, r, err, res)
		}
	}
}

// TestInterruptedRunWording: a run stopped by Ctrl-C (its context
// cancelled) says "interrupted" and how to resume, exits 130, and does not
// report the stopped partitions as the tool's failures.
func TestInterruptedRunWording(t *testing.T) {
	needTools(t, "rsync")
	base := t.TempDir()
	src := filepath.Join(base, "src")
	for i := range 4 {
		writeFile(t, filepath.Join(src, fmt.Sprintf("d%d", i), "big"), bytes.Repeat([]byte{byte(i)}, 4<<20), 0o644, time.Now())
	}
	for _, live := range []string{"--live=true", "--live=false"} {
		ctx, cancel := context.WithCancel(t.Context())
		stop := time.AfterFunc(time.Second, cancel) // --bwlimit keeps the copies going for ~16s
		defer stop.Stop()
		runs := filepath.Join(base, "runs"+live)
		res := partsync(ctx, "run", src, filepath.Join(base, "dst"+live), "-d", runs, "--run-id", "intr", "-n", "2", "-f", "2", "--bwlimit", "512K", live)
		if res.code != ExitInterrupted {
			t.Fatalf("%s: exit %d, want %d\n%s", live, res.code, ExitInterrupted, res)
		}
		for _, want := range []string{"run intr interrupted after ", "resume: partsync run --resume intr -d " + runs} {
			if !strings.Contains(res.stderr, want) {
				t.Errorf("stderr lacks %q\n%s", want, res.stderr)
			}
		}
		if strings.Contains(res.stderr, "FAILED") {
			t.Errorf("an interrupted run reports FAILED partitions\n%s", res.stderr)
		}
	}
}

// TestVerboseQuiet: run -v prints each attempt's argv, -q leaves out the
// lines of partitions that succeeded but keeps the summary; both at once
// is a usage error.
func TestVerboseQuiet(t *testing.T) {
	needTools(t, "rsync")
	base := t.TempDir()
	src := buildSampleTree(t, filepath.Join(base, "src"), 2, 3).root
	runs := filepath.Join(base, "runs")
	v := mustPartsync(t, "run", src, filepath.Join(base, "v"), "-d", runs, "-f", "3", "-v")
	q := mustPartsync(t, "run", src, filepath.Join(base, "q"), "-d", runs, "-f", "3", "-q")
	n := mustPartsync(t, "run", src, filepath.Join(base, "n"), "-d", runs, "-f", "3")
	if got := strings.Count(v.stderr, `argv: ["rsync"`); got < 2 {
		t.Errorf("-v: %d argv lines, want one per attempt\n%s", got, v.stderr)
	}
	if strings.Contains(n.stderr, "argv:") || !strings.Contains(n.stderr, "attempt 1 ok") {
		t.Errorf("default output:\n%s", n.stderr)
	}
	if strings.Contains(q.stderr, "attempt 1 ok") || !strings.Contains(q.stderr, "partitions ok, 0 failed") {
		t.Errorf("-q:\n%s", q.stderr)
	}
	if res := partsync(t.Context(), "run", src, filepath.Join(base, "x"), "-d", runs, "-v", "-q"); res.code != ExitUsage {
		t.Errorf("-v -q: exit %d, want %d\n%s", res.code, ExitUsage, res)
	}
}

// blockedDst makes dst a destination rsync and rclone fail to copy src
// into: a non-empty directory where each file of src must go.
func blockedDst(t *testing.T, src, dst string) string {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		return os.MkdirAll(filepath.Join(dst, rel, "blocker"), 0o755)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}
