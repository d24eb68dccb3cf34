package partition

import (
	"cmp"
	"container/heap"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/partsync/partsync/generator/plan"
	"github.com/partsync/partsync/generator/scan"
)

// Automatic sizing (--auto) cuts partitions by an estimated cost instead of
// fixed -f/-s limits. The cost of a listed entry is FileCost (what one
// entry's round trips cost, in the time it takes to copy that many bytes)
// plus its bytes. Knowing the total cost of the run from a first pass, the
// partitioner aims at Parts partitions of equal cost, cutting in scan order
// (locality, one open part file), and LargestFirst then renumbers them so
// that the fan-out starts the costliest first.

// Defaults of automatic sizing.
const (
	// DefaultFileCost prices one listed entry at 256 KiB: the bytes one pod
	// streams in the time the round trips of one file take (create, write,
	// close, set times and owner; an rclone PUT shared by its transfers).
	// The figures: bench/BENCHMARKS.md, "Figures behind the code".
	DefaultFileCost = 256 << 10
	// DefaultMinCost keeps a partition worth a pod: a smaller one spends
	// more than a third of its time starting its pod (figures: same place).
	DefaultMinCost = 1 << 30
	// DefaultMaxPartitions is the most partitions one workflow runs: Argo's
	// status grows with each node, and large workflows stall (figures:
	// same place).
	DefaultMaxPartitions = 2000
	// PartsPerJob is how many partitions auto mode makes per job (-n): with
	// the largest run first, the last one to finish is at most 1/PartsPerJob
	// of a job's share late (Graham's LPT bound), and an idle worker finds
	// work until the end.
	PartsPerJob = 4
)

// Auto asks for automatic sizing.
type Auto struct {
	Jobs          int   // transfers at once (-n)
	MaxPartitions int   // at most this many partitions (--max-partitions)
	FileCost      int64 // cost of one listed entry beyond its bytes (--file-cost)
	MinCost       int64 // no partition is aimed below this cost (--min-partition)
}

// Check reports every out-of-range value at once, wrapping ErrLimits (Jobs
// below 1 counts as 1).
func (a Auto) Check() error {
	var errs []error
	if err := CheckMaxPartitions(a.MaxPartitions); err != nil {
		errs = append(errs, err)
	}
	if a.FileCost < 0 {
		errs = append(errs, fmt.Errorf("%w: --file-cost %d: give 0 or more bytes (default 256K)", ErrLimits, a.FileCost))
	}
	if a.MinCost < 1 {
		errs = append(errs, fmt.Errorf("%w: --min-partition %d: give at least 1 byte (default 1G)", ErrLimits, a.MinCost))
	}
	return errors.Join(errs...)
}

// Parts is the number of partitions auto mode aims at: PartsPerJob per
// job, at most MaxPartitions, at least 1.
func (a Auto) Parts() int { return max(1, min(a.MaxPartitions, PartsPerJob*a.Jobs)) }

// Cut tells the partitioner to cut by cost; Estimate makes it in a first
// pass. An entry of cost BigCost or more is a "big" one: it gets a
// partition of its own. The rest, the small entries, fill the other
// partitions evenly.
type Cut struct {
	Auto
	Total    int64 // cost of every entry the tool lists
	BigCost  int64 // entries costing this or more are alone
	BigCount int   // how many entries cost BigCost or more
	BigTotal int64 // and what they cost together
}

// Cost is what a listed entry of size bytes (0 unless a regular file) costs.
func (a Auto) Cost(size int64) int64 { return a.FileCost + size }

// PartCost is what a partition costs.
func (a Auto) PartCost(p plan.Partition) int64 { return p.Entries*a.FileCost + p.Bytes }

// Estimate adds up the cost of the entries in the first pass and keeps the
// Parts() costliest ones, among which are all the big ones (they cannot be
// more than the partitions).
type Estimate struct {
	auto  Auto
	total int64
	top   costHeap
}

// NewEstimate starts an estimate for a.
func (a Auto) NewEstimate() *Estimate { return &Estimate{auto: a} }

// Add counts a listed entry of size bytes.
func (e *Estimate) Add(size int64) {
	c := e.auto.Cost(size)
	e.total += c
	switch {
	case len(e.top) < e.auto.Parts():
		heap.Push(&e.top, c)
	case c > e.top[0]:
		e.top[0] = c
		heap.Fix(&e.top, 0)
	}
}

// Cut returns the cut for what was added. Partitions aim at the mean cost
// of the small entries over the partitions the big ones leave: an entry
// costing at least that mean is big, which lowers the mean; repeated until
// no further entry is big (at least one partition is left for the rest).
func (e *Estimate) Cut() Cut {
	top := slices.Clone(e.top)
	slices.SortFunc(top, func(x, y int64) int { return cmp.Compare(y, x) })
	k := e.auto.Parts()
	c := Cut{Auto: e.auto, Total: e.total}
	mean := func() int64 { return ceilDiv(c.Total-c.BigTotal, int64(k-c.BigCount)) }
	for c.BigCount < len(top) && c.BigCount < k-1 && top[c.BigCount] >= mean() {
		c.BigTotal += top[c.BigCount]
		c.BigCount++
	}
	c.BigCost = mean()
	if c.BigCost < e.auto.MinCost { // fewer, fuller partitions: only entries above the minimum are alone
		c.BigCost, c.BigCount, c.BigTotal = e.auto.MinCost, 0, 0
		for _, x := range top {
			if x >= c.BigCost {
				c.BigCount++
				c.BigTotal += x
			}
		}
	}
	return c
}

