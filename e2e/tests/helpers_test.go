package tests

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	"github.com/argoproj/argo-workflows/v3/workflow/packer"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/utils/ptr"

	"github.com/partsync/partsync/e2e/internal/agent"
	"github.com/partsync/partsync/e2e/internal/harness"
	"github.com/partsync/partsync/e2e/internal/sandbox"
)

func workflowGVR() schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "workflows"}
}

// mountBase is where scenarios mount their volumes, in pods and for the
// operator: below a directory every user can traverse (pods may run as a
// non-root user), and never created on the host, so a pod sees data there
// only through its volume mount.
const mountBase = "/srv/partsync-e2e"

// volume is one PersistentVolumeClaim of a scenario: its local directory
// (the PersistentVolume's hostPath) and the path where pods, and the
// operator running partsync generate, see it.
type volume struct {
	Claim string
	Local string
	Mount string
}

// volumes creates, for each name, a local directory, a hostPath
// PersistentVolume and a claim bound to it (pre-bound: no controller
// manager runs).
func (s *suite) volumes(t *testing.T, names ...string) (string, map[string]volume) {
	t.Helper()
	ctx := context.Background()
	prefix := strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name()))
	prefix = strings.TrimPrefix(prefix, "teste2e-")
	root := filepath.Join(s.workDir, "scenarios", prefix)
	out := map[string]volume{}
	for _, n := range names {
		v := volume{
			Claim: prefix + "-" + n,
			Local: filepath.Join(root, "vol", n),
			Mount: filepath.Join(mountBase, filepath.Base(s.workDir), prefix, n),
		}
		if err := os.MkdirAll(v.Local, 0o755); err != nil {
			t.Fatal(err)
		}

		pv := &corev1.PersistentVolume{
			ObjectMeta: metav1.ObjectMeta{Name: v.Claim},
			Spec: corev1.PersistentVolumeSpec{
				Capacity:                      corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("10Gi")},
				AccessModes:                   []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany},
				PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimRetain,
				PersistentVolumeSource:        corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: v.Local}},
				ClaimRef:                      &corev1.ObjectReference{Kind: "PersistentVolumeClaim", Namespace: s.ns, Name: v.Claim},
				StorageClassName:              "",
			},
		}
		pv, err := s.stack.Kube.CoreV1().PersistentVolumes().Create(ctx, pv, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("create PV: %v", err)
		}
		pv.Status.Phase = corev1.VolumeBound
		if _, err := s.stack.Kube.CoreV1().PersistentVolumes().UpdateStatus(ctx, pv, metav1.UpdateOptions{}); err != nil {
			t.Fatalf("PV status: %v", err)
		}
		pvc := &corev1.PersistentVolumeClaim{
			ObjectMeta: metav1.ObjectMeta{
				Name:        v.Claim,
				Annotations: map[string]string{"pv.kubernetes.io/bind-completed": "yes"},
			},
			Spec: corev1.PersistentVolumeClaimSpec{
				AccessModes:      []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany},
				Resources:        corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("10Gi")}},
				VolumeName:       v.Claim,
				StorageClassName: ptr.To(""),
			},
		}
		pvc, err = s.stack.Kube.CoreV1().PersistentVolumeClaims(s.ns).Create(ctx, pvc, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("create PVC: %v", err)
		}
		pvc.Status.Phase = corev1.ClaimBound
		pvc.Status.AccessModes = pvc.Spec.AccessModes
		pvc.Status.Capacity = pvc.Spec.Resources.Requests
		if _, err := s.stack.Kube.CoreV1().PersistentVolumeClaims(s.ns).UpdateStatus(ctx, pvc, metav1.UpdateOptions{}); err != nil {
			t.Fatalf("PVC status: %v", err)
		}
		out[n] = v
	}
	return root, out
}

// pvcFlags are partsync's --pvc flags for vols.
func pvcFlags(vols map[string]volume) []string {
	var out []string
	for _, n := range slices.Sorted(maps.Keys(vols)) {
		out = append(out, "--pvc", vols[n].Claim+":"+vols[n].Mount)
	}
	return out
}

