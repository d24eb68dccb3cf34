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
	"os"
	"time"

	"github.com/partsync/partsync/bench/benchtree"
	"github.com/partsync/partsync/generator/scan"
)

func main() {
	mk := flag.Bool("make", false, "create the benchmark tree in DIR instead of walking it")
	workers := flag.Int("workers", 0, "scan.Options.Workers (0: the default)")
	dirs := flag.Int("dirs", benchtree.Anchor, "with -make: directories of 30 files to create")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: scanrate [-make] [-workers N] DIR")
		os.Exit(2)
	}
	var err error
	if *mk {
		_, err = benchtree.Make(flag.Arg(0), *dirs)
	} else {
		err = walk(flag.Arg(0), *workers)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "scanrate:", err)
		os.Exit(1)
	}
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
