package scan

import (
	"context"
	"fmt"
)

// emitter hands the listings to visit and skip in walk order. It runs on the
// caller's goroutine and keeps the read-ahead window full.
type emitter struct {
	ctx       context.Context
	root      string
	lister    *lister
	lookahead int
	visit     func(Entry) error
	skip      func(Skip) error

	stack []*frame // the directories on the path being emitted, root first
	stats Stats
}

// frame is a directory whose entries are being emitted.
type frame struct {
	ls      *listing
	pos     int // next kid to emit
	nextDir int // next index in ls.dirs not yet emitted
}

// run emits the whole tree.
func (e *emitter) run() error {
	root := e.lister.submit("", nil)
	if err := e.wait(root); err != nil {
		return err
	}
	e.lister.consumed()
	if root.err != nil {
		return newSourceError(e.root, root.err)
	}
	e.enter(root)
	for len(e.stack) > 0 {
		f := e.stack[len(e.stack)-1]
		if f.pos == len(f.ls.kids) {
			e.stack[len(e.stack)-1] = nil
			e.stack = e.stack[:len(e.stack)-1]
			continue
		}
		i := f.pos
		f.pos++
		if err := e.emit(f, i); err != nil {
			return err
		}
	}
	return nil
}

// emit hands kid i of f to visit or skip; a directory's listing is entered.
func (e *emitter) emit(f *frame, i int) error {
	if err := e.ctx.Err(); err != nil {
		return fmt.Errorf("scan %s: %w", quote(e.root), err)
	}
	c := f.ls.kids[i]
	f.ls.kids[i] = child{} // the caller owns the path now; drop ours
	if c.err != nil {
		return e.doSkip(c.path, entryReason(c.err))
	}
	ent := Entry{
		Path: c.path, Type: typeOf(c.st.mode), Mode: c.st.mode, Size: c.st.size,
		ModTime: c.st.mtime, Inode: c.st.ino, Dev: c.st.dev, Nlink: c.st.nlink,
	}
	if ent.Type != Dir {
		return e.doVisit(ent)
	}

	f.nextDir++
	ls := c.next
	if ls == nil { // beyond the window until now
		ls = e.lister.submit(c.path, childKey(f.ls.key, i))
	}
	e.topUp() // the window moved on by one: keep the workers busy while we wait
	if err := e.wait(ls); err != nil {
		return err
	}
	e.lister.consumed()
	if ls.err != nil {
		ent.Children = -1
		if err := e.doVisit(ent); err != nil {
			return err
		}
		return e.doSkip(c.path, dirReason(ls.err))
	}
	ent.Children, ent.Excluded = ls.visible, int(ls.excluded)
	if err := e.doVisit(ent); err != nil {
		return err
	}
	e.enter(ls)
	return nil
}

// enter pushes a listing whose entries come next.
func (e *emitter) enter(ls *listing) {
	e.stats.Excluded += ls.excluded
	e.stack = append(e.stack, &frame{ls: ls})
	e.topUp()
}

// topUp queues every directory among the next e.lookahead ones in walk order
// that is not queued yet: the pending subdirectories of the top frame first,
// then those of the frames below.
func (e *emitter) topUp() {
	budget := e.lookahead
	for s := len(e.stack) - 1; s >= 0 && budget > 0; s-- {
		f := e.stack[s]
		for _, k := range f.ls.dirs[f.nextDir:] {
			if budget == 0 {
				return
			}
			budget--
			if c := &f.ls.kids[k]; c.next == nil {
				c.next = e.lister.submit(c.path, childKey(f.ls.key, int(k)))
			}
		}
	}
}

// wait blocks until ls is read or the walk is cancelled.
func (e *emitter) wait(ls *listing) error {
	select {
	case <-ls.done:
	case <-e.ctx.Done():
	}
	// A cancellation may have cut the listing short even when done won the race.
	if err := e.ctx.Err(); err != nil {
		return fmt.Errorf("scan %s: %w", quote(e.root), err)
	}
	return nil
}

func (e *emitter) doVisit(ent Entry) error {
	e.stats.add(&ent)
	if err := e.visit(ent); err != nil {
		return fmt.Errorf("scan: visit %s: %w", quote(ent.Path), err)
	}
	return nil
}

func (e *emitter) doSkip(path, reason string) error {
	e.stats.Skipped++
	if err := e.skip(Skip{Path: path, Reason: reason}); err != nil {
		return fmt.Errorf("scan: skip %s: %w", quote(path), err)
	}
	return nil
}

// childKey is the walk position of kid i of the directory at key.
func childKey(key []int32, i int) []int32 {
	k := make([]int32, len(key)+1)
	copy(k, key)
	k[len(key)] = int32(i)
	return k
}
