package main

// Faults in the middle of a run, with real processes: the tool killed with
// SIGKILL while it copies, and the S3 server gone for ten seconds. The
// retries with backoff finish the run and the destination is complete.

import (
	"context"
	"crypto/rand"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/partsync/partsync/generator/plan"
)

// toolChild finds a process started by this test process whose command line
// holds marker, or returns 0.
func toolChild(t *testing.T, marker string) int {
	t.Helper()
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, dir := range procs {
		stat, err := os.ReadFile(filepath.Join(dir, "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid …: comm may hold spaces, so split after the last ')'.
		i := strings.LastIndexByte(string(stat), ')')
		fields := strings.Fields(string(stat[i+1:]))
		if len(fields) < 2 || fields[1] != strconv.Itoa(os.Getpid()) {
			continue
		}
		cmdline, _ := os.ReadFile(filepath.Join(dir, "cmdline"))
		if strings.Contains(string(cmdline), marker) {
			pid, _ := strconv.Atoi(filepath.Base(dir))
			return pid
		}
	}
	return 0
}

// TestToolKilledMidPartition starts a run whose partition with a large file
// is slowed by the tool's own bandwidth limit, waits until the tool has
// written part of that file at the destination, and kills the tool with
// SIGKILL. The partition's second attempt completes it: exit 0, status with
// 2 attempts, and the destination holds exactly the source's files and bytes
// (no partial or temporary file left behind).
func TestToolKilledMidPartition(t *testing.T) {
	for _, tc := range []struct{ tool, opts string }{
		{"rsync", "-a --numeric-ids --bwlimit=1500"},
		{"rclone", "--retries=1 --bwlimit=1.5M"},
	} {
		t.Run(tc.tool, func(t *testing.T) {
			needTools(t, tc.tool)
			t.Parallel()
			base := t.TempDir()
			src, dst, shared := filepath.Join(base, "src"), filepath.Join(base, "dst"), filepath.Join(base, "runs")
			sourceTree(t, src)
			big := make([]byte, 4<<20)
			if _, err := rand.Read(big); err != nil {
				t.Fatal(err)
			}
			writeFile(t, filepath.Join(src, "big", "big.bin"), big, 0o644, time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC))
			runDir := filepath.Join(shared, "kill")

			done := make(chan cliResult, 1)
			go func() {
				done <- partsync(context.Background(), "run", "-m", tc.tool, "-o", tc.opts, "-n", "2", "-f", "6", "-s", "1M",
					"--retries", "2", "--backoff", "200ms", "-d", shared, "--run-id", "kill", src, dst)
			}()
			// The big file is alone in its partition (-s 1M); wait for its
			// tool to have written some of it, then kill the tool.
			killed := 0
			for killed == 0 {
				select {
				case res := <-done:
					t.Fatalf("the run ended before the tool could be killed: %s", res)
				case <-time.After(10 * time.Millisecond):
				}
				if !partial(dst) {
					continue
				}
				bigPart := partOf(t, runDir, tc.tool, "big/big.bin")
				if pid := toolChild(t, filepath.Join(runDir, "parts", "part."+strconv.Itoa(bigPart))); pid != 0 {
					if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
						t.Fatal(err)
					}
					killed = pid
				}
			}
			res := <-done
			if res.code != ExitOK {
				t.Fatalf("%s", res)
			}
			bigPart := partOf(t, runDir, tc.tool, "big/big.bin")
			if st := loadStatus(t, runDir, bigPart); !st.OK || st.Attempts != 2 {
				t.Errorf("status of the killed partition %d: ok=%v attempts=%d; want ok after 2 attempts", bigPart, st.OK, st.Attempts)
			}
			if !strings.Contains(res.stderr, "part "+strconv.Itoa(bigPart)+" attempt 1 failed (exit -1), will retry") {
				t.Errorf("stderr does not report the killed attempt of part %d:\n%s", bigPart, res.stderr)
			}
			sameTree(t, src, dst)
		})
	}
}

// partial reports whether some of big/big.bin (or the tool's temporary file
// for it) is at the destination.
func partial(dst string) bool {
	ents, _ := os.ReadDir(filepath.Join(dst, "big"))
	for _, e := range ents {
		if info, err := e.Info(); err == nil && strings.Contains(e.Name(), "big.bin") && info.Size() > 0 {
			return true
		}
	}
	return false
}

