package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/partsync/partsync/generator/bytesize"
	"github.com/partsync/partsync/generator/local"
	"github.com/partsync/partsync/generator/plan"
	"github.com/partsync/partsync/generator/plural"
	"github.com/partsync/partsync/generator/prepare"
	"github.com/partsync/partsync/generator/tool"
)

// run's own partition defaults. A local run pays rsync's start (three
// processes and a handshake) per partition and has -n workers on one
// machine, so it wants fewer, larger partitions than generate's fpsync
// defaults (2000, 4G). The figures: bench/BENCHMARKS.md, "Figures behind the code".
const (
	runDefaultFiles = 10000
	runDefaultSize  = "512MiB"
)

// run's defaults for rclone, for what the command line leaves unset: one
// rclone at a time (-n 1) with 16 transfers (tool.Rclone.LocalOptions), and
// partitions of up to 100,000 entries and 64 GiB, so that a run starts few
// rclones: each start and each second rclone on the same cores costs CPU
// (bench/BENCHMARKS.md, "Figures behind the code").
const (
	runRcloneJobs  = 1
	runRcloneFiles = 100000
	runRcloneSize  = "64GiB"
)

// setRcloneJobs makes -n run's default for rclone when toolName is rclone
// and -n is not given. It sets the flag itself, before anything reads it,
// so that the workers, --bwlimit's split and --auto's sizing all take it.
func setRcloneJobs(c *cli.Context, toolName string) error {
	if toolName != "rclone" || c.IsSet("jobs") {
		return nil
	}
	return c.Set("jobs", strconv.Itoa(runRcloneJobs))
}

// rcloneRunDefaults sets run's rclone defaults on the flags a new local
// run with -m rclone left unset: -n, -f and -s together (unless --auto
// sizes the run), and -o.
func rcloneRunDefaults(c *cli.Context) error {
	if c.String("tool") != "rclone" {
		return nil
	}
	errs := []error{setRcloneJobs(c, "rclone")}
	if !c.IsSet("files") && !c.IsSet("size") && !c.Bool("auto") {
		errs = append(errs, c.Set("files", strconv.Itoa(runRcloneFiles)), c.Set("size", runRcloneSize))
	}
	if !c.IsSet("tool-options") {
		errs = append(errs, c.Set("tool-options", strings.Join(tool.Rclone{}.LocalOptions(destinationType(c)), " ")))
	}
	return errors.Join(errs...)
}

// destinationType is the backend type of DST's rclone remote ("s3" …), ""
// when DST is a path or its remote cannot be read (the request's checks
// then say why).
func destinationType(c *cli.Context) string {
	d, err := tool.Rclone{}.CheckDestination(c.Args().Get(1))
	if err != nil {
		return ""
	}
	typ, _ := tool.DestinationType(d, c.String("rclone-config"), os.Getenv)
	return typ
}

// runPlanFlags are planFlags with run's own -f and -s defaults, and --live.
func runPlanFlags() []cli.Flag {
	flags := planFlags()
	for _, f := range flags {
		switch f := f.(type) {
		case *cli.IntFlag:
			if f.Name == "jobs" {
				f.Usage = fmt.Sprintf("transfers at once (-m rclone: %d, one rclone with 16 transfers)", runRcloneJobs)
			}
		case *cli.Int64Flag:
			if f.Name == "files" {
				f.Value = runDefaultFiles
				f.Usage += fmt.Sprintf(" (-m rclone, with -s unset too: %d)", runRcloneFiles)
			}
		case *cli.StringFlag:
			switch f.Name {
			case "size":
				f.Value = runDefaultSize
				f.Usage += fmt.Sprintf(" (-m rclone, with -f unset too: %s)", runRcloneSize)
			case "tool-options":
				f.Usage = toolOptionsUsage(tool.Rclone{}.LocalOptions("")) + `; to an s3 remote run's rclone also gets --ignore-checksum (the server checks each upload's MD5)`
			}
		}
	}
	return append(flags, liveFlag())
}

// liveFlag is run's --live.
func liveFlag() cli.Flag {
	return &cli.BoolFlag{Name: "live", Value: true, EnvVars: env("live"),
		Usage: "start each partition as soon as the scan closes it, while the scan goes on (--live=false: scan first, then copy)"}
}

// liveAllowed says whether a local run streams its partitions to the
// workers while the scan runs. It may whenever partitions are final when
// they close (fixed -f/-s, one pass); a sizing mode that needs the scan's
// totals before the first partition closes must return false here.
// Commands without --live (demo) run live.
func liveAllowed(c *cli.Context) bool {
	if c.Bool("auto") { // --auto cuts by the scan's totals: two passes
		return false
	}
	return !c.IsSet("live") || c.Bool("live")
}

// runLive prepares and executes the run at once: the workers copy the first
// partitions while the scan closes the next. When the scan fails, the
// transfers it started are stopped and the run directory is removed, as
// after any failed prepare; the error is the scan's.
func runLive(c *cli.Context, s Streams, req prepare.Request, o local.Options, progress *progress) (local.Summary, error) {
	progress.scanning = true
	o.Events = progress
	live, err := local.NewLive(c.Context, o)
	if err != nil {
		return local.Summary{}, err
	}
	req.Sink = live
	p, perr := prepare.Prepare(c.Context, req)
	if perr == nil {
		progress.Note(scanLine(p))
		if note := fewPartitionsNote(p, o.Jobs); note != "" {
			progress.Note(note)
		}
		var note strings.Builder
		printHardLinkNote(&note, p)
		if n := strings.TrimSuffix(note.String(), "\n"); n != "" {
			progress.Note(n)
		}
	}
	sum, err := live.Wait()
	progress.Finish()
	if perr != nil {
		if sum.Partitions > 0 {
			fmt.Fprintf(s.Err, "partsync: %v\n", err)
		}
		return sum, perr
	}
	printSummary(s.Err, sum, p, c.Context.Err() != nil)
	printWarnings(s.Err, p.Dir(), nil, p.Count())
	return sum, unreadableError(c, p, err)
}

// scanLine describes the finished scan of run p.
func scanLine(p *plan.Plan) string {
	line := fmt.Sprintf("partsync: run %s: %s → %s with %s: %s, %s (%s), %d skipped, %d excluded",
		p.RunID, p.Source, p.Destination, p.Tool, plural.Count(p.Count(), "partition"), plural.Count(p.Totals.Listed, "entry"), bytesize.Format(p.Totals.ListedBytes), p.Totals.Skipped, p.Totals.Excluded)
	if inc := sinceLine(p.Incremental, p.Dir()); inc != "" {
		return line + "\npartsync: " + inc
	}
	if strings.HasPrefix(p.FullRun, "run ") { // a run of the same pair that is no base: say why
		return line + "\npartsync: full run: " + p.FullRun
	}
	return line
}

// sinceLine says what an incremental run compared, or "" for a full run.
func sinceLine(inc *plan.Incremental, dir plan.Dir) string {
	if inc == nil {
		return ""
	}
	line := fmt.Sprintf("since run %s: %d new, %d changed, %s unchanged (%s, copied by it: not listed, DST not listed), %d deleted since",
		inc.BaseRunID, inc.New, inc.Changed, plural.Count(inc.Unchanged, "entry"), bytesize.Format(inc.UnchangedBytes), inc.Deleted)
	if inc.Deleted > 0 {
		line += " (" + dir.DeletedSinceFile() + ")"
	}
	return line
}
