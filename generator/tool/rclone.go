package tool

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/partsync/partsync/generator/scan"
)

// Rclone copies to object storage or any rclone remote, or to a local path.
// Part files are newline-separated (--files-from-raw); object stores keep
// regular files only, so other entries are skipped with the reason.
type Rclone struct {
	// keyRoom, when not 0, is the longest path an object key can hold
	// below the destination's prefix (ForDestination).
	keyRoom int
	// local is what a local destination directory can hold (ForDestination).
	local localRoom
}

// Name implements Tool.
func (Rclone) Name() string { return "rclone" }

// DefaultOptions retry once inside rclone (partsync retries the partition)
// and copy several files of a partition at once.
func (Rclone) DefaultOptions() []string {
	return []string{"--retries=1", "--transfers=8", "--checkers=16"}
}

// LocalOptions are rclone's options in a local run (partsync run without
// -o) to a DST whose remote is of backend type remoteType ("" for a path):
// one rclone at a time with the transfers and checkers of one
// `rclone copy --transfers 16` on the same machine; a second rclone on the
// same cores costs CPU per file (bench/BENCHMARKS.md, "Figures behind the
// code"). The pods of a workflow, each on its own CPU, keep DefaultOptions.
//
// To an s3 remote they add --ignore-checksum: rclone reads each file twice
// and computes its MD5 both times, first for the Content-MD5 header of the
// upload, then again as it sends the bytes, to compare after the upload
// with the ETag. The server has made that comparison already: S3 refuses a
// body whose MD5 is not its Content-MD5 (BadDigest), and every part of a
// multipart upload carries its own. The second MD5 was a fifth of rclone's
// CPU on the mixed benchmark set, 20,000 files of 4.3 GB (bench/BENCHMARKS.md,
// "Copy to S3: one MD5 per file"). Sizes are still compared after each
// upload, a file that changes while rclone reads it still fails its copy
// (docs/object-storage.md says what is given up), and to any other backend
// the check after the upload stays.
func (Rclone) LocalOptions(remoteType string) []string {
	opts := []string{"--retries=1", "--transfers=16", "--checkers=16"}
	if remoteType == "s3" {
		opts = append(opts, "--ignore-checksum")
	}
	return opts
}

