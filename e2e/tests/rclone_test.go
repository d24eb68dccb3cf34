package tests

import (
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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

// testRcloneS3Workflow: a generated rclone workflow uploads a tree to an S3
// server (gofakes3 in this process, on 127.0.0.1 in the suite's network
// namespace); the pods read the rclone config from a Secret.
func testRcloneS3Workflow(t *testing.T, s *suite) {
	ctx := context.Background()
	be := s3mem.New()
	srv := httptest.NewServer(gofakes3.New(be).Server())
	t.Cleanup(srv.Close)
	const bucket, prefix = "partsync", "copy/"
	if err := be.CreateBucket(bucket); err != nil {
		t.Fatal(err)
	}
	conf := fmt.Sprintf("[s3e2e]\ntype = s3\nprovider = Other\naccess_key_id = e2e\nsecret_access_key = e2e-secret\nendpoint = %s\nregion = us-east-1\nforce_path_style = true\n", srv.URL)
	sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "rclone-s3"}, Data: map[string][]byte{"rclone.conf": []byte(conf)}}
	if _, err := s.stack.Kube.CoreV1().Secrets(namespace).Create(ctx, sec, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	_, vols := s.volumes(t, "src", "shared")
	localConf := filepath.Join(vols["shared"].Local, "..", "rclone.conf")
	if err := os.WriteFile(localConf, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	makeTree(t, vols["src"].Local, 6, 10, 96<<10)
	const jobs = 2
	r := s.generate(t, "rclone", vols, vols["src"].Mount, "s3e2e:"+bucket+"/"+strings.TrimSuffix(prefix, "/"),
		"-m", "rclone", "-n", fmt.Sprint(jobs), "-f", "15", "--retries", "2", "--backoff", "1s",
		"--rclone-config", localConf, "--rclone-config-secret", "rclone-s3")
	// A file written after the scan is in no partition: the directory step
	// names it in recheck.json and the added file.
	want := treeFiles(t, vols["src"].Local)
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
}
