package clusterflags

import (
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode"

	"github.com/distribution/reference"
)

// FuzzClusterFlags feeds the parsers of generate's cluster flags: --pvc
// CLAIM[:MOUNTPATH], --rclone-config-secret NAME[:KEY] and --run-as-user
// UID[:GID], --image (the reference grammar; no space or control
// character), and the pod knobs: --requests NAME=QUANTITY,…, --toleration
// KEY[=VALUE]:EFFECT, --node-selector/--pod-label KEY=VALUE,
// --pod-annotation, --image-pull-policy and --pod-spec-patch. A bad value is
// an ErrCluster error, never a panic; an accepted one is valid and reads
// back the same from its canonical form, and no --pvc mounts on a system
// path (/proc, /usr …).
func FuzzClusterFlags(f *testing.F) {
	for _, s := range []string{"data", "data:/mnt/x", "data:/", "data:rel", "Bad_Name", "rc:rclone.conf", "rc:../k", "1000", "1000:100", "-1", "0:0", ":", "a:/x/../y", "99999999999",
		"cpu=500m,memory=1Gi", "cpu=,memory=", "cpu=1e3", "dedicated=transfer:NoSchedule", "k:NoExecute", "a=b", "Always",
		`{"containers":[{"name":"main"}]}`, "containers: [3]",
		// --image: refused with a space, a newline, upper case in the path, an empty tag; accepted with a registry, tag and digest.
		"ghcr.io/x y:1", "ghcr.io/partsync/partsync:v1\n", "ghcr.io/partsync/partsync:v1", "partsync", "localhost:5000/p/s:1.2",
		"ghcr.io/p/s@sha256:" + strings.Repeat("a", 64), "ghcr.io/P/s:1", "ghcr.io/p/s:", " ghcr.io/p/s:1", "ghcr.io/p/s:1\x00",
		// --pvc on the container's system paths, and near misses.
		"a:/proc", "a:/proc/x", "a:/usr/local/data", "a:/var/lib", "a:/var/library", "a:/etc", "a:/etcetera", "a:/dev/shm", "a:/mnt/proc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if p, err := ParsePVC(s); err != nil {
			if !errors.Is(err, ErrCluster) {
				t.Fatalf("ParsePVC(%q): %v does not wrap ErrCluster", s, err)
			}
		} else {
			if !filepath.IsAbs(p.MountPath) || filepath.Clean(p.MountPath) != p.MountPath || p.MountPath == "/" || p.Claim == "" {
				t.Fatalf("ParsePVC(%q) accepted %+v", s, p)
			}
			for _, sys := range systemPaths {
				if p.MountPath == sys || strings.HasPrefix(p.MountPath, sys+"/") {
					t.Fatalf("ParsePVC(%q) mounts on the system path %s: %+v", s, sys, p)
				}
			}
			if again, err := ParsePVC(p.Claim + ":" + p.MountPath); err != nil || again != p {
				t.Fatalf("ParsePVC(%q) = %+v; its canonical form reads %+v, %v", s, p, again, err)
			}
		}
		if r, err := ParseSecretRef(s); err != nil {
			if !errors.Is(err, ErrCluster) {
				t.Fatalf("ParseSecretRef(%q): %v does not wrap ErrCluster", s, err)
			}
		} else if again, err := ParseSecretRef(r.Name + ":" + r.Key); err != nil || !reflect.DeepEqual(again, r) || r.Name == "" || r.Key == "" {
			t.Fatalf("ParseSecretRef(%q) = %+v; its canonical form reads %+v, %v", s, r, again, err)
		}
		if list, err := ParseResources("requests", s); err != nil {
			if !errors.Is(err, ErrCluster) {
				t.Fatalf("ParseResources(%q): %v does not wrap ErrCluster", s, err)
			}
		} else if again, err := ParseResources("requests", FormatResources(list)); err != nil || FormatResources(again) != FormatResources(list) {
			t.Fatalf("ParseResources(%q) = %s; its canonical form reads %s, %v", s, FormatResources(list), FormatResources(again), err)
		}
		if tol, err := ParseToleration(s); err != nil {
			if !errors.Is(err, ErrCluster) {
				t.Fatalf("ParseToleration(%q): %v does not wrap ErrCluster", s, err)
			}
		} else if again, err := ParseToleration(FormatToleration(tol)); err != nil || again != tol {
			t.Fatalf("ParseToleration(%q) = %+v; its canonical form reads %+v, %v", s, tol, again, err)
		}
		if k, v, err := ParseLabel("pod-label", s); err != nil {
			if !errors.Is(err, ErrCluster) {
				t.Fatalf("ParseLabel(%q): %v does not wrap ErrCluster", s, err)
			}
		} else if k2, v2, err := ParseLabel("pod-label", k+"="+v); err != nil || k2 != k || v2 != v {
			t.Fatalf("ParseLabel(%q) = %q=%q; its canonical form reads %q=%q, %v", s, k, v, k2, v2, err)
		}
		if _, _, err := ParseAnnotation(s); err != nil && !errors.Is(err, ErrCluster) {
			t.Fatalf("ParseAnnotation(%q): %v does not wrap ErrCluster", s, err)
		}
		if _, err := ParsePullPolicy(s); err != nil && !errors.Is(err, ErrCluster) {
			t.Fatalf("ParsePullPolicy(%q): %v does not wrap ErrCluster", s, err)
		}
		if patch, err := ParsePodSpecPatch("inline", []byte(s)); err != nil {
			if !errors.Is(err, ErrCluster) {
				t.Fatalf("ParsePodSpecPatch(%q): %v does not wrap ErrCluster", s, err)
			}
		} else if again, err := ParsePodSpecPatch("inline", []byte(patch)); err != nil || again != patch {
			t.Fatalf("ParsePodSpecPatch(%q) = %s; reading it again gives %s, %v", s, patch, again, err)
		}
		if img, err := ParseImage(s); err != nil {
			if !errors.Is(err, ErrCluster) {
				t.Fatalf("ParseImage(%q): %v does not wrap ErrCluster", s, err)
			}
		} else if img != s || strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }) >= 0 {
			t.Fatalf("ParseImage(%q) accepted %q: a pull of it cannot work", s, img)
		} else if _, err := reference.ParseNormalizedNamed(s); err != nil {
			t.Fatalf("ParseImage(%q) accepted what the reference grammar refuses: %v", s, err)
		}
		if id, err := ParseIdentity(s); err != nil {
			if !errors.Is(err, ErrCluster) {
				t.Fatalf("ParseIdentity(%q): %v does not wrap ErrCluster", s, err)
			}
		} else if again, err := ParseIdentity(fmt.Sprintf("%d:%d", id.UID, id.GID)); err != nil || *again != *id || id.UID < 0 || id.GID < 0 || id.UID > 1<<31-1 || id.GID > 1<<31-1 {
			t.Fatalf("ParseIdentity(%q) = %+v; its canonical form reads %+v, %v", s, id, again, err)
		}
	})
}