// rcloneOptions is rclone's allow-list: its global options that tune how
// files are compared, transferred and reported, and its backend options
// (--s3-chunk-size …) that its own registry does not mark sensitive and
// that neither carry a credential nor choose an endpoint or a command
// (rcloneBackendOption). The refused ones say why.
var rcloneOptions = options{
	tool:      "rclone",
	boolValue: true,
	long: merged(
		allow(false, "--checksum", "--size-only", "--ignore-size", "--ignore-times", "--ignore-checksum", "--no-check-dest",
			"--no-traverse", "--no-update-modtime", "--no-update-dir-modtime", "--update", "--use-server-modtime", "--metadata",
			"--fast-list", "--check-first", "--progress", "--verbose", "--quiet", "--human-readable", "--stats-one-line",
			"--stats-one-line-date", "--use-json-log", "--use-mmap", "--no-gzip-encoding", "--disable-http2",
			"--disable-http-keep-alives", "--no-unicode-normalization", "--server-side-across-configs", "--refresh-times",
			"--inplace", "--immutable", "--no-console", "--one-file-system", "--local-no-check-updated", "--local-no-set-modtime",
			"--local-no-preallocate", "--local-no-sparse"),
		allow(true, "--transfers", "--checkers", "--retries", "--retries-sleep", "--low-level-retries", "--contimeout",
			"--timeout", "--expect-continue-timeout", "--bwlimit", "--bwlimit-file", "--buffer-size", "--multi-thread-streams",
			"--multi-thread-cutoff", "--multi-thread-chunk-size", "--multi-thread-write-buffer-size",
			"--metadata-set", "--order-by", "--max-backlog", "--stats", "--stats-unit", "--stats-log-level",
			"--stats-file-name-length", "--log-level", "--log-format", "--tpslimit", "--tpslimit-burst", "--user-agent",
			"--streaming-upload-cutoff", "--partial-suffix", "--disable", "--max-stats-groups", "--dscp", "--bind"),
		map[string]option{
			// verify compares mtimes with the copy's window (RcloneModifyWindow).
			"--modify-window": {value: true, parse: func(v string) error { _, err := parseRcloneDuration(v); return err }},
			"--log-file":      {value: true, path: absoluteOnly},
			"--temp-dir":      {value: true, path: absoluteOnly},
			"--cache-dir":     {value: true, path: absoluteOnly},
		},
		refuse(noDryRun, false, "--dry-run"),
		refuse("asks before each transfer, and no one answers in a pod; partsync would record the partition as copied", false, "--interactive"),
		refuse("would leave files of the plan uncopied while partsync records them as copied", false, "--ignore-existing"),
		refuse("would leave files of the plan uncopied while partsync records them as copied", true, "--compare-dest", "--max-transfer", "--max-duration", "--cutoff-mode"),
		refuse("makes rclone exit 9 when a partition is already up to date, which partsync would count as a failure", false, "--error-on-no-transfer"),
		refuse("would change which files are copied without counting them; use partsync's -x/--exclude", true,
			"--files-from", "--files-from-raw", "--include", "--include-from", "--exclude", "--exclude-from", "--exclude-if-present",
			"--filter", "--filter-from", "--min-size", "--max-size", "--min-age", "--max-age", "--max-depth", "--hash-filter"),
		refuse("would change which files are copied without counting them; use partsync's -x/--exclude", false, "--ignore-case", "--delete-excluded"),
		refuse("the config comes from RCLONE_CONFIG (locally) or the mounted Secret (in pods); use --rclone-config / --rclone-config-secret", true, "--config"),
		refuse("is unsafe when each partition sees only part of the tree", false, "--delete-before", "--delete-during", "--delete-after", "--track-renames"),
		refuse("is unsafe when each partition sees only part of the tree", true, "--backup-dir", "--suffix", "--track-renames-strategy", "--max-delete", "--max-delete-size"),
		refuse("a header carries credentials (Authorization, X-Amz-Security-Token …) into argv and the workflow; put them in the remote's section of rclone.conf (the Secret)", true,
			"--header", "--header-upload", "--header-download"),
		refuse("writes requests, their headers (credentials) and bodies to the log", true, "--dump"),
		refuse("writes requests, their headers (credentials) and bodies to the log", false, "--dump-headers", "--dump-bodies", "--dump-auth", "--dump-requests", "--dump-responses"),
		refuse("runs a command or asks for the config password; the config comes unencrypted from the Secret", true, "--password-command"),
		refuse("runs a command or asks for the config password; the config comes unencrypted from the Secret", false, "--ask-password"),
		refuse("starts rclone's remote-control server, which a transfer pod must not open", false, "--rc"),
	),
	short: map[rune]option{
		'v': {}, 'q': {}, 'P': {}, 'c': {}, 'u': {}, 'I': {}, 'M': {},
		'n': {refuse: noDryRun},
		'i': {refuse: "asks before each transfer, and no one answers in a pod; partsync would record the partition as copied"},
	},
	backend: rcloneBackendOption,
}

// CheckOptions implements Tool.
func (Rclone) CheckOptions(opts []string) error {
	_, err := rcloneOptions.check(opts)
	return err
}

// OptionPaths implements Tool.
func (Rclone) OptionPaths(opts []string) []OptionPath {
	read, _ := rcloneOptions.check(opts)
	return read.paths()
}

// remoteName is the form rclone accepts for the name of a configured remote.
var remoteName = regexp.MustCompile(`^[\p{L}\p{N}_.+@]([\p{L}\p{N}_.+@ -]*[\p{L}\p{N}_.+@-])?$`)

// CheckDestination accepts "remote:path" with a configured remote's name, or
// a local path. On-the-fly remotes (":s3,key=…:bucket") are rejected: their
// settings, credentials included, would be in argv and in the workflow.
func (Rclone) CheckDestination(dst string) (Destination, error) {
	if dst == "" {
		return Destination{}, fmt.Errorf("%w: DST is empty; give remote:bucket/prefix or a directory path", ErrDestination)
	}
	if strings.HasPrefix(dst, ":") {
		// DST itself is not echoed: its settings may hold a credential.
		return Destination{}, fmt.Errorf("%w: DST starts with ':', an on-the-fly remote, which puts its settings (credentials too) in argv; define the remote in rclone.conf and use name:path", ErrDestination)
	}
	name, _, found := strings.Cut(dst, ":")
	if !found || strings.Contains(name, "/") {
		return localPath(dst)
	}
	if !remoteName.MatchString(name) {
		return Destination{}, fmt.Errorf("%w %q: %q is not a valid rclone remote name; use letters, digits, _ . + @ - and spaces", ErrDestination, dst, name)
	}
	if strings.ContainsAny(dst, "\x00\n\r") {
		return Destination{}, fmt.Errorf("%w %q: control characters are not allowed in DST", ErrDestination, dst)
	}
	return Destination{Spec: dst, Remote: name}, nil
}

