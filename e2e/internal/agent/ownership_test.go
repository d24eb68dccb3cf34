package agent

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/utils/ptr"
)

// needRoot skips tests that chown (run.sh runs the agent's tests as root).
func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (chown, and running a command as another user)")
	}
}

// podDirForTest is a directory every user may traverse, as a kubelet's
// pod directory is reached through its bind mount (t.TempDir is 0700).
func podDirForTest(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("", "agent-volume-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(d) })
	if err := os.Chmod(d, 0o755); err != nil {
		t.Fatal(err)
	}
	return d
}

type owned struct {
	uid, gid int64
	mode     os.FileMode
}

func lstatOwned(t *testing.T, p string) owned {
	t.Helper()
	info, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	st := info.Sys().(*syscall.Stat_t)
	return owned{int64(st.Uid), int64(st.Gid), info.Mode()}
}

// readAs reads p as uid:gid with groups, as the sandbox would run a
// container: the kernel decides, not the test.
func readAs(t *testing.T, p string, uid, gid uint32, groups ...uint32) error {
	t.Helper()
	cmd := exec.Command("cat", p)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: gid, Groups: groups}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return errors.New(strings.TrimSpace(string(out)))
	}
	return nil
}

// TestSecretVolumeLayout: a Secret volume is the AtomicWriter's layout,
// root-owned, each file with its mode; a non-root container reads a 0400
// file only through the fsGroup, which makes it 0440 and gives it the group.
func TestSecretVolumeLayout(t *testing.T) {
	needRoot(t)
	data := map[string][]byte{"rclone.conf": []byte("[r]\ntype = local\n"), "other": []byte("x")}
	items := []corev1.KeyToPath{{Key: "rclone.conf", Path: "rclone.conf"}, {Key: "other", Path: "sub/other", Mode: ptr.To(int32(0o600))}}

	t.Run("no fsGroup: root's 0400, unreadable to 65532", func(t *testing.T) {
		dir := filepath.Join(podDirForTest(t), "secret")
		if err := writeVolume(dir, data, items, ptr.To(int32(0o400)), false, nil); err != nil {
			t.Fatal(err)
		}
		f := filepath.Join(dir, "rclone.conf")
		if o := lstatOwned(t, f); o.mode&fs.ModeSymlink == 0 {
			t.Errorf("%s is %v, want a symlink into ..data", f, o.mode)
		}
		if target, err := os.Readlink(f); err != nil || target != "..data/rclone.conf" {
			t.Errorf("rclone.conf -> %q (%v), want ..data/rclone.conf", target, err)
		}
		real := filepath.Join(dir, "..data", "rclone.conf")
		if o := lstatOwned(t, real); o != (owned{0, 0, 0o400}) {
			t.Errorf("rclone.conf: %d:%d %v, want 0:0 0400", o.uid, o.gid, o.mode)
		}
		if o := lstatOwned(t, filepath.Join(dir, "..data", "sub", "other")); o.mode != 0o600 {
			t.Errorf("item with mode 0600: %v", o.mode)
		}
		if o := lstatOwned(t, dir); o.mode != tmpfsRootMode || o.gid != 0 {
			t.Errorf("volume root: %d:%d %v, want 0:0 %v", o.uid, o.gid, o.mode, tmpfsRootMode)
		}
		if err := readAs(t, f, 65532, 65532); err == nil || !strings.Contains(err.Error(), "Permission denied") {
			t.Errorf("65532 read a root 0400 rclone.conf without fsGroup: %v", err)
		}
		if err := readAs(t, f, 65532, 65532, 65532); err == nil {
			t.Errorf("65532 with supplementary group 65532 read it although the file's group is root")
		}
	})

	t.Run("fsGroup 65532: group-readable 0440, setgid directories", func(t *testing.T) {
		dir := filepath.Join(podDirForTest(t), "secret")
		if err := writeVolume(dir, data, items, ptr.To(int32(0o400)), false, ptr.To(int64(65532))); err != nil {
			t.Fatal(err)
		}
		f := filepath.Join(dir, "rclone.conf")
		if o := lstatOwned(t, filepath.Join(dir, "..data", "rclone.conf")); o != (owned{0, 65532, 0o440}) {
			t.Errorf("rclone.conf: %d:%d %v, want 0:65532 0440 (mode | 0440, group fsGroup)", o.uid, o.gid, o.mode)
		}
		if o := lstatOwned(t, filepath.Join(dir, "..data", "sub", "other")); o.mode != 0o640 {
			t.Errorf("item with mode 0600 under fsGroup: %v, want 0640", o.mode)
		}
		ts, err := os.Readlink(filepath.Join(dir, "..data"))
		if err != nil {
			t.Fatal(err)
		}
		if o := lstatOwned(t, filepath.Join(dir, ts)); o.mode != fs.ModeDir|fs.ModeSetgid|0o755 || o.gid != 65532 {
			t.Errorf("timestamp dir: %d:%d %v, want 0:65532 dgrwxr-sr-x", o.uid, o.gid, o.mode)
		}
		if o := lstatOwned(t, filepath.Join(dir, "..data")); o.gid != 65532 || o.mode&fs.ModeSymlink == 0 {
			t.Errorf("..data: gid %d %v, want a symlink lchown'd to 65532", o.gid, o.mode)
		}
		if err := readAs(t, f, 65532, 65532, 65532); err != nil {
			t.Errorf("65532 with the fsGroup could not read rclone.conf: %v", err)
		}
		if err := readAs(t, f, 1000, 1000); err == nil {
			t.Errorf("a user outside the fsGroup read the 0440 rclone.conf")
		}
	})

	t.Run("defaultMode unset is 0644; a missing key fails unless optional", func(t *testing.T) {
		dir := filepath.Join(podDirForTest(t), "cm")
		if err := writeVolume(dir, data, nil, nil, false, nil); err != nil {
			t.Fatal(err)
		}
		if o := lstatOwned(t, filepath.Join(dir, "..data", "other")); o.mode != 0o644 {
			t.Errorf("default mode: %v, want 0644", o.mode)
		}
		missing := []corev1.KeyToPath{{Key: "absent", Path: "a"}}
		if err := writeVolume(filepath.Join(dir, "x"), data, missing, nil, false, nil); err == nil {
			t.Errorf("a missing key of a non-optional volume was accepted")
		}
		if err := writeVolume(filepath.Join(dir, "y"), data, missing, nil, true, nil); err != nil {
			t.Errorf("a missing key of an optional volume: %v", err)
		}
	})
}

