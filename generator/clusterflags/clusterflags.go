// Package clusterflags parses the values of generate's and template's
// cluster flags: --pvc CLAIM[:MOUNTPATH], --rclone-config-secret NAME[:KEY]
// and --run-as-user UID[:GID]. It is user input, so it is fuzzed; it lives
// apart from generator/workflow so that a `go test -fuzz` build instruments
// only this package and Kubernetes' small name validation package, not
// Argo's and client-go's packages (a -fuzz build of generator/workflow took
// over 45 minutes in CI).
package clusterflags

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/distribution/reference"
	"k8s.io/apimachinery/pkg/util/validation"
)

// ErrCluster is wrapped when the cluster options cannot describe a working
// workflow (generator/workflow wraps the same error).
var ErrCluster = errors.New("bad cluster options")

// PVC is a PersistentVolumeClaim mounted at the same path in every pod.
type PVC struct {
	Claim     string
	MountPath string
}

// SecretRef names a Secret and the key that holds rclone.conf.
type SecretRef struct {
	Name string
	Key  string
}

// Identity is the user and group the pods run as. uid 0 gets the
// capabilities rsync needs to read every file and keep owners.
type Identity struct {
	UID int64
	GID int64
}

// ParseIdentity reads --run-as-user UID[:GID]; GID defaults to UID.
func ParseIdentity(s string) (*Identity, error) {
	uid, gid, hasGID := strings.Cut(s, ":")
	if !hasGID {
		gid = uid
	}
	u, uerr := strconv.ParseInt(uid, 10, 32)
	g, gerr := strconv.ParseInt(gid, 10, 32)
	if uerr != nil || gerr != nil || u < 0 || g < 0 {
		return nil, fmt.Errorf("%w: --run-as-user %q: give UID or UID:GID as numbers, or \"image\" for the image's user", ErrCluster, s)
	}
	return &Identity{UID: u, GID: g}, nil
}

// ParsePVC reads --pvc NAME[:MOUNTPATH]. Without a mount path the claim is
// mounted at /mnt/NAME.
func ParsePVC(s string) (PVC, error) {
	name, mount, hasMount := strings.Cut(s, ":")
	if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
		return PVC{}, fmt.Errorf("%w: --pvc %q: claim name %q: %s", ErrCluster, s, name, errs[0])
	}
	if !hasMount {
		mount = "/mnt/" + name
	}
	if !filepath.IsAbs(mount) || filepath.Clean(mount) != mount || mount == "/" {
		return PVC{}, fmt.Errorf("%w: --pvc %q: mount path %q must be a clean absolute path below /, as in --pvc %s:/mnt/%s", ErrCluster, s, mount, name, name)
	}
	for _, sys := range systemPaths {
		if mount == sys || strings.HasPrefix(mount, sys+"/") {
			return PVC{}, fmt.Errorf("%w: --pvc %q: mount path %q is in %s, which the container's system needs (the image's programs, /proc, /dev …); mount it elsewhere, as in --pvc %s:/mnt/%s", ErrCluster, s, mount, sys, name, name)
		}
	}
	return PVC{Claim: name, MountPath: mount}, nil
}

// systemPaths are the container's own directories: a claim mounted on one
// of them hides what the image or the kernel put there.
var systemPaths = []string{"/proc", "/sys", "/dev", "/etc", "/bin", "/sbin", "/usr", "/lib", "/lib32", "/lib64", "/libx32", "/boot", "/run", "/var/run", "/var/lib"}

// ParseImage checks --image against the grammar of container image
// references (github.com/distribution/reference, the one Docker and
// containerd use): "ghcr.io/x y:1" or a name with a newline cannot be pulled.
func ParseImage(s string) (string, error) {
	if strings.TrimSpace(s) == "" {
		return "", fmt.Errorf("%w: --image is empty; name the partsync image, as in ghcr.io/partsync/partsync:v1", ErrCluster)
	}
	if _, err := reference.ParseNormalizedNamed(s); err != nil {
		return "", fmt.Errorf("%w: --image %q is not an image reference (%v); give [REGISTRY/]NAME[:TAG][@DIGEST], as in ghcr.io/partsync/partsync:v1", ErrCluster, s, err)
	}
	return s, nil
}

// ParseSecretRef reads --rclone-config-secret NAME[:KEY]; KEY defaults to rclone.conf.
func ParseSecretRef(s string) (*SecretRef, error) {
	name, key, hasKey := strings.Cut(s, ":")
	if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
		return nil, fmt.Errorf("%w: --rclone-config-secret %q: %s", ErrCluster, s, errs[0])
	}
	if !hasKey {
		key = "rclone.conf"
	}
	if errs := validation.IsConfigMapKey(key); len(errs) > 0 {
		return nil, fmt.Errorf("%w: --rclone-config-secret %q: key %q: %s", ErrCluster, s, key, errs[0])
	}
	return &SecretRef{Name: name, Key: key}, nil
}
