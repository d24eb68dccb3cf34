package scan

import (
	"errors"
	"io/fs"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

const (
	// bigDir is the number of entries above which the lstat calls of one
	// directory are shared among idle workers, statChunk entries at a time.
	bigDir    = 1000
	statChunk = 256
	// stopEvery is how many lstat calls a worker makes between checks for
	// cancellation.
	stopEvery = 64
)

// errExcluded marks a child removed by an exclude pattern (never reported).
var errExcluded = errors.New("excluded")

// errStopped marks a listing abandoned because the walk stopped.
var errStopped = errors.New("walk stopped")

// lister reads directories on the pool's workers. It is shared by all of
// them; only outstanding changes.
type lister struct {
	fs        sysFS
	match     *Matcher
	pool      *pool
	workers   int
	namesOnly bool // Options.NamesOnly
	// readAhead bounds the listings a worker queues on its own: it queues
	// the subdirectories of a directory it has just read while fewer than
	// readAhead listings are outstanding (queued, being read, or read and
	// not yet emitted).
	readAhead   int64
	outstanding atomic.Int64
}

// listing is one directory's contents: written by a worker, then read by the
// emitter once done is closed.
type listing struct {
	rel  string  // the directory, relative to the root
	key  []int32 // its position in the walk, see pool
	done chan struct{}

	kids     []child // sorted by name, excluded entries removed
	dirs     []int32 // indexes in kids of the subdirectories, ascending
	visible  int     // kids that are visited (lstat worked)
	excluded int64
	err      error // the directory could not be opened or read
}

// child is one entry of a listing.
type child struct {
	path string
	st   stat
	err  error    // lstat failed: the entry is skipped with this error
	next *listing // Dir only: its own listing, once submitted
}

// submit queues the reading of the directory rel, at position key.
func (l *lister) submit(rel string, key []int32) *listing {
	l.outstanding.Add(1)
	ls := &listing{rel: rel, key: key, done: make(chan struct{})}
	l.pool.submit(key, func(buf []byte) { l.list(ls, buf) })
	return ls
}

// consumed tells the lister that the emitter is done waiting for a listing.
func (l *lister) consumed() { l.outstanding.Add(-1) }

// list reads one directory: its names, sorted as bytes, and an lstat of each
// entry that no pattern excludes.
func (l *lister) list(ls *listing, buf []byte) {
	defer close(ls.done)
	d, err := l.openDir(ls.rel)
	if err != nil {
		ls.err = err
		return
	}
	defer d.close()
	names, types, err := d.names(buf)
	if err != nil {
		ls.err = err
		return
	}
	if l.namesOnly && types != nil {
		sortByName(names, types)
	} else {
		slices.Sort(names)
		types = nil // every entry is lstat'ed
	}
	kids := make([]child, len(names))
	l.statAll(ls, d, names, types, kids)
	if l.pool.stopped() {
		ls.err = errStopped // kids may be partly filled
		return
	}
	n := 0
	for i := range kids {
		c := &kids[i]
		switch {
		case c.err == errExcluded:
			ls.excluded++
			continue
		case c.err == nil:
			ls.visible++
			if c.st.mode.IsDir() {
				ls.dirs = append(ls.dirs, int32(n))
			}
		}
		kids[n] = *c
		n++
	}
	clear(kids[n:])
	ls.kids = kids[:n]
	l.readAheadOf(ls)
}

// readAheadOf queues the subdirectories of ls while the read-ahead budget
// lasts. The emitter queues only directories whose parent it has entered; this
// reaches further, so that every worker has work. The pool's order keeps the
// directories the emitter needs first in line. It runs before ls.done is
// closed: the emitter reads kids[k].next only after.
func (l *lister) readAheadOf(ls *listing) {
	for _, k := range ls.dirs {
		if l.outstanding.Load() >= l.readAhead {
			return
		}
		c := &ls.kids[k]
		c.next = l.submit(c.path, childKey(ls.key, int(k)))
	}
}

// openDir opens a directory, waiting out a shortage of file descriptors
// (other parts of the process may hold many) for up to about two seconds.
func (l *lister) openDir(rel string) (dirHandle, error) {
	for delay := time.Millisecond; ; delay *= 2 {
		d, err := l.fs.openDir(rel)
		if !errors.Is(err, syscall.EMFILE) && !errors.Is(err, syscall.ENFILE) ||
			delay > time.Second || l.pool.stopped() {
			return d, err
		}
		time.Sleep(delay)
	}
}

// statAll fills kids from names. In a big directory idle workers help: the
// chunks are claimed one at a time, and the owner claims them too, so it never
// waits for a helper that has not started.
func (l *lister) statAll(ls *listing, d dirHandle, names []string, types []fs.FileMode, kids []child) {
	if len(names) <= bigDir || l.workers == 1 || types != nil {
		l.statRange(ls.rel, d, names, types, kids)
		return
	}
	chunks := int64((len(names) + statChunk - 1) / statChunk)
	var claimed, finished atomic.Int64
	allDone := make(chan struct{})
	work := func() {
		for {
			i := claimed.Add(1) - 1
			if i >= chunks {
				return
			}
			lo := int(i) * statChunk
			hi := min(lo+statChunk, len(names))
			l.statRange(ls.rel, d, names[lo:hi], nil, kids[lo:hi])
			if finished.Add(1) == chunks {
				close(allDone)
			}
		}
	}
	for range min(int64(l.workers-1), chunks-1) {
		l.pool.submit(ls.key, func([]byte) { work() })
	}
	work()
	<-allDone
}

// statRange fills kids[i] from names[i]; it returns early if the walk
// stopped. With types (NamesOnly), an entry of known type is not lstat'ed.
func (l *lister) statRange(parent string, d dirHandle, names []string, types []fs.FileMode, kids []child) {
	for i, name := range names {
		if i%stopEvery == 0 && l.pool.stopped() {
			return
		}
		c := &kids[i]
		c.path = joinRel(parent, name)
		if l.match.matchAny(c.path, name) {
			c.err = errExcluded
			continue
		}
		var st stat
		var err error
		if types != nil && types[i] != unknownType {
			st.mode = types[i]
		} else {
			st, err = d.lstat(name)
		}
		switch {
		case err != nil:
			c.err = err
		case st.mode.IsDir() && l.match.matchDir(c.path, name):
			c.err = errExcluded
		default:
			c.st = st
		}
	}
}

// sortByName sorts names as bytes and types along with them.
func sortByName(names []string, types []fs.FileMode) {
	idx := make([]int32, len(names))
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortFunc(idx, func(a, b int32) int { return strings.Compare(names[a], names[b]) })
	sortedNames := make([]string, len(names))
	sortedTypes := make([]fs.FileMode, len(types))
	for i, j := range idx {
		sortedNames[i], sortedTypes[i] = names[j], types[j]
	}
	copy(names, sortedNames)
	copy(types, sortedTypes)
}

// joinRel joins a relative directory and a name with '/'.
func joinRel(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}
