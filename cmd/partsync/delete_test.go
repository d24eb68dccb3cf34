package main

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/partsync/partsync/generator/plan"
	pl "github.com/partsync/partsync/generator/plural"
	"github.com/partsync/partsync/generator/testtree"
)

// mirrorCase is a source copied once to DST (a directory for rsync, a
// bucket of the test S3 server for rclone), then changed: files and a
// directory removed, so that DST holds extras.
type mirrorCase struct {
	src, dst, shared string
	args             []string
	s3               *S3Server
}

func newMirrorCase(t *testing.T, toolName string) mirrorCase {
	t.Helper()
	needTools(t, toolName)
	base := t.TempDir()
	mc := mirrorCase{src: filepath.Join(base, "src"), dst: filepath.Join(base, "dst"), shared: filepath.Join(base, "runs")}
	mc.args = []string{"-m", toolName, "-n", "2", "-f", "2", "-d", mc.shared}
	if toolName == "rclone" {
		mc.s3 = StartS3(t, "bucket")
		mc.args = append(mc.args, "--rclone-config", mc.s3.WriteRcloneConfig(t, base, "s3test"))
		mc.dst = "s3test:bucket/copy"
	}
	for _, f := range []string{"a/1", "a/2", "a/b/3", "c/4", "c/5", "gone/6", "gone/deep/7", "old.txt", "x.tmp", "c/y.tmp"} {
		writeFile(t, filepath.Join(mc.src, f), []byte("content of "+f), 0o644, time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC))
	}
	mustPartsync(t, append(append([]string{"run"}, mc.args...), mc.src, mc.dst)...)
	for _, f := range []string{"gone", "old.txt", "x.tmp", "c/y.tmp"} {
		if err := os.RemoveAll(filepath.Join(mc.src, f)); err != nil {
			t.Fatal(err)
		}
	}
	return mc
}

// files is every file of DST, relative to it, with its content.
func (mc mirrorCase) files(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	if mc.s3 != nil {
		for k, v := range mc.s3.Objects(t, "bucket", "copy/") {
			out[strings.TrimPrefix(k, "copy/")] = string(v)
		}
		return out
	}
	for rel, data := range testtree.Files(t, mc.dst) {
		out[rel] = string(data)
	}
	return out
}

// TestRunDelete, with the real rsync and rclone (to the S3 server on
// 127.0.0.1): run --delete removes at DST what the source no longer has
// (files, and with rsync the emptied directories), keeps what -x excludes,
// and leaves every other file byte for byte; --output json, the summary, status
// and the deleted file say what went. Past --max-delete nothing goes and
// the run exits 5 naming the count and the flag.
func TestRunDelete(t *testing.T) {
	for _, toolName := range []string{"rsync", "rclone"} {
		t.Run(toolName, func(t *testing.T) {
			mc := newMirrorCase(t, toolName)
			before := mc.files(t)
			refused := partsync(t.Context(), append(append([]string{"run", "--delete", "--max-delete", "2", "-x", "*.tmp"}, mc.args...), mc.src, mc.dst)...)
			if refused.code != ExitRefused || !strings.Contains(refused.stderr, "more than --max-delete 2") {
				t.Fatalf("past --max-delete: want exit 9 naming the flag\n%s", refused)
			}
			if got := mc.files(t); !maps.Equal(got, before) {
				t.Fatalf("a refused pass changed DST: %v", got)
			}

			res := mustPartsync(t, append(append([]string{"run", "--delete", "-x", "*.tmp", "--output", "json"}, mc.args...), mc.src, mc.dst)...)
			want := map[string]string{}
			for _, f := range []string{"a/1", "a/2", "a/b/3", "c/4", "c/5", "x.tmp", "c/y.tmp"} {
				want[f] = "content of " + f
			}
			if got := mc.files(t); !maps.Equal(got, want) {
				t.Errorf("DST after run --delete:\n%v\nwant\n%v", got, want)
			}
			gone := []string{"gone/6", "gone/deep/7", "old.txt"}
			if toolName == "rsync" {
				gone = []string{"gone", "gone/6", "gone/deep", "gone/deep/7", "old.txt"}
				if _, err := os.Stat(filepath.Join(mc.dst, "gone")); !os.IsNotExist(err) {
					t.Errorf("the emptied directory gone at DST: %v", err)
				}
			}
			var sum struct {
				RunID  string         `json:"run_id"`
				Delete *plan.Deletion `json:"delete"`
			}
			if err := json.Unmarshal([]byte(res.stdout), &sum); err != nil || sum.Delete == nil {
				t.Fatalf("--output json: %v, delete %+v\n%s", err, sum.Delete, res.stdout)
			}
			if d := sum.Delete; d.Deleted != int64(len(gone)) || d.Failed != 0 || d.Refused != "" {
				t.Errorf("--output json delete: %+v, want %d deleted", d, len(gone))
			}
			dir := filepath.Join(mc.shared, sum.RunID)
			data, err := os.ReadFile(filepath.Join(dir, "deleted"))
			if got := strings.Split(strings.TrimSuffix(string(data), "\x00"), "\x00"); err != nil || strings.Join(got, ",") != strings.Join(gone, ",") {
				t.Errorf("deleted file: %q (%v), want %q", got, err, gone)
			}
			st := mustPartsync(t, "status", "-d", mc.shared, sum.RunID)
			if !strings.Contains(st.stdout, "delete: deleted "+pl.Count(len(gone), "entry")) {
				t.Errorf("status does not report the deletion:\n%s", st.stdout)
			}
			// The exit handler's record (a workflow's outcome.json) carries it too.
			mustPartsync(t, "record", "--run-dir", dir, "--workflow-status", "Succeeded")
			data, err = os.ReadFile(filepath.Join(dir, "outcome.json"))
			if err != nil {
				t.Fatal(err)
			}
			if o, err := plan.ParseOutcome(data); err != nil || o.Delete == nil || o.Delete.Deleted != int64(len(gone)) {
				t.Errorf("outcome.json %s (%v): want the deletion of %d entries", data, err, len(gone))
			}
		})
	}
}

