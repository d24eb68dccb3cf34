package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/partsync/partsync/generator/plan"
)

// TestRcloneRemoteOptionsReachDST, with the real rclone and the S3 server
// on 127.0.0.1: a remote that rclone reaches only with a backend option of
// -o (its rclone.conf names another region, so the server refuses every
// signed request; -o '--s3-region us-east-1' fixes it) is copied, listed
// for the mirror's extras, cleaned by rclone delete and verified (each
// partition's listings and the listing for extra entries): run --delete
// --verify exits 0, the file removed from the source is gone at DST and
// verify.json names nothing. Before, only the copy got -o's options.
func TestRcloneRemoteOptionsReachDST(t *testing.T) {
	needTools(t, "rclone")
	base := t.TempDir()
	s3 := StartS3(t, "bucket")
	cfg := filepath.Join(base, "rclone.conf")
	text := strings.Replace(s3.RcloneConfig("s3test"), "region = "+s3Region, "region = eu-west-3", 1)
	if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	// The option is what makes the remote reachable.
	ls := func(extra ...string) error {
		cmd := exec.Command("rclone", append(append([]string{"lsf"}, extra...), "--low-level-retries", "1", "--retries", "1", "s3test:bucket")...)
		cmd.Env = append(os.Environ(), "RCLONE_CONFIG="+cfg)
		return cmd.Run()
	}
	fix := "--s3-region=" + s3Region
	if ls() == nil || ls(fix) != nil {
		t.Fatalf("rclone lsf: want a failure without %s and a listing with it (%v, %v)", fix, ls(), ls(fix))
	}
	src, shared, dst := filepath.Join(base, "src"), filepath.Join(base, "runs"), "s3test:bucket/copy"
	for _, f := range []string{"a/1", "a/2", "b/3", "old.txt"} {
		writeFile(t, filepath.Join(src, f), []byte("content of "+f), 0o644, time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC))
	}
	args := []string{"-m", "rclone", "-n", "2", "-f", "2", "-d", shared, "--rclone-config", cfg, "-o", fix + " --low-level-retries 1"}
	mustPartsync(t, append(append([]string{"run"}, args...), src, dst)...)
	if err := os.Remove(filepath.Join(src, "old.txt")); err != nil {
		t.Fatal(err)
	}
	res := partsync(t.Context(), append(append([]string{"run", "--no-since", "--delete", "--verify", "--run-id", "mirror"}, args...), src, dst)...)
	if res.code != ExitOK {
		t.Fatalf("run --delete --verify with the remote's option in -o: want exit 0\n%s", res)
	}
	var keys []string
	for k := range s3.Objects(t, "bucket", "copy/") {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if want := []string{"copy/a/1", "copy/a/2", "copy/b/3"}; !slices.Equal(keys, want) {
		t.Errorf("DST after the mirror: %q, want %q", keys, want)
	}
	v, ok, err := plan.LoadVerify(plan.Dir(filepath.Join(shared, "mirror")))
	if err != nil || !ok || v.Checked != 3 || len(v.Missing)+len(v.Differing)+len(v.Extra)+len(v.Failed) != 0 || v.ExtraError != "" {
		t.Errorf("verify.json %+v (%v, %v): want 3 checked, no mismatch", v, ok, err)
	}
}
