package main

// Issue 11 §8: `partsync transfer` runs only the argv the plan makes for
// the partition. A shell, or the plan's argv with one word changed, is
// refused before anything runs and no status is written.

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/partsync/partsync/generator/plan"
	"github.com/partsync/partsync/generator/transfer"
)

func TestHostileTransferArgv(t *testing.T) {
	needTools(t, "rsync")
	_, runDir := generatedRun(t, "argv")
	p := loadPlan(t, runDir)
	marker := filepath.Join(t.TempDir(), "ran")
	planned, err := transfer.Command(p, "0")
	if err != nil {
		t.Fatal(err)
	}
	changed := append([]string{}, planned...)
	changed[len(changed)-1] = t.TempDir() + "/"
	for name, argv := range map[string][]string{
		"a shell":                {"sh", "-c", "touch " + marker},
		"another destination":    changed,
		"another partition list": append(append([]string{}, planned[:len(planned)-3]...), "--files-from="+p.Dir().PartFile("1"), planned[len(planned)-2], planned[len(planned)-1]),
	} {
		t.Run(name, func(t *testing.T) {
			res := partsync(context.Background(), append([]string{"transfer", "--run-dir", runDir, "--part", "0", "--"}, argv...)...)
			if res.code != ExitUsage || !strings.Contains(errText(res.err), "not the one plan.json") {
				t.Errorf("exit %d, want %d and a refusal:\n%s", res.code, ExitUsage, res)
			}
			if _, err := os.Stat(marker); !os.IsNotExist(err) {
				t.Errorf("the command ran: %v", err)
			}
			if _, ok, err := plan.LoadStatus(plan.Dir(runDir), 0); ok || err != nil {
				t.Errorf("a status was written for a refused command: %v %v", ok, err)
			}
		})
	}
	// The plan's own argv, given or not, runs.
	mustPartsync(t, append([]string{"transfer", "--run-dir", runDir, "--part", "0", "--"}, planned...)...)
	if st, ok, err := plan.LoadStatus(plan.Dir(runDir), 0); !ok || err != nil || !st.OK {
		t.Errorf("the plan's argv: status %+v %v %v", st, ok, err)
	}
}
