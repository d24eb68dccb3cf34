package local_test

// Live mode with the real prepare and the real rsync: transfers start while
// the scan is held, and a scan that fails stops the transfers it started.

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/partsync/partsync/generator/local"
	"github.com/partsync/partsync/generator/plan"
	"github.com/partsync/partsync/generator/prepare"
	"github.com/partsync/partsync/generator/scan"
	"github.com/partsync/partsync/generator/testtree/check"
	"github.com/partsync/partsync/generator/testtree/sample"
)

// firstClosed wraps a Sink and closes closed when the first partition is queued.
type firstClosed struct {
	prepare.Sink
	closed chan struct{}
}

func (f *firstClosed) Partition(i int, p plan.Partition) error {
	err := f.Sink.Partition(i, p)
	if i == 0 {
		close(f.closed)
	}
	return err
}

// holdWalk is scan.Walk whose visits stop, once the first partition has
// closed, until hold returns; hold's error ends the walk.
func holdWalk(closed <-chan struct{}, hold func() error) prepare.WalkFunc {
	return func(ctx context.Context, root string, o scan.Options, visit func(scan.Entry) error, skip func(scan.Skip) error) (scan.Stats, error) {
		held := false
		return scan.Walk(ctx, root, o, func(e scan.Entry) error {
			if err := visit(e); err != nil {
				return err
			}
			select {
			case <-closed:
				if !held {
					held = true
					return hold()
				}
			default:
			}
			return nil
		}, skip)
	}
}

// waitFile waits until path exists; the limit only ends a hung test.
func waitFile(t *testing.T, path string) error {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if _, err := os.Stat(path); err == nil {
			return nil
		}
	}
	return errors.New("no " + path + " after a minute")
}

func liveRequest(t *testing.T, base string) prepare.Request {
	t.Helper()
	return prepare.Request{
		Source: filepath.Join(base, "src"), Destination: filepath.Join(base, "dst"), Tool: "rsync",
		MaxFiles: 10, MaxBytes: 1 << 30, SharedDir: filepath.Join(base, "runs"), RunID: "live",
		ScanWorkers: 4, Version: "test", Getenv: os.Getenv, Now: time.Now,
	}
}

// TestLiveStartsBeforeScanEnds holds the scan after the first partition
// closed until partition 0's status file exists: it can only appear if the
// transfer ran while the scan was held, before plan.json. Then the scan goes
// on and the run copies the whole tree.
func TestLiveStartsBeforeScanEnds(t *testing.T) {
	if _, err := exec.LookPath("rsync"); err != nil {
		t.Skip("rsync is not installed")
	}
	base := t.TempDir()
	r := liveRequest(t, base)
	made, err := sample.Build(r.Source, sample.Spec{Seed: 5, Dirs: 6, FilesPerDir: 12, MaxSize: 4096, Extras: true})
	if err != nil {
		t.Fatal(err)
	}
	runDir := filepath.Join(r.SharedDir, r.RunID)
	live, err := local.NewLive(context.Background(), local.Options{Jobs: 2})
	if err != nil {
		t.Fatal(err)
	}
	sink := &firstClosed{Sink: live, closed: make(chan struct{})}
	r.Sink = sink
	var planDuringHold, lockDuringHold error
	r.Walk = holdWalk(sink.closed, func() error {
		if err := waitFile(t, plan.Dir(runDir).StatusFile(0)); err != nil {
			return err
		}
		_, planDuringHold = os.Stat(plan.Dir(runDir).PlanFile())
		// A resume now must be refused: the live run holds the lock.
		if unlock, err := plan.Lock(plan.Dir(runDir)); err == nil {
			unlock()
		} else {
			lockDuringHold = err
		}
		return nil
	})

	p, sum := prepareAndWait(t, r, live)
	if !errors.Is(lockDuringHold, plan.ErrLocked) {
		t.Errorf("the run directory's lock while the live run ran: %v, want ErrLocked", lockDuringHold)
	}
	if unlock, err := plan.Lock(p.Dir()); err != nil {
		t.Errorf("the lock after the live run ended: %v", err)
	} else {
		unlock()
	}
	if !errors.Is(planDuringHold, os.ErrNotExist) {
		t.Errorf("plan.json while the scan was held: stat error %v, want not-exist", planDuringHold)
	}
	if p.Count() < 3 {
		t.Fatalf("%d partitions; the test needs several", p.Count())
	}
	if sum.Partitions != p.Count() || sum.OK != p.Count() || sum.Failed != 0 {
		t.Errorf("summary: %d partitions, %d ok, %d failed; the plan has %d", sum.Partitions, sum.OK, sum.Failed, p.Count())
	}
	var files int64
	for i, part := range p.Partitions {
		files += part.Files
		st, ok, err := plan.LoadStatus(p.Dir(), i)
		if err != nil || !ok || !st.OK || st.Files != part.Files || st.Bytes != part.Bytes {
			t.Errorf("status %d: %+v (found %v, %v); plan: %+v", i, st, ok, err, part)
		}
	}
	if sum.Files != files {
		t.Errorf("summary: %d files, the partitions hold %d", sum.Files, files)
	}
	rep, err := check.Compare(r.Source, r.Destination, check.Options{Modes: true, Mtimes: true, Symlinks: true, Dirs: true})
	if err != nil || rep.Files != made.Files || rep.Bytes != made.Bytes {
		t.Errorf("copy: %d of %d files, %d of %d bytes: %v", rep.Files, made.Files, rep.Bytes, made.Bytes, err)
	}
}

