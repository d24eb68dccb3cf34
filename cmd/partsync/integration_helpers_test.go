package main

// Helpers of the integration tests: they run the partsync command line
// in-process with Run, build source trees, and read what a run left behind
// (the run directory and the destination) without partsync's own code where
// the point is to check partsync.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/partsync/partsync/generator/plan"
	"github.com/partsync/partsync/generator/testtree/sample"
)

// cliResult is the outcome of one partsync command line.
type cliResult struct {
	args   []string
	stdout string
	stderr string
	err    error
	code   int
}

// String describes the call for failure messages.
func (c cliResult) String() string {
	return "partsync " + strings.Join(c.args, " ") + "\n--- exit " + strconv.Itoa(c.code) +
		", error: " + errText(c.err) + "\n--- stderr:\n" + c.stderr
}

func errText(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// runMu serializes the calls of Run: urfave/cli v2 writes package globals
// (cli.HelpFlag, its help command) while it sets up an App, so two Runs at
// once are a data race (go test -race). Parallel tests still overlap in
// everything else they do.
var runMu sync.Mutex

// partsync runs `partsync args...` in-process with Run, as main does.
func partsync(ctx context.Context, args ...string) cliResult {
	var out, errs bytes.Buffer
	runMu.Lock()
	err := Run(ctx, append([]string{"partsync"}, args...), Streams{In: strings.NewReader(""), Out: &out, Err: &errs})
	runMu.Unlock()
	return cliResult{args: args, stdout: out.String(), stderr: errs.String(), err: err, code: exitCode(err)}
}

// mustPartsync runs partsync and fails the test unless it exits 0.
func mustPartsync(t *testing.T, args ...string) cliResult {
	t.Helper()
	res := partsync(context.Background(), args...)
	if res.code != ExitOK {
		t.Fatalf("%s", res)
	}
	return res
}

// requireTools turns a missing transfer program into a failure: .ci/run sets
// PARTSYNC_REQUIRE_TOOLS, since CI installs them.
var requireTools bool

// needRoot skips the test unless it runs as root; why says what for.
func needRoot(t *testing.T, why string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: " + why)
	}
}

// needTools skips the test when a transfer program is not installed, or
// fails it when PARTSYNC_REQUIRE_TOOLS was set: the tests need the real ones.
func needTools(t *testing.T, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			msg := fmt.Sprintf("%s is not installed (apt-get install %s): this integration test runs the real program", n, n)
			if requireTools {
				t.Fatal(msg + " (PARTSYNC_REQUIRE_TOOLS is set)")
			}
			t.Skip(msg)
		}
	}
}

// Exclude patterns of the sample tree and the entries they remove.
var sampleExcludes = []string{"*.tmp", "cache/"}

// sampleTree is a source tree built for a test.
type sampleTree struct {
	root string
	made sample.Stats // what sample.Build built (excluded entries not included)
	// excludedMatches is what plan.json counts as excluded: entries matched
	// by a pattern, a pruned directory counting once.
	excludedMatches int64
	// excludedPaths are the excluded entries and everything below them.
	excludedPaths []string
	// rcloneSkips are regular files whose names rclone cannot take from a
	// newline-separated list or store as they are: rsync copies them.
	rcloneSkips []string
}

