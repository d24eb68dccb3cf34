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

// rsyncOptions is rsync's allow-list: what the copy keeps and compares,
// how it reports, and where it may write its temporary files, logs and
// backups (never into SRC). The refused ones say why.
var rsyncOptions = options{
	tool: "rsync",
	long: merged(
		allow(false, "--archive", "--verbose", "--quiet", "--checksum", "--hard-links", "--acls", "--xattrs", "--numeric-ids",
			"--links", "--copy-links", "--copy-unsafe-links", "--safe-links", "--munge-links", "--copy-dirlinks", "--keep-dirlinks",
			"--perms", "--executability", "--owner", "--group", "--devices", "--specials", "--times", "--atimes", "--open-noatime",
			"--crtimes", "--omit-dir-times", "--omit-link-times", "--super", "--fake-super", "--sparse", "--preallocate",
			"--whole-file", "--one-file-system", "--update", "--inplace", "--ignore-times", "--size-only", "--compress",
			"--stats", "--progress", "--partial", "--human-readable", "--itemize-changes", "--backup", "--fsync",
			"--delay-updates", "--mkpath", "--dirs", "--8-bit-output", "--no-motd", "--msgs2stderr", "--no-msgs2stderr",
			"--no-perms", "--no-p", "--no-owner", "--no-o", "--no-group", "--no-g", "--no-times", "--no-t", "--no-devices",
			"--no-specials", "--no-D", "--no-links", "--no-l", "--no-hard-links", "--no-H", "--no-acls", "--no-A",
			"--no-xattrs", "--no-X", "--no-whole-file", "--no-W", "--no-compress", "--no-z", "--no-inc-recursive",
			"--no-i-r", "--no-one-file-system", "--no-x", "--no-human-readable", "--no-h", "--no-omit-dir-times", "--no-O",
			"--no-super", "--no-sparse", "--no-inplace", "--no-partial", "--no-verbose", "--no-v", "--no-checksum", "--no-c"),
		allow(true, "--bwlimit", "--block-size", "--modify-window", "--chmod", "--chown", "--usermap", "--groupmap",
			"--info", "--debug", "--stderr", "--checksum-choice", "--cc", "--checksum-seed", "--compress-choice", "--zc",
			"--compress-level", "--zl", "--max-alloc", "--timeout", "--suffix", "--log-file-format", "--out-format", "--outbuf"),
		map[string]option{
			"--temp-dir":    {value: true, path: belowDst},
			"--partial-dir": {value: true, path: belowDst},
			"--backup-dir":  {value: true, path: belowDst},
			"--log-file":    {value: true, path: absoluteOnly},
		},
		refuse(noDryRun, false, "--dry-run", "--list-only"),
		refuse("rsync would write a batch file instead of (--only-write-batch) or besides the copy, or copy from one (--read-batch); partsync copies SRC's entries", true,
			"--write-batch", "--only-write-batch", "--read-batch"),
		refuse("would leave entries of the plan uncopied while partsync records them as copied", false,
			"--existing", "--ignore-existing", "--append", "--append-verify", "--ignore-non-existing"),
		refuse("would leave entries of the plan uncopied while partsync records them as copied", true,
			"--compare-dest", "--max-size", "--min-size"),
		refuse("breaks partitioning: each partition is an explicit file list", false, "--recursive"),
		refuse("partsync sets the file list itself", false, "--from0", "--no-relative", "--no-R"),
		refuse("partsync sets the file list itself", true, "--files-from"),
		refuse("a part file lists a whole directory as DIR/, which needs --dirs (implied by --files-from)", false, "--no-dirs", "--no-d"),
		refuse("would skip files silently; use partsync's -x/--exclude so every skipped file is counted", true,
			"--include", "--exclude", "--include-from", "--exclude-from", "--filter"),
		refuse("would skip files silently; use partsync's -x/--exclude so every skipped file is counted", false, "--cvs-exclude"),
		refuse("is unsafe when each partition sees only part of the tree", false, "--delete", "--del", "--delete-before",
			"--delete-during", "--delete-delay", "--delete-after", "--delete-excluded", "--delete-missing-args",
			"--remove-source-files", "--prune-empty-dirs"),
		refuse("partsync copies between local paths only", true, "--rsh", "--rsync-path", "--remote-option", "--password-file",
			"--address", "--port", "--sockopts"),
		refuse("partsync copies between local paths only", false, "--server", "--daemon"),
	),
	short: map[rune]option{
		'a': {}, 'v': {}, 'q': {}, 'c': {}, 'H': {}, 'A': {}, 'X': {}, 'l': {}, 'L': {}, 'k': {}, 'K': {}, 'p': {},
		'E': {}, 'o': {}, 'g': {}, 'D': {}, 't': {}, 'U': {}, 'N': {}, 'O': {}, 'J': {}, 'S': {}, 'W': {}, 'x': {},
		'u': {}, 'I': {}, 'z': {}, 'P': {}, 'h': {}, 'i': {}, 'b': {}, 'd': {}, '8': {},
		'B': {value: true}, '@': {value: true}, 'T': {value: true, path: belowDst},
		'n': {refuse: noDryRun},
		'r': {refuse: "breaks partitioning: each partition is an explicit file list"},
		'0': {refuse: "partsync sets the file list itself"},
		'f': {value: true, refuse: "would skip files silently; use partsync's -x/--exclude so every skipped file is counted"},
		'F': {refuse: "would skip files silently; use partsync's -x/--exclude so every skipped file is counted"},
		'C': {refuse: "would skip files silently; use partsync's -x/--exclude so every skipped file is counted"},
		'm': {refuse: "is unsafe when each partition sees only part of the tree"},
		'e': {value: true, refuse: "partsync copies between local paths only"},
		'M': {value: true, refuse: "partsync copies between local paths only"},
	},
}

// CheckOptions implements Tool.
func (Rsync) CheckOptions(opts []string) error {
	_, err := rsyncOptions.check(opts)
	return err
}

// OptionPaths implements Tool.
func (Rsync) OptionPaths(opts []string) []OptionPath {
	read, _ := rsyncOptions.check(opts)
	return read.paths()
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
	argv := append(append([]string{"rsync"}, job.Options...), rsyncStatsOptions...) // stats.go
	if !rsyncUserProgress(job.Options) {
		argv = append(argv, rsyncProgressOptions...) // progress.go
	}
	if job.BwLimit > 0 {
		argv = append(argv, BwLimitOption(job.BwLimit))
	}
	if job.DryRun {
		argv = append(argv, "--dry-run")
	}
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
