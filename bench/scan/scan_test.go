package scanbench

import (
	"context"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/partsync/partsync/bench/benchtree"
	"github.com/partsync/partsync/generator/scan"
)

// BenchmarkScanAgainstAnchors builds the 200,010-file tree (6,667
// directories × 30 sparse files, seeded) and, in every iteration, runs
// `fpart -f 2000`, `find -type f` and scan.Walk (default workers) over it in
// turn. It reports each one's files/s and partsync's ratio to fpart. It
// measures; it asserts nothing about speed.
//
//	go test -run '^$' -bench ScanAgainstAnchors -benchtime 3x ./bench/scan/
func BenchmarkScanAgainstAnchors(b *testing.B) {
	for _, tool := range []string{"fpart", "find"} {
		if _, err := exec.LookPath(tool); err != nil {
			b.Skipf("%s is not installed: %v", tool, err)
		}
	}
	root := b.TempDir()
	files, err := benchtree.Make(root, benchtree.Anchor)
	if err != nil {
		b.Fatal(err)
	}
	syscall.Sync() // writeback of the new tree would slow the first runs
	walk := func() error {
		st, err := scan.Walk(context.Background(), root, scan.Options{},
			func(scan.Entry) error { return nil }, func(scan.Skip) error { return nil })
		if err == nil && st.Files != int64(files) {
			b.Fatalf("walked %d files, want %d", st.Files, files)
		}
		return err
	}
	if err := walk(); err != nil { // warm the cache
		b.Fatal(err)
	}
	var fpart, find, walkTime time.Duration
	timed := func(d *time.Duration, f func() error) {
		start := time.Now()
		if err := f(); err != nil {
			b.Fatal(err)
		}
		*d += time.Since(start)
	}
	b.ResetTimer()
	for b.Loop() {
		timed(&fpart, exec.Command("fpart", "-f", "2000", "-o", "/dev/null", root).Run)
		timed(&find, exec.Command("find", root, "-type", "f").Run)
		timed(&walkTime, walk)
	}
	n := float64(b.N * files)
	b.ReportMetric(n/fpart.Seconds(), "fpart-files/s")
	b.ReportMetric(n/find.Seconds(), "find-files/s")
	b.ReportMetric(n/walkTime.Seconds(), "partsync-files/s")
	b.ReportMetric(fpart.Seconds()/walkTime.Seconds(), "x-fpart")
}
