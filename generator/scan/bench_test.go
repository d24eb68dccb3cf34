package scan

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// BenchmarkWalk walks 50,000 files in 1,000 directories (warm cache) with
// several worker counts and reports files/s. It measures speed only; memory
// is what -benchmem shows per walk.
func BenchmarkWalk(b *testing.B) {
	root := b.TempDir()
	const dirs, perDir = 1000, 50
	for d := range dirs {
		dir := filepath.Join(root, fmt.Sprintf("d%02d", d%20), fmt.Sprintf("s%04d", d))
		for f := range perDir {
			writeFile(b, filepath.Join(dir, "f"+strconv.Itoa(f)), int64(1024+f))
		}
	}
	syscall.Sync() // writeback of the new tree would slow the first runs
	for _, workers := range []int{1, 2, 8, 32} {
		b.Run("workers="+strconv.Itoa(workers), func(b *testing.B) {
			b.ReportAllocs()
			walks := 0
			for b.Loop() {
				st, err := Walk(context.Background(), root, Options{Workers: workers},
					func(Entry) error { return nil }, func(Skip) error { return nil })
				if err != nil || st.Files != dirs*perDir {
					b.Fatalf("%d files, %v", st.Files, err)
				}
				walks++
			}
			b.ReportMetric(float64(walks*dirs*perDir)/b.Elapsed().Seconds(), "files/s")
		})
	}
}

// BenchmarkWalkSlowMetadata walks 3,000 files in 100 directories through a
// file system where every open and lstat waits 200µs, as on NFS or Lustre
// where each metadata call is a round trip: it shows how much latency the
// workers hide. Workers=1 is what a sequential scanner gets.
func BenchmarkWalkSlowMetadata(b *testing.B) {
	root := b.TempDir()
	const dirs, perDir, delay = 100, 30, 200 * time.Microsecond
	for d := range dirs {
		for f := range perDir {
			writeFile(b, filepath.Join(root, fmt.Sprintf("d%d/s%03d/f%d", d%10, d, f)), 1)
		}
	}
	slow := func(root string) (sysFS, error) {
		inner, err := openRoot(root)
		return slowFS{sysFS: inner, delay: delay}, err
	}
	for _, workers := range []int{1, 8, 32, 128} {
		b.Run("workers="+strconv.Itoa(workers), func(b *testing.B) {
			walks := 0
			for b.Loop() {
				st, err := walk(context.Background(), root, Options{Workers: workers}, slow,
					func(Entry) error { return nil }, func(Skip) error { return nil })
				if err != nil || st.Files != dirs*perDir {
					b.Fatalf("%d files, %v", st.Files, err)
				}
				walks++
			}
			b.ReportMetric(float64(walks*dirs*perDir)/b.Elapsed().Seconds(), "files/s")
		})
	}
}

// slowFS delays every open and lstat.
type slowFS struct {
	sysFS
	delay time.Duration
}

func (f slowFS) openDir(rel string) (dirHandle, error) {
	time.Sleep(f.delay)
	d, err := f.sysFS.openDir(rel)
	if err != nil {
		return nil, err
	}
	return slowDir{dirHandle: d, delay: f.delay}, nil
}

type slowDir struct {
	dirHandle
	delay time.Duration
}

func (d slowDir) lstat(name string) (stat, error) {
	time.Sleep(d.delay)
	return d.dirHandle.lstat(name)
}
