// Package mirror is the delete pass of a mirror (run --delete, fpsync -E):
// after every partition of a run has succeeded, it deletes at DST the
// entries the source does not have (package extras finds them), in
// partitions deleted -n at once, and records it all in the run directory:
// delete.json, the extras file (what was found), the deleted file (what
// went), and delete/list.<N> (each partition's list).
//
// Safety first; the pass deletes nothing and says why (Deletion.Refused,
// an error wrapping ErrRefused) when
//   - the scan could not read some entries (plan.Totals.Unreadable): their
//     copies at DST would look like extras;
//   - a partition of the run has not succeeded;
//   - the extras are more than the run's MaxDelete (--max-delete N).
//
// A dry run (Options.DryRun, or a plan made with --dry-run) lists the
// extras and deletes nothing. Each entry is looked up in the source once
// more right before it goes: what the source holds is never deleted; what
// an exclude pattern matches is never deleted (rsync --delete without
// --delete-excluded).
//
// Deleting: at a local DST partsync removes the entries itself, files first
// and then the extra directories deepest first (a directory that still
// holds something is kept), opening each parent below DST without following
// a symbolic link, so nothing outside DST is ever touched. At an rclone
// remote each partition runs `rclone delete --files-from-raw delete/list.N
// DST` (tool.RcloneDeleteArgv) in the run's environment.
package mirror

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/partsync/partsync/generator/extras"
	"github.com/partsync/partsync/generator/fanout"
	"github.com/partsync/partsync/generator/plan"
	"github.com/partsync/partsync/generator/plural"
	"github.com/partsync/partsync/generator/scan"
	"github.com/partsync/partsync/generator/tool"
)

// ErrRefused is wrapped when the pass refused to delete.
var ErrRefused = errors.New("delete refused")

// ErrDelete is wrapped when some extras could not be deleted.
var ErrDelete = errors.New("delete failed")

// Options tune the pass.
type Options struct {
	Jobs    int      // partitions deleted at once (-n); 0: 1
	Workers int      // directories of a local DST read at once (0: the scan's default)
	Env     []string // added to rclone's environment (RCLONE_CONFIG=…)
	DryRun  bool     // list the extras, delete nothing
	// Left, when not nil, receives what the pass leaves of the extras of
	// its listing of DST: those it found, minus those it deleted (a verify
	// right after the pass takes them as DST's extras instead of listing
	// DST again). It is not called when DST was not listed (an incremental
	// run's deleted-since, or a refusal before the listing).
	Left func(extras []string)
}

// Run finds the extras at DST and deletes them (Delete). An incremental
// run (plan.Incremental) whose base run was a complete mirror (its delete
// pass deleted every extra it found) takes them from its deleted-since list
// without listing DST (sinceBase); any other run lists DST (extras.List).
func Run(ctx context.Context, p *plan.Plan, o Options) (*plan.Deletion, error) {
	start := time.Now()
	if reason := refusal(p, o); reason != "" {
		return refuse(p, &plan.Deletion{}, start, reason)
	}
	list, from, err := sinceBase(p)
	listed := false // DST's own listing, whose extras a verify can take (Left)
	if err == nil && list == nil {
		var l *extras.Listing
		if l, err = extras.List(ctx, p, extras.Options{Workers: o.Workers, Env: o.Env}); err == nil {
			list, from, listed = l.Extras, "listing of DST", true
		}
	}
	if err != nil {
		return nil, fmt.Errorf("delete pass of run %s: %w", p.RunID, err)
	}
	d, deleted, err := deleteExtras(ctx, p, list, o, start, from)
	if o.Left != nil && listed && d != nil {
		o.Left(leftOf(list, deleted))
	}
	return d, err
}

// leftOf is found (in walk order) without the entries deleted.
func leftOf(found, deleted []extras.Entry) []string {
	gone := make(map[string]bool, len(deleted))
	for _, e := range deleted {
		gone[e.Path] = true
	}
	left := []string{}
	for _, e := range found {
		if !gone[e.Path] {
			left = append(left, e.Path)
		}
	}
	return left
}

// sinceBase returns the deletion list of an incremental run whose base was
// a complete mirror: the base's entries gone from the source since
// (plan.ReadDeletedSince), in walk order. DST then held the base's source
// and excluded entries (same -x), so these are its extras. list is nil
// when DST must be listed.
func sinceBase(p *plan.Plan) (list []extras.Entry, from string, err error) {
	inc := p.Incremental
	if inc == nil || p.DryRun {
		return nil, "", nil
	}
	base, ok, err := plan.LoadDeletion(plan.Dir(inc.BaseRunDir))
	if err != nil || !ok || base.Refused != "" || base.DryRun || base.Failed > 0 {
		return nil, "", nil // not a complete mirror: list DST
	}
	list = []extras.Entry{}
	ok, err = plan.ReadDeletedSince(p.Dir(), func(path string, isDir bool) error {
		list = append(list, extras.Entry{Path: path, Dir: isDir})
		return nil
	})
	if err != nil || !ok {
		return nil, "", err
	}
	return list, "deleted-since: gone from the source since base run " + inc.BaseRunID + ", a complete mirror (DST not listed)", nil
}

