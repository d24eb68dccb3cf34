package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/partsync/partsync/generator/plan"
)

// TestRunDryRun: run --dry-run with real rsync (to a directory) and rclone
// (to S3) writes nothing at DST and no status, reports per partition and in
// dryrun.json what the tool's dry run would send (everything onto an empty
// DST; after a copy and one new file, that file), `status` says it copied
// nothing and exits 0, and `run --resume` refuses it.
func TestRunDryRun(t *testing.T) {
	for _, toolName := range []string{"rsync", "rclone"} {
		t.Run(toolName, func(t *testing.T) {
			cc := newCopyCase(t, toolName)
			src, shared, dst, args := cc.src, cc.shared, cc.dst, cc.args
			atDst := func() int { // entries at DST
				if cc.s3 != nil {
					return len(cc.s3.Objects(t, "bucket", ""))
				}
				if _, err := os.Stat(dst); os.IsNotExist(err) {
					return 0
				}
				return len(walkTree(t, dst))
			}
			dryRun := func(id string) (*plan.DryRunReport, *plan.Plan, string) {
				// --no-since: a full plan, every partition's dry run (since_test.go covers re-runs against a base)
				res := mustPartsync(t, append(append([]string{"run", "--dry-run", "--no-since", "--run-id", id}, args...), src, dst)...)
				dir := filepath.Join(shared, id)
				p := loadPlan(t, dir)
				if !p.DryRun {
					t.Errorf("plan.json of %s is not marked dry_run", id)
				}
				if entries, _ := os.ReadDir(filepath.Join(dir, "status")); len(entries) != 0 {
					t.Errorf("the dry run wrote %d status files", len(entries))
				}
				data, err := os.ReadFile(filepath.Join(dir, "dryrun.json"))
				if err != nil {
					t.Fatal(err)
				}
				var r plan.DryRunReport
				if err := json.Unmarshal(data, &r); err != nil {
					t.Fatal(err)
				}
				if len(r.Partitions) != p.Count() || p.Count() < 3 {
					t.Errorf("dryrun.json has %d partitions, the plan %d", len(r.Partitions), p.Count())
				}
				for i := range p.Count() {
					if !strings.Contains(res.stderr, "partsync: part "+strconv.Itoa(i)+": would send ") {
						t.Errorf("no line for part %d:\n%s", i, res.stderr)
					}
				}
				st := partsync(context.Background(), "status", "-d", shared, id)
				if st.code != ExitOK || !strings.Contains(st.stdout, "nothing was copied") {
					t.Errorf("status of the dry run: %s", st)
				}
				if res := partsync(context.Background(), "run", "--resume", id, "-d", shared); res.code != ExitUsage || !strings.Contains(errText(res.err), "was a dry run") {
					t.Errorf("resume of a dry run: %s", res)
				}
				return &r, p, res.stderr
			}

			r, p, _ := dryRun("dry1")
			if n := atDst(); n != 0 {
				t.Fatalf("the dry run wrote %d entries at DST", n)
			}
			listed := listedSent(p)
			if r.Listed != listed || listed.Files < 40 || r.WouldSend != r.Listed || r.Failed != 0 {
				t.Errorf("onto an empty DST: would send %+v of %+v listed (%d failed); want all", r.WouldSend, r.Listed, r.Failed)
			}

			mustPartsync(t, append(append([]string{"run", "--run-id", "copy"}, args...), src, dst)...)
			before := atDst()
			writeFile(t, filepath.Join(src, "group-00", "dir-0000", "new.dat"), []byte("a new file of 27 bytes here"), 0o644, time.Now())
			r, _, stderr := dryRun("dry2")
			if r.WouldSend != (plan.Sent{Files: 1, Bytes: 27}) {
				t.Errorf("after a copy and one new file: would send %+v; want 1 file, 27 bytes\n%s", r.WouldSend, stderr)
			}
			if !strings.Contains(stderr, "would send 1 of the ") || !strings.Contains(stderr, "nothing was written to") {
				t.Errorf("the summary does not say it:\n%s", stderr)
			}
			if after := atDst(); after != before {
				t.Errorf("the second dry run changed DST: %d entries, %d before", after, before)
			}
		})
	}
}

// TestDryRunSummaryCounts: the dry run's lines count in English: one
// partition of one file is "1 partition", "1 file", never "1 partitions".
func TestDryRunSummaryCounts(t *testing.T) {
	for _, tc := range []struct {
		parts, files int64
		want, never  []string
	}{
		{1, 1, []string{"of its 1 file,", "of the 1 file listed", "in 1 partition (0 failed)"}, []string{"1 files", "1 partitions"}},
		{2, 3, []string{"of its 3 files,", "of the 6 files listed", "in 2 partitions (0 failed)"}, nil},
	} {
		p := &plan.Plan{RunID: "r", Destination: "/dst", RunDir: "/runs/r", Partitions: make([]plan.Partition, tc.parts)}
		r := &plan.DryRunReport{RunID: "r", Listed: plan.Sent{Files: tc.parts * tc.files}, WouldSend: plan.Sent{Files: 1}}
		for i := range tc.parts {
			r.Partitions = append(r.Partitions, plan.DryRunEntry{Part: int(i), Listed: plan.Sent{Files: tc.files}, WouldSend: &plan.Sent{}})
		}
		var out strings.Builder
		printDryRun(&out, p, r)
		for _, w := range tc.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("%d partitions of %d files: no %q in:\n%s", tc.parts, tc.files, w, out.String())
			}
		}
		for _, n := range tc.never {
			if strings.Contains(out.String(), n) {
				t.Errorf("%d partitions of %d files: %q in:\n%s", tc.parts, tc.files, n, out.String())
			}
		}
	}
}
