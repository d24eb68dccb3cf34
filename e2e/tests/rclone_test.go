package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/partsync/partsync/generator/testtree"
)

// s3Objects reads every object under prefix from the in-memory backend.
func s3Objects(t *testing.T, be *s3mem.Backend, bucket, prefix string) map[string][]byte {
	t.Helper()
	list, err := be.ListBucket(bucket, &gofakes3.Prefix{Prefix: prefix, HasPrefix: true}, gofakes3.ListBucketPage{})
	if err != nil {
		t.Fatalf("list bucket: %v", err)
	}
	out := map[string][]byte{}
	for _, c := range list.Contents {
		obj, err := be.GetObject(bucket, c.Key, nil)
		if err != nil {
			t.Fatalf("get %s: %v", c.Key, err)
		}
		data, err := io.ReadAll(obj.Contents)
		_ = obj.Contents.Close()
		if err != nil {
			t.Fatalf("read %s: %v", c.Key, err)
		}
		out[strings.TrimPrefix(c.Key, prefix)] = data
	}
	return out
}

// nonRootUID is the user of the non-root scenarios: partsync's image USER
// (65532), also the operator who runs partsync generate there.
const nonRootUID = 65532

// s3Remote starts an S3 server (gofakes3 in this process, on 127.0.0.1 in
// the suite's network namespace) with an empty bucket, and stores the
// rclone config naming it (remote s3e2e) in the Secret secretName of the
// scenario's namespace. It returns the backend and the config.
func (s *suite) s3Remote(t *testing.T, bucket, secretName string) (*s3mem.Backend, string) {
	t.Helper()
	be := s3mem.New()
	srv := httptest.NewServer(gofakes3.New(be).Server())
	t.Cleanup(srv.Close)
	if err := be.CreateBucket(bucket); err != nil {
		t.Fatal(err)
	}
	conf := fmt.Sprintf("[s3e2e]\ntype = s3\nprovider = Other\naccess_key_id = e2e\nsecret_access_key = e2e-secret\nendpoint = %s\nregion = us-east-1\nforce_path_style = true\n", srv.URL)
	sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: secretName}, Data: map[string][]byte{"rclone.conf": []byte(conf)}}
	if _, err := s.stack.Kube.CoreV1().Secrets(s.ns).Create(context.Background(), sec, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return be, conf
}

// giveTo hands the volumes' local directories to uid, as an operator gives
// a non-root workload the volumes it writes: hostPath and NFS volumes
// ignore fsGroup, so the owner must be right beforehand.
func giveTo(t *testing.T, uid int, vols ...volume) {
	t.Helper()
	for _, v := range vols {
		if err := os.Chown(v.Local, uid, uid); err != nil {
			t.Fatal(err)
		}
	}
}

// checkRanAs asserts that every status file the transfer pods wrote in the
// run directory belongs to uid: the pods really ran as that user (the
// node agent runs each container as its securityContext says).
func checkRanAs(t *testing.T, runDir string, uid int) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(runDir, "status", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no status files in %s (%v)", runDir, err)
	}
	for _, f := range files {
		info, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if got := info.Sys().(*syscall.Stat_t).Uid; int(got) != uid {
			t.Errorf("%s written by uid %d, want %d: the pods did not run as that user", f, got, uid)
		}
	}
}

