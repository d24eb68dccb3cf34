package main

// `run` in live mode (the default) and with --live=false, with the real
// rsync and rclone: the same plan, the same part files, a complete copy.

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/partsync/partsync/generator/testtree/check"
)

func TestRunLiveAndScanFirstAgree(t *testing.T) {
	for _, tool := range []string{"rsync", "rclone"} {
		t.Run(tool, func(t *testing.T) {
			needTools(t, tool)
			t.Parallel()
			base := t.TempDir()
			src, shared := filepath.Join(base, "src"), filepath.Join(base, "runs")
			tree := buildSampleTree(t, src, 8, 20)
			rsync := tool == "rsync"
			ignore, wantFiles := tree.isExcluded, tree.made.Files
			if !rsync {
				ignore, wantFiles = tree.notForRclone, tree.made.Files-int64(len(tree.rcloneSkips))
			}

			plans := map[string]string{}
			for _, mode := range []string{"live", "scan-first"} {
				dst := filepath.Join(base, "dst-"+mode)
				args := []string{"run", "-m", tool, "-n", "3", "-f", "25", "-d", shared, "--run-id", mode}
				if mode == "scan-first" {
					args = append(args, "--live=false")
				}
				res := mustPartsync(t, append(append(args, excludeArgs()...), src, dst)...)
				runDir := filepath.Join(shared, mode)
				p := loadPlan(t, runDir)
				if p.Count() < 4 {
					t.Fatalf("%s: %d partitions; the test needs several", mode, p.Count())
				}
				for _, want := range []string{
					fmt.Sprintf("run %s: %s → %s with %s: %d partitions", mode, src, dst, tool, p.Count()),
					fmt.Sprintf("run %s: %d/%d partitions ok, 0 failed; %d files", mode, p.Count(), p.Count(), wantFiles),
				} {
					if !strings.Contains(res.stderr, want) {
						t.Errorf("%s: stderr lacks %q:\n%s", mode, want, res.stderr)
					}
				}
				for i := range p.Count() {
					if st := loadStatus(t, runDir, i); !st.OK || st.Files != p.Partitions[i].Files || st.Bytes != p.Partitions[i].Bytes {
						t.Errorf("%s: status %d: %+v; plan %+v", mode, i, st, p.Partitions[i])
					}
				}
				rep, err := check.Compare(src, dst, check.Options{Modes: rsync, Mtimes: true, Symlinks: rsync, Dirs: rsync, Ignore: ignore})
				if err != nil || rep.Files != wantFiles || (rsync && rep.Dirs != tree.made.Dirs) {
					t.Errorf("%s: copy verified %d of %d files, %d of %d dirs: %v", mode, rep.Files, wantFiles, rep.Dirs, tree.made.Dirs, err)
				}
				// What must not differ between the modes: all but the run's name and time.
				p.RunID, p.RunDir, p.CreatedAt, p.Destination = "", "", "", ""
				plans[mode] = fmt.Sprintf("%+v", *p)
			}
			if plans["live"] != plans["scan-first"] {
				t.Errorf("plans differ:\nlive:       %s\nscan-first: %s", plans["live"], plans["scan-first"])
			}
			for i := 0; ; i++ {
				a, errA := os.ReadFile(filepath.Join(shared, "live", "parts", fmt.Sprintf("part.%d", i)))
				b, errB := os.ReadFile(filepath.Join(shared, "scan-first", "parts", fmt.Sprintf("part.%d", i)))
				if os.IsNotExist(errA) && os.IsNotExist(errB) {
					break
				}
				if errA != nil || errB != nil || !bytes.Equal(a, b) {
					t.Fatalf("part %d differs between the modes (%v, %v)", i, errA, errB)
				}
			}
			if whole, _ := filepath.Glob(filepath.Join(shared, "live", "parts", "part.*")); rsync {
				found := false
				for _, f := range whole {
					data, _ := os.ReadFile(f)
					found = found || bytes.Contains(data, []byte("/\x00"))
				}
				if !found {
					t.Error("no part file holds a whole-directory line DIR/; the copy above did not exercise them")
				}
			}
			if !reflect.DeepEqual(readSkipped(t, filepath.Join(shared, "live")), readSkipped(t, filepath.Join(shared, "scan-first"))) {
				t.Error("the skipped lists differ between the modes")
			}
		})
	}
}
