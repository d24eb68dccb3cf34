package tests

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	psplan "github.com/partsync/partsync/generator/plan"
	"github.com/partsync/partsync/generator/testtree"
)

// testVerifyStep: generate --verify on the real controller, for rsync
// between volumes and for rclone to S3. A good copy passes: the verify pods
// (one per partition) and the sum run after the directory step, verify.json
// names nothing, outcome.json says ok. A second run of the same SRC → DST,
// held (a suspend step the test inserts before the verify fan-out) while
// the test rewrites one byte of one file at DST, fails: verify.json names
// that file and outcome.json says the verification failed.
func testVerifyStep(t *testing.T, s *suite) {
	t.Run("rsync", func(t *testing.T) {
		_, vols := s.volumes(t, "src", "dst", "shared")
		makeTree(t, vols["src"].Local, 4, 6, 16<<10)
		args := []string{"--verify", "-n", "2", "-f", "8", "--retries", "1", "--backoff", "1s", "--no-since"}
		good := s.generate(t, "verify-good", vols, vols["src"].Mount, vols["dst"].Mount, args...)
		s.checkVerified(t, good, nil)
		sameFiles(t, testtree.Files(t, vols["src"].Local), testtree.Files(t, vols["dst"].Local))

		bad := s.generate(t, "verify-bad", vols, vols["src"].Mount, vols["dst"].Mount, args...)
		spoiled := firstFile(t, vols["dst"].Local)
		s.checkVerified(t, bad, func() {
			path := filepath.Join(vols["dst"].Local, spoiled)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			data[len(data)/2] ^= 0xff
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}, spoiled)
	})
	t.Run("rclone-s3", func(t *testing.T) {
		const bucket = "partsync-verify"
		be, _ := s.s3Remote(t, bucket, "rclone-s3-verify")
		_, vols := s.volumes(t, "src", "shared")
		makeTree(t, vols["src"].Local, 4, 6, 16<<10)
		args := []string{"--verify", "-m", "rclone", "-n", "2", "-f", "8", "--retries", "1", "--backoff", "1s", "--no-since",
			"--rclone-config-secret", "rclone-s3-verify"}
		dst := "s3e2e:" + bucket + "/copy"
		good := s.generateWithRcloneConfig(t, "verify-s3-good", vols, dst, args...)
		s.checkVerified(t, good, nil)

		bad := s.generateWithRcloneConfig(t, "verify-s3-bad", vols, dst, args...)
		spoiled := firstFile(t, vols["src"].Local)
		s.checkVerified(t, bad, func() {
			data, err := os.ReadFile(filepath.Join(vols["src"].Local, spoiled))
			if err != nil {
				t.Fatal(err)
			}
			data[len(data)/2] ^= 0xff
			// A new upload, as a writer would make it: new bytes and a new
			// mtime (s3mem merges the old object's metadata into a PUT's,
			// which S3 does not: the mtime rclone stored is replaced here).
			obj, err := be.HeadObject(bucket, "copy/"+spoiled)
			if err != nil {
				t.Fatal(err)
			}
			meta := map[string]string{}
			for k, v := range obj.Metadata {
				meta[k] = v
				if strings.EqualFold(k, "X-Amz-Meta-Mtime") {
					meta[k] = fmt.Sprintf("%d.%09d", time.Now().Unix(), time.Now().Nanosecond())
				}
			}
			if _, err := be.PutObject(bucket, "copy/"+spoiled, meta, bytes.NewReader(data), int64(len(data)), nil); err != nil {
				t.Fatal(err)
			}
		}, spoiled)
	})
}

