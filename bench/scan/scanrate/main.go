// Command scanrate makes the benchmark tree of compare.sh and times
// generator/scan's Walk over a tree. It is a benchmark helper, not a product.
//
//	scanrate -make DIR    create 6,667 directories × 30 files of 1–16 KiB (seeded, sparse)
//	scanrate -make -dirs N DIR    the same with N directories (N × 30 files)
//	scanrate DIR          walk DIR and print "files seconds files/s"
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/partsync/partsync/generator/scan"
)

func main() {
	mk := flag.Bool("make", false, "create the benchmark tree in DIR instead of walking it")
	workers := flag.Int("workers", 0, "scan.Options.Workers (0: the default)")
	dirs := flag.Int("dirs", 6667, "with -make: directories of 30 files to create")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: scanrate [-make] [-workers N] DIR")
		os.Exit(2)
	}
	var err error
	if *mk {
		err = makeTree(flag.Arg(0), *dirs)
	} else {
		err = walk(flag.Arg(0), *workers)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "scanrate:", err)
		os.Exit(1)
	}
}

// makeTree creates dirs directories (in top-level ones of 100 or fewer) of 30
// files each, with sizes from 1 to 16 KiB: 6,667 directories make 200,010
// files. Files are sparse: the scan reads metadata only.
func makeTree(root string, dirs int) error {
	rng := rand.New(rand.NewPCG(42, 42))
	for d := range dirs {
		dir := filepath.Join(root, fmt.Sprintf("top%02d", d/100), fmt.Sprintf("dir%04d", d))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		for f := range 30 {
			fh, err := os.Create(filepath.Join(dir, fmt.Sprintf("file%02d.dat", f)))
			if err != nil {
				return err
			}
			err = fh.Truncate(1024 + rng.Int64N(15*1024+1))
			if cerr := fh.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// walk times one scan.Walk over root.
func walk(root string, workers int) error {
	start := time.Now()
	st, err := scan.Walk(context.Background(), root, scan.Options{Workers: workers},
		func(scan.Entry) error { return nil },
		func(s scan.Skip) error { return fmt.Errorf("skipped %s: %s", s.Path, s.Reason) })
	if err != nil {
		return err
	}
	secs := time.Since(start).Seconds()
	fmt.Printf("%d %.3f %.0f\n", st.Files, secs, float64(st.Files)/secs)
	return nil
}
