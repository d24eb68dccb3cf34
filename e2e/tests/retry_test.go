package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	"golang.org/x/sys/unix"

	"github.com/partsync/partsync/generator/testtree"
)

// fsImmutableFL is FS_IMMUTABLE_FL of linux/fs.h (golang.org/x/sys has the
// ioctl numbers but not this flag).
const fsImmutableFL = 0x00000010

// setImmutable sets or clears a directory's immutable attribute: while set,
// nobody, root included, can create anything in it. That is how these
// tests make part of the destination unavailable.
func setImmutable(dir string, on bool) error {
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("immutable %s: %w", dir, err)
	}
	defer f.Close()
	flags, err := unix.IoctlGetInt(int(f.Fd()), unix.FS_IOC_GETFLAGS)
	if err != nil {
		return fmt.Errorf("get flags of %s: %w", dir, err)
	}
	if on {
		flags |= fsImmutableFL
	} else {
		flags &^= fsImmutableFL
	}
	if err := unix.IoctlSetPointerInt(int(f.Fd()), unix.FS_IOC_SETFLAGS, flags); err != nil {
		return fmt.Errorf("set flags of %s: %w", dir, err)
	}
	return nil
}

// blockPartition makes the destination of one top-level directory
// unavailable and returns the partitions that write into it: each of them
// fails while it stays so.
func blockPartition(t *testing.T, r run, dstLocal string) (string, []int) {
	t.Helper()
	pick := ""
	for _, f := range partFiles(t, r.RunDir, r.Parts-1) {
		if i := strings.IndexByte(f, '/'); i > 0 {
			pick = f[:i]
			break
		}
	}
	if pick == "" {
		t.Fatalf("partition %d lists no file below a directory", r.Parts-1)
	}
	var hit []int
	for p := range r.Parts {
		for _, f := range partFiles(t, r.RunDir, p) {
			if f == pick || strings.HasPrefix(f, pick+"/") {
				hit = append(hit, p)
				break
			}
		}
	}
	if len(hit) == r.Parts {
		t.Fatalf("every partition writes into %s; the tree is too small to fail only some", pick)
	}
	dir := filepath.Join(dstLocal, pick)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// The destination's owner (the pods' user) owns it, as if a pod had
	// made it: once restored, the retry can write there.
	if info, err := os.Stat(dstLocal); err != nil {
		t.Fatal(err)
	} else if st, ok := info.Sys().(*syscall.Stat_t); ok {
		if err := os.Chown(dir, int(st.Uid), int(st.Gid)); err != nil {
			t.Fatal(err)
		}
	}
	if err := setImmutable(dir, true); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = setImmutable(dir, false) })
	return dir, hit
}

// testRetryThenSucceed: a partition whose destination is unavailable fails
// its first attempt(s); once the destination is back, Argo's retry (with
// the configured backoff) copies it and the workflow succeeds.
func testRetryThenSucceed(t *testing.T, s *suite) {
	_, vols := s.volumes(t, "src", "dst", "shared")
	makeTree(t, vols["src"].Local, 6, 10, 8<<10)
	const retries, backoff = 4, 3 * time.Second
	r := s.generate(t, "retry", vols, vols["src"].Mount, vols["dst"].Mount,
		"-n", "2", "-f", "10", "--retries", fmt.Sprint(retries), "--backoff", backoff.String())
	blocked, hit := blockPartition(t, r, vols["dst"].Local)
	t.Logf("destination %s unavailable: partitions %v fail until it is restored", blocked, hit)
	name := s.submit(t, decodeWorkflow(t, r.YAML))
	restored := false
	wf := s.wait(t, name, waitTimeout, func(wf *wfv1.Workflow) {
		if restored {
			return
		}
		for p, as := range transferAttempts(t, wf, transferTemplate) {
			if slices.Contains(hit, p) && slices.ContainsFunc(as, func(a attempt) bool { return a.Node.Phase == wfv1.NodeFailed }) {
				if err := setImmutable(blocked, false); err != nil {
					t.Fatal(err)
				}
				restored = true
				t.Logf("partition %d failed an attempt: destination restored", p)
				return
			}
		}
	})
	s.mustSucceed(t, wf)
	// A blocked partition that had to wait for a slot may have started after
	// the restore: it then needed one attempt. At least one was retried.
	atts := transferAttempts(t, wf, transferTemplate)
	retried := 0
	for p := range r.Parts {
		as := atts[p]
		if len(as) == 0 {
			t.Errorf("partition %d: no attempt", p)
			continue
		}
		if last := as[len(as)-1]; last.Node.Phase != wfv1.NodeSucceeded {
			t.Errorf("partition %d: last attempt %s", p, last.Node.Phase)
		}
		if !slices.Contains(hit, p) {
			if len(as) != 1 {
				t.Errorf("partition %d (not blocked): %d attempts, want 1", p, len(as))
			}
			continue
		}
		if len(as) > retries+1 {
			t.Errorf("partition %d: %d attempts, more than 1 + --retries %d", p, len(as), retries)
		}
		for _, a := range as[:len(as)-1] {
			if a.Node.Phase != wfv1.NodeFailed {
				t.Errorf("partition %d: attempt %s %s before the last, want Failed", p, a.Node.ID, a.Node.Phase)
			}
		}
		if len(as) > 1 {
			retried++
			checkBackoff(t, p, as, backoff)
		}
	}
	if retried == 0 {
		t.Errorf("no partition was retried")
	}
	sameFiles(t, testtree.Files(t, vols["src"].Local), testtree.Files(t, vols["dst"].Local))
	o := readOutcome(t, filepath.Join(r.RunDir, "outcome.json"))
	if o.WorkflowStatus != "Succeeded" || len(o.Failed) != 0 || !slices.Equal(o.Succeeded, seq(r.Parts)) {
		t.Errorf("outcome.json = %+v, want Succeeded with every partition succeeded", o)
	}
}

