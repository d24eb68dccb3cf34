package clusterflags

import (
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzClusterFlags feeds the parsers of generate's cluster flags: --pvc
// CLAIM[:MOUNTPATH], --rclone-config-secret NAME[:KEY] and --run-as-user
// UID[:GID]. A bad value is an ErrCluster error, never a panic; an accepted
// one is valid and reads back the same from its canonical form.
func FuzzClusterFlags(f *testing.F) {
	for _, s := range []string{"data", "data:/mnt/x", "data:/", "data:rel", "Bad_Name", "rc:rclone.conf", "rc:../k", "1000", "1000:100", "-1", "0:0", ":", "a:/x/../y", "99999999999"} {
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
		if id, err := ParseIdentity(s); err != nil {
			if !errors.Is(err, ErrCluster) {
				t.Fatalf("ParseIdentity(%q): %v does not wrap ErrCluster", s, err)
			}
		} else if again, err := ParseIdentity(fmt.Sprintf("%d:%d", id.UID, id.GID)); err != nil || *again != *id || id.UID < 0 || id.GID < 0 || id.UID > 1<<31-1 || id.GID > 1<<31-1 {
			t.Fatalf("ParseIdentity(%q) = %+v; its canonical form reads %+v, %v", s, id, again, err)
		}
	})
}
