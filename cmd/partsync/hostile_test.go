package main

// The hostile corpus (generator/testtree/hostile) through `partsync run` with the
// real rsync and rclone: names of every awkward kind, a path near PATH_MAX,
// links, FIFOs, a sparse file, unusual modes, old mtimes and hard links
// spread over directories, copied in many small partitions at once. Every
// source entry must be at the destination, or in the skipped list with its
// reason; nothing else. The trees are compared by this file's own walk.

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/partsync/partsync/generator/plan"
	"github.com/partsync/partsync/generator/testtree/hostile"
)

// walked is one entry of a tree as the test's own walk sees it.
type walked struct {
	Kind   hostile.Kind
	Mode   fs.FileMode // type, permission, setuid, setgid and sticky bits
	Size   int64
	SHA256 string
	MTime  time.Time
	Target string
	Ino    uint64
	Nlink  uint64
	Blocks int64 // 512-byte blocks allocated
}

// walkTree describes every entry below root by its relative path.
func walkTree(t *testing.T, root string) map[string]walked {
	t.Helper()
	out := map[string]walked{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || path == root {
			return err
		}
		info, err := os.Lstat(path)
		if err != nil {
			return err
		}
		st := info.Sys().(*syscall.Stat_t)
		w := walked{Mode: info.Mode(), Size: info.Size(), MTime: info.ModTime().UTC(), Ino: st.Ino, Nlink: uint64(st.Nlink), Blocks: st.Blocks}
		switch m := info.Mode(); {
		case m.IsRegular():
			w.Kind = hostile.File
			if w.SHA256, err = fileSHA256(path); err != nil {
				return err
			}
		case m.IsDir():
			w.Kind = hostile.Dir
		case m&fs.ModeSymlink != 0:
			w.Kind = hostile.Symlink
			if w.Target, err = os.Readlink(path); err != nil {
				return err
			}
		case m&fs.ModeNamedPipe != 0:
			w.Kind = hostile.FIFO
		default:
			w.Kind = '?'
		}
		rel, err := filepath.Rel(root, path)
		out[filepath.ToSlash(rel)] = w
		return err
	})
	if err != nil {
		t.Fatalf("walk %s: %v", root, err)
	}
	return out
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer func() { _ = f.Close() }()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// buildHostile builds the corpus in dir and checks that the test's walk of
// it agrees with what the fixture says it made.
func buildHostile(t *testing.T, dir string) (hostile.Tree, map[string]walked) {
	t.Helper()
	tree, err := hostile.Build(dir)
	if err != nil {
		t.Fatal(err)
	}
	src := walkTree(t, dir)
	if len(src) != len(tree.Entries) {
		t.Fatalf("the fixture says it made %d entries, the walk finds %d", len(tree.Entries), len(src))
	}
	for _, e := range tree.Entries {
		w, ok := src[e.Path]
		switch {
		case !ok || w.Kind != e.Kind:
			t.Fatalf("fixture entry %q (%c) is %+v in the source", e.Path, e.Kind, w)
		case e.Kind != hostile.Symlink && w.Mode.Perm()|w.Mode&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky) != e.Mode:
			t.Fatalf("fixture entry %q: mode %v, want %v", e.Path, w.Mode, e.Mode)
		case !w.MTime.Equal(e.ModTime):
			t.Fatalf("fixture entry %q: mtime %v, want %v", e.Path, w.MTime, e.ModTime)
		case e.Kind == hostile.File && w.SHA256 != sha256hex(e.Data):
			t.Fatalf("fixture entry %q: content differs from Data", e.Path)
		case e.Sparse && w.Blocks*512 >= w.Size:
			t.Logf("%s: %d blocks for %d bytes: this file system keeps no holes", e.Path, w.Blocks, w.Size)
		}
	}
	return tree, src
}

// hostileCounts is a line for the logs: what the corpus holds.
func hostileCounts(tree hostile.Tree) string {
	n := tree.Count()
	groups := groupSizes(tree)
	longest := 0
	for _, e := range tree.Entries {
		longest = max(longest, len(e.Path))
	}
	return fmt.Sprintf("%d entries: %d files (%d in %d hard-link groups), %d dirs, %d symlinks, %d fifos; longest relative path %d bytes",
		len(tree.Entries), n[hostile.File], sumValues(groups), len(groups), n[hostile.Dir], n[hostile.Symlink], n[hostile.FIFO], longest)
}

