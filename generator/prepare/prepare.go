// Package prepare turns a source tree into a run: it validates the request,
// creates the run directory, scans the source once, streams the entries into
// the partitioner and writes plan.json last. Either the run directory is
// complete or it is removed: a failed prepare leaves nothing that looks done.
package prepare

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/partsync/partsync/generator/manifest"
	"github.com/partsync/partsync/generator/partition"
	"github.com/partsync/partsync/generator/plan"
	"github.com/partsync/partsync/generator/scan"
	"github.com/partsync/partsync/generator/since"
	"github.com/partsync/partsync/generator/tool"
)

// ErrPaths is wrapped when SRC, DST and the shared dir overlap.
var ErrPaths = errors.New("overlapping paths")

// Request is everything a run is made of.
type Request struct {
	Source      string
	Destination string
	Tool        string
	// ToolOptions replace the tool's defaults when not nil (-o).
	ToolOptions []string
	MaxFiles    int64
	MaxBytes    int64
	Excludes    []string
	SharedDir   string
	RunID       string // empty: one is made from the time
	ScanWorkers int
	// RcloneConfig is the config in which an rclone remote must exist.
	RcloneConfig string
	Version      string
	Getenv       func(string) string // os.Getenv in production
	Now          func() time.Time    // time.Now in production

	// Auto cuts the partitions by cost (--auto, see auto.go); nil: by -f/-s only.
	Auto *partition.Auto
	// Sink, when not nil, hears of each partition as it closes (live
	// mode, see Sink). Only a one-pass partitioning may set it: one whose
	// partitions are final when they close (not Auto).
	Sink Sink
	// BwLimit is the run's bandwidth budget in bytes per second, split
	// over the Jobs transfers that run at once (plan.Plan.TransferBwLimit).
	BwLimit int64
	Jobs    int
	// DryRun marks the plan as a dry run's (plan.Plan.DryRun).
	DryRun bool
	// Since names the base run of an incremental run (--since: a run id in
	// SharedDir or a run directory); NoSince makes a full run. With
	// neither, the newest finished run of the same pair in SharedDir is the
	// base, if there is one (incremental.go).
	Since   string
	NoSince bool
	// Delete and MaxDelete make the run a mirror (plan.Plan.Delete).
	Delete    bool
	MaxDelete int64
	// Walk scans the source; nil means scan.Walk. Tests wrap it.
	Walk WalkFunc
}

// Checked is a validated request.
type Checked struct {
	Tool        tool.Tool
	Source      string           // absolute
	Destination tool.Destination // canonical
	Options     []string         // the tool options in force
	SharedDir   string           // absolute
}

// Check reports every problem of the request at once, each naming the bad
// value and the fix, and returns the request resolved. It touches nothing.
func Check(r Request) (Checked, error) {
	var c Checked
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	var err error
	c.Source, err = checkSource(r.Source)
	add(err)
	c.Tool, err = tool.Lookup(r.Tool)
	add(err)
	_, err = scan.NewMatcher(r.Excludes)
	add(err)
	add(partition.CheckLimits(r.MaxFiles, r.MaxBytes))
	if r.ScanWorkers < 1 {
		add(fmt.Errorf("%w: --scan-workers %d: give at least 1", scan.ErrWorkers, r.ScanWorkers))
	}
	if r.Auto != nil {
		add(r.Auto.Check())
	}
	if r.RunID != "" {
		add(plan.CheckRunID(r.RunID))
	}
	if c.Tool != nil {
		c.Options = c.Tool.DefaultOptions()
		if r.ToolOptions != nil {
			c.Options = r.ToolOptions
			add(c.Tool.CheckOptions(c.Options))
		}
		c.Destination, err = c.Tool.CheckDestination(r.Destination)
		add(err)
		if err == nil {
			c.Destination.RemoteType, err = tool.DestinationType(c.Destination, r.RcloneConfig, r.Getenv)
			add(err)
		}
		c.Tool = tool.ForDestination(c.Tool, c.Destination)
	}
	if r.BwLimit != 0 {
		add(checkBwLimit(r, c.Options))
	}
	if r.Since != "" && r.NoSince {
		add(fmt.Errorf("%w: --since %s with --no-since: give one of them", since.ErrBase, r.Since))
	}
	if c.SharedDir, err = filepath.Abs(r.SharedDir); err != nil {
		add(fmt.Errorf("%w: -d/--shared-dir %s: %v", plan.ErrSharedDir, r.SharedDir, err))
	}
	if len(errs) == 0 {
		runDir := c.SharedDir
		if r.RunID != "" {
			runDir = filepath.Join(c.SharedDir, r.RunID)
		}
		mounts := readMounts()
		add(checkOverlap(c.Source, c.Destination.LocalPath, runDir, mounts))
		add(checkOptionPaths(c.Source, c.Tool.OptionPaths(c.Options), mounts))
	}
	if len(errs) == 0 && r.Since != "" {
		_, err = since.Named(c.SharedDir, r.Since, pair(r, c))
		add(err)
	}
	return c, errors.Join(errs...)
}

