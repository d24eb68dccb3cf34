// Package partition packs the scanner's entries into partitions with fpart's
// semantics: at most MaxFiles entries and at most MaxBytes bytes each, filled
// in scan order, a file larger than MaxBytes in a partition of its own. Each
// partition is written as it closes to parts/part.<N>, in the encoding the
// tool reads; every entry the tool cannot express goes to the skipped file
// with the reason. Memory holds one open partition, not the tree (and the
// files with several hard links, see hardlinks.go).
package partition

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/partsync/partsync/generator/plan"
	"github.com/partsync/partsync/generator/scan"
	"github.com/partsync/partsync/generator/tool"
)

// ErrLimits is wrapped when the partition limits are not positive.
var ErrLimits = errors.New("bad partition limits")

// Options bound each partition and name the tool that reads it.
type Options struct {
	MaxFiles int64 // entries per partition (-f)
	MaxBytes int64 // bytes of regular files per partition (-s)
	Tool     tool.Tool
	Cut      *Cut // cut by cost as well (--auto, see auto.go); nil: fpart's limits only
	// Closed, when not nil, is called when part file index is in place
	// (live mode: the local executor starts it while the scan goes on).
	// An error stops the partitioning.
	Closed func(index int, p plan.Partition) error
	// WholeDirs writes a directory and all its entries, when none is a
	// directory and all are in one partition, as the tool's one-line form
	// (tool.WholeDirs); the tool must implement it. See wholedir.go.
	WholeDirs bool
	// OpenFor, when positive, also closes a partition that holds an entry
	// and has been open that long, at the next Tick: a live incremental run
	// lists few entries in a long scan, and its transfers start while the
	// scan goes on instead of after it (-f and -s would close the first
	// partition only at the scan's end). Now is the clock (nil: time.Now).
	OpenFor time.Duration
	Now     func() time.Time
}

// Partitioner receives entries in scan order. It is not safe for concurrent use.
type Partitioner struct {
	dir     plan.Dir
	opts    Options
	parts   []plan.Partition
	totals  plan.Totals
	open    *openPart
	pending []impliedDir // implied directories on the current path, outermost first
	whole   *wholeDir    // the directory that may become one line, if any
	skipped *bufio.Writer
	skipOut *os.File
	dirs    *dirList   // the directory step's list (dirs.go)
	links   linkGroups // files with several hard links, held until Close (hardlinks.go)
	cost    *costState // nil without Options.Cut
}

// impliedDir is a directory the tool creates only for the files below it;
// whether any were listed is known when the scan leaves it.
type impliedDir struct {
	path    string
	content bool
}

// openPart is the partition being filled.
type openPart struct {
	stats  plan.Partition
	tmp    *os.File
	w      *bufio.Writer
	size   int64     // bytes written to w
	whole  *dirList  // the sidecar of its whole-directory lines, once it has one (wholedir.go)
	opened time.Time // when it was opened, for Options.OpenFor
}

// New starts partitioning into the run directory dir.
func New(dir plan.Dir, opts Options) (*Partitioner, error) {
	if err := CheckLimits(opts.MaxFiles, opts.MaxBytes); err != nil {
		return nil, err
	}
	f, err := os.Create(dir.SkippedFile())
	if err != nil {
		return nil, fmt.Errorf("create skipped list: %w", err)
	}
	p := &Partitioner{dir: dir, opts: opts, skipped: bufio.NewWriter(f), skipOut: f}
	if opts.Cut != nil {
		p.cost = &costState{cut: *opts.Cut}
	}
	return p, nil
}

