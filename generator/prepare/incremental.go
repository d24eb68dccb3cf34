package prepare

import (
	"slices"
	"strings"

	"github.com/partsync/partsync/generator/partition"
	"github.com/partsync/partsync/generator/plan"
	"github.com/partsync/partsync/generator/scan"
	"github.com/partsync/partsync/generator/since"
)

// pair is what a base run must share with the request (since.Pair).
func pair(r Request, c Checked) since.Pair {
	return since.Pair{Source: c.Source, Destination: c.Destination.Spec, Tool: c.Tool.Name(), Options: c.Options, Excludes: r.Excludes}
}

// findBase is the base of the run r asks for: the one --since names (an
// error when it cannot be), none with --no-since, else the newest finished
// run of the same pair in the shared dir. Without a base, fullRun says why.
func findBase(r Request, c Checked) (base *plan.Plan, fullRun string, err error) {
	switch {
	case r.NoSince:
		return nil, "--no-since", nil
	case r.Since != "":
		base, err = since.Named(c.SharedDir, r.Since, pair(r, c))
		return base, "", err
	}
	base, fullRun = since.Newest(c.SharedDir, pair(r, c))
	return base, fullRun, nil
}

// noCheckDestRefused are rclone options whose meaning depends on what
// is at the destination: with them the transfers keep rclone's check.
var noCheckDestRefused = []string{"--ignore-existing", "--update", "-u", "--backup-dir", "--suffix", "--compare-dest", "--copy-dest", "--immutable", "--no-check-dest", "--max-backlog"}

// incremental is plan.json's record of the comparison with base (nil:
// a full run), before the scan: the counts come with the scan.
func incremental(base *plan.Plan, r Request, c Checked) *plan.Incremental {
	if base == nil {
		return nil
	}
	chosen := "newest finished run of the same SRC, DST, tool, options and excludes in -d"
	if r.Since != "" {
		chosen = "--since"
	}
	inc := &plan.Incremental{BaseRunID: base.RunID, BaseRunDir: base.RunDir, Chosen: chosen}
	if c.Tool.Name() != "rclone" {
		inc.Why = "rsync compares each listed entry with the destination itself; the unchanged ones are not listed"
		return inc
	}
	for _, o := range c.Options {
		name, _, _ := strings.Cut(o, "=")
		if slices.Contains(noCheckDestRefused, name) {
			inc.Why = "rclone keeps its check of the destination: " + name + " in -o depends on what is there"
			return inc
		}
	}
	inc.NoCheckDest = true
	inc.Why = "every listed file is new or changed since base run " + base.RunID + ", whose partitions all copied the files as the base scan saw them; " +
		"the destination's copy of a listed file, if any, is older, so rclone copies it without asking the destination (--no-check-dest)"
	return inc
}

// diff hands the scan to the partitioner directly, or through a
// comparison with the base (since.Diff) in an incremental run.
type diff struct {
	d           *since.Diff
	visit       func(scan.Entry) error
	skipHandler func(scan.Skip) error
}

// newDiff makes the diff of the run hdr; noDeleted counts without
// writing the deleted-since list.
func newDiff(hdr *plan.Plan, c Checked, visit func(scan.Entry) error, skip func(scan.Skip) error, noDeleted bool) (*diff, error) {
	if hdr.Incremental == nil {
		return &diff{visit: visit, skipHandler: skip}, nil
	}
	d, err := since.NewDiff(since.Options{Base: plan.Dir(hdr.Incremental.BaseRunDir), Dir: hdr.Dir(), Tool: c.Tool, Visit: visit, Skip: skip, NoDeleted: noDeleted})
	if err != nil {
		return nil, err
	}
	return &diff{d: d}, nil
}

func (f *diff) add(e scan.Entry) error {
	if f.d == nil {
		return f.visit(e)
	}
	return f.d.Add(e)
}

func (f *diff) skip(s scan.Skip) error {
	if f.d == nil {
		return f.skipHandler(s)
	}
	return f.d.Skip(s)
}

// close ends the comparison and records its counts in hdr.
func (f *diff) close(hdr *plan.Plan) error {
	if f.d == nil {
		return nil
	}
	counts, err := f.d.Close()
	if err != nil {
		return err
	}
	counts.BaseRunID, counts.BaseRunDir, counts.Chosen = hdr.Incremental.BaseRunID, hdr.Incremental.BaseRunDir, hdr.Incremental.Chosen
	counts.NoCheckDest, counts.Why = hdr.Incremental.NoCheckDest, hdr.Incremental.Why
	*hdr.Incremental = counts
	return nil
}

// partitionThroughDiff hands every entry and skip feed produces to parts,
// through the run's comparison with its base when it is incremental, and
// records the comparison's counts in hdr. On an error parts is aborted.
func partitionThroughDiff(hdr *plan.Plan, c Checked, parts *partition.Partitioner, feed func(visit func(scan.Entry) error, skip func(scan.Skip) error) error) error {
	diff, err := newDiff(hdr, c, parts.Add, parts.Skip, false)
	if err != nil {
		parts.Abort()
		return err
	}
	add := diff.add
	if diff.d != nil { // few entries are listed: a live partition may close on time (Options.OpenFor)
		add = func(e scan.Entry) error {
			if err := parts.Tick(); err != nil {
				return err
			}
			return diff.add(e)
		}
	}
	if err := feed(add, diff.skip); err != nil {
		diff.abort()
		parts.Abort()
		return err
	}
	if err := diff.close(hdr); err != nil {
		parts.Abort()
		return err
	}
	return nil
}

func (f *diff) abort() {
	if f.d != nil {
		f.d.Abort()
	}
}
