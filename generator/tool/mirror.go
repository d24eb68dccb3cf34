package tool

// What the mirror (run --delete, package extras and the delete step of
// package finish) and `partsync verify` run at a remote rclone DST: a
// listing of every object, a deletion of the extras listed in a file, and
// the verify listings and checks (VerifyCommands). Each takes the run's -o
// options that say how rclone reaches and lists the remote
// (RcloneRemoteOptions), not those that say how it copies: the remote's
// settings are in its section of rclone.conf (RCLONE_CONFIG, in the
// environment) or in -o's backend options, and the copy gets both.

// rcloneRemoteGlobals are the global flags of rcloneOptions that rclone's
// own flag groups (`rclone help flags`) put in Networking, Config or
// Listing: how rclone connects, retries, and lists. Copy, Sync, Check,
// Performance, Logging and Metadata flags say how files are compared,
// transferred and reported; a listing or a deletion has no use for them,
// and some would change what it reports (--size-only makes rclone check
// compare sizes only, --progress writes to the standard output a listing is
// read from). --use-server-modtime (Config) is left out too: it changes the
// mtime a listing reads, which verify compares with the source's.
// TestRcloneRemoteGlobalsFollowRclonesGroups checks the set against the
// pinned rclone's groups.
var rcloneRemoteGlobals = map[string]bool{
	// Networking
	"--bind": true, "--bwlimit": true, "--bwlimit-file": true, "--contimeout": true, "--disable-http-keep-alives": true,
	"--disable-http2": true, "--dscp": true, "--expect-continue-timeout": true, "--no-gzip-encoding": true,
	"--timeout": true, "--tpslimit": true, "--tpslimit-burst": true, "--user-agent": true,
	// Config
	"--cache-dir": true, "--disable": true, "--human-readable": true, "--low-level-retries": true, "--no-console": true,
	"--no-unicode-normalization": true, "--retries": true, "--retries-sleep": true, "--temp-dir": true, "--use-mmap": true,
	// Listing
	"--fast-list": true,
}

// RcloneRemoteOptions are the words of opts (a checked -o of rclone) that
// configure the remote rather than the copy: every backend option of
// rclone's registry (--s3-…, --local-…: rclone applies them to any command
// on that backend) and the global flags of rcloneRemoteGlobals, each with
// its value. The listing, deletion and verify commands take them, so that
// a remote the copy reaches with -o's options is listed, cleaned and
// verified the same way.
func RcloneRemoteOptions(opts []string) []string {
	out := []string{}
	read, _ := rcloneOptions.check(opts)
	for _, g := range read {
		if _, backend := lookupBackendOption(g.name); backend || rcloneRemoteGlobals[g.name] {
			out = append(out, g.words...)
		}
	}
	return out
}

// RcloneListArgv lists every object below dst, one path relative to dst a
// line (rclone lsf prints names as they are, decoded from the backend's
// encoding), with the remote's options of -o (RcloneRemoteOptions).
func RcloneListArgv(dst string, opts []string) []string {
	argv := append([]string{"rclone", "lsf"}, RcloneRemoteOptions(opts)...)
	return append(argv, "-R", "--files-only", "--format", "p", dst)
}

// RcloneDeleteArgv deletes the objects of dst named in list, one path
// relative to dst a line (--files-from-raw: no pattern, no comment), with
// the remote's options of -o (RcloneRemoteOptions).
func RcloneDeleteArgv(list, dst string, opts []string) []string {
	argv := append([]string{"rclone", "delete"}, RcloneRemoteOptions(opts)...)
	return append(argv, "--files-from-raw", list, dst)
}
