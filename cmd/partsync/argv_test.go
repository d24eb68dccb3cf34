package main

// The argv a workflow pod runs is the argv the local executor runs: this test
// executes the generated workflow's transfer template itself (its container
// command and args, with Argo's parameters substituted) through
// `partsync transfer`, as a pod would, then runs the same plan with
// `partsync run`, and compares the tool argv both recorded in status/N.json.

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/partsync/partsync/generator/plan"
	"github.com/partsync/partsync/generator/testtree/check"
	"github.com/partsync/partsync/generator/workflow"
)

// workflowTemplate returns the template called name.
func workflowTemplate(t *testing.T, wf *wfv1.Workflow, name string) *wfv1.Template {
	t.Helper()
	tmpl, err := workflow.Merged(wf.Spec, name) // as Argo runs it, with templateDefaults
	if err != nil {
		t.Fatalf("workflow: %v", err)
	}
	return tmpl
}

// parseWorkflow reads generate's output strictly: an unknown field fails.
func parseWorkflow(t *testing.T, doc string) *wfv1.Workflow {
	t.Helper()
	var wf wfv1.Workflow
	if err := yaml.UnmarshalStrict([]byte(doc), &wf); err != nil {
		t.Fatalf("the workflow is not a wfv1.Workflow: %v\n%s", err, doc)
	}
	return &wf
}

func TestWorkflowArgvIsRunArgv(t *testing.T) {
	for _, tc := range []struct {
		name, tool string
		s3         bool
	}{
		{name: "rsync", tool: "rsync"},
		{name: "rclone", tool: "rclone"},
		{name: "rclone-s3", tool: "rclone", s3: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			needTools(t, tc.tool)
			base := t.TempDir()
			src, dst, shared := filepath.Join(base, "src"), filepath.Join(base, "dst"), filepath.Join(base, "runs")
			tree := buildSampleTree(t, src, 4, 15)
			flags := []string{"-m", tc.tool, "-n", "2", "-f", "20", "-d", shared, "--run-id", "same-run", "--backoff", "200ms"}
			flags = append(flags, excludeArgs()...)
			if tc.tool == "rclone" {
				// run's own rclone options (one rclone, 16 transfers) are
				// not generate's (a pod per partition): the same -o makes
				// the same plan, whose argv both must run.
				flags = append(flags, "-o", "--retries=1 --transfers=8 --checkers=16")
			}
			genFlags := []string{"--pvc", "data:" + base}
			var s3 *S3Server
			var cfg string
			if tc.s3 {
				s3 = StartS3(t, "bucket")
				cfg = s3.WriteRcloneConfig(t, t.TempDir(), "s3test")
				dst = "s3test:bucket/copy"
				flags = append(flags, "--rclone-config", cfg)
				genFlags = append(genFlags, "--rclone-config-secret", "rclone-config")
			}
			runDir := filepath.Join(shared, "same-run")

			gen := mustPartsync(t, append(append(append([]string{"generate"}, flags...), genFlags...), src, dst)...)
			wf := parseWorkflow(t, gen.stdout)
			p := loadPlan(t, runDir)
			if p.Count() < 3 {
				t.Fatalf("%d partitions; the test needs several", p.Count())
			}

			// The fan-out: one step over withSequence, passing {{item}} as "part";
			// then the directory step (the recheck, and for rsync the directories).
			main := workflowTemplate(t, wf, wf.Spec.Entrypoint)
			if len(main.Steps) != 2 || len(main.Steps[0].Steps) != 1 {
				t.Fatalf("entrypoint %q: want 2 steps, got %+v", main.Name, main.Steps)
			}
			step := main.Steps[0].Steps[0]
			if step.WithSequence == nil || step.WithSequence.Count == nil || step.WithSequence.Count.String() != strconv.Itoa(p.Count()) {
				t.Errorf("withSequence %+v, want count %d", step.WithSequence, p.Count())
			}
			if ps := step.Arguments.Parameters; len(ps) != 1 || ps[0].Name != "part" || ps[0].Value == nil || ps[0].Value.String() != "{{item}}" {
				t.Errorf("step arguments %+v, want part={{item}}", ps)
			}
			if wf.Spec.Parallelism == nil || *wf.Spec.Parallelism != 2 {
				t.Errorf("parallelism %v, want -n 2", wf.Spec.Parallelism)
			}
			tmpl := workflowTemplate(t, wf, step.Template)
			if rs := tmpl.RetryStrategy; rs == nil || rs.Limit == nil || rs.Limit.IntValue() != defaultRetries || rs.Backoff == nil || rs.Backoff.Duration != "200ms" {
				t.Errorf("retryStrategy %+v, want limit %d, backoff 200ms", rs, defaultRetries)
			}
			c := tmpl.Container
			podArgv := append(slices.Clone(c.Command), c.Args...)
			sep := slices.Index(podArgv, "--")
			wantHead := []string{"partsync", "transfer", "--run-dir", runDir, "--part", "{{inputs.parameters.part}}", "--attempt", "{{retries}}", "--outputs-dir", "/var/tmp/partsync"}
			if sep < 0 || !slices.Equal(podArgv[:sep], wantHead) {
				t.Fatalf("pod argv %q, want %q -- TOOL ARGV", podArgv, wantHead)
			}
			if podArgv[sep+1] != tc.tool {
				t.Errorf("pod runs %q after --, want %s", podArgv[sep+1:], tc.tool)
			}
			if tc.s3 {
				// The pod's RCLONE_CONFIG is the mounted Secret; here it is the test's file.
				var env string
				for _, e := range c.Env {
					if e.Name == "RCLONE_CONFIG" {
						env = e.Value
					}
				}
				mounted := slices.ContainsFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool {
					return m.ReadOnly && filepath.Dir(env) == m.MountPath
				})
				if env == "" || !mounted {
					t.Errorf("pod env RCLONE_CONFIG=%q is not in a read-only mount %+v", env, c.VolumeMounts)
				}
				t.Setenv("RCLONE_CONFIG", cfg)
			}

			// Be the pods: run partition N's container argv with Argo's parameters substituted.
			toolArgv := map[int][]string{}
			for n := range p.Count() {
				argv := slices.Clone(podArgv)
				for i, a := range argv {
					a = strings.ReplaceAll(a, "{{inputs.parameters.part}}", strconv.Itoa(n))
					argv[i] = strings.ReplaceAll(a, "{{retries}}", "0")
				}
				if strings.Contains(strings.Join(argv, " "), "{{") {
					t.Fatalf("pod argv of part %d has an unresolved parameter: %q", n, argv)
				}
				res := partsync(context.Background(), argv[1:]...)
				if res.code != 0 {
					t.Fatalf("pod of part %d: %s", n, res)
				}
				st := loadStatus(t, runDir, n)
				if !st.OK || st.Executor != "pod" || st.Attempts != 1 {
					t.Errorf("pod status %d: ok=%v executor=%q attempts=%d", n, st.OK, st.Executor, st.Attempts)
				}
				if !slices.Equal(st.Argv, argv[sep+1:]) {
					t.Errorf("part %d: the pod ran %q, its template says %q", n, st.Argv, argv[sep+1:])
				}
				toolArgv[n] = st.Argv
			}
			var dirsArgv []string
			{ // be the directory step's pod
				d := workflowTemplate(t, wf, main.Steps[1].Steps[0].Template).Container
				argv := append(slices.Clone(d.Command), d.Args...)
				for i := range argv {
					argv[i] = strings.ReplaceAll(argv[i], "{{retries}}", "0")
				}
				if res := partsync(context.Background(), argv[1:]...); res.code != 0 {
					t.Fatalf("directory pod: %s", res)
				}
				if r, ok, err := plan.LoadRecheck(plan.Dir(runDir)); err != nil || !ok || r.Added != 0 || r.Entries != p.Totals.Entries {
					t.Errorf("directory pod's recheck: %+v, %v, %v; want nothing added among %d entries", r, ok, err, p.Totals.Entries)
				}
				if tc.tool == "rsync" {
					dirsArgv = dirsStatus(t, runDir).Argv
				}
			}
			checkCopy(t, tree, tc.tool, dst, s3)

			// The local executor on the same run directory path, after a fresh plan.
			if err := os.RemoveAll(runDir); err != nil {
				t.Fatal(err)
			}
			clearDestination(t, dst, s3)
			mustPartsync(t, append(append([]string{"run"}, flags...), src, dst)...)
			p2 := loadPlan(t, runDir)
			if !slices.Equal(p2.Partitions, p.Partitions) {
				t.Fatalf("run planned %+v, generate planned %+v", p2.Partitions, p.Partitions)
			}
			for n := range p2.Count() {
				st := loadStatus(t, runDir, n)
				if st.Executor != "local" || !st.OK {
					t.Errorf("local status %d: executor %q ok=%v", n, st.Executor, st.OK)
				}
				if !slices.Equal(st.Argv, toolArgv[n]) {
					t.Errorf("part %d:\nrun ran      %q\nthe pod ran  %q", n, st.Argv, toolArgv[n])
				}
			}
			if dirsArgv != nil {
				if st := dirsStatus(t, runDir); !st.OK || !slices.Equal(st.Argv, dirsArgv) {
					t.Errorf("directory step: run ran %q (ok %v), the pod ran %q", st.Argv, st.OK, dirsArgv)
				}
			}
			checkCopy(t, tree, tc.tool, dst, s3)
		})
	}
}

