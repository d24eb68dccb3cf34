package workflow

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	corev1 "k8s.io/api/core/v1"
)

// kubeletSecretFile lays out the rclone config Secret of spec in dir as a
// kubelet does: the files of a Secret volume belong to root, their group is
// the pod's fsGroup if it has one (else root's), their mode is the item's or
// the volume's defaultMode (Kubernetes' default 0644), and with an fsGroup
// the kubelet adds group read (0440) to a read-only volume's files. It
// returns the path the container's RCLONE_CONFIG names, moved into dir.
func kubeletSecretFile(t *testing.T, dir string, pod *corev1.PodSecurityContext, vol corev1.Volume, env []corev1.EnvVar, content []byte) string {
	t.Helper()
	mode := os.FileMode(0o644)
	if m := vol.Secret.DefaultMode; m != nil {
		mode = os.FileMode(*m)
	}
	gid := 0
	if pod != nil && pod.FSGroup != nil {
		gid = int(*pod.FSGroup)
		mode |= 0o440
	}
	conf := ""
	for _, e := range env {
		if e.Name == "RCLONE_CONFIG" {
			conf = filepath.Join(dir, e.Value)
		}
	}
	if conf == "" {
		t.Fatal("the rclone container names no RCLONE_CONFIG")
	}
	if err := os.MkdirAll(filepath.Dir(conf), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(conf, content, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(conf, 0, gid); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(conf, mode); err != nil {
		t.Fatal(err)
	}
	return conf
}

// TestRcloneReadsItsConfigAsThePodsUser: the rclone config Secret, laid out
// as a kubelet lays out the emitted spec's Secret volume, is read by the
// real rclone running as the pods' user and groups. The layout of the spec
// before the fix (defaultMode 0400, no fsGroup) must fail the same check:
// rclone exits non-zero, unable to read its config.
func TestRcloneReadsItsConfigAsThePodsUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to lay out root-owned files and run rclone as another user")
	}
	needPrograms(t, "rclone")
	rclone, err := exec.LookPath("rclone")
	if err != nil {
		t.Fatal(err)
	}
	rcloneWorkflow := func(runAs *Identity) func(t *testing.T) wfv1.WorkflowSpec {
		return func(t *testing.T) wfv1.WorkflowSpec {
			o := baseOptions()
			o.RunAs = runAs
			o.RcloneConfigSecret = &SecretRef{Name: "rclone-config", Key: "rclone.conf"}
			wf, err := Build(testPlan("rclone", "dst:copy", 2), o)
			if err != nil {
				t.Fatal(err)
			}
			return wf.Spec
		}
	}
	rcloneTemplate := func(cluster bool) func(t *testing.T) wfv1.WorkflowSpec {
		return func(t *testing.T) wfv1.WorkflowSpec {
			o, to := templateOptions()
			to.Cluster = cluster
			spec, _ := buildTemplateDoc(t, o, to)
			return spec
		}
	}
	for name, c := range map[string]struct {
		spec func(t *testing.T) wfv1.WorkflowSpec
		old  bool // the spec as it was: defaultMode 0400, no fsGroup
	}{
		"generate-image-user":     {spec: rcloneWorkflow(nil)},
		"generate-user-1000":      {spec: rcloneWorkflow(&Identity{UID: 1000, GID: 100})},
		"workflowtemplate":        {spec: rcloneTemplate(false)},
		"clusterworkflowtemplate": {spec: rcloneTemplate(true)},
		"old-0400":                {spec: rcloneWorkflow(nil), old: true},
	} {
		t.Run(name, func(t *testing.T) {
			spec := c.spec(t)
			wf := &wfv1.Workflow{Spec: spec}
			pod := wf.Spec.SecurityContext
			var vol corev1.Volume
			for _, v := range wf.Spec.Volumes {
				if v.Secret != nil {
					vol = v
				}
			}
			if vol.Secret == nil {
				t.Fatal("no Secret volume in the spec")
			}
			if c.old {
				pod = pod.DeepCopy()
				pod.FSGroup = nil
				vol = *vol.DeepCopy()
				vol.Secret.DefaultMode = ptr(int32(0o400))
			}
			uid, gid := int64(ImageUID), int64(ImageGID)
			if pod.RunAsUser != nil {
				uid = *pod.RunAsUser
			}
			if pod.RunAsGroup != nil {
				gid = *pod.RunAsGroup
			}
			var groups []uint32
			if pod.FSGroup != nil {
				groups = append(groups, uint32(*pod.FSGroup))
			}
			for _, g := range pod.SupplementalGroups {
				groups = append(groups, uint32(g))
			}
			base := t.TempDir()
			for _, d := range []string{filepath.Dir(base), base} { // t.TempDir makes them 0700
				if err := os.Chmod(d, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			data := filepath.Join(base, "data")
			if err := os.MkdirAll(filepath.Join(data, "sub"), 0o755); err != nil {
				t.Fatal(err)
			}
			conf := kubeletSecretFile(t, base, pod, vol, wf.GetTemplateByName(transferName).Container.Env, []byte("[dst]\ntype = local\n"))
			// A copy the pods' user may run: the pinned rclone is cached under /root.
			bin := filepath.Join(base, "rclone")
			if err := copyExecutable(rclone, bin); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(bin, "lsd", "dst:"+data)
			cmd.Env = []string{"RCLONE_CONFIG=" + conf, "HOME=" + base, "PATH=/usr/bin:/bin"}
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: groups}}
			out, err := cmd.CombinedOutput()
			switch {
			case c.old && err == nil:
				t.Fatalf("rclone as %d:%d read a 0400 root-owned config; the test cannot tell the fix from the old spec:\n%s", uid, gid, out)
			case c.old && !strings.Contains(string(out), conf):
				t.Fatalf("rclone as %d:%d failed with the old spec, but not on its config: %v\n%s", uid, gid, err, out)
			case c.old:
				t.Logf("the old spec, as uid %d: %v: %s", uid, err, strings.TrimSpace(string(out)))
			case err != nil || !strings.Contains(string(out), "sub"):
				st, _ := os.Stat(conf)
				t.Fatalf("rclone as %d:%d groups %v cannot use its config (%v, %v): %v\n%s", uid, gid, groups, st.Mode(), st.Sys().(*syscall.Stat_t).Gid, err, out)
			}
		})
	}
}

// copyExecutable copies the program at from to to, mode 0755.
func copyExecutable(from, to string) error {
	data, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, data, 0o755)
}

// needPrograms skips the test when a program it runs is not installed, or
// fails it when PARTSYNC_REQUIRE_TOOLS is set (.ci/run sets it: CI has them).
// For rclone, PATH="$(dirname "$(bash .ci/rclone.sh)"):$PATH" puts the
// image's version first.
func needPrograms(t *testing.T, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			if os.Getenv("PARTSYNC_REQUIRE_TOOLS") != "" {
				t.Fatalf("%s is not installed and PARTSYNC_REQUIRE_TOOLS is set: this test runs the real program", n)
			}
			t.Skipf("%s is not installed: this test runs the real program", n)
		}
	}
}
