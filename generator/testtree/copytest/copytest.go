// Package copytest makes, for the tests of the steps after the
// partitions (extras, mirror), a source tree and a run copied with the real
// tool.
package copytest

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/partsync/partsync/generator/plan"
	"github.com/partsync/partsync/generator/prepare"
	"github.com/partsync/partsync/generator/transfer"
)

// Write makes each file under root with its path as content.
func Write(t testing.TB, root string, files ...string) {
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

// Copied prepares r (a run "r" of at most 2 files a partition, in a
// shared dir of its own; r names the source, destination, tool and what
// else it needs) with env as its environment, copies every partition with
// the real tool, and returns the plan.
func Copied(t testing.TB, r prepare.Request, env []string) *plan.Plan {
	t.Helper()
	ctx := context.Background()
	r.MaxFiles, r.MaxBytes, r.RunID, r.ScanWorkers, r.Version = 2, 1<<30, "r", 2, "test"
	r.SharedDir = filepath.Join(t.TempDir(), "runs")
	r.Now = time.Now
	r.Getenv = func(k string) string {
		for _, kv := range env {
			if v, ok := strings.CutPrefix(kv, k+"="); ok {
				return v
			}
		}
		return ""
	}
	p, err := prepare.Prepare(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	for i := range p.Count() {
		argv, err := transfer.Command(p, strconv.Itoa(i))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := transfer.Run(ctx, p, transfer.Spec{Dir: p.Dir(), Part: i, Argv: argv, Env: env, Executor: "local", Output: io.Discard}); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// LocalRemote skips the test without rclone; otherwise it returns base/src,
// base/dst and the environment that defines rclone's remote "loc:" (a
// local-type remote, with an empty config file of its own), so that
// "loc:"+dst is a remote DST the real rclone lists, copies to and deletes
// from.
func LocalRemote(t testing.TB) (src, dst string, env []string) {
	t.Helper()
	if _, err := exec.LookPath("rclone"); err != nil {
		t.Skip("rclone is not installed")
	}
	base := t.TempDir()
	cfg := filepath.Join(base, "rclone.conf")
	if err := os.WriteFile(cfg, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(base, "src"), filepath.Join(base, "dst"), []string{"RCLONE_CONFIG=" + cfg, "RCLONE_CONFIG_LOC_TYPE=local"}
}
