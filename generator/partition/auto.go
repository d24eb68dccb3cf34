package partition

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/partsync/partsync/generator/plan"
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
	// DefaultFileCost prices one listed entry at 256 KiB: rsync on NFS or
	// Lustre spends ~1-2 ms of round trips per file (create, write, close,
	// set times and owner) and rclone one PUT of 20-50 ms shared by 8
	// transfers; at the ~128 MiB/s one pod streams, 2 ms is 256 KiB.
	DefaultFileCost = 256 << 10
	// DefaultMinCost keeps a partition worth a pod: a pod takes ~5 s to start
	// (k-fpsync's sample: 8 partitions took 50 s as pods, 7 s locally), so a
	// partition of less than ~8 s of work (1 GiB at 128 MiB/s) spends more
	// than a third of its time starting.
	DefaultMinCost = 1 << 30
	// DefaultMaxPartitions is the most partitions one workflow runs: Argo's
	// status grows ~1.1 KB per node and stalls are reported from 6-7k.
	DefaultMaxPartitions = 2000
	// PartsPerJob is how many partitions auto mode makes per job (-n): with
	// the largest run first, the last one to finish is at most 1/PartsPerJob
	// of a job's share late (Graham's LPT bound), and an idle worker finds
	// work until the end.
	PartsPerJob = 4
)

// ErrAuto is wrapped when the automatic sizing options are out of range.
var ErrAuto = errors.New("bad automatic sizing options")

// Auto asks for automatic sizing.
type Auto struct {
	Jobs          int   // transfers at once (-n)
	MaxPartitions int   // at most this many partitions (--max-partitions)
	FileCost      int64 // cost of one listed entry beyond its bytes (--file-cost)
	MinCost       int64 // no partition is aimed below this cost (--min-partition)
}

// Check reports every out-of-range value at once.
func (a Auto) Check() error {
	var errs []error
	if a.Jobs < 1 {
		errs = append(errs, fmt.Errorf("%w: -n/--jobs %d: give at least 1", ErrAuto, a.Jobs))
	}
	if a.MaxPartitions < 1 {
		errs = append(errs, fmt.Errorf("%w: --max-partitions %d: give at least 1 (default %d)", ErrAuto, a.MaxPartitions, DefaultMaxPartitions))
	}
	if a.FileCost < 0 {
		errs = append(errs, fmt.Errorf("%w: --file-cost %d: give 0 or more bytes (default 256K)", ErrAuto, a.FileCost))
	}
	if a.MinCost < 1 {
		errs = append(errs, fmt.Errorf("%w: --min-partition %d: give at least 1 byte (default 1G)", ErrAuto, a.MinCost))
	}
	return errors.Join(errs...)
}

// Parts is the number of partitions auto mode aims at: PartsPerJob per
// job, at most MaxPartitions, at least 1.
func (a Auto) Parts() int { return max(1, min(a.MaxPartitions, PartsPerJob*a.Jobs)) }

// Cut tells the partitioner to cut by cost. Total is the cost of every entry
// the tool lists (the first pass counts it with Cost).
type Cut struct {
	Auto
	Total int64
}

// Cost is what a listed entry of size bytes (0 unless a regular file) costs.
func (a Auto) Cost(size int64) int64 { return a.FileCost + size }

// PartCost is what a partition costs.
func (a Auto) PartCost(p plan.Partition) int64 { return p.Entries*a.FileCost + p.Bytes }

// costState is the partitioner's progress towards the Cut: the target cost
// of the open partition is what is left divided by the partitions left, so
// that a partition cut early or late is made up by the next ones and the
// count never exceeds Parts (unless -f/-s also cut).
type costState struct {
	cut    Cut
	spent  int64 // cost of the closed partitions counted so far
	closed int   // partitions counted in spent
	target int64 // of the open partition
}

// update counts the partitions closed since the last call and sets the
// target of the partition that is open now.
func (s *costState) update(parts []plan.Partition) {
	if s.closed == len(parts) && s.target > 0 {
		return
	}
	for _, part := range parts[s.closed:] {
		s.spent += s.cut.PartCost(part)
	}
	s.closed = len(parts)
	left := max(int64(s.cut.Parts()-s.closed), 1)
	remaining := max(s.cut.Total-s.spent, 0)
	s.target = max((remaining+left-1)/left, s.cut.MinCost)
}

// full reports whether an entry of size bytes belongs in the next partition
// rather than the open one: when it alone reaches the target, or when
// adding it takes the open partition further from the target than it is.
func (s *costState) full(open plan.Partition, parts []plan.Partition, size int64) bool {
	s.update(parts)
	c := s.cut.Cost(size)
	return c >= s.target || s.cut.PartCost(open)+c/2 > s.target
}

// alone reports whether the entry of size bytes just listed in a partition
// of its own fills it (a file larger than the target gets a pod to itself).
func (s *costState) alone(parts []plan.Partition, size int64) bool {
	s.update(parts)
	return s.cut.Cost(size) >= s.target && s.cut.Parts()-s.closed > 1
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
	// that no part file is overwritten before it has moved.
	tmp := func(i int) string {
		return filepath.Join(dir.PartsDir(), ".renumber."+strconv.Itoa(i))
	}
	for _, from := range order {
		if err := os.Rename(dir.PartFile(strconv.Itoa(from)), tmp(from)); err != nil {
			return nil, fmt.Errorf("renumber part %d: %w", from, err)
		}
	}
	for to, from := range order {
		if err := os.Rename(tmp(from), dir.PartFile(strconv.Itoa(to))); err != nil {
			return nil, fmt.Errorf("renumber part %d to %d: %w", from, to, err)
		}
	}
	return sorted, nil
}
