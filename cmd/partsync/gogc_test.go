package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLocalRcloneGOGC: every rclone a local run starts (the copy and
// --verify's listing) and the one partsync verify starts runs with
// GOGC=400 when partsync's environment sets no GOGC, and with the user's
// GOGC, even an empty one, when it does (counted by a wrapper on PATH that
// logs the GOGC it was given). Every copy is complete.
func TestLocalRcloneGOGC(t *testing.T) {
	needTools(t, "rclone")
	base := t.TempDir()
	seen := filepath.Join(base, "gogc")
	wrapRclone(t, "echo \"[${GOGC-unset}]\" >>"+seen, "")

	s3 := StartS3(t, "bucket")
	cfg := s3.WriteRcloneConfig(t, t.TempDir(), "s3test")
	src, shared := filepath.Join(base, "src"), filepath.Join(base, "runs")
	files := buildSampleFiles(t, src, 3, 8)
	for _, c := range []struct {
		name       string
		set        bool // whether partsync's environment sets GOGC
		gogc, want string
	}{
		{"unset", false, "", "[400]"},
		{"user", true, "100", "[100]"},
		{"empty", true, "", "[]"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if t.Setenv("GOGC", c.gogc); !c.set {
				must(t, os.Unsetenv("GOGC"))
			}
			os.Remove(seen)
			mustPartsync(t, "run", "--run-id", c.name, "-m", "rclone", "--verify", "-d", shared, "--rclone-config", cfg, src, "s3test:bucket/"+c.name)
			mustPartsync(t, "verify", "-d", shared, "--rclone-config", cfg, c.name)
			data, err := os.ReadFile(seen)
			must(t, err)
			got := strings.Fields(string(data))
			if len(got) < 3 {
				t.Errorf("GOGC %s: %d rclones started (%q), want the copy, run's verify and partsync verify", c.name, len(got), got)
			}
			for _, g := range got {
				if g != c.want {
					t.Errorf("GOGC %s: an rclone ran with GOGC %s, want %s (all: %q)", c.name, g, c.want, got)
				}
			}
			listed := listedSent(loadPlan(t, filepath.Join(shared, c.name))).Files
			if objs := s3.Objects(t, "bucket", c.name+"/"); int64(len(objs)) != listed || listed < int64(files)/2 {
				t.Errorf("GOGC %s: %d objects at DST, want the %d files listed (of %d)", c.name, len(objs), listed, files)
			}
		})
	}
}