// checkBackoff asserts that attempt i+1 started no sooner than backoff*2^i
// after attempt i finished (Argo records whole seconds: one second of
// slack), and logs the gaps.
func checkBackoff(t *testing.T, part int, as []attempt, backoff time.Duration) {
	t.Helper()
	want := backoff
	for i := 1; i < len(as); i++ {
		gap := as[i].Started.Sub(as[i-1].Finished)
		t.Logf("partition %d: attempt %d started %s after attempt %d finished (backoff %s)", part, i, gap, i-1, want)
		if gap < want-time.Second {
			t.Errorf("partition %d: retry %d after %s, want at least the backoff %s", part, i, gap, want)
		}
		want *= 2
	}
}

// testAlwaysFails: a partition that never succeeds ends the workflow Failed
// after its retries, and the exit handler's outcome.json names it.
func testAlwaysFails(t *testing.T, s *suite) {
	_, vols := s.volumes(t, "src", "dst", "shared")
	makeTree(t, vols["src"].Local, 6, 10, 8<<10)
	const retries = 1
	r := s.generate(t, "fail", vols, vols["src"].Mount, vols["dst"].Mount,
		"-n", "2", "-f", "10", "--retries", fmt.Sprint(retries), "--backoff", "1s")
	_, hit := blockPartition(t, r, vols["dst"].Local)
	name := s.submit(t, decodeWorkflow(t, r.YAML))
	wf := s.wait(t, name, waitTimeout, nil)
	if wf.Status.Phase != wfv1.WorkflowFailed {
		t.Fatalf("workflow %s: %s, want Failed", name, wf.Status.Phase)
	}
	atts := transferAttempts(t, wf, transferTemplate)
	var ok []int
	for p := range r.Parts {
		if !slices.Contains(hit, p) {
			ok = append(ok, p)
			continue
		}
		as := atts[p]
		if len(as) != retries+1 {
			t.Errorf("partition %d: %d attempts, want %d (1 + --retries)", p, len(as), retries+1)
		}
		for _, a := range as {
			if a.Node.Phase != wfv1.NodeFailed {
				t.Errorf("partition %d: attempt %s is %s, want Failed", p, a.Node.ID, a.Node.Phase)
			}
		}
	}
	checkExitHandler(t, wf)
	o := readOutcome(t, filepath.Join(r.RunDir, "outcome.json"))
	slices.Sort(o.Failed)
	slices.Sort(o.Succeeded)
	if o.WorkflowStatus != "Failed" || !slices.Equal(o.Failed, hit) || !slices.Equal(o.Succeeded, ok) || len(o.Missing) != 0 || o.Partitions != r.Parts {
		t.Errorf("outcome.json = %+v, want workflow_status Failed, failed %v, succeeded %v, partitions %d", o, hit, ok, r.Parts)
	}
}
