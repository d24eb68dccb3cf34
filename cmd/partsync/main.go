// Command partsync scans a file tree once, splits it into partitions, and
// copies them in parallel with rsync or rclone: as an Argo Workflow
// (generate) or on this machine (run).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/urfave/cli/v2"
)

// version of partsync; the default image tag follows it.
const version = "0.1.0"

func main() {
	// Help lines wrap at the terminal's width. urfave/cli takes its printer
	// from a package variable: main, the process's one owner, sets it once.
	cli.HelpPrinter = wrappingHelpPrinter(terminalWidth)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := Run(ctx, os.Args, Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "partsync:", err)
	}
	os.Exit(exitCode(err))
}

// Streams are the terminal the commands talk to.
type Streams struct {
	In  io.Reader
	Out io.Writer // what programs read: YAML, JSON
	Err io.Writer // progress, logs, summaries
}
