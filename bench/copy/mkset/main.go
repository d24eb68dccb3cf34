// Command mkset builds the seeded source trees of bench/copy/run.sh. It is a
// benchmark helper, not a product. The files hold real (pseudo-random) data,
// not holes, so that a copy writes every byte.
//
//	mkset -set small DIR   6,667 directories × 30 files of 1–16 KiB: 200,010 files, ~1.74 GB
//	mkset -set mixed DIR   200 directories × 100 files, long-tailed sizes: 20,000 files, ~4.3 GB
//
// -scale F multiplies the directory count (small) or the file count and
// total (mixed), for a quick try of the script.
package main

import (
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
)

func main() {
	set := flag.String("set", "", "small or mixed")
	scale := flag.Float64("scale", 1, "scale the set by this factor")
	flag.Parse()
	if flag.NArg() != 1 || (*set != "small" && *set != "mixed") || *scale <= 0 {
		fmt.Fprintln(os.Stderr, "usage: mkset -set small|mixed [-scale F] DIR")
		os.Exit(2)
	}
	var files []file
	if *set == "small" {
		files = small(*scale)
	} else {
		files = mixed(*scale)
	}
	var total int64
	for _, f := range files {
		total += f.size
	}
	if err := write(flag.Arg(0), files); err != nil {
		fmt.Fprintln(os.Stderr, "mkset:", err)
		os.Exit(1)
	}
	fmt.Printf("%s: %d files, %d bytes\n", flag.Arg(0), len(files), total)
}

type file struct {
	path string
	size int64
}

// small is bench/scan's tree (scanrate -make): 67 top-level directories of
// up to 100 directories of 30 files of 1–16 KiB, same seed and sizes.
func small(scale float64) []file {
	rng := rand.New(rand.NewPCG(42, 42))
	dirs := max(1, int(6667*scale))
	files := make([]file, 0, dirs*30)
	for d := range dirs {
		for f := range 30 {
			files = append(files, file{
				path: filepath.Join(fmt.Sprintf("top%02d", d/100), fmt.Sprintf("dir%04d", d), fmt.Sprintf("file%02d.dat", f)),
				size: 1024 + rng.Int64N(15*1024+1),
			})
		}
	}
	return files
}

// mixed draws 20,000 log-normal sizes (σ = 2: most files are small, a few
// are tens of MB) and scales them to 4.3 GB in all.
func mixed(scale float64) []file {
	rng := rand.New(rand.NewPCG(43, 43))
	n := max(1, int(20000*scale))
	want := 4.3e9 * scale
	raw := make([]float64, n)
	var sum float64
	for i := range raw {
		raw[i] = math.Exp(2 * rng.NormFloat64())
		sum += raw[i]
	}
	files := make([]file, n)
	for i := range files {
		files[i] = file{
			path: filepath.Join(fmt.Sprintf("group%02d", i/2000), fmt.Sprintf("dir%03d", i/100), fmt.Sprintf("file%03d.bin", i%100)),
			size: max(1, int64(raw[i]/sum*want)),
		}
	}
	return files
}

// write creates the files with data from a seeded random buffer.
func write(root string, files []file) error {
	rng := rand.New(rand.NewPCG(44, 44))
	buf := make([]byte, 32<<20)
	for i := 0; i < len(buf); i += 8 {
		v := rng.Uint64()
		for b := range 8 {
			buf[i+b] = byte(v >> (8 * b))
		}
	}
	for _, f := range files {
		path := filepath.Join(root, f.path)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := writeFile(path, f.size, buf, rng.IntN(len(buf))); err != nil {
			return err
		}
	}
	return nil
}

// writeFile writes size bytes of buf, from offset off and wrapping around.
func writeFile(path string, size int64, buf []byte, off int) error {
	fh, err := os.Create(path)
	if err != nil {
		return err
	}
	for size > 0 {
		n := min(int64(len(buf)-off), size)
		if _, err := fh.Write(buf[off : off+int(n)]); err != nil {
			_ = fh.Close()
			return err
		}
		size -= n
		off = 0
	}
	return fh.Close()
}
