package prepare

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzCheckOverlap builds a small tree (a/b, c) with one symbolic link of
// the fuzzer's making, and asks checkOverlap about SRC, DST and a run
// directory spelled by the fuzzer. Whenever it lets them pass, the test
// makes DST and the run directory, drops a marker file in each and in
// SRC, and walks SRC and DST the way the scan and rsync -a do (no link
// followed): no marker may be seen from the other side (nor the run
// directory's below DST). A refusal must be true too: the names nest as
// given, or a marker crosses.
func FuzzCheckOverlap(f *testing.F) {
	f.Add("src", "alias/copy", "runs", "alias", "src/sub")     // the probe's DST through a link
	f.Add("srcalias", "src/sub/c2", "runs", "srcalias", "src") // the probe's SRC through a link
	f.Add("a", "c/x", "runsalias/r", "runsalias", "a/b")
	f.Add("a/b", "c", "c/../a/r", "l", "../x")
	f.Add("a", "l/../c", "r", "l", "a/b")
	mounts := readMounts()
	f.Fuzz(func(t *testing.T, src, dst, run, link, target string) {
		for _, p := range []string{src, dst, run, link, target} {
			if len(p) > 24 || strings.Trim(p, "abcrsl/.") != "" {
				t.Skip()
			}
		}
		if link == "" || target == "" || strings.ContainsAny(strings.Trim(filepath.Clean(link), "/"), "/.") {
			t.Skip() // one link, directly in the base
		}
		// The base lies 20 levels below the test's own directory: a link
		// target and a path each climb at most 8 levels ("../" in 24
		// characters), so whatever they resolve to, every directory made
		// and every marker written stays inside the test's directory. An
		// absolute target points into the base (a target of "/" once made
		// the test write its markers to the machine's / and walk all of it).
		base := filepath.Join(t.TempDir(), strings.Repeat("d/", 20))
		if filepath.IsAbs(target) {
			target = filepath.Join(base, target)
		}
		for _, d := range []string{"a/b", "c", "src/sub"} {
			if err := os.MkdirAll(filepath.Join(base, d), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Symlink(target, filepath.Join(base, link)); err != nil && !errors.Is(err, fs.ErrExist) {
			t.Fatal(err)
		}
		abs := func(p string) string { return filepath.Join(base, p) }
		if st, err := os.Stat(abs(src)); err != nil || !st.IsDir() || !within(abs(src), base) || !within(abs(dst), base) || !within(abs(run), base) {
			t.Skip() // Check refuses such a SRC before; stay inside the test's tree
		}
		err := checkOverlap(abs(src), abs(dst), abs(run), mounts)
		if err != nil && !errors.Is(err, ErrPaths) {
			t.Fatalf("checkOverlap(%q, %q, %q): %v, not ErrPaths", src, dst, run, err)
		}
		lexical := within(abs(dst), abs(src)) || within(abs(src), abs(dst)) || within(abs(run), abs(src)) || within(abs(run), abs(dst))
		crossed, made := markersCross(t, abs(src), abs(dst), abs(run))
		switch {
		case err == nil && crossed != "":
			t.Fatalf("SRC %q DST %q run %q (link %q -> %q) passed, but %s", src, dst, run, link, target, crossed)
		case err != nil && made && crossed == "" && !lexical:
			t.Fatalf("SRC %q DST %q run %q (link %q -> %q) refused, yet they do not overlap: %v", src, dst, run, link, target, err)
		}
	})
}

// markersCross makes dst and run, puts a marker in each and in src, and
// says which marker a walk of another of them finds; made is false when
// the directories could not be made (a path through a file or a dangling
// link), so nothing could be written there.
func markersCross(t *testing.T, src, dst, run string) (crossed string, made bool) {
	dirs := map[string]string{"SRC": src, "DST": dst, "run dir": run}
	for _, name := range []string{"DST", "run dir", "SRC"} {
		if err := os.MkdirAll(dirs[name], 0o755); err != nil {
			return "", false
		}
		if err := os.WriteFile(filepath.Join(dirs[name], ".marker-"+strings.ReplaceAll(name, " ", "-")), nil, 0o644); err != nil {
			return "", false
		}
	}
	found := func(root string) map[string]bool {
		seen := map[string]bool{}
		real, err := filepath.EvalSymlinks(root)
		if err != nil {
			t.Fatal(err)
		}
		_ = filepath.WalkDir(real, func(path string, d fs.DirEntry, err error) error {
			if err == nil && strings.HasPrefix(d.Name(), ".marker-") {
				seen[d.Name()] = true
			}
			return nil
		})
		return seen
	}
	inSrc, inDst := found(src), found(dst)
	switch {
	case inDst[".marker-run-dir"]:
		return "the run dir's marker is below DST", true
	case inSrc[".marker-DST"]:
		return "DST's marker is below SRC", true
	case inSrc[".marker-run-dir"]:
		return "the run dir's marker is below SRC", true
	case inDst[".marker-SRC"]:
		return "SRC's marker is below DST", true
	}
	return "", true
}
