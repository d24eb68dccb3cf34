package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/partsync/partsync/generator/bytesize"
	"github.com/partsync/partsync/generator/local"
	"github.com/partsync/partsync/generator/plural"
	"github.com/partsync/partsync/generator/prepare"
	"github.com/partsync/partsync/generator/testtree/check"
	"github.com/partsync/partsync/generator/testtree/sample"
	"github.com/partsync/partsync/generator/tool"
)

// demoCommand is the main job on the embedded default: a sample tree copied
// locally with real rsync (or rclone), then checked byte for byte.
func demoCommand(s Streams) *cli.Command {
	return &cli.Command{
		Name:  "demo",
		Usage: "build a sample tree, copy it with `partsync run` (no cluster needed), and verify the copy",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "tool", Aliases: []string{"m"}, Value: "rsync", Usage: "rsync or rclone"},
			&cli.IntFlag{Name: "jobs", Aliases: []string{"n"}, Value: 4, Usage: "transfers at once"},
			&cli.Int64Flag{Name: "files", Aliases: []string{"f"}, Value: 250, Usage: "entries per partition"},
			&cli.StringFlag{Name: "dir", Usage: "work directory (default: a new temporary one, kept for you to look at)"},
		},
		Action: func(c *cli.Context) error {
			dir := c.String("dir")
			if dir == "" {
				var err error
				if dir, err = os.MkdirTemp("", "partsync-demo-"); err != nil {
					return fmt.Errorf("demo: %w", err)
				}
			}
			src, dst, runs := filepath.Join(dir, "source"), filepath.Join(dir, "destination"), filepath.Join(dir, "runs")
			if _, err := os.Stat(src); err == nil {
				return fmt.Errorf("%w: demo: %s exists; give --dir a new or empty directory", ErrUsage, src)
			}
			spec := sample.Default()
			made, err := sample.Build(src, spec)
			if err != nil {
				return err
			}
			fmt.Fprintf(s.Err, "partsync demo: sample tree %s: %s, %s, %s, %s\n",
				src, plural.Count(made.Files, "file"), plural.Count(made.Dirs, "directory"), plural.Count(made.Symlinks, "symlink"), bytesize.Format(made.Bytes))
			req := prepare.Request{
				Source: src, Destination: dst, Tool: c.String("tool"), MaxFiles: c.Int64("files"), MaxBytes: 4 << 30,
				SharedDir: runs, ScanWorkers: 16, Version: version, Getenv: os.Getenv, Now: time.Now,
			}
			sum, err := runLocal(c, s, req, local.Options{Jobs: c.Int("jobs"), Retries: 2, Backoff: time.Second, Env: tool.LocalEnv("", os.LookupEnv)})
			if err != nil {
				return err
			}
			rsync := req.Tool == "rsync"
			report, err := check.Compare(src, dst, check.Options{Modes: rsync, Mtimes: true, Symlinks: rsync, Dirs: rsync})
			if err != nil {
				return fmt.Errorf("demo: %w", err)
			}
			fmt.Fprintf(s.Err, "partsync demo: verified %s (%s), %s, %s at %s: same bytes%s as the source\n",
				plural.Count(report.Files, "file"), bytesize.Format(report.Bytes), plural.Count(report.Dirs, "directory"), plural.Count(report.Symlinks, "symlink"), dst, map[bool]string{true: ", modes and mtimes", false: " and mtimes"}[rsync])
			fmt.Fprintf(s.Err, "partsync demo: run directory %s (plan.json, parts/, status/, logs/); %s in %s\n",
				filepath.Join(runs, sum.RunID), plural.Count(sum.Partitions, "partition"), sum.Elapsed.Round(time.Millisecond))
			return nil
		},
	}
}