// Separator implements Tool.
func (Rclone) Separator() byte { return '\n' }

// Classify lists regular files whose names a newline-separated list and an
// object store can hold; directories are implied by the files below them.
func (r Rclone) Classify(e scan.Entry) Verdict {
	if v := r.local.tooLong(e); v != nil {
		return *v
	}
	switch e.Type {
	case scan.Dir:
		if e.Children == 0 {
			return Verdict{Reason: "empty directory: rclone creates no directory from a file list"}
		}
		return Verdict{Implied: true}
	case scan.Symlink:
		return Verdict{Reason: "symbolic link: rclone does not copy links from a file list; use -m rsync to keep links"}
	case scan.Other:
		return Verdict{Reason: "not a regular file (" + e.Mode.Type().String() + "): rclone copies regular files only"}
	}
	switch {
	case strings.ContainsAny(e.Path, "\n\r"):
		return Verdict{Reason: "name holds a newline or carriage return: rclone's --files-from-raw list cannot express it; use -m rsync"}
	case !utf8.ValidString(e.Path):
		return Verdict{Reason: "name is not valid UTF-8: rclone would store it under another name; use -m rsync or rename it"}
	}
	if holdsEncodingChars(e.Path) {
		return Verdict{Reason: "name holds ‛ or a Control Pictures character (U+2400–U+2421), which rclone uses to encode control characters and cannot take from a file list as they are; use -m rsync or rename it"}
	}
	if v := r.keyTooLong(e); v != nil {
		return *v
	}
	return Verdict{List: true}
}

// Argv implements Tool.
func (Rclone) Argv(job Job) []string {
	argv := append([]string{"rclone", "copy"}, rcloneProgressOptions...) // progress.go
	argv = append(append(argv, job.Options...), rcloneStatsOptions...)   // stats.go
	if job.BwLimit > 0 {
		argv = append(argv, BwLimitOption(job.BwLimit))
	}
	if job.DryRun {
		argv = append(argv, "--dry-run")
	}
	if job.NoCheckDest {
		argv = append(argv, "--no-check-dest")
	}
	return append(argv, "--files-from-raw", job.PartFile, job.Source, job.Destination)
}

// rcloneLogLine is one line of rclone's --use-json-log output.
type rcloneLogLine struct {
	Time   string `json:"time"`
	Level  string `json:"level"`
	Msg    string `json:"msg"`
	Object string `json:"object"`
	Stats  *struct {
		Bytes     int64 `json:"bytes"`
		Transfers int64 `json:"transfers"`
		Checks    int64 `json:"checks"`
	} `json:"stats"`
}

// rcloneLevels are rclone's text names of the JSON levels (rclone before
// 1.65 logs NOTICE as "warning").
var rcloneLevels = map[string]string{
	"emergency": "EMERGENCY", "alert": "ALERT", "critical": "CRITICAL", "error": "ERROR",
	"warning": "NOTICE", "notice": "NOTICE", "info": "INFO", "debug": "DEBUG",
}

// chatterLevels are rclone's JSON levels of lines that are not errors.
var chatterLevels = map[string]bool{"warning": true, "notice": true, "info": true, "debug": true}

// rcloneText is the line rclone writes without --use-json-log:
// "2006/01/02 15:04:05 LEVEL : object: message".
func rcloneText(l rcloneLogLine) string {
	stamp := l.Time
	if t, err := time.Parse(time.RFC3339Nano, l.Time); err == nil {
		stamp = t.Format("2006/01/02 15:04:05")
	}
	level, ok := rcloneLevels[l.Level]
	if !ok {
		level = strings.ToUpper(l.Level)
	}
	msg := strings.TrimRight(l.Msg, "\n")
	if l.Object != "" {
		msg = l.Object + ": " + msg
	}
	return fmt.Sprintf("%s %-6s: %s\n", stamp, level, msg)
}

// rcloneChatter matches the text form (rcloneText) of rclone's log lines
// that are not errors.
var rcloneChatter = regexp.MustCompile(`^\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2} (NOTICE|INFO|DEBUG)\s*:`)

// RcloneChatter reports whether line is one of rclone's log lines, in text
// form, that are not errors: NOTICE (the statistics), INFO or DEBUG.
func RcloneChatter(line []byte) bool { return rcloneChatter.Match(line) }
