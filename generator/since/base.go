// Package since makes incremental runs: it finds the base of a re-run (an
// earlier run of the same SRC → DST that finished), and compares the new
// scan with the base's manifest as the scan streams, so that only the
// entries new or changed since the base are partitioned. The comparison is
// a merge of two streams in the same order (the scan's walk order, in which
// the manifest was written): memory holds one base record, the directories
// on the current path, and, for rsync, the unchanged files with several
// hard links; never the tree.
//
// The base's manifest is the contract: a run is a base only when every
// partition succeeded, the check after them ran and, where the tool has
// one, the directory step succeeded (Usable). Then every entry of its
// manifest was copied (or is named in its skipped list), so an entry that
// has not changed since needs no transfer and no look at the destination.
package since

import (
	"errors"
	"fmt"
	"os"
	"slices"

	"github.com/partsync/partsync/generator/manifest"
	"github.com/partsync/partsync/generator/plan"
)

// ErrBase is wrapped when the run named by --since cannot be the base.
var ErrBase = errors.New("not a base for this run")

// Pair is what a base must share with the new run: the same source and
// destination, copied by the same tool with the same options and excludes.
// (Partition limits, -n and the bandwidth may differ: they change how the
// copy is cut, not what arrives.)
type Pair struct {
	Source      string
	Destination string
	Tool        string
	Options     []string
	Excludes    []string
}

// PairOf is the pair of a plan.
func PairOf(p *plan.Plan) Pair {
	return Pair{Source: p.Source, Destination: p.Destination, Tool: p.Tool, Options: p.ToolOptions, Excludes: p.Excludes}
}

// mismatch says how base differs from want, or "" when it does not.
func mismatch(base, want Pair) string {
	sorted := func(s []string) []string { s = slices.Clone(s); slices.Sort(s); return slices.Compact(s) }
	switch {
	case base.Source != want.Source:
		return fmt.Sprintf("its SRC is %s, not %s", base.Source, want.Source)
	case base.Destination != want.Destination:
		return fmt.Sprintf("its DST is %s, not %s", base.Destination, want.Destination)
	case base.Tool != want.Tool:
		return fmt.Sprintf("its tool is %s, not %s", base.Tool, want.Tool)
	case !slices.Equal(base.Options, want.Options):
		return fmt.Sprintf("its tool options are %q, not %q", base.Options, want.Options)
	case !slices.Equal(sorted(base.Excludes), sorted(want.Excludes)):
		return fmt.Sprintf("its excludes are %q, not %q", base.Excludes, want.Excludes)
	}
	return ""
}

// Usable reads the run directory dir and returns its plan when the run can
// be a base: its scan finished (plan.json), it was not a dry run, every
// partition's latest attempt succeeded, the check after the partitions ran
// (recheck.json), the directory step succeeded where the run has one, a
// verify, if one ran, found no difference, and its manifest starts as one.
// Otherwise the error says why, in a few words.
func Usable(dir plan.Dir) (*plan.Plan, error) {
	p, err := plan.Load(dir)
	if err != nil {
		return nil, fmt.Errorf("no readable plan.json (its scan did not finish)")
	}
	if p.DryRun {
		return nil, fmt.Errorf("it was a dry run: it copied nothing")
	}
	r, err := plan.ReadReport(dir)
	if err != nil {
		return nil, err
	}
	switch {
	case r.Phase != plan.PhaseSucceeded:
		return nil, fmt.Errorf("it did not finish: %s, %d of %d partitions ok", r.Phase, len(r.Succeeded), r.Partitions)
	case r.Recheck == nil:
		return nil, fmt.Errorf("the check after its partitions (recheck.json) did not run")
	}
	if _, err := os.Stat(dir.DirsFile()); err == nil {
		s, ok, err := plan.LoadStatus(dir, plan.DirsPart)
		if err != nil || !ok || !s.OK {
			return nil, fmt.Errorf("its directory step did not succeed")
		}
	}
	if v, ok, err := plan.LoadVerify(dir); err != nil || ok && v.Mismatches() > 0 {
		return nil, fmt.Errorf("its verify found the destination differing (verify.json)")
	}
	m, err := manifest.Open(dir.ManifestFile())
	if err != nil {
		return nil, fmt.Errorf("its manifest cannot be read (%v)", err)
	}
	_ = m.Close()
	return p, nil
}

// Named is the base the user named with --since: run (an id in sharedDir
// or a run directory) must be usable and of the same pair; else the error,
// one line, says why and what to do.
func Named(sharedDir, run string, want Pair) (*plan.Plan, error) {
	dir, err := plan.Find(sharedDir, run)
	if err != nil {
		return nil, fmt.Errorf("%w: --since %s: %v", ErrBase, run, err)
	}
	p, err := Usable(dir)
	if err != nil {
		return nil, fmt.Errorf("%w: --since %s: %v; give a run that finished, or --no-since for a full run", ErrBase, run, err)
	}
	if why := mismatch(PairOf(p), want); why != "" {
		return nil, fmt.Errorf("%w: --since %s: %s; give a run of the same SRC, DST, tool, -o and -x, or --no-since for a full run", ErrBase, run, why)
	}
	return p, nil
}

// Newest is the most recent usable run of the same pair in sharedDir, or
// nil with the reason there is none (for plan.json's full_run). Runs of
// other pairs are passed over in silence; runs of the same pair that are not
// usable are passed over too, and the newest one's reason is returned when
// no run is usable.
func Newest(sharedDir string, want Pair) (*plan.Plan, string) {
	noRun := "no earlier run of this SRC and DST in -d"
	runs, err := plan.Runs(sharedDir)
	if err != nil { // none yet: plan.Create makes the shared dir
		return nil, noRun
	}
	why := ""
	slices.SortStableFunc(runs, func(a, b plan.RunInfo) int { return compareCreated(b, a) })
	for _, ri := range runs {
		if ri.Phase == plan.PhaseIncomplete || ri.Phase == plan.PhaseRunning {
			continue
		}
		p, err := plan.Load(plan.Dir(ri.RunDir))
		if err != nil {
			continue
		}
		if w := mismatch(PairOf(p), want); w != "" {
			if why == "" && p.Source == want.Source && p.Destination == want.Destination {
				why = fmt.Sprintf("run %s of the same SRC and DST is not a base: %s", p.RunID, w)
			}
			continue
		}
		base, err := Usable(plan.Dir(ri.RunDir))
		if err == nil {
			return base, ""
		}
		if why == "" {
			why = fmt.Sprintf("run %s of the same SRC and DST is not a base: %v", p.RunID, err)
		}
	}
	if why == "" {
		why = noRun
	}
	return nil, why
}

// compareCreated orders runs by creation time, then by their last activity.
func compareCreated(a, b plan.RunInfo) int {
	if a.CreatedAt != b.CreatedAt {
		if a.CreatedAt < b.CreatedAt {
			return -1
		}
		return 1
	}
	return a.Active.Compare(b.Active)
}