// buildSampleTree writes package sample's tree with Extras (an empty directory,
// a symlink, odd names, modes, old mtimes) plus files per directory, and
// a few entries that sampleExcludes remove. dirs must be at least 2 (an
// excluded file goes into group-01/dir-0001).
func buildSampleTree(t *testing.T, root string, dirs, filesPerDir int) sampleTree {
	t.Helper()
	if dirs < 2 {
		t.Fatalf("buildSampleTree: dirs %d, want at least 2", dirs)
	}
	made, err := sample.Build(root, sample.Spec{Seed: 42, Dirs: dirs, FilesPerDir: filesPerDir, MinSize: 0, MaxSize: 12 << 10, Extras: true})
	if err != nil {
		t.Fatal(err)
	}
	st := sampleTree{root: root, made: made}
	mtime := time.Date(2021, 5, 6, 7, 8, 9, 0, time.UTC)
	for _, f := range []string{"odd names/line\nbreak.txt", "odd names/latin1-\xe9.txt"} {
		data := []byte("name rclone cannot keep: " + f)
		writeFile(t, filepath.Join(root, f), data, 0o640, mtime)
		st.made.Files++
		st.made.Bytes += int64(len(data))
		st.rcloneSkips = append(st.rcloneSkips, f)
	}
	for _, f := range []string{"group-01/dir-0001/partial.tmp", "odd names/scratch.tmp", "cache/a.dat", "cache/b.dat", "cache/deeper/c.dat"} {
		writeFile(t, filepath.Join(root, f), []byte("excluded "+f), 0o644, mtime)
	}
	// Directories get old mtimes too: rsync does not set a directory's
	// mtime when it is in the current second, so fresh ones prove nothing.
	dirTime := time.Date(2019, 3, 4, 5, 6, 7, 0, time.UTC)
	var dirPaths []string
	_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			dirPaths = append(dirPaths, path)
		}
		return err
	})
	for i := len(dirPaths) - 1; i >= 0; i-- { // children first
		if err := os.Chtimes(dirPaths[i], dirTime, dirTime.Add(time.Duration(i)*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	// And the symlink, whose mtime rsync -a keeps as well.
	link := filepath.Join(root, "odd names", "link")
	tv := []unix.Timeval{unix.NsecToTimeval(dirTime.UnixNano()), unix.NsecToTimeval(dirTime.UnixNano())}
	if err := unix.Lutimes(link, tv); err != nil {
		t.Fatalf("set the mtime of %s: %v", link, err)
	}
	st.excludedMatches = 3 // two *.tmp files and the cache directory
	st.excludedPaths = []string{"group-01/dir-0001/partial.tmp", "odd names/scratch.tmp", "cache", "cache/a.dat", "cache/b.dat", "cache/deeper", "cache/deeper/c.dat"}
	return st
}

// isExcluded reports whether rel was removed by sampleExcludes.
func (s sampleTree) isExcluded(rel string) bool { return slices.Contains(s.excludedPaths, rel) }

// notForRclone reports whether rel is not expected at an rclone destination
// for a reason of the tree's own: excluded, or a name rclone cannot keep.
func (s sampleTree) notForRclone(rel string) bool {
	return s.isExcluded(rel) || slices.Contains(s.rcloneSkips, rel)
}

// excludeArgs are the -x flags of sampleExcludes.
func excludeArgs() []string {
	var args []string
	for _, x := range sampleExcludes {
		args = append(args, "-x", x)
	}
	return args
}

func writeFile(t *testing.T, path string, data []byte, mode os.FileMode, mtime time.Time) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, mtime, mtime); err != nil {
		t.Fatal(err)
	}
}

// node is one entry of a tree as this test sees it, independent of package check.
type node struct {
	Type   byte // 'f' file, 'd' directory, 'l' symlink, 'o' other
	Size   int64
	SHA256 string
	Perm   fs.FileMode
	MTime  time.Time
	Target string // of a symlink
}

// manifest walks root with filepath.WalkDir and describes every entry below
// it by its '/'-separated relative path.
func manifest(t *testing.T, root string) map[string]node {
	t.Helper()
	m := map[string]node{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path == root {
			return nil
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		n := node{Perm: info.Mode().Perm(), MTime: info.ModTime().UTC()}
		switch {
		case info.Mode().IsRegular():
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			n.Type, n.Size, n.SHA256 = 'f', info.Size(), sha256hex(data)
		case info.IsDir():
			n.Type = 'd'
		case info.Mode()&fs.ModeSymlink != 0:
			n.Type = 'l'
			if n.Target, err = os.Readlink(path); err != nil {
				return err
			}
		default:
			n.Type = 'o'
		}
		m[filepath.ToSlash(rel)] = n
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", root, err)
	}
	return m
}

// loadPlan reads plan.json of a run directory without package plan's loader.
func loadPlan(t *testing.T, runDir string) *plan.Plan {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(runDir, "plan.json"))
	if err != nil {
		t.Fatalf("plan.json: %v", err)
	}
	var p plan.Plan
	if err := json.Unmarshal(data, &p); err != nil {
		t.Fatalf("plan.json: %v", err)
	}
	return &p
}

// loadStatus reads status/<n>.json.
func loadStatus(t *testing.T, runDir string, n int) *plan.Status {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(runDir, "status", strconv.Itoa(n)+".json"))
	if err != nil {
		t.Fatalf("status of part %d: %v", n, err)
	}
	var s plan.Status
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatalf("status of part %d: %v", n, err)
	}
	return &s
}

// readPart returns the paths of parts/part.<n>, split by the tool's separator.
func readPart(t *testing.T, runDir string, n int, sep byte) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(runDir, "parts", "part."+strconv.Itoa(n)))
	if err != nil {
		t.Fatalf("part %d: %v", n, err)
	}
	if len(data) == 0 {
		return nil
	}
	if data[len(data)-1] != sep {
		t.Errorf("part %d does not end with its separator %q", n, sep)
	}
	var paths []string
	for _, line := range strings.Split(strings.TrimSuffix(string(data), string(sep)), string(sep)) {
		dir, whole := strings.CutSuffix(line, "/")
		if !whole || sep != 0 {
			paths = append(paths, line)
			continue
		}
		// rsync's DIR/ line: the directory and every entry directly in it.
		paths = append(paths, dir)
		kids, err := os.ReadDir(filepath.Join(loadPlan(t, runDir).Source, dir))
		if err != nil {
			t.Fatalf("part %d: whole-directory line %q: %v", n, line, err)
		}
		for _, k := range kids {
			if k.IsDir() {
				t.Errorf("part %d: whole-directory line %q, but %s holds the directory %s", n, line, dir, k.Name())
			}
			paths = append(paths, dir+"/"+k.Name())
		}
	}
	return paths
}

