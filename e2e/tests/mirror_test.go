package tests

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"

	psplan "github.com/partsync/partsync/generator/plan"
	"github.com/partsync/partsync/generator/testtree"
)

// testMirrorDelete: generate --delete makes the step after the fan-out (the
// dirs pod, before the exit handler) a mirror's delete pass. With rsync to
// a PVC, the extras at DST (a file, a directory tree) are deleted, an
// excluded file stays, every other file is the source's byte for byte, and
// delete.json and the deleted list say what went; with rclone to the S3
// server on 127.0.0.1, the extra objects are deleted the same way. With an
// unreadable directory in the source the pass is refused: the dirs pod
// exits 9 and, though retries are allowed, is not retried (the answer
// would be the same), the workflow fails, and nothing at DST is deleted.
func testMirrorDelete(t *testing.T, s *suite) {
	t.Run("rsync", func(t *testing.T) { mirrorRsync(t, s, false) })
	t.Run("rsync-unreadable-refused", func(t *testing.T) { mirrorRsync(t, s, true) })
	t.Run("rclone", func(t *testing.T) { mirrorRclone(t, s) })
}

// mirrorExtras writes the extras (and the excluded file) under root as
// uid's, the user who owns DST.
func mirrorExtras(t *testing.T, root string, uid int) []string {
	t.Helper()
	files := []string{"stale/old/1", "stale/2", "gone.bin", "notes.keep"}
	for _, f := range files {
		path := filepath.Join(root, f)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte("extra "+f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{"stale", "stale/old", "stale/old/1", "stale/2", "gone.bin", "notes.keep"} {
		if err := os.Lchown(filepath.Join(root, p), uid, uid); err != nil {
			t.Fatal(err)
		}
	}
	return files
}

func mirrorRsync(t *testing.T, s *suite, unreadable bool) {
	op := s.asOperator(nonRootUID) // a scan as root reads everything
	_, vols := s.volumes(t, "src", "dst", "shared")
	giveTo(t, nonRootUID, vols["shared"], vols["dst"])
	makeTree(t, vols["src"].Local, 4, 6, 16<<10)
	if unreadable {
		locked := filepath.Join(vols["src"].Local, "locked")
		if err := os.Mkdir(locked, 0o700); err != nil { // root's: the operator cannot read it
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(locked, "secret"), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	extras := mirrorExtras(t, vols["dst"].Local, nonRootUID)
	id := "mirror-rsync"
	if unreadable {
		id = "mirror-refused"
	}
	retries := "0"
	if unreadable {
		retries = "2" // a refused pass (exit 9) must not be retried
	}
	r := op.generate(t, id, vols, vols["src"].Mount, vols["dst"].Mount,
		"-n", "2", "-f", "8", "--retries", retries, "--backoff", "1s", "--delete", "-x", "*.keep")
	wf := s.wait(t, s.submit(t, decodeWorkflow(t, r.YAML)), waitTimeout, nil)
	d, ok, err := psplan.LoadDeletion(psplan.Dir(r.RunDir))
	if err != nil || !ok {
		t.Fatalf("delete.json: %v (written: %v)\ncontainer logs:\n%s", err, ok, s.stack.ContainerLogs(wf.Name))
	}
	if unreadable {
		if wf.Status.Phase != wfv1.WorkflowFailed || !strings.Contains(d.Refused, "could not read 1 entry") || d.Deleted != 0 {
			t.Errorf("workflow %s, delete.json %+v: want Failed and the pass refused", wf.Status.Phase, d)
		}
		var codes []string // of each dirs pod
		for _, n := range wf.Status.Nodes {
			if n.Type == wfv1.NodeTypePod && n.TemplateName == "dirs" {
				code := "none"
				if n.Outputs != nil && n.Outputs.ExitCode != nil {
					code = *n.Outputs.ExitCode
				}
				codes = append(codes, code)
			}
		}
		if !slices.Equal(codes, []string{"9"}) {
			t.Errorf("dirs pods' exit codes %q: want one pod, exit 9 (a refused pass is not retried)", codes)
		}
		got := testtree.Files(t, vols["dst"].Local)
		for _, f := range extras {
			if !bytes.Equal(got[f], []byte("extra "+f)) {
				t.Errorf("extra %s at DST after a refused pass: %q", f, got[f])
			}
		}
		return
	}
	s.mustSucceed(t, wf)
	want := testtree.Files(t, vols["src"].Local)
	want["notes.keep"] = []byte("extra notes.keep")
	sameFiles(t, want, testtree.Files(t, vols["dst"].Local))
	if _, err := os.Stat(filepath.Join(vols["dst"].Local, "stale")); !os.IsNotExist(err) {
		t.Errorf("the extra directory stale at DST: %v", err)
	}
	gone := []string{"gone.bin", "stale", "stale/2", "stale/old", "stale/old/1"}
	if d.Deleted != int64(len(gone)) || d.Kept != 0 || d.Failed != 0 {
		t.Errorf("delete.json %+v: want %d deleted", d, len(gone))
	}
	if got, err := os.ReadFile(filepath.Join(r.RunDir, "deleted")); err != nil || string(got) != strings.Join(gone, "\x00")+"\x00" {
		t.Errorf("deleted list %q (%v), want %q", got, err, gone)
	}
	checkDirsStep(t, wf, r, "rsync", 0)
	checkExitHandler(t, wf)
	data, err := os.ReadFile(filepath.Join(r.RunDir, "outcome.json"))
	if err != nil {
		t.Fatal(err)
	}
	if o, err := psplan.ParseOutcome(data); err != nil || o.Delete == nil || o.Delete.Deleted != int64(len(gone)) {
		t.Errorf("outcome.json %s (%v): want the deletion of %d entries", data, err, len(gone))
	}
}

func mirrorRclone(t *testing.T, s *suite) {
	const bucket, prefix = "mirror", "copy/"
	be, conf := s.s3Remote(t, bucket, "rclone-mirror")
	_, vols := s.volumes(t, "src", "shared")
	makeTree(t, vols["src"].Local, 4, 6, 16<<10)
	for _, key := range []string{"stale/old/1", "stale/2", "gone.bin", "notes.keep"} {
		data := []byte("extra " + key)
		if _, err := be.PutObject(bucket, prefix+key, map[string]string{}, bytes.NewReader(data), int64(len(data)), nil); err != nil {
			t.Fatal(err)
		}
	}
	localConf := filepath.Join(t.TempDir(), "rclone.conf")
	if err := os.WriteFile(localConf, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	r := s.generate(t, "mirror-rclone", vols, vols["src"].Mount, "s3e2e:"+bucket+"/"+strings.TrimSuffix(prefix, "/"),
		"-m", "rclone", "-n", "2", "-f", "8", "--retries", "1", "--backoff", "1s", "--delete", "-x", "*.keep",
		"--rclone-config", localConf, "--rclone-config-secret", "rclone-mirror")
	wf := s.wait(t, s.submit(t, decodeWorkflow(t, r.YAML)), waitTimeout, nil)
	s.mustSucceed(t, wf)
	want := testtree.Files(t, vols["src"].Local)
	want["notes.keep"] = []byte("extra notes.keep")
	sameFiles(t, want, s3Objects(t, be, bucket, prefix))
	d, ok, err := psplan.LoadDeletion(psplan.Dir(r.RunDir))
	if err != nil || !ok || d.Deleted != 3 || d.Partitions < 1 {
		t.Errorf("delete.json %+v (%v, %v): want 3 objects deleted", d, ok, err)
	}
	if got, err := os.ReadFile(filepath.Join(r.RunDir, "deleted")); err != nil || string(got) != "gone.bin\x00stale/2\x00stale/old/1\x00" {
		t.Errorf("deleted list %q (%v)", got, err)
	}
	checkDirsStep(t, wf, r, "rclone", 0)
	t.Logf("rclone mirror: %s", fmt.Sprint(d.Deleted, " objects deleted in ", d.Partitions, " partitions"))
}
