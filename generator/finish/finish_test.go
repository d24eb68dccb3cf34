package finish_test

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/partsync/partsync/generator/finish"
	"github.com/partsync/partsync/generator/plan"
	"github.com/partsync/partsync/generator/prepare"
	"github.com/partsync/partsync/generator/transfer"
	"github.com/partsync/partsync/generator/verify"
)

// TestRunAfterThePartitions, with the real rsync: before every partition
// has succeeded no step runs and the directory step is pending; after the
// partitions, the recheck names a file added after the scan, then (in that
// order) the directory step restores a directory's mode and mtime at the
// destination.
func TestRunAfterThePartitions(t *testing.T) {
	if _, err := exec.LookPath("rsync"); err != nil {
		t.Skip("rsync is not installed")
	}
	ctx := context.Background()
	base := t.TempDir()
	src, dst := filepath.Join(base, "src"), filepath.Join(base, "dst")
	for _, f := range []string{"a/1", "a/2", "a/b/3", "c/4"} {
		if err := os.MkdirAll(filepath.Join(src, filepath.Dir(f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(src, f), []byte(f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	if err := os.Chmod(filepath.Join(src, "a/b"), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(filepath.Join(src, "a/b"), old, old); err != nil {
		t.Fatal(err)
	}
	p, err := prepare.Prepare(ctx, prepare.Request{
		Source: src, Destination: dst, Tool: "rsync", MaxFiles: 2, MaxBytes: 1 << 30,
		SharedDir: filepath.Join(base, "runs"), RunID: "r", ScanWorkers: 2, Version: "test",
		Getenv: func(string) string { return "" }, Now: time.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	var steps []string
	o := finish.Options{
		Rechecked: func(*plan.Recheck, string) { steps = append(steps, "recheck") },
		Attempt: func(ctx context.Context, part int, argv []string) (*plan.Status, error) {
			steps = append(steps, "dirs")
			return transfer.Run(ctx, p, transfer.Spec{Dir: p.Dir(), Part: part, Argv: argv, Executor: "local", Output: os.Stderr})
		},
	}

	res, err := finish.Run(ctx, p, o)
	if !errors.Is(err, transfer.ErrDirsNotReady) || !res.Dirs.Pending || res.Dirs.Ran || len(steps) > 0 {
		t.Fatalf("before the partitions: %+v, %v, steps %q; want pending, ErrDirsNotReady, no step", res.Dirs, err, steps)
	}

	for i := range p.Count() {
		argv, err := transfer.Command(p, strconv.Itoa(i))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := transfer.Run(ctx, p, transfer.Spec{Dir: p.Dir(), Part: i, Argv: argv, Executor: "local", Output: os.Stderr}); err != nil {
			t.Fatal(err)
		}
	}
	// What the partitions running at once leave: a fresh mtime and mode.
	if err := os.Chmod(filepath.Join(dst, "a/b"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(filepath.Join(dst, "a/b"), time.Now(), time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "c/late"), nil, 0o644); err != nil {
		t.Fatal(err)
	}

	res, err = finish.Run(ctx, p, o)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(steps, []string{"recheck", "dirs"}) {
		t.Errorf("steps %q, want the recheck, then the directory step", steps)
	}
	if res.Recheck == nil || res.Recheck.Added != 1 || !slices.Equal(res.Recheck.First, []string{"c/late"}) {
		t.Errorf("recheck %+v, want c/late added", res.Recheck)
	}
	if d := res.Dirs; !d.Ran || !d.OK || d.Attempts != 1 || d.Pending {
		t.Errorf("directory step %+v, want ran ok once", d)
	}
	fi, err := os.Stat(filepath.Join(dst, "a/b"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o750 || !fi.ModTime().Equal(old) {
		t.Errorf("a/b at the destination: %v %v, want 0750 %v", fi.Mode().Perm(), fi.ModTime(), old)
	}

	// Verify runs after the directory step: a directory mtime the
	// partitions left wrong is restored before rsync compares it.
	if err := os.Chtimes(filepath.Join(dst, "a/b"), time.Now(), time.Now()); err != nil {
		t.Fatal(err)
	}
	o.Verify = &verify.Options{Jobs: 2}
	res, err = finish.Run(ctx, p, o)
	if err != nil || res.Verify == nil || res.Verify.Checked != p.Totals.Entries || res.Verify.Mismatches() != 0 {
		t.Fatalf("verify after the directory step: %+v, %v; want every entry checked, nothing named", res.Verify, err)
	}
	// One byte changed at DST, same size and mtime: content differs.
	path := filepath.Join(dst, "a/1")
	fi, err = os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("a/X"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
	o.Verify.Checksum = true
	res, err = finish.Run(ctx, p, o)
	if !errors.Is(err, verify.ErrMismatch) || res.Verify == nil || !slices.Equal(res.Verify.Differing, []string{"a/1"}) {
		t.Errorf("verify --checksum after a byte changed: %+v, %v; want a/1 differing, ErrMismatch", res.Verify, err)
	}
	if v, ok, err := plan.LoadVerify(p.Dir()); err != nil || !ok || !slices.Equal(v.Differing, []string{"a/1"}) {
		t.Errorf("verify.json: %+v, %t, %v; want a/1 differing", v, ok, err)
	}
}

// TestRunMirror, with the real rsync: in a mirror run (plan.Delete) the
// steps after the partitions delete the extras at DST before the directory
// step, so the mtime of a directory an extra was deleted from is the
// source's afterwards; Result.Delete reports the deletion. Before every
// partition has succeeded the pass is refused and DST keeps its extras.
func TestRunMirror(t *testing.T) {
	if _, err := exec.LookPath("rsync"); err != nil {
		t.Skip("rsync is not installed")
	}
	ctx := context.Background()
	base := t.TempDir()
	src, dst := filepath.Join(base, "src"), filepath.Join(base, "dst")
	for _, f := range []string{"a/1", "a/2", "c/4"} {
		if err := os.MkdirAll(filepath.Join(src, filepath.Dir(f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(src, f), []byte(f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	if err := os.Chtimes(filepath.Join(src, "a"), old, old); err != nil {
		t.Fatal(err)
	}
	p, err := prepare.Prepare(ctx, prepare.Request{
		Source: src, Destination: dst, Tool: "rsync", MaxFiles: 2, MaxBytes: 1 << 30, Delete: true,
		SharedDir: filepath.Join(base, "runs"), RunID: "r", ScanWorkers: 2, Version: "test",
		Getenv: func(string) string { return "" }, Now: time.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	o := finish.Options{Jobs: 2, Attempt: func(ctx context.Context, part int, argv []string) (*plan.Status, error) {
		return transfer.Run(ctx, p, transfer.Spec{Dir: p.Dir(), Part: part, Argv: argv, Executor: "local", Output: io.Discard})
	}}
	if err := os.MkdirAll(filepath.Join(dst, "a"), 0o755); err != nil {
		t.Fatal(err)
	}
	extra := filepath.Join(dst, "a", "extra")
	if err := os.WriteFile(extra, nil, 0o644); err != nil {
		t.Fatal(err)
	}

	res, err := finish.Run(ctx, p, o)
	if !errors.Is(err, transfer.ErrDirsNotReady) || res.Delete == nil || !strings.Contains(res.Delete.Refused, "have not succeeded") {
		t.Fatalf("before the partitions: %v, delete %+v; want the pass refused", err, res.Delete)
	}
	if _, err := os.Stat(extra); err != nil {
		t.Fatalf("the extra before the partitions: %v", err)
	}
	for i := range p.Count() {
		argv, err := transfer.Command(p, strconv.Itoa(i))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := o.Attempt(ctx, i, argv); err != nil {
			t.Fatal(err)
		}
	}
	res, err = finish.Run(ctx, p, o)
	if err != nil {
		t.Fatal(err)
	}
	if d := res.Delete; d == nil || d.Deleted != 1 || d.Refused != "" || !slices.Equal(d.First, []string{"a/extra"}) {
		t.Errorf("delete %+v, want a/extra deleted", d)
	}
	if _, err := os.Lstat(extra); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the extra after the pass: %v", err)
	}
	if fi, err := os.Stat(filepath.Join(dst, "a")); err != nil || !fi.ModTime().Equal(old) {
		t.Errorf("mtime of a at DST after the pass: %v (%v), want the source's %v", fi.ModTime(), err, old)
	}
}
