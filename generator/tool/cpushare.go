package tool

import (
	"strconv"
	"strings"
)

// CPUShareEnv is what the environment of each of jobs copies of the tool
// called name adds when they run at once on cpus processors (a local run's
// -n workers): rclone, a Go program, gets GOMAXPROCS=cpus/jobs (at least
// 1), so that the copies together run no more threads of Go code than
// there are processors. Each copy otherwise takes every processor for
// itself: with -n 2 on 2 cores that is 4 schedulers on 2 cores, and their
// wake-ups and idle spinning cost rclone ~10% more CPU per file than one
// rclone with as many transfers (bench/BENCHMARKS.md, "Figures behind the
// code"). Nothing is added for other tools, or when environ (the tool's
// environment otherwise) already sets GOMAXPROCS: the user's choice stands.
func CPUShareEnv(name string, cpus, jobs int, environ []string) []string {
	if name != (Rclone{}).Name() || jobs < 1 {
		return nil
	}
	for _, kv := range environ {
		if strings.HasPrefix(kv, "GOMAXPROCS=") {
			return nil
		}
	}
	return []string{"GOMAXPROCS=" + strconv.Itoa(max(1, cpus/jobs))}
}
