package main

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/partsync/partsync/generator/plan"
)

// TestIncrementalRun: after a first run, one file changed, one added and
// one removed, a re-run into the same -d finds the first run as its base
// by itself and copies exactly those two files: rsync and rclone (to the
// S3 server) report sending 2 files of their bytes, plan.json counts the
// rest unchanged and names the removed file in deleted-since, and DST holds
// SRC (plus the removed file: deleting is --delete's job). rclone runs with
// --no-check-dest and lists nothing of the bucket.
func TestIncrementalRun(t *testing.T) {
	for _, toolName := range []string{"rsync", "rclone"} {
		t.Run(toolName, func(t *testing.T) {
			cc := newCopyCase(t, toolName)
			mustPartsync(t, append(append([]string{"run", "--run-id", "first"}, cc.args...), cc.src, cc.dst)...)
			first := loadPlan(t, filepath.Join(cc.shared, "first"))
			if first.Incremental != nil {
				t.Fatalf("the first run has a base: %+v", first.Incremental)
			}

			old := time.Date(2022, 1, 2, 3, 4, 5, 0, time.UTC)
			changed, added, removed := "group-00/dir-0000/file-00003.dat", "group-02/dir-0002/added.dat", "group-01/dir-0001/file-00002.dat"
			for _, p := range []string{changed, removed} {
				if _, err := os.Stat(filepath.Join(cc.src, p)); err != nil {
					t.Fatalf("the sample tree has no %s: %v", p, err)
				}
			}
			changedData, addedData := []byte("changed content, another size\n"), []byte("added file")
			writeFile(t, filepath.Join(cc.src, changed), changedData, 0o644, old)
			writeFile(t, filepath.Join(cc.src, added), addedData, 0o644, old)
			if err := os.Remove(filepath.Join(cc.src, removed)); err != nil {
				t.Fatal(err)
			}
			for _, d := range []string{"group-02/dir-0002", "group-01/dir-0001"} { // rsync keeps a dir's mtime only when it is not this second
				if err := os.Chtimes(filepath.Join(cc.src, d), old, old); err != nil {
					t.Fatal(err)
				}
			}
			var before int
			if cc.s3 != nil {
				before = len(cc.s3.RequestLog())
			}

			res := mustPartsync(t, append(append([]string{"run", "--run-id", "second"}, cc.args...), cc.src, cc.dst)...)
			runDir := filepath.Join(cc.shared, "second")
			p := loadPlan(t, runDir)
			inc := p.Incremental
			if inc == nil || inc.BaseRunID != "first" {
				t.Fatalf("the re-run did not take run first as its base: incremental %+v, full_run %q", inc, p.FullRun)
			}
			if inc.New != 1 || inc.Deleted != 1 || inc.DestinationListed {
				t.Errorf("plan.json's incremental: %+v; want 1 new, 1 deleted, DST not listed", *inc)
			}
			if total := inc.New + inc.Changed + inc.Unchanged + inc.Relisted; total != p.Totals.Entries {
				t.Errorf("incremental counts %d entries, the scan saw %d", total, p.Totals.Entries)
			}
			if p.Totals.Unchanged != inc.Unchanged || inc.Unchanged < 30 {
				t.Errorf("totals.unchanged %d, incremental.unchanged %d: want the same, most of the tree", p.Totals.Unchanged, inc.Unchanged)
			}
			var deleted []string
			if _, err := plan.ReadDeletedSince(plan.Dir(runDir), func(path string, isDir bool) error {
				deleted = append(deleted, path)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(deleted, []string{removed}) {
				t.Errorf("deleted-since lists %q; want [%q]", deleted, removed)
			}
			if !strings.Contains(res.stderr, "since run first: 1 new, ") {
				t.Errorf("the summary does not say what the run compared:\n%s", res.stderr)
			}

			var sent plan.Sent
			for i := range p.Count() {
				st := loadStatus(t, runDir, i)
				if st.Sent != nil {
					sent.Files += st.Sent.Files
					sent.Bytes += st.Sent.Bytes
				}
				if hasNoCheckDest := slices.Contains(st.Argv, "--no-check-dest"); hasNoCheckDest != (toolName == "rclone") {
					t.Errorf("part %d argv %q: --no-check-dest %v, want it with rclone only", i, st.Argv, hasNoCheckDest)
				}
			}
			if want := (plan.Sent{Files: 2, Bytes: int64(len(changedData) + len(addedData))}); sent != want {
				t.Errorf("the re-run sent %+v; want the changed and the added file, %+v", sent, want)
			}

			switch toolName {
			case "rsync":
				want := manifest(t, cc.src)
				got := manifest(t, cc.dst)
				if _, ok := got[removed]; !ok {
					t.Errorf("the removed file is gone from DST: no --delete was asked")
				}
				delete(got, removed)
				for _, k := range slices.Sorted(maps.Keys(want)) {
					if got[k] != want[k] {
						t.Errorf("DST %s: %+v, SRC %+v", k, got[k], want[k])
					}
				}
				if len(got) != len(want) {
					t.Errorf("DST holds %d entries, SRC %d", len(got), len(want))
				}
			case "rclone":
				objs := cc.s3.Objects(t, "bucket", "copy/")
				for _, f := range []string{changed, added} {
					data, err := os.ReadFile(filepath.Join(cc.src, f))
					if err != nil {
						t.Fatal(err)
					}
					if string(objs["copy/"+f]) != string(data) {
						t.Errorf("object copy/%s holds %q, SRC %q", f, objs["copy/"+f], data)
					}
				}
				put := map[string]bool{}
				for _, r := range cc.s3.RequestLog()[before:] {
					method, path, _ := strings.Cut(strings.TrimSuffix(r, "?"), " ")
					path, _, _ = strings.Cut(path, "?") // v1.76.0 PUTs with ?x-id=PutObject
					switch {
					case method == "GET" && strings.Contains(r, "?") && !strings.HasSuffix(r, "?"):
						t.Errorf("the re-run listed the bucket: %s", r)
					case method == "PUT":
						put[path] = true
					case method == "HEAD" && strings.HasPrefix(path, "/bucket/copy/") && !put[path]:
						// (rclone reads an object back after its upload: that is no check of DST)
						t.Errorf("the re-run asked the bucket for an object before copying it: %s", r)
					}
				}
			}
		})
	}
}

// TestSinceRefused: --since of a run of another SRC → DST, of a run whose
// partition failed, and of an unknown run is refused with one line naming
// the run and the fix, exit 2, and no run directory is made; a failed run is
// not taken as a base by itself either.
func TestSinceRefused(t *testing.T) {
	cc := newCopyCase(t, "rsync")
	mustPartsync(t, append(append([]string{"run", "--run-id", "first"}, cc.args...), cc.src, cc.dst)...)
	otherDst := filepath.Join(t.TempDir(), "other")
	for _, tc := range []struct{ name, since, dst, want string }{
		{"other pair", "first", otherDst, "its DST is " + cc.dst},
		{"unknown run", "nosuch", cc.dst, "nosuch"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := partsync(t.Context(), append(append([]string{"run", "--run-id", "refused", "--since", tc.since}, cc.args...), cc.src, tc.dst)...)
			if msg := errText(res.err); res.code != ExitUsage || !strings.Contains(msg, tc.want) || strings.Contains(strings.TrimSpace(msg), "\n") {
				t.Errorf("exit %d, error %q; want exit %d and one line naming %q", res.code, msg, ExitUsage, tc.want)
			}
			if _, err := os.Stat(filepath.Join(cc.shared, "refused")); !os.IsNotExist(err) {
				t.Errorf("a refused run left its directory: %v", err)
			}
		})
	}

	// A run whose partition fails is no base: the next run is a full one.
	if err := plan.SaveStatus(plan.Dir(filepath.Join(cc.shared, "first")), &plan.Status{Part: 0, OK: false, ExitCode: 23, Attempts: 1}); err != nil {
		t.Fatal(err)
	}
	res := partsync(t.Context(), append(append([]string{"run", "--run-id", "refused", "--since", "first"}, cc.args...), cc.src, cc.dst)...)
	if res.code != ExitUsage || !strings.Contains(errText(res.err), "it did not finish") {
		t.Errorf("--since of a failed run: exit %d, %q; want exit %d saying it did not finish", res.code, errText(res.err), ExitUsage)
	}
	mustPartsync(t, append(append([]string{"run", "--run-id", "full"}, cc.args...), cc.src, cc.dst)...)
	p := loadPlan(t, filepath.Join(cc.shared, "full"))
	if p.Incremental != nil || !strings.Contains(p.FullRun, "run first") {
		t.Errorf("a run after a failed one: incremental %+v, full_run %q; want a full run saying why run first is no base", p.Incremental, p.FullRun)
	}
	if listed := listedSent(p); listed.Files < 40 {
		t.Errorf("the full run listed %+v; want every file", listed)
	}
}
