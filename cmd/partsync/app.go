package main

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

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
			ordered, err := flagsFirst(cmd, args[2:])
			if err != nil {
				return err
			}
			args = append(args[:2:2], ordered...)
		}
	}
	err := app.RunContext(ctx, args)
	if err == nil && len(args) > 1 && app.Command(args[1]) == nil && args[1][0] != '-' {
		return fmt.Errorf("%w: unknown command %q; commands: generate, run, status, verify, prune, lint, template, transfer, record, dirs, demo", ErrUsage, args[1])
	}
	return err
}

// newApp is the command line: every command and flag partsync has (docs/flags.md
// is generated from it).
func newApp(s Streams) *cli.App {
	app := &cli.App{
		Name:    "partsync",
		Usage:   "copy a huge file tree in parallel partitions with rsync or rclone, on Argo Workflows or locally",
		Version: version,
		// urfave/cli's own --version flag is a package variable with the
		// alias -v, which fpsync users expect to mean --verbose: partsync
		// hides it and has its own, --version alone (TestVersionFlag).
		HideVersion: true,
		Flags:       []cli.Flag{&cli.BoolFlag{Name: "version", Usage: "print the version", DisableDefaultText: true}},
		// The help keeps its VERSION section, which HideVersion would drop.
		CustomAppHelpTemplate: strings.Replace(cli.AppHelpTemplate, "{{if not .HideVersion}}", "{{if .Version}}", 1),
		Action: func(c *cli.Context) error {
			if c.Bool("version") {
				_, err := fmt.Fprintf(c.App.Writer, "%s version %s\n", c.App.Name, c.App.Version)
				return err
			}
			if c.Args().Present() {
				return nil // an unknown command: Run reports it
			}
			return cli.ShowAppHelp(c) // what urfave/cli does without an Action
		},
		Reader:    s.In,
		Writer:    s.Out, // --help and --version: what was asked for goes to stdout, as kubectl and argo do
		ErrWriter: s.Err,
		// -x '*.{jpg,png}' is one pattern; PARTSYNC_EXCLUDE and PARTSYNC_PVC
		// take several values, one per line.
		SliceFlagSeparator: "\n",
		HideHelpCommand:    true,
		ExitErrHandler:     func(*cli.Context, error) {}, // only main exits
		OnUsageError: func(c *cli.Context, err error, _ bool) error {
			return fmt.Errorf("%w: %v (see partsync --help)", ErrUsage, usageHint(c, err))
		},
		Commands: []*cli.Command{
			generateCommand(s),
			runCommand(s),
			lintCommand(s),
			templateCommand(s),
			transferCommand(s),
			recordCommand(s),
			statusCommand(s),
			verifyCommand(s),
			pruneCommand(s),
			dirsCommand(s),
			demoCommand(s),
		},
		CommandNotFound: func(*cli.Context, string) {}, // reported below as a usage error
	}
	for _, cmd := range app.Commands {
		cmd.OnUsageError = app.OnUsageError
		withExamples(cmd)
	}
	return app
}

// badFlagValue is urfave/cli's message for a value its flag cannot parse.
var badFlagValue = regexp.MustCompile(`^invalid value "([^"]*)" for flag -+([\w-]+): `)

// usageHint rewrites urfave/cli's message for a bad flag value as partsync's
// one line: the flag as it is written (--backoff, not -backoff), the value,
// and the fix; a bare number given to a duration flag asks for its unit.
func usageHint(c *cli.Context, err error) error {
	m := badFlagValue.FindStringSubmatch(err.Error())
	if m == nil {
		return err
	}
	dash := "--"
	if len(m[2]) == 1 {
		dash = "-"
	}
	if _, nerr := strconv.ParseFloat(m[1], 64); nerr == nil && flagIs[*cli.DurationFlag](c, m[2]) {
		return fmt.Errorf("%s%s %s: a duration needs its unit: write %ss (or m, h)", dash, m[2], m[1], m[1])
	}
	if flagIs[*cli.IntFlag](c, m[2]) || flagIs[*cli.Int64Flag](c, m[2]) {
		return fmt.Errorf("%s%s %q: give a whole number", dash, m[2], m[1])
	}
	return errors.New(dash + m[2] + " " + strconv.Quote(m[1]) + ": " + strings.TrimPrefix(err.Error(), m[0]))
}

// flagIs reports whether name is a flag of type F of c's command.
func flagIs[F cli.Flag](c *cli.Context, name string) bool {
	if c == nil || c.Command == nil {
		return false
	}
	for _, f := range c.Command.Flags {
		if _, ok := f.(F); ok && slices.Contains(f.Names(), name) {
			return true
		}
	}
	return false
}
