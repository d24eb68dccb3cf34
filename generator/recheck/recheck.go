// Package recheck is the check at the end of a run: it walks the source
// again, with the run's excludes, and compares what it finds with the
// scan's manifest. An entry the scan did not see was added after the scan
// (or during it, in a directory already read): it is in no part file, so no
// partition copied it unless a whole-directory line did, and those the
// partitions report themselves (plan.Status.Added, NotCopied). The rest are
// counted in recheck.json and listed in the run's added file, so that a
// file added to a live source is never left behind without a word.
//
// Both walks emit in the same order (scan.ComparePaths), so the comparison
// is a merge of two streams: memory does not grow with the tree. The second
// walk reads names only (scan.Options.NamesOnly): one readdir per directory,
// no stat per entry.
package recheck

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/partsync/partsync/generator/manifest"
	"github.com/partsync/partsync/generator/plan"
	"github.com/partsync/partsync/generator/plural"
	"github.com/partsync/partsync/generator/scan"
)

// ErrNoManifest is wrapped when the run directory has no manifest (it was
// written by a partsync from before the check): nothing to compare with.
var ErrNoManifest = errors.New("no manifest")

// Run walks the source of p, compares it with the manifest, writes the added
// file and recheck.json, and returns what it saved. workers is the scan's
// number of directories read at once (0: the scan's default).
func Run(ctx context.Context, p *plan.Plan, workers int) (*plan.Recheck, error) {
	start := time.Now()
	dir := p.Dir()
	if _, err := os.Stat(dir.ManifestFile()); err != nil {
		return nil, fmt.Errorf("recheck of run %s: %w: %v", p.RunID, ErrNoManifest, err)
	}
	reported, err := reportedByPartitions(p)
	if err != nil {
		return nil, err
	}
	r := &plan.Recheck{}
	err = plan.WriteAtomic(dir.AddedFile(), func(w io.Writer) error {
		out := bufio.NewWriterSize(w, 1<<16)
		added := func(path string) error {
			if reported[path] {
				return nil
			}
			r.Added++
			if len(r.First) < plan.ShownPaths {
				r.First = append(r.First, path)
			}
			if _, err := out.WriteString(path); err != nil {
				return err
			}
			return out.WriteByte(0)
		}
		var err error
		r.Entries, err = compare(ctx, p, workers, added)
		if err != nil {
			return err
		}
		return out.Flush()
	})
	if err != nil {
		return nil, fmt.Errorf("recheck of run %s: %w", p.RunID, err)
	}
	if r.Added > 0 {
		r.Warning = fmt.Sprintf("%s added to the source after the scan %s not copied (a new run copies them): %s",
			plural.Count(r.Added, "entry"), plural.Form(r.Added, "was", "were"), plan.ShortList(r.First, r.Added, dir.AddedFile()))
	}
	r.Seconds = time.Since(start).Seconds()
	r.Finished = plan.Stamp(time.Now())
	if err := plan.SaveRecheck(dir, r); err != nil {
		return nil, err
	}
	return r, nil
}

// Check is Run for the step after the partitions: a run directory without
// a manifest (written by a partsync from before the check) is not an
// error, and skipped then says why nothing was checked.
func Check(ctx context.Context, p *plan.Plan, workers int) (r *plan.Recheck, skipped string, err error) {
	r, err = Run(ctx, p, workers)
	if errors.Is(err, ErrNoManifest) {
		return nil, err.Error(), nil
	}
	return r, "", err
}

// reportedByPartitions are the entries added after the scan that the
// partitions' whole-directory checks already named.
func reportedByPartitions(p *plan.Plan) (map[string]bool, error) {
	reported := map[string]bool{}
	for i := range p.Count() {
		st, ok, err := plan.LoadStatus(p.Dir(), i)
		if err != nil {
			return nil, fmt.Errorf("recheck of run %s: %w", p.RunID, err)
		}
		if !ok {
			continue
		}
		for _, path := range append(st.Added, st.NotCopied...) {
			reported[path] = true
		}
	}
	return reported, nil
}

// compare walks the source and calls added, in walk order, for every path
// (entry or skip) that the manifest does not hold. It returns the number of
// entries visited.
func compare(ctx context.Context, p *plan.Plan, workers int, added func(string) error) (int64, error) {
	seen := manifest.NewCursor(ctx, p.Dir().ManifestFile())
	last, haveLast := "", false
	onPath := func(path string) error {
		if haveLast && path == last { // an unreadable directory: its entry, then its skip
			return nil
		}
		last, haveLast = path, true
		if ok, err := seen.Has(path); ok || err != nil {
			return err // seen by the scan; one gone since then the partitions report
		}
		return added(path)
	}
	// Names only: one readdir per directory, no stat per entry (d_type).
	stats, err := scan.Walk(ctx, p.Source, scan.Options{Workers: workers, Exclude: p.Excludes, NamesOnly: true},
		func(e scan.Entry) error { return onPath(e.Path) },
		func(s scan.Skip) error { return onPath(s.Path) })
	if cerr := seen.Close(); err == nil && cerr != nil {
		return stats.Entries, cerr
	}
	if err != nil {
		return stats.Entries, fmt.Errorf("walk %s: %w", p.Source, err)
	}
	return stats.Entries, nil
}