// sameTree checks that dst holds exactly the regular files of src, byte for
// byte, and nothing else.
func sameTree(t *testing.T, src, dst string) {
	t.Helper()
	want, got := manifest(t, src), manifest(t, dst)
	for rel, n := range want {
		if n.Type != 'f' {
			continue
		}
		if g, ok := got[rel]; !ok || g.SHA256 != n.SHA256 {
			t.Errorf("%s at the destination: present %v, sha256 %s, want %s", rel, ok, g.SHA256, n.SHA256)
		}
	}
	for rel, n := range got {
		if _, ok := want[rel]; !ok {
			t.Errorf("%s (%c, %d bytes) is at the destination but not in the source", rel, n.Type, n.Size)
		}
	}
}

// restartableS3 is an S3Server whose listener can be closed and opened again
// on the same port, keeping its objects.
type restartableS3 struct {
	*S3Server
	addr    string
	handler http.Handler
	srv     *http.Server
}

func startRestartableS3(t *testing.T, buckets ...string) *restartableS3 {
	t.Helper()
	s := &S3Server{Backend: s3mem.New()}
	faker := gofakes3.New(s.Backend, gofakes3.WithLogger(gofakes3.DiscardLog()))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &restartableS3{S3Server: s, addr: ln.Addr().String(), handler: s.verify(faker.Server())}
	s.URL = "http://" + r.addr
	r.serve(ln)
	t.Cleanup(r.stop)
	for _, b := range buckets {
		if err := s.Backend.CreateBucket(b); err != nil {
			t.Fatalf("create bucket %s: %v", b, err)
		}
	}
	return r
}

func (r *restartableS3) serve(ln net.Listener) {
	r.srv = &http.Server{Handler: r.handler, ReadHeaderTimeout: 10 * time.Second}
	srv := r.srv
	go func() { _ = srv.Serve(ln) }()
}

// stop closes the listener and every connection: clients get "connection refused".
func (r *restartableS3) stop() { _ = r.srv.Close() }

// start listens again on the same address.
func (r *restartableS3) start(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp", r.addr)
	if err != nil {
		t.Fatalf("listen again on %s: %v", r.addr, err)
	}
	r.serve(ln)
}

// TestS3OutageMidRun stops the S3 server for ten seconds after the first
// partition arrived, and starts it again on the same port. With --retries
// and --backoff the run finishes: exit 0, every object with the source's
// bytes, and some partition needed more than one attempt.
func TestS3OutageMidRun(t *testing.T) {
	needTools(t, "rclone")
	t.Parallel()
	s3 := startRestartableS3(t, "bucket")
	base := t.TempDir()
	src, shared := filepath.Join(base, "src"), filepath.Join(base, "runs")
	sourceTree(t, src)
	cfg := s3.WriteRcloneConfig(t, t.TempDir(), "s3")
	runDir := filepath.Join(shared, "outage")

	done := make(chan cliResult, 1)
	go func() {
		done <- partsync(context.Background(), "run", "-m", "rclone", "-o", "--retries=1 --low-level-retries=2 --tpslimit=10",
			"-n", "1", "-f", "2", "--retries", "5", "--backoff", "1s", "--rclone-config", cfg,
			"-d", shared, "--run-id", "outage", src, "s3:bucket/copy")
	}()
	for {
		select {
		case res := <-done:
			t.Fatalf("the run ended before the outage: %s", res)
		case <-time.After(10 * time.Millisecond):
		}
		if st, ok, err := plan.LoadStatus(plan.Dir(runDir), 0); err == nil && ok && st.OK {
			break
		}
	}
	s3.stop()
	outage := time.Now()
	time.Sleep(10 * time.Second)
	s3.start(t)
	res := <-done
	if res.code != ExitOK {
		t.Fatalf("%s", res)
	}
	p := loadPlan(t, runDir)
	retried, after := 0, 0
	for i := range p.Count() {
		st := loadStatus(t, runDir, i)
		if !st.OK {
			t.Errorf("part %d: %+v", i, st)
		}
		if st.Attempts > 1 {
			retried++
		}
		if fin, err := time.Parse(time.RFC3339, st.Finished); err == nil && fin.After(outage) {
			after++
		}
	}
	if retried == 0 || after == 0 || p.Count() < 5 {
		t.Errorf("%d partitions retried, %d finished after the outage, of %d; the outage hit no partition\n%s", retried, after, p.Count(), res.stderr)
	}
	objects := s3.Objects(t, "bucket", "copy/")
	for rel, n := range manifest(t, src) {
		if n.Type != 'f' {
			continue
		}
		if data, ok := objects["copy/"+rel]; !ok || sha256hex(data) != n.SHA256 {
			t.Errorf("object copy/%s: present %v, want the source's %d bytes", rel, ok, n.Size)
		}
	}
	if len(objects) != 20 {
		t.Errorf("%d objects, want 20", len(objects))
	}
}
