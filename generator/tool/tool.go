// Package tool knows the transfer programs partsync drives, rsync and rclone:
// their flags, how a partition's file list must be encoded for them, which
// entries they can express, and the argv that copies one partition. It is the
// only place that knows their flags, and Argv is the one function that builds
// the command both the workflow's pods and the local executor run.
package tool

import (
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/partsync/partsync/generator/scan"
)

// ErrTool is wrapped when a tool name is unknown.
var ErrTool = errors.New("unknown tool")

// ErrNotInstalled is wrapped when a tool's program is not on PATH.
var ErrNotInstalled = errors.New("not installed")

// ErrDestination is wrapped when DST cannot be used with the tool.
var ErrDestination = errors.New("bad destination")

// Tool is one transfer program.
type Tool interface {
	// Name is the program's name, which is also its command.
	Name() string
	// DefaultOptions are used when the user gives no -o.
	DefaultOptions() []string
	// CheckOptions rejects options that would break partitioning or leak a
	// credential, naming each bad option.
	CheckOptions(opts []string) error
	// OptionPaths are the paths outside DST that opts make the tool write
	// to (--log-file, --temp-dir …): the caller checks they are not in SRC.
	OptionPaths(opts []string) []OptionPath
	// CheckDestination validates DST and returns it in canonical form.
	CheckDestination(dst string) (Destination, error)
	// Separator ends each path in a part file.
	Separator() byte
	// Classify says what happens to a scanned entry with this tool.
	Classify(e scan.Entry) Verdict
	// Argv is the command that copies the partition listed in job.PartFile.
	Argv(job Job) []string
}

// QuickChecker is a Tool whose partitions partsync may find up to date
// itself, sparing the tool's start and its per-entry protocol on a re-run.
type QuickChecker interface {
	QuickCheckable(opts []string) bool
}

// DestinationMaker is a Tool that needs DST made before its partitions run.
type DestinationMaker interface {
	MakeDestination(dst string) error
}

// Destination is a validated DST.
type Destination struct {
	// Spec is DST as the tool takes it: an absolute path or "remote:path".
	Spec string
	// Remote is the rclone remote's name; empty for a local path.
	Remote string
	// LocalPath is the absolute path when DST is local.
	LocalPath string
	// RemoteType is the remote's backend type in rclone.conf ("local",
	// "s3" …); empty for a local path or when the config does not say
	// (an encrypted one).
	RemoteType string
}

// Job is what one partition's command needs.
type Job struct {
	Source      string   // absolute source directory
	Destination string   // Destination.Spec
	PartFile    string   // the file list; may hold an Argo expression for the index
	Options     []string // tool options (defaults or -o)
	// BwLimit, when not 0, is this transfer's bandwidth in bytes per second:
	// its share of the run's --bwlimit (BwLimitOption).
	BwLimit int64
	// DryRun adds the tool's own dry run (--dry-run): it reports what it
	// would send and writes nothing at the destination.
	DryRun bool
	// NoCheckDest copies every listed file without first asking the
	// destination whether it holds it already (rclone --no-check-dest): an
	// incremental run lists only files new or changed since its base
	// (plan.Incremental.NoCheckDest). rsync ignores it.
	NoCheckDest bool
}

// Verdict is the fate of one entry.
type Verdict struct {
	// List means the entry is written to a part file.
	List bool
	// Implied means the entry is not listed but needs no line in skipped:
	// a directory the tool creates for the files below it.
	Implied bool
	// Reason, when neither List nor Implied, is why the entry is skipped.
	Reason string
}

// Names lists the known tools.
func Names() []string { return []string{"rsync", "rclone"} }

// Lookup returns the tool called name.
func Lookup(name string) (Tool, error) {
	switch name {
	case "rsync":
		return Rsync{}, nil
	case "rclone":
		return Rclone{}, nil
	}
	return nil, fmt.Errorf("%w %q: choose -m/--tool %s", ErrTool, name, strings.Join(Names(), " or "))
}

// Installed returns the path of the program of the tool called name, with
// the fix when it is missing.
func Installed(name string) (string, error) {
	if _, err := Lookup(name); err != nil {
		return "", err
	}
	path, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("%s is %w or not on PATH; install it (Debian: apt-get install %s)", name, ErrNotInstalled, name)
	}
	return path, nil
}

// BwLimitOption is the option that limits one transfer to bytesPerSecond,
// in KiB/s, which rsync and rclone both read from "--bwlimit=NK" (at least 1).
func BwLimitOption(bytesPerSecond int64) string {
	return fmt.Sprintf("--bwlimit=%dK", max(bytesPerSecond/1024, 1))
}

// HasBwLimit reports whether opts limit the bandwidth themselves.
func HasBwLimit(opts []string) bool {
	for _, o := range opts {
		if o == "--bwlimit" || strings.HasPrefix(o, "--bwlimit=") {
			return true
		}
	}
	return false
}

// localPath validates a local DST and makes it absolute.
func localPath(dst string) (Destination, error) {
	if strings.IndexFunc(dst, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
		return Destination{}, fmt.Errorf("%w %q: DST holds a control character (newline, tab, NUL …); give a plain path", ErrDestination, dst)
	}
	abs, err := filepath.Abs(dst)
	if err != nil {
		return Destination{}, fmt.Errorf("%w %q: %v", ErrDestination, dst, err)
	}
	return Destination{Spec: abs, LocalPath: abs}, nil
}

// withSlash ends a directory path with exactly one '/'.
func withSlash(dir string) string { return strings.TrimRight(dir, "/") + "/" }
