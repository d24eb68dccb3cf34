package main

// generate: a failure leaves nothing half-written, every flag can come from
// the environment, and the same input gives byte-identical output.

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/partsync/partsync/generator/testtree"
)

// TestGenerateFailureLeavesNothing: a generate that fails after its scan
// (the workflow cannot be written to --output) or during it (interrupted)
// removes the run directory it created and prints no workflow.
func TestGenerateFailureLeavesNothing(t *testing.T) {
	setup := func(t *testing.T) (base, src, shared string) {
		base = t.TempDir()
		src, shared = filepath.Join(base, "src"), filepath.Join(base, "runs")
		buildSampleTree(t, src, 4, 10)
		if err := os.Mkdir(shared, 0o755); err != nil {
			t.Fatal(err)
		}
		return base, src, shared
	}
	leftovers := func(t *testing.T, base, shared string) {
		t.Helper()
		if entries, err := os.ReadDir(shared); err != nil || len(entries) > 0 {
			t.Errorf("the shared dir holds %v (%v); the failed generate must remove its run directory", entries, err)
		}
		for path := range testtree.Files(t, base) {
			if strings.Contains(filepath.Base(path), ".tmp-") || strings.HasSuffix(path, ".yaml") {
				t.Errorf("left behind: %s", path)
			}
		}
	}

	t.Run("after the scan", func(t *testing.T) {
		t.Parallel()
		base, src, shared := setup(t)
		notDir := filepath.Join(base, "src", "odd names", "old.txt") // a regular file
		out := filepath.Join(notDir, "wf.yaml")
		res := partsync(context.Background(), "generate", "-d", shared, "--run-id", "half", "--pvc", "data:"+base,
			"--output-file", out, src, filepath.Join(base, "dst"))
		// Exit 1 (an I/O error after the scan); 2 if --output is ever checked before it.
		if res.code != ExitError && res.code != ExitUsage {
			t.Fatalf("exit %d, want %d or %d\n%s", res.code, ExitError, ExitUsage, res)
		}
		if !strings.Contains(errText(res.err), out) {
			t.Errorf("the error does not name --output %s: %v", out, res.err)
		}
		if res.stdout != "" {
			t.Errorf("a failed generate printed a workflow:\n%s", res.stdout)
		}
		leftovers(t, base, shared)
	})
	t.Run("interrupted", func(t *testing.T) {
		t.Parallel()
		base, src, shared := setup(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		needTools(t, "rsync") // run looks for it before it scans
		for _, args := range [][]string{
			{"generate", "--pvc", "data:" + base},
			{"run"},
		} {
			command := args[0]
			res := partsync(ctx, append(args, "-d", shared, "--run-id", "cut", src, filepath.Join(base, "dst"))...)
			if res.code != ExitInterrupted {
				t.Errorf("%s: exit %d, want %d (interrupted)\n%s", command, res.code, ExitInterrupted, res)
			}
			if res.stdout != "" {
				t.Errorf("%s: printed %q", command, res.stdout)
			}
			leftovers(t, base, shared)
		}
	})
}

// TestEveryFlagHasItsEnvVar: each flag of generate, run and lint can be
// given as PARTSYNC_<NAME>, as the README's flag tables say.
func TestEveryFlagHasItsEnvVar(t *testing.T) {
	app := map[string][]cli.Flag{
		"generate": generateCommand(Streams{}).Flags,
		"run":      runCommand(Streams{}).Flags,
		"lint":     lintCommand(Streams{}).Flags,
	}
	format := outputFlag(nil).(*cli.StringFlag).Usage
	count := 0
	for command, flags := range app {
		for _, f := range flags {
			name := f.Names()[0]
			if sf, ok := f.(*cli.StringFlag); ok && sf.Usage == format {
				// -o/--output is what the caller reads, not a setting of the
				// copy: as with argo and kubectl, no environment variable
				// changes it under a script that parses the text form.
				if len(sf.EnvVars) != 0 {
					t.Errorf("%s --output (the format) reads %q; it must read no environment", command, sf.EnvVars)
				}
				continue
			}
			want := "PARTSYNC_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
			var envs []string
			if e, ok := f.(interface{ GetEnvVars() []string }); ok {
				envs = e.GetEnvVars()
			}
			if !slices.Equal(envs, []string{want}) {
				t.Errorf("%s --%s: env %q, want [%s]", command, name, envs, want)
			}
			count++
		}
	}
	if count < 19 {
		t.Errorf("only %d flags found; the test lost track of the commands", count)
	}
}

// TestFlagsFromEnvironment sets every flag of generate through PARTSYNC_*
// and finds each value in plan.json or the workflow; a flag on the command
// line wins over its variable. `run` then takes the same environment and
// hands PARTSYNC_RCLONE_CONFIG to rclone.
func TestFlagsFromEnvironment(t *testing.T) {
	base := t.TempDir()
	src, shared := filepath.Join(base, "src"), filepath.Join(base, "env-runs")
	buildSampleTree(t, src, 3, 10)
	s3 := StartS3(t, "bucket")
	cfg := s3.WriteRcloneConfig(t, base, "s3test")
	out := filepath.Join(base, "workflow.yaml")
	for k, v := range map[string]string{
		"PARTSYNC_JOBS":                 "3",
		"PARTSYNC_FILES":                "7",
		"PARTSYNC_SIZE":                 "1MiB",
		"PARTSYNC_TOOL":                 "rclone",
		"PARTSYNC_TOOL_OPTIONS":         "--retries=1 --transfers=2 --checkers=3",
		"PARTSYNC_SHARED_DIR":           shared,
		"PARTSYNC_EXCLUDE":              "*.tmp",
		"PARTSYNC_RUN_ID":               "from-env",
		"PARTSYNC_SCAN_WORKERS":         "3",
		"PARTSYNC_RCLONE_CONFIG":        cfg,
		"PARTSYNC_RETRIES":              "5",
		"PARTSYNC_BACKOFF":              "45s",
		"PARTSYNC_PVC":                  "data:" + base,
		"PARTSYNC_IMAGE":                "registry.example/partsync:env",
		"PARTSYNC_NAMESPACE":            "copies",
		"PARTSYNC_SERVICE_ACCOUNT":      "mover",
		"PARTSYNC_RCLONE_CONFIG_SECRET": "my-rclone:conf",
		"PARTSYNC_OUTPUT_FILE":          out,
	} {
		t.Setenv(k, v)
	}
	res := mustPartsync(t, "generate", "-n", "4", src, "s3test:bucket/env") // -n wins over PARTSYNC_JOBS
	if res.stdout != "" {
		t.Errorf("PARTSYNC_OUTPUT_FILE is set, yet the workflow went to stdout")
	}
	doc, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("PARTSYNC_OUTPUT_FILE: %v", err)
	}
	wf := parseWorkflow(t, string(doc))
	runDir := filepath.Join(shared, "from-env")
	p := loadPlan(t, runDir)

	check := func(what string, got, want any) {
		t.Helper()
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		if !bytes.Equal(g, w) {
			t.Errorf("%s: %s, want %s", what, g, w)
		}
	}
	check("plan run_id (PARTSYNC_RUN_ID)", p.RunID, "from-env")
	check("plan run_dir (PARTSYNC_SHARED_DIR)", p.RunDir, runDir)
	check("plan tool (PARTSYNC_TOOL)", p.Tool, "rclone")
	check("plan max_files (PARTSYNC_FILES)", p.MaxFiles, 7)
	check("plan max_bytes (PARTSYNC_SIZE)", p.MaxBytes, 1<<20)
	check("plan tool_options (PARTSYNC_TOOL_OPTIONS)", p.ToolOptions, []string{"--retries=1", "--transfers=2", "--checkers=3"})
	check("plan excludes (PARTSYNC_EXCLUDE)", p.Excludes, []string{"*.tmp"})
	check("plan excluded (PARTSYNC_EXCLUDE)", p.Totals.Excluded, 2)
	check("parallelism (-n over PARTSYNC_JOBS)", wf.Spec.Parallelism, 4)
	check("namespace (PARTSYNC_NAMESPACE)", wf.Namespace, "copies")
	check("serviceAccountName (PARTSYNC_SERVICE_ACCOUNT)", wf.Spec.ServiceAccountName, "mover")
	tmpl := workflowTemplate(t, wf, "transfer")
	check("image (PARTSYNC_IMAGE)", tmpl.Container.Image, "registry.example/partsync:env")
	check("retry limit (PARTSYNC_RETRIES)", tmpl.RetryStrategy.Limit.IntValue(), 5)
	check("retry backoff (PARTSYNC_BACKOFF)", tmpl.RetryStrategy.Backoff.Duration, "45s")
	var claims, secrets []string
	for _, v := range wf.Spec.Volumes {
		if v.PersistentVolumeClaim != nil {
			claims = append(claims, v.PersistentVolumeClaim.ClaimName)
		}
		if v.Secret != nil {
			secrets = append(secrets, v.Secret.SecretName+":"+v.Secret.Items[0].Key)
		}
	}
	check("claims (PARTSYNC_PVC)", claims, []string{"data"})
	check("secrets (PARTSYNC_RCLONE_CONFIG_SECRET)", secrets, []string{"my-rclone:conf"})

	// run reads the same variables; the S3 copy works only if rclone got
	// PARTSYNC_RCLONE_CONFIG (there is no other config).
	needTools(t, "rclone")
	mustPartsync(t, "run", "--run-id", "run-from-env", "--backoff", "200ms", src, "s3test:bucket/env")
	rp := loadPlan(t, filepath.Join(shared, "run-from-env"))
	check("run: max_files (PARTSYNC_FILES)", rp.MaxFiles, 7)
	if n := len(s3.Objects(t, "bucket", "env/")); int64(n) != rp.Totals.Listed || n == 0 {
		t.Errorf("%d objects in the bucket, %d files listed", n, rp.Totals.Listed)
	}
	if st := loadStatus(t, filepath.Join(shared, "run-from-env"), 0); !slices.Contains(st.Argv, "--transfers=2") {
		t.Errorf("run did not use PARTSYNC_TOOL_OPTIONS: %q", st.Argv)
	}
}

