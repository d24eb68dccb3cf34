package main

// Resume and status with the real tools: a run with a failed partition and a
// partition that never finished is resumed, running exactly those two; a
// generated run whose source changed after the scan is executed with
// `run --resume`, and what vanished is a warning, never a failure.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/partsync/partsync/generator/plan"
	"github.com/partsync/partsync/generator/testtree/check"
	"github.com/partsync/partsync/generator/transfer"
)

// statusJSON runs `status --output json` and decodes its report.
func statusJSON(t *testing.T, wantCode int, args ...string) *plan.Report {
	t.Helper()
	res := partsync(context.Background(), append([]string{"status", "--output", "json"}, args...)...)
	if res.code != wantCode {
		t.Fatalf("exit %d, want %d\n%s", res.code, wantCode, res)
	}
	var r plan.Report
	if err := json.Unmarshal([]byte(res.stdout), &r); err != nil {
		t.Fatalf("status --output json: %v\n%s", err, res.stdout)
	}
	return &r
}

// sourceTree writes dirs a, b, c, d with five small files each.
func sourceTree(t *testing.T, src string) {
	t.Helper()
	old := time.Date(2022, 2, 2, 2, 2, 2, 0, time.UTC)
	for _, d := range []string{"a", "b", "c", "d"} {
		for i := range 5 {
			writeFile(t, filepath.Join(src, d, fmt.Sprintf("f-%d", i)), []byte(strings.Repeat(d, 100+i)), 0o644, old)
		}
	}
}

// generatedRun generates an rsync run of sourceTree with partitions of 6
// entries, nothing run yet; it returns the shared dir and the run directory.
func generatedRun(t *testing.T, runID string) (shared, runDir string) {
	t.Helper()
	needTools(t, "rsync")
	base := t.TempDir()
	src, dst := filepath.Join(base, "src"), filepath.Join(base, "dst")
	shared = filepath.Join(base, "runs")
	sourceTree(t, src)
	mustPartsync(t, "generate", "-f", "6", "-d", shared, "--run-id", runID, "--pvc", "data:"+base, src, dst)
	return shared, filepath.Join(shared, runID)
}

// partOf returns the partition whose part file lists rel.
func partOf(t *testing.T, runDir, tool, rel string) int {
	t.Helper()
	p := loadPlan(t, runDir)
	for i := range p.Count() {
		if slices.Contains(readPart(t, runDir, i, separator(tool)), rel) {
			return i
		}
	}
	t.Fatalf("%s is in no partition", rel)
	return -1
}