// dirsStatus reads status/dirs.json, the directory step's.
func dirsStatus(t *testing.T, runDir string) *plan.Status {
	t.Helper()
	st, ok, err := plan.LoadStatus(plan.Dir(runDir), plan.DirsPart)
	if err != nil || !ok {
		t.Fatalf("status of the directory step: %v (found %v)", err, ok)
	}
	return st
}

// checkCopy checks that dst holds the sample tree's regular files.
func checkCopy(t *testing.T, tree sampleTree, tool, dst string, s3 *S3Server) {
	t.Helper()
	ignore, want := tree.isExcluded, tree.made.Files
	if tool == "rclone" {
		ignore, want = tree.notForRclone, want-int64(len(tree.rcloneSkips))
	}
	if s3 == nil {
		r, err := check.Compare(tree.root, dst, check.Options{Mtimes: true, Ignore: ignore})
		if err != nil || r.Files != want {
			t.Errorf("copy at %s: %d files verified of %d: %v", dst, r.Files, want, err)
		}
		return
	}
	if n := len(s3.Objects(t, "bucket", "")); int64(n) != want {
		t.Errorf("%d objects in the bucket, want %d", n, want)
	}
}

func clearDestination(t *testing.T, dst string, s3 *S3Server) {
	t.Helper()
	if s3 == nil {
		if err := os.RemoveAll(dst); err != nil {
			t.Fatal(err)
		}
		return
	}
	if err := s3.Backend.ForceDeleteBucket("bucket"); err != nil {
		t.Fatal(err)
	}
	if err := s3.Backend.CreateBucket("bucket"); err != nil {
		t.Fatal(err)
	}
}
