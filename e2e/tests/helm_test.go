package tests

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	authzv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/restmapper"
	"sigs.k8s.io/yaml"

	"github.com/partsync/partsync/generator/testtree"
)

// chartDir is charts/partsync, seen from this package's directory.
var chartDir = filepath.Join("..", "..", "charts", "partsync")

// testHelmChart installs charts/partsync with the real helm (built by
// run.sh from the chart test module's pinned Helm) into the API server
// (full CRDs, RBAC authorizer), reads every object of the release back,
// asks the RBAC authorizer what the chart's service account may do, runs
// the chart's WorkflowTemplate as the UI submits it (the node agent makes
// the executor's API calls as that service account, so the chart's Role is
// what allows them), and uninstalls the release.
func testHelmChart(t *testing.T, s *suite) {
	ctx := context.Background()
	helm := filepath.Join(s.binDir, "helm")
	if _, err := os.Stat(helm); err != nil {
		t.Fatalf("helm is not built (%v): run e2e/run.sh, which builds it from charts/partsync/test", err)
	}
	if s.imageUser == 0 {
		t.Skip("the chart's pods ask for runAsNonRoot, which an image without USER (" + envUser + "=0) cannot satisfy")
	}
	_, vols := s.volumes(t, "src", "dst", "shared")
	makeTree(t, vols["src"].Local, 4, 6, 24<<10)
	for _, v := range []string{"dst", "shared"} {
		if err := os.Chown(vols[v].Local, s.imageUser, s.imageUser); err != nil {
			t.Fatal(err)
		}
	}
	const release, tmplName, sa, jobs = "partsync-e2e", "partsync-chart", "partsync-chart", 2
	values := map[string]any{
		"image":            map[string]any{"repository": "partsync", "tag": "e2e"},
		"workflowTemplate": map[string]any{"name": tmplName},
		"serviceAccount":   map[string]any{"name": sa},
		"volumes": map[string]any{
			"source":      map[string]any{"claimName": vols["src"].Claim, "mountPath": vols["src"].Mount},
			"destination": map[string]any{"claimName": vols["dst"].Claim, "mountPath": vols["dst"].Mount},
			"shared":      map[string]any{"claimName": vols["shared"].Claim, "mountPath": vols["shared"].Mount},
		},
		"defaults": map[string]any{"jobs": jobs, "files": 5, "retries": 2, "backoff": "1s"},
	}
	valuesFile := filepath.Join(t.TempDir(), "values.yaml")
	data, err := yaml.Marshal(values)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(valuesFile, data, 0o600); err != nil {
		t.Fatal(err)
	}
	runHelm := s.helmRunner(t, helm)
	// `helm template` as a user runs it: no cluster, no --kube-version (the
	// chart once required a kubeVersion that Helm's default v1.20.0 refused).
	if out := runHelm("template", release, chartDir, "--namespace", s.ns, "--values", valuesFile); !strings.Contains(string(out), "kind: WorkflowTemplate") {
		t.Errorf("helm template rendered no WorkflowTemplate:\n%s", out)
	}
	runHelm("install", release, chartDir, "--namespace", s.ns, "--values", valuesFile)
	uninstalled := false
	t.Cleanup(func() {
		if !uninstalled {
			runHelm("uninstall", release, "--namespace", s.ns)
		}
	})

	// Every object of the release is in the API server as rendered.
	objs := decodeAll(t, runHelm("get", "manifest", release, "--namespace", s.ns))
	kinds := map[string]bool{}
	for _, o := range objs {
		kinds[o.GetKind()] = true
	}
	for _, k := range []string{"WorkflowTemplate", "ServiceAccount", "Role", "RoleBinding"} {
		if !kinds[k] {
			t.Errorf("the release has no %s; it has %v", k, kinds)
		}
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(s.stack.Kube.Discovery()))
	get := func(o *unstructured.Unstructured) error {
		gvk := o.GroupVersionKind()
		m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			t.Fatalf("map %s: %v", gvk, err)
		}
		_, err = s.stack.Dynamic.Resource(m.Resource).Namespace(s.ns).Get(ctx, o.GetName(), metav1.GetOptions{})
		return err
	}
	for _, o := range objs {
		if err := get(o); err != nil {
			t.Errorf("%s %s of the release: %v", o.GetKind(), o.GetName(), err)
		}
	}

	// The RBAC authorizer grants the chart's service account what Argo's
	// executor and the semaphore step need, and nothing else asked here.
	user := "system:serviceaccount:" + s.ns + ":" + sa
	for _, c := range []struct {
		ns, group, resource, verb string
		want                      bool
	}{
		{s.ns, "argoproj.io", "workflowtaskresults", "create", true},
		{s.ns, "argoproj.io", "workflowtaskresults", "patch", true},
		{s.ns, "", "configmaps", "create", true},
		{s.ns, "", "secrets", "get", false},
		{s.ns, "", "pods", "create", false},
		{s.ns, "argoproj.io", "workflows", "delete", false},
		{s.ns, "argoproj.io", "workflows", "create", true}, // rbac.childWorkflows: the form splits
		{s.ns, "", "configmaps", "delete", false},
		{"kube-system", "argoproj.io", "workflowtaskresults", "create", false},
	} {
		sar := &authzv1.SubjectAccessReview{Spec: authzv1.SubjectAccessReviewSpec{
			User:               user,
			Groups:             []string{"system:serviceaccounts", "system:serviceaccounts:" + s.ns, "system:authenticated"},
			ResourceAttributes: &authzv1.ResourceAttributes{Namespace: c.ns, Group: c.group, Resource: c.resource, Verb: c.verb},
		}}
		got, err := s.stack.Kube.AuthorizationV1().SubjectAccessReviews().Create(ctx, sar, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("SubjectAccessReview: %v", err)
		}
		if got.Status.Allowed != c.want {
			t.Errorf("%s may %s %s.%s in %s: %v, want %v (%s)", user, c.verb, c.resource, c.group, c.ns, got.Status.Allowed, c.want, got.Status.Reason)
		}
	}

	// The chart's template runs: scan in the cluster, fan-out, exit handler.
	s.runFromTemplate(t, tmplName, vols, vols["dst"].Mount, jobs)
	sameFiles(t, testtree.Files(t, vols["src"].Local), testtree.Files(t, vols["dst"].Local))

	runHelm("uninstall", release, "--namespace", s.ns)
	uninstalled = true
	for _, o := range objs {
		if err := get(o); !apierrors.IsNotFound(err) {
			t.Errorf("%s %s after helm uninstall: %v, want NotFound", o.GetKind(), o.GetName(), err)
		}
	}
	t.Logf("chart installed (%d objects), its RBAC checked, its template ran, uninstalled", len(objs))
}

// helmRunner returns a function that runs the real helm against the stack,
// with its own cache and config directories, and fails the test on error.
func (s *suite) helmRunner(t *testing.T, helm string) func(args ...string) []byte {
	home := t.TempDir()
	return func(args ...string) []byte {
		t.Helper()
		cmd := exec.Command(helm, append(args, "--kubeconfig", s.stack.Kubeconfig)...)
		cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + home,
			"HELM_CACHE_HOME=" + filepath.Join(home, "cache"),
			"HELM_CONFIG_HOME=" + filepath.Join(home, "config"),
			"HELM_DATA_HOME=" + filepath.Join(home, "data")}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("helm %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		return out
	}
}
