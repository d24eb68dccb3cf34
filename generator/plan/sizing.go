package plan

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