// generateWithRcloneConfig generates run id to the S3 remote of the suite's
// s3Remote, with the operator's private copy of its config.
func (s *suite) generateWithRcloneConfig(t *testing.T, id string, vols map[string]volume, dst string, args ...string) run {
	t.Helper()
	sec, err := s.stack.Kube.CoreV1().Secrets(s.ns).Get(t.Context(), "rclone-s3-verify", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	conf := filepath.Join(dir, "rclone.conf")
	if err := os.WriteFile(conf, sec.Data["rclone.conf"], 0o600); err != nil {
		t.Fatal(err)
	}
	return s.generate(t, id, vols, vols["src"].Mount, dst, append(args, "--rclone-config", conf)...)
}

// firstFile is the first regular file below root, in sorted order.
func firstFile(t *testing.T, root string) string {
	t.Helper()
	files := testtree.Files(t, root)
	var names []string
	for name, data := range files {
		if len(data) > 0 {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		t.Fatalf("no file in %s", root)
	}
	slices.Sort(names)
	return names[0]
}

// checkVerified submits run r. With spoil nil the workflow must succeed,
// its verify steps having run after the directory step with verify.json
// naming nothing. Otherwise the workflow is held before its verify
// fan-out, spoil runs, and the workflow must fail with verify.json naming
// exactly the differing paths want, and outcome.json saying so.
func (s *suite) checkVerified(t *testing.T, r run, spoil func(), want ...string) {
	t.Helper()
	wfu := decodeWorkflow(t, r.YAML)
	if spoil != nil {
		holdBeforeVerify(t, wfu)
	}
	name := s.submit(t, wfu)
	spoiled := false
	wf := s.wait(t, name, waitTimeout, func(wf *wfv1.Workflow) {
		for _, n := range wf.Status.Nodes {
			if spoil != nil && !spoiled && n.TemplateName == holdName && n.Phase == wfv1.NodeRunning {
				spoil()
				spoiled = true
				t.Logf("DST spoiled while the workflow is held before its verify pods: %q", want)
			}
		}
	})
	verifyPods, sums := 0, 0
	for _, n := range wf.Status.Nodes {
		if n.Type != wfv1.NodeTypePod {
			continue
		}
		switch n.TemplateName {
		case "verify":
			verifyPods++
		case "verify-sum":
			sums++
		}
	}
	if verifyPods != r.Parts || sums != 1 {
		t.Errorf("workflow %s ran %d verify pods and %d sums; want one per partition (%d) and one", name, verifyPods, sums, r.Parts)
	}
	var v psplan.Verify
	data, err := os.ReadFile(filepath.Join(r.RunDir, "verify.json"))
	if err == nil {
		err = json.Unmarshal(data, &v)
	}
	if err != nil {
		t.Fatalf("verify.json of %s: %v\ncontainer logs:\n%s", name, err, s.stack.ContainerLogs(name))
	}
	var o struct {
		Verify *psplan.VerifyOutcome `json:"verify"`
	}
	if data, err := os.ReadFile(filepath.Join(r.RunDir, "outcome.json")); err != nil || json.Unmarshal(data, &o) != nil || o.Verify == nil {
		t.Fatalf("outcome.json of %s has no verify section: %v\n%s", name, err, data)
	}
	if spoil == nil {
		s.mustSucceed(t, wf)
		if v.Mismatches() != 0 || v.Checked == 0 || !o.Verify.OK {
			t.Errorf("good copy: verify.json %+v, outcome %+v; want every entry checked, nothing named, ok", v, *o.Verify)
		}
		return
	}
	if !spoiled {
		t.Fatalf("the hold step never ran: nothing was spoiled")
	}
	if wf.Status.Phase != wfv1.WorkflowFailed || !strings.Contains(workflowMessages(wf), "exit code 5") {
		t.Errorf("spoiled copy: workflow %s %s (%s); want Failed by the verify sum's exit code 5", name, wf.Status.Phase, workflowMessages(wf))
	}
	if !slices.Equal(v.Differing, want) || len(v.Missing)+len(v.Extra)+len(v.Failed) != 0 {
		t.Errorf("spoiled copy: verify.json differing %q missing %q extra %q failed %+v; want differing %q only", v.Differing, v.Missing, v.Extra, v.Failed, want)
	}
	if o.Verify.OK || o.Verify.Differing != len(want) {
		t.Errorf("spoiled copy: outcome.json verify %+v; want not ok, %d differing", *o.Verify, len(want))
	}
}

// holdName is the suspend step holdBeforeVerify inserts.
const holdName = "e2e-hold"

// holdBeforeVerify inserts, before the verify fan-out of wf's entry point,
// a step that suspends the workflow for 20 s: the test's window to change
// DST between the copy and the verification.
func holdBeforeVerify(t *testing.T, wf *unstructured.Unstructured) {
	t.Helper()
	templates, _, _ := unstructured.NestedSlice(wf.Object, "spec", "templates")
	entry, _, _ := unstructured.NestedString(wf.Object, "spec", "entrypoint")
	found := false
	for _, x := range templates {
		tmpl, _ := x.(map[string]any)
		if tmpl["name"] != entry {
			continue
		}
		steps, _ := tmpl["steps"].([]any)
		for i, g := range steps {
			group, _ := g.([]any)
			if len(group) > 0 && fmt.Sprint(group[0].(map[string]any)["name"]) == "verify" {
				hold := []any{map[string]any{"name": holdName, "template": holdName}}
				tmpl["steps"] = append(steps[:i:i], append([]any{hold}, steps[i:]...)...)
				found = true
				break
			}
		}
	}
	if !found {
		t.Fatalf("workflow %s has no verify step group", wf.GetName())
	}
	templates = append(templates, map[string]any{"name": holdName, "suspend": map[string]any{"duration": "20"}})
	if err := unstructured.SetNestedSlice(wf.Object, templates, "spec", "templates"); err != nil {
		t.Fatal(err)
	}
}
