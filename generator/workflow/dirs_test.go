package workflow

import (
	"slices"
	"testing"
)

// TestDirsStep: an rsync workflow runs `partsync dirs` after the fan-out,
// retried like a transfer, with the destination writable; an rclone
// workflow has no such step.
func TestDirsStep(t *testing.T) {
	wf, err := Build(testPlan("rsync", "/mnt/dst/copy", 4), baseOptions())
	if err != nil {
		t.Fatal(err)
	}
	main := wf.GetTemplateByName(entrypoint)
	if len(main.Steps) != 2 || main.Steps[0].Steps[0].Name != transferName || main.Steps[1].Steps[0].Name != dirsName || main.Steps[1].Steps[0].When != "" {
		t.Fatalf("rsync steps %+v; want the fan-out, then the directory step", main.Steps)
	}
	d := mergedTemplate(t, wf.Spec, dirsName)
	if d.Container == nil || d.RetryStrategy == nil || d.RetryStrategy.Limit.IntValue() != 3 {
		t.Fatalf("directory template %+v: want a container retried 3 times", d)
	}
	// A refused delete pass (exit 9) is the same answer at every attempt.
	if got, want := d.RetryStrategy.Expression, `lastRetry.exitCode != "9"`; got != want {
		t.Errorf("directory step's retry expression %q; want %q", got, want)
	}
	if tr := mergedTemplate(t, wf.Spec, transferName); tr.RetryStrategy == nil || tr.RetryStrategy.Expression != "" {
		t.Errorf("the transfers' retries %+v: want every failure retried", tr.RetryStrategy)
	}
	argv := append(slices.Clone(d.Container.Command), d.Container.Args...)
	if want := []string{"partsync", "dirs", "--run-dir", "/mnt/shared/runs/r1", "--attempt", "{{retries}}"}; !slices.Equal(argv, want) {
		t.Errorf("directory step runs %q; want %q", argv, want)
	}
	for _, m := range d.Container.VolumeMounts {
		if m.MountPath == "/mnt/dst" && m.ReadOnly {
			t.Errorf("the directory step cannot write the destination: %+v", m)
		}
	}

	wf, err = Build(testPlan("rclone", "/mnt/dst/copy", 4), baseOptions())
	if err != nil {
		t.Fatal(err)
	}
	// rclone keeps no directories, but the step also walks the source again
	// for entries added after the scan: it runs for rclone too, without
	// the rclone config (it does not touch the destination).
	main = wf.GetTemplateByName(entrypoint)
	if len(main.Steps) != 2 || main.Steps[1].Steps[0].Name != dirsName || main.Steps[1].Steps[0].When != "" {
		t.Fatalf("rclone steps %+v; want the fan-out, then the directory step", main.Steps)
	}
	d = mergedTemplate(t, wf.Spec, dirsName)
	for _, e := range d.Container.Env {
		if e.Name == "RCLONE_CONFIG" {
			t.Errorf("the rclone run's directory step gets the rclone config: %+v", e)
		}
	}
}

// TestDirsStepSplitRun: a run split into child workflows restores the
// directories once, in the parent, after every child.
func TestDirsStepSplitRun(t *testing.T) {
	o := baseOptions()
	o.MaxPartitions = 3
	wf, err := Build(testPlan("rsync", "/mnt/dst/copy", 10), o)
	if err != nil {
		t.Fatal(err)
	}
	main := wf.GetTemplateByName(entrypoint)
	last := main.Steps[len(main.Steps)-1].Steps[0]
	if last.Name != dirsName || wf.GetTemplateByName(dirsName) == nil || len(main.Steps) < 3 {
		t.Fatalf("parent steps %+v; want the directory step after the children", main.Steps)
	}
}

// TestOutcomeRetried: the exit handler that records outcome.json is retried
// a few times even when the transfers are not (--retries 0).
func TestOutcomeRetried(t *testing.T) {
	o := baseOptions()
	o.Retries = 0
	wf, err := Build(testPlan("rsync", "/mnt/dst/copy", 2), o)
	if err != nil {
		t.Fatal(err)
	}
	h := wf.GetTemplateByName(wf.Spec.OnExit)
	if h == nil || h.RetryStrategy == nil || h.RetryStrategy.Limit == nil || h.RetryStrategy.Limit.IntValue() != outcomeRetries || outcomeRetries < 1 {
		t.Errorf("exit handler %+v: want %d retries", h, outcomeRetries)
	}
}
