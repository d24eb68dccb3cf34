package transfer

import (
	"github.com/partsync/partsync/generator/plan"
	"github.com/partsync/partsync/generator/tool"
)

// DirsCommand is the argv of the directory step, which runs once after
// every partition has succeeded and re-applies the metadata of every
// directory (plan.Dir.DirsFile) from the source. It is nil when the plan's
// tool has no directory step (rclone: object storage has no directories).
// Like Command, it is the one function that builds the argv for the
// workflow's pod and for the local executor.
func DirsCommand(p *plan.Plan) ([]string, error) {
	t, err := tool.Lookup(p.Tool)
	if err != nil {
		return nil, err
	}
	f, ok := t.(tool.DirFinisher)
	if !ok {
		return nil, nil
	}
	return f.DirsArgv(job(p, p.Dir().DirsFile())), nil
}
