package workflow

import (
	"path"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"

	"github.com/partsync/partsync/generator/transfer"
)

// Prometheus metrics through Argo (docs/argo.md, "Metrics"): the
// controller emits them on its metrics endpoint when a node of the transfer
// template, or the workflow, completes.
//
// Labels: the run and the outcome, never the partition. One series per
// partition would be 100k series per metric at 100k partitions, kept in
// the controller's memory and in Prometheus; per run they stay a handful.
// A partition's own figures are in its status/N.json and in its node's
// output parameters (the UI shows them).
const (
	MetricSentBytes  = "partsync_sent_bytes"                 // counter: bytes the tools sent, per run and status
	MetricSentFiles  = "partsync_sent_files"                 // counter: files the tools sent
	MetricPartitions = "partsync_partitions"                 // counter: transfer attempts ended, by status
	MetricDuration   = "partsync_partition_duration_seconds" // histogram: a transfer attempt's duration
	MetricRun        = "partsync_run_duration_seconds"       // gauge: the run's duration when it ended, by status
)

// durationBuckets are the transfer duration histogram's buckets, seconds:
// 5 s to a day.
var durationBuckets = []wfv1.Amount{{Value: "5"}, {Value: "60"}, {Value: "300"}, {Value: "1800"}, {Value: "7200"}, {Value: "28800"}, {Value: "86400"}}

// transferOutputs are the transfer pod's output parameters: what the tool
// sent, written by `partsync transfer --outputs-dir` (0 when the pod wrote
// nothing).
func transferOutputs() wfv1.Outputs {
	out := wfv1.Outputs{}
	for _, p := range []struct{ name, description string }{
		{transfer.SentFilesOutput, "files the tool sent (its own statistics)"},
		{transfer.SentBytesOutput, "bytes the tool sent (its own statistics)"},
	} {
		out.Parameters = append(out.Parameters, wfv1.Parameter{
			Name:        p.name,
			ValueFrom:   &wfv1.ValueFrom{Path: path.Join(scratchDir, p.name), Default: wfv1.AnyStringPtr("0")},
			Description: wfv1.AnyStringPtr(p.description),
		})
	}
	return out
}

// transferMetrics are the transfer template's metrics, labelled with runID.
func transferMetrics(runID string) *wfv1.Metrics {
	labels := func() []*wfv1.MetricLabel {
		return []*wfv1.MetricLabel{{Key: "run_id", Value: runID}, {Key: "status", Value: "{{status}}"}}
	}
	return &wfv1.Metrics{Prometheus: []*wfv1.Prometheus{
		{Name: MetricSentBytes, Help: "Bytes the transfer tools sent, as they report it", Labels: labels(),
			Counter: &wfv1.Counter{Value: "{{outputs.parameters." + transfer.SentBytesOutput + "}}"}},
		{Name: MetricSentFiles, Help: "Files the transfer tools sent, as they report it", Labels: labels(),
			Counter: &wfv1.Counter{Value: "{{outputs.parameters." + transfer.SentFilesOutput + "}}"}},
		{Name: MetricPartitions, Help: "Transfer attempts ended, by status", Labels: labels(),
			Counter: &wfv1.Counter{Value: "1"}},
		{Name: MetricDuration, Help: "Duration of a transfer attempt, seconds", Labels: labels(),
			Histogram: &wfv1.Histogram{Value: "{{duration}}", Buckets: durationBuckets}},
	}}
}

// runMetrics are the workflow's metrics: the run's duration when it ended.
func runMetrics(runID string) *wfv1.Metrics {
	return &wfv1.Metrics{Prometheus: []*wfv1.Prometheus{
		{Name: MetricRun, Help: "Duration of a partsync run when it ended, seconds, by status",
			Labels: []*wfv1.MetricLabel{{Key: "run_id", Value: runID}, {Key: "status", Value: "{{workflow.status}}"}},
			Gauge:  &wfv1.Gauge{Value: "{{workflow.duration}}", Realtime: ptr(false)}},
	}}
}
