package tool

// localGOGC is the Go garbage collector's target a local run gives the
// tools it starts. Garbage collection is a quarter of rclone's CPU on
// small files; at 400 it runs a fifth as often as at Go's default of 100,
// for a larger heap (bench/BENCHMARKS.md, "Copy to S3: GOGC for the local
// rclone"). Only local runs: a pod may run under a memory limit, and its
// container keeps Go's default.
const localGOGC = "400"

// LocalEnv is what a local run (partsync run, verify, mirror on this
// machine) adds to the environment of the rclone or rsync it starts:
// RCLONE_CONFIG=config when config is set, and GOGC=400 unless
// partsync's own environment (lookup: os.LookupEnv) sets GOGC, even to
// nothing, whose value the tool then inherits unchanged. rsync is not a
// Go program and ignores GOGC.
func LocalEnv(config string, lookup func(string) (string, bool)) []string {
	var env []string
	if config != "" {
		env = append(env, "RCLONE_CONFIG="+config)
	}
	if _, set := lookup("GOGC"); set {
		return env
	}
	return append(env, "GOGC="+localGOGC)
}
