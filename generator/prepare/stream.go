package prepare

import (
	"context"
	"path/filepath"
	"time"

	"github.com/partsync/partsync/generator/plan"
	"github.com/partsync/partsync/generator/scan"
)

// Sink follows a run while the scan builds it: live mode, in which the local
// executor copies the first partitions while the scan is still finding the
// next ones, as fpsync does with fpart's live mode.
//
// Prepare calls Begin once the run directory exists, before the scan; then
// Partition for each part file, in index order, as soon as it is in place;
// and End exactly once when Begin was called. plan.json is still written
// last, after the scan: a run directory without it stays incomplete, and a
// failed prepare still removes it.
type Sink interface {
	// Begin receives the plan's header: everything a transfer needs but
	// the totals and the partitions. The Sink keeps its own copy.
	Begin(header *plan.Plan) error
	// Partition is called from the scan's goroutine when parts/part.<index>
	// is complete; it must not wait for transfers. An error stops the scan.
	Partition(index int, p plan.Partition) error
	// End is called with the saved plan when plan.json is written, or with
	// the error when the run failed. With an error, End returns only after
	// every transfer the Sink started has stopped: the run directory is
	// removed next.
	End(p *plan.Plan, err error)
}

// WalkFunc is the signature of scan.Walk, the source of the entries.
type WalkFunc func(ctx context.Context, root string, opts scan.Options, visit func(scan.Entry) error, skip func(scan.Skip) error) (scan.Stats, error)

// header is the plan as it is known before the scan.
func header(dir plan.Dir, r Request, c Checked, now time.Time) *plan.Plan {
	return &plan.Plan{
		FormatVersion:   plan.FormatVersion,
		Generator:       "partsync " + r.Version,
		RunID:           filepath.Base(string(dir)),
		RunDir:          string(dir),
		CreatedAt:       plan.Stamp(now),
		Source:          c.Source,
		Destination:     c.Destination.Spec,
		Tool:            c.Tool.Name(),
		ToolOptions:     c.Options,
		Excludes:        r.Excludes,
		MaxFiles:        r.MaxFiles,
		MaxBytes:        r.MaxBytes,
		DryRun:          r.DryRun,
		Delete:          r.Delete,
		MaxDelete:       r.MaxDelete,
		BwLimit:         r.BwLimit,
		Jobs:            r.Jobs,
		TransferBwLimit: transferBwLimit(r),
		Partitions:      []plan.Partition{},
	}
}

// begin hands the header to the sink, if there is one.
func begin(s Sink, hdr *plan.Plan) error {
	if s == nil {
		return nil
	}
	return s.Begin(hdr)
}

// end tells the sink, if there is one, how the prepare ended.
func end(s Sink, p *plan.Plan, err error) {
	if s != nil {
		s.End(p, err)
	}
}
