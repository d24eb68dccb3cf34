package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/partsync/partsync/generator/tool"
)

// TestRunRcloneDefaults: run -m rclone with neither -n, -f, -s nor -o runs
// one rclone at a time with 16 transfers (tool.Rclone.LocalOptions) over
// partitions of up to 100,000 entries: the sample tree is one partition.
// With -f 5 there are several, still one rclone at a time (counted by a
// wrapper on PATH); -n 3 runs them 3 at once, and -o replaces the options.
// To the s3 remote the options add --ignore-checksum, to a directory not.
// --bwlimit is split over that -n. rsync's defaults do not change. Every
// run copies every file.
func TestRunRcloneDefaults(t *testing.T) {
	needTools(t, "rclone", "rsync")
	base := t.TempDir()
	// The wrapper logs "+" when an rclone starts and "-" when it ends.
	events := filepath.Join(base, "events")
	wrapRclone(t, "echo + >>"+events, "echo - >>"+events)
	// atOnce is the most rclones that ran at the same time since the last call.
	atOnce := func() int {
		data, _ := os.ReadFile(events)
		os.Remove(events)
		n, most := 0, 0
		for _, e := range strings.Fields(string(data)) {
			if e == "+" {
				n++
			} else {
				n--
			}
			most = max(most, n)
		}
		return most
	}

	s3 := StartS3(t, "bucket")
	cfg := s3.WriteRcloneConfig(t, t.TempDir(), "s3test")
	src, shared := filepath.Join(base, "src"), filepath.Join(base, "runs")
	files := buildSampleFiles(t, src, 4, 12)
	// To the s3 remote run's rclone skips its second MD5 of each file
	// (--ignore-checksum); to a directory it keeps it.
	s3Defaults, pathDefaults := tool.Rclone{}.LocalOptions("s3"), tool.Rclone{}.LocalOptions("")
	if !slices.Contains(s3Defaults, "--ignore-checksum") || slices.Contains(pathDefaults, "--ignore-checksum") {
		t.Fatalf("LocalOptions: s3 %q, a path %q; want --ignore-checksum for s3 only", s3Defaults, pathDefaults)
	}
	for _, c := range []struct {
		name          string
		args          []string
		options       []string
		parts, atOnce int // parts 0: more than one
	}{
		{"defaults", nil, s3Defaults, 1, 1},
		{"f5", []string{"-f", "5"}, s3Defaults, 0, 1},
		{"n3", []string{"-f", "5", "-n", "3"}, s3Defaults, 0, 3},
		{"o", []string{"-o", "--retries=1 --transfers=4"}, []string{"--retries=1", "--transfers=4"}, 1, 1},
		{"path", nil, pathDefaults, 1, 1}, // DST a directory: rclone's check after each upload stays
	} {
		t.Run(c.name, func(t *testing.T) {
			dst := "s3test:bucket/" + c.name
			if c.name == "path" {
				dst = filepath.Join(base, "dst")
			}
			args := append([]string{"run", "--run-id", c.name, "-m", "rclone", "-d", shared, "--rclone-config", cfg}, c.args...)
			mustPartsync(t, append(args, src, dst)...)
			p := loadPlan(t, filepath.Join(shared, c.name))
			got := atOnce()
			if !slices.Equal(p.ToolOptions, c.options) || (c.parts > 0) != (p.Count() == c.parts) || (c.parts == 0) != (p.Count() > 1) || got != c.atOnce {
				t.Errorf("run -m rclone %q: options %q, %d partitions, %d rclones at once; want %q, %d partitions (0: several), %d at once",
					c.args, p.ToolOptions, p.Count(), got, c.options, c.parts, c.atOnce)
			}
			copied := len(s3.Objects(t, "bucket", c.name+"/"))
			if c.name == "path" {
				copied = countFiles(t, dst)
			}
			if listed := listedSent(p).Files; int64(copied) != listed || listed < int64(files)/2 {
				t.Errorf("run -m rclone %q: %d files at DST, want the %d files listed (of %d)", c.args, copied, listed, files)
			}
		})
	}

	// --bwlimit is split over run's -n, 1: 1536 B/s is 1.5 KiB/s for the one
	// rclone (over -n 2, 768 B/s, it was refused as under 1 KiB/s each).
	mustPartsync(t, "run", "--run-id", "bw", "-m", "rclone", "-d", shared, "--rclone-config", cfg, "--bwlimit", "1536", src, "s3test:bucket/bw")
	if p := loadPlan(t, filepath.Join(shared, "bw")); p.Jobs != 1 || p.TransferBwLimit != 1536 {
		t.Errorf("run -m rclone --bwlimit 1536: jobs %d, each transfer %d B/s; want 1 and 1536", p.Jobs, p.TransferBwLimit)
	}

	mustPartsync(t, "run", "--run-id", "rsync", "-d", shared, src, filepath.Join(base, "dst"))
	if p := loadPlan(t, filepath.Join(shared, "rsync")); !slices.Equal(p.ToolOptions, tool.Rsync{}.DefaultOptions()) {
		t.Errorf("rsync's options %q, want its defaults", p.ToolOptions)
	}
}