// TestGenerateDelete: generate --delete writes the mirror into plan.json
// (delete, max_delete, and -n for the pass's partitions), and the step
// after the fan-out, whose pod runs the pass, gets rclone's config path as
// the transfers do; the Workflow passes Argo's validator (generate lints).
func TestGenerateDelete(t *testing.T) {
	base := t.TempDir()
	src, shared := filepath.Join(base, "src"), filepath.Join(base, "runs")
	writeFile(t, filepath.Join(src, "a"), []byte("a"), 0o644, time.Now())
	cfg := filepath.Join(base, "rclone.conf")
	if err := os.WriteFile(cfg, []byte("[s3test]\ntype = s3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	res := mustPartsync(t, "generate", "--delete", "--max-delete", "50", "-n", "3", "-m", "rclone", "-d", shared, "--run-id", "m",
		"--pvc", "data:"+base, "--rclone-config", cfg, "--rclone-config-secret", "rc:rclone.conf", src, "s3test:bucket/x")
	p := loadPlan(t, filepath.Join(shared, "m"))
	if !p.Delete || p.MaxDelete != 50 || p.Jobs != 3 {
		t.Errorf("plan.json: delete %v, max_delete %d, jobs %d; want true, 50, 3", p.Delete, p.MaxDelete, p.Jobs)
	}
	wf := parseWorkflow(t, res.stdout)
	found := false
	for _, tmpl := range wf.Spec.Templates {
		if tmpl.Name != "dirs" {
			continue
		}
		for _, e := range tmpl.Container.Env {
			found = found || e.Name == "RCLONE_CONFIG" && e.Value != ""
		}
	}
	if !found {
		t.Error("the dirs step's container has no RCLONE_CONFIG: its delete pass could not reach the remote")
	}
	bad := partsync(t.Context(), "generate", "--max-delete", "5", "--pvc", "data:"+base, src, filepath.Join(base, "dst"))
	if bad.code != ExitUsage || !strings.Contains(errText(bad.err), "--max-delete 5 without --delete") {
		t.Errorf("--max-delete without --delete: want exit 2 naming it\n%s", bad)
	}
}

// TestRunDeleteSinceBase, with the real rsync: an incremental run --delete
// whose base was a complete mirror deletes what left the source since the
// base (its deleted-since list) without listing DST, so a file put at DST
// by someone else stays; --no-since lists DST and deletes it too.
func TestRunDeleteSinceBase(t *testing.T) {
	mc := newMirrorCase(t, "rsync")
	run := func(extra ...string) *plan.Deletion {
		t.Helper()
		res := mustPartsync(t, append(append(append([]string{"run", "--delete", "-x", "*.tmp", "--output", "json"}, extra...), mc.args...), mc.src, mc.dst)...)
		var sum struct {
			Delete *plan.Deletion `json:"delete"`
		}
		if err := json.Unmarshal([]byte(res.stdout), &sum); err != nil || sum.Delete == nil {
			t.Fatalf("--output json: %v\n%s", err, res.stdout)
		}
		return sum.Delete
	}
	if d := run(); d.Deleted != 5 || d.From != "listing of DST" { // the first mirror lists DST
		t.Fatalf("first mirror: %+v", d)
	}
	if err := os.Remove(filepath.Join(mc.src, "c/5")); err != nil {
		t.Fatal(err)
	}
	foreign := filepath.Join(mc.dst, "foreign")
	writeFile(t, foreign, []byte("not the source's"), 0o644, time.Now())
	d := run()
	if d.Deleted != 1 || !strings.HasPrefix(d.From, "deleted-since") || d.First[0] != "c/5" {
		t.Errorf("incremental mirror: %+v, want c/5 deleted from deleted-since", d)
	}
	if _, err := os.Stat(filepath.Join(mc.dst, "c/5")); !os.IsNotExist(err) {
		t.Errorf("c/5 at DST: %v", err)
	}
	if _, err := os.Stat(foreign); err != nil {
		t.Errorf("DST was listed: the foreign file is gone (%v)", err)
	}
	if d := run("--no-since"); d.Deleted != 1 || d.From != "listing of DST" || d.First[0] != "foreign" {
		t.Errorf("--no-since mirror: %+v, want the foreign file deleted after a listing", d)
	}
}

// TestRunDeleteVerifyListsDSTOnce, with real rclone and the S3 server's
// request log: run --delete --verify lists the whole of DST (rclone lsf
// -R: one recursive listing, "delimiter=" empty) once, as run --verify
// alone does: the delete pass's listing, minus what it deleted, is
// verify's extras. Before, verify listed DST again after the pass. The
// verify still finds DST a mirror (exit 0, nothing extra). (rclone delete
// --files-from-raw lists the directories of the files it deletes; those
// per-directory listings are rclone's, counted apart.)
func TestRunDeleteVerifyListsDSTOnce(t *testing.T) {
	// listings counts the recursive listings of DST and the per-directory ones.
	listings := func(s *S3Server, from int) (whole, perDir int) {
		for _, r := range s.RequestLog()[from:] {
			method, target, _ := strings.Cut(r, " ")
			_, query, _ := strings.Cut(target, "?")
			switch {
			case method != "GET" || !strings.Contains(query, "prefix=copy%2F"):
			case strings.Contains(query, "delimiter=&") || !strings.Contains(query, "delimiter="):
				whole++
			default:
				perDir++
			}
		}
		return whole, perDir
	}
	verifyOnly := newMirrorCase(t, "rclone")
	from := len(verifyOnly.s3.RequestLog())
	partsync(t.Context(), append(append([]string{"run", "--verify", "--no-since"}, verifyOnly.args...), verifyOnly.src, verifyOnly.dst)...)
	alone, aloneDirs := listings(verifyOnly.s3, from)

	mirror := newMirrorCase(t, "rclone")
	from = len(mirror.s3.RequestLog())
	res := partsync(t.Context(), append(append([]string{"run", "--delete", "--verify", "--no-since", "--run-id", "mv"}, mirror.args...), mirror.src, mirror.dst)...)
	both, bothDirs := listings(mirror.s3, from)
	if res.code != ExitOK {
		t.Fatalf("run --delete --verify: want exit 0\n%s", res)
	}
	v, ok, err := plan.LoadVerify(plan.Dir(filepath.Join(mirror.shared, "mv")))
	if err != nil || !ok || v.Mismatches() != 0 {
		t.Errorf("verify.json after the mirror: %+v (%v, %v), want no mismatch", v, ok, err)
	}
	t.Logf("recursive listings of DST: run --verify %d, run --delete --verify %d; per-directory listings %d and %d", alone, both, aloneDirs, bothDirs)
	if alone != 1 || both != 1 {
		t.Errorf("recursive listings of DST: run --verify %d, run --delete --verify %d; want 1 each: the delete pass and verify share one", alone, both)
	}
}
