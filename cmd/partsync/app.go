package main

import (
	"context"
	"fmt"

	"github.com/urfave/cli/v2"
)

// Run runs the partsync command line args and returns the error that decides
// the exit code. It never exits.
func Run(ctx context.Context, args []string, s Streams) error {
	app := newApp(s)
	if len(args) > 1 && args[1] == "help" { // partsync help [COMMAND], as argo and kubectl have it
		args = append(append([]string{args[0]}, args[2:]...), "--help")
	}
	if len(args) > 2 {
		if cmd := app.Command(args[1]); cmd != nil {
			args = append(args[:2:2], flagsFirst(cmd, args[2:])...)
		}
	}
	err := app.RunContext(ctx, args)
	if err == nil && len(args) > 1 && app.Command(args[1]) == nil && args[1][0] != '-' {
		return fmt.Errorf("%w: unknown command %q; commands: generate, run, status, lint, template, transfer, record, dirs, demo", ErrUsage, args[1])
	}
	return err
}

// newApp is the command line: every command and flag partsync has (docs/flags.md
// is generated from it).
func newApp(s Streams) *cli.App {
	app := &cli.App{
		Name:      "partsync",
		Usage:     "copy a huge file tree in parallel partitions with rsync or rclone, on Argo Workflows or locally",
		Version:   version,
		Reader:    s.In,
		Writer:    s.Out, // --help and --version: what was asked for goes to stdout, as kubectl and argo do
		ErrWriter: s.Err,
		// -x '*.{jpg,png}' is one pattern; PARTSYNC_EXCLUDE and PARTSYNC_PVC
		// take several values, one per line.
		SliceFlagSeparator: "\n",
		HideHelpCommand:    true,
		ExitErrHandler:     func(*cli.Context, error) {}, // only main exits
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return fmt.Errorf("%w: %v (see partsync --help)", ErrUsage, err)
		},
		Commands: []*cli.Command{
			generateCommand(s),
			runCommand(s),
			lintCommand(s),
			templateCommand(s),
			transferCommand(s),
			recordCommand(s),
			statusCommand(s),
			dirsCommand(s),
			demoCommand(s),
		},
		CommandNotFound: func(*cli.Context, string) {}, // reported below as a usage error
	}
	for _, cmd := range app.Commands {
		cmd.OnUsageError = app.OnUsageError
	}
	return app
}
