package partition

import (
	"math"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/partsync/partsync/generator/scan"
	"github.com/partsync/partsync/generator/tool"
)

// autoTree is a skewed tree: many small files, a few huge ones.
func autoTree(n int) []scan.Entry {
	r := rand.New(rand.NewPCG(1, 2))
	entries := []scan.Entry{{Path: "d", Type: scan.Dir, Children: n}}
	for i := range n {
		size := int64(r.IntN(64 << 10))
		if i%997 == 0 {
			size = int64(r.IntN(4 << 30)) // a few files of up to 4 GiB
		}
		entries = append(entries, file("d/f"+strconv.Itoa(i), size))
	}
	return entries
}

// estimate is pass 1 over entries.
func estimate(a Auto, entries []scan.Entry, tl tool.Tool) Cut {
	est := a.NewEstimate()
	for _, e := range entries {
		if tl.Classify(e).List {
			size := int64(0)
			if e.Type == scan.File {
				size = e.Size
			}
			est.Add(size)
		}
	}
	return est.Cut()
}

func TestCutByCost(t *testing.T) {
	entries := autoTree(20000)
	for _, c := range []struct {
		name string
		auto Auto
	}{
		{"jobs-4", Auto{Jobs: 4, MaxPartitions: 2000, FileCost: DefaultFileCost, MinCost: 1}},
		{"jobs-100", Auto{Jobs: 100, MaxPartitions: 2000, FileCost: DefaultFileCost, MinCost: 1}},
		{"capped", Auto{Jobs: 100, MaxPartitions: 50, FileCost: DefaultFileCost, MinCost: 1}},
		{"bytes-only", Auto{Jobs: 8, MaxPartitions: 2000, FileCost: 0, MinCost: 1}},
		{"min-cost", Auto{Jobs: 100, MaxPartitions: 2000, FileCost: DefaultFileCost, MinCost: 1 << 40}},
	} {
		t.Run(c.name, func(t *testing.T) {
			tl := tool.Rsync{}
			cut := estimate(c.auto, entries, tl)
			dir := newDir(t)
			parts, totals, lists := feed(t, dir, Options{MaxFiles: math.MaxInt64, MaxBytes: math.MaxInt64, Tool: tl, Cut: &cut}, entries, nil)
			// Every entry listed once; within a partition in scan order.
			index := map[string]int{}
			for i, e := range entries {
				index[e.Path] = i
			}
			seen := make([]int, len(entries))
			for k, l := range lists {
				for j, path := range l {
					seen[index[path]]++
					if j > 0 && index[path] < index[l[j-1]] {
						t.Fatalf("part %d: %q before %q, against scan order", k, l[j-1], path)
					}
				}
			}
			for i, n := range seen {
				if n != 1 {
					t.Fatalf("entry %q listed %d times", entries[i].Path, n)
				}
			}
			if totals.Listed != int64(len(entries)) {
				t.Fatalf("%d entries listed, want %d", totals.Listed, len(entries))
			}
			aim := c.auto.Parts()
			if len(parts) > aim {
				t.Errorf("%d partitions, aimed at most %d", len(parts), aim)
			}
			if c.name == "min-cost" && len(parts) != 1 {
				t.Errorf("%d partitions below the minimum cost, want 1", len(parts))
			}
			if c.name != "min-cost" && len(parts) < aim*3/4 {
				t.Errorf("%d partitions, aimed at %d", len(parts), aim)
			}
			// Balanced: no partition costs much more than the mean, unless it
			// is one file larger than the mean.
			b := c.auto.BalanceOf(parts)
			var biggestEntry int64
			for _, e := range entries {
				biggestEntry = max(biggestEntry, c.auto.Cost(e.Size))
			}
			if float64(b.MaxCost) > 1.5*b.MeanCost && b.MaxCost > biggestEntry {
				t.Errorf("balance %.2f (max %d, mean %.0f) and the costliest partition is not one large file", b.Ratio, b.MaxCost, b.MeanCost)
			}
			t.Logf("%d partitions (aimed %d), max/mean %.2f", len(parts), aim, b.Ratio)
		})
	}
}

