package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/partsync/partsync/generator/plan"
	"github.com/partsync/partsync/generator/testtree"
	"github.com/partsync/partsync/generator/transfer"
)

// TestReadOnlyDirsAsNonRoot: a non-root user copies a tree with read-only
// (0555) directories whose files are spread over several partitions. The
// partition that creates such a directory must not leave it read-only for
// the others running at the same time (rsync would fail with "Permission
// denied": each rsync makes an existing read-only directory writable while
// it writes into it and read-only again when it is done, whatever the others
// are doing); the directory step gives it its mode at the end. All
// partitions run at once as uid 65534, each with exactly the argv of `run`
// and of the pods. (Without --chmod=Du+w in that argv, most runs of this
// test fail; with it, none can.)
func TestReadOnlyDirsAsNonRoot(t *testing.T) {
	needTools(t, "rsync")
	needRoot(t, "to run the copies as another, non-root user")
	t.Parallel()
	const nobody = 65534
	base := t.TempDir()
	src, dst, shared := filepath.Join(base, "src"), filepath.Join(base, "dst"), filepath.Join(base, "runs")
	old := time.Date(1999, 1, 2, 3, 4, 5, 0, time.UTC)
	for i := range 60 {
		writeFile(t, filepath.Join(src, "ro", "f"+strconv.Itoa(i)), []byte{byte(i)}, 0o444, old)
	}
	writeFile(t, filepath.Join(src, "ro", "sub", "g"), []byte("g"), 0o444, old)
	for _, d := range []string{"ro/sub", "ro"} {
		if err := os.Chmod(filepath.Join(src, d), 0o555); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(filepath.Join(src, d), old, old); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{filepath.Dir(base), base} { // t.TempDir makes them 0700
		if err := os.Chmod(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	mustPartsync(t, "generate", "-f", "3", "-d", shared, "--run-id", "nonroot", "--pvc", "data:"+base, "--output-file", filepath.Join(base, "wf.yaml"), src, dst)
	p, err := plan.Load(plan.Dir(filepath.Join(shared, "nonroot")))
	if err != nil {
		t.Fatal(err)
	}
	if p.Count() < 3 {
		t.Fatalf("%d partitions; the test needs the files of ro/ in several", p.Count())
	}
	asNobody := func(argv []string) error {
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("as uid %d: %q: %v\n%s", nobody, argv, err, out)
		}
		return nil
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dst, nobody, nobody); err != nil {
		t.Fatal(err)
	}
	errs := make([]error, p.Count())
	var wg sync.WaitGroup
	for i := range p.Count() {
		argv, err := transfer.Command(p, strconv.Itoa(i))
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() { errs[i] = asNobody(argv) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("partitions failed: %v", err)
	}
	argv, err := transfer.DirsCommand(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := asNobody(argv); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"ro", "ro/sub"} {
		info, err := os.Stat(filepath.Join(dst, d))
		if err != nil || info.Mode().Perm() != 0o555 || !info.ModTime().Equal(old) {
			t.Errorf("%s at the destination: %v, %v; want 0555 and %v", d, info.Mode(), err, old)
		}
	}
	if n := len(testtree.Files(t, dst)); n != 61 {
		t.Errorf("%d files at the destination, want 61", n)
	}
}
