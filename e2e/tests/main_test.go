package tests

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/partsync/partsync/e2e/internal/harness"
)

// Environment the suite reads (run.sh sets them).
const (
	envBin     = "PARTSYNC_E2E_BIN"        // directory with the built binaries
	envCache   = "PARTSYNC_E2E_CACHE"      // cache root (work dirs go below it)
	envKeep    = "PARTSYNC_E2E_KEEP"       // keep the work dir even when the run passed
	envInNetns = "PARTSYNC_E2E_IN_NETNS"   // set once the suite re-executed itself in a netns
	envCRDDir  = "PARTSYNC_E2E_CRD_DIR"    // Argo's manifests/base/crds/full
	envBreak   = "PARTSYNC_E2E_BREAK"      // a deliberate breakage of generated workflows (see breakWorkflow)
	envUser    = "PARTSYNC_E2E_IMAGE_USER" // uid of containers that name none (default 65532, partsync's image USER)
	// restrictedNS is where the controller and most scenarios run: Pod
	// Security "restricted" is enforced there, as a platform team would;
	// baselineNS enforces "baseline" (root pods with the default
	// capabilities), for what needs root.
	restrictedNS = "argo"
	baselineNS   = "argo-baseline"
	waitTimeout  = 5 * time.Minute
)

// TestMain makes sure the suite runs in a private network namespace: Argo's
// controller listens on :6060 on every interface. run.sh already starts
// `go test` in one; run directly as root, the test binary re-executes
// itself under `unshare -n`.
func TestMain(m *testing.M) {
	private, err := harness.InPrivateNetns()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	if private {
		if err := exec.Command("ip", "link", "set", "lo", "up").Run(); err != nil {
			fmt.Fprintln(os.Stderr, "e2e: bring up loopback:", err)
			os.Exit(1)
		}
		os.Exit(m.Run())
	}
	if os.Getenv(envInNetns) != "" || os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "e2e: needs root and a private network namespace; run e2e/run.sh")
		os.Exit(1)
	}
	cmd := exec.Command("unshare", append([]string{"-n", "--", os.Args[0]}, os.Args[1:]...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), envInNetns+"=1")
	if err := cmd.Run(); err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			os.Exit(ee.ExitCode())
		}
		fmt.Fprintln(os.Stderr, "e2e: unshare:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// suite is what every scenario shares: the running stack and the tools.
type suite struct {
	stack    *harness.Stack
	binDir   string
	imageBin string // what the pods' image holds: the partsync under test
	// imageUser is the uid the node agent runs containers that name no
	// user as: the USER of partsync's image.
	imageUser int
	workDir   string // this run's work directory
	ns        string // the namespace the scenario's workflows run in
	// operatorUID is the user partsync generate and template run as
	// (0: root, as in every CI container).
	operatorUID int
}

// asOperator is the suite running partsync as uid (its group: uid too).
func (s *suite) asOperator(uid int) *suite {
	c := *s
	c.operatorUID = uid
	return &c
}

// in is the suite working in namespace ns.
func (s *suite) in(ns string) *suite {
	c := *s
	c.ns = ns
	return &c
}

// TestE2E starts the stack once and runs every scenario against it, one
// after the other (the machine has two cores). The work directory, with
// every process's log and every container's log, is kept when a scenario
// failed.
func TestE2E(t *testing.T) {
	binDir := os.Getenv(envBin)
	if binDir == "" {
		t.Fatalf("%s is not set: run e2e/run.sh, which builds the stack", envBin)
	}
	cache := os.Getenv(envCache)
	if cache == "" {
		cache = filepath.Join(os.TempDir(), "partsync-e2e")
	}
	workDir := filepath.Join(cache, "runs", time.Now().Format("20060102-150405"))
	if err := os.MkdirAll(workDir, 0o755); err != nil {
		t.Fatal(err)
	}
	crdDir, err := argoCRDDir()
	if err != nil {
		t.Fatal(err)
	}
	s := &suite{binDir: binDir, imageBin: filepath.Join(binDir, "image"), workDir: workDir, imageUser: 65532, ns: restrictedNS}
	if v := os.Getenv(envUser); v != "" {
		u, err := strconv.Atoi(v)
		if err != nil || u < 0 {
			t.Fatalf("%s=%q: want a uid", envUser, v)
		}
		s.imageUser = u
	}
	ctx := context.Background()
	t0 := time.Now()
	stack, err := harness.Start(ctx, harness.Config{
		BinDir:          binDir,
		WorkDir:         filepath.Join(workDir, "stack"),
		Namespace:       restrictedNS,
		PodSecurity:     "restricted",
		OtherNamespaces: map[string]string{baselineNS: "baseline"},
		CRDDir:          crdDir,
		PodBinDir:       s.imageBin,
		ImageUser:       int64(s.imageUser),
		KWOK:            true,
		Log:             t.Logf,
	})
	if err != nil {
		t.Fatalf("start stack: %v (logs in %s)", err, workDir)
	}
	s.stack = stack
	t.Logf("TIMING stack start: %s", time.Since(t0).Round(time.Millisecond))
	t.Cleanup(func() {
		stack.Stop()
		if t.Failed() || os.Getenv(envKeep) != "" {
			t.Logf("work directory kept (process logs in %s, container logs in %s)", stack.LogDir(), stack.AgentWorkDir())
			return
		}
		_ = os.RemoveAll(workDir)
	})
	scenarios := []struct {
		name string
		f    func(*testing.T, *suite)
	}{
		{"AgentRunsArgoPods", testAgentRunsArgoPods},
		{"CRDSchemaAcceptsWorkflow", testCRDSchema},
		{"RsyncWorkflow", testRsyncWorkflow},
		{"ProgressInArgo", testProgressInArgo},
		{"RcloneS3Workflow", testRcloneS3Workflow},
		{"RcloneS3FromTemplate", testRcloneS3FromTemplate},
		{"MirrorDelete", testMirrorDelete},
		{"ImageRcloneVersion", testImageRcloneVersion},
		{"RootModeNeedsBaseline", testRootModeNeedsBaseline},
		{"OneRunPerDestination", testOneRunPerDestination},
		{"RsyncForeignOwners", testRsyncForeignOwners},
		{"RetryThenSucceed", testRetryThenSucceed},
		{"AlwaysFailsRecordsOutcome", testAlwaysFails},
		{"ArgoRetryRunsOnlyFailed", testArgoRetryRunsOnlyFailed},
		{"WorkflowTemplateFromUI", testWorkflowTemplateFromUI},
		{"SplitWorkflowOfWorkflows", testSplitWorkflowOfWorkflows},
		{"SplitFromTemplate", testSplitFromTemplate},
		{"VerifyStep", testVerifyStep},
		{"HelmChartApplies", testHelmChart},
		{"KWOKFanOut1000", testKWOKFanOut},
		{"KWOKSplitFromTemplate100k", testKWOKSplitFromTemplate},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			start := time.Now()
			sc.f(t, s)
			t.Logf("TIMING %s: %s", sc.name, time.Since(start).Round(time.Millisecond))
		})
	}
}

// argoCRDDir is manifests/base/crds/full of the Argo module this suite's
// go.mod pins.
func argoCRDDir() (string, error) {
	if d := os.Getenv(envCRDDir); d != "" {
		return d, nil
	}
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/argoproj/argo-workflows/v3").Output()
	if err != nil {
		return "", fmt.Errorf("locate the argo-workflows module: %w", err)
	}
	return filepath.Join(strings.TrimSpace(string(out)), "manifests", "base", "crds", "full"), nil
}
