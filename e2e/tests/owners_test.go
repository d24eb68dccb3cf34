package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/partsync/partsync/generator/testtree"
)

// foreignTree writes files and directories owned by other users with
// private modes, as on any shared file system with many users.
func foreignTree(t *testing.T, root string) {
	t.Helper()
	for u := range 3 {
		uid := 1000 + u
		dir := filepath.Join(root, fmt.Sprintf("home-%d", uid))
		if err := os.MkdirAll(filepath.Join(dir, "private"), 0o755); err != nil {
			t.Fatal(err)
		}
		for f := range 4 {
			p := filepath.Join(dir, "private", fmt.Sprintf("data-%d.bin", f))
			if err := os.WriteFile(p, []byte(fmt.Sprintf("user %d file %d\n", uid, f)), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chown(p, uid, uid); err != nil {
				t.Fatal(err)
			}
		}
		for _, d := range []string{filepath.Join(dir, "private"), dir} {
			if err := os.Chmod(d, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.Chown(d, uid, uid); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// testRsyncForeignOwners: a tree of files owned by other users, readable
// by their owners only, is copied with its owners and modes (rsync -a
// --numeric-ids run as root, as partsync's defaults promise). The pod runs
// with the capabilities its securityContext leaves it, as in a cluster.
func testRsyncForeignOwners(t *testing.T, s *suite) {
	// Root pods: Pod Security baseline at best (RootModeNeedsBaseline).
	s = s.in(baselineNS)
	_, vols := s.volumes(t, "src", "dst", "shared")
	foreignTree(t, vols["src"].Local)
	extra := []string{"-n", "2", "-f", "6", "--retries", "1", "--backoff", "1s"}
	// Preserving owners takes root and the capabilities to read and chown
	// others' files; partsync asks for them with --run-as-root where it
	// has the flag (its pods otherwise run as the image's non-root user).
	if s.partsyncHas(t, "--run-as-root", "generate", "--help") {
		extra = append(extra, "--run-as-root")
	} else {
		t.Logf("partsync generate has no --run-as-root: the workflow runs as generated")
	}
	r := s.generate(t, "owners", vols, vols["src"].Mount, vols["dst"].Mount, extra...)
	name := s.submit(t, decodeWorkflow(t, r.YAML))
	wf := s.wait(t, name, waitTimeout, nil)
	s.mustSucceed(t, wf)
	src, dst := vols["src"].Local, vols["dst"].Local
	sameFiles(t, testtree.Files(t, src), testtree.Files(t, dst))
	err := filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if rel == "." {
			return nil
		}
		gi, err := os.Lstat(filepath.Join(dst, rel))
		if err != nil {
			t.Errorf("%s: %v", rel, err)
			return nil
		}
		want, got := fi.Sys().(*syscall.Stat_t), gi.Sys().(*syscall.Stat_t)
		if want.Uid != got.Uid || want.Gid != got.Gid || fi.Mode() != gi.Mode() {
			t.Errorf("%s: owner %d:%d mode %s at the destination, want %d:%d %s", rel, got.Uid, got.Gid, gi.Mode(), want.Uid, want.Gid, fi.Mode())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
