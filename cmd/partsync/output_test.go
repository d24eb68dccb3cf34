package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestOutputKeepsSpecialFiles: --output into something that is not a
// regular file (a FIFO here; /dev/null in the field) writes through it and
// leaves it what it was. Renaming a temporary file over it, as for a
// regular file, once turned this machine's /dev/null into a regular file.
func TestOutputKeepsSpecialFiles(t *testing.T) {
	base := t.TempDir()
	src := filepath.Join(base, "src")
	if err := os.MkdirAll(filepath.Join(src, "d"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "d", "f"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(base, "wf.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 1)
	go func() {
		f, err := os.Open(fifo) // blocks until generate opens it for writing
		if err != nil {
			got <- "open: " + err.Error()
			return
		}
		defer f.Close()
		data, _ := io.ReadAll(f)
		got <- string(data)
	}()
	res := partsync(context.Background(), "generate", "-d", filepath.Join(base, "runs"), "--run-id", "fifo",
		"--pvc", "data:"+base, "--output-file", fifo, src, filepath.Join(base, "dst"))
	if res.code != 0 {
		t.Fatalf("generate --output FIFO: exit %d\n%s", res.code, res)
	}
	if info, err := os.Lstat(fifo); err != nil || info.Mode()&os.ModeNamedPipe == 0 {
		// The reader still waits on the FIFO that was replaced: do not wait for it.
		t.Fatalf("--output FIFO is now %v (%v), want it still a FIFO", info.Mode(), err)
	}
	if doc := <-got; !strings.Contains(doc, "kind: Workflow") {
		t.Errorf("the FIFO's reader got %q, want the workflow", doc)
	}

	// A symbolic link stays a link; its target gets the document.
	target := filepath.Join(base, "real.yaml")
	if err := os.WriteFile(target, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(base, "wf.yaml")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	res = partsync(context.Background(), "template", "-d", filepath.Join(base, "runs"), "--pvc", "data:"+base, "--output-file", link, src, filepath.Join(base, "dst"))
	if res.code != 0 {
		t.Fatalf("template --output link: exit %d\n%s", res.code, res)
	}
	if info, err := os.Lstat(link); err != nil || info.Mode()&os.ModeSymlink == 0 {
		t.Errorf("--output link is now %v (%v), want it still a symbolic link", info.Mode(), err)
	}
	if data, err := os.ReadFile(target); err != nil || !strings.Contains(string(data), "kind: WorkflowTemplate") {
		t.Errorf("the link's target holds %.60q (%v), want the template", data, err)
	}
}