// ErrBwLimit is wrapped when --bwlimit cannot be split over the transfers.
var ErrBwLimit = errors.New("bad bandwidth limit")

// checkBwLimit checks that the run's budget gives each of the -n
// transfers at least 1 KiB/s, and that -o does not limit them too.
func checkBwLimit(r Request, opts []string) error {
	switch {
	case r.BwLimit < 0 || r.Jobs < 1:
		return fmt.Errorf("%w: --bwlimit %d B/s over -n %d: give a positive rate and -n", ErrBwLimit, r.BwLimit, r.Jobs)
	case transferBwLimit(r) < 1024:
		return fmt.Errorf("%w: --bwlimit %d B/s over -n %d transfers is under 1 KiB/s each (the tools' unit); give at least %dKiB or a smaller -n", ErrBwLimit, r.BwLimit, r.Jobs, r.Jobs)
	case tool.HasBwLimit(opts):
		return fmt.Errorf("%w: --bwlimit and a --bwlimit in -o: give the run's budget with --bwlimit (split over -n) or each transfer's with -o, not both", ErrBwLimit)
	}
	return nil
}

// transferBwLimit is each transfer's share of the run's budget.
func transferBwLimit(r Request) int64 {
	if r.BwLimit <= 0 || r.Jobs < 1 {
		return 0
	}
	return r.BwLimit / int64(r.Jobs)
}

func checkSource(src string) (string, error) {
	if src == "" {
		return "", fmt.Errorf("%w: SRC is empty; give the directory to copy", scan.ErrSource)
	}
	abs, err := filepath.Abs(src)
	if err != nil {
		return "", fmt.Errorf("%w: SRC %s: %v", scan.ErrSource, src, err)
	}
	st, err := os.Stat(abs)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "", fmt.Errorf("%w: SRC %s does not exist; check the path", scan.ErrSource, src)
	case err != nil:
		return "", fmt.Errorf("%w: SRC %s: %v", scan.ErrSource, src, err)
	case !st.IsDir():
		return "", fmt.Errorf("%w: SRC %s is not a directory; give the directory that holds the files", scan.ErrSource, src)
	}
	return abs, nil
}

// NewRunID names a run after the time it started, with a random suffix.
func NewRunID(now time.Time) string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return now.UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b[:])
}

// Prepare validates r, scans the source into a new run directory and returns
// the plan it wrote.
func Prepare(ctx context.Context, r Request) (*plan.Plan, error) {
	c, err := Check(r)
	if err != nil {
		return nil, err
	}
	now := r.Now()
	runID := r.RunID
	if runID == "" {
		runID = NewRunID(now)
	}
	base, fullRun, err := findBase(r, c)
	if err != nil {
		return nil, err
	}
	dir, err := plan.Create(r.SharedDir, runID)
	if err != nil {
		return nil, err
	}
	hdr := header(dir, r, c, now)
	hdr.Incremental, hdr.FullRun = incremental(base, r, c), fullRun
	var p *plan.Plan
	err = plan.SaveHeader(hdr)
	if err == nil {
		err = begin(r.Sink, hdr)
	}
	if err == nil {
		p, err = fill(ctx, hdr, r, c)
	}
	if err == nil {
		err = plan.Save(p)
	}
	if err != nil {
		end(r.Sink, nil, err) // stops the transfers before their directory goes
		if derr := plan.Discard(dir); derr != nil {
			return nil, errors.Join(err, derr)
		}
		return nil, err
	}
	end(r.Sink, p, nil)
	return p, nil
}

