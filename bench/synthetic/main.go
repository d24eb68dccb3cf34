// Command synthetic measures generate at scale without a file tree: it feeds
// synthetic scan entries through the partitioner (writing real part files to
// a temporary run directory), saves plan.json, builds the Workflow (a
// workflow of workflows past -max-partitions), lints every emitted document
// with Argo's validator, and reports each document's size, the nodes per
// workflow, the wall time of each stage and the peak memory. It is a
// benchmark helper, not a product.
//
//	synthetic -entries 100000000 -f 1000             100M entries, 100k partitions, 50 children
//	synthetic -entries 100000000 -auto -jobs 500     auto sizing: two passes, 2,000 partitions
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"time"

	"github.com/partsync/partsync/generator/bytesize"
	"github.com/partsync/partsync/generator/partition"
	"github.com/partsync/partsync/generator/plan"
	"github.com/partsync/partsync/generator/scan"
	"github.com/partsync/partsync/generator/tool"
	"github.com/partsync/partsync/generator/workflow"
)

type config struct {
	entries, perDir   int
	files             int64
	size              string
	maxParts, jobs    int
	auto, keep        bool
	dir               string
	fileCost, minCost int64
}

func main() {
	var c config
	flag.IntVar(&c.entries, "entries", 100_000_000, "synthetic entries (directories included)")
	flag.IntVar(&c.perDir, "per-dir", 1000, "files per directory")
	flag.Int64Var(&c.files, "f", 1000, "-f: entries per partition (without -auto)")
	flag.StringVar(&c.size, "s", "4G", "-s: bytes per partition (without -auto)")
	flag.IntVar(&c.maxParts, "max-partitions", partition.DefaultMaxPartitions, "--max-partitions")
	flag.IntVar(&c.jobs, "jobs", 100, "-n")
	flag.BoolVar(&c.auto, "auto", false, "--auto: estimate in a first pass over the same entries, then cut by cost")
	flag.Int64Var(&c.fileCost, "file-cost", partition.DefaultFileCost, "--file-cost in bytes")
	flag.Int64Var(&c.minCost, "min-partition", partition.DefaultMinCost, "--min-partition in bytes")
	flag.BoolVar(&c.keep, "keep", false, "keep the run directory")
	flag.StringVar(&c.dir, "dir", os.TempDir(), "where the temporary run directory goes")
	flag.Parse()
	if err := run(c); err != nil {
		fmt.Fprintln(os.Stderr, "synthetic:", err)
		os.Exit(1)
	}
}

// entries calls visit for n synthetic entries in scan order: directories of
// perDir files each, sizes mostly small with one large file in 5,000.
func entries(n, perDir int, visit func(scan.Entry) error) error {
	rng := rand.New(rand.NewPCG(7, 7))
	mtime := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	var dir string
	for i := range n {
		if i%(perDir+1) == 0 {
			dir = "d" + strconv.Itoa(i/(perDir+1))
			if err := visit(scan.Entry{Path: dir, Type: scan.Dir, Mode: fs.ModeDir | 0o755, ModTime: mtime, Nlink: 2, Children: perDir}); err != nil {
				return err
			}
			continue
		}
		size := rng.Int64N(64 << 10)
		if rng.IntN(5000) == 0 {
			size = rng.Int64N(8 << 30)
		}
		e := scan.Entry{Path: dir + "/f" + strconv.Itoa(i), Type: scan.File, Mode: 0o644, Size: size, ModTime: mtime, Inode: uint64(i), Nlink: 1}
		if err := visit(e); err != nil {
			return err
		}
	}
	return nil
}

