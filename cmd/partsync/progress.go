package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/schollz/progressbar/v3"
	"github.com/urfave/cli/v2"

	"github.com/partsync/partsync/generator/bytesize"
	"github.com/partsync/partsync/generator/plan"
	"github.com/partsync/partsync/generator/plural"
)

// progress reports a local run on stderr: a progress bar on a terminal,
// one plain line per finished attempt otherwise (logs, CI).
type progress struct {
	mu    sync.Mutex
	w     io.Writer
	bar   *progressbar.ProgressBar // nil when w is not a terminal
	total int
	done  int
	// scanning is true while a live run's scan is still closing
	// partitions: the total is a lower bound (see liveprogress.go).
	scanning bool
	// ctx is the run's: once it is cancelled (Ctrl-C, SIGTERM), a failed
	// attempt was stopped by it, not failed by the tool.
	ctx context.Context
	// verbose (-v) adds each attempt's argv; quiet (-q) leaves out the bar
	// and the lines of attempts that succeeded.
	verbose, quiet bool
}

// newProgress reports on w for the run of c, with its -v and -q.
func newProgress(c *cli.Context, w io.Writer) *progress {
	return &progress{w: w, ctx: c.Context, verbose: c.Bool("verbose"), quiet: c.Bool("quiet")}
}

// verbosityFlags are run's -v and -q, as fpsync users expect them.
func verbosityFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, EnvVars: env("verbose"), Usage: "also print each attempt's command line (argv), as fpsync -v shows its jobs"},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, EnvVars: env("quiet"), Usage: "no progress bar and no line for a partition that succeeded: only failures, warnings and the summary"},
	}
}

// checkVerbosity refuses -v with -q.
func checkVerbosity(c *cli.Context) error {
	if c.Bool("verbose") && c.Bool("quiet") {
		return fmt.Errorf("%w: -v/--verbose and -q/--quiet: give one of them", ErrUsage)
	}
	return nil
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// Started implements local.Events.
func (p *progress) Started(partitions int, files, bytes int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.total = partitions
	if isTerminal(p.w) && !p.quiet {
		max := bytes
		if p.scanning {
			max = -1 // unknown: no percentage until the scan ends
		}
		p.bar = newBar(p.w, max, p.count())
	}
}

// newBar is the terminal's progress bar of max bytes (-1: unknown yet). Its
// units are IEC (KiB, MiB), as in the summary's bytesize.Format.
func newBar(w io.Writer, max int64, description string) *progressbar.ProgressBar {
	return progressbar.NewOptions64(max,
		progressbar.OptionSetWriter(w),
		progressbar.OptionShowBytes(true),
		progressbar.OptionUseIECUnits(true),
		progressbar.OptionShowCount(),
		progressbar.OptionSetDescription(description),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetWidth(30),
		progressbar.OptionClearOnFinish(),
	)
}

// Attempted implements local.Events.
func (p *progress) Attempted(st *plan.Status, final bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if final {
		p.done++
	}
	if p.bar != nil {
		if final {
			_ = p.bar.Add64(st.Bytes)
			p.bar.Describe(p.count())
		}
		if !st.OK && p.ctx.Err() == nil {
			_ = p.bar.Clear()
			fmt.Fprintf(p.w, "partsync: part %d attempt %d failed (exit %d)\n", st.Part, st.Attempts, st.ExitCode)
		}
		return
	}
	if p.verbose {
		defer fmt.Fprintf(p.w, "      argv: %q\n", st.Argv)
	}
	if p.quiet && st.OK {
		return
	}
	state := "ok"
	switch {
	case !st.OK && p.ctx.Err() != nil:
		state = "interrupted"
	case !st.OK && final:
		state = fmt.Sprintf("FAILED (exit %d, no retries left)", st.ExitCode)
	case !st.OK:
		state = fmt.Sprintf("failed (exit %d), will retry", st.ExitCode)
	}
	fmt.Fprintf(p.w, "partsync: part %d attempt %d %s: %s, %s in %.1fs [%s done]\n",
		st.Part, st.Attempts, state, plural.Count(st.Files, "file"), bytesize.Format(st.Bytes), st.Seconds, p.count())
}

// Finish removes the bar before the summary is printed.
func (p *progress) Finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}