// Add places one scanned entry: in a partition, implied, or skipped.
func (p *Partitioner) Add(e scan.Entry) error {
	if err := p.leave(e.Path); err != nil {
		return err
	}
	v := p.opts.Tool.Classify(e)
	switch {
	case v.List:
		if n := len(p.pending); n > 0 {
			p.pending[n-1].content = true
		}
		return p.list(e)
	case v.Implied && e.Type == scan.Dir && e.Children >= 0:
		p.pending = append(p.pending, impliedDir{path: e.Path})
		return nil
	case v.Implied:
		p.totals.Implied++ // unreadable: the scanner's skip line accounts for its contents
		return nil
	default:
		if e.Type == scan.File {
			p.totals.SkippedBytes += e.Size
		}
		return p.Skip(scan.Skip{Path: e.Path, Reason: v.Reason})
	}
}

// leave settles the implied directories the scan has left before path (in
// depth-first order, those that are not its ancestors): one that holds a
// listed entry is created by the tool, one that holds none would be lost
// silently, so it is skipped with the reason.
func (p *Partitioner) leave(path string) error {
	for n := len(p.pending); n > 0; n = len(p.pending) {
		top := p.pending[n-1]
		if path != "" && strings.HasPrefix(path, top.path+"/") {
			return nil
		}
		p.pending = p.pending[:n-1]
		if !top.content {
			if err := p.Skip(scan.Skip{Path: top.path, Reason: "directory holds no file the tool copies (only empty directories, links or skipped entries): it is not created"}); err != nil {
				return err
			}
			continue
		}
		p.totals.Implied++
		if n > 1 {
			p.pending[n-2].content = true
		}
	}
	return nil
}

// Skip records an entry that is in no partition.
func (p *Partitioner) Skip(s scan.Skip) error {
	p.whole = nil // a directory with a skipped entry is listed entry by entry
	p.totals.Skipped++
	if s.Unreadable() {
		p.totals.Unreadable++
		if len(p.totals.UnreadablePaths) < plan.MaxUnreadablePaths {
			p.totals.UnreadablePaths = append(p.totals.UnreadablePaths, s.Path)
		}
	}
	if err := WriteSkipLine(p.skipped, s); err != nil {
		return fmt.Errorf("write skipped list: %w", err)
	}
	return nil
}

// WriteSkipLine writes one line of the skipped file: the path quoted as a Go
// string (so tabs, newlines and bytes that are not UTF-8 stay readable and
// lossless), a tab, and the reason.
func WriteSkipLine(w io.Writer, s scan.Skip) error {
	_, err := fmt.Fprintf(w, "%s\t%s\n", strconv.Quote(s.Path), s.Reason)
	return err
}

func (p *Partitioner) list(e scan.Entry) error {
	if err := p.noteDir(e); err != nil {
		return err
	}
	if p.hold(e) {
		return nil
	}
	var size int64
	if e.Type == scan.File {
		size = e.Size
	}
	// Settle a pending whole directory first (with the open partition
	// it is in); an entry listed alone, held aside (hard links) or in
	// another partition never counts for it.
	if err := p.settleWhole(e); err != nil {
		return err
	}
	if p.cost != nil && p.open != nil && p.cost.alone(size) {
		return p.listAlone(e)
	}
	if err := p.room(1, size); err != nil {
		return err
	}
	p.startWhole(e)
	if err := p.write(e); err != nil {
		return err
	}
	if p.cost != nil && p.cost.alone(size) {
		return p.closePart()
	}
	return nil
}

// room closes the open partition when n more entries of size bytes would
// overflow it, and makes sure one is open.
func (p *Partitioner) room(n, size int64) error {
	if p.open != nil && (p.open.stats.Entries+n > p.opts.MaxFiles || p.open.stats.Bytes+size > p.opts.MaxBytes ||
		p.cost != nil && p.cost.full(p.open.stats, p.parts, size)) {
		if err := p.closePart(); err != nil {
			return err
		}
	}
	if p.open == nil {
		return p.openPart()
	}
	return nil
}

