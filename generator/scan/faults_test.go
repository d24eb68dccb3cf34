package scan

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// buildFaultTree makes: d/ (1 file, 1 subdir), d/f, d/sub/g, e/ (3 files), top.
func buildFaultTree(t *testing.T) string {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "d/f"), 1)
	writeFile(t, filepath.Join(root, "d/sub/g"), 2)
	for _, n := range []string{"x", "y", "z"} {
		writeFile(t, filepath.Join(root, "e", n), 3)
	}
	writeFile(t, filepath.Join(root, "top"), 4)
	return root
}

// TestFaults injects errors through the file system seam (the tests run as
// root, which no permission stops) and checks what is visited and skipped.
func TestFaults(t *testing.T) {
	tests := []struct {
		name      string
		faults    *faultFS
		want      []string
		skipped   int64
		notOpened string // a directory that must not have been read
	}{{
		name:   "unreadable directory is visited with children -1, then skipped",
		faults: &faultFS{openErr: map[string]error{"d": syscall.EACCES}},
		want: []string{
			`visit "d" dir size=0 children=-1`,
			`skip "d" cannot read directory: permission denied; its contents are not copied`,
			`visit "e" dir size=0 children=3`,
			`visit "e/x" file size=3 children=0`,
			`visit "e/y" file size=3 children=0`,
			`visit "e/z" file size=3 children=0`,
			`visit "top" file size=4 children=0`,
		},
		skipped: 1,
	}, {
		name:   "directory that vanished before it was read",
		faults: &faultFS{openErr: map[string]error{"d/sub": syscall.ENOENT}},
		want: []string{
			`visit "d" dir size=0 children=2`,
			`visit "d/f" file size=1 children=0`,
			`visit "d/sub" dir size=0 children=-1`,
			`skip "d/sub" vanished during the scan`,
			`visit "e" dir size=0 children=3`,
			`visit "e/x" file size=3 children=0`,
			`visit "e/y" file size=3 children=0`,
			`visit "e/z" file size=3 children=0`,
			`visit "top" file size=4 children=0`,
		},
		skipped: 1,
	}, {
		name:   "directory replaced by a link or a file",
		faults: &faultFS{openErr: map[string]error{"d/sub": syscall.ELOOP, "e": syscall.ENOTDIR}},
		want: []string{
			`visit "d" dir size=0 children=2`,
			`visit "d/f" file size=1 children=0`,
			`visit "d/sub" dir size=0 children=-1`,
			`skip "d/sub" changed during the scan: no longer a directory; its contents are not copied`,
			`visit "e" dir size=0 children=-1`,
			`skip "e" changed during the scan: no longer a directory; its contents are not copied`,
			`visit "top" file size=4 children=0`,
		},
		skipped: 2,
	}, {
		name: "entries that vanished or fail lstat are skipped in their place and not counted as children",
		faults: &faultFS{lstatErr: map[string]error{
			"e/y": syscall.ENOENT, "e/z": syscall.EIO, "d/sub": syscall.ENOENT,
		}},
		want: []string{
			`visit "d" dir size=0 children=1`,
			`visit "d/f" file size=1 children=0`,
			`skip "d/sub" vanished during the scan`,
			`visit "e" dir size=0 children=1`,
			`visit "e/x" file size=3 children=0`,
			`skip "e/y" vanished during the scan`,
			`skip "e/z" cannot stat: input/output error`,
			`visit "top" file size=4 children=0`,
		},
		skipped:   3,
		notOpened: "d/sub",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := buildFaultTree(t)
			for _, workers := range []int{1, 8} {
				tt.faults.opened = nil
				r := mustWalk(t, root, Options{Workers: workers}, tt.faults.opener())
				diffCalls(t, "walk", r.calls, tt.want)
				if r.stats.Skipped != tt.skipped || int(r.stats.Skipped) != len(r.skips) {
					t.Errorf("Skipped = %d, %d skips, want %d", r.stats.Skipped, len(r.skips), tt.skipped)
				}
				if tt.notOpened != "" && slices.Contains(tt.faults.openedDirs(), tt.notOpened) {
					t.Errorf("%s was opened", tt.notOpened)
				}
			}
		})
	}
}

// TestUnreadableDirReal checks a real permission error; it needs a user that
// permissions stop, so it is skipped when run as root.
func TestUnreadableDirReal(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads any directory; TestFaults injects the error instead")
	}
	root := buildFaultTree(t)
	locked := filepath.Join(root, "d/sub")
	if err := os.Chmod(locked, 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(locked, 0o755) })
	r := mustWalk(t, root, Options{}, nil)
	i := slices.Index(r.calls, `visit "d/sub" dir size=0 children=-1`)
	if i < 0 || i+1 >= len(r.calls) ||
		r.calls[i+1] != `skip "d/sub" cannot read directory: permission denied; its contents are not copied` {
		t.Fatalf("no visit with children -1 then skip for d/sub in:\n%s", strings.Join(r.calls, "\n"))
	}
	if r.stats.Skipped != 1 || r.stats.Files != 5 {
		t.Errorf("stats %+v, want 1 skipped and 5 files", r.stats)
	}
}

// TestOpenWaitsOutEMFILE checks that running out of file descriptors for a
// moment delays a directory instead of losing it.
func TestOpenWaitsOutEMFILE(t *testing.T) {
	root := buildFaultTree(t)
	var mu sync.Mutex
	failures := 0
	faults := &faultFS{onOpen: func(rel string) error {
		mu.Lock()
		defer mu.Unlock()
		if rel == "e" && failures < 3 {
			failures++
			return syscall.EMFILE
		}
		return nil
	}}
	r := mustWalk(t, root, Options{Workers: 2}, faults.opener())
	if failures != 3 || r.stats.Skipped != 0 || r.stats.Files != 6 {
		t.Errorf("%d EMFILE, stats %+v; want 3 and all 6 files", failures, r.stats)
	}
}