// Delete deletes the given extras of p's DST, with every check of Run but
// the listing: the hook for a deletion list found another way (an
// incremental run's difference between the base run's manifest and its
// own). list must be in walk order (scan.ComparePaths), as extras.List
// returns it.
func Delete(ctx context.Context, p *plan.Plan, list []extras.Entry, o Options) (*plan.Deletion, error) {
	start := time.Now()
	if reason := refusal(p, o); reason != "" {
		return refuse(p, &plan.Deletion{}, start, reason)
	}
	d, _, err := deleteExtras(ctx, p, list, o, start, "given")
	return d, err
}

// refusal says why nothing may be deleted before DST is even listed.
func refusal(p *plan.Plan, o Options) string {
	if n := p.Totals.Unreadable; n > 0 {
		return fmt.Sprintf("the scan could not read %s (%s): their copies at DST would look like extras; make them readable and run again",
			plural.Count(n, "entry"), plan.ShortList(p.Totals.UnreadablePaths, n, p.Dir().SkippedFile()))
	}
	if o.DryRun || p.DryRun {
		return ""
	}
	pr, err := plan.ReadProgress(p.Dir(), p.Count())
	if err != nil {
		return err.Error()
	}
	if n := p.Count() - len(pr.Succeeded); n > 0 {
		return fmt.Sprintf("%d of %d partitions have not succeeded; deleting runs after all of them (partsync run --resume %s)", n, p.Count(), p.RunID)
	}
	return ""
}

// refuse records a pass that deleted nothing.
func refuse(p *plan.Plan, d *plan.Deletion, start time.Time, reason string) (*plan.Deletion, error) {
	d.Refused, d.MaxDelete = reason, p.MaxDelete
	if err := save(p, d, start); err != nil {
		return d, err
	}
	return d, fmt.Errorf("%w: run %s: %s", ErrRefused, p.RunID, reason)
}

func save(p *plan.Plan, d *plan.Deletion, start time.Time) error {
	d.Seconds = time.Since(start).Seconds()
	d.Finished = plan.Stamp(time.Now())
	return plan.SaveDeletion(p.Dir(), d)
}

// deleteExtras checks and deletes list, and returns the entries it deleted
// (none when it refused or in a dry run).
func deleteExtras(ctx context.Context, p *plan.Plan, list []extras.Entry, o Options, start time.Time, from string) (*plan.Deletion, []extras.Entry, error) {
	dir := p.Dir()
	d := &plan.Deletion{DryRun: o.DryRun || p.DryRun, MaxDelete: p.MaxDelete, Extras: int64(len(list)), From: from}
	if err := writeList(dir.ExtrasFile(), list, 0); err != nil {
		return nil, nil, err
	}
	if p.MaxDelete > 0 && d.Extras > p.MaxDelete {
		d, err := refuse(p, d, start, fmt.Sprintf("%s to delete at DST, more than --max-delete %d (listed in %s); check them, then raise --max-delete",
			plural.Count(d.Extras, "entry"), p.MaxDelete, dir.ExtrasFile()))
		return d, nil, err
	}
	list, err := keep(p, list, d)
	if err != nil {
		return nil, nil, err
	}
	if d.DryRun {
		for _, e := range list[:min(len(list), plan.ShownPaths)] {
			d.First = append(d.First, e.Path)
		}
		return d, nil, save(p, d, start)
	}
	localDir, err := extras.Target(p)
	if err != nil {
		return nil, nil, err
	}
	files, dirs := split(list)
	parts := chunks(files, o.Jobs, p.MaxFiles)
	d.Partitions = len(parts)
	if err := os.MkdirAll(dir.DeleteDir(), 0o755); err != nil {
		return nil, nil, fmt.Errorf("delete pass of run %s: %w", p.RunID, err)
	}
	sep := byte(0)
	if localDir == "" {
		sep = '\n'
	}
	for i, part := range parts {
		if err := writeList(dir.DeleteListFile(i), part, sep); err != nil {
			return nil, nil, err
		}
	}
	var mu sync.Mutex
	var deleted []extras.Entry
	report := func(done []extras.Entry, errs []string) {
		mu.Lock()
		defer mu.Unlock()
		deleted = append(deleted, done...)
		d.Errors = append(d.Errors, errs...)
	}
	fanout.Each(ctx, len(parts), o.Jobs, func(i int) {
		if localDir != "" {
			report(removeLocal(localDir, parts[i]))
			return
		}
		report(removeRemote(ctx, p, i, parts[i], o.Env))
	})
	if err := ctx.Err(); err != nil {
		return nil, nil, fmt.Errorf("delete pass of run %s interrupted: %w", p.RunID, err)
	}
	// Directories after their contents, deepest first; one that still
	// holds something (an excluded entry, one that failed) stays.
	slices.SortStableFunc(dirs, func(a, b extras.Entry) int { return strings.Count(b.Path, "/") - strings.Count(a.Path, "/") })
	for _, e := range dirs {
		switch err := removeAt(localDir, e.Path, true); {
		case err == nil:
			deleted = append(deleted, e)
		case errors.Is(err, syscall.ENOTEMPTY) || errors.Is(err, syscall.EEXIST):
			d.Kept++
		default:
			d.Errors = append(d.Errors, fmt.Sprintf("%s: %v", e.Path, err))
		}
	}
	slices.SortFunc(deleted, func(a, b extras.Entry) int { return scan.ComparePaths(a.Path, b.Path) })
	d.Deleted = int64(len(deleted))
	d.Failed = d.Extras - d.Deleted - d.Kept
	for _, e := range deleted[:min(len(deleted), plan.ShownPaths)] {
		d.First = append(d.First, e.Path)
	}
	slices.Sort(d.Errors)
	d.Errors = d.Errors[:min(len(d.Errors), plan.ShownPaths)]
	if err := writeList(dir.DeletedFile(), deleted, 0); err != nil {
		return nil, nil, err
	}
	if err := save(p, d, start); err != nil {
		return d, deleted, err
	}
	if d.Failed > 0 {
		return d, deleted, fmt.Errorf("%w: run %s: %s of %d not deleted at DST: %s", ErrDelete, p.RunID, plural.Count(d.Failed, "entry"), d.Extras, strings.Join(d.Errors, "; "))
	}
	return d, deleted, nil
}

