package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/partsync/partsync/generator/partition"
	"github.com/partsync/partsync/generator/plural"
	"github.com/partsync/partsync/generator/prepare"
	"github.com/partsync/partsync/generator/scan"
	"github.com/partsync/partsync/generator/tool"
	"github.com/partsync/partsync/generator/workflow"
)

// templateCommand prints the WorkflowTemplate that runs partsync from the
// Argo UI's form. Its flags are generate's: the cluster flags fix the
// volumes, image and Secret; the plan flags and SRC DST become the form's
// defaults.
func templateCommand(s Streams) *cli.Command {
	flags := slices.DeleteFunc(planFlags(), func(f cli.Flag) bool {
		// per run; the pods use the Secret; the scan step finds its base itself
		return slices.Contains([]string{"run-id", "rclone-config", "since", "no-since"}, f.Names()[0])
	})
	flags = append(flags, slices.DeleteFunc(sizingFlags(), func(f cli.Flag) bool {
		return !slices.Contains([]string{"auto", "max-partitions"}, f.Names()[0]) // the form's; the cost model keeps its defaults
	})...)
	flags = append(append(flags, bwLimitFlag(), generateVerifyFlag(), verifyChecksumFlag()), deleteFlags()...) // the form's defaults
	flags = append(flags, clusterFlags(version)...)
	flags = append(flags,
		&cli.StringFlag{Name: "name", Value: "partsync", EnvVars: env("template-name"), Usage: "name of the WorkflowTemplate"},
		&cli.BoolFlag{Name: "cluster", EnvVars: env("template-cluster"), Usage: "print a ClusterWorkflowTemplate, usable from every namespace that has the service account, claims and Secret"},
	)
	return &cli.Command{
		Name:      "template",
		Usage:     "print the WorkflowTemplate that runs partsync from the Argo UI: scan in the cluster, then copy; SRC DST and the flags are the form's defaults",
		ArgsUsage: "SRC DST",
		Flags:     flags,
		Action: func(c *cli.Context) error {
			o, t, err := templateOptions(c)
			// CheckTemplate checks -n, --retries, --backoff and the claims.
			if err = errors.Join(err, workflow.CheckTemplate(o, t), checkOutputRenamed(c)); err != nil {
				return err
			}
			doc, err := workflow.EmitTemplate(c.Context, o, t, s.Err)
			if err != nil {
				return err
			}
			if o.RunAs != nil || t.RunAsRoot {
				announceIdentity(s, o)
			}
			if out := c.String("output-file"); out != "" {
				return writeOutput(out, doc)
			}
			_, err = s.Out.Write(doc)
			return err
		},
	}
}

// templateOptions reads and checks the flags, reporting every problem at once.
func templateOptions(c *cli.Context) (workflow.Options, workflow.TemplateOptions, error) {
	var errs []error
	if c.NArg() != 2 {
		errs = append(errs, fmt.Errorf("%w: template needs SRC and DST, the form's defaults, got %s: %q", ErrUsage, plural.Count(c.NArg(), "argument"), c.Args().Slice()))
	}
	o, err := clusterOptions(c)
	errs = append(errs, err)
	size, err := sizeValue(c)
	if err != nil {
		size = 1 // reported here; -f still checked
	}
	errs = append(errs, err, partition.CheckLimits(c.Int64("files"), size))
	errs = append(errs, partition.CheckMaxPartitions(c.Int("max-partitions")))
	if n := c.Int("scan-workers"); n < 1 {
		errs = append(errs, fmt.Errorf("%w: --scan-workers %d: give at least 1", ErrUsage, n))
	}
	_, err = bwLimitValue(c)
	errs = append(errs, err, deleteOptions(c, &prepare.Request{}))
	excludes := nonBlank(c.StringSlice("exclude"))
	_, err = scan.NewMatcher(excludes)
	errs = append(errs, err)
	if opts := c.String("tool-options"); strings.TrimSpace(opts) != "" {
		if split, err := tool.SplitOptions(opts); err != nil {
			errs = append(errs, err)
		} else if tl, err := tool.Lookup(c.String("tool")); err == nil {
			errs = append(errs, tl.CheckOptions(split))
		}
	}
	t := workflow.TemplateOptions{
		Name:      c.String("name"),
		Cluster:   c.Bool("cluster"),
		SharedDir: filepath.Clean(c.String("shared-dir")),
		RunAsRoot: c.Bool("run-as-root"),
		Defaults: workflow.FormDefaults{
			Source: c.Args().Get(0), Destination: c.Args().Get(1), Tool: c.String("tool"),
			Files: c.Int64("files"), Size: c.String("size"), ToolOptions: c.String("tool-options"),
			Excludes: excludes, ScanWorkers: c.Int("scan-workers"), Auto: c.Bool("auto"), MaxPartitions: c.Int("max-partitions"),
			BwLimit: c.String("bwlimit"), Delete: c.Bool("delete"), MaxDelete: c.Int64("max-delete"),
		},
	}
	return o, t, errors.Join(errs...)
}
