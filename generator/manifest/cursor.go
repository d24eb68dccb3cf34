package manifest

import (
	"context"
	"errors"
	"iter"

	"github.com/partsync/partsync/generator/scan"
)

// Cursor answers, for paths asked in walk order (scan.ComparePaths), whether
// the manifest holds them (as an entry or a skip). It reads the manifest
// once, alongside the caller's own walk or sorted listing, so memory does
// not grow with the tree: the check at the end of a run (package recheck)
// asks it about the source walked again, the mirror's listing of the
// destination (package extras) about DST.
type Cursor struct {
	next func() (seenPath, bool)
	stop func()
	cur  seenPath
	more bool
}

// seenPath is one path of the manifest, or the error that ended its replay.
type seenPath struct {
	path string
	err  error
}

// NewCursor starts reading the manifest at file. Close it.
func NewCursor(ctx context.Context, file string) *Cursor {
	c := &Cursor{}
	c.next, c.stop = iter.Pull(paths(ctx, file))
	c.cur, c.more = c.next()
	return c
}

// Has reports whether the manifest holds path. Paths must come in walk
// order; asking the same path twice in a row is allowed.
func (c *Cursor) Has(path string) (bool, error) {
	for c.more && c.cur.err == nil && scan.ComparePaths(c.cur.path, path) < 0 {
		c.cur, c.more = c.next()
	}
	if c.more && c.cur.err != nil {
		return false, c.cur.err
	}
	return c.more && c.cur.path == path, nil
}

// Close reads the manifest to its end (so a corrupt tail is reported) and
// returns the error of its replay, if any.
func (c *Cursor) Close() error {
	defer c.stop()
	for c.more && c.cur.err == nil {
		c.cur, c.more = c.next()
	}
	if c.more {
		return c.cur.err
	}
	return nil
}

// paths yields the paths of the manifest's records in order; a replay
// error is yielded last.
func paths(ctx context.Context, file string) iter.Seq[seenPath] {
	return func(yield func(seenPath) bool) {
		errStop := errors.New("stopped")
		path := func(p string) error {
			if !yield(seenPath{path: p}) {
				return errStop
			}
			return nil
		}
		err := Replay(ctx, file,
			func(e scan.Entry) error { return path(e.Path) },
			func(s scan.Skip) error { return path(s.Path) })
		if err != nil && !errors.Is(err, errStop) {
			yield(seenPath{err: err})
		}
	}
}