// TestRunS3CorruptUpload: with run's options to an s3 remote
// (--ignore-checksum: rclone does not compare the MD5 of what it sent with
// the ETag after the upload), a body spoiled on its way is still refused,
// by the server's check of the upload's Content-MD5, and copied again by
// partsync's retry of the partition: the object holds the source's bytes
// and the run succeeds.
func TestRunS3CorruptUpload(t *testing.T) {
	needTools(t, "rclone")
	base := t.TempDir()
	s3 := StartS3(t, "bucket")
	cfg := s3.WriteRcloneConfig(t, t.TempDir(), "s3test")
	src, shared := filepath.Join(base, "src"), filepath.Join(base, "runs")
	want := []byte("the bytes of the source, which a fault on the way must not replace\n")
	must(t, os.MkdirAll(filepath.Join(src, "d"), 0o755))
	must(t, os.WriteFile(filepath.Join(src, "d", "f.txt"), want, 0o644))
	must(t, os.WriteFile(filepath.Join(src, "g.txt"), []byte("another file\n"), 0o644))
	spoiled := s3.CorruptNextPut("bucket", "run/d/f.txt")
	mustPartsync(t, "run", "--run-id", "corrupt", "-m", "rclone", "--backoff", "10ms", "-d", shared, "--rclone-config", cfg, src, "s3test:bucket/run")
	if p := loadPlan(t, filepath.Join(shared, "corrupt")); !slices.Contains(p.ToolOptions, "--ignore-checksum") {
		t.Fatalf("run's options to s3 %q, want --ignore-checksum among them", p.ToolOptions)
	}
	if n := spoiled(); n != 1 {
		t.Fatalf("%d bodies spoiled, want 1: the test did not test", n)
	}
	objs := s3.Objects(t, "bucket", "run/")
	if got := objs["run/d/f.txt"]; string(got) != string(want) || len(objs) != 2 {
		t.Errorf("after a spoiled upload: %d objects, d/f.txt %q; want 2, and d/f.txt %q", len(objs), got, want)
	}
}

// wrapRclone puts first on PATH an rclone that runs the shell line before,
// then the real rclone with its arguments, then the line after, and exits
// with the real rclone's status.
func wrapRclone(t *testing.T, before, after string) {
	t.Helper()
	rclone, err := exec.LookPath("rclone")
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	script := "#!/bin/sh\n" + before + "\n" + rclone + " \"$@\"\nrc=$?\n" + after + "\nexit $rc\n"
	must(t, os.WriteFile(filepath.Join(bin, "rclone"), []byte(script), 0o755))
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
}

// buildSampleFiles builds buildSampleTree's tree at src and returns how
// many regular files it holds.
func buildSampleFiles(t *testing.T, src string, dirs, filesPerDir int) int {
	t.Helper()
	buildSampleTree(t, src, dirs, filesPerDir)
	return countFiles(t, src)
}

// countFiles is how many regular files the tree at root holds.
func countFiles(t *testing.T, root string) int {
	t.Helper()
	files := 0
	for _, n := range manifest(t, root) {
		if n.Type == 'f' {
			files++
		}
	}
	return files
}
