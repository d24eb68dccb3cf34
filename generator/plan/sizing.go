package plan

import "path/filepath"

// Sizing records how automatic sizing (--auto) cut the partitions: the cost
// model, what it aimed at and how even the result is. plan.json holds it
// only for an --auto run.
type Sizing struct {
	FileCost      int64   `json:"file_cost"`      // cost of one listed entry beyond its bytes
	MinCost       int64   `json:"min_cost"`       // no partition aimed below this cost
	MaxPartitions int     `json:"max_partitions"` // the cap
	Aimed         int     `json:"aimed"`          // partitions aimed at
	TotalCost     int64   `json:"total_cost"`     // bytes + entries × file cost of everything listed
	Balance       Balance `json:"balance"`
}

// Balance describes how even the partitions are by cost (bytes + entries ×
// file cost): the costliest one against the mean.
type Balance struct {
	Partitions int     `json:"partitions"`
	MaxCost    int64   `json:"max_cost"`
	MeanCost   float64 `json:"mean_cost"`
	Ratio      float64 `json:"max_over_mean"`
}

// ChildWorkflowFile keeps the first child of a run split into a workflow of
// workflows, as its parent creates it (every child differs only in its range).
func (d Dir) ChildWorkflowFile() string { return filepath.Join(string(d), "workflow-child.yaml") }

// ManifestFile is the compact list of everything the scan visited or
// skipped, in scan order (package manifest): --auto replays it into the
// partitioner, and the check at the end of a run compares the source with it.
func (d Dir) ManifestFile() string { return filepath.Join(string(d), "manifest") }