// groupSizes counts the links of each hard-link group.
func groupSizes(tree hostile.Tree) map[string]int {
	groups := map[string]int{}
	for _, e := range tree.Entries {
		if e.LinkGroup != "" {
			groups[e.LinkGroup]++
		}
	}
	return groups
}

func sumValues(m map[string]int) int {
	s := 0
	for _, v := range m {
		s += v
	}
	return s
}

// TestHostileTreeRsync: rsync FS→FS in partitions of at most 5 entries, 4
// at once. The destination equals the source entry by entry: type, bytes,
// mode with setuid/setgid/sticky, mtime to the nanosecond, link target; hard
// links are links again, with the source's link counts; directories keep
// their modes (0700, 0555, sticky, setgid) and old mtimes although their
// entries were created by several partitions at once. Nothing is skipped.
func TestHostileTreeRsync(t *testing.T) {
	needTools(t, "rsync")
	t.Parallel()
	base := t.TempDir()
	src, dst, shared := filepath.Join(base, "src"), filepath.Join(base, "dst"), filepath.Join(base, "runs")
	tree, srcWalk := buildHostile(t, src)
	t.Logf("corpus: %s", hostileCounts(tree))

	res := mustPartsync(t, "run", "-m", "rsync", "-n", "4", "-f", "5", "-d", shared, "--run-id", "hostile", src, dst)
	runDir := filepath.Join(shared, "hostile")
	p := loadPlan(t, runDir)
	dstWalk := walkTree(t, dst)

	for _, rel := range slices.Sorted(maps.Keys(srcWalk)) {
		s := srcWalk[rel]
		d, ok := dstWalk[rel]
		switch {
		case !ok:
			t.Errorf("%q: missing at the destination", rel)
			continue
		case d.Kind != s.Kind || d.Mode != s.Mode || !d.MTime.Equal(s.MTime) || d.Target != s.Target || d.Nlink != s.Nlink:
			t.Errorf("%q: destination %c %v mtime %v target %q nlink %d; source %c %v mtime %v target %q nlink %d",
				rel, d.Kind, d.Mode, d.MTime, d.Target, d.Nlink, s.Kind, s.Mode, s.MTime, s.Target, s.Nlink)
		case d.Kind == hostile.File && (d.Size != s.Size || d.SHA256 != s.SHA256):
			t.Errorf("%q: destination %d bytes sha256 %s; source %d bytes sha256 %s", rel, d.Size, d.SHA256, s.Size, s.SHA256)
		}
	}
	if extra := minus(slices.Sorted(maps.Keys(dstWalk)), slices.Sorted(maps.Keys(srcWalk))); len(extra) > 0 {
		t.Errorf("destination has entries the source lacks: %q", extra)
	}

	// Hard links: every group is one inode at the destination too, and its
	// links were in one partition.
	groups := map[string][]string{}
	for _, e := range tree.Entries {
		if e.LinkGroup != "" {
			groups[e.LinkGroup] = append(groups[e.LinkGroup], e.Path)
		}
	}
	partOf := map[string]int{}
	for n := range p.Partitions {
		for _, path := range readPart(t, runDir, n, 0) {
			partOf[path] = n
		}
	}
	for head, links := range groups {
		for _, l := range links {
			if dstWalk[l].Ino != dstWalk[head].Ino {
				t.Errorf("hard links %q and %q are different files at the destination", head, l)
			}
			if partOf[l] != partOf[head] {
				t.Errorf("hard links %q (part %d) and %q (part %d) in different partitions", head, partOf[head], l, partOf[l])
			}
		}
	}
	if len(groups) < 3 {
		t.Errorf("the corpus has %d hard-link groups; the test needs several", len(groups))
	}
	if linked := int64(sumValues(groupSizes(tree))); p.Totals.HardLinked != linked || strings.Contains(res.stderr, "hard link") {
		t.Errorf("hard_linked %d, want %d, and no note with -H; stderr:\n%s", p.Totals.HardLinked, linked, res.stderr)
	}

	// Directories filled by several partitions: their modes and mtimes
	// above, and these were spread.
	for _, dir := range []string{"names", "modes", "hardlinks"} {
		parts := map[int]bool{}
		for path, n := range partOf {
			if strings.HasPrefix(path, dir+"/") {
				parts[n] = true
			}
		}
		if len(parts) < 2 {
			t.Errorf("the entries of %s/ are in %d partition(s); the test needs them spread", dir, len(parts))
		}
	}
	if st, ok, err := plan.LoadStatus(plan.Dir(runDir), plan.DirsPart); err != nil || !ok || !st.OK {
		t.Errorf("directory step: status %+v, %v, %v; want ok", st, ok, err)
	}
	if !strings.Contains(res.stderr, "directory step ok") {
		t.Errorf("the summary does not report the directory step:\n%s", res.stderr)
	}

	// Nothing changed after the scan: comparing the whole-directory lines
	// with the source, odd names included, finds nothing to report.
	var whole int64
	for n, part := range p.Partitions {
		whole += part.WholeDirs
		if st := loadStatus(t, runDir, n); st.Warning != "" {
			t.Errorf("part %d: warning %q on an unchanged source", n, st.Warning)
		}
	}
	if whole == 0 {
		t.Errorf("no whole-directory line in the plan: the corpus does not exercise their check")
	}

	tt := p.Totals
	if tt.Entries != int64(len(srcWalk)) || tt.Listed != tt.Entries || tt.Skipped != 0 || len(readSkipped(t, runDir)) != 0 {
		t.Errorf("totals %+v: want all %d entries listed, none skipped", tt, len(srcWalk))
	}
	sparse := srcWalk["special/sparse.img"]
	t.Logf("sparse file: %d bytes, %d blocks at the source, %d at the destination (rsync writes holes only with -S)", sparse.Size, sparse.Blocks, dstWalk["special/sparse.img"].Blocks)
}