// TestMultiValueFlagsFromEnvironment: the README promises that
// PARTSYNC_EXCLUDE and PARTSYNC_PVC take several values, one per line.
func TestMultiValueFlagsFromEnvironment(t *testing.T) {
	base := t.TempDir()
	src, shared := filepath.Join(base, "src"), filepath.Join(base, "runs")
	tree := buildSampleTree(t, src, 3, 10)
	// A comma inside braces is part of the pattern, not a separator.
	excludes := append(slices.Clone(sampleExcludes), "*.{bak,old}")
	t.Setenv("PARTSYNC_EXCLUDE", strings.Join(excludes, "\n"))
	t.Setenv("PARTSYNC_PVC", "data:"+base+"\nscratch-claim:/mnt/extra")
	res := partsync(context.Background(), "generate", "-d", shared, "--run-id", "multi", src, filepath.Join(base, "dst"))
	if res.code != ExitOK {
		t.Fatalf("%s", res)
	}
	p := loadPlan(t, filepath.Join(shared, "multi"))
	if !slices.Equal(p.Excludes, excludes) || p.Totals.Excluded != tree.excludedMatches {
		t.Errorf("PARTSYNC_EXCLUDE=%q: plan excludes %q and excluded %d entries; want %q and %d",
			strings.Join(excludes, "\n"), p.Excludes, p.Totals.Excluded, excludes, tree.excludedMatches)
	}
	wf := parseWorkflow(t, res.stdout)
	var claims []string
	for _, v := range wf.Spec.Volumes {
		if v.PersistentVolumeClaim != nil {
			claims = append(claims, v.PersistentVolumeClaim.ClaimName)
		}
	}
	if !slices.Equal(claims, []string{"data", "scratch-claim"}) {
		t.Errorf("PARTSYNC_PVC with two lines: claims %q, want [data scratch-claim]", claims)
	}
}

