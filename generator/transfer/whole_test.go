package transfer

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/partsync/partsync/generator/plan"
)

// wholeRun is a run of one rsync partition, "a/" (a whole-directory line
// for a/1 and a/2), with an empty destination.
func wholeRun(t *testing.T) *plan.Plan {
	t.Helper()
	base := t.TempDir()
	dir, err := plan.Create(filepath.Join(base, "runs"), "t")
	if err != nil {
		t.Fatal(err)
	}
	p := &plan.Plan{
		RunDir: string(dir), Source: filepath.Join(base, "src"), Destination: filepath.Join(base, "dst"), Tool: "rsync",
		Partitions: []plan.Partition{{Entries: 3, Files: 2, WholeDirs: 1}},
	}
	for _, f := range []struct{ path, data string }{
		{dir.PartFile("0"), "a/\x00"}, {dir.WholeFile(0), "a/\x00a/1\x00a/2\x00"},
		{filepath.Join(p.Source, "a/1"), "1"}, {filepath.Join(p.Source, "a/2"), "2"},
	} {
		if err := os.MkdirAll(filepath.Dir(f.path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f.path, []byte(f.data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// runTrue runs partition 0 with a tool that succeeds and copies nothing,
// so that the check sees the source and destination the test made.
func runTrue(t *testing.T, p *plan.Plan) *plan.Status {
	t.Helper()
	st, err := Run(context.Background(), p, Spec{Dir: p.Dir(), Argv: []string{"true"}, Executor: "local", Output: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	saved, ok, err := plan.LoadStatus(p.Dir(), 0)
	if err != nil || !ok {
		t.Fatalf("status file: %v, %v", ok, err)
	}
	if saved.Warning != st.Warning || !slices.Equal(saved.Added, st.Added) || !slices.Equal(saved.NotCopied, st.NotCopied) {
		t.Errorf("status file %+v differs from the returned status %+v", saved, st)
	}
	return st
}

// TestWholeDirCompared: after the tool ran, a partition's whole-directory
// lines are compared with the source: an entry deleted since the scan is
// vanished, one added is named as copied when it is at the destination and
// as not copied when it is not.
func TestWholeDirCompared(t *testing.T) {
	p := wholeRun(t)
	if st := runTrue(t, p); !st.OK || st.Warning != "" || st.Vanished != nil || st.Added != nil || st.NotCopied != nil {
		t.Errorf("an unchanged source: %+v", st)
	}

	if err := os.Remove(filepath.Join(p.Source, "a/1")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(p.Source, "a/new"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	st := runTrue(t, p)
	if !st.OK || !slices.Equal(st.Vanished, []string{"a/1"}) || st.Added != nil || !slices.Equal(st.NotCopied, []string{"a/new"}) ||
		!strings.Contains(st.Warning, `1 listed entry vanished from the source after the scan and was not copied: "a/1"`) ||
		!strings.Contains(st.Warning, `1 entry added after the scan to directories copied whole was not copied (added after the tool read the directory; a later run copies them): "a/new"`) {
		t.Errorf("a/1 deleted, a/new added and not at the destination: %+v", st)
	}

	if err := os.MkdirAll(filepath.Join(p.Destination, "a"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(p.Destination, "a/new"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if st := runTrue(t, p); !slices.Equal(st.Added, []string{"a/new"}) || st.NotCopied != nil ||
		!strings.Contains(st.Warning, `1 entry added after the scan to directories copied whole was copied with them (in no count of the plan): "a/new"`) {
		t.Errorf("a/new at the destination: %+v", st)
	}

	if err := os.RemoveAll(filepath.Join(p.Source, "a")); err != nil {
		t.Fatal(err)
	}
	if st := runTrue(t, p); !slices.Equal(st.Vanished, []string{"a", "a/1", "a/2"}) || st.Added != nil || st.NotCopied != nil {
		t.Errorf("a deleted after the tool read it: %+v", st)
	}
}

// TestWholeDirSidecarMissingOrCorrupt: a partition with whole-directory
// lines and no sidecar succeeds with a warning saying what cannot be
// checked; a corrupt sidecar is an error, never a shorter comparison.
func TestWholeDirSidecarMissingOrCorrupt(t *testing.T) {
	p := wholeRun(t)
	if err := os.Remove(p.Dir().WholeFile(0)); err != nil {
		t.Fatal(err)
	}
	if st := runTrue(t, p); !st.OK || !strings.Contains(st.Warning, "part.0.whole is missing: entries deleted from or added to its 1 whole-directory lines") {
		t.Errorf("no sidecar: %+v", st)
	}
	if err := os.WriteFile(p.Dir().WholeFile(0), []byte("a/\x00b/1\x00"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Run(context.Background(), p, Spec{Dir: p.Dir(), Argv: []string{"true"}, Executor: "local", Output: io.Discard})
	if err == nil || !strings.Contains(err.Error(), `"b/1" follows no directory line of its parent`) {
		t.Errorf("corrupt sidecar: %v", err)
	}
}
