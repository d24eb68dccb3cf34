package recheck

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/partsync/partsync/generator/plan"
	"github.com/partsync/partsync/generator/prepare"
)

// write makes the files below root, with their directories.
func write(t *testing.T, root string, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if err := os.MkdirAll(filepath.Join(root, filepath.Dir(p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, p), []byte(p), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// scanned prepares a run of the tree at base/src with the tool, small
// partitions (so that directories are split) and one exclude pattern.
func scanned(t *testing.T, base, toolName string) *plan.Plan {
	t.Helper()
	p, err := prepare.Prepare(context.Background(), prepare.Request{
		Source: filepath.Join(base, "src"), Destination: filepath.Join(base, "dst"), Tool: toolName,
		MaxFiles: 3, MaxBytes: 1 << 30, Excludes: []string{"*.tmp"}, SharedDir: filepath.Join(base, "runs"),
		RunID: "r", ScanWorkers: 4, Version: "test", Getenv: func(string) string { return "" }, Now: time.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// addedList reads the run's added file.
func addedList(t *testing.T, p *plan.Plan) []string {
	t.Helper()
	data, err := os.ReadFile(p.Dir().AddedFile())
	if err != nil {
		t.Fatal(err)
	}
	if len(data) == 0 {
		return nil
	}
	if !bytes.HasSuffix(data, []byte{0}) {
		t.Fatalf("added file does not end with NUL: %q", data)
	}
	return strings.Split(string(data[:len(data)-1]), "\x00")
}

// TestRecheckNamesWhatTheScanDidNotSee: entries added after the scan, in
// split directories, in a new directory, next to names that sort around the
// path separator, are named in walk order; deleted entries, excluded ones and
// the ones a partition already reported are not.
func TestRecheckNamesWhatTheScanDidNotSee(t *testing.T) {
	base := t.TempDir()
	src := filepath.Join(base, "src")
	write(t, src, "a/1", "a/2", "a/3", "a/4", "a/5", "a b", "c/d/e", "z")
	p := scanned(t, base, "rsync")

	r, err := Run(context.Background(), p, 4)
	if err != nil {
		t.Fatal(err)
	}
	if r.Added != 0 || r.Warning != "" || r.Entries != 11 || addedList(t, p) != nil {
		t.Fatalf("an unchanged source: %+v, added %q", r, addedList(t, p))
	}

	write(t, src, "a/0", "a/6", "a/x.tmp", "a!", "a b2", "c/d/new/1", "c/d/new/2", "y", "reported")
	if err := os.Remove(filepath.Join(src, "a/3")); err != nil {
		t.Fatal(err)
	}
	if err := plan.SaveStatus(p.Dir(), &plan.Status{Part: 0, OK: true, Added: []string{"reported"}}); err != nil {
		t.Fatal(err)
	}
	r, err = Run(context.Background(), p, 4)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a/0", "a/6", "a b2", "a!", "c/d/new", "c/d/new/1", "c/d/new/2", "y"}
	if got := addedList(t, p); !slices.Equal(got, want) {
		t.Errorf("added file: %q, want %q", got, want)
	}
	if r.Added != int64(len(want)) || !slices.Equal(r.First, want[:plan.ShownPaths]) ||
		!strings.Contains(r.Warning, `8 entries added to the source after the scan were not copied`) ||
		!strings.Contains(r.Warning, `"a/0", "a/6", "a b2", "a!", "c/d/new" and 3 more (all in `+p.Dir().AddedFile()+")") {
		t.Errorf("recheck: %+v", r)
	}
	saved, ok, err := plan.LoadRecheck(p.Dir())
	if err != nil || !ok || saved.Added != r.Added || saved.Warning != r.Warning {
		t.Errorf("recheck.json: %+v, %v, %v; returned %+v", saved, ok, err, r)
	}
}

// TestRecheckWithoutManifest: a run directory without a manifest (from a
// partsync before the check) is an error that says so, and nothing is
// written.
func TestRecheckWithoutManifest(t *testing.T) {
	base := t.TempDir()
	write(t, filepath.Join(base, "src"), "a")
	p := scanned(t, base, "rclone")
	if err := os.Remove(p.Dir().ManifestFile()); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), p, 0); !errors.Is(err, ErrNoManifest) {
		t.Errorf("no manifest: %v, want ErrNoManifest", err)
	}
	// The step after the partitions goes on, saying it did not check.
	if r, skipped, err := Check(context.Background(), p, 0); err != nil || r != nil || !strings.Contains(skipped, "no manifest") {
		t.Errorf("Check without a manifest: %+v, %q, %v; want skipped, no error", r, skipped, err)
	}
	if _, ok, _ := plan.LoadRecheck(p.Dir()); ok {
		t.Error("recheck.json written without a manifest")
	}
}

// TestRecheckCorruptManifest: a manifest cut short is an error, and no
// added file or recheck.json claims a result.
func TestRecheckCorruptManifest(t *testing.T) {
	base := t.TempDir()
	write(t, filepath.Join(base, "src"), "a/1", "a/2", "b")
	p := scanned(t, base, "rsync")
	data, err := os.ReadFile(p.Dir().ManifestFile())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p.Dir().ManifestFile(), data[:len(data)-3], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), p, 0); err == nil {
		t.Fatal("a truncated manifest was accepted")
	}
	for _, f := range []string{p.Dir().AddedFile(), p.Dir().RecheckFile()} {
		if _, err := os.Stat(f); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s exists after a failed check", f)
		}
	}
}
