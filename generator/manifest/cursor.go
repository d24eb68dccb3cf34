package manifest

import (
	"context"
	"fmt"
	"io"

	"github.com/partsync/partsync/generator/scan"
)

// Cursor answers, for paths asked in walk order (scan.ComparePaths), whether
// the manifest holds them (as an entry or a skip). It reads the manifest
// once (a Reader), alongside the caller's own walk or sorted listing, so
// memory does not grow with the tree: the check at the end of a run
// (package recheck) asks it about the source walked again, the mirror's
// listing of the destination (package extras) about DST.
type Cursor struct {
	ctx  context.Context
	r    *Reader
	cur  string
	more bool
	err  error
	n    int
}

// NewCursor starts reading the manifest at file. Close it.
func NewCursor(ctx context.Context, file string) *Cursor {
	c := &Cursor{ctx: ctx}
	if c.r, c.err = Open(file); c.err == nil {
		c.advance()
	}
	return c
}

// advance reads the next record's path; an error or the end stops the cursor.
func (c *Cursor) advance() {
	if c.n++; c.n%65536 == 0 && c.ctx.Err() != nil {
		c.err, c.more = fmt.Errorf("read manifest: %w", c.ctx.Err()), false
		return
	}
	rec, err := c.r.Next()
	switch {
	case err == io.EOF:
		c.more = false
	case err != nil:
		c.err, c.more = err, false
	default:
		c.cur, c.more = rec.Entry.Path, true
	}
}

// Has reports whether the manifest holds path. Paths must come in walk
// order; asking the same path twice in a row is allowed.
func (c *Cursor) Has(path string) (bool, error) {
	for c.more && scan.ComparePaths(c.cur, path) < 0 {
		c.advance()
	}
	if c.err != nil {
		return false, c.err
	}
	return c.more && c.cur == path, nil
}

// Close reads the manifest to its end (so a corrupt tail is reported) and
// returns the error of its reading, if any.
func (c *Cursor) Close() error {
	for c.more {
		c.advance()
	}
	if c.r != nil {
		_ = c.r.Close()
	}
	return c.err
}
