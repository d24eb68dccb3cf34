package tests

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/partsync/partsync/generator/testtree"
)

// testProgressInArgo: the run's progress and metrics in Argo. Each transfer pod writes its partition's files done
// to Argo's progress file; the agent reports it as argoexec does (a
// WorkflowTaskResult every patch tick), so the controller's node progress
// of every transfer ends as FILES/FILES of its partition (without the
// report it would be Argo's default completed, 1/1), a transfer node was
// seen part way while it ran, and the workflow's progress is Argo's sum.
// The run's --bwlimit (3 transfers share 300 KiB/s) makes each transfer
// last a few of the harness's 1 s patch ticks. Then checkMetrics.
func testProgressInArgo(t *testing.T, s *suite) {
	_, vols := s.volumes(t, "src", "dst", "shared")
	for d := range 3 {
		for f := range 8 {
			path := filepath.Join(vols["src"].Local, fmt.Sprintf("d%d/f%d", d, f))
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(strings.Repeat(fmt.Sprint(d, f), 16<<10)), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	r := s.generate(t, "progress", vols, vols["src"].Mount, vols["dst"].Mount, "-n", "3", "-f", "8", "--bwlimit", "300K")
	files := planFiles(t, r)
	name := s.submit(t, decodeWorkflow(t, r.YAML))
	var partWay []string
	wf := s.wait(t, name, waitTimeout, func(wf *wfv1.Workflow) {
		for _, n := range wf.Status.Nodes {
			if n.TemplateName == transferTemplate && n.Type == wfv1.NodeTypePod && n.Phase == wfv1.NodeRunning {
				if n.Progress.IsValid() && n.Progress.M() > 1 && n.Progress.N() < n.Progress.M() {
					partWay = append(partWay, string(n.Progress))
				}
			}
		}
	})
	s.mustSucceed(t, wf)
	sameFiles(t, testtree.Files(t, vols["src"].Local), testtree.Files(t, vols["dst"].Local))
	sum := wfv1.ProgressZero
	transfers := 0
	for _, n := range wf.Status.Nodes {
		if n.Type != wfv1.NodeTypePod {
			continue
		}
		sum = sum.Add(n.Progress)
		if n.TemplateName != transferTemplate {
			continue
		}
		transfers++
		part := -1
		if n.Inputs != nil {
			for _, p := range n.Inputs.Parameters {
				if p.Name == "part" && p.Value != nil {
					_, _ = fmt.Sscan(p.Value.String(), &part)
				}
			}
		}
		if part < 0 || part >= len(files) {
			t.Errorf("transfer node %s has no partition input", n.Name)
			continue
		}
		if want := fmt.Sprintf("%d/%d", files[part], files[part]); string(n.Progress) != want {
			t.Errorf("partition %d: node progress %q; want %s, its files done of its files", part, n.Progress, want)
		}
	}
	if transfers != r.Parts {
		t.Errorf("%d transfer nodes for %d partitions", transfers, r.Parts)
	}
	if wf.Status.Progress != sum {
		t.Errorf("workflow progress %q; want %q, the sum of its pods'", wf.Status.Progress, sum)
	}
	if len(partWay) == 0 {
		t.Errorf("no transfer node was seen part way (N/M, N < M) while it ran")
	}
	t.Logf("progress: workflow %s, part way seen %q", wf.Status.Progress, partWay)
	s.checkMetrics(t, r, wf)
}

// checkMetrics scrapes the controller's metrics endpoint until the run's
// metrics are there and checks them against the run: the bytes and files
// the tools sent (the sum of status/N.json's sent), one succeeded attempt
// and one duration per partition, and the run's duration gauge.
func (s *suite) checkMetrics(t *testing.T, r run, wf *wfv1.Workflow) {
	t.Helper()
	var sentFiles, sentBytes float64
	for i := range r.Parts {
		var st struct {
			Sent *struct {
				Files int64 `json:"files"`
				Bytes int64 `json:"bytes"`
			} `json:"sent"`
		}
		data, err := os.ReadFile(filepath.Join(r.RunDir, "status", fmt.Sprintf("%d.json", i)))
		if err != nil || json.Unmarshal(data, &st) != nil || st.Sent == nil {
			t.Fatalf("status/%d.json: %v, no sent: %s", i, err, data)
		}
		sentFiles += float64(st.Sent.Files)
		sentBytes += float64(st.Sent.Bytes)
	}
	if sentBytes == 0 {
		t.Fatalf("the tools sent nothing: the metrics would check nothing")
	}
	labels := map[string]string{"run_id": r.ID, "status": "Succeeded"}
	want := map[string]float64{
		"partsync_sent_bytes": sentBytes, "partsync_sent_files": sentFiles, "partsync_partitions": float64(r.Parts),
		"partsync_partition_duration_seconds": float64(r.Parts), // the histogram's count
	}
	var got map[string]float64
	var fams map[string]*dto.MetricFamily
	deadline := time.Now().Add(30 * time.Second)
	for {
		fams = s.scrape(t)
		got = map[string]float64{}
		for name := range want {
			if v, ok := metricValue(fams, name, labels); ok {
				got[name] = v
			}
		}
		if _, ok := metricValue(fams, "partsync_run_duration_seconds", labels); ok && len(got) == len(want) || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Second)
	}
	if len(got) != len(want) {
		var names []string
		for n, f := range fams {
			if strings.Contains(n, "partsync") || strings.Contains(f.GetHelp(), "partsync") {
				names = append(names, fmt.Sprintf("%s %s %v", n, f.GetType(), f.GetMetric()))
			}
		}
		t.Logf("the endpoint's partsync families (%d families in all): %q\nworkflow conditions: %v", len(fams), names, wf.Status.Conditions)
	}
	for name, w := range want {
		if g, ok := got[name]; !ok || g != w {
			t.Errorf("metric %s{run_id=%q,status=Succeeded} = %v (found %v); want %v", name, r.ID, g, ok, w)
		}
	}
	took := wf.Status.FinishedAt.Sub(wf.Status.StartedAt.Time).Seconds()
	if g, ok := metricValue(fams, "partsync_run_duration_seconds", labels); !ok || g <= 0 || g > took+1 || g < took-2 {
		t.Errorf("metric partsync_run_duration_seconds = %v (found %v); want the run's %.0f s", g, ok, took)
	}
	t.Logf("metrics: sent %v bytes, %v files, %d partitions, run %.1f s", sentBytes, sentFiles, r.Parts, took)
}

// scrape reads the controller's metrics endpoint.
func (s *suite) scrape(t *testing.T) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(s.stack.MetricsURL())
	if err != nil {
		t.Fatalf("scrape %s: %v", s.stack.MetricsURL(), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape %s: %s", s.stack.MetricsURL(), resp.Status)
	}
	var parser expfmt.TextParser
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("scrape %s: %v", s.stack.MetricsURL(), err)
	}
	return fams
}

// argoMetricPrefix starts every metric name on Argo's endpoint, custom ones too.
const argoMetricPrefix = "argo_workflows_"

// metricValue is the value of the series of the family Argo names
// argoMetricPrefix+name whose labels include labels: a counter's or gauge's
// value, a histogram's count.
func metricValue(fams map[string]*dto.MetricFamily, name string, labels map[string]string) (float64, bool) {
	fam, ok := fams[argoMetricPrefix+name]
	if !ok {
		return 0, false
	}
series:
	for _, m := range fam.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range labels {
			if have[k] != v {
				continue series
			}
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue(), true
		case m.Gauge != nil:
			return m.GetGauge().GetValue(), true
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount()), true
		}
	}
	return 0, false
}

// planFiles is each partition's file count in the run's plan.json.
func planFiles(t *testing.T, r run) []int64 {
	t.Helper()
	var files []int64
	for _, raw := range readPlan(t, filepath.Join(r.RunDir, "plan.json")).Partitions {
		var p struct {
			Files int64 `json:"files"`
		}
		if err := json.Unmarshal(raw, &p); err != nil {
			t.Fatal(err)
		}
		files = append(files, p.Files)
	}
	return files
}