// operatorRun runs argv as an operator host would, with the volumes mounted
// at the same paths as in the pods (a private mount namespace with the same
// binds the node agent makes), and returns its standard output.
func (s *suite) operatorRun(t *testing.T, vols map[string]volume, argv ...string) []byte {
	t.Helper()
	out, errOut, err := s.operatorRunErr(t, vols, argv...)
	if err != nil {
		t.Fatalf("%s: %v\nstderr:\n%s", strings.Join(argv, " "), err, errOut)
	}
	return out
}

func (s *suite) operatorRunErr(t *testing.T, vols map[string]volume, argv ...string) ([]byte, []byte, error) {
	t.Helper()
	dir := t.TempDir()
	spec := sandbox.Spec{
		Argv:       argv,
		Env:        []string{"PATH=" + agent.ImageBinMount + ":/usr/local/bin:/usr/bin:/bin", "HOME=" + dir},
		ScratchDir: filepath.Join(dir, "scratch"),
		WorkingDir: "/",
		// The "image" at the pods' path: the cache below /root is not
		// every user's to traverse.
		Mounts: []sandbox.Mount{{Source: s.imageBin, Target: agent.ImageBinMount, ReadOnly: true}},
	}
	if s.operatorUID != 0 {
		// A non-root operator: its own HOME, the volumes it was given.
		uid := int64(s.operatorUID)
		spec.UID, spec.GID = &uid, &uid
		home, err := os.MkdirTemp("", "partsync-e2e-operator-")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = os.RemoveAll(home) })
		if err := os.Chown(home, s.operatorUID, s.operatorUID); err != nil {
			t.Fatal(err)
		}
		spec.Env[1] = "HOME=" + home
	}
	for _, n := range slices.Sorted(maps.Keys(vols)) {
		spec.Mounts = append(spec.Mounts, sandbox.Mount{Source: vols[n].Local, Target: vols[n].Mount})
	}
	specPath := filepath.Join(dir, "spec.json")
	if err := sandbox.WriteSpec(specPath, spec); err != nil {
		t.Fatal(err)
	}
	cmd := sandbox.Command(filepath.Join(s.binDir, "node-agent"), specPath)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.Bytes(), stderr.Bytes(), err
}

// decodeWorkflow decodes the single Workflow in a YAML stream.
func decodeWorkflow(t *testing.T, data []byte) *unstructured.Unstructured {
	t.Helper()
	objs, err := harness.DecodeYAMLBytes(data)
	if err != nil {
		t.Fatalf("decode workflow YAML: %v\n%s", err, data)
	}
	var wfs []*unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == "Workflow" {
			wfs = append(wfs, o)
		}
	}
	if len(wfs) != 1 {
		t.Fatalf("want exactly one Workflow in the YAML, got %d objects, %d workflows", len(objs), len(wfs))
	}
	return wfs[0]
}

// submit creates the workflow exactly as given (unstructured, strict field
// validation: an unknown field is an error, not silently dropped) and
// returns its name.
func (s *suite) submit(t *testing.T, wf *unstructured.Unstructured) string {
	t.Helper()
	if b := os.Getenv(envBreak); b != "" && wf.GetLabels()["app.kubernetes.io/managed-by"] == "partsync" {
		breakWorkflow(t, wf, b)
	}
	created, err := s.stack.Dynamic.Resource(workflowGVR()).Namespace(s.ns).Create(context.Background(), wf,
		metav1.CreateOptions{FieldValidation: "Strict"})
	if err != nil {
		t.Fatalf("submit workflow: %v", err)
	}
	return created.GetName()
}