// testRcloneS3Workflow: partsync generate, run by a non-root user (65532),
// emits a workflow whose pods run as that user; they upload a tree to S3
// with the rclone config from a Secret (readable by a non-root pod only
// through fsGroup: the node agent lays the Secret out root-owned with its
// defaultMode, as a kubelet does); every byte lands in the bucket.
func testRcloneS3Workflow(t *testing.T, s *suite) {
	const bucket, prefix = "partsync", "copy/"
	be, conf := s.s3Remote(t, bucket, "rclone-s3")
	_, vols := s.volumes(t, "src", "shared")
	giveTo(t, nonRootUID, vols["shared"])
	// The operator's own copy of the config, private to it, where it can
	// reach it (the suite's cache below /root is not its to traverse).
	confDir, err := os.MkdirTemp("", "partsync-e2e-rclone-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(confDir) })
	localConf := filepath.Join(confDir, "rclone.conf")
	if err := os.WriteFile(localConf, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{confDir, localConf} {
		if err := os.Chown(p, nonRootUID, nonRootUID); err != nil {
			t.Fatal(err)
		}
	}
	makeTree(t, vols["src"].Local, 6, 10, 96<<10)
	const jobs = 2
	r := s.asOperator(nonRootUID).generate(t, "rclone", vols, vols["src"].Mount, "s3e2e:"+bucket+"/"+strings.TrimSuffix(prefix, "/"),
		"-m", "rclone", "-n", fmt.Sprint(jobs), "-f", "15", "--retries", "2", "--backoff", "1s",
		"--rclone-config", localConf, "--rclone-config-secret", "rclone-s3")
	// A file written after the scan is in no partition: the directory step
	// names it in recheck.json and the added file.
	want := testtree.Files(t, vols["src"].Local)
	const late = "written-after-the-scan"
	if err := os.WriteFile(filepath.Join(vols["src"].Local, late), []byte("late"), 0o644); err != nil {
		t.Fatal(err)
	}
	rec := s.recordPods(t, "partsync-"+r.ID)
	name := s.submit(t, decodeWorkflow(t, r.YAML))
	wf := s.wait(t, name, waitTimeout, nil)
	s.mustSucceed(t, wf)
	atts := s.checkOnePodPerPartition(t, wf, rec, r.Parts)
	checkParallelism(t, atts, jobs)
	checkDirsStep(t, wf, r, "rclone", 1)
	checkRanAs(t, r.RunDir, nonRootUID)
	if added, err := os.ReadFile(filepath.Join(r.RunDir, "added")); err != nil || string(added) != late+"\x00" {
		t.Errorf("added file %q (%v), want %q", added, err, late)
	}
	got := s3Objects(t, be, bucket, prefix)
	sameFiles(t, want, got)
	if len(got) != len(want) {
		t.Errorf("%d objects in the bucket, %d files at the source", len(got), len(want))
	}
	checkExitHandler(t, wf)
	o := readOutcome(t, filepath.Join(r.RunDir, "outcome.json"))
	if o.WorkflowStatus != "Succeeded" || !slices.Equal(o.Succeeded, seq(r.Parts)) || len(o.Failed) != 0 {
		t.Errorf("outcome.json = %+v, want Succeeded with all %d partitions succeeded", o, r.Parts)
	}
	var total int
	for _, d := range want {
		total += len(d)
	}
	t.Logf("rclone workflow: %d files, %d bytes, %d partitions in %s", len(want), total, r.Parts,
		wf.Status.FinishedAt.Sub(wf.Status.StartedAt.Time).Round(time.Second))

	// generate again after one file changed: the finished run above is its
	// base, the workflow copies the changed file and the late one (new to
	// the base's manifest) with --no-check-dest, and nothing else.
	var changed string
	for _, k := range slices.Sorted(maps.Keys(want)) {
		changed = k
		break
	}
	if err := os.WriteFile(filepath.Join(vols["src"].Local, changed), []byte("changed since the first run"), 0o644); err != nil {
		t.Fatal(err)
	}
	r2 := s.asOperator(nonRootUID).generate(t, "rclone-again", vols, vols["src"].Mount, "s3e2e:"+bucket+"/"+strings.TrimSuffix(prefix, "/"),
		"-m", "rclone", "-n", fmt.Sprint(jobs), "-f", "15", "--retries", "2", "--backoff", "1s",
		"--rclone-config", localConf, "--rclone-config-secret", "rclone-s3")
	p2 := readPlan(t, filepath.Join(r2.RunDir, "plan.json"))
	if p2.Incremental == nil || p2.Incremental.BaseRunID != r.ID || !p2.Incremental.NoCheckDest || p2.Incremental.Unchanged < int64(len(want))-1 {
		t.Fatalf("the second generate's plan.json incremental %+v; want base %s, --no-check-dest, the rest unchanged", p2.Incremental, r.ID)
	}
	name2 := s.submit(t, decodeWorkflow(t, r2.YAML))
	s.mustSucceed(t, s.wait(t, name2, waitTimeout, nil))
	var sentFiles int64
	for i := range r2.Parts {
		var st struct {
			Argv []string `json:"argv"`
			Sent *struct {
				Files int64 `json:"files"`
			} `json:"sent"`
		}
		data, err := os.ReadFile(filepath.Join(r2.RunDir, "status", fmt.Sprint(i)+".json"))
		if err == nil {
			err = json.Unmarshal(data, &st)
		}
		if err != nil {
			t.Fatalf("status of part %d of the re-run: %v", i, err)
		}
		if !slices.Contains(st.Argv, "--no-check-dest") {
			t.Errorf("part %d of the re-run ran %q, without --no-check-dest", i, st.Argv)
		}
		if st.Sent != nil {
			sentFiles += st.Sent.Files
		}
	}
	got = s3Objects(t, be, bucket, prefix)
	if sentFiles != 2 || string(got[changed]) != "changed since the first run" || string(got[late]) != "late" {
		t.Errorf("the re-run sent %d files (want 2: the changed and the late one); object %s = %q, %s = %q", sentFiles, changed, got[changed], late, got[late])
	}
}

// testRcloneS3FromTemplate: partsync template's WorkflowTemplate with
// rclone and the config Secret, submitted as the UI does into the
// restricted namespace: the scan and the uploads run as the image's
// non-root user and every byte lands in the bucket.
func testRcloneS3FromTemplate(t *testing.T, s *suite) {
	s.needTemplatePods(t)
	const bucket, prefix = "partsync-tmpl", "copy/"
	be, _ := s.s3Remote(t, bucket, "rclone-s3-tmpl")
	_, vols := s.volumes(t, "src", "shared")
	giveTo(t, s.imageUser, vols["shared"])
	makeTree(t, vols["src"].Local, 4, 8, 64<<10)
	const jobs, name = 2, "partsync-e2e-rclone-template"
	dst := "s3e2e:" + bucket + "/" + strings.TrimSuffix(prefix, "/")
	argv := append(s.templateFlags(name, vols, jobs), "-m", "rclone", "--rclone-config-secret", "rclone-s3-tmpl")
	s.createTemplate(t, s.templateFromPartsync(t, vols, vols["src"].Mount, dst, argv...))
	runDir := s.runFromTemplate(t, name, vols, dst, jobs)
	checkRanAs(t, runDir, s.imageUser)
	want, got := testtree.Files(t, vols["src"].Local), s3Objects(t, be, bucket, prefix)
	sameFiles(t, want, got)
	if len(got) != len(want) {
		t.Errorf("%d objects in the bucket, %d files at the source", len(got), len(want))
	}
}