// LiveIncrementalOpenFor is how long a partition of a live incremental run
// stays open once it holds an entry (partition.Options.OpenFor). Such a run
// lists a few entries spread over a whole scan: by -f and -s alone its one
// partition would close, and its transfer start, only when the scan ends.
// With it the uploads run while the scan goes on (a cold scan of 200k files
// takes seconds), at the price of at most one more tool start per second of
// scan. bench/BENCHMARKS.md, "Incremental re-runs", has the figures.
const LiveIncrementalOpenFor = time.Second

// fill scans and partitions into the run directory of hdr.
func fill(ctx context.Context, hdr *plan.Plan, r Request, c Checked) (*plan.Plan, error) {
	if r.Auto != nil {
		return fillAuto(ctx, hdr, r, c)
	}
	po := partitionOptions(r, c)
	if r.Sink != nil {
		po.Closed = r.Sink.Partition
		if hdr.Incremental != nil {
			po.OpenFor = LiveIncrementalOpenFor
		}
	}
	parts, err := partition.New(hdr.Dir(), po)
	if err != nil {
		return nil, err
	}
	var stats scan.Stats
	if err := partitionThroughDiff(hdr, c, parts, func(visit func(scan.Entry) error, skip func(scan.Skip) error) (err error) {
		stats, err = scanRecorded(ctx, hdr.Dir(), r, c, visit, skip)
		return err
	}); err != nil {
		return nil, err
	}
	partitions, totals, err := parts.Close()
	if err != nil {
		return nil, err
	}
	return newPlan(hdr, stats, partitions, totals), nil
}

// scanRecorded walks the source (r.Walk, else scan.Walk) and records every
// entry and skip in the run's manifest (package manifest) before it hands
// them to visit and skip: every scan leaves the manifest that --auto replays
// and the recheck at the end of a run compares with.
func scanRecorded(ctx context.Context, dir plan.Dir, r Request, c Checked, visit func(scan.Entry) error, skip func(scan.Skip) error) (scan.Stats, error) {
	m, err := manifest.Create(dir.ManifestFile())
	if err != nil {
		return scan.Stats{}, err
	}
	walk := r.Walk
	if walk == nil {
		walk = scan.Walk
	}
	stats, err := walk(ctx, c.Source, scan.Options{Workers: r.ScanWorkers, Exclude: r.Excludes},
		func(e scan.Entry) error {
			if err := m.Entry(e); err != nil {
				return err
			}
			return visit(e)
		},
		func(s scan.Skip) error {
			if err := m.Skip(s); err != nil {
				return err
			}
			return skip(s)
		})
	if cerr := m.Close(); err == nil && cerr != nil {
		return stats, cerr
	}
	if err != nil {
		return stats, fmt.Errorf("scan %s: %w", c.Source, err)
	}
	return stats, nil
}

// partitionOptions are the partitioner's options for the request.
func partitionOptions(r Request, c Checked) partition.Options {
	po := partition.Options{MaxFiles: r.MaxFiles, MaxBytes: r.MaxBytes, Tool: c.Tool}
	_, po.WholeDirs = c.Tool.(tool.WholeDirs)
	return po
}

// newPlan is the header hdr completed with the partitions a scan with stats made.
func newPlan(hdr *plan.Plan, stats scan.Stats, partitions []plan.Partition, totals plan.Totals) *plan.Plan {
	totals.Entries, totals.Files, totals.Dirs = stats.Entries, stats.Files, stats.Dirs
	totals.Symlinks, totals.Others, totals.Bytes = stats.Symlinks, stats.Others, stats.Bytes
	totals.Excluded = stats.Excluded
	if partitions == nil {
		partitions = []plan.Partition{}
	}
	if hdr.Incremental != nil {
		totals.Unchanged, totals.UnchangedBytes = hdr.Incremental.Unchanged, hdr.Incremental.UnchangedBytes
	}
	p := *hdr
	p.Totals, p.Partitions = totals, partitions
	return &p
}
