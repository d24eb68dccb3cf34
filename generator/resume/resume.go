// Package resume picks a run up where it stopped: it finds the run
// directory, refuses a command line that contradicts the run's plan, takes
// the run's lock and reads its report, and hands the local executor the
// partitions whose latest attempt did not succeed (failed, or no status:
// never started, or killed). The run may come from `run` or from
// `generate`: both leave the same run directory.
package resume

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/partsync/partsync/generator/bytesize"
	"github.com/partsync/partsync/generator/local"
	"github.com/partsync/partsync/generator/plan"
	"github.com/partsync/partsync/generator/prepare"
	"github.com/partsync/partsync/generator/tool"
)

// ErrRefused is wrapped when a resume is refused: its command line
// contradicts the run's plan (the partitions were cut for it, and the part
// files already encode it), or the run was a dry run.
var ErrRefused = errors.New("usage")

// Given is what the command line of a resume names besides the run. Only
// the flags IsSet reports are compared with the plan; Args is empty or the
// run's SRC DST.
type Given struct {
	Args        []string
	Tool        string   // -m/--tool
	MaxFiles    int64    // -f/--files
	Size        string   // -s/--size, as given
	ToolOptions string   // -o/--tool-options, as given
	Excludes    []string // -x/--exclude, blank ones left out
	RunID       string   // --run-id
	// IsSet says whether the flag of that long name was given; nil: none was.
	IsSet func(flag string) bool
}

// Run is a run being resumed. It holds the run directory's lock until
// Close, from before its report was read to after the steps after the
// partitions: no other run picks the same pending partitions meanwhile.
type Run struct {
	Plan *plan.Plan
	// Rescan is true for a run stopped during its scan, before plan.json
	// was written: Plan is its header, and the run is made again (Request).
	Rescan bool
	Report *plan.Report // when the run was opened; nil for a Rescan
	// Pending are the partitions to run again, in order.
	Pending []int
	unlock  func()
}

// Open finds run (a run id under sharedDir, or a run directory), loads its
// plan, refuses a dry run and what given contradicts, checks that the plan's
// tool is installed, takes the run's lock and reads its report.
//
// A run stopped during its scan has no plan.json, only its header: Open
// then checks given against the header, makes sure no process holds the
// run's lock (the scan is not still running), and returns a Run to make
// again (Rescan), which holds no lock.
func Open(sharedDir, run string, given Given) (*Run, error) {
	dir, err := plan.Find(sharedDir, run)
	if err != nil {
		return nil, err
	}
	p, err := plan.Load(dir)
	if errors.Is(err, plan.ErrIncomplete) {
		if hdr, herr := plan.LoadHeader(dir); herr == nil {
			return openRescan(hdr, given)
		}
	}
	if err != nil {
		return nil, err
	}
	if p.DryRun {
		return nil, fmt.Errorf("%w: run %s was a dry run (--dry-run): it copied nothing and is never resumed; start the copy with partsync run without --dry-run", ErrRefused, p.RunID)
	}
	if err := Check(p, given); err != nil {
		return nil, err
	}
	if _, err := tool.Installed(p.Tool); err != nil {
		return nil, err
	}
	unlock, err := plan.Lock(dir)
	if err != nil {
		return nil, err
	}
	r, err := plan.ReadReport(dir)
	if err != nil {
		unlock()
		return nil, err
	}
	return &Run{Plan: p, Report: r, Pending: r.Pending(), unlock: unlock}, nil
}

// openRescan is Open for a run stopped during its scan, from its header.
func openRescan(hdr *plan.Plan, given Given) (*Run, error) {
	if err := Check(hdr, given); err != nil {
		return nil, err
	}
	if _, err := tool.Installed(hdr.Tool); err != nil {
		return nil, err
	}
	unlock, err := plan.Lock(hdr.Dir()) // refused while the run is still scanning
	if err != nil {
		return nil, err
	}
	unlock()
	return &Run{Plan: hdr, Rescan: true, unlock: func() {}}, nil
}

// Request is the request that makes a Rescan run again under the same id:
// the same SRC, DST, tool, options, excludes and limits as its header. The
// caller adds this invocation's executor and scan settings (ScanWorkers,
// RcloneConfig, Auto, Version, Getenv, Now), checks it, and removes the
// stopped run's directory (plan.Discard) before it prepares the run: the
// partitions that run had closed are no contract, since the scan that would
// have counted them did not end; what it copied is found up to date.
func (r *Run) Request() prepare.Request {
	h := r.Plan
	req := prepare.Request{
		Source: h.Source, Destination: h.Destination, Tool: h.Tool, ToolOptions: h.ToolOptions,
		MaxFiles: h.MaxFiles, MaxBytes: h.MaxBytes, Excludes: h.Excludes,
		SharedDir: filepath.Dir(h.RunDir), RunID: h.RunID,
	}
	// The scan again against the same base, or none.
	if h.Incremental != nil {
		req.Since = h.Incremental.BaseRunDir
	} else {
		req.NoSince = true
	}
	return req
}

// Options returns o for the local executor: only the pending partitions,
// under the lock r holds.
func (r *Run) Options(o local.Options) local.Options {
	o.Only, o.Locked = r.Pending, true
	return o
}

// Close releases the run's lock.
func (r *Run) Close() { r.unlock() }

// Check refuses arguments and flags of given that contradict plan p,
// naming every one at once.
func Check(p *plan.Plan, given Given) error {
	isSet := given.IsSet
	if isSet == nil {
		isSet = func(string) bool { return false }
	}
	var errs []error
	conflict := func(what, value, planned string) {
		errs = append(errs, fmt.Errorf("%w: run --resume %s: %s %s differs from the plan's %s; leave it out or start a new run", ErrRefused, p.RunID, what, value, planned))
	}
	switch len(given.Args) {
	case 0:
	case 2:
		if src, err := filepath.Abs(given.Args[0]); err != nil || src != p.Source {
			conflict("SRC", given.Args[0], p.Source)
		}
		if t, err := tool.Lookup(p.Tool); err == nil {
			if d, err := t.CheckDestination(given.Args[1]); err != nil || d.Spec != p.Destination {
				conflict("DST", given.Args[1], p.Destination)
			}
		}
	default:
		return fmt.Errorf("%w: run --resume takes no arguments or the run's SRC DST, got %d: %q", ErrRefused, len(given.Args), given.Args)
	}
	if isSet("tool") && given.Tool != p.Tool {
		conflict("-m/--tool", given.Tool, p.Tool)
	}
	if isSet("files") && given.MaxFiles != p.MaxFiles {
		conflict("-f/--files", fmt.Sprint(given.MaxFiles), fmt.Sprint(p.MaxFiles))
	}
	if isSet("size") {
		if n, err := bytesize.Parse(given.Size); err != nil || n != p.MaxBytes {
			conflict("-s/--size", given.Size, bytesize.Format(p.MaxBytes))
		}
	}
	if isSet("tool-options") {
		if opts, err := tool.SplitOptions(given.ToolOptions); err != nil || !slices.Equal(opts, p.ToolOptions) {
			conflict("-o/--tool-options", fmt.Sprintf("%q", given.ToolOptions), fmt.Sprintf("%q", strings.Join(p.ToolOptions, " ")))
		}
	}
	if isSet("exclude") && !slices.Equal(given.Excludes, p.Excludes) {
		conflict("-x/--exclude", fmt.Sprintf("%q", given.Excludes), fmt.Sprintf("%q", p.Excludes))
	}
	if isSet("run-id") && given.RunID != p.RunID {
		conflict("--run-id", given.RunID, p.RunID)
	}
	return errors.Join(errs...)
}
