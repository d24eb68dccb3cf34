//go:build linux

package scan

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestOpenDirRefusesLinks checks that the real file system opens no directory
// through a link: not as the last component, and (with openat2) not as an
// earlier one, which only a directory replaced during the scan would be.
func TestOpenDirRefusesLinks(t *testing.T) {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "real/sub/f"), 1)
	symlink(t, "real", filepath.Join(root, "link"))
	fsys, err := openRoot(root)
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.close()

	d, err := fsys.openDir("real/sub")
	if err != nil {
		t.Fatalf("openDir(real/sub): %v", err)
	}
	names, types, err := d.names(make([]byte, scratchSize))
	d.close()
	if err != nil || len(names) != 1 || names[0] != "f" || len(types) != 1 || types[0] != 0 && types[0] != unknownType {
		t.Fatalf("names = %q, types %v, %v; want [f], a regular file", names, types, err)
	}

	if _, err := fsys.openDir("link"); !errors.Is(err, syscall.ELOOP) && !errors.Is(err, syscall.ENOTDIR) {
		t.Errorf("openDir(link) = %v, want ELOOP or ENOTDIR", err)
	}
	_, err = fsys.openDir("link/sub")
	if fsys.(*linuxFS).noOpenat2.Load() {
		t.Skip("no openat2 on this kernel: a link before the last component is not caught")
	}
	if !errors.Is(err, syscall.ELOOP) {
		t.Errorf("openDir(link/sub) = %v, want ELOOP", err)
	}
}

// TestFileModeMatchesOS checks the st_mode conversion against package os for
// special bits and device files.
func TestFileModeMatchesOS(t *testing.T) {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "suid"), 0)
	writeFile(t, filepath.Join(root, "sgid"), 0)
	mkdir(t, filepath.Join(root, "sticky"))
	for name, mode := range map[string]os.FileMode{
		"suid": 0o755 | os.ModeSetuid, "sgid": 0o640 | os.ModeSetgid, "sticky": 0o777 | os.ModeSticky,
	} {
		if err := os.Chmod(filepath.Join(root, name), mode); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct{ dir, name string }{
		{root, "suid"}, {root, "sgid"}, {root, "sticky"}, {"/dev", "null"}, {"/dev", "loop0"},
	} {
		want, err := os.Lstat(filepath.Join(c.dir, c.name))
		if err != nil {
			continue // no such device here
		}
		fsys, err := openRoot(c.dir)
		if err != nil {
			t.Fatal(err)
		}
		d, err := fsys.openDir("")
		if err != nil {
			t.Fatal(err)
		}
		st, err := d.lstat(c.name)
		d.close()
		fsys.close()
		if err != nil || st.mode != want.Mode() {
			t.Errorf("%s/%s: mode %v (%v), os says %v", c.dir, c.name, st.mode, err, want.Mode())
		}
	}
}
