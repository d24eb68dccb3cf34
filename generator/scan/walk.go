package scan

import (
	"context"
	"errors"
	"fmt"
)

const (
	defaultWorkers = 32
	maxWorkers     = 1024
	// lookaheadPerWorker sets the read-ahead window: the next
	// lookaheadPerWorker × Workers directories in walk order are always
	// queued or read.
	lookaheadPerWorker = 4
	// readAheadPerWorker bounds the listings the workers queue on their own
	// (see lister.readAhead) to readAheadPerWorker × Workers.
	readAheadPerWorker = 8
)

// Walk calls visit for every entry under root in deterministic order (see the
// package doc) and skip for every entry it could not read. Both are called
// from the caller's goroutine, never at once.
//
// It returns the counts when the walk is done, or early with an error: when
// ctx is cancelled (wrapping ctx.Err()), when visit or skip returns an error
// (wrapping it), for a bad exclude pattern (wrapping ErrBadPattern), and when
// the root is missing, not a directory or unreadable (wrapping ErrSource and
// the system error). An unreadable entry below the root is never an error: it
// goes to skip. Walk returns only after every goroutine it started has ended.
func Walk(ctx context.Context, root string, opts Options, visit func(Entry) error, skip func(Skip) error) (Stats, error) {
	return walk(ctx, root, opts, openRoot, visit, skip)
}

// walk is Walk with the file system as a parameter, for tests.
func walk(ctx context.Context, root string, opts Options, open opener,
	visit func(Entry) error, skip func(Skip) error) (Stats, error) {
	if visit == nil || skip == nil {
		return Stats{}, errors.New("scan: Walk needs both a visit and a skip function")
	}
	m, err := NewMatcher(opts.Exclude)
	if err != nil {
		return Stats{}, err
	}
	if err := ctx.Err(); err != nil {
		return Stats{}, fmt.Errorf("scan %s: %w", quote(root), err)
	}
	if root == "" {
		return Stats{}, newSourceError(root, nil)
	}
	fsys, err := open(root)
	if err != nil {
		return Stats{}, newSourceError(root, err)
	}
	defer fsys.close()

	workers := opts.Workers
	if workers <= 0 {
		workers = defaultWorkers
	}
	workers = min(workers, maxWorkers)
	p := newPool(workers)
	defer p.wait()
	defer p.close()
	stopOnCancel := context.AfterFunc(ctx, p.close)
	defer stopOnCancel()

	e := &emitter{
		ctx:  ctx,
		root: root,
		lister: &lister{fs: fsys, match: m, pool: p, workers: workers, namesOnly: opts.NamesOnly,
			readAhead: readAheadPerWorker * int64(workers)},
		lookahead: lookaheadPerWorker * workers,
		visit:     visit,
		skip:      skip,
	}
	err = e.run()
	return e.stats, err
}
