package main

// End-to-end copies with the real rsync and rclone, run by `partsync run` in
// this process: the bytes, modes and mtimes at the destination, the run
// directory, and plan.json's accounting of every entry of the source.

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/partsync/partsync/generator/plural"
	"github.com/partsync/partsync/generator/testtree"
	"github.com/partsync/partsync/generator/testtree/check"
)

// checkTotals checks plan.json's totals against the tree the test built and
// against the test's own walk of the source (srcMan): every entry created is
// listed, implied, skipped or excluded, and nothing is counted twice.
func checkTotals(t *testing.T, runDir string, tree sampleTree, srcMan map[string]node) {
	t.Helper()
	p := loadPlan(t, runDir)
	tt := p.Totals
	m := tree.made
	if tt.Files != m.Files || tt.Dirs != m.Dirs || tt.Symlinks != m.Symlinks || tt.Others != 0 || tt.Bytes != m.Bytes {
		t.Errorf("totals: %d files, %d dirs, %d symlinks, %d others, %d bytes; the test made %d files, %d dirs, %d symlinks, 0 others, %d bytes (excluded entries aside)",
			tt.Files, tt.Dirs, tt.Symlinks, tt.Others, tt.Bytes, m.Files, m.Dirs, m.Symlinks, m.Bytes)
	}
	if tt.Entries != tt.Files+tt.Dirs+tt.Symlinks+tt.Others {
		t.Errorf("totals: %d entries is not files+dirs+symlinks+others", tt.Entries)
	}
	if tt.Listed+tt.Implied+tt.Skipped != tt.Entries {
		t.Errorf("totals: listed %d + implied %d + skipped %d = %d, but %d entries were scanned",
			tt.Listed, tt.Implied, tt.Skipped, tt.Listed+tt.Implied+tt.Skipped, tt.Entries)
	}
	if tt.Excluded != tree.excludedMatches {
		t.Errorf("totals: excluded %d, want %d (%q matched by %q, the pruned directory once)", tt.Excluded, tree.excludedMatches, tree.excludedPaths, sampleExcludes)
	}
	if got, want := tt.Entries+int64(len(tree.excludedPaths)), int64(len(srcMan)); got != want {
		t.Errorf("totals: %d entries scanned + %d excluded entries (and their contents) = %d, but the source holds %d", tt.Entries, len(tree.excludedPaths), got, want)
	}
	skipped := readSkipped(t, runDir)
	if int64(len(skipped)) != tt.Skipped {
		t.Errorf("totals: skipped %d, the skipped file has %d lines", tt.Skipped, len(skipped))
	}
	if tt.ListedBytes+tt.SkippedBytes != tt.Bytes {
		t.Errorf("totals: listed bytes %d + skipped bytes %d != %d bytes scanned", tt.ListedBytes, tt.SkippedBytes, tt.Bytes)
	}
}