// TestEmptyDirAndLocalOwnership: emptyDir-like and local volumes get the
// read-write mask, group fsGroup and setgid; OnRootMismatch leaves a root
// that already has them alone.
func TestEmptyDirAndLocalOwnership(t *testing.T) {
	needRoot(t)
	dir := filepath.Join(podDirForTest(t), "vol")
	if err := os.MkdirAll(filepath.Join(dir, "d"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "d", "f"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, emptyDirMode); err != nil {
		t.Fatal(err)
	}
	if err := setVolumeOwnership(dir, ptr.To(int64(4242)), false, nil); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]owned{
		dir:                          {0, 4242, fs.ModeDir | fs.ModeSetgid | 0o777},
		filepath.Join(dir, "d"):      {0, 4242, fs.ModeDir | fs.ModeSetgid | 0o770},
		filepath.Join(dir, "d", "f"): {0, 4242, 0o660},
	} {
		if got := lstatOwned(t, p); got != want {
			t.Errorf("%s: %d:%d %v, want %d:%d %v", p, got.uid, got.gid, got.mode, want.uid, want.gid, want.mode)
		}
	}
	// OnRootMismatch: the root matches, so a file changed since stays as it is.
	if err := os.Chmod(filepath.Join(dir, "d", "f"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := setVolumeOwnership(dir, ptr.To(int64(4242)), false, ptr.To(corev1.FSGroupChangeOnRootMismatch)); err != nil {
		t.Fatal(err)
	}
	if got := lstatOwned(t, filepath.Join(dir, "d", "f")); got.mode != 0o600 {
		t.Errorf("OnRootMismatch with a matching root changed a file: %v", got.mode)
	}
	if err := setVolumeOwnership(dir, ptr.To(int64(4343)), false, ptr.To(corev1.FSGroupChangeOnRootMismatch)); err != nil {
		t.Fatal(err)
	}
	if got := lstatOwned(t, filepath.Join(dir, "d", "f")); got.gid != 4343 || got.mode != 0o660 {
		t.Errorf("OnRootMismatch with another group: %d %v, want 4343 0660", got.gid, got.mode)
	}
	// No fsGroup: nothing changes.
	if err := setVolumeOwnership(dir, nil, false, nil); err != nil {
		t.Fatal(err)
	}
}

// TestClaimOwnership: with a pod fsGroup, a claim bound to a local
// PersistentVolume is given the group (the local plugin runs
// SetVolumeOwnership), one bound to a hostPath volume is left as it is (the
// hostPath plugin does not), and a read-only claim is never changed.
func TestClaimOwnership(t *testing.T) {
	needRoot(t)
	base := podDirForTest(t)
	mk := func(name string) string {
		d := filepath.Join(base, name)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	localDir, hostDir, roDir := mk("local"), mk("host"), mk("ro")
	pv := func(name string, src corev1.PersistentVolumeSource) *corev1.PersistentVolume {
		return &corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.PersistentVolumeSpec{PersistentVolumeSource: src}}
	}
	pvc := func(name string) *corev1.PersistentVolumeClaim {
		return &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns"}, Spec: corev1.PersistentVolumeClaimSpec{VolumeName: name}}
	}
	a := &Agent{kube: fake.NewClientset(
		pv("local", corev1.PersistentVolumeSource{Local: &corev1.LocalVolumeSource{Path: localDir}}),
		pv("host", corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: hostDir}}),
		pv("ro", corev1.PersistentVolumeSource{Local: &corev1.LocalVolumeSource{Path: roDir}}),
		pvc("local"), pvc("host"), pvc("ro"),
	)}
	claim := func(name string, ro bool) corev1.Volume {
		return corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: name, ReadOnly: ro}}}
	}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns"}, Spec: corev1.PodSpec{
		SecurityContext: &corev1.PodSecurityContext{FSGroup: ptr.To(int64(4242))},
		Volumes:         []corev1.Volume{claim("local", false), claim("host", false), claim("ro", true)},
	}}
	for _, name := range []string{"local", "host", "ro"} {
		if _, _, err := a.volume(context.Background(), pod, corev1.VolumeMount{Name: name, MountPath: "/mnt/" + name}, base); err != nil {
			t.Fatalf("volume %s: %v", name, err)
		}
	}
	if o := lstatOwned(t, localDir); o.gid != 4242 || o.mode&fs.ModeSetgid == 0 {
		t.Errorf("local volume: gid %d %v, want the fsGroup 4242 and setgid", o.gid, o.mode)
	}
	for _, d := range []string{hostDir, roDir} {
		if o := lstatOwned(t, d); o.gid != 0 || o.mode != fs.ModeDir|0o755 {
			t.Errorf("%s: gid %d %v, want it untouched (0, drwxr-xr-x)", d, o.gid, o.mode)
		}
	}
}
