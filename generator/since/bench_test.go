package since

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/partsync/partsync/generator/manifest"
	"github.com/partsync/partsync/generator/plan"
	"github.com/partsync/partsync/generator/scan"
	"github.com/partsync/partsync/generator/tool"
)

// benchTree calls fn for a synthetic tree of dirs directories × 30 files,
// in walk order; files with i%100 == rev are changed (1% of them) when
// rev >= 0.
func benchTree(dirs, rev int, fn func(scan.Entry) error) error {
	for d := range dirs {
		dp := fmt.Sprintf("d%07d", d)
		if err := fn(dir(dp, 30)); err != nil {
			return err
		}
		for f := range 30 {
			e := file(fmt.Sprintf("%s/f%02d", dp, f), 4096)
			e.Inode = uint64(d*30 + f)
			if rev >= 0 && (d*30+f)%100 == rev {
				e.ModTime = t0.Add(time.Hour)
			}
			if err := fn(e); err != nil {
				return err
			}
		}
	}
	return nil
}

// cpuTime is the CPU time of the process so far (user and system).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkDiff compares a scan of 100k and 1M entries, 1% of the files
// changed, with a base manifest of the same tree, as an incremental run
// does (rsync: every check). Run each size in its own process to read its
// peak memory: go test ./generator/since -run '^$' -bench 'Diff/1033k' -benchtime 1x;
// it reports maxrss-MiB (the process's ru_maxrss) and cpu-ns/entry (the
// synthetic tree's making included).
func BenchmarkDiff(b *testing.B) {
	for _, dirs := range []int{3334, 33334} {
		name := fmt.Sprintf("%dk-entries", dirs*31/1000)
		b.Run(name, func(b *testing.B) {
			base := plan.Dir(b.TempDir())
			m, err := manifest.Create(base.ManifestFile())
			if err != nil {
				b.Fatal(err)
			}
			if err := benchTree(dirs, -1, m.Entry); err != nil {
				b.Fatal(err)
			}
			if err := m.Close(); err != nil {
				b.Fatal(err)
			}
			rsync, _ := tool.Lookup("rsync")
			var sent int
			cpu0 := cpuTime()
			b.ResetTimer()
			for b.Loop() {
				sent = 0
				d, err := NewDiff(Options{Base: base, Dir: plan.Dir(b.TempDir()), Tool: rsync,
					Visit: func(scan.Entry) error { sent++; return nil }, Skip: func(scan.Skip) error { return nil }})
				if err != nil {
					b.Fatal(err)
				}
				if err := benchTree(dirs, 7, d.Add); err != nil {
					b.Fatal(err)
				}
				c, err := d.Close()
				if err != nil {
					b.Fatal(err)
				}
				if want := int64((dirs*30 + 92) / 100); c.Changed != want {
					b.Fatalf("changed %d, want %d", c.Changed, want)
				}
			}
			var ru syscall.Rusage
			_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
			b.ReportMetric(float64(ru.Maxrss)/1024, "maxrss-MiB")
			// CPU, not wall: on a loaded machine the wall time says little.
			b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N)/float64(dirs*31), "cpu-ns/entry")
			b.ReportMetric(float64(sent), "handed-on")
		})
	}
}