// rcloneFate is what should become of an entry with rclone: an object (or
// file), an implied directory, or a line in skipped. rclone takes regular
// files whose names are UTF-8 and whose path fits the destination (fits: an
// object key of at most 1024 bytes, a local path below PATH_MAX); a
// --files-from-raw list cannot hold a name with a newline or carriage
// return, nor one with the characters rclone encodes control characters
// with (␉, ␛ and ‛ in the corpus).
func rcloneFate(tree hostile.Tree, fits func(path string) bool) (objects, implied, skipped []string) {
	storable := func(e hostile.Entry) bool {
		return e.Kind == hostile.File && utf8.ValidString(e.Path) && !strings.ContainsAny(e.Path, "\n\r\u2409\u241b\u201b") && fits(e.Path)
	}
	hasObject := map[string]bool{}
	for _, e := range tree.Entries {
		if storable(e) {
			objects = append(objects, e.Path)
			for d := filepath.Dir(e.Path); d != "."; d = filepath.Dir(d) {
				hasObject[d] = true
			}
		}
	}
	for _, e := range tree.Entries {
		switch {
		case e.Kind == hostile.Dir && hasObject[e.Path]:
			implied = append(implied, e.Path)
		case !storable(e) && e.Kind != hostile.Dir:
			skipped = append(skipped, e.Path)
		case e.Kind == hostile.Dir:
			skipped = append(skipped, e.Path) // holds nothing rclone copies
		}
	}
	return objects, implied, skipped
}