// TestLiveScanFailure fails the scan while partition 0's transfer runs (a
// stand-in rsync that waits to be stopped): Prepare returns the scan's
// error, the transfer is stopped before the run directory is removed, and
// Wait reports the stopped partition.
func TestLiveScanFailure(t *testing.T) {
	bin := t.TempDir()
	stub := "#!/bin/sh\n: > \"$LIVE_TEST_STARTED\"\nexec sleep 300\n"
	if err := os.WriteFile(filepath.Join(bin, "rsync"), []byte(stub), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	base := t.TempDir()
	r := liveRequest(t, base)
	if _, err := sample.Build(r.Source, sample.Spec{Seed: 6, Dirs: 4, FilesPerDir: 10, MaxSize: 1024}); err != nil {
		t.Fatal(err)
	}
	started := filepath.Join(base, "started")
	live, err := local.NewLive(context.Background(), local.Options{Jobs: 2, Env: []string{"LIVE_TEST_STARTED=" + started}})
	if err != nil {
		t.Fatal(err)
	}
	sink := &firstClosed{Sink: live, closed: make(chan struct{})}
	r.Sink = sink
	boom := errors.New("the source went away")
	r.Walk = holdWalk(sink.closed, func() error {
		if err := waitFile(t, started); err != nil {
			return err
		}
		return boom
	})

	p, err := prepare.Prepare(context.Background(), r)
	if !errors.Is(err, boom) || p != nil {
		t.Fatalf("prepare: plan %v, error %v; want the scan's error", p, err)
	}
	if _, serr := os.Stat(filepath.Join(r.SharedDir, r.RunID)); !errors.Is(serr, os.ErrNotExist) {
		t.Errorf("run directory after the failed scan: %v, want it removed", serr)
	}
	sum, err := live.Wait()
	if !errors.Is(err, local.ErrScanFailed) {
		t.Errorf("wait: %v, want ErrScanFailed", err)
	}
	if sum.Partitions < 1 || sum.OK != 0 || sum.Failed != sum.Partitions {
		t.Errorf("summary: %d partitions, %d ok, %d failed; want every started one stopped", sum.Partitions, sum.OK, sum.Failed)
	}
}

// prepareAndWait prepares r, whose Sink feeds live, and waits for the run's end.
func prepareAndWait(t *testing.T, r prepare.Request, live *local.Live) (*plan.Plan, local.Summary) {
	t.Helper()
	p, err := prepare.Prepare(context.Background(), r)
	if err != nil {
		t.Fatalf("prepare %s: %v", r.RunID, err)
	}
	sum, err := live.Wait()
	if err != nil {
		t.Fatalf("live run %s: %v", r.RunID, err)
	}
	return p, sum
}

// liveRun prepares and runs r live to its end.
func liveRun(t *testing.T, r prepare.Request) (*plan.Plan, local.Summary) {
	t.Helper()
	live, err := local.NewLive(context.Background(), local.Options{Jobs: 2})
	if err != nil {
		t.Fatal(err)
	}
	r.Sink = live
	return prepareAndWait(t, r, live)
}

// TestLiveIncrementalStartsBeforeScanEnds: an incremental re-run lists two
// changed files, one early in the walk and one at its end, fewer than -f:
// by -f alone their one partition would close at the scan's end. The walk
// pauses past the partition's OpenFor after the first changed file, then
// holds once partition 0 has closed until its status file exists: the
// upload ran while the scan was held, before plan.json. The run then ends
// with both files copied.
func TestLiveIncrementalStartsBeforeScanEnds(t *testing.T) {
	if _, err := exec.LookPath("rsync"); err != nil {
		t.Skip("rsync is not installed")
	}
	base := t.TempDir()
	r := liveRequest(t, base)
	r.MaxFiles = 1000
	if _, err := sample.Build(r.Source, sample.Spec{Seed: 7, Dirs: 6, FilesPerDir: 12, MaxSize: 4096}); err != nil {
		t.Fatal(err)
	}
	liveRun(t, r) // the base
	var files []string
	if _, err := scan.Walk(context.Background(), r.Source, scan.Options{}, func(e scan.Entry) error {
		if e.Type == scan.File {
			files = append(files, e.Path)
		}
		return nil
	}, func(scan.Skip) error { return nil }); err != nil {
		t.Fatal(err)
	}
	first, last := files[1], files[len(files)-1]
	for _, f := range []string{first, last} {
		if err := os.WriteFile(filepath.Join(r.Source, f), []byte("changed since the base run"), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	r.RunID = "again"
	runDir := plan.Dir(filepath.Join(r.SharedDir, r.RunID))
	live, err := local.NewLive(context.Background(), local.Options{Jobs: 2})
	if err != nil {
		t.Fatal(err)
	}
	sink := &firstClosed{Sink: live, closed: make(chan struct{})}
	r.Sink = sink
	held := false
	var planDuringHold error
	r.Walk = func(ctx context.Context, root string, o scan.Options, visit func(scan.Entry) error, skip func(scan.Skip) error) (scan.Stats, error) {
		return scan.Walk(ctx, root, o, func(e scan.Entry) error {
			if err := visit(e); err != nil {
				return err
			}
			if e.Path == first {
				time.Sleep(prepare.LiveIncrementalOpenFor + 200*time.Millisecond)
			}
			select {
			case <-sink.closed:
				if !held {
					held = true
					if err := waitFile(t, runDir.StatusFile(0)); err != nil {
						return err
					}
					_, planDuringHold = os.Stat(runDir.PlanFile())
				}
			default:
			}
			return nil
		}, skip)
	}
	p, sum := prepareAndWait(t, r, live)
	if p.Incremental == nil || p.Incremental.Changed != 2 {
		t.Fatalf("plan.json incremental: %+v, want 2 changed", p.Incremental)
	}
	if !held {
		t.Fatalf("partition 0 closed only at the scan's end (%d partitions): the upload waited for the whole scan", p.Count())
	}
	if !errors.Is(planDuringHold, os.ErrNotExist) {
		t.Errorf("plan.json while the scan was held: stat error %v, want not-exist", planDuringHold)
	}
	if p.Count() != 2 || sum.OK != 2 || sum.Files != 2 {
		t.Errorf("%d partitions, %d ok, %d files copied; want 2, 2, 2", p.Count(), sum.OK, sum.Files)
	}
	for _, f := range []string{first, last} {
		got, err := os.ReadFile(filepath.Join(r.Destination, f))
		if err != nil || string(got) != "changed since the base run" {
			t.Errorf("%s at DST: %q, %v", f, got, err)
		}
	}
}
