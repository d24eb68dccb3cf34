package partition

import (
	"github.com/partsync/partsync/generator/scan"
	"github.com/partsync/partsync/generator/tool"
)

// Hard links. rsync -H recreates hard links only among the files of one
// file list, so for such a tool (tool.LinkGrouper) every link of an inode
// must land in the same partition. The scan streams in depth-first order and
// the links of one inode may be far apart, so a regular file with more than
// one link is held aside, grouped by (device, inode), and the groups are
// packed at Close, in the order their first link was seen (deterministic, as
// the scan order is). A group is never split: it goes into the open
// partition when it fits, else into a new one, and a group larger than the
// limits gets a partition of its own (as a file larger than -s does).
//
// Memory: the held entries, one per path of a multi-link file. Trees where
// most files have several links hold most of their file entries until the
// end of the scan; ordinary trees hold few.

// inodeKey identifies an inode.
type inodeKey struct{ dev, ino uint64 }

// linkGroups holds the multi-link files seen so far.
type linkGroups struct {
	index  map[inodeKey]int // position in groups
	groups [][]scan.Entry   // in the order their first link was seen
}

// hold counts a regular file with several links and keeps it back when the
// tool groups them; it reports whether e was held.
func (p *Partitioner) hold(e scan.Entry) bool {
	if e.Type != scan.File || e.Nlink < 2 {
		return false
	}
	p.totals.HardLinked++
	if g, ok := p.opts.Tool.(tool.LinkGrouper); !ok || !g.GroupsHardLinks() {
		return false
	}
	l := &p.links
	if l.index == nil {
		l.index = map[inodeKey]int{}
	}
	k := inodeKey{e.Dev, e.Inode}
	i, ok := l.index[k]
	if !ok {
		i = len(l.groups)
		l.index[k] = i
		l.groups = append(l.groups, nil)
	}
	l.groups[i] = append(l.groups[i], e)
	return true
}

// listLinks writes the held groups, each whole into one partition.
func (p *Partitioner) listLinks() error {
	for _, g := range p.links.groups {
		var size int64
		for _, e := range g {
			size += e.Size
		}
		if err := p.room(int64(len(g)), size); err != nil {
			return err
		}
		for _, e := range g {
			if err := p.write(e); err != nil {
				return err
			}
		}
	}
	p.links = linkGroups{}
	return nil
}
