package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/partsync/partsync/generator/plan"
)

// TestRunReportsWhatWasSent: status/N.json, `status -o json` and the run's
// summary count what rsync and rclone (to S3) say they sent, not the
// plan's counts: the first run sends every listed file, a re-run of the
// same copy sends nothing, and after one file changed it sends that file.
func TestRunReportsWhatWasSent(t *testing.T) {
	for _, toolName := range []string{"rsync", "rclone"} {
		t.Run(toolName, func(t *testing.T) {
			cc := newCopyCase(t, toolName)
			src, shared, dst, args := cc.src, cc.shared, cc.dst, cc.args
			run := func(id string) (plan.Sent, *plan.Plan, string) {
				res := mustPartsync(t, append(append([]string{"run", "--run-id", id}, args...), src, dst)...)
				p := loadPlan(t, filepath.Join(shared, id))
				var sent plan.Sent
				for i := range p.Count() {
					if st := loadStatus(t, filepath.Join(shared, id), i); st.Sent != nil {
						sent.Files += st.Sent.Files
						sent.Bytes += st.Sent.Bytes
					}
				}
				var report plan.Report
				if err := json.Unmarshal([]byte(mustPartsync(t, "status", "--output", "json", "-d", shared, id).stdout), &report); err != nil {
					t.Fatal(err)
				}
				if report.Sent != sent {
					t.Errorf("run %s: status reports %+v sent, the status files %+v", id, report.Sent, sent)
				}
				return sent, p, res.stderr
			}

			sent, p, stderr := run("first")
			listed := listedSent(p)
			if sent != listed || listed.Files < 40 {
				t.Errorf("first run sent %+v; want every listed file: %+v", sent, listed)
			}
			if line := fmt.Sprintf("; sent %d files, ", sent.Files); !strings.Contains(stderr, line) {
				t.Errorf("the summary does not say %q:\n%s", line, stderr)
			}

			if sent, _, stderr := run("again"); sent != (plan.Sent{}) || !strings.Contains(stderr, "; sent 0 files, 0 B (nothing to copy)") {
				t.Errorf("re-run of the same copy sent %+v; want nothing:\n%s", sent, stderr)
			}

			changed := filepath.Join(src, "group-00", "dir-0000", "changed.dat")
			writeFile(t, changed, []byte("a new file of 27 bytes here"), 0o644, time.Now())
			if sent, _, _ := run("third"); sent != (plan.Sent{Files: 1, Bytes: 27}) {
				t.Errorf("after one file was added the run sent %+v; want that file, 1 file of 27 bytes", sent)
			}
		})
	}
}

// copyCase is a sample tree and a destination for a tool: a directory for
// rsync, a bucket of the test S3 server for rclone.
type copyCase struct {
	src, shared, dst string
	args             []string // -m, -n, -f, -d and the rclone config
	s3               *S3Server
}

func newCopyCase(t *testing.T, toolName string) copyCase {
	t.Helper()
	needTools(t, toolName)
	base := t.TempDir()
	cc := copyCase{src: filepath.Join(base, "src"), shared: filepath.Join(base, "runs"), dst: filepath.Join(base, "dst")}
	buildSampleTree(t, cc.src, 4, 10)
	cc.args = []string{"-m", toolName, "-n", "2", "-f", "12", "-d", cc.shared}
	if toolName == "rclone" {
		cc.s3 = StartS3(t, "bucket")
		cc.args = append(cc.args, "--rclone-config", cc.s3.WriteRcloneConfig(t, t.TempDir(), "s3test"))
		cc.dst = "s3test:bucket/copy"
	}
	return cc
}

// listedSent is what the partitions of p list: their regular files and bytes.
func listedSent(p *plan.Plan) plan.Sent {
	var listed plan.Sent
	for _, part := range p.Partitions {
		listed.Files += part.Files
		listed.Bytes += part.Bytes
	}
	return listed
}
