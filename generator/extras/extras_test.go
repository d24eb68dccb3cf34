package extras_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/partsync/partsync/generator/extras"
	"github.com/partsync/partsync/generator/plan"
	"github.com/partsync/partsync/generator/prepare"
	"github.com/partsync/partsync/generator/transfer"
)

// write makes each file under root with its path as content.
func write(t *testing.T, root string, files ...string) {
	t.Helper()
	for _, f := range files {
		path := filepath.Join(root, f)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// copied scans src, copies every partition to dst with the real tool, and
// returns the run's plan.
func copied(t *testing.T, toolName, src, dst string, env []string, excludes ...string) *plan.Plan {
	t.Helper()
	ctx := context.Background()
	p, err := prepare.Prepare(ctx, prepare.Request{
		Source: src, Destination: dst, Tool: toolName, MaxFiles: 2, MaxBytes: 1 << 30, Excludes: excludes,
		SharedDir: filepath.Join(t.TempDir(), "runs"), RunID: "r", ScanWorkers: 2, Version: "test",
		Getenv: func(k string) string {
			for _, kv := range env {
				if len(kv) > len(k) && kv[:len(k)+1] == k+"=" {
					return kv[len(k)+1:]
				}
			}
			return ""
		},
		Now: time.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range p.Count() {
		argv, err := transfer.Command(p, strconv.Itoa(i))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := transfer.Run(ctx, p, transfer.Spec{Dir: p.Dir(), Part: i, Argv: argv, Env: env, Executor: "local", Output: os.Stderr}); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

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
	write(t, src, "a/1", "a/2", "a/b/3", "c/4", "skip.tmp")
	p := copied(t, "rsync", src, dst, nil, "*.tmp")
	write(t, dst, "a/extra", "old/gone/5", "old/6", "keep.tmp", "c/d.tmp/7")
	write(t, src, "late") // added after the scan, and present at DST
	write(t, dst, "late") // (copied by a later run, say)
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
	if _, err := exec.LookPath("rclone"); err != nil {
		t.Skip("rclone is not installed")
	}
	base := t.TempDir()
	src, dst := filepath.Join(base, "src"), filepath.Join(base, "dst")
	env := []string{"RCLONE_CONFIG=" + filepath.Join(base, "rclone.conf"), "RCLONE_CONFIG_LOC_TYPE=local"}
	if err := os.WriteFile(filepath.Join(base, "rclone.conf"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	write(t, src, "a/1", "a/2", "a/b/3", "c/4", "x.tmp")
	p := copied(t, "rclone", src, "loc:"+dst, env, "*.tmp")
	write(t, dst, "a/b/extra", "z/9", "old.tmp", "y.tmp/8")

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
