package main

import (
	"fmt"
	"io"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/partsync/partsync/generator/plan"
	"github.com/partsync/partsync/generator/plural"
	"github.com/partsync/partsync/generator/tool"
	"github.com/partsync/partsync/generator/verify"
)

// verifyCommand compares DST with a run's partitions.
func verifyCommand(s Streams) *cli.Command {
	return &cli.Command{
		Name:      "verify",
		Usage:     "compare DST with a run's partitions, -n at once: size and mtime (--checksum: content); verify.json names every entry missing, differing or extra at DST; exit 5 on any",
		ArgsUsage: "RUN_ID|RUN_DIR",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "shared-dir", Aliases: []string{"d"}, Value: defaultSharedDir, EnvVars: env("shared-dir"), Usage: "directory that holds run directories"},
			&cli.IntFlag{Name: "jobs", Aliases: []string{"n"}, Value: defaultJobs, EnvVars: env("jobs"), Usage: "partitions compared at once"},
			&cli.BoolFlag{Name: "checksum", EnvVars: env("checksum"), Usage: "compare content (rsync --checksum; rclone check with the hashes both sides keep), not only size and mtime"},
			&cli.StringFlag{Name: "rclone-config", EnvVars: env("rclone-config"), Usage: "rclone config holding DST's remote"},
			&cli.IntFlag{Name: "part", Value: -1, Usage: "compare only partition N and write verify/N.json, exit 0 whatever it found (a workflow's verify pod; --collect sums them)"},
			&cli.BoolFlag{Name: "collect", Usage: "compare nothing: sum the verify/N.json of every partition into verify.json, list DST for extra entries, exit 5 on any mismatch (the workflow's step after its verify pods)"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return fmt.Errorf("%w: verify needs one RUN_ID or run directory, got %s: %q", ErrUsage, plural.Count(c.NArg(), "argument"), c.Args().Slice())
			}
			dir, err := plan.Find(c.String("shared-dir"), c.Args().First())
			if err != nil {
				return err
			}
			p, err := plan.Load(dir)
			if err != nil {
				return err
			}
			if p.DryRun {
				return fmt.Errorf("%w: run %s was a dry run: it copied nothing to verify", ErrUsage, p.RunID)
			}
			o := verifyOptions(c, c.Bool("checksum"))
			switch {
			case c.IsSet("part") && c.Bool("collect"):
				return fmt.Errorf("%w: --part and --collect: a verify pod compares one partition (--part), the step after them collects (--collect); give one", ErrUsage)
			case c.IsSet("part"):
				o.Output = s.Err
				v, err := verify.Part(c.Context, p, c.Int("part"), o)
				if err == nil {
					printVerifyPart(s.Err, p, v)
				}
				return err
			case c.Bool("collect"):
				v, err := verify.Collect(c.Context, p, o)
				if v != nil {
					printVerify(s.Err, p, v)
				}
				return err
			}
			return verifyPlan(c, s, p, o)
		},
	}
}

// printVerifyPart reports the comparison of one partition.
func printVerifyPart(w io.Writer, p *plan.Plan, v *plan.VerifyPart) {
	if f := v.Failure; f != nil {
		fmt.Fprintf(w, "partsync: verify %s part %d not compared, exit code %d: %s\n", p.RunID, v.Part, f.ExitCode, f.Error)
		return
	}
	fmt.Fprintf(w, "partsync: verify %s part %d: %d entries checked: %d missing, %d differing; %s\n",
		p.RunID, v.Part, v.Checked, len(v.Missing), len(v.Differing), p.Dir().VerifyPartFile(v.Part))
}

// runVerifyFlag is run's --verify.
func runVerifyFlag() cli.Flag {
	return &cli.BoolFlag{Name: "verify", EnvVars: env("verify"),
		Usage: "after every partition and the directory step succeeded, compare DST with the run as partsync verify does (size and mtime), -n at once; exit 5 on any difference"}
}

// generateVerifyFlag is generate's --verify.
func generateVerifyFlag() cli.Flag {
	return &cli.BoolFlag{Name: "verify", EnvVars: env("verify"),
		Usage: "after every partition and the directory step, compare DST with the run (size and mtime): one pod per partition, -n at once, then a step that writes verify.json and fails the workflow (exit 5) on any difference; a split run verifies in one pod of the parent"}
}

// verifyChecksumName is the flag of run and generate that verifies content.
const verifyChecksumName = "verify-checksum"

// verifyChecksumFlag is run's and generate's --verify-checksum.
func verifyChecksumFlag() cli.Flag {
	return &cli.BoolFlag{Name: verifyChecksumName, EnvVars: env(verifyChecksumName),
		Usage: "--verify comparing content, as partsync verify --checksum does (rsync --checksum; rclone check with the hashes both sides keep): reads every byte on both sides; implies --verify"}
}

// verifyOptions reads the verify command's flags.
func verifyOptions(c *cli.Context, checksum bool) verify.Options {
	return verify.Options{Jobs: c.Int("jobs"), Checksum: checksum, Env: tool.LocalEnv(c.String("rclone-config"), os.LookupEnv)}
}

// verifyPlan compares DST with p, -n at once, and prints the outcome.
func verifyPlan(c *cli.Context, s Streams, p *plan.Plan, o verify.Options) error {
	v, err := verify.Run(c.Context, p, o)
	if v != nil {
		printVerify(s.Err, p, v)
	}
	return err
}

// printVerify writes the outcome of a verification, naming the first entries.
func printVerify(w io.Writer, p *plan.Plan, v *plan.Verify) {
	mode := "size and mtime"
	if v.Checksum {
		mode = "content"
	}
	fmt.Fprintf(w, "partsync: verify %s (%s): %d entries checked: %d missing, %d differing, %d extra at DST, %d partitions not compared; %s\n",
		v.RunID, mode, v.Checked, len(v.Missing), len(v.Differing), len(v.Extra), len(v.Failed), p.Dir().VerifyFile())
	for _, m := range first(v.Missing, 10) {
		fmt.Fprintf(w, "partsync: missing at DST: %q\n", m)
	}
	for _, d := range first(v.Differing, 10) {
		fmt.Fprintf(w, "partsync: differs at DST: %q\n", d)
	}
	for _, e := range first(v.Extra, 10) {
		fmt.Fprintf(w, "partsync: extra at DST (not in the source): %q\n", e)
	}
	if v.ExtraError != "" {
		fmt.Fprintf(w, "partsync: DST not listed for extra entries: %s\n", v.ExtraError)
	}
	for _, f := range v.Failed {
		fmt.Fprintf(w, "partsync: part %d not compared, exit code %d: %s\n", f.Part, f.ExitCode, f.Error)
	}
}

func first(s []string, n int) []string { return s[:min(len(s), n)] }