func run(c config) error {
	base, err := os.MkdirTemp(c.dir, "synthetic-")
	if err != nil {
		return err
	}
	if !c.keep {
		defer os.RemoveAll(base)
	}
	dir, err := plan.Create(base, "synthetic")
	if err != nil {
		return err
	}
	start := time.Now()
	opts := partition.Options{MaxFiles: c.files, Tool: tool.Rsync{}}
	if opts.MaxBytes, err = bytesize.Parse(c.size); err != nil {
		return err
	}
	auto := partition.Auto{Jobs: c.jobs, MaxPartitions: c.maxParts, FileCost: c.fileCost, MinCost: c.minCost}
	var pass1 time.Duration
	if c.auto {
		est := auto.NewEstimate()
		if err := entries(c.entries, c.perDir, func(e scan.Entry) error {
			if e.Type == scan.File {
				est.Add(e.Size)
			} else {
				est.Add(0)
			}
			return nil
		}); err != nil {
			return err
		}
		cut := est.Cut()
		opts.Cut, opts.MaxFiles, opts.MaxBytes = &cut, math.MaxInt64, math.MaxInt64
		pass1 = time.Since(start)
	}
	parts, err := partition.New(dir, opts)
	if err != nil {
		return err
	}
	var stats scan.Stats
	if err := entries(c.entries, c.perDir, func(e scan.Entry) error {
		stats.Entries++
		if e.Type == scan.File {
			stats.Files++
			stats.Bytes += e.Size
		} else {
			stats.Dirs++
		}
		return parts.Add(e)
	}); err != nil {
		parts.Abort()
		return err
	}
	partitions, totals, err := parts.Close()
	if err != nil {
		return err
	}
	if c.auto {
		if partitions, err = partition.LargestFirst(dir, partitions, auto); err != nil {
			return err
		}
	}
	totals.Entries, totals.Files, totals.Dirs, totals.Bytes = stats.Entries, stats.Files, stats.Dirs, stats.Bytes
	p := &plan.Plan{
		FormatVersion: plan.FormatVersion, Generator: "partsync bench/synthetic", RunID: "synthetic", RunDir: string(dir),
		Source: "/mnt/src", Destination: "/mnt/dst", Tool: "rsync", ToolOptions: tool.Rsync{}.DefaultOptions(),
		MaxFiles: opts.MaxFiles, MaxBytes: opts.MaxBytes, Totals: totals, Partitions: partitions,
	}
	if err := plan.Save(p); err != nil {
		return err
	}
	partitioned := time.Since(start)

	o := workflow.Options{
		Jobs: c.jobs, Image: "ghcr.io/partsync/partsync:v0.1.0", ServiceAccount: "partsync", Retries: 3, Backoff: workflow.DefaultBackoff,
		PVCs:          []workflow.PVC{{Claim: "src", MountPath: "/mnt/src"}, {Claim: "dst", MountPath: "/mnt/dst"}, {Claim: "shared", MountPath: base}},
		MaxPartitions: c.maxParts,
	}
	// What generate does: build, write workflow.yaml (and a split run's
	// first child), lint.
	var lintOut bytes.Buffer
	e, err := workflow.Emit(context.Background(), p, o, &lintOut)
	if err != nil {
		return fmt.Errorf("%w\n%s", err, lintOut.String())
	}
	emitted := time.Since(start)
	docs := map[string][]byte{"workflow.yaml (what generate prints)": e.Doc}
	nChildren := o.Workflows(p) - 1
	if nChildren > 0 {
		docs["child 0 (as the parent creates it)"] = e.Child
		// The last child is the other shape (the remainder): linted too.
		last, err := workflow.BuildChild(p, o, e.Workflow.Name, nChildren-1)
		if err != nil {
			return err
		}
		ldoc, err := workflow.Marshal(last)
		if err != nil {
			return err
		}
		name := "child " + strconv.Itoa(nChildren-1) + " (as the parent creates it)"
		docs[name] = ldoc
		if err := workflow.LintDocuments(context.Background(), []workflow.Document{{Name: name, Data: ldoc}}, "", &lintOut); err != nil {
			return fmt.Errorf("%s: %w\n%s", name, err, lintOut.String())
		}
	}
	linted := time.Since(start)

	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	planInfo, err := os.Stat(dir.PlanFile())
	if err != nil {
		return err
	}
	partBytes, err := dirSize(dir.PartsDir())
	if err != nil {
		return err
	}

	fmt.Printf("entries %d (files %d, dirs %d), %s; auto %v, -f %d -s %s, -n %d, --max-partitions %d\n",
		stats.Entries, stats.Files, stats.Dirs, bytesize.Format(stats.Bytes), c.auto, c.files, c.size, c.jobs, c.maxParts)
	fmt.Printf("partitions %d; part files %s; plan.json %s\n", p.Count(), bytesize.Format(partBytes), bytesize.Format(planInfo.Size()))
	if c.auto {
		b := auto.BalanceOf(partitions)
		fmt.Printf("balance: max/mean %.2f (max %s, mean %s)\n", b.Ratio, bytesize.Format(b.MaxCost), bytesize.Format(int64(b.MeanCost)))
	}
	for _, name := range []string{"workflow.yaml (what generate prints)", "child 0 (as the parent creates it)", "child " + strconv.Itoa(nChildren-1) + " (as the parent creates it)"} {
		if d, ok := docs[name]; ok {
			fmt.Printf("document %s: %d bytes, passes argo lint\n", name, len(d))
		}
	}
	if nChildren == 0 {
		fmt.Printf("workflows 1: %d nodes (root, step group, retry node + pod per partition, exit handler)\n", 2*p.Count()+3)
	} else {
		ranges := workflow.ChildRanges(p.Count(), o.MaxPartitions)
		largest := ranges[0].Last - ranges[0].First + 1
		fmt.Printf("workflows %d: parent %d nodes (root, 2 step groups, jobs-limit, %d children, exit handler); each child at most %d nodes (root, step group, retry node + pod for each of %d partitions); %d nodes in all\n",
			1+nChildren, nChildren+5, nChildren, 2*largest+2, largest, nChildren+5+2*p.Count()+2*nChildren)
	}
	fmt.Printf("time: pass 1 %s, partition + part files + plan.json %s, emit (build, write, lint) %s, lint of the last child %s; total %s\n",
		pass1.Round(time.Millisecond), (partitioned - pass1).Round(time.Millisecond), (emitted - partitioned).Round(time.Millisecond),
		(linted - emitted).Round(time.Millisecond), linted.Round(time.Millisecond))
	fmt.Printf("memory: peak RSS %s (getrusage), Go heap in use %s, Go sys %s, allocated in all %s\n",
		bytesize.Format(ru.Maxrss*1024), bytesize.Format(int64(ms.HeapInuse)), bytesize.Format(int64(ms.Sys)), bytesize.Format(int64(ms.TotalAlloc)))
	return nil
}

// dirSize adds up the sizes of the files in dir.
func dirSize(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err == nil {
			n += info.Size()
		}
		return err
	})
	return n, err
}
