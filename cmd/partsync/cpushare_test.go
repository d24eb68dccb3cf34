package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/partsync/partsync/generator/testtree/sample"
)

// TestRunRcloneSharesCPUs runs `partsync run -m rclone -n 2` with the real
// rclone behind a stand-in first on PATH that records the GOMAXPROCS each
// rclone started with: every partition's rclone gets its share of the
// processors (tool.CPUShareEnv), and every object arrives with its bytes.
func TestRunRcloneSharesCPUs(t *testing.T) {
	needTools(t, "rclone")
	if v, ok := os.LookupEnv("GOMAXPROCS"); ok {
		t.Skipf("GOMAXPROCS=%s is set: partsync leaves it to every rclone", v)
	}
	real, _ := exec.LookPath("rclone")
	bin, base := t.TempDir(), t.TempDir()
	record := filepath.Join(base, "gomaxprocs")
	stand := "#!/bin/sh\necho \"${GOMAXPROCS:-unset}\" >>'" + record + "'\nexec '" + real + "' \"$@\"\n"
	if err := os.WriteFile(filepath.Join(bin, "rclone"), []byte(stand), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))

	s3 := StartS3(t, "bucket")
	src := filepath.Join(base, "src")
	made, err := sample.Build(src, sample.Spec{Seed: 7, Dirs: 4, FilesPerDir: 15, MaxSize: 8 << 10})
	if err != nil {
		t.Fatal(err)
	}
	cfg := s3.WriteRcloneConfig(t, t.TempDir(), "s3test")
	mustPartsync(t, "run", "-m", "rclone", "-n", "2", "-f", "20", "-d", filepath.Join(base, "runs"), "--rclone-config", cfg, src, "s3test:bucket")

	objects := s3.Objects(t, "bucket", "")
	var bytes int64
	for _, data := range objects {
		bytes += int64(len(data))
	}
	if int64(len(objects)) != made.Files || bytes != made.Bytes {
		t.Errorf("bucket: %d objects, %d bytes; the source holds %d files, %d bytes", len(objects), bytes, made.Files, made.Bytes)
	}
	data, err := os.ReadFile(record)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Fields(string(data))
	want := strconv.Itoa(max(1, runtime.GOMAXPROCS(0)/2))
	if len(got) < 2 {
		t.Fatalf("rclone ran %d times (%q); the run has several partitions", len(got), got)
	}
	for i, g := range got {
		if g != want {
			t.Errorf("rclone %d ran with GOMAXPROCS=%s, want %s (%d processors, -n 2)", i, g, want, runtime.GOMAXPROCS(0))
		}
	}
}
