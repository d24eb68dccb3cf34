package agent

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// The kubelet's fsGroup masks (k8s.io/kubernetes v1.33.1
// pkg/volume/volume_linux.go: rwMask, roMask, execMask).
const (
	fsGroupRWMask   = os.FileMode(0o660)
	fsGroupROMask   = os.FileMode(0o440)
	fsGroupExecMask = os.FileMode(0o110)
)

// tmpfsRootMode is the mode of a fresh tmpfs root, on which a kubelet
// writes Secret and ConfigMap volumes (their wrapped emptyDir has medium
// Memory): drwxrwxrwt root:root, as `ls -ld` shows inside a pod.
const tmpfsRootMode = os.ModeDir | os.ModeSticky | 0o777

// emptyDirMode is the mode a kubelet gives an emptyDir (pkg/volume/emptydir
// empty_dir.go: `const perm os.FileMode = 0777`, chmod'ed past the umask
// in setupDir).
const emptyDirMode = os.FileMode(0o777)

// setVolumeOwnership does what the kubelet's VolumeOwnership.ChangePermissions
// does for a pod with an fsGroup (pkg/volume/volume_linux.go, v1.33.1): with
// no fsGroup nothing; with fsGroupChangePolicy OnRootMismatch nothing when
// the root already has the group, the mask and setgid
// (requiresPermissionChange); otherwise, for every entry below dir, symlinks
// not followed (walkDeep): lchown to group fsGroup (owner unchanged), then,
// symlinks aside, chmod to mode | mask, where mask is 0440 for a volume the
// plugin calls read-only (Secret, ConfigMap: GetAttributes().ReadOnly) and
// 0660 otherwise, plus setgid and 0110 on directories (changeFilePermission).
func setVolumeOwnership(dir string, fsGroup *int64, readOnly bool, policy *corev1.PodFSGroupChangePolicy) error {
	if fsGroup == nil {
		return nil
	}
	mask := fsGroupRWMask
	if readOnly {
		mask = fsGroupROMask
	}
	if policy != nil && *policy == corev1.FSGroupChangeOnRootMismatch && !needsOwnershipChange(dir, *fsGroup, mask) {
		return nil
	}
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := os.Lchown(p, -1, int(*fsGroup)); err != nil {
			return fmt.Errorf("fsGroup: %w", err)
		}
		if d.Type()&fs.ModeSymlink != 0 {
			return nil // the kubelet does not chmod symlinks (it would change their target)
		}
		info, err := d.Info()
		if err != nil {
			return fmt.Errorf("fsGroup: %w", err)
		}
		m := mask
		if d.IsDir() {
			m |= os.ModeSetgid | fsGroupExecMask
		}
		if err := os.Chmod(p, info.Mode()|m); err != nil {
			return fmt.Errorf("fsGroup: %w", err)
		}
		return nil
	})
}

// needsOwnershipChange is the kubelet's requiresPermissionChange: the root
// lacks the group, the mask (plus 0110) or setgid.
func needsOwnershipChange(dir string, fsGroup int64, mask os.FileMode) bool {
	info, err := os.Stat(dir)
	if err != nil || !info.IsDir() {
		return true
	}
	gid, ok := fileGID(info)
	if !ok || gid != fsGroup {
		return true
	}
	want := mask | fsGroupExecMask
	return info.Mode().Perm()&want != want || info.Mode()&os.ModeSetgid == 0
}

// writeAtomic lays a Secret or ConfigMap volume out as the kubelet's
// AtomicWriter does (pkg/volume/util/atomic_writer.go, v1.33.1): the files
// in a timestamped directory "..2006_01_02_15_04_05.NNN" (mode 0755,
// newTimestampDir), each written then chmod'ed to its mode so the umask
// does not count (writePayloadToDir); "..data" a symlink to that directory;
// and for each first path component a symlink "name -> ..data/name"
// (createUserVisibleFiles). Everything belongs to root, the kubelet's user.
// The volume's root is a tmpfs root (tmpfsRootMode).
func writeAtomic(dir string, files map[string]volumeFile) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("volume dir: %w", err)
	}
	if err := os.Chmod(dir, tmpfsRootMode); err != nil {
		return fmt.Errorf("volume dir: %w", err)
	}
	ts, err := os.MkdirTemp(dir, time.Now().UTC().Format("..2006_01_02_15_04_05."))
	if err != nil {
		return fmt.Errorf("volume dir: %w", err)
	}
	if err := os.Chmod(ts, 0o755); err != nil {
		return fmt.Errorf("volume dir: %w", err)
	}
	visible := map[string]bool{}
	for name, f := range files {
		p := filepath.Join(ts, name)
		if err := os.MkdirAll(filepath.Dir(p), os.ModePerm); err != nil {
			return fmt.Errorf("volume dir: %w", err)
		}
		if err := os.WriteFile(p, f.data, f.mode); err != nil {
			return fmt.Errorf("volume file: %w", err)
		}
		if err := os.Chmod(p, f.mode); err != nil {
			return fmt.Errorf("volume file: %w", err)
		}
		first, _, _ := strings.Cut(name, "/")
		visible[first] = true
	}
	if err := os.Symlink(filepath.Base(ts), filepath.Join(dir, "..data")); err != nil {
		return fmt.Errorf("volume ..data: %w", err)
	}
	for first := range visible {
		if err := os.Symlink(filepath.Join("..data", first), filepath.Join(dir, first)); err != nil {
			return fmt.Errorf("volume file: %w", err)
		}
	}
	return nil
}

// volumeFile is one file of a Secret or ConfigMap volume and its mode.
type volumeFile struct {
	data []byte
	mode os.FileMode
}

// volumeFiles selects the files of a Secret or ConfigMap volume as the
// kubelet's MakePayload does (pkg/volume/secret/secret.go): every key with
// defaultMode, or only the items, each with its own mode or defaultMode; a
// missing key is an error unless the volume is optional. defaultMode nil
// is 0644 (the API server defaults it to that: SecretVolumeSourceDefaultMode).
func volumeFiles(data map[string][]byte, items []corev1.KeyToPath, defaultMode *int32, optional bool) (map[string]volumeFile, error) {
	def := fileMode(defaultMode)
	out := map[string]volumeFile{}
	if len(items) == 0 {
		for k, v := range data {
			out[k] = volumeFile{v, def}
		}
		return out, nil
	}
	for _, it := range items {
		v, ok := data[it.Key]
		if !ok {
			if optional {
				continue
			}
			return nil, fmt.Errorf("key %q not found", it.Key)
		}
		out[it.Path] = volumeFile{v, def}
		if it.Mode != nil {
			out[it.Path] = volumeFile{v, fileMode(it.Mode)}
		}
	}
	return out, nil
}

// fileMode is a volume's defaultMode or an item's mode, 0644 when unset.
func fileMode(m *int32) os.FileMode {
	if m == nil {
		return 0o644
	}
	return os.FileMode(*m) & os.ModePerm
}

// fileGID is the group owning a file.
func fileGID(info os.FileInfo) (int64, bool) {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int64(st.Gid), true
}