// TestRunRsyncFSToFS copies a tree with every kind of entry (files of many
// sizes, odd names, modes, an old mtime, an empty directory, a symlink,
// excluded files and directories) with `partsync run -m rsync` in several
// partitions, 3 at once, and checks the copy entry by entry.
func TestRunRsyncFSToFS(t *testing.T) {
	needTools(t, "rsync")
	t.Parallel()
	base := t.TempDir()
	src, dst, shared := filepath.Join(base, "src"), filepath.Join(base, "dst"), filepath.Join(base, "runs")
	tree := buildSampleTree(t, src, 12, 25)
	srcMan := manifest(t, src)

	const maxFiles = 40
	args := []string{"run", "-m", "rsync", "-n", "3", "-f", strconv.Itoa(maxFiles), "-s", "96KiB", "-d", shared, "--run-id", "rsync-fs"}
	args = append(append(args, excludeArgs()...), src, dst)
	res := mustPartsync(t, args...)
	runDir := filepath.Join(shared, "rsync-fs")
	p := loadPlan(t, runDir)

	// The test's own check: the sorted (path, type, size, sha256, mode,
	// mtime, link target) of both trees, excluded entries aside.
	dstMan := manifest(t, dst)
	var want []string
	for _, rel := range slices.Sorted(maps.Keys(srcMan)) {
		if tree.isExcluded(rel) {
			if _, ok := dstMan[rel]; ok {
				t.Errorf("%s is excluded by %q but was copied", rel, sampleExcludes)
			}
			continue
		}
		want = append(want, rel)
		// Directories too: their mtimes survive being filled by several partitions.
		if s, d := srcMan[rel], dstMan[rel]; s != d {
			t.Errorf("%s: destination %+v, source %+v", rel, dstMan[rel], srcMan[rel])
		}
	}
	if extra := minus(slices.Sorted(maps.Keys(dstMan)), want); len(extra) > 0 {
		t.Errorf("destination has entries the source lacks: %q", extra)
	}

	// And treecheck, with every option.
	report, err := check.Compare(src, dst, check.Options{Modes: true, Mtimes: true, Symlinks: true, Dirs: true, Ignore: tree.isExcluded})
	if err != nil {
		t.Errorf("treecheck: %v", err)
	}
	if report.Files != tree.made.Files || report.Symlinks != 1 || report.Dirs != tree.made.Dirs {
		t.Errorf("treecheck verified %d files, %d symlinks, %d dirs; want %d, 1, %d", report.Files, report.Symlinks, report.Dirs, tree.made.Files, tree.made.Dirs)
	}

	// The run directory: rsync lists every entry, directories and the link included.
	checkRunDir(t, runDir, "rsync", maxFiles, want, 0)
	checkTotals(t, runDir, tree, srcMan)
	if tt := p.Totals; tt.Listed != tt.Entries || tt.Implied != 0 || tt.Skipped != 0 || tt.SkippedBytes != 0 {
		t.Errorf("rsync totals: listed %d of %d entries, implied %d, skipped %d (%d bytes); rsync expresses every entry", tt.Listed, tt.Entries, tt.Implied, tt.Skipped, tt.SkippedBytes)
	}
	for i, part := range p.Partitions {
		if part.Bytes > 96<<10 && part.Files > 1 {
			t.Errorf("part %d: %d bytes in %d files, over -s 96KiB", i, part.Bytes, part.Files)
		}
	}
	if !slices.Equal(p.Excludes, sampleExcludes) || !slices.Equal(p.ToolOptions, []string{"-a", "--numeric-ids", "-H"}) {
		t.Errorf("plan.json excludes %q, tool options %q", p.Excludes, p.ToolOptions)
	}
	summary := fmt.Sprintf("run rsync-fs: %d/%d partitions ok, 0 failed; %d files", p.Count(), p.Count(), tree.made.Files)
	if !strings.Contains(res.stderr, summary) {
		t.Errorf("stderr lacks the summary %q:\n%s", summary, res.stderr)
	}
}

// TestRunRcloneFSToFS copies the same kind of tree with rclone to a local
// directory: bytes and mtimes arrive, and whatever did not arrive is in the
// skipped file with a reason (rclone copies regular files only).
func TestRunRcloneFSToFS(t *testing.T) {
	needTools(t, "rclone")
	t.Parallel()
	base := t.TempDir()
	src, dst, shared := filepath.Join(base, "src"), filepath.Join(base, "dst"), filepath.Join(base, "runs")
	tree := buildSampleTree(t, src, 10, 20)
	srcMan := manifest(t, src)

	const maxFiles = 45
	args := []string{"run", "-m", "rclone", "-n", "3", "-f", strconv.Itoa(maxFiles), "-d", shared, "--run-id", "rclone-fs"}
	args = append(append(args, excludeArgs()...), src, dst)
	res := mustPartsync(t, args...)
	runDir := filepath.Join(shared, "rclone-fs")
	p := loadPlan(t, runDir)
	skipped := readSkipped(t, runDir)

	dstMan := manifest(t, dst)
	var files, missing []string
	for _, rel := range slices.Sorted(maps.Keys(srcMan)) {
		s, d := srcMan[rel], dstMan[rel]
		_, there := dstMan[rel]
		switch {
		case tree.isExcluded(rel):
			if there {
				t.Errorf("%s is excluded by %q but was copied", rel, sampleExcludes)
			}
		case !there || d.Type != s.Type:
			missing = append(missing, rel)
		case s.Type == 'f':
			files = append(files, rel)
			if d.Size != s.Size || d.SHA256 != s.SHA256 || !d.MTime.Equal(s.MTime) {
				t.Errorf("%s: destination %d bytes sha256 %s mtime %v; source %d bytes sha256 %s mtime %v", rel, d.Size, d.SHA256, d.MTime, s.Size, s.SHA256, s.MTime)
			}
		}
	}
	if extra := minus(slices.Sorted(maps.Keys(dstMan)), slices.Sorted(maps.Keys(srcMan))); len(extra) > 0 {
		t.Errorf("destination has entries the source lacks: %q", extra)
	}
	// Never silent: what is missing at the destination is exactly what the
	// skipped file lists.
	if notSaid := minus(missing, slices.Sorted(maps.Keys(skipped))); len(notSaid) > 0 {
		t.Errorf("missing at the destination but not in the skipped file: %q (skipped file: %q)", notSaid, skipped)
	}
	if copied := minus(slices.Sorted(maps.Keys(skipped)), missing); len(copied) > 0 {
		t.Errorf("in the skipped file but present at the destination: %q", copied)
	}
	for path, word := range map[string]string{
		"odd names/link": "symbolic link", "empty/nested-empty": "empty directory",
		tree.rcloneSkips[0]: "newline", tree.rcloneSkips[1]: "UTF-8",
	} {
		if !strings.Contains(skipped[path], word) {
			t.Errorf("skipped file: %s: reason %q, want one mentioning %q", path, skipped[path], word)
		}
	}

	report, err := check.Compare(src, dst, check.Options{Mtimes: true, Ignore: tree.notForRclone})
	if err != nil {
		t.Errorf("treecheck: %v", err)
	}
	if want := tree.made.Files - int64(len(tree.rcloneSkips)); report.Files != want {
		t.Errorf("treecheck verified %d files, want %d", report.Files, want)
	}

	// rclone lists regular files only; directories are implied or skipped.
	checkRunDir(t, runDir, "rclone", maxFiles, files, int64(len(tree.rcloneSkips)))
	checkTotals(t, runDir, tree, srcMan)
	if tt := p.Totals; tt.Listed != tt.Files-int64(len(tree.rcloneSkips)) || tt.Skipped != int64(len(skipped)) || tt.SkippedBytes == 0 {
		t.Errorf("rclone totals: listed %d of %d files (%d names rclone cannot keep), skipped %d (%d bytes; the file has %d lines)",
			tt.Listed, tt.Files, len(tree.rcloneSkips), tt.Skipped, tt.SkippedBytes, len(skipped))
	}
	if !strings.Contains(res.stderr, fmt.Sprintf("%s in no partition; reasons in %s", plural.Count(len(skipped), "entry")+" "+plural.Form(len(skipped), "was", "were"), filepath.Join(runDir, "skipped"))) {
		t.Errorf("stderr does not point at the skipped file:\n%s", res.stderr)
	}
}

