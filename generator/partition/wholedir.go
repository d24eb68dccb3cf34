package partition

import (
	"fmt"
	"io"
	"strings"

	"github.com/partsync/partsync/generator/scan"
	"github.com/partsync/partsync/generator/tool"
)

// wholeDir is a directory listed in the open partition whose entries
// follow it. When all of them turn out to be in the same partition, none is
// a directory, and none was excluded or skipped, its lines are replaced by
// the tool's one line for "the directory and everything directly in it".
//
// Why: rsync resolves every --files-from line on its own, component by
// component (openat, fstatat per path element, and one read and one poll
// per byte of the list), which made a re-run onto a complete destination
// many times slower than one recursive rsync; a DIR/ line makes rsync read
// the directory as its recursive mode does (figures: bench/BENCHMARKS.md, "Figures behind the code").
type wholeDir struct {
	path   string
	want   int   // entries directly inside, from the scan
	seen   int   // of them listed right after it, in the same partition
	offset int64 // where its own line starts in the part file
}

// startWhole is called before e's line is written at p.open.size.
func (p *Partitioner) startWhole(e scan.Entry) {
	if p.whole != nil {
		p.whole.seen++
		return
	}
	if p.opts.WholeDirs && e.Type == scan.Dir && e.Children > 0 && e.Excluded == 0 {
		p.whole = &wholeDir{path: e.Path, want: e.Children, offset: p.open.size}
	}
}

// settleWhole is called before e is listed (with the zero Entry at the
// end): e not directly inside the pending directory means the directory is
// complete; a directory inside it means it stays line by line.
func (p *Partitioner) settleWhole(e scan.Entry) error {
	wd := p.whole
	if wd == nil {
		return nil
	}
	if rest, ok := strings.CutPrefix(e.Path, wd.path+"/"); ok && !strings.Contains(rest, "/") {
		if e.Type == scan.Dir {
			p.whole = nil
		}
		return nil
	}
	p.whole = nil
	if wd.seen != wd.want {
		return nil
	}
	line := p.opts.Tool.(tool.WholeDirs).WholeDirLine(wd.path)
	op := p.open
	err := op.w.Flush()
	if err == nil {
		err = p.noteWhole(op, wd, line)
	}
	if err == nil {
		err = op.tmp.Truncate(wd.offset)
	}
	if err == nil {
		_, err = op.tmp.Seek(wd.offset, io.SeekStart)
	}
	if err == nil {
		_, err = op.w.WriteString(line)
	}
	if err == nil {
		err = op.w.WriteByte(p.opts.Tool.Separator())
	}
	if err != nil {
		return fmt.Errorf("write part %d: %w", len(p.parts), err)
	}
	op.size = wd.offset + int64(len(line)) + 1
	op.stats.WholeDirs++
	return nil
}

// noteWhole adds the directory's line and its entries' lines, read back
// from the part file before they are replaced, to the partition's sidecar
// (plan.Dir.WholeFile): the transfer compares them with the source after
// the tool ran, so that an entry deleted from or added to the directory
// after the scan is reported (generator/transfer/whole.go). Copying from
// the file keeps memory bounded however large the directory.
func (p *Partitioner) noteWhole(op *openPart, wd *wholeDir, line string) error {
	if op.whole == nil {
		list, err := newTempList(p.dir.WholeFile(len(p.parts)))
		if err != nil {
			return err
		}
		op.whole = list
	}
	sep := p.opts.Tool.Separator()
	if _, err := op.whole.w.WriteString(line); err != nil {
		return err
	}
	if err := op.whole.w.WriteByte(sep); err != nil {
		return err
	}
	// The directory's own line (wd.path and a separator) comes first.
	start := wd.offset + int64(len(wd.path)) + 1
	_, err := io.Copy(op.whole.w, io.NewSectionReader(op.tmp, start, op.size-start))
	return err
}