func ceilDiv(a, b int64) int64 { return (max(a, 0) + max(b, 1) - 1) / max(b, 1) }

// costHeap is a min-heap of costs.
type costHeap []int64

func (h costHeap) Len() int           { return len(h) }
func (h costHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h costHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *costHeap) Push(x any)        { *h = append(*h, x.(int64)) }
func (h *costHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// costState is the partitioner's progress towards the Cut. A big entry is
// alone; the target of a partition of small entries is the small cost left
// divided by the partitions left for it, so that a partition cut early or
// late is made up by the next ones, and the count does not exceed Parts
// (unless -f/-s cut too).
type costState struct {
	cut         Cut
	closed      int   // partitions counted so far
	smallClosed int   // of which hold small entries
	smallSpent  int64 // and their cost
	target      int64 // of the open partition
}

// update counts the partitions closed since the last call and sets the
// target of the partition that is open now.
func (s *costState) update(parts []plan.Partition) {
	if s.closed == len(parts) && s.target > 0 {
		return
	}
	for _, part := range parts[s.closed:] {
		if c := s.cut.PartCost(part); part.Entries != 1 || c < s.cut.BigCost {
			s.smallClosed++
			s.smallSpent += c
		}
	}
	s.closed = len(parts)
	left := int64(max(s.cut.Parts()-s.cut.BigCount-s.smallClosed, 1))
	s.target = max(ceilDiv(s.cut.Total-s.cut.BigTotal-s.smallSpent, left), s.cut.MinCost)
}

// full reports whether a small entry of size bytes belongs in the next
// partition rather than the open one: when adding it takes the open
// partition further from the target than it is.
func (s *costState) full(open plan.Partition, parts []plan.Partition, size int64) bool {
	s.update(parts)
	return s.cut.PartCost(open)+s.cut.Cost(size)/2 > s.target
}

// alone reports whether the entry of size bytes is big: it gets a
// partition of its own, closed at once.
func (s *costState) alone(size int64) bool { return s.cut.Cost(size) >= s.cut.BigCost }

// listAlone lists a big entry in a partition of its own and leaves the open
// partition of small entries open, so that big entries do not cut it short.
func (p *Partitioner) listAlone(e scan.Entry) error {
	saved := p.open
	p.open = nil
	err := p.list(e) // opens, writes and (being alone) closes a partition
	p.open = saved
	return err
}

// BalanceOf measures parts with the cost model of a.
func (a Auto) BalanceOf(parts []plan.Partition) plan.Balance {
	b := plan.Balance{Partitions: len(parts)}
	var total int64
	for _, p := range parts {
		c := a.PartCost(p)
		total += c
		b.MaxCost = max(b.MaxCost, c)
	}
	if len(parts) > 0 {
		b.MeanCost = float64(total) / float64(len(parts))
	}
	if b.MeanCost > 0 {
		b.Ratio = float64(b.MaxCost) / b.MeanCost
	}
	return b
}

// LargestFirst renumbers the part files of dir so that part.0 is the
// costliest (ties keep scan order), and returns the partitions in the new
// order. withSequence and the local pool start partitions in index order,
// so the longest transfers start first and the run ends with short ones.
func LargestFirst(dir plan.Dir, parts []plan.Partition, a Auto) ([]plan.Partition, error) {
	order := make([]int, len(parts))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(x, y int) int {
		cx, cy := a.PartCost(parts[x]), a.PartCost(parts[y])
		switch {
		case cx > cy:
			return -1
		case cx < cy:
			return 1
		}
		return 0
	})
	sorted := make([]plan.Partition, len(parts))
	moved := false
	for to, from := range order {
		sorted[to] = parts[from]
		moved = moved || to != from
	}
	if !moved {
		return sorted, nil
	}
	// Two renames each: old name → temporary, then temporary → new name, so
	// that no part file is overwritten before it has moved. A part file
	// with whole-directory lines moves with its sidecar (plan.Dir.WholeFile).
	tmp := func(i int, suffix string) string {
		return filepath.Join(dir.PartsDir(), ".renumber."+strconv.Itoa(i)+suffix)
	}
	for _, from := range order {
		if err := os.Rename(dir.PartFile(strconv.Itoa(from)), tmp(from, "")); err != nil {
			return nil, fmt.Errorf("renumber part %d: %w", from, err)
		}
		if parts[from].WholeDirs > 0 {
			if err := os.Rename(dir.WholeFile(from), tmp(from, ".whole")); err != nil {
				return nil, fmt.Errorf("renumber part %d: %w", from, err)
			}
		}
	}
	for to, from := range order {
		if err := os.Rename(tmp(from, ""), dir.PartFile(strconv.Itoa(to))); err != nil {
			return nil, fmt.Errorf("renumber part %d to %d: %w", from, to, err)
		}
		if parts[from].WholeDirs > 0 {
			if err := os.Rename(tmp(from, ".whole"), dir.WholeFile(to)); err != nil {
				return nil, fmt.Errorf("renumber part %d to %d: %w", from, to, err)
			}
		}
	}
	return sorted, nil
}
