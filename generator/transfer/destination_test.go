package transfer

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/partsync/partsync/generator/plan"
)

// TestDestinationMadeBeforeRsyncStarts: with rsync, Run makes DST and its
// missing parents before the tool starts, here a tool that succeeds only if
// DST is already a directory. rsync alone loses a race when partitions start
// together on a missing DST: each process tests for DST, then makes it, and
// the losers exit 11 with "mkdir … failed: File exists" (seen in CI; 75 of
// 320 rsync processes failed so when started 16 at a time from a shell).
func TestDestinationMadeBeforeRsyncStarts(t *testing.T) {
	base := t.TempDir()
	dir, err := plan.Create(filepath.Join(base, "runs"), "t")
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(base, "missing", "parent", "dst")
	p := &plan.Plan{RunDir: string(dir), Source: base, Destination: dst, Tool: "rsync", Partitions: []plan.Partition{{}}}
	if err := os.WriteFile(dir.PartFile("0"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := Run(context.Background(), p, Spec{Dir: dir, Argv: []string{"test", "-d", dst}, Executor: "local", Output: io.Discard})
	if err != nil || !st.OK {
		t.Fatalf("DST was not a directory when the tool started: %v", err)
	}

	// A DST that cannot be made fails the attempt with the reason, before the tool runs.
	blocker := filepath.Join(base, "file")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	p.Destination = filepath.Join(blocker, "dst")
	st, err = Run(context.Background(), p, Spec{Dir: dir, Argv: []string{"true"}, Executor: "local", Output: io.Discard})
	if err == nil || st.OK || st.ExitCode != -1 {
		t.Fatalf("DST under a regular file: status %+v, error %v; want a failed attempt", st, err)
	}
	t.Log(err)
}