// TestHostileTreeRcloneS3: rclone to an S3 server. Every regular file whose
// name a --files-from-raw list and an object store can hold is an object
// with the same bytes (hard links each their own object); every other entry
// is in skipped with a reason, and only those.
func TestHostileTreeRcloneS3(t *testing.T) {
	needTools(t, "rclone")
	t.Parallel()
	s3 := StartS3(t, "bucket")
	base := t.TempDir()
	src, shared := filepath.Join(base, "src"), filepath.Join(base, "runs")
	tree, srcWalk := buildHostile(t, src)
	cfg := s3.WriteRcloneConfig(t, t.TempDir(), "s3test")

	res := mustPartsync(t, "run", "-m", "rclone", "-n", "4", "-f", "6", "--retries", "0", "-d", shared, "--run-id", "hostile-s3", "--rclone-config", cfg, src, "s3test:bucket/h")
	runDir := filepath.Join(shared, "hostile-s3")
	wantObjects, implied, wantSkipped := rcloneFate(tree, func(path string) bool { return len("h/"+path) <= 1024 })
	objects := s3.Objects(t, "bucket", "")
	for _, rel := range wantObjects {
		data, ok := objects["h/"+rel]
		if !ok {
			t.Errorf("no object for %q", rel)
			continue
		}
		if sha256hex(data) != srcWalk[rel].SHA256 {
			t.Errorf("object %q: bytes differ from the source", rel)
		}
	}
	// Hard links: each link its own object with the same bytes, and a note.
	var links int
	for _, e := range tree.Entries {
		if e.LinkGroup != "" && slices.Contains(wantObjects, e.Path) {
			links++
		}
	}
	if note := fmt.Sprintf("%d files have more than one hard link; rclone copies each link", links); links < 4 || !strings.Contains(res.stderr, note) {
		t.Errorf("stderr lacks %q:\n%s", note, res.stderr)
	}
	if extra := minus(slices.Sorted(maps.Keys(objects)), prefixed("h/", wantObjects)); len(extra) > 0 {
		t.Errorf("objects the test did not expect: %q", extra)
	}
	skipped := readSkipped(t, runDir)
	sort.Strings(wantSkipped)
	if got := slices.Sorted(maps.Keys(skipped)); strings.Join(got, "\x00") != strings.Join(wantSkipped, "\x00") {
		t.Errorf("skipped list: missing %q, unexpected %q", minus(wantSkipped, got), minus(got, wantSkipped))
	}
	reasons := map[string]int{}
	for _, rel := range slices.Sorted(maps.Keys(skipped)) {
		reason := skipped[rel]
		if reason == "" {
			t.Errorf("%q skipped without a reason", rel)
		}
		reasons[reason]++
	}
	p := loadPlan(t, runDir)
	// Nothing changed after the scan: the check for vanished entries, which
	// reads rclone's lists (control characters in rclone's encoding), finds
	// every listed file in the source.
	for n := range p.Partitions {
		if st := loadStatus(t, runDir, n); st.Warning != "" {
			t.Errorf("part %d: warning %q on an unchanged source", n, st.Warning)
		}
	}

	tt := p.Totals
	if tt.Entries != int64(len(srcWalk)) || tt.Listed != int64(len(wantObjects)) || tt.Implied != int64(len(implied)) || tt.Skipped != int64(len(wantSkipped)) {
		t.Errorf("totals %+v; want %d entries = %d listed + %d implied + %d skipped", tt, len(srcWalk), len(wantObjects), len(implied), len(wantSkipped))
	}
	if _, err := os.Stat(plan.Dir(runDir).DirsFile()); !os.IsNotExist(err) {
		t.Errorf("an rclone run has a directory list (%v): object storage keeps no directories", err)
	}
	t.Logf("corpus: %s; rclone → S3: %d objects, %d implied directories, %d skipped", hostileCounts(tree), len(wantObjects), len(implied), len(wantSkipped))
	for _, r := range slices.Sorted(maps.Keys(reasons)) {
		t.Logf("skipped %3d× %s", reasons[r], r)
	}
}

// TestHostileTreeGenerate: generate takes the corpus with both tools, and
// the workflows pass Argo's validator.
func TestHostileTreeGenerate(t *testing.T) {
	base := t.TempDir()
	src, shared := filepath.Join(base, "src"), filepath.Join(base, "runs")
	tree, _ := buildHostile(t, src)
	s3 := StartS3(t, "bucket")
	cfg := s3.WriteRcloneConfig(t, base, "s3test")
	for _, c := range []struct{ tool, dst string }{{"rsync", filepath.Join(base, "dst")}, {"rclone", "s3test:bucket/h"}} {
		out := filepath.Join(base, c.tool+".yaml")
		args := []string{"generate", "-m", c.tool, "-n", "4", "-f", "5", "-d", shared, "--run-id", "gen-" + c.tool,
			"--pvc", "data:" + base, "--output-file", out, "--rclone-config", cfg}
		if c.tool == "rclone" {
			args = append(args, "--rclone-config-secret", "rclone-config")
		}
		mustPartsync(t, append(args, src, c.dst)...)
		mustPartsync(t, "lint", out)
		p := loadPlan(t, filepath.Join(shared, "gen-"+c.tool))
		if p.Totals.Entries != int64(len(tree.Entries)) {
			t.Errorf("%s: scanned %d entries, the corpus has %d", c.tool, p.Totals.Entries, len(tree.Entries))
		}
		wf := parseWorkflow(t, readFile(t, out))
		if hasDirs := wf.GetTemplateByName("dirs") != nil; !hasDirs {
			t.Errorf("%s workflow: directory step %v", c.tool, hasDirs)
		}
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
