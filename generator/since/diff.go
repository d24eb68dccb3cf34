package since

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/partsync/partsync/generator/manifest"
	"github.com/partsync/partsync/generator/plan"
	"github.com/partsync/partsync/generator/scan"
	"github.com/partsync/partsync/generator/tool"
)

// Diff compares a scan, entry by entry as it streams, with the manifest
// of a base run, and hands on to the partitioner only what must be copied:
//
//   - new entries (not in the base) and changed ones (another type, size or
//     mtime; with rsync also another mode, link count, or for a link or
//     special file another inode, since a link's target cannot change in
//     place);
//   - the unchanged directories above them, so that the directory step
//     restores the times the transfer disturbs there (rsync), and rclone's
//     implied directories are created;
//   - for rsync, every link of a hard-linked file when one of them is new or
//     changed, so that rsync -H links them in one partition;
//   - the unchanged entries the tool does not copy, so that the skipped
//     list still names them with the reason.
//
// Every other entry is unchanged: counted, not partitioned. The entries of
// the base the scan no longer finds are written to the deleted-since list
// (plan.Dir.DeletedSinceFile), except under a directory the scan could not
// read: what it could not see is not deleted.
type Diff struct {
	base    *manifest.Reader
	cur     manifest.Record
	more    bool
	tool    tool.Tool
	rsync   bool // compare mode, links and inodes (a tool that keeps them)
	groups  bool // keep the links of a changed hard-linked file together
	visit   func(scan.Entry) error
	skip    func(scan.Skip) error
	pending []pendingDir
	blind   string // the last path the scan could not read: nothing under it is deleted
	held    map[inodeKey][]scan.Entry
	order   []inodeKey // of held, as first held (deterministic part files)
	dirty   map[inodeKey]bool
	deleted *plan.DeletedWriter
	out     *os.File
	counts  plan.Incremental
}

// pendingDir is a directory on the current path not handed on (yet).
type pendingDir struct {
	e       scan.Entry
	changed bool
	sent    bool
}

type inodeKey struct{ dev, ino uint64 }

// Options make a Diff.
type Options struct {
	Base plan.Dir  // the base run
	Dir  plan.Dir  // the new run: its deleted-since list
	Tool tool.Tool // the tool of both
	// Visit and Skip receive what is to be partitioned, in scan order
	// (but for the held links of a changed hard-linked file, which come at
	// Close).
	Visit func(scan.Entry) error
	Skip  func(scan.Skip) error
	// NoDeleted writes no deleted-since list (a first pass that only counts).
	NoDeleted bool
}

// NewDiff opens the base's manifest and the new run's deleted-since list.
func NewDiff(o Options) (*Diff, error) {
	r, err := manifest.Open(o.Base.ManifestFile())
	if err != nil {
		return nil, fmt.Errorf("base run %s: %w", o.Base, err)
	}
	_, metadata := o.Tool.(tool.DirFinisher)
	g, ok := o.Tool.(tool.LinkGrouper)
	d := &Diff{base: r, tool: o.Tool, rsync: metadata, groups: ok && g.GroupsHardLinks(), visit: o.Visit, skip: o.Skip,
		held: map[inodeKey][]scan.Entry{}, dirty: map[inodeKey]bool{}}
	if !o.NoDeleted {
		if d.out, err = os.Create(o.Dir.DeletedSinceFile()); err != nil {
			_ = r.Close()
			return nil, fmt.Errorf("create deleted-since list: %w", err)
		}
		d.deleted = plan.NewDeletedWriter(d.out)
	}
	d.counts.Compared = "type, size, mtime (ns)"
	if d.rsync {
		d.counts.Compared += ", mode, link count; links and special files: inode"
	}
	d.next()
	return d, nil
}

// next reads the following base record; an error ends the merge at Close.
func (d *Diff) next() error {
	rec, err := d.base.Next()
	switch {
	case err == io.EOF:
		d.more = false
		return nil
	case err != nil:
		d.more = false
		return err
	}
	d.cur, d.more = rec, true
	return nil
}

// upTo consumes the base records before path: gone since the base. It
// returns the base's entry at path, if any, and consumes its records.
func (d *Diff) upTo(path string) (old scan.Entry, found bool, err error) {
	for d.more && scan.ComparePaths(d.cur.Entry.Path, path) < 0 {
		if err := d.gone(d.cur); err != nil {
			return old, false, err
		}
		if err := d.next(); err != nil {
			return old, false, err
		}
	}
	for d.more && d.cur.Entry.Path == path {
		if !d.cur.Skipped {
			old, found = d.cur.Entry, true
		}
		if err := d.next(); err != nil {
			return old, false, err
		}
	}
	return old, found, nil
}

// gone lists a base entry the scan did not find.
func (d *Diff) gone(rec manifest.Record) error {
	if rec.Skipped || d.blind != "" && strings.HasPrefix(rec.Entry.Path, d.blind+"/") {
		return nil
	}
	if !d.tool.Classify(rec.Entry).List {
		return nil // never at DST (an implied directory, a skipped entry)
	}
	d.counts.Deleted++
	if d.deleted == nil {
		return nil
	}
	if err := d.deleted.Add(rec.Entry.Path, rec.Entry.Type == scan.Dir); err != nil {
		return fmt.Errorf("write deleted-since list: %w", err)
	}
	return nil
}

