package since

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/partsync/partsync/generator/manifest"
	"github.com/partsync/partsync/generator/plan"
	"github.com/partsync/partsync/generator/scan"
	"github.com/partsync/partsync/generator/tool"
)

var t0 = time.Unix(1_700_000_000, 0)

func dir(p string, children int) scan.Entry {
	return scan.Entry{Path: p, Type: scan.Dir, Mode: fs.ModeDir | 0o755, ModTime: t0, Children: children, Nlink: 2}
}

func file(p string, size int64) scan.Entry {
	return scan.Entry{Path: p, Type: scan.File, Mode: 0o644, Size: size, ModTime: t0, Nlink: 1, Inode: uint64(len(p)) + 1000}
}

func link(p string, ino uint64, nlink uint64) scan.Entry {
	e := file(p, 5)
	e.Inode, e.Nlink = ino, nlink
	return e
}

// record is one call the scan makes: an entry or a skip.
type record struct {
	e    scan.Entry
	skip string // the reason, for a skip
}

// writeBase writes a base run directory whose manifest holds recs.
func writeBase(t *testing.T, recs []record) plan.Dir {
	t.Helper()
	d := plan.Dir(t.TempDir())
	m, err := manifest.Create(d.ManifestFile())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if r.skip != "" {
			err = m.Skip(scan.Skip{Path: r.e.Path, Reason: r.skip})
		} else {
			err = m.Entry(r.e)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	return d
}

// diffResult is what a Diff handed on and listed as deleted.
type diffResult struct {
	sent    []string
	skipped []string
	deleted []string
	counts  plan.Incremental
}

func runDiff(t *testing.T, base plan.Dir, tl tool.Tool, recs []record) diffResult {
	t.Helper()
	var res diffResult
	newDir := plan.Dir(t.TempDir())
	d, err := NewDiff(Options{Base: base, Dir: newDir, Tool: tl,
		Visit: func(e scan.Entry) error { res.sent = append(res.sent, e.Path); return nil },
		Skip:  func(s scan.Skip) error { res.skipped = append(res.skipped, s.Path); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if r.skip != "" {
			err = d.Skip(scan.Skip{Path: r.e.Path, Reason: r.skip})
		} else {
			err = d.Add(r.e)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if res.counts, err = d.Close(); err != nil {
		t.Fatal(err)
	}
	ok, err := plan.ReadDeletedSince(newDir, func(p string, isDir bool) error {
		if isDir {
			p += "/"
		}
		res.deleted = append(res.deleted, p)
		return nil
	})
	if err != nil || !ok {
		t.Fatalf("deleted-since list: ok %v, %v", ok, err)
	}
	return res
}

func entries(es ...scan.Entry) []record {
	out := make([]record, len(es))
	for i, e := range es {
		out[i] = record{e: e}
	}
	return out
}

func checkList(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s: got %q, want %q", what, got, want)
	}
}

// TestDiffSendsOnlyNewAndChanged: of a tree where one file changed, one
// was added and one removed, only those (and, for rsync, the directories
// above them) are handed on, the rest counted unchanged, the removed one
// listed as deleted; every entry is counted once.
func TestDiffSendsOnlyNewAndChanged(t *testing.T) {
	base := writeBase(t, entries(dir("a", 3), file("a/f1", 1), file("a/f2", 2), file("a/gone", 3), dir("b", 1), file("b/keep", 4), file("top", 5)))
	changed := file("a/f2", 20)
	bDir := dir("b", 2)
	bDir.ModTime = t0.Add(time.Second) // a file added to it
	newTree := entries(dir("a", 2), file("a/f1", 1), changed, bDir, file("b/keep", 4), file("b/new", 6), file("top", 5))
	for _, tc := range []struct {
		tool      string
		sent      []string
		unchanged int64
		relisted  int64
		changed   int64
	}{
		// rsync: b changed (mtime), a is above a changed file: listed for the directory step.
		{tool: "rsync", sent: []string{"a", "a/f2", "b", "b/new"}, unchanged: 3, relisted: 1, changed: 2},
		// rclone: the same; directories are implied, b is handed on when b/new is.
		{tool: "rclone", sent: []string{"a", "a/f2", "b", "b/new"}, unchanged: 3, relisted: 1, changed: 2},
	} {
		t.Run(tc.tool, func(t *testing.T) {
			tl, err := tool.Lookup(tc.tool)
			if err != nil {
				t.Fatal(err)
			}
			res := runDiff(t, base, tl, newTree)
			checkList(t, "handed on", res.sent, tc.sent)
			checkList(t, "deleted", res.deleted, []string{"a/gone"})
			c := res.counts
			if c.New != 1 || c.Changed != tc.changed || c.Unchanged != tc.unchanged || c.Relisted != tc.relisted || c.Deleted != 1 {
				t.Errorf("counts %+v: want new 1, changed %d, unchanged %d, relisted %d, deleted 1", c, tc.changed, tc.unchanged, tc.relisted)
			}
			if total := c.New + c.Changed + c.Unchanged + c.Relisted; total != int64(len(newTree)) {
				t.Errorf("counted %d entries, the scan saw %d", total, len(newTree))
			}
			if c.UnchangedBytes != 1+4+5 {
				t.Errorf("unchanged bytes %d, want 10", c.UnchangedBytes)
			}
		})
	}
}

// TestDiffUnreadableIsNotDeleted: a directory the new scan could not read
// hides its entries; they are not listed as deleted (a mirror would delete
// what it could not see). A removed directory lists itself and its entries.
func TestDiffUnreadableIsNotDeleted(t *testing.T) {
	base := writeBase(t, entries(dir("d", 2), file("d/x", 1), file("d/y", 1), dir("gone", 1), file("gone/z", 1), file("k", 1)))
	hidden := dir("d", 0)
	hidden.Children = -1
	recs := []record{{e: hidden}, {e: scan.Entry{Path: "d"}, skip: "permission denied"}, {e: file("k", 1)}}
	tl, _ := tool.Lookup("rsync")
	res := runDiff(t, base, tl, recs)
	checkList(t, "deleted", res.deleted, []string{"gone/", "gone/z"})
	checkList(t, "skipped", res.skipped, []string{"d"})
}

// TestDiffKeepsHardLinksTogether: a link of a file renamed since the base
// (same link count, a new path) makes rsync -H need every link of the
// inode in its list; rclone, which ignores links, gets the new path only.
func TestDiffKeepsHardLinksTogether(t *testing.T) {
	base := writeBase(t, entries(link("a", 77, 2), dir("m", 1), link("m/old", 77, 2), file("z", 1)))
	m := dir("m", 1)
	m.ModTime = t0.Add(time.Second)
	newTree := entries(link("a", 77, 2), m, link("m/renamed", 77, 2), file("z", 1))
	rsync, _ := tool.Lookup("rsync")
	res := runDiff(t, base, rsync, newTree)
	checkList(t, "rsync handed on", res.sent, []string{"m", "m/renamed", "a"})
	if res.counts.Relisted != 1 || res.counts.Unchanged != 1 {
		t.Errorf("rsync counts %+v: want a relisted, z unchanged", res.counts)
	}
	rclone, _ := tool.Lookup("rclone")
	res = runDiff(t, base, rclone, newTree)
	checkList(t, "rclone handed on", res.sent, []string{"m", "m/renamed"})
}

// TestUsableRefusesUnfinishedRuns: a run without plan.json, a dry run and a
// run with a failed partition are never a base, and --since says why in
// one line.
func TestUsableRefusesUnfinishedRuns(t *testing.T) {
	shared := t.TempDir()
	mk := func(id string, edit func(p *plan.Plan)) plan.Dir {
		d, err := plan.Create(shared, id)
		if err != nil {
			t.Fatal(err)
		}
		p := &plan.Plan{FormatVersion: plan.FormatVersion, RunID: id, RunDir: string(d), Source: "/src", Destination: "/dst", Tool: "rsync",
			Partitions: []plan.Partition{{Entries: 1, Files: 1}}}
		edit(p)
		if err := plan.Save(p); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(d.ManifestFile(), []byte("partsync-manifest 1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return d
	}
	dry := mk("dry", func(p *plan.Plan) { p.DryRun = true })
	failed := mk("failed", func(*plan.Plan) {})
	if err := plan.SaveStatus(failed, &plan.Status{Part: 0, OK: false, ExitCode: 23}); err != nil {
		t.Fatal(err)
	}
	unstarted := mk("pending", func(*plan.Plan) {})
	want := Pair{Source: "/src", Destination: "/dst", Tool: "rsync"}
	for _, d := range []plan.Dir{dry, failed, unstarted} {
		_, err := Named(shared, filepath.Base(string(d)), want)
		if err == nil {
			t.Errorf("%s: accepted as a base", d)
			continue
		}
		t.Logf("%s: %v", filepath.Base(string(d)), err)
	}
	if p, why := Newest(shared, want); p != nil {
		t.Errorf("Newest chose %s; none of the runs finished", p.RunID)
	} else if why == "" {
		t.Error("Newest gave no reason")
	}

	// A run that finished is a base, unless its manifest is not one.
	finished := mk("finished", func(*plan.Plan) {})
	if err := plan.SaveStatus(finished, &plan.Status{Part: 0, OK: true, Attempts: 1}); err != nil {
		t.Fatal(err)
	}
	if err := plan.SaveRecheck(finished, &plan.Recheck{Finished: "now"}); err != nil {
		t.Fatal(err)
	}
	if p, why := Newest(shared, want); p == nil || p.RunID != "finished" {
		t.Fatalf("Newest did not choose the finished run: %v (%s)", p, why)
	}
	if err := os.WriteFile(finished.ManifestFile(), []byte("not a manifest"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Named(shared, "finished", want); err == nil || !strings.Contains(err.Error(), "manifest") {
		t.Errorf("a run whose manifest is not one: %v; want it refused naming the manifest", err)
	}
}
