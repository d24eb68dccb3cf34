package local

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/partsync/partsync/generator/fanout"
	"github.com/partsync/partsync/generator/plan"
	"github.com/partsync/partsync/generator/transfer"
)

// DryRun runs every partition of p with the tool's own dry run
// (transfer.Preview), o.Jobs at once: nothing is written at DST and no
// status file is written. It writes dryrun.json and returns it; the error
// wraps ErrPartitionsFailed when a partition's dry run failed.
func DryRun(ctx context.Context, p *plan.Plan, o Options) (*plan.DryRunReport, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	r := &plan.DryRunReport{RunID: p.RunID, Tool: p.Tool, Partitions: make([]plan.DryRunEntry, p.Count())}
	fanout.Each(ctx, p.Count(), o.Jobs, func(i int) { r.Partitions[i] = preview(ctx, p, i, o.Env) })
	if err := ctx.Err(); err != nil {
		return r, fmt.Errorf("dry run %s interrupted: %w", p.RunID, err)
	}
	for _, e := range r.Partitions {
		r.Listed.Files += e.Listed.Files
		r.Listed.Bytes += e.Listed.Bytes
		if e.WouldSend == nil {
			r.Failed++
			continue
		}
		r.WouldSend.Files += e.WouldSend.Files
		r.WouldSend.Bytes += e.WouldSend.Bytes
	}
	r.Finished = plan.Stamp(time.Now())
	if err := plan.SaveDryRun(p.Dir(), r); err != nil {
		return r, err
	}
	if r.Failed > 0 {
		return r, fmt.Errorf("%w: the dry run of %d of %d partitions of run %s failed", ErrPartitionsFailed, r.Failed, p.Count(), p.RunID)
	}
	return r, nil
}

// preview is the dry run of partition i, its output in logs/part.<i>.log.
func preview(ctx context.Context, p *plan.Plan, i int, env []string) plan.DryRunEntry {
	part := p.Partitions[i]
	e := plan.DryRunEntry{Part: i, Listed: plan.Sent{Files: part.Files, Bytes: part.Bytes}, ExitCode: -1}
	log, err := os.OpenFile(p.Dir().LogFile(i), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		e.Error = fmt.Sprintf("open log: %v", err)
		return e
	}
	defer func() { _ = log.Close() }()
	sent, code, err := transfer.Preview(ctx, p, i, env, log)
	e.ExitCode = code
	if err != nil {
		e.Error = err.Error()
		return e
	}
	e.WouldSend = &sent
	return e
}