// Add takes the scan's next entry.
func (d *Diff) Add(e scan.Entry) error {
	old, found, err := d.upTo(e.Path)
	if err != nil {
		return err
	}
	if err := d.leave(e.Path); err != nil {
		return err
	}
	changed := found && d.differs(old, e)
	v := d.tool.Classify(e)
	switch {
	case !found:
		d.counts.New++
	case changed:
		d.counts.Changed++
	}
	if found && !changed && !v.List && !v.Implied {
		// Unchanged and never copied: the partitioner names it in skipped
		// again (without the directories above, which it would call empty).
		d.counts.Relisted++
		return d.visit(e)
	}
	if e.Type == scan.Dir {
		if !found || changed && v.List {
			return d.send(e)
		}
		d.pending = append(d.pending, pendingDir{e: e, changed: changed})
		return nil
	}
	if d.groups && e.Type == scan.File && e.Nlink > 1 {
		k := inodeKey{e.Dev, e.Inode}
		switch {
		case !found || changed:
			d.dirty[k] = true
		case !d.dirty[k]:
			if _, ok := d.held[k]; !ok {
				d.order = append(d.order, k)
			}
			d.held[k] = append(d.held[k], e) // sent at Close if another link changes
			return nil
		default:
			d.counts.Relisted++ // a link of a changed file
		}
		return d.send(e)
	}
	if !found || changed {
		return d.send(e)
	}
	d.unchanged(e)
	return nil
}

// Skip takes an entry the scan could not read: it is not deleted, nor is
// anything under it.
func (d *Diff) Skip(s scan.Skip) error {
	if _, _, err := d.upTo(s.Path); err != nil {
		return err
	}
	if err := d.leave(s.Path); err != nil {
		return err
	}
	d.blind = s.Path
	return d.skip(s)
}

// differs compares an entry with the base's.
func (d *Diff) differs(old, e scan.Entry) bool {
	if old.Type != e.Type || !old.ModTime.Equal(e.ModTime) {
		return true
	}
	if e.Type != scan.Dir && old.Size != e.Size {
		return true
	}
	if !d.rsync {
		return false
	}
	switch {
	case old.Mode != e.Mode:
		return true
	case e.Type == scan.File:
		return old.Nlink != e.Nlink && (old.Nlink > 1 || e.Nlink > 1)
	case e.Type == scan.Symlink || e.Type == scan.Other:
		return old.Inode != e.Inode
	}
	return false
}

// send hands e on, after the directories above it that were held back.
func (d *Diff) send(e scan.Entry) error {
	for i := range d.pending {
		pd := &d.pending[i]
		if pd.sent {
			continue
		}
		pd.sent = true
		if !pd.changed {
			d.counts.Relisted++
		}
		if err := d.visit(pd.e); err != nil {
			return err
		}
	}
	return d.visit(e)
}

// leave drops the held directories that are not above path.
func (d *Diff) leave(path string) error {
	for n := len(d.pending); n > 0; n = len(d.pending) {
		top := d.pending[n-1]
		if strings.HasPrefix(path, top.e.Path+"/") {
			return nil
		}
		d.pending = d.pending[:n-1]
		if !top.sent && !top.changed {
			d.unchanged(top.e)
		}
	}
	return nil
}

func (d *Diff) unchanged(e scan.Entry) {
	d.counts.Unchanged++
	if e.Type == scan.File {
		d.counts.UnchangedBytes += e.Size
	}
}

// Close ends the merge after the scan: the base entries after the last
// path are gone, the held links of changed files are handed on, and the
// deleted-since list is written. It returns the counts for plan.json.
func (d *Diff) Close() (plan.Incremental, error) {
	errs := []error{d.leave("")}
	for d.more {
		if err := d.gone(d.cur); err != nil {
			errs = append(errs, err)
			break
		}
		if err := d.next(); err != nil {
			errs = append(errs, err)
			break
		}
	}
	for _, k := range d.order {
		for _, e := range d.held[k] {
			if !d.dirty[k] {
				d.unchanged(e)
				continue
			}
			d.counts.Relisted++
			if err := d.visit(e); err != nil {
				errs = append(errs, err)
			}
		}
	}
	d.held, d.order = nil, nil
	errs = append(errs, d.base.Close())
	if d.deleted != nil {
		if err := d.deleted.Flush(); err != nil {
			errs = append(errs, fmt.Errorf("write deleted-since list: %w", err))
		}
		if err := d.out.Close(); err != nil {
			errs = append(errs, fmt.Errorf("write deleted-since list: %w", err))
		}
	}
	return d.counts, errors.Join(errs...)
}

// Abort releases the files after a failed scan.
func (d *Diff) Abort() {
	_ = d.base.Close()
	if d.out != nil {
		_ = d.out.Close()
	}
}