// TestRunRcloneFSToS3 copies a tree with rclone to an S3 server running in
// this test process, configured by an rclone.conf given with
// --rclone-config, and checks every object's bytes and mtime. The secret key
// of that config must appear nowhere partsync writes: stdout, stderr, any file
// of the run directory, nor the workflow `generate` prints for the same copy.
func TestRunRcloneFSToS3(t *testing.T) {
	needTools(t, "rclone")
	t.Parallel()
	s3 := StartS3(t, "bucket")
	base := t.TempDir()
	src, shared := filepath.Join(base, "src"), filepath.Join(base, "runs")
	cfg := s3.WriteRcloneConfig(t, t.TempDir(), "s3test")
	tree := buildSampleTree(t, src, 6, 20)
	srcMan := manifest(t, src)
	const dst = "s3test:bucket/backup/2024"

	common := append([]string{"-m", "rclone", "-n", "3", "-f", "30", "-d", shared, "--rclone-config", cfg}, excludeArgs()...)
	res := mustPartsync(t, append(append([]string{"run", "--run-id", "to-s3"}, common...), src, dst)...)
	runDir := filepath.Join(shared, "to-s3")
	p := loadPlan(t, runDir)
	if rej := s3.Rejected(); len(rej) > 0 || s3.Requests() == 0 {
		t.Fatalf("the S3 server refused %d requests (%d served); rclone did not sign with the config's secret: %q", len(rej), s3.Requests(), rej)
	}

	objects := s3.Objects(t, "bucket", "")
	var files []string
	for _, rel := range slices.Sorted(maps.Keys(srcMan)) {
		s := srcMan[rel]
		if s.Type != 'f' || tree.notForRclone(rel) {
			continue
		}
		files = append(files, rel)
		key := "backup/2024/" + rel
		data, ok := objects[key]
		if !ok {
			t.Errorf("no object %s for %s", key, rel)
			continue
		}
		if got := sha256hex(data); got != s.SHA256 || int64(len(data)) != s.Size {
			t.Errorf("object %s: %d bytes sha256 %s; source %d bytes sha256 %s", key, len(data), got, s.Size, s.SHA256)
		}
		// rclone keeps the mtime in the object's metadata as seconds.nanoseconds.
		if mt := s3.Metadata(t, "bucket", key)["X-Amz-Meta-Mtime"]; !sameUnixTime(mt, s.MTime) {
			t.Errorf("object %s: X-Amz-Meta-Mtime %q, source mtime %v", key, mt, s.MTime)
		}
	}
	skipped := readSkipped(t, runDir)
	var skippedFiles int
	for path := range skipped {
		if srcMan[path].Type == 'f' {
			skippedFiles++
		}
	}
	if skippedFiles != len(tree.rcloneSkips) {
		t.Errorf("%d regular files skipped, want %d: %q", skippedFiles, len(tree.rcloneSkips), skipped)
	}
	if want := int(tree.made.Files) - skippedFiles; len(objects) != want {
		t.Errorf("%d objects in the bucket, want %d: the %d regular files minus %d skipped\nextra: %q", len(objects), want, tree.made.Files, skippedFiles, minus(slices.Sorted(maps.Keys(objects)), prefixed("backup/2024/", files)))
	}
	checkRunDir(t, runDir, "rclone", 30, files, int64(skippedFiles))
	checkTotals(t, runDir, tree, srcMan)
	if p.Destination != dst {
		t.Errorf("plan.json destination %q, want %q", p.Destination, dst)
	}

	// The same copy as a workflow, whose pods read the config from a Secret.
	gen := mustPartsync(t, append(append([]string{"generate", "--run-id", "to-s3-wf", "--pvc", "data:" + base, "--rclone-config-secret", "rclone-config"}, common...), src, dst)...)
	if !strings.Contains(gen.stdout, "secretName: rclone-config") || !strings.Contains(gen.stdout, "RCLONE_CONFIG") {
		t.Errorf("the workflow does not mount the rclone config Secret:\n%s", gen.stdout)
	}

	// No credential anywhere.
	status := mustPartsync(t, "status", "--output", "json", "-d", shared, "to-s3")
	for _, secret := range []string{s3SecretKey, s3AccessKey} {
		for name, text := range map[string]string{
			"run stdout": res.stdout, "run stderr": res.stderr,
			"generate stdout (the workflow)": gen.stdout, "generate stderr": gen.stderr,
			"status --output json": status.stdout,
		} {
			if strings.Contains(text, secret) {
				t.Errorf("%s holds the credential %q", name, secret)
			}
		}
		for path, data := range testtree.Files(t, shared) {
			if bytes.Contains(data, []byte(secret)) {
				t.Errorf("%s holds the credential %q", path, secret)
			}
		}
	}
	if n := len(testtree.Files(t, shared)); n < 2*p.Count()+4 {
		t.Errorf("only %d files in the run directories; the leak check read too little", n)
	}
}