// write appends e to the open partition.
func (p *Partitioner) write(e scan.Entry) error {
	name := e.Path
	if n, ok := p.opts.Tool.(tool.ListNamer); ok {
		name = n.ListName(name)
	}
	if _, err := p.open.w.WriteString(name); err != nil {
		return fmt.Errorf("write part %d: %w", len(p.parts), err)
	}
	if err := p.open.w.WriteByte(p.opts.Tool.Separator()); err != nil {
		return fmt.Errorf("write part %d: %w", len(p.parts), err)
	}
	p.open.size += int64(len(name)) + 1
	p.open.stats.Entries++
	p.totals.Listed++
	if e.Type == scan.File {
		p.open.stats.Files++
		p.open.stats.Bytes += e.Size
		p.totals.ListedBytes += e.Size
	}
	return nil
}

func (p *Partitioner) openPart() error {
	final := p.dir.PartFile(strconv.Itoa(len(p.parts)))
	tmp, err := os.CreateTemp(filepath.Dir(final), "."+filepath.Base(final)+".tmp-*")
	if err != nil {
		return fmt.Errorf("create part %d: %w", len(p.parts), err)
	}
	p.open = &openPart{tmp: tmp, w: bufio.NewWriterSize(tmp, 256*1024)}
	if p.opts.OpenFor > 0 {
		p.open.opened = p.now()
	}
	return nil
}

// Tick closes the open partition when Options.OpenFor says it has been
// open long enough; the caller calls it between entries, as the scan goes
// on (entries the partitioner never sees, an incremental run's unchanged
// ones, included), and the partition's transfer can start.
func (p *Partitioner) Tick() error {
	if p.opts.OpenFor <= 0 || p.open == nil || p.open.stats.Entries == 0 || p.now().Sub(p.open.opened) < p.opts.OpenFor {
		return nil
	}
	return p.closePart()
}

func (p *Partitioner) now() time.Time {
	if p.opts.Now != nil {
		return p.opts.Now()
	}
	return time.Now()
}

// closePart flushes the open partition and renames it into place.
func (p *Partitioner) closePart() error {
	p.whole = nil // its entries span two partitions: each keeps its lines
	index := len(p.parts)
	op := p.open
	p.open = nil
	// The sidecar first: a part file in place has its sidecar in place.
	if op.whole != nil {
		if err := commit(op.whole.tmp, op.whole.w, p.dir.WholeFile(index)); err != nil {
			op.whole.abort()
			_ = op.tmp.Close()
			_ = os.Remove(op.tmp.Name())
			return fmt.Errorf("write part %d: %w", index, err)
		}
	}
	if err := commit(op.tmp, op.w, p.dir.PartFile(strconv.Itoa(index))); err != nil {
		return fmt.Errorf("write part %d: %w", index, err)
	}
	p.parts = append(p.parts, op.stats)
	if p.opts.Closed != nil {
		if err := p.opts.Closed(index, op.stats); err != nil {
			return fmt.Errorf("part %d: %w", index, err)
		}
	}
	return nil
}

// Close writes the last partition and the skipped list, and returns the
// partitions in order with the totals of what was listed, implied and skipped.
func (p *Partitioner) Close() ([]plan.Partition, plan.Totals, error) {
	var errs []error
	// The pending whole directory is settled before the held-aside hard
	// links are written into the open partition.
	errs = append(errs, p.leave(""), p.settleWhole(scan.Entry{}), p.listLinks(), p.closeDirs())
	if p.open != nil {
		errs = append(errs, p.closePart())
	}
	if err := p.skipped.Flush(); err != nil {
		errs = append(errs, fmt.Errorf("write skipped list: %w", err))
	}
	if err := p.skipOut.Close(); err != nil {
		errs = append(errs, fmt.Errorf("write skipped list: %w", err))
	}
	return p.parts, p.totals, errors.Join(errs...)
}

// Abort releases the open files after a failure; the caller discards the run directory.
func (p *Partitioner) Abort() {
	if p.open != nil {
		_ = p.open.tmp.Close()
		_ = os.Remove(p.open.tmp.Name())
		p.open.whole.abort()
		p.open = nil
	}
	p.dirs.abort()
	_ = p.skipOut.Close()
}