// keep drops from list what must stay: what an exclude pattern matches,
// and what the source holds now. They are counted in d.Kept.
func keep(p *plan.Plan, list []extras.Entry, d *plan.Deletion) ([]extras.Entry, error) {
	m, err := scan.NewMatcher(p.Excludes)
	if err != nil {
		return nil, err
	}
	out := list[:0:0]
	for _, e := range list {
		if extras.Excluded(m, e.Path, e.Dir) {
			d.Kept++
			continue
		}
		switch _, err := os.Lstat(filepath.Join(p.Source, filepath.FromSlash(e.Path))); {
		case err == nil:
			d.Kept++
			continue
		case !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR):
			return nil, fmt.Errorf("delete pass of run %s: cannot tell whether the source holds %s: %w", p.RunID, e.Path, err)
		}
		out = append(out, e)
	}
	return out, nil
}

// split separates the directories from the rest.
func split(list []extras.Entry) (files, dirs []extras.Entry) {
	for _, e := range list {
		if e.Dir {
			dirs = append(dirs, e)
		} else {
			files = append(files, e)
		}
	}
	return files, dirs
}

// chunks cuts files into at most jobs lists (at least one per maxFiles
// entries when that makes more), in order.
func chunks(files []extras.Entry, jobs int, maxFiles int64) [][]extras.Entry {
	if len(files) == 0 {
		return nil
	}
	n := max(jobs, 1)
	if maxFiles > 0 {
		n = max(n, int((int64(len(files))+maxFiles-1)/maxFiles))
	}
	size := (len(files) + n - 1) / n
	var out [][]extras.Entry
	for len(files) > 0 {
		k := min(size, len(files))
		out = append(out, files[:k])
		files = files[k:]
	}
	return out
}

// writeList writes the paths of list, each ended by sep.
func writeList(file string, list []extras.Entry, sep byte) error {
	var b bytes.Buffer
	for _, e := range list {
		b.WriteString(e.Path)
		b.WriteByte(sep)
	}
	if err := plan.WriteFileAtomic(file, b.Bytes()); err != nil {
		return fmt.Errorf("write %s: %w", file, err)
	}
	return nil
}

// removeLocal removes the entries of one partition under dst.
func removeLocal(dst string, part []extras.Entry) (done []extras.Entry, errs []string) {
	for _, e := range part {
		if err := removeAt(dst, e.Path, false); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Sprintf("%s: %v", e.Path, err))
			continue
		}
		done = append(done, e)
	}
	return done, errs
}

// removeRemote runs rclone delete over one partition's list.
func removeRemote(ctx context.Context, p *plan.Plan, i int, part []extras.Entry, env []string) (done []extras.Entry, errs []string) {
	argv := tool.RcloneDeleteArgv(p.Dir().DeleteListFile(i), p.Destination, p.ToolOptions)
	log, err := os.OpenFile(p.Dir().DeleteLogFile(i), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, []string{fmt.Sprintf("delete partition %d: %v", i, err)}
	}
	defer func() { _ = log.Close() }()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		return nil, []string{fmt.Sprintf("delete partition %d: %s: %v (log %s)", i, strings.Join(argv[:2], " "), err, p.Dir().DeleteLogFile(i))}
	}
	return part, nil
}