func TestLargeFileAlone(t *testing.T) {
	entries := []scan.Entry{file("a", 10), file("b", 10), file("big", 1000), file("c", 10), file("d", 10)}
	a := Auto{Jobs: 1, MaxPartitions: 4, FileCost: 0, MinCost: 1}
	cut := estimate(a, entries, tool.Rsync{})
	_, _, lists := feed(t, newDir(t), Options{MaxFiles: 100, MaxBytes: 1 << 40, Tool: tool.Rsync{}, Cut: &cut}, entries, nil)
	found := false
	for _, l := range lists {
		if slices.Contains(l, "big") {
			found = true
			if len(l) != 1 {
				t.Errorf("the file larger than the target shares a partition: %q", l)
			}
		}
	}
	if !found || len(lists) > 4 {
		t.Errorf("partitions %q", lists)
	}
}

// TestExplicitLimitsStillBound: -f and -s given with --auto still bound each partition.
func TestExplicitLimitsStillBound(t *testing.T) {
	entries := autoTree(1000)
	a := Auto{Jobs: 1, MaxPartitions: 2, FileCost: DefaultFileCost, MinCost: 1}
	cut := estimate(a, entries, tool.Rsync{})
	parts, _, _ := feed(t, newDir(t), Options{MaxFiles: 100, MaxBytes: math.MaxInt64, Tool: tool.Rsync{}, Cut: &cut}, entries, nil)
	for i, p := range parts {
		if p.Entries > 100 {
			t.Errorf("part %d holds %d entries, -f 100", i, p.Entries)
		}
	}
}

func TestLargestFirst(t *testing.T) {
	dir := newDir(t)
	entries := []scan.Entry{file("a", 5), file("b", 50), file("c", 5), file("d", 20), file("e", 50)}
	parts, _, _ := feed(t, dir, Options{MaxFiles: 1, MaxBytes: 1 << 40, Tool: tool.Rsync{}}, entries, nil)
	a := Auto{FileCost: 1}
	sorted, err := LargestFirst(dir, parts, a)
	if err != nil {
		t.Fatal(err)
	}
	// Costliest first; b and e tie and keep scan order, as do a and c.
	want := []string{"b", "e", "d", "a", "c"}
	var got []string
	for i, p := range sorted {
		data, err := os.ReadFile(dir.PartFile(strconv.Itoa(i)))
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimSuffix(string(data), "\x00")
		got = append(got, name)
		for _, e := range entries {
			if e.Path == name && p.Bytes != e.Size {
				t.Errorf("part %d (%s) says %d bytes, the file has %d", i, name, p.Bytes, e.Size)
			}
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("part files in order %q, want %q", got, want)
	}
	left, err := os.ReadDir(dir.PartsDir())
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != len(entries) {
		t.Errorf("%d files in parts/, want %d (no temporary left)", len(left), len(entries))
	}
}

func TestAutoCheck(t *testing.T) {
	err := Auto{Jobs: 0, MaxPartitions: 0, FileCost: -1, MinCost: 0}.Check()
	for _, want := range []string{"--max-partitions 0", "--file-cost -1", "--min-partition 0"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Check() = %v; want it to name %s", err, want)
		}
	}
	if err := (Auto{Jobs: 1, MaxPartitions: 1, MinCost: 1}).Check(); err != nil {
		t.Errorf("Check() = %v for valid options", err)
	}
	if n := (Auto{Jobs: 1000, MaxPartitions: 2000}).Parts(); n != 2000 {
		t.Errorf("Parts() = %d, want the cap 2000", n)
	}
	if n := (Auto{Jobs: 3, MaxPartitions: 2000}).Parts(); n != 12 {
		t.Errorf("Parts() = %d, want 4 × 3", n)
	}
}

// TestSmallFilesBalanceEvenly: a tree of small files splits into the aimed
// count with the costliest partition within 5% of the mean.
func TestSmallFilesBalanceEvenly(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var entries []scan.Entry
	for i := range 50000 {
		entries = append(entries, file("f"+strconv.Itoa(i), int64(r.IntN(1<<20))))
	}
	a := Auto{Jobs: 10, MaxPartitions: 2000, FileCost: DefaultFileCost, MinCost: 1}
	cut := estimate(a, entries, tool.Rsync{})
	parts, _, _ := feed(t, newDir(t), Options{MaxFiles: math.MaxInt64, MaxBytes: math.MaxInt64, Tool: tool.Rsync{}, Cut: &cut}, entries, nil)
	b := a.BalanceOf(parts)
	if len(parts) != a.Parts() || b.Ratio > 1.05 {
		t.Errorf("%d partitions (aimed %d), max/mean %.3f; want the aimed count within 5%% of the mean", len(parts), a.Parts(), b.Ratio)
	}
}