// wait polls the workflow until it has completed (or timeout passes, which
// fails the test) and returns it as the API server has it.
func (s *suite) wait(t *testing.T, name string, timeout time.Duration, each func(*wfv1.Workflow)) *wfv1.Workflow {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(timeout)
	for {
		wf, err := s.stack.Argo.ArgoprojV1alpha1().Workflows(s.ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("get workflow %s: %v", name, err)
		}
		if each != nil {
			each(wf)
		}
		if wf.Status.Phase.Completed() && wf.Status.FinishedAt.Time.After(time.Time{}) {
			compressed := len(wf.Status.CompressedNodes)
			// Large workflows keep their nodes gzipped in status.compressedNodes.
			if err := packer.DecompressWorkflow(wf); err != nil {
				t.Fatalf("decompress workflow %s: %v", name, err)
			}
			if compressed > 0 {
				t.Logf("workflow %s: status.nodes stored compressed (%d bytes)", name, compressed)
			}
			return wf
		}
		if time.Now().After(deadline) {
			t.Fatalf("workflow %s not complete after %s: phase %q message %q\ncontainer logs:\n%s",
				name, timeout, wf.Status.Phase, wf.Status.Message, s.stack.ContainerLogs(name))
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// attempt is one pod node of the transfer template.
type attempt struct {
	Part     int
	Node     wfv1.NodeStatus
	Started  time.Time
	Finished time.Time
}

// transferAttempts groups the transfer template's pod nodes by partition,
// each partition's attempts in start order.
func transferAttempts(t *testing.T, wf *wfv1.Workflow, template string) map[int][]attempt {
	t.Helper()
	out := map[int][]attempt{}
	for _, n := range wf.Status.Nodes {
		if n.Type != wfv1.NodeTypePod || n.TemplateName != template {
			continue
		}
		part := -1
		if n.Inputs != nil {
			for _, p := range n.Inputs.Parameters {
				if p.Name == "part" && p.Value != nil {
					v, err := strconv.Atoi(p.Value.String())
					if err != nil {
						t.Fatalf("node %s: part %q: %v", n.Name, p.Value.String(), err)
					}
					part = v
				}
			}
		}
		if part < 0 {
			t.Fatalf("node %s has no part input", n.Name)
		}
		out[part] = append(out[part], attempt{Part: part, Node: n, Started: n.StartedAt.Time, Finished: n.FinishedAt.Time})
	}
	for p := range out {
		slices.SortFunc(out[p], func(a, b attempt) int { return a.Started.Compare(b.Started) })
	}
	return out
}

// maxConcurrent is the largest number of attempts whose [started, finished)
// intervals overlap. Argo records whole seconds; with half-open intervals
// on floored times an overlap is never invented, only possibly missed.
func maxConcurrent(atts map[int][]attempt) int {
	type ev struct {
		at    time.Time
		delta int
	}
	var evs []ev
	for _, as := range atts {
		for _, a := range as {
			if a.Finished.After(a.Started) {
				evs = append(evs, ev{a.Started, 1}, ev{a.Finished, -1})
			}
		}
	}
	slices.SortFunc(evs, func(a, b ev) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return a.delta - b.delta // ends before starts at the same instant
	})
	cur, best := 0, 0
	for _, e := range evs {
		cur += e.delta
		best = max(best, cur)
	}
	return best
}

// workflowPods lists the pods Argo created for the workflow.
func (s *suite) workflowPods(t *testing.T, name string) []corev1.Pod {
	t.Helper()
	pods, err := s.stack.Kube.CoreV1().Pods(s.ns).List(context.Background(), metav1.ListOptions{
		LabelSelector: "workflows.argoproj.io/workflow=" + name,
	})
	if err != nil {
		t.Fatalf("list pods: %v", err)
	}
	return pods.Items
}

// makeTree writes a deterministic tree: dirs directories of files files
// each, sizes up to maxSize, some names with spaces and non-ASCII letters.
func makeTree(t *testing.T, root string, dirs, files, maxSize int) {
	t.Helper()
	rng := rand.New(rand.NewPCG(uint64(dirs), uint64(files)))
	for d := range dirs {
		dir := filepath.Join(root, fmt.Sprintf("d%02d", d))
		if d%3 == 2 {
			dir = filepath.Join(root, fmt.Sprintf("d%02d", d), "deeper level")
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for f := range files {
			name := fmt.Sprintf("file-%03d.bin", f)
			if f%5 == 4 {
				name = fmt.Sprintf("fïle %03d with spaces.txt", f)
			}
			data := make([]byte, rng.IntN(maxSize+1))
			for i := range data {
				data[i] = byte(rng.UintN(256))
			}
			if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// sameFiles asserts that every file of want is in got with the same bytes
// (got may hold more: directories the tool created, say).
func sameFiles(t *testing.T, want, got map[string][]byte) {
	t.Helper()
	missing, differ := 0, 0
	for _, k := range slices.Sorted(maps.Keys(want)) {
		g, ok := got[k]
		switch {
		case !ok:
			missing++
			if missing <= 10 {
				t.Errorf("missing at destination: %q", k)
			}
		case !bytes.Equal(g, want[k]):
			differ++
			if differ <= 10 {
				t.Errorf("bytes differ: %q (%d bytes at source, %d at destination)", k, len(want[k]), len(g))
			}
		}
	}
	if missing+differ > 0 {
		t.Errorf("%d of %d files missing, %d differ", missing, len(want), differ)
	}
}

// plan is what the suite reads of a run directory's plan.json.
type plan struct {
	RunDir      string            `json:"run_dir"`
	Partitions  []json.RawMessage `json:"partitions"`
	Incremental *struct {
		BaseRunID   string `json:"base_run_id"`
		Unchanged   int64  `json:"unchanged"`
		NoCheckDest bool   `json:"no_check_dest"`
	} `json:"incremental"`
}

func readPlan(t *testing.T, path string) plan {
	t.Helper()
	var p plan
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("plan.json: %v", err)
	}
	if err := json.Unmarshal(data, &p); err != nil {
		t.Fatalf("plan.json: %v", err)
	}
	return p
}

// outcome is <run-dir>/outcome.json, written by the exit handler.
type outcome struct {
	WorkflowStatus string `json:"workflow_status"`
	Partitions     int    `json:"partitions"`
	Succeeded      []int  `json:"succeeded"`
	Failed         []int  `json:"failed"`
	Missing        []int  `json:"missing"`
}

func readOutcome(t *testing.T, path string) outcome {
	t.Helper()
	var o outcome
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("outcome.json (written by the exit handler): %v", err)
	}
	if err := json.Unmarshal(data, &o); err != nil {
		t.Fatalf("outcome.json: %v\n%s", err, data)
	}
	return o
}

// partFiles returns the paths listed in parts/part.N (NUL- or
// newline-separated, as the tool wants).
func partFiles(t *testing.T, runDir string, part int) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(runDir, "parts", fmt.Sprintf("part.%d", part)))
	if err != nil {
		t.Fatalf("part file: %v", err)
	}
	sep := "\n"
	if bytes.IndexByte(data, 0) >= 0 {
		sep = "\x00"
	}
	var out []string
	for _, l := range strings.Split(string(data), sep) {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}

func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// logWorkflowSize logs the stored size of a workflow object.
func (s *suite) workflowSize(t *testing.T, name string) int {
	t.Helper()
	u, err := s.stack.Dynamic.Resource(workflowGVR()).Namespace(s.ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get workflow: %v", err)
	}
	data, err := u.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return len(data)
}

// podRecorder keeps every pod created for one workflow, as last seen:
// partsync's workflows garbage-collect succeeded pods, so the API server no
// longer lists them when the workflow ends.
type podRecorder struct {
	mu   sync.Mutex
	pods map[types.UID]corev1.Pod
	w    watch.Interface
	done chan struct{}
}

// recordPods starts watching the pods of workflow name; call it before
// submitting.
func (s *suite) recordPods(t *testing.T, name string) *podRecorder {
	t.Helper()
	return s.recordPodsWith(t, "workflows.argoproj.io/workflow="+name)
}

// recordPodsWith starts watching the pods the label selector selects.
func (s *suite) recordPodsWith(t *testing.T, selector string) *podRecorder {
	t.Helper()
	w, err := s.stack.Kube.CoreV1().Pods(s.ns).Watch(context.Background(), metav1.ListOptions{
		LabelSelector: selector,
	})
	if err != nil {
		t.Fatalf("watch pods: %v", err)
	}
	r := &podRecorder{pods: map[types.UID]corev1.Pod{}, w: w, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		for ev := range w.ResultChan() {
			if pod, ok := ev.Object.(*corev1.Pod); ok {
				r.mu.Lock()
				r.pods[pod.UID] = *pod.DeepCopy()
				r.mu.Unlock()
			}
		}
	}()
	t.Cleanup(r.stop)
	return r
}

func (r *podRecorder) stop() {
	r.w.Stop()
	<-r.done
}

// list returns the pods seen so far.
func (r *podRecorder) list() []corev1.Pod {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]corev1.Pod, 0, len(r.pods))
	for _, p := range r.pods {
		out = append(out, p)
	}
	return out
}

// breakWorkflow applies a deliberate breakage (PARTSYNC_E2E_BREAK) to the
// suite's in-memory copy of a generated workflow, to show which test catches
// it: the product is untouched.
func breakWorkflow(t *testing.T, wf *unstructured.Unstructured, what string) {
	t.Helper()
	templates, _, _ := unstructured.NestedSlice(wf.Object, "spec", "templates")
	for _, x := range templates {
		tmpl, _ := x.(map[string]any)
		if tmpl["name"] != transferTemplate {
			continue
		}
		switch what {
		case "mountpath":
			moveClaimMounts(tmpl)
		case "retry":
			delete(tmpl, "retryStrategy")
		case "backoff":
			unstructured.RemoveNestedField(tmpl, "retryStrategy", "backoff")
		}
	}
	_ = unstructured.SetNestedSlice(wf.Object, templates, "spec", "templates")
	switch what {
	case "parallelism":
		unstructured.RemoveNestedField(wf.Object, "spec", "parallelism")
	case "mountpath":
		// The transfer template's mounts may come from templateDefaults.
		if defaults, ok, _ := unstructured.NestedMap(wf.Object, "spec", "templateDefaults"); ok {
			moveClaimMounts(defaults)
			_ = unstructured.SetNestedMap(wf.Object, defaults, "spec", "templateDefaults")
		}
	case "fsgroup":
		// The YAML before issue 10: no fsGroup, the config Secret 0400.
		walkMaps(wf.Object, func(key string, m map[string]any) {
			switch key {
			case "securityContext":
				delete(m, "fsGroup")
				delete(m, "fsGroupChangePolicy")
			case "secret":
				m["defaultMode"] = int64(0o400)
				items, _ := m["items"].([]any)
				for _, it := range items {
					if im, ok := it.(map[string]any); ok {
						delete(im, "mode")
					}
				}
			}
		})
	case "rootdefault":
		// Root pods, as generate run by root emitted them by default.
		sc, _, _ := unstructured.NestedMap(wf.Object, "spec", "securityContext")
		if sc == nil {
			sc = map[string]any{}
		}
		sc["runAsNonRoot"], sc["runAsUser"], sc["runAsGroup"] = false, int64(0), int64(0)
		_ = unstructured.SetNestedMap(wf.Object, sc, "spec", "securityContext")
		walkMaps(wf.Object, func(key string, m map[string]any) {
			if key == "securityContext" {
				if _, ok := m["runAsNonRoot"]; ok {
					m["runAsNonRoot"] = false
				}
				if _, ok := m["runAsUser"]; ok {
					m["runAsUser"] = int64(0)
				}
			}
		})
	case "mutex":
		walkMaps(wf.Object, func(_ string, m map[string]any) { delete(m, "synchronization") })
	case "retry", "backoff":
	default:
		t.Fatalf("%s=%q: unknown breakage (mountpath, retry, backoff, parallelism, fsgroup, rootdefault, mutex)", envBreak, what)
	}
	t.Logf("DELIBERATE BREAKAGE %q applied to workflow %s", what, wf.GetName())
}

// moveClaimMounts moves the claim mounts of a template's container
// (pvc-N volumes) to mountPath + "-wrong".
func moveClaimMounts(tmpl map[string]any) {
	mounts, _, _ := unstructured.NestedSlice(tmpl, "container", "volumeMounts")
	for _, m := range mounts {
		mm, _ := m.(map[string]any)
		if strings.HasPrefix(fmt.Sprint(mm["name"]), "pvc") {
			mm["mountPath"] = fmt.Sprint(mm["mountPath"]) + "-wrong"
		}
	}
	if mounts != nil {
		_ = unstructured.SetNestedSlice(tmpl, mounts, "container", "volumeMounts")
	}
}

// walkMaps calls f on every map below v, with the key it is held under
// ("" for list items and the root).
func walkMaps(v any, f func(key string, m map[string]any)) {
	var walk func(key string, v any)
	walk = func(key string, v any) {
		switch x := v.(type) {
		case map[string]any:
			f(key, x)
			for k, c := range x {
				walk(k, c)
			}
		case []any:
			for _, c := range x {
				walk("", c)
			}
		}
	}
	walk("", v)
}

// partsyncHas reports whether partsync's output (stdout and stderr) for
// args mentions want: the suite follows a product still being written.
func (s *suite) partsyncHas(t *testing.T, want string, args ...string) bool {
	t.Helper()
	out, errOut, _ := s.operatorRunErr(t, nil, append([]string{"partsync"}, args...)...)
	return strings.Contains(string(out)+string(errOut), want)
}
