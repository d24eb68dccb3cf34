package tests

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/partsync/partsync/e2e/internal/harness"
)

// testKWOKFanOut: a generated workflow of 1,000 partitions runs on a KWOK
// node (simulated pods complete at once): Argo fans out one pod per
// partition under the parallelism and the workflow completes. Time and the
// workflow object's size are reported.
func testKWOKFanOut(t *testing.T, s *suite) {
	const parts, jobs = 1000, 100
	_, vols := s.volumes(t, "src", "dst", "shared")
	for i := range parts {
		if err := os.WriteFile(filepath.Join(vols["src"].Local, fmt.Sprintf("f%04d", i)), []byte{byte(i)}, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := s.generate(t, "kwok", vols, vols["src"].Mount, vols["dst"].Mount, "-n", fmt.Sprint(jobs), "-f", "1")
	if r.Parts != parts {
		t.Fatalf("partsync planned %d partitions for %d files at -f 1, want %d", r.Parts, parts, parts)
	}
	u := decodeWorkflow(t, r.YAML)
	withoutOutputs(u.Object)
	// Send every pod to the KWOK node: select it and tolerate its taint.
	if err := unstructuredSet(u.Object, map[string]any{"type": "kwok"}, "spec", "nodeSelector"); err != nil {
		t.Fatal(err)
	}
	if err := unstructuredSet(u.Object, []any{map[string]any{
		"key": harness.KWOKTaintKey, "operator": "Exists", "effect": "NoSchedule",
	}}, "spec", "tolerations"); err != nil {
		t.Fatal(err)
	}
	rec := s.recordPods(t, "partsync-"+r.ID)
	start := time.Now()
	name := s.submit(t, u)
	wf := s.wait(t, name, 12*time.Minute, nil)
	elapsed := time.Since(start)
	s.mustSucceed(t, wf)
	atts := s.checkOnePodPerPartition(t, wf, rec, parts)
	checkParallelism(t, atts, jobs)
	if n := podsOnNode(rec, harness.KWOKNode); n != parts+2 {
		t.Errorf("%d pods on the KWOK node, want %d (transfers, the directory step and the exit handler)", n, parts+2)
	}
	size := s.workflowSize(t, name)
	nodes, err := json.Marshal(wf.Status.Nodes)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("KWOK fan-out: %d partitions at parallelism %d: submitted to Succeeded in %s (Argo: %s); workflow object as stored %d bytes (%d nodes, %d bytes of node status uncompressed); generated YAML %d bytes",
		parts, jobs, elapsed.Round(time.Second), wf.Status.FinishedAt.Sub(wf.Status.StartedAt.Time).Round(time.Second),
		size, len(wf.Status.Nodes), len(nodes), len(r.YAML))
}
