package main

import (
	"os"
	"strings"
	"testing"
)

// TestMain makes the tests hermetic: partsync reads PARTSYNC_* (every flag)
// and the tools it runs read RCLONE_* and AWS_* (rclone v1.60 cannot create
// an S3 remote at all when AWS_CA_BUNDLE is set: "LoadCustomCABundleError:
// unsupported transport"), so none of them may leak in from the environment
// that runs the tests. Tests that want them set them with t.Setenv.
// PARTSYNC_REQUIRE_TOOLS (set by .ci/run) is read first: see needTools.
func TestMain(m *testing.M) {
	requireTools = os.Getenv("PARTSYNC_REQUIRE_TOOLS") != ""
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		for _, prefix := range []string{"PARTSYNC_", "RCLONE_", "AWS_"} {
			if strings.HasPrefix(name, prefix) {
				_ = os.Unsetenv(name)
			}
		}
	}
	os.Exit(m.Run())
}
