package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/partsync/partsync/generator/bytesize"
	"github.com/partsync/partsync/generator/plan"
	"github.com/partsync/partsync/generator/plural"
	"github.com/partsync/partsync/generator/prepare"
	"github.com/partsync/partsync/generator/workflow"
)

func generateCommand(s Streams) *cli.Command {
	return &cli.Command{
		Name:      "generate",
		Usage:     "scan SRC, write the run directory, and print an Argo Workflow that copies it to DST",
		ArgsUsage: "SRC DST",
		Flags:     append(append(append(planFlags(), sizingFlags()...), clusterFlags(version)...), append([]cli.Flag{summaryFlag(), bwLimitFlag(), generateVerifyFlag(), verifyChecksumFlag()}, deleteFlags()...)...),
		Action: func(c *cli.Context) error {
			req, checked, err := request(c, version)
			wopts, werr := clusterOptions(c)
			if !c.IsSet("run-as-user") && !c.Bool("run-as-root") && os.Getuid() != 0 {
				// The pods get the rights the user running generate has here: that
				// user owns the run directory the pods write status files to.
				// Run as root, generate gives the pods the image's non-root user
				// (and the run directory to it): root pods are only ever chosen.
				wopts.RunAs = &workflow.Identity{UID: int64(os.Getuid()), GID: int64(os.Getgid())}
			}
			if err = errors.Join(err, werr, checkSummaryFlag(c), checkOutputRenamed(c)); err != nil {
				return err
			}
			target := workflow.Target{
				Tool: checked.Tool.Name(), Source: checked.Source, RunDir: checked.SharedDir,
				LocalDestination: checked.Destination.LocalPath, RemoteName: checked.Destination.Remote,
			}
			if err := wopts.Check(target); err != nil {
				return err
			}
			return generate(c, s, req, wopts)
		},
	}
}

// generate prepares the run, builds the workflow, lints it with Argo's
// validator, and writes it. A failure after the scan removes the run.
func generate(c *cli.Context, s Streams, req prepare.Request, o workflow.Options) error {
	p, err := prepare.Prepare(c.Context, req)
	if err != nil {
		return err
	}
	if err := emitWithSummary(c, s, p, o, func() error { return emit(c, s, p, o) }); err != nil {
		return errors.Join(err, plan.Discard(p.Dir()))
	}
	fmt.Fprintf(s.Err, "partsync: run %s: %s, %s listed (%s), %d skipped, %d excluded; run directory %s\n",
		p.RunID, plural.Count(p.Count(), "partition"), plural.Count(p.Totals.Listed, "entry"), bytesize.Format(p.Totals.ListedBytes), p.Totals.Skipped, p.Totals.Excluded, p.RunDir)
	if line := sinceLine(p.Incremental, p.Dir()); line != "" {
		fmt.Fprintf(s.Err, "partsync: %s\n", line)
	}
	if p.Totals.Skipped > 0 {
		fmt.Fprintf(s.Err, "partsync: %s %s in no partition; the reasons are in %s\n", plural.Count(p.Totals.Skipped, "entry"), plural.Form(p.Totals.Skipped, "is", "are"), p.Dir().SkippedFile())
	}
	printHardLinkNote(s.Err, p)
	printSplit(s.Err, p, o)
	return nil
}

// emit writes the workflow into the run directory and lints it
// (workflow.Emit), and prints it or writes it to --output-file.
func emit(c *cli.Context, s Streams, p *plan.Plan, o workflow.Options) error {
	e, err := workflow.Emit(c.Context, p, o, s.Err)
	if err != nil {
		return err
	}
	if err := giveRunDir(s, p, o); err != nil {
		return err
	}
	if out := c.String("output-file"); out != "" {
		return writeOutput(out, e.Doc)
	}
	_, err = s.Out.Write(e.Doc)
	return err
}

// giveRunDir says on stderr who the pods run as when it is not the user
// running generate, and then, if generate runs as root, gives the run
// directory to the pods' user, who writes status files and the outcome in it.
func giveRunDir(s Streams, p *plan.Plan, o workflow.Options) error {
	id := o.Identity()
	if id.UID == int64(os.Getuid()) && id.UID != 0 {
		return nil
	}
	announceIdentity(s, o)
	if os.Geteuid() != 0 || id.UID == 0 {
		return nil
	}
	fmt.Fprintf(s.Err, "partsync: the run directory %s is given to %d:%d; DST must be writable by that user too\n", p.RunDir, id.UID, id.GID)
	return plan.GiveTo(p.Dir(), int(id.UID), int(id.GID))
}

// announceIdentity says on stderr who the pods run as and the Pod Security
// level their namespace must allow.
func announceIdentity(s Streams, o workflow.Options) {
	id := o.Identity()
	switch {
	case id.UID == 0:
		fmt.Fprintf(s.Err, "partsync: the pods run as root (--run-as-root) with the capabilities %s, to keep owners: their namespace must allow Pod Security level baseline\n", strings.Join(workflow.RootCapabilities(), ", "))
	case o.RunAs == nil:
		fmt.Fprintf(s.Err, "partsync: the pods run as the image's non-root user %d:%d (Pod Security level restricted); --run-as-root keeps owners, --run-as-user UID[:GID] picks another user\n", id.UID, id.GID)
	default:
		fmt.Fprintf(s.Err, "partsync: the pods run as %d:%d (Pod Security level restricted)\n", id.UID, id.GID)
	}
}