func prefixed(prefix string, paths []string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = prefix + p
	}
	return out
}

// sameUnixTime reports whether "seconds.nanoseconds" is the time want.
func sameUnixTime(s string, want time.Time) bool {
	sec, frac, _ := strings.Cut(s, ".")
	secs, err := strconv.ParseInt(sec, 10, 64)
	if err != nil {
		return false
	}
	var nanos int64
	if frac != "" {
		frac = (frac + "000000000")[:9]
		if nanos, err = strconv.ParseInt(frac, 10, 64); err != nil {
			return false
		}
	}
	return time.Unix(secs, nanos).Equal(want)
}

// TestRunToNewDestination copies to a DST whose parent directories do not
// exist yet, as `partsync run SRC /backup/2024/project` on a fresh volume
// would. rclone creates the path; rsync creates only the last component, so
// every partition of an rsync run fails after all its retries (exit 5),
// minutes later on default backoffs, while the scan said nothing. Either the
// copy works or partsync refuses DST up front (exit 2, naming it, nothing
// created).
func TestRunToNewDestination(t *testing.T) {
	for _, tool := range []string{"rsync", "rclone"} {
		t.Run(tool, func(t *testing.T) {
			needTools(t, tool)
			t.Parallel()
			base := t.TempDir()
			src, shared := filepath.Join(base, "src"), filepath.Join(base, "runs")
			dst := filepath.Join(base, "backup", "2024", "project")
			writeFile(t, filepath.Join(src, "a", "file.txt"), []byte("data"), 0o644, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC))
			res := partsync(context.Background(), "run", "-m", tool, "--retries", "0", "--backoff", "200ms", "-d", shared, "--run-id", "new-dst", src, dst)
			switch res.code {
			case ExitOK:
				if r, err := check.Compare(src, dst, check.Options{Mtimes: true}); err != nil || r.Files != 1 {
					t.Errorf("copy: %d files verified: %v", r.Files, err)
				}
			case ExitUsage:
				if !strings.Contains(errText(res.err), dst) {
					t.Errorf("refused without naming DST %s: %v", dst, res.err)
				}
				if _, err := os.Stat(filepath.Join(shared, "new-dst")); err == nil {
					t.Errorf("refused DST but left a run directory")
				}
			default:
				t.Errorf("exit %d: DST %s whose parents do not exist neither works nor is refused up front\n%s", res.code, dst, res)
			}
		})
	}
}
