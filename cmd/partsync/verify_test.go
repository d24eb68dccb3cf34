package main

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/partsync/partsync/generator/plan"
)

// TestVerify copies with real rsync (to a directory) and rclone (to S3),
// then verify finds DST complete (exit 0); after one file at DST lost a
// byte, one had a byte changed (same size and mtime), one was removed and
// one was written again with the same bytes and a new mtime, and a file
// the source does not have was added, verify names the missing, the
// shortened and the touched one (rclone too: its check has no mtime mode)
// and the extra one, --checksum the changed one too, in verify.json, and
// exits 5.
func TestVerify(t *testing.T) {
	for _, toolName := range []string{"rsync", "rclone"} {
		t.Run(toolName, func(t *testing.T) {
			cc := newCopyCase(t, toolName)
			mustPartsync(t, append(append([]string{"run", "--run-id", "v"}, cc.args...), cc.src, cc.dst)...)
			extra := []string{}
			if cc.s3 != nil {
				extra = cc.args[len(cc.args)-2:] // --rclone-config FILE
			}
			verifyRun := func(checksum bool) (plan.Verify, cliResult) {
				args := append([]string{"verify", "-d", cc.shared, "-n", "3"}, extra...)
				if checksum {
					args = append(args, "--checksum")
				}
				res := partsync(context.Background(), append(args, "v")...)
				var v plan.Verify
				data, err := os.ReadFile(filepath.Join(cc.shared, "v", "verify.json"))
				if err != nil {
					t.Fatalf("%v\n%s", err, res)
				}
				if err := json.Unmarshal(data, &v); err != nil {
					t.Fatal(err)
				}
				return v, res
			}
			if v, res := verifyRun(false); res.code != ExitOK || v.Mismatches() != 0 || v.Checked < 40 {
				t.Fatalf("verify of a complete copy: exit %d, %+v\n%s", res.code, v, res)
			}
			if st := partsync(context.Background(), "status", "-d", cc.shared, "v"); st.code != ExitOK || !strings.Contains(st.stdout, "verify: DST matches the source") {
				t.Errorf("status after a verify that matched: want exit 0 saying so\n%s", st)
			}

			var picked []string // four regular files of 2 bytes or more, sorted
			for _, rel := range slices.Sorted(maps.Keys(manifest(t, cc.src))) {
				if fi, err := os.Lstat(filepath.Join(cc.src, rel)); err == nil && fi.Mode().IsRegular() && fi.Size() >= 2 && strings.HasPrefix(rel, "group-") && len(picked) < 4 {
					picked = append(picked, rel)
				}
			}
			if len(picked) < 4 {
				t.Fatalf("the sample tree has %d files to spoil", len(picked))
			}
			removed, shortened, changed, touched := picked[0], picked[1], picked[2], picked[3]
			if cc.s3 == nil {
				dir := filepath.Dir(filepath.Join(cc.dst, removed)) // the three are in one directory, whose mtime stays
				dirInfo, err := os.Stat(dir)
				must(t, err)
				must(t, os.Remove(filepath.Join(cc.dst, removed)))
				fi, _ := os.Stat(filepath.Join(cc.dst, shortened))
				must(t, os.Truncate(filepath.Join(cc.dst, shortened), fi.Size()-1))
				must(t, os.Chtimes(filepath.Join(cc.dst, shortened), fi.ModTime(), fi.ModTime()))
				path := filepath.Join(cc.dst, changed)
				fi, _ = os.Stat(path)
				data, _ := os.ReadFile(path)
				data[0] ^= 0xff
				must(t, os.WriteFile(path, data, fi.Mode()))
				must(t, os.Chtimes(path, fi.ModTime(), fi.ModTime()))
				later := fi.ModTime().Add(time.Hour)
				must(t, os.Chtimes(filepath.Join(cc.dst, touched), later, later))
				must(t, os.WriteFile(filepath.Join(cc.dst, "zz-extra"), []byte("not in the source"), 0o644))
				must(t, os.Chtimes(dir, dirInfo.ModTime(), dirInfo.ModTime()))
			} else {
				cfg := cc.args[len(cc.args)-1]
				rclone := func(stdin []byte, args ...string) {
					cmd := exec.Command("rclone", args...)
					cmd.Env = append(os.Environ(), "RCLONE_CONFIG="+cfg)
					if stdin != nil {
						cmd.Stdin = strings.NewReader(string(stdin))
					}
					if out, err := cmd.CombinedOutput(); err != nil {
						t.Fatalf("rclone %q: %v\n%s", args, err, out)
					}
				}
				rclone(nil, "deletefile", cc.dst+"/"+removed)
				data, _ := os.ReadFile(filepath.Join(cc.src, shortened))
				rclone(data[:len(data)-1], "rcat", cc.dst+"/"+shortened)
				data, _ = os.ReadFile(filepath.Join(cc.src, changed))
				data[0] ^= 0xff
				rclone(data, "rcat", cc.dst+"/"+changed)
				data, _ = os.ReadFile(filepath.Join(cc.src, touched))
				rclone(data, "rcat", cc.dst+"/"+touched) // the same bytes, uploaded now
				rclone([]byte("not in the source"), "rcat", cc.dst+"/zz-extra")
			}
			time.Sleep(10 * time.Millisecond)

			v, res := verifyRun(false)
			// status shows verify.json: the counts, the first entries, exit 5.
			st := partsync(context.Background(), "status", "-d", cc.shared, "v")
			if st.code != ExitFailed || !strings.Contains(st.stdout, "verify (size and mtime, ") ||
				!strings.Contains(st.stdout, "1 missing, ") || !strings.Contains(st.stdout, strconv.Quote(removed)) ||
				!strings.Contains(st.stdout, "the run exited 5") || st.err == nil || !strings.Contains(st.err.Error(), "verify found DST differing") {
				t.Errorf("status after a failed verify: want exit 5 naming %s\n%s", removed, st)
			}
			st = partsync(context.Background(), "status", "-d", cc.shared, "-o", "json", "v")
			var rep plan.Report
			if err := json.Unmarshal([]byte(st.stdout), &rep); err != nil || rep.Verify == nil || rep.Verify.OK || rep.Verify.Missing != 1 ||
				!slices.Equal(rep.Verify.FirstMissing, []string{removed}) || !slices.Equal(rep.Verify.FirstExtra, []string{"zz-extra"}) || st.code != ExitFailed {
				t.Errorf("status -o json after a failed verify: exit %d, verify %+v (%v)\n%s", st.code, rep.Verify, err, st)
			}
			if res.code != ExitFailed || !slices.Equal(v.Missing, []string{removed}) || !slices.Contains(v.Differing, shortened) || !slices.Contains(v.Differing, touched) || len(v.Failed) != 0 ||
				!slices.Equal(v.Extra, []string{"zz-extra"}) || v.ExtraError != "" {
				t.Errorf("verify by size and mtime: exit %d, missing %q, differing %q, extra %q (%s), failed %+v; want 5, [%s], with %s and %s, [zz-extra]\n%s",
					res.code, v.Missing, v.Differing, v.Extra, v.ExtraError, v.Failed, removed, shortened, touched, res)
			}
			// With content compared, the touched file is still the same bytes:
			// rclone's hashes agree; rsync --checksum still names its mtime.
			want := []string{shortened, changed} // picked is sorted
			if cc.s3 == nil {
				want = append(want, touched)
			}
			v, res = verifyRun(true)
			if res.code != ExitFailed || !slices.Equal(v.Missing, []string{removed}) || !slices.Equal(v.Differing, want) || len(v.Failed) != 0 {
				t.Errorf("verify --checksum: exit %d, missing %q, differing %q, failed %+v; want 5, [%s], %q\n%s", res.code, v.Missing, v.Differing, v.Failed, removed, want, res)
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestRunVerify: run --verify with real rsync compares DST after the copy
// (a step of package finish): verify.json exists, names nothing, the
// summary and the JSON summary report it, and the run exits 0.
func TestRunVerify(t *testing.T) {
	cc := newCopyCase(t, "rsync")
	res := mustPartsync(t, append(append([]string{"run", "--verify", "--output", "json", "--run-id", "rv"}, cc.args...), cc.src, cc.dst)...)
	var sum struct {
		Verify *plan.Verify `json:"verify"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &sum); err != nil || sum.Verify == nil || sum.Verify.Checked < 40 || sum.Verify.RunID != "rv" {
		t.Errorf("run --verify -o json: verify %+v (%v)\n%s", sum.Verify, err, res.stdout)
	}
	data, err := os.ReadFile(filepath.Join(cc.shared, "rv", "verify.json"))
	if err != nil {
		t.Fatalf("run --verify wrote no verify.json: %v\n%s", err, res)
	}
	var v plan.Verify
	if err := json.Unmarshal(data, &v); err != nil || v.Checked < 40 || len(v.Missing)+len(v.Differing)+len(v.Failed) != 0 {
		t.Errorf("verify.json after run --verify: %+v (%v)", v, err)
	}
	if !strings.Contains(res.stderr, "partsync: verify rv (size and mtime): ") {
		t.Errorf("run --verify does not report the verification:\n%s", res.stderr)
	}
}

// TestVerifyPodSteps runs, with real rclone against the S3 server, the
// argv of a workflow's verify steps: `verify --part N RUN_DIR` for every
// partition exits 0 and writes verify/N.json, also when DST differs; then
// `verify --collect RUN_DIR` names the file whose byte changed (its mtime
// is new at DST) in verify.json and exits 5, and the exit handler's
// `record` puts that in outcome.json.
func TestVerifyPodSteps(t *testing.T) {
	cc := newCopyCase(t, "rclone")
	mustPartsync(t, append(append([]string{"run", "--run-id", "w"}, cc.args...), cc.src, cc.dst)...)
	runDir := filepath.Join(cc.shared, "w")
	cfg := cc.args[len(cc.args)-1]
	t.Setenv("RCLONE_CONFIG", cfg) // as in a pod: the env, no flag
	p, err := plan.Load(plan.Dir(runDir))
	must(t, err)
	var spoiled string
	for _, rel := range slices.Sorted(maps.Keys(manifest(t, cc.src))) {
		if fi, err := os.Lstat(filepath.Join(cc.src, rel)); err == nil && fi.Mode().IsRegular() && fi.Size() > 0 {
			spoiled = rel
			break
		}
	}
	data, err := os.ReadFile(filepath.Join(cc.src, spoiled))
	must(t, err)
	data[0] ^= 0xff
	cmd := exec.Command("rclone", "rcat", cc.dst+"/"+spoiled)
	cmd.Stdin = strings.NewReader(string(data))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("rclone rcat: %v\n%s", err, out)
	}
	for i := range p.Count() {
		res := partsync(context.Background(), "verify", "--part", strconv.Itoa(i), runDir)
		if res.code != ExitOK {
			t.Fatalf("verify --part %d: exit %d\n%s", i, res.code, res)
		}
		if _, err := os.Stat(filepath.Join(runDir, "verify", strconv.Itoa(i)+".json")); err != nil {
			t.Fatalf("verify --part %d wrote no record: %v", i, err)
		}
	}
	var listed int64
	for _, part := range p.Partitions {
		listed += part.Entries
	}
	res := partsync(context.Background(), "verify", "--collect", runDir)
	v, ok, err := plan.LoadVerify(plan.Dir(runDir))
	if res.code != ExitFailed || err != nil || !ok || !slices.Equal(v.Differing, []string{spoiled}) || len(v.Missing)+len(v.Extra)+len(v.Failed) != 0 || v.Checked != listed {
		t.Fatalf("verify --collect: exit %d, %+v (%v); want 5, %s differing\n%s", res.code, v, err, spoiled, res)
	}
	mustPartsync(t, "record", "--run-dir", runDir, "--workflow-status", "Failed")
	var o plan.Outcome
	data, err = os.ReadFile(filepath.Join(runDir, "outcome.json"))
	must(t, err)
	must(t, json.Unmarshal(data, &o))
	if o.Verify == nil || o.Verify.OK || o.Verify.Differing != 1 {
		t.Errorf("outcome.json verify %+v; want not ok, 1 differing", o.Verify)
	}
}

// TestRunVerifyChecksum: a byte changed at DST with its size and mtime kept
// passes run --verify (size and mtime, and rsync finds the file up to date)
// and fails run --verify-checksum, which names it in verify.json and exits 5.
func TestRunVerifyChecksum(t *testing.T) {
	cc := newCopyCase(t, "rsync")
	mustPartsync(t, append(append([]string{"run", "--run-id", "first"}, cc.args...), cc.src, cc.dst)...)
	var spoiled string
	for _, rel := range slices.Sorted(maps.Keys(manifest(t, cc.src))) {
		if fi, err := os.Lstat(filepath.Join(cc.dst, rel)); err == nil && fi.Mode().IsRegular() && fi.Size() > 0 {
			spoiled = rel
			break
		}
	}
	path := filepath.Join(cc.dst, spoiled)
	fi, err := os.Stat(path)
	must(t, err)
	data, err := os.ReadFile(path)
	must(t, err)
	data[0] ^= 0xff
	must(t, os.WriteFile(path, data, fi.Mode().Perm()))
	must(t, os.Chtimes(path, fi.ModTime(), fi.ModTime()))

	// --no-since: a full run, whose partitions list every file.
	blind := partsync(context.Background(), append(append([]string{"run", "--no-since", "--verify", "--run-id", "size"}, cc.args...), cc.src, cc.dst)...)
	if blind.code != ExitOK {
		t.Fatalf("run --verify, size and mtime kept: %s", blind)
	}
	res := partsync(context.Background(), append(append([]string{"run", "--no-since", "--verify-checksum", "--run-id", "content"}, cc.args...), cc.src, cc.dst)...)
	raw, err := os.ReadFile(filepath.Join(cc.shared, "content", "verify.json"))
	must(t, err)
	var v plan.Verify
	must(t, json.Unmarshal(raw, &v))
	if res.code != ExitFailed || !v.Checksum || !slices.Equal(v.Differing, []string{spoiled}) || len(v.Missing)+len(v.Failed) != 0 {
		t.Errorf("run --verify-checksum after a byte of %q changed at DST: exit %d, verify.json checksum %v differing %q missing %q failed %+v\n%s",
			spoiled, res.code, v.Checksum, v.Differing, v.Missing, v.Failed, res)
	}
	if !strings.Contains(res.stderr, "partsync: verify content (content): ") && !strings.Contains(res.stderr, "(content)") {
		t.Errorf("run --verify-checksum does not say it compared content:\n%s", res.stderr)
	}
}

// TestVerifyAfterIncrementalRun, with real rsync and rclone (to the S3
// server): after a first run, a file the source still has, unchanged, is
// removed at DST; an incremental re-run (one file changed in the source)
// with --verify lists only the changed file, yet its verify compares DST
// with the whole source: it exits 5 naming the removed file missing, and
// verify.json counts the unchanged entries it compared.
func TestVerifyAfterIncrementalRun(t *testing.T) {
	for _, toolName := range []string{"rsync", "rclone"} {
		t.Run(toolName, func(t *testing.T) {
			mc := newMirrorCase(t, toolName) // first run done; some files gone from SRC since
			const lost = "a/b/3"
			if mc.s3 != nil {
				if _, err := mc.s3.Backend.DeleteObject("bucket", "copy/"+lost); err != nil {
					t.Fatal(err)
				}
			} else {
				dir := filepath.Join(mc.dst, filepath.Dir(lost)) // its mtime stays as copied
				fi, err := os.Stat(dir)
				must(t, err)
				must(t, os.Remove(filepath.Join(mc.dst, lost)))
				must(t, os.Chtimes(dir, fi.ModTime(), fi.ModTime()))
			}
			writeFile(t, filepath.Join(mc.src, "a/1"), []byte("changed since"), 0o644, time.Date(2021, 1, 2, 3, 4, 5, 0, time.UTC))
			res := partsync(t.Context(), append(append([]string{"run", "--verify", "--run-id", "again"}, mc.args...), mc.src, mc.dst)...)
			p, err := plan.Load(plan.Dir(filepath.Join(mc.shared, "again")))
			if err != nil || p.Incremental == nil {
				t.Fatalf("the re-run is not incremental (%v)\n%s", err, res)
			}
			v, ok, err := plan.LoadVerify(p.Dir())
			if res.code != ExitFailed || err != nil || !ok || !slices.Equal(v.Missing, []string{lost}) || len(v.Differing) != 0 || v.Unchanged < 4 {
				t.Errorf("incremental run --verify: exit %d, verify.json %+v (%v, %v); want exit 5, %s missing, the unchanged entries compared\n%s", res.code, v, ok, err, lost, res)
			}
		})
	}
}

// TestVerifyModifyWindow: verify compares mtimes as the copy did, with the
// --modify-window of -o (rsync: seconds; rclone: a duration). After the
// copy one source file's mtime moves 1 s, another's 5 s: with a window of
// 2 s verify names only the second; the same copy without a window names
// both (rsync and rclone to S3 alike).
func TestVerifyModifyWindow(t *testing.T) {
	for _, c := range []struct{ tool, window string }{{"rsync", "-a --numeric-ids -H --modify-window=2"}, {"rclone", "--retries=1 --modify-window=2s"}} {
		t.Run(c.tool, func(t *testing.T) {
			cc := newCopyCase(t, c.tool)
			mustPartsync(t, append(append([]string{"run", "--run-id", "w", "-o", c.window}, cc.args...), cc.src, cc.dst)...)
			mustPartsync(t, append(append([]string{"run", "--run-id", "exact"}, cc.args...), cc.src, cc.dst)...)
			var files []string
			for _, rel := range slices.Sorted(maps.Keys(manifest(t, cc.src))) {
				if fi, err := os.Lstat(filepath.Join(cc.src, rel)); err == nil && fi.Mode().IsRegular() && strings.HasPrefix(rel, "group-") {
					files = append(files, rel)
				}
			}
			near, far := files[0], files[len(files)-1]
			for rel, by := range map[string]time.Duration{near: time.Second, far: 5 * time.Second} {
				path := filepath.Join(cc.src, rel)
				fi, err := os.Stat(path)
				must(t, err)
				must(t, os.Chtimes(path, fi.ModTime().Add(by), fi.ModTime().Add(by)))
			}
			extra := []string{}
			if cc.s3 != nil {
				extra = cc.args[len(cc.args)-2:] // --rclone-config FILE
			}
			for run, want := range map[string][]string{"w": {far}, "exact": {near, far}} {
				res := partsync(context.Background(), append(append([]string{"verify", "-d", cc.shared}, extra...), run)...)
				var v plan.Verify
				data, err := os.ReadFile(filepath.Join(cc.shared, run, "verify.json"))
				if err == nil {
					err = json.Unmarshal(data, &v)
				}
				slices.Sort(v.Differing)
				if err != nil || res.code != ExitFailed || !slices.Equal(v.Differing, want) || len(v.Missing) != 0 || len(v.Failed) != 0 {
					t.Errorf("verify %s: exit %d, differing %q, missing %q, failed %+v (%v); want 5 and %q\n%s", run, res.code, v.Differing, v.Missing, v.Failed, err, want, res)
				}
			}
		})
	}
}