// readSkipped parses the skipped file: a Go-quoted path, a tab, the reason.
func readSkipped(t *testing.T, runDir string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(runDir, "skipped"))
	if err != nil {
		t.Fatalf("skipped: %v", err)
	}
	out := map[string]string{}
	for _, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		if line == "" {
			continue
		}
		quoted, reason, ok := strings.Cut(line, "\t")
		path, err := strconv.Unquote(quoted)
		if !ok || err != nil || strings.TrimSpace(reason) == "" {
			t.Errorf("skipped: malformed line %q", line)
			continue
		}
		out[path] = reason
	}
	return out
}

// separator is the part-file separator of a tool, as DESIGN.md specifies it.
func separator(tool string) byte {
	if tool == "rsync" {
		return 0
	}
	return '\n'
}

// checkRunDir checks the run directory of a finished, successful local run:
// every partition has its part file, a status with ok=true and a log, the
// part files hold each expected path exactly once and respect -f, and the
// plan's partition stats add up. It returns the part files' paths.
func checkRunDir(t *testing.T, runDir, tool string, maxFiles int64, wantListed []string, skippedFiles int64) []string {
	t.Helper()
	p := loadPlan(t, runDir)
	if p.Tool != tool {
		t.Errorf("plan.json tool %q, want %q", p.Tool, tool)
	}
	if p.Count() < 2 {
		t.Errorf("plan has %d partitions; the test needs several (-f %d)", p.Count(), maxFiles)
	}
	parts, _ := filepath.Glob(filepath.Join(runDir, "parts", "part.*"))
	if len(parts) != p.Count() {
		t.Errorf("%d part files for %d partitions: %q", len(parts), p.Count(), parts)
	}
	var all []string
	var entries, files, bytes int64
	for n, part := range p.Partitions {
		paths := readPart(t, runDir, n, separator(tool))
		if int64(len(paths)) != part.Entries {
			t.Errorf("part %d: %d lines, plan.json says %d entries", n, len(paths), part.Entries)
		}
		if part.Entries > maxFiles || part.Entries == 0 {
			t.Errorf("part %d: %d entries, want 1 to -f %d", n, part.Entries, maxFiles)
		}
		all = append(all, paths...)
		entries += part.Entries
		files += part.Files
		bytes += part.Bytes

		st := loadStatus(t, runDir, n)
		if !st.OK || st.ExitCode != 0 || st.Part != n || st.Executor != "local" || st.Attempts != 1 {
			t.Errorf("status %d: ok=%v exit=%d part=%d executor=%q attempts=%d; want ok, exit 0, local, 1 attempt", n, st.OK, st.ExitCode, st.Part, st.Executor, st.Attempts)
		}
		if st.Files != part.Files || st.Bytes != part.Bytes {
			t.Errorf("status %d: %d files %d bytes, plan.json %d files %d bytes", n, st.Files, st.Bytes, part.Files, part.Bytes)
		}
		if len(st.Argv) == 0 || st.Argv[0] != tool || !slices.ContainsFunc(st.Argv, func(a string) bool { return strings.Contains(a, "part."+strconv.Itoa(n)) }) {
			t.Errorf("status %d: argv %q does not run %s on part.%d", n, st.Argv, tool, n)
		}
		if info, err := os.Stat(filepath.Join(runDir, "logs", "part."+strconv.Itoa(n)+".log")); err != nil || info.Size() == 0 {
			t.Errorf("log of part %d: missing or empty (%v)", n, err)
		}
	}
	if entries != p.Totals.Listed || files != p.Totals.Files-skippedFiles || bytes != p.Totals.ListedBytes {
		t.Errorf("partitions add up to %d entries, %d files, %d bytes; totals say listed %d, files %d (%d of them skipped), listed bytes %d",
			entries, files, bytes, p.Totals.Listed, p.Totals.Files, skippedFiles, p.Totals.ListedBytes)
	}
	got := slices.Clone(all)
	sort.Strings(got)
	if dup := duplicates(got); len(dup) > 0 {
		t.Errorf("paths in more than one partition line: %q", dup)
	}
	want := slices.Clone(wantListed)
	sort.Strings(want)
	if !slices.Equal(slices.Compact(got), want) {
		t.Errorf("part files list %d paths, want %d\nmissing: %q\nextra: %q", len(got), len(want), minus(want, got), minus(got, want))
	}
	return all
}

func duplicates(sorted []string) []string {
	var d []string
	for i := 1; i < len(sorted); i++ {
		if sorted[i] == sorted[i-1] {
			d = append(d, sorted[i])
		}
	}
	return d
}

// minus returns the elements of a that are not in b.
func minus(a, b []string) []string {
	in := map[string]bool{}
	for _, x := range b {
		in[x] = true
	}
	var out []string
	for _, x := range a {
		if !in[x] {
			out = append(out, x)
		}
	}
	return out
}

func sha256hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