// TestResumeRunsOnlyUnfinished: a run ends with one partition failed; the
// status file of another is removed (as if its pod was killed before it
// wrote one) along with its files at the destination. `status` reports
// both; `run --resume` runs exactly those two, leaves the others' status
// files untouched, and the destination ends identical to the source.
func TestResumeRunsOnlyUnfinished(t *testing.T) {
	for _, tool := range []string{"rsync", "rclone"} {
		t.Run(tool, func(t *testing.T) {
			needTools(t, tool)
			t.Parallel()
			base := t.TempDir()
			src, dst, shared := filepath.Join(base, "src"), filepath.Join(base, "dst"), filepath.Join(base, "runs")
			sourceTree(t, src)
			const culprit = "b/f-1"
			writeFile(t, filepath.Join(dst, culprit, "in-the-way"), []byte("x"), 0o644, time.Now())
			runDir := filepath.Join(shared, "res")
			res := partsync(context.Background(), "run", "-m", tool, "-n", "2", "-f", "6", "--retries", "0",
				"-d", shared, "--run-id", "res", src, dst)
			if res.code != ExitFailed {
				t.Fatalf("first run: exit %d, want %d\n%s", res.code, ExitFailed, res)
			}
			p := loadPlan(t, runDir)
			bad := partOf(t, runDir, tool, culprit)
			lost := (bad + 1) % p.Count()
			for _, rel := range readPart(t, runDir, lost, separator(tool)) {
				if err := os.RemoveAll(filepath.Join(dst, rel)); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.Remove(filepath.Join(runDir, "status", fmt.Sprintf("%d.json", lost))); err != nil {
				t.Fatal(err)
			}

			// status: exit 5, the failed partition with its error, the pending one.
			st := loadStatus(t, runDir, bad)
			text := partsync(context.Background(), "status", "-d", shared, "res")
			firstLine, _, _ := strings.Cut(st.Error, "\n")
			for _, want := range []string{
				fmt.Sprintf("partitions: %d: %d ok, 1 failed, 1 pending", p.Count(), p.Count()-2),
				fmt.Sprintf("FAILED part %d: exit code %d after 1 attempt", bad, st.ExitCode),
				firstLine,
				fmt.Sprintf("pending: %d\n", lost),
				"partsync run --resume res -d " + shared,
			} {
				if !strings.Contains(text.stdout, want) {
					t.Errorf("status output lacks %q:\n%s", want, text.stdout)
				}
			}
			if text.code != ExitFailed {
				t.Errorf("status: exit %d, want %d (a partition failed)", text.code, ExitFailed)
			}
			r := statusJSON(t, ExitFailed, "-d", shared, "res")
			if !slices.Equal(r.Failed, []int{bad}) || !slices.Equal(r.Missing, []int{lost}) || len(r.Succeeded) != p.Count()-2 ||
				len(r.Failures) != 1 || r.Failures[0].Part != bad || !strings.Contains(r.Failures[0].Message, culprit) {
				t.Errorf("status json: failed %v missing %v succeeded %v failures %+v; want failed [%d] missing [%d] and the error naming %s",
					r.Failed, r.Missing, r.Succeeded, r.Failures, bad, lost, culprit)
			}
			// By directory too.
			if r2 := statusJSON(t, ExitFailed, runDir); r2.RunID != "res" {
				t.Errorf("status by directory: run id %q", r2.RunID)
			}

			before := map[int][]byte{}
			for i := range p.Count() {
				if i != bad && i != lost {
					before[i], _ = os.ReadFile(filepath.Join(runDir, "status", fmt.Sprintf("%d.json", i)))
				}
			}
			// Arguments that contradict the plan are refused, all at once.
			conflict := partsync(context.Background(), "run", "--resume", "res", "-d", shared, "-f", "3", "-m", otherTool(tool), filepath.Join(base, "elsewhere"), dst)
			if conflict.code != ExitUsage || !strings.Contains(conflict.err.Error(), "SRC") || !strings.Contains(conflict.err.Error(), "-f/--files 3") || !strings.Contains(conflict.err.Error(), "-m/--tool") {
				t.Errorf("conflicting resume: want exit 2 naming SRC, -f and -m\n%s", conflict)
			}
			if missing := partsync(context.Background(), "run", "--resume", "nope", "-d", shared); missing.code != ExitRunDir {
				t.Errorf("resume of an unknown run: want exit %d\n%s", ExitRunDir, missing)
			}

			if err := os.RemoveAll(filepath.Join(dst, culprit)); err != nil {
				t.Fatal(err)
			}
			again := partsync(context.Background(), "run", "--resume", "res", "-d", shared, "--retries", "0", src, dst)
			if again.code != ExitOK {
				t.Fatalf("resume: %s", again)
			}
			wantRun := ranges(sortedInts(bad, lost))
			if !strings.Contains(again.stderr, fmt.Sprintf("%d of %d partitions done already", p.Count()-2, p.Count())) ||
				!strings.Contains(again.stderr, "running 2 partitions: "+wantRun) ||
				!strings.Contains(again.stderr, fmt.Sprintf("run res as a whole: %d of %d partitions ok, 0 failed, 0 without status", p.Count(), p.Count())) {
				t.Errorf("resume does not say what it skips and runs (%s):\n%s", wantRun, again.stderr)
			}
			for i, data := range before {
				if now, _ := os.ReadFile(filepath.Join(runDir, "status", fmt.Sprintf("%d.json", i))); !bytes.Equal(now, data) {
					t.Errorf("status of part %d changed: the resume ran a partition that had succeeded", i)
				}
			}
			for _, i := range []int{bad, lost} {
				if st := loadStatus(t, runDir, i); !st.OK {
					t.Errorf("part %d after resume: %+v", i, st)
				}
			}
			if r := statusJSON(t, ExitOK, "-d", shared, "res"); len(r.Succeeded) != p.Count() || r.FilesDone != r.FilesTotal || r.FilesTotal != 20 {
				t.Errorf("status after resume: %d of %d ok, %d of %d files", len(r.Succeeded), p.Count(), r.FilesDone, r.FilesTotal)
			}
			if rep, err := check.Compare(src, dst, check.Options{}); err != nil || rep.Files != 20 {
				t.Errorf("destination after resume: %d of 20 files verified: %v", rep.Files, err)
			}
			if done := partsync(context.Background(), "run", "--resume", "res", "-d", shared); done.code != ExitOK || !strings.Contains(done.stderr, "nothing to resume") {
				t.Errorf("resume of a complete run: %s", done)
			}
		})
	}
}

func otherTool(tool string) string {
	if tool == "rsync" {
		return "rclone"
	}
	return "rsync"
}

func sortedInts(xs ...int) []int { slices.Sort(xs); return xs }

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestSourceChangesAfterScan: between a generate and its transfers, files
// are deleted (two files, and a whole directory), one is rewritten and one
// is added. Every partition succeeds; what vanished is named in the status
// files, the summary and `status`. Every directory of this tree fits in one
// partition, so for rsync its part files hold whole-directory lines (DIR/),
// which rsync copies as they are at transfer time: the files deleted from
// such a directory are named from its sidecar (parts/part.N.whole) like any
// other vanished entry, and the file added to one is copied and named as
// added. rclone lists every file on its own line: the added file is in no
// partition and not copied (a later run picks it up). Both ways a pod or a
// local worker runs a partition are tested: `run --resume` on the generated
// run, and `partsync transfer` per partition with the argv the workflow
// gives it.
func TestSourceChangesAfterScan(t *testing.T) {
	for _, tool := range []string{"rsync", "rclone"} {
		for _, path := range []string{"run", "transfer"} {
			t.Run(tool+"/"+path, func(t *testing.T) {
				needTools(t, tool)
				t.Parallel()
				sourceChangesAfterScan(t, tool, path)
			})
		}
	}
}

func sourceChangesAfterScan(t *testing.T, tool, path string) {
	base := t.TempDir()
	src, dst, shared := filepath.Join(base, "src"), filepath.Join(base, "dst"), filepath.Join(base, "runs")
	sourceTree(t, src)
	mustPartsync(t, "generate", "-m", tool, "-f", "6", "-d", shared, "--run-id", "chg", "--pvc", "data:"+base, src, dst)
	runDir := filepath.Join(shared, "chg")
	if r := statusJSON(t, ExitPending, "-d", shared, "chg"); len(r.Missing) != r.Partitions || r.Partitions < 3 {
		t.Errorf("status of a generated run: %d of %d pending", len(r.Missing), r.Partitions)
	}
	p := loadPlan(t, runDir)
	if tool == "rsync" {
		for i, part := range p.Partitions {
			if part.WholeDirs != 1 {
				t.Fatalf("part %d has %d whole-directory lines; the test wants each directory as one", i, part.WholeDirs)
			}
		}
	}

	gone := []string{"a/f-2", "c/f-4"}
	for _, g := range gone {
		if err := os.Remove(filepath.Join(src, g)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.RemoveAll(filepath.Join(src, "d")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(src, "b/f-0"), []byte("rewritten after the scan, and longer than before"), 0o644, time.Now())
	writeFile(t, filepath.Join(src, "b/added"), []byte("added after the scan"), 0o644, time.Now())
	// In a directory no part file lists whole: no partition copies it, the
	// check after the partitions names it.
	if err := os.Mkdir(filepath.Join(src, "e"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(src, "e/new"), []byte("added after the scan"), 0o644, time.Now())

	var stderr string
	switch path {
	case "run":
		res := partsync(context.Background(), "run", "--resume", "chg", "-d", shared, "--retries", "0")
		if res.code != ExitOK {
			t.Fatalf("%s", res)
		}
		stderr = res.stderr
	case "transfer":
		// What each pod of the generated workflow runs.
		for i := range p.Count() {
			argv, err := transfer.Command(p, strconv.Itoa(i))
			if err != nil {
				t.Fatal(err)
			}
			res := partsync(context.Background(), append([]string{"transfer", "--run-dir", runDir, "--part", strconv.Itoa(i), "--"}, argv...)...)
			if res.code != ExitOK {
				t.Fatalf("transfer of part %d: %s", i, res)
			}
			stderr += res.stderr
		}
		res := partsync(context.Background(), "dirs", "--run-dir", runDir) // the step after the fan-out
		if res.code != ExitOK {
			t.Fatalf("dirs: %s", res)
		}
		stderr += res.stderr
	}
	var vanished, added []string
	for i := range p.Count() {
		st := loadStatus(t, runDir, i)
		if !st.OK {
			t.Errorf("part %d failed: %+v", i, st)
		}
		vanished = append(vanished, st.Vanished...)
		added = append(added, st.Added...)
		if len(st.NotCopied) > 0 {
			t.Errorf("part %d: %q not copied", i, st.NotCopied)
		}
		if len(st.Vanished) > 0 && !strings.Contains(st.Warning, "vanished from the source") ||
			len(st.Added) > 0 && !strings.Contains(st.Warning, "added after the scan") {
			t.Errorf("part %d: vanished %q, added %q; its warning does not say so: %q", i, st.Vanished, st.Added, st.Warning)
		}
		summary := fmt.Sprintf("part %d ok with a warning: %s", i, st.Warning)
		if path == "transfer" {
			summary = fmt.Sprintf("part %d warning: %s", i, st.Warning)
		}
		if st.Warning != "" && !strings.Contains(stderr, summary) {
			t.Errorf("part %d: warning %q is not in the output:\n%s", i, st.Warning, stderr)
		}
	}
	wantGone := slices.Clone(gone)
	for i := range 5 {
		wantGone = append(wantGone, fmt.Sprintf("d/f-%d", i))
	}
	var wantAdded []string
	if tool == "rsync" {
		// rsync lists directories too: d was in the plan, and vanished.
		// b/ is a whole-directory line: rsync copies b/added with it.
		wantGone, wantAdded = append(wantGone, "d"), []string{"b/added"}
	}
	slices.Sort(vanished)
	slices.Sort(wantGone)
	if !slices.Equal(vanished, wantGone) {
		t.Errorf("vanished entries in the status files: %q, want %q", vanished, wantGone)
	}
	if !slices.Equal(added, wantAdded) {
		t.Errorf("added entries in the status files: %q, want %q", added, wantAdded)
	}
	if got, err := os.ReadFile(filepath.Join(dst, "b/f-0")); err != nil || string(got) != "rewritten after the scan, and longer than before" {
		t.Errorf("rewritten file at the destination: %q, %v", got, err)
	}
	addedCopied := len(wantAdded) > 0
	_, err := os.Stat(filepath.Join(dst, "b/added"))
	switch {
	case addedCopied && err != nil:
		t.Errorf("a file added after the scan to a whole-directory line was not copied: %v", err)
	case !addedCopied && !os.IsNotExist(err):
		t.Errorf("a file added after the scan was copied (%v); it is in no partition", err)
	}
	if rep, err := check.Compare(src, dst, check.Options{}); err == nil || rep.Files != int64(13+btoi(addedCopied)) {
		// 20 files - 7 gone = 13 in the source besides b/added and e/new,
		// which is in no partition.
		t.Errorf("compare: %d files verified, err %v; want %d verified and e/new missing", rep.Files, err, 13+btoi(addedCopied))
	}
	// The check after the partitions names what no partition copied or reported.
	wantLate := []string{"e", "e/new"}
	if !addedCopied {
		wantLate = []string{"b/added", "e", "e/new"}
	}
	rc, ok, err := plan.LoadRecheck(plan.Dir(runDir))
	late, _ := os.ReadFile(filepath.Join(runDir, "added"))
	if err != nil || !ok || rc.Added != int64(len(wantLate)) || string(late) != strings.Join(wantLate, "\x00")+"\x00" ||
		!strings.Contains(stderr, fmt.Sprintf("partsync: warning: %d entries added to the source after the scan were not copied", len(wantLate))) {
		t.Errorf("recheck %+v (%v, %v), added file %q; want %q named in the output:\n%s", rc, ok, err, late, wantLate, stderr)
	}
	rep := statusJSON(t, ExitOK, "-d", shared, "chg")
	if len(rep.Warnings) == 0 || rep.FilesDone != rep.FilesTotal || rep.Vanished != int64(len(wantGone)) || rep.Added != int64(len(wantAdded)) || rep.NotCopied != 0 {
		t.Errorf("status: warnings %+v, files done %d of %d, %d vanished (want %d), %d added (want %d), %d not copied",
			rep.Warnings, rep.FilesDone, rep.FilesTotal, rep.Vanished, len(wantGone), rep.Added, len(wantAdded), rep.NotCopied)
	}
	text := partsync(context.Background(), "status", "-d", shared, "chg")
	if addedCopied && !strings.Contains(text.stdout, "added after the scan to directories copied whole: 1 copied with them") {
		t.Errorf("status does not count the added file:\n%s", text)
	}
	if rep.Recheck == nil || rep.Recheck.Added != int64(len(wantLate)) || !strings.Contains(text.stdout, "added: "+rc.Warning) {
		t.Errorf("status does not report the check after the partitions (%+v):\n%s", rep.Recheck, text)
	}
}

// TestStatusOfWorkflowRun reads a run the way a workflow leaves it: one
// pod (`partsync transfer`) finished, the others never ran, and the exit
// handler (`partsync record`) wrote outcome.json. status shows the
// workflow's result and the pending partitions, and exits 7.
func TestStatusOfWorkflowRun(t *testing.T) {
	_, runDir := generatedRun(t, "wf")
	mustPartsync(t, "transfer", "--run-dir", runDir, "--part", "1")
	mustPartsync(t, "record", "--run-dir", runDir, "--workflow-status", "Failed", "--failures", `[{"displayName":"copy(0)"}]`)
	p := loadPlan(t, runDir)
	res := partsync(context.Background(), "status", runDir)
	if res.code != ExitPending {
		t.Fatalf("exit %d, want %d (pending)\n%s", res.code, ExitPending, res)
	}
	pending := make([]int, 0, p.Count())
	for i := range p.Count() {
		if i != 1 {
			pending = append(pending, i)
		}
	}
	for _, want := range []string{
		"run wf: " + p.Source + " → " + p.Destination + " with rsync",
		fmt.Sprintf("partitions: %d: 1 ok, 0 failed, %d pending", p.Count(), p.Count()-1),
		"workflow: Failed (exit handler at ",
		"pending: " + ranges(pending) + "\n",
	} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("status lacks %q:\n%s", want, res.stdout)
		}
	}
	r := statusJSON(t, ExitPending, runDir)
	if r.Outcome == nil || r.Outcome.WorkflowStatus != "Failed" || string(r.Outcome.ArgoFailures) == "" || r.FilesDone != p.Partitions[1].Files {
		t.Errorf("status json: outcome %+v, files done %d (part 1 has %d)", r.Outcome, r.FilesDone, p.Partitions[1].Files)
	}
	if bad := partsync(context.Background(), "status", "--output", "xml", runDir); bad.code != ExitUsage {
		t.Errorf("--output xml: %s", bad)
	}
	// A status file that is not what partsync writes is reported and counted as pending.
	writeFile(t, filepath.Join(runDir, "status", "1.json"), []byte(`{"part":1,"ok":true,"exit_code":23,"attempts":1}`), 0o644, time.Now())
	if r := statusJSON(t, ExitPending, runDir); len(r.Broken) != 1 || r.Broken[0].Part != 1 || len(r.Missing) != p.Count() {
		t.Errorf("a corrupt status: broken %+v, missing %v", r.Broken, r.Missing)
	}
}

func TestRanges(t *testing.T) {
	for _, tc := range []struct {
		in   []int
		want string
	}{{nil, "none"}, {[]int{3}, "3"}, {[]int{0, 1, 2, 5, 7, 8}, "0-2,5,7-8"}} {
		if got := ranges(tc.in); got != tc.want {
			t.Errorf("ranges(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestRerunFindsPartitionsUpToDate: a second run onto the destination the
// first one completed runs rsync for no partition, says so, and leaves the
// destination identical; a file changed since is copied by the third run,
// whose other partitions are again up to date.
func TestRerunFindsPartitionsUpToDate(t *testing.T) {
	needTools(t, "rsync")
	base := t.TempDir()
	src, dst, shared := filepath.Join(base, "src"), filepath.Join(base, "dst"), filepath.Join(base, "runs")
	sourceTree(t, src)
	upToDate := func(runID string) (n int, parts int) {
		p := loadPlan(t, filepath.Join(shared, runID))
		for i := range p.Count() {
			if loadStatus(t, filepath.Join(shared, runID), i).UpToDate {
				n++
			}
		}
		return n, p.Count()
	}
	mustPartsync(t, "run", "-f", "6", "-d", shared, "--run-id", "first", src, dst)
	if n, _ := upToDate("first"); n != 0 {
		t.Errorf("first copy: %d partitions up to date", n)
	}
	// --no-since: a full re-run, whose partitions partsync finds up to date (an incremental one has none)
	res := mustPartsync(t, "run", "-f", "6", "-d", shared, "--run-id", "again", "--no-since", src, dst)
	n, parts := upToDate("again")
	if n != parts || parts < 3 || !strings.Contains(res.stderr, fmt.Sprintf("%d of the %d partitions ok were already up to date", parts, parts)) ||
		!strings.Contains(res.stderr, "(nothing to copy)") {
		t.Errorf("re-run: %d of %d partitions up to date:\n%s", n, parts, res.stderr)
	}
	if _, err := check.Compare(src, dst, check.Options{Modes: true, Mtimes: true, Dirs: true}); err != nil {
		t.Errorf("after the re-run: %v", err)
	}

	writeFile(t, filepath.Join(src, "c/f-1"), []byte("changed, same length? no: longer than before"), 0o644, time.Now())
	mustPartsync(t, "run", "-f", "6", "-d", shared, "--run-id", "third", src, dst)
	if n, parts := upToDate("third"); n != parts-1 {
		t.Errorf("after one file changed: %d of %d partitions up to date, want all but one", n, parts)
	}
	if _, err := check.Compare(src, dst, check.Options{Modes: true, Mtimes: true, Dirs: true}); err != nil {
		t.Errorf("after the third run: %v", err)
	}
}

// TestResumeRefusedWhileRunning: while another process runs a run's
// partitions (it holds <run dir>/lock), `run --resume` of the same run
// exits 4 at once, names the holder and runs nothing; once the lock is
// released, the resume runs.
func TestResumeRefusedWhileRunning(t *testing.T) {
	shared, dir := generatedRun(t, "busy")
	runDir := plan.Dir(dir)
	unlock, err := plan.Lock(runDir) // as the running `run` holds it
	if err != nil {
		t.Fatal(err)
	}
	res := partsync(context.Background(), "run", "--resume", "busy", "-d", shared)
	if res.code != ExitRunDir || !strings.Contains(errText(res.err), "is being run now by partsync pid "+strconv.Itoa(os.Getpid())) || res.stderr != "" {
		t.Errorf("resume of a run in use: %s; want exit %d naming pid %d", res, ExitRunDir, os.Getpid())
	}
	if entries, _ := os.ReadDir(runDir.StatusDir()); len(entries) != 0 {
		t.Errorf("the refused resume ran partitions: %d status files", len(entries))
	}
	unlock()
	mustPartsync(t, "run", "--resume", "busy", "-d", shared)
	if r := statusJSON(t, ExitOK, "-d", shared, "busy"); len(r.Succeeded) != r.Partitions {
		t.Errorf("after the lock was released: %d of %d partitions succeeded", len(r.Succeeded), r.Partitions)
	}
}
