package tool

import (
	"fmt"
	"os"
	"strings"

	"github.com/partsync/partsync/generator/scan"
)

// Rsync copies file system to file system. Part files are NUL-separated
// (--from0), so every name a POSIX file system can hold is expressible, and
// directories are listed so that empty ones are created.
type Rsync struct{}

// Name implements Tool.
func (Rsync) Name() string { return "rsync" }

// DefaultOptions keeps permissions, times, owners, links and special files
// (-a; with --files-from -a does not recurse), numeric ids as fpsync does,
// and hard links (-H): the partitioner keeps every link of an inode in one
// partition, so one rsync process sees them all.
func (Rsync) DefaultOptions() []string { return []string{"-a", "--numeric-ids", "-H"} }

var rsyncRules = []optionRule{
	{[]string{"--recursive"}, "breaks partitioning: each partition is an explicit file list"},
	{[]string{"--files-from", "--from0", "--no-relative", "--no-R"}, "partsync sets the file list itself"},
	{[]string{"--no-dirs", "--no-d"}, "a part file lists a whole directory as DIR/, which needs --dirs (implied by --files-from)"},
	{[]string{"--include*", "--exclude*", "--filter", "--cvs-exclude"}, "would skip files silently; use partsync's -x/--exclude so every skipped file is counted"},
	{[]string{"--delete*", "--remove-source-files", "--del", "--prune-empty-dirs"}, "is unsafe when each partition sees only part of the tree"},
	{[]string{"--rsh", "--rsync-path", "--server", "--daemon"}, "partsync copies between local paths only"},
}

// CheckOptions implements Tool.
func (Rsync) CheckOptions(opts []string) error {
	// r: recursive, 0: from0, f/F: filters, e: remote shell, C: cvs-exclude.
	return checkOptions(opts, rsyncRules, "r0fFeC", "BMT@")
}

// CheckDestination accepts a local path; rsync's host:path and rsync://
// forms are rejected because partsync copies between mounted volumes.
func (Rsync) CheckDestination(dst string) (Destination, error) {
	if dst == "" {
		return Destination{}, fmt.Errorf("%w: DST is empty; give a directory path", ErrDestination)
	}
	if before, _, found := strings.Cut(dst, ":"); found && !strings.Contains(before, "/") {
		return Destination{}, fmt.Errorf("%w %q: rsync would read it as a remote host; give a local path (./%s) or use -m rclone for a remote", ErrDestination, dst, dst)
	}
	return localPath(dst)
}

// Separator implements Tool.
func (Rsync) Separator() byte { return 0 }

// Classify lists every entry: rsync -a recreates files, directories,
// symbolic links and special files from a NUL-separated list.
func (Rsync) Classify(scan.Entry) Verdict { return Verdict{List: true} }

// Argv implements Tool.
func (Rsync) Argv(job Job) []string {
	argv := append([]string{"rsync"}, job.Options...)
	// --mkpath creates DST's missing parents, as rclone does (rsync ≥ 3.2.3).
	// --chmod=Du+w keeps every directory writable by its owner while the
	// partitions run: a partition that gave a directory its read-only mode
	// (0555) would otherwise make the others, running at the same time as
	// the same non-root user, fail to create entries in it. The directory
	// step (DirsArgv, without it) gives every directory its own mode once all
	// partitions are done.
	return append(argv, "--chmod=Du+w", "--mkpath", "--from0", "--files-from="+job.PartFile, withSlash(job.Source), withSlash(job.Destination))
}

// MakeDestination creates DST and its missing parents before a partition
// runs. --mkpath does so too, but rsync tests for DST and then makes it, so
// partitions that start together race: the losers fail with "mkdir … failed:
// File exists" (exit code 11). MkdirAll accepts a directory another process
// made first.
func (Rsync) MakeDestination(dst string) error {
	if err := os.MkdirAll(dst, 0o777); err != nil {
		return fmt.Errorf("%w %q: %v", ErrDestination, dst, err)
	}
	return nil
}

// quickCheckOptions are the rsync options under which partsync may judge a
// partition up to date itself (QuickCheckable): archive mode and its parts
// that compare type, size, mtime, permissions, owner and group, numeric
// ids, hard links (partsync then requires a single link), and verbosity.
// Anything else (--checksum, --ignore-times, -A, -X, --size-only, -u …)
// changes what rsync compares or keeps, so rsync runs.
// Short options (alone or in a cluster such as -aHv) are a, H and v.
var quickCheckOptions = map[string]bool{
	"--archive": true, "--numeric-ids": true, "--hard-links": true, "--verbose": true,
}

// QuickCheckable reports whether partsync may skip rsync for a partition
// whose every entry it finds identical at the destination (type, size,
// mtime to the nanosecond, permissions, group, owner as root, symbolic link
// target): with these options rsync would then change nothing.
func (Rsync) QuickCheckable(opts []string) bool {
	archive := false
	for _, o := range opts {
		short := len(o) > 1 && o[0] == '-' && o[1] != '-'
		switch {
		case quickCheckOptions[o]:
		case short && strings.Trim(o[1:], "aHv") == "":
		default:
			return false
		}
		archive = archive || o == "--archive" || short && strings.ContainsRune(o[1:], 'a')
	}
	return archive
}
