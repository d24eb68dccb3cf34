package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	"sigs.k8s.io/yaml"
)

// TestPodIdentityIsChosen: generate run by root (a CI container) no longer
// emits root pods: by default they run as the image's non-root user
// 65532:65532, it says so on stderr, and the run directory the pods write
// to is given to that user. Root pods come only from --run-as-root or
// --run-as-user 0, announced with the Pod Security level they need; the
// template announces them too.
func TestPodIdentityIsChosen(t *testing.T) {
	needRoot(t, "generate's default under test is the one it takes as root")
	for name, c := range map[string]struct {
		flags    []string
		uid      int64
		announce string
	}{
		"default":          {nil, 65532, "the image's non-root user 65532:65532 (Pod Security level restricted)"},
		"run-as-root":      {[]string{"--run-as-root"}, 0, "the pods run as root (--run-as-root) with the capabilities CHOWN, DAC_OVERRIDE, FOWNER, FSETID, to keep owners: their namespace must allow Pod Security level baseline"},
		"run-as-user-0":    {[]string{"--run-as-user", "0"}, 0, "Pod Security level baseline"},
		"run-as-user-1000": {[]string{"--run-as-user", "1000:100"}, 1000, "the pods run as 1000:100"},
	} {
		t.Run(name, func(t *testing.T) {
			base := t.TempDir()
			src, shared := filepath.Join(base, "src"), filepath.Join(base, "runs")
			writeFile(t, filepath.Join(src, "a"), []byte("a"), 0o644, time.Unix(1e9, 0))
			args := append([]string{"generate", "--pvc", "data:" + base, "-d", shared, "--run-id", "who"}, c.flags...)
			res := mustPartsync(t, append(args, src, filepath.Join(base, "dst"))...)
			var wf wfv1.Workflow
			if err := yaml.Unmarshal([]byte(res.stdout), &wf); err != nil {
				t.Fatal(err)
			}
			sc := wf.Spec.SecurityContext
			if sc == nil || sc.RunAsUser == nil || *sc.RunAsUser != c.uid || *sc.RunAsNonRoot != (c.uid != 0) {
				t.Fatalf("pod securityContext %+v; want runAsUser %d", sc, c.uid)
			}
			if !strings.Contains(res.stderr, c.announce) {
				t.Errorf("stderr does not say %q:\n%s", c.announce, res.stderr)
			}
			owner := uint32(0)
			if c.uid != 0 {
				owner = uint32(c.uid)
			}
			for _, f := range []string{"", "plan.json", "parts", "parts/part.0", "status", "workflow.yaml"} {
				st, err := os.Lstat(filepath.Join(shared, "who", f))
				if err != nil {
					t.Fatal(err)
				}
				if uid := st.Sys().(*syscall.Stat_t).Uid; uid != owner {
					t.Errorf("%s belongs to uid %d; want the pods' %d", filepath.Join("who", f), uid, owner)
				}
			}
		})
	}
	for flag, announce := range map[string]string{"--run-as-root": "Pod Security level baseline", "": ""} {
		args := []string{"template", "--pvc", "data:/mnt/data", "-d", "/mnt/data/runs"}
		if flag != "" {
			args = append(args, flag)
		}
		res := mustPartsync(t, append(args, "/mnt/data/src", "/mnt/data/dst")...)
		if announce != "" && !strings.Contains(res.stderr, announce) || announce == "" && res.stderr != "" {
			t.Errorf("template %s: stderr %q; want it to say %q", flag, res.stderr, announce)
		}
	}
}
