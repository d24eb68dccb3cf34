package prepare

import (
	"context"

	"github.com/partsync/partsync/generator/manifest"
	"github.com/partsync/partsync/generator/partition"
	"github.com/partsync/partsync/generator/plan"
	"github.com/partsync/partsync/generator/scan"
)

// fillAuto sizes the partitions automatically in two passes over one scan:
// pass 1 streams the scan into the manifest while it adds up the cost of
// every entry the tool lists; pass 2 replays the manifest into a
// partitioner that cuts at cost boundaries (partition.Cut), -f/-s still
// bounding each partition. The partitions are then renumbered largest first.
func fillAuto(ctx context.Context, hdr *plan.Plan, r Request, c Checked) (*plan.Plan, error) {
	a := *r.Auto
	dir := hdr.Dir()
	est := a.NewEstimate()
	visit := func(e scan.Entry) error {
		if c.Tool.Classify(e).List {
			var size int64
			if e.Type == scan.File {
				size = e.Size
			}
			est.Add(size)
		}
		return nil
	}
	// An incremental run estimates what it will copy: the scan goes
	// through a comparison that only counts, the replay through the one
	// that writes the deleted-since list.
	first, err := newDiff(hdr, c, visit, func(scan.Skip) error { return nil }, true)
	if err != nil {
		return nil, err
	}
	stats, err := scanRecorded(ctx, dir, r, c, first.add, first.skip)
	first.abort()
	if err != nil {
		return nil, err
	}
	cut := est.Cut()
	po := partitionOptions(r, c)
	po.Cut = &cut
	parts, err := partition.New(dir, po)
	if err != nil {
		return nil, err
	}
	if err := partitionThroughDiff(hdr, c, parts, func(visit func(scan.Entry) error, skip func(scan.Skip) error) error {
		return manifest.Replay(ctx, dir.ManifestFile(), visit, skip)
	}); err != nil {
		return nil, err
	}
	partitions, totals, err := parts.Close()
	if err != nil {
		return nil, err
	}
	if partitions, err = partition.LargestFirst(dir, partitions, a); err != nil {
		return nil, err
	}
	p := newPlan(hdr, stats, partitions, totals)
	// -f/-s bound an --auto run only when given: say what the partitions hold.
	p.MaxFiles, p.MaxBytes = 0, 0
	for _, part := range partitions {
		p.MaxFiles, p.MaxBytes = max(p.MaxFiles, part.Entries), max(p.MaxBytes, part.Bytes)
	}
	p.Sizing = &plan.Sizing{
		FileCost:      a.FileCost,
		MinCost:       a.MinCost,
		MaxPartitions: a.MaxPartitions,
		Aimed:         a.Parts(),
		TotalCost:     cut.Total,
		Balance:       a.BalanceOf(partitions),
	}
	return p, nil
}
