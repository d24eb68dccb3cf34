package extras_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/partsync/partsync/generator/extras"
	"github.com/partsync/partsync/generator/prepare"
	"github.com/partsync/partsync/generator/testtree/copytest"
)

// TestListLocal, with the real rsync: after a copy, the extras at DST are
// the entries the source does not have (a file, a directory and its
// contents), in walk order; an excluded file at DST, a file added to the
// source after the scan, and a file the scan saw are not extras.
func TestListLocal(t *testing.T) {
	if _, err := exec.LookPath("rsync"); err != nil {
		t.Skip("rsync is not installed")
	}
	base := t.TempDir()
	src, dst := filepath.Join(base, "src"), filepath.Join(base, "dst")
	copytest.Write(t, src, "a/1", "a/2", "a/b/3", "c/4", "skip.tmp")
	p := copytest.Copied(t, prepare.Request{Source: src, Destination: dst, Tool: "rsync", Excludes: []string{"*.tmp"}}, nil)
	copytest.Write(t, dst, "a/extra", "old/gone/5", "old/6", "keep.tmp", "c/d.tmp/7")
	copytest.Write(t, src, "late") // added after the scan, and present at DST
	copytest.Write(t, dst, "late") // (copied by a later run, say)
	if err := os.Symlink("/etc", filepath.Join(dst, "link")); err != nil {
		t.Fatal(err)
	}

	l, err := extras.List(context.Background(), p, extras.Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	want := []extras.Entry{{Path: "a/extra"}, {Path: "link"}, {Path: "old", Dir: true}, {Path: "old/6"}, {Path: "old/gone", Dir: true}, {Path: "old/gone/5"}}
	if !reflect.DeepEqual(l.Extras, want) {
		t.Errorf("extras %+v,\nwant %+v", l.Extras, want)
	}
	if l.InSource != 1 || l.Remote {
		t.Errorf("in source %d (want 1: late), remote %v", l.InSource, l.Remote)
	}
}

// TestListRemote, with the real rclone: a remote DST (a local-type remote
// defined in the environment) is listed with rclone lsf and compared the
// same way: the extra objects are named, the excluded one is not.
func TestListRemote(t *testing.T) {
	src, dst, env := copytest.LocalRemote(t)
	copytest.Write(t, src, "a/1", "a/2", "a/b/3", "c/4", "x.tmp")
	p := copytest.Copied(t, prepare.Request{Source: src, Destination: "loc:" + dst, Tool: "rclone", Excludes: []string{"*.tmp"}}, env)
	copytest.Write(t, dst, "a/b/extra", "z/9", "old.tmp", "y.tmp/8")

	l, err := extras.List(context.Background(), p, extras.Options{Env: env})
	if err != nil {
		t.Fatal(err)
	}
	want := []extras.Entry{{Path: "a/b/extra"}, {Path: "z/9"}}
	if !reflect.DeepEqual(l.Extras, want) || !l.Remote {
		t.Errorf("extras %+v (remote %v), want %+v", l.Extras, l.Remote, want)
	}
	if l.Listed != 6 {
		t.Errorf("listed %d, want the 4 copied files and the 2 extras", l.Listed)
	}
}