// TestGenerateIsDeterministic: the same tree, flags and run id give a
// byte-identical workflow, part files and skipped list, whatever the number
// of scan workers.
func TestGenerateIsDeterministic(t *testing.T) {
	for _, tool := range []string{"rsync", "rclone"} {
		t.Run(tool, func(t *testing.T) {
			t.Parallel()
			base := t.TempDir()
			src, shared := filepath.Join(base, "src"), filepath.Join(base, "runs")
			buildSampleTree(t, src, 10, 20)
			runDir := filepath.Join(shared, "same")
			generate := func(workers string) (string, map[string][]byte) {
				args := append([]string{"generate", "-m", tool, "-f", "30", "-s", "64KiB", "-d", shared, "--run-id", "same",
					"--pvc", "data:" + base, "--scan-workers", workers}, excludeArgs()...)
				res := mustPartsync(t, append(args, src, filepath.Join(base, "dst"))...)
				files := map[string][]byte{}
				for rel, data := range testtree.Files(t, runDir) {
					if rel == "plan.json" || rel == "header.json" { // header.json: plan.json before the scan
						var p map[string]any
						if err := json.Unmarshal(data, &p); err != nil {
							t.Fatal(err)
						}
						delete(p, "created_at") // the only field that may differ
						data, _ = json.Marshal(p)
					}
					files[rel] = data
				}
				if err := os.RemoveAll(runDir); err != nil {
					t.Fatal(err)
				}
				return res.stdout, files
			}
			yaml1, files1 := generate("1")
			yaml2, files2 := generate("16")
			if string(files1["workflow.yaml"]) != yaml1 {
				t.Errorf("the run directory's workflow.yaml is not the workflow printed")
			}
			if yaml1 != yaml2 {
				t.Errorf("the workflows differ:\n--- first\n%s\n--- second\n%s", yaml1, yaml2)
			}
			if len(files1) < 5 || !slices.Equal(slices.Sorted(maps.Keys(files1)), slices.Sorted(maps.Keys(files2))) {
				t.Fatalf("run directories hold %q and %q", slices.Sorted(maps.Keys(files1)), slices.Sorted(maps.Keys(files2)))
			}
			for name, data := range files1 {
				if !bytes.Equal(data, files2[name]) {
					t.Errorf("%s differs between the two runs", name)
				}
			}
		})
	}
}
