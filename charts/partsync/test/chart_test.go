package charttest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/partsync/partsync/generator/workflow"
)

const (
	chartDir  = ".."
	namespace = "migrations"
)

// kubeVersion is the Kubernetes the chart is rendered for (Helm's default is old).
var kubeVersion = &chartutil.KubeVersion{Version: "v1.33.1", Major: "1", Minor: "33"}

var (
	templatesDir = filepath.Join("..", "..", "..", "templates")
	rootDir      = filepath.Join("..", "..", "..")
)

// values parses a values document.
func values(t *testing.T, doc string) map[string]any {
	t.Helper()
	v := map[string]any{}
	if err := yaml.Unmarshal([]byte(doc), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func loadChart(t *testing.T) *chart.Chart {
	t.Helper()
	ch, err := loader.Load(chartDir)
	if err != nil {
		t.Fatalf("load chart: %v", err)
	}
	return ch
}

// render is `helm template` in-process: every document of the manifest, and the notes.
func render(t *testing.T, vals map[string]any) ([]string, string, error) {
	t.Helper()
	return renderAs(t, "partsync", kubeVersion, vals)
}

// renderAs is `helm template RELEASE` with --kube-version kube (nil: none, Helm's default).
func renderAs(t *testing.T, release string, kube *chartutil.KubeVersion, vals map[string]any) ([]string, string, error) {
	t.Helper()
	install := action.NewInstall(&action.Configuration{})
	install.DryRun, install.ClientOnly, install.Replace = true, true, true
	install.ReleaseName, install.Namespace, install.KubeVersion = release, namespace, kube
	rel, err := install.RunWithContext(context.Background(), loadChart(t), vals)
	if err != nil {
		return nil, "", err
	}
	var docs []string
	for _, d := range regexp.MustCompile(`(?m)^---\s*$`).Split(rel.Manifest, -1) {
		if strings.TrimSpace(d) != "" {
			docs = append(docs, d)
		}
	}
	return docs, rel.Info.Notes, nil
}

// kindOf reads a document's kind.
func kindOf(t *testing.T, doc string) string {
	t.Helper()
	var m metav1.TypeMeta
	if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
		t.Fatalf("rendered document is not YAML: %v\n%s", err, doc)
	}
	return m.Kind
}

// byKind renders vals and sorts the documents by kind.
func byKind(t *testing.T, vals map[string]any) map[string][]string {
	t.Helper()
	docs, notes, err := render(t, vals)
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	if !strings.Contains(notes, "argo submit") {
		t.Errorf("NOTES.txt does not say how to submit:\n%s", notes)
	}
	out := map[string][]string{}
	for _, d := range docs {
		k := kindOf(t, d)
		out[k] = append(out[k], d)
	}
	return out
}

// templateSpec reads a (Cluster)WorkflowTemplate strictly and returns it
// without its metadata, as workflow.Marshal prints it: the form of spec the
// generator and the chart must agree on.
func templateSpec(t *testing.T, doc string) string {
	t.Helper()
	k := kindOf(t, doc)
	if k != "WorkflowTemplate" && k != "ClusterWorkflowTemplate" {
		t.Fatalf("kind %q is no template", k)
	}
	var wt wfv1.WorkflowTemplate // a ClusterWorkflowTemplate has the same fields
	if err := yaml.UnmarshalStrict([]byte(doc), &wt); err != nil {
		t.Fatalf("not a %s: %v\n%s", k, err, doc)
	}
	wt.ObjectMeta = metav1.ObjectMeta{}
	out, err := workflow.Marshal(&wt)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// sameSpec reports the first differing line of two specs.
func sameSpec(t *testing.T, what, got, want string) {
	t.Helper()
	if got == want {
		return
	}
	if dir := os.Getenv("CHART_TEST_DUMP"); dir != "" { // for a diff by hand
		name := regexp.MustCompile(`[^a-z0-9.-]+`).ReplaceAllString(what, "_")
		_ = os.WriteFile(filepath.Join(dir, name+".chart"), []byte(got), 0o644)
		_ = os.WriteFile(filepath.Join(dir, name+".generator"), []byte(want), 0o644)
	}
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range min(len(g), len(w)) {
		if g[i] != w[i] {
			t.Errorf("%s: the chart's spec differs from the generator's at line %d:\nchart:     %s\ngenerator: %s\n--- chart:\n%s", what, i+1, g[i], w[i], got)
			return
		}
	}
	t.Errorf("%s: the chart's spec has %d lines, the generator's %d", what, len(g), len(w))
}

// lintArgo runs Argo's offline strict validator on every Argo document.
func lintArgo(t *testing.T, docs map[string][]string) int {
	t.Helper()
	n := 0
	for kind, list := range docs {
		if !slices.Contains([]string{"Workflow", "WorkflowTemplate", "ClusterWorkflowTemplate", "CronWorkflow"}, kind) {
			continue
		}
		for i, d := range list {
			n++
			var out bytes.Buffer
			doc := workflow.Document{Name: fmt.Sprintf("%s %d", kind, i), Data: []byte(d)}
			if err := workflow.LintDocuments(context.Background(), []workflow.Document{doc}, namespace, &out); err != nil {
				t.Errorf("Argo's validator rejects the rendered %s: %v\n%s\n%s", kind, err, out.String(), d)
			}
		}
	}
	return n
}

// helmLint is `helm lint --strict` with vals.
func helmLint(t *testing.T, vals map[string]any) {
	t.Helper()
	lint := action.NewLint()
	lint.Strict, lint.Namespace, lint.KubeVersion = true, namespace, kubeVersion
	res := lint.Run([]string{chartDir}, vals)
	for _, m := range res.Messages {
		t.Logf("helm lint: %s", m)
	}
	for _, err := range res.Errors {
		t.Errorf("helm lint --strict: %v", err)
	}
}

// shipped reads a file of templates/, the output of `partsync template`.
func shipped(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(templatesDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestChartMatchesShippedTemplates: the chart with the values of each file
// in templates/ renders the same spec as `partsync template` printed there.
func TestChartMatchesShippedTemplates(t *testing.T) {
	for name, vals := range map[string]string{
		"workflowtemplate.yaml":        ``,
		"clusterworkflowtemplate.yaml": `{workflowTemplate: {cluster: true}}`,
		"workflowtemplate-object-storage.yaml": `
workflowTemplate: {name: partsync-object-storage}
volumes: {destination: {claimName: ""}}
defaults: {tool: rclone, destination: "oci:my-bucket/prefix", jobs: 16}`,
	} {
		t.Run(name, func(t *testing.T) {
			v := values(t, vals)
			helmLint(t, v)
			docs := byKind(t, v)
			wts := append(docs["WorkflowTemplate"], docs["ClusterWorkflowTemplate"]...)
			if len(wts) != 1 {
				t.Fatalf("%d templates rendered", len(wts))
			}
			sameSpec(t, name, templateSpec(t, wts[0]), templateSpec(t, shipped(t, name)))
			if lintArgo(t, docs) != 1 {
				t.Errorf("no Argo document linted")
			}
		})
	}
}

// buildPartsync compiles partsync from the work tree into dir.
func buildPartsync(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "partsync")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/partsync")
	cmd.Dir = rootDir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestChartMatchesGenerator: with every knob turned, pod knobs included, the
// chart renders what `partsync template` prints with the flags that
// README.md's table maps each value to, as a WorkflowTemplate with root pods
// and as a ClusterWorkflowTemplate.
func TestChartMatchesGenerator(t *testing.T) {
	bin := buildPartsync(t, t.TempDir())
	for _, cluster := range []bool{false, true} {
		t.Run(fmt.Sprintf("cluster=%v", cluster), func(t *testing.T) {
			v := values(t, fmt.Sprintf(`
image: {repository: registry.example.com/tools/partsync, tag: v9.9.9, pullPolicy: Always}
workflowTemplate: {name: copy-lustre, runAsRoot: %v, cluster: %v}
serviceAccount: {name: mover}
volumes:
  source: {claimName: lustre, mountPath: /mnt/lustre}
  destination: {claimName: fss, mountPath: /data/fss}
  shared: {claimName: scratch, mountPath: /mnt/scratch, runsDir: partsync/runs, create: true, size: 50Gi, storageClassName: oci-fss}
rcloneConfig: {secretName: oci-rclone, key: config}
defaults:
  source: /mnt/lustre/project
  destination: /data/fss/project
  tool: rsync
  jobs: 64
  bwlimit: 1G
  delete: delete
  maxDelete: 500
  verify: checksum
  files: 1000000
  size: 512MiB
  sizing: auto
  toolOptions: "-a --numeric-ids -H"
  exclude: ["*.tmp", "cache/", "/scratch/**"]
  scanWorkers: 128
  retries: 0
  backoff: 1m30s
resources:
  transfer: {requests: {cpu: 500m, memory: 1Gi}, limits: {memory: 4Gi}}
  steps: {requests: {cpu: 100m}, limits: {cpu: "2", memory: 512Mi}}
nodeSelector: {kubernetes.io/arch: arm64, pool: transfer}
tolerations:
  - {key: dedicated, value: transfer, effect: NoSchedule}
  - {key: spot, effect: NoExecute}
affinity:
  nodeAffinity:
    requiredDuringSchedulingIgnoredDuringExecution:
      nodeSelectorTerms:
        - matchExpressions: [{key: topology.kubernetes.io/zone, operator: In, values: [eu-1a, eu-1b]}]
  podAntiAffinity:
    preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 10
        podAffinityTerm: {topologyKey: topology.kubernetes.io/zone, labelSelector: {matchLabels: {app: db}}}
imagePullSecrets: [regcred, {name: mirror}]
priorityClassName: bulk
activeDeadlineSeconds: 259200
podAnnotations: {example.com/team: storage, cluster-autoscaler.kubernetes.io/safe-to-evict: "false"}
podLabels: {team: storage}
podSpecPatch: {hostNetwork: false}
`, !cluster, cluster))
			affinity := t.TempDir() + "/affinity.yaml" // --affinity FILE, as a user writes it
			if err := os.WriteFile(affinity, []byte(`
podAntiAffinity:
  preferredDuringSchedulingIgnoredDuringExecution:
    - weight: 10
      podAffinityTerm: {topologyKey: topology.kubernetes.io/zone, labelSelector: {matchLabels: {app: db}}}
nodeAffinity:
  requiredDuringSchedulingIgnoredDuringExecution:
    nodeSelectorTerms:
      - matchExpressions: [{key: topology.kubernetes.io/zone, operator: In, values: [eu-1a, eu-1b]}]
`), 0o644); err != nil {
				t.Fatal(err)
			}
			argv := []string{"template", "--name", "copy-lustre",
				"--image", "registry.example.com/tools/partsync:v9.9.9", "--image-pull-policy", "Always",
				"--service-account", "mover",
				"--pvc", "lustre:/mnt/lustre", "--pvc", "fss:/data/fss", "--pvc", "scratch:/mnt/scratch",
				"--shared-dir", "/mnt/scratch/partsync/runs", "--rclone-config-secret", "oci-rclone:config",
				"-m", "rsync", "-n", "64", "--bwlimit", "1G", "--delete", "--max-delete", "500", "--verify-checksum", "-f", "1000000", "-s", "512MiB", "--auto", "-o", "-a --numeric-ids -H",
				"-x", "*.tmp", "-x", "cache/", "-x", "/scratch/**", "--scan-workers", "128", "--retries", "0", "--backoff", "1m30s",
				"--requests", "cpu=500m,memory=1Gi", "--limits", "memory=4Gi",
				"--step-requests", "cpu=100m", "--step-limits", "cpu=2,memory=512Mi",
				"--node-selector", "pool=transfer", "--node-selector", "kubernetes.io/arch=arm64",
				"--toleration", "dedicated=transfer:NoSchedule", "--toleration", "spot:NoExecute",
				"--affinity", affinity,
				"--image-pull-secret", "regcred", "--image-pull-secret", "mirror",
				"--priority-class", "bulk", "--active-deadline", "72h",
				"--pod-annotation", "example.com/team=storage", "--pod-annotation", "cluster-autoscaler.kubernetes.io/safe-to-evict=false",
				"--pod-label", "team=storage", "--pod-spec-patch", `{"hostNetwork": false}`,
			}
			if cluster {
				argv = append(argv, "--cluster")
			} else {
				argv = append(argv, "--run-as-root")
			}
			argv = append(argv, "/mnt/lustre/project", "/data/fss/project")
			cmd := exec.Command(bin, argv...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			want, err := cmd.Output()
			if err != nil {
				t.Fatalf("partsync %q: %v\n%s", argv, err, stderr.String())
			}
			helmLint(t, v)
			docs := byKind(t, v)
			wts := append(docs["WorkflowTemplate"], docs["ClusterWorkflowTemplate"]...)
			if len(wts) != 1 {
				t.Fatalf("%d templates rendered", len(wts))
			}
			sameSpec(t, "every knob", templateSpec(t, wts[0]), templateSpec(t, string(want)))
			lintArgo(t, docs)
			if len(docs["PersistentVolumeClaim"]) != 1 || !strings.Contains(docs["PersistentVolumeClaim"][0], "storageClassName: oci-fss") ||
				!strings.Contains(docs["PersistentVolumeClaim"][0], "helm.sh/resource-policy: keep") {
				t.Errorf("the shared claim is not created as asked: %q", docs["PersistentVolumeClaim"])
			}
		})
	}
}

// TestChartObjects: the service account, the least RBAC, locked-down pods,
// the source mounted read-only, and Argo's {{…}} left for Argo.
func TestChartObjects(t *testing.T) {
	for name, vals := range map[string]string{
		"defaults":           ``,
		"no-secret":          `{rcloneConfig: {secretName: ""}}`,
		"cluster":            `{workflowTemplate: {cluster: true}}`,
		"no-child-workflows": `{rbac: {childWorkflows: false}}`,
	} {
		t.Run(name, func(t *testing.T) {
			docs := byKind(t, values(t, vals))
			for _, kind := range []string{"ServiceAccount", "Role", "RoleBinding"} {
				if len(docs[kind]) != 1 {
					t.Fatalf("%d %s rendered", len(docs[kind]), kind)
				}
			}
			var role rbacv1.Role
			if err := yaml.UnmarshalStrict([]byte(docs["Role"][0]), &role); err != nil {
				t.Fatal(err)
			}
			var rules []string
			for _, r := range role.Rules {
				rules = append(rules, strings.Join(r.APIGroups, ",")+"/"+strings.Join(r.Resources, ",")+":"+strings.Join(r.Verbs, ","))
			}
			want := []string{"argoproj.io/workflowtaskresults:create,patch", "/configmaps:create", "argoproj.io/workflows/finalizers:update"}
			if name != "no-child-workflows" { // the form splits past max-partitions: the run creates Workflows
				want = append(want, "argoproj.io/workflows:create,get")
			}
			if !slices.Equal(rules, want) {
				t.Errorf("role rules %q; want exactly %q", rules, want)
			}
			var binding rbacv1.RoleBinding
			if err := yaml.UnmarshalStrict([]byte(docs["RoleBinding"][0]), &binding); err != nil {
				t.Fatal(err)
			}
			if binding.RoleRef.Name != role.Name || binding.Subjects[0].Name != "partsync" || binding.Subjects[0].Namespace != namespace {
				t.Errorf("binding %+v does not bind the role to the service account", binding)
			}
			wtDocs := append(docs["WorkflowTemplate"], docs["ClusterWorkflowTemplate"]...)
			var wt wfv1.WorkflowTemplate
			if err := yaml.Unmarshal([]byte(wtDocs[0]), &wt); err != nil {
				t.Fatal(err)
			}
			if wt.Annotations["workflows.argoproj.io/title"] == "" || wt.Annotations["workflows.argoproj.io/description"] == "" {
				t.Errorf("title or description annotation missing")
			}
			if wt.Spec.ServiceAccountName != "partsync" || wt.Spec.SecurityContext == nil || !*wt.Spec.SecurityContext.RunAsNonRoot {
				t.Errorf("pods run as %q with %+v", wt.Spec.ServiceAccountName, wt.Spec.SecurityContext)
			}
			for _, own := range wt.Spec.Templates {
				if own.Container == nil {
					continue
				}
				x, err := workflow.Merged(wt.Spec, own.Name) // with templateDefaults, as Argo runs it
				if err != nil {
					t.Fatal(err)
				}
				c := x.Container
				sc := c.SecurityContext
				if sc == nil || *sc.AllowPrivilegeEscalation || !*sc.ReadOnlyRootFilesystem || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) {
					t.Errorf("%s: weak securityContext %+v", x.Name, sc)
				}
				for _, m := range c.VolumeMounts {
					if m.MountPath == "/mnt/source" && !m.ReadOnly {
						t.Errorf("%s: the source is mounted writable", x.Name)
					}
				}
			}
			if !strings.Contains(wtDocs[0], "{{workflow.name}}") || strings.Contains(wtDocs[0], "{{`") {
				t.Errorf("Argo's expressions are not rendered as {{…}}")
			}
			if hasSecret := strings.Contains(wtDocs[0], "secretName: rclone-config"); hasSecret == (name == "no-secret") {
				t.Errorf("rclone config Secret mounted: %v", hasSecret)
			}
		})
	}
}

// TestChartRefusesBadValues: a chart that cannot work fails to render, with the reason.
func TestChartRefusesBadValues(t *testing.T) {
	for vals, want := range map[string]string{
		`{volumes: {source: {claimName: ""}}}`:                                            "volumes.source.claimName is required",
		`{volumes: {shared: {claimName: ""}}}`:                                            "volumes.shared.claimName is required",
		`{volumes: {shared: {mountPath: /mnt/source/shared}}}`:                            "lie inside one another",
		`{volumes: {destination: {mountPath: relative}}}`:                                 "must be an absolute path",
		`{volumes: {shared: {runsDir: ../elsewhere}}}`:                                    "runsDir must lie under",
		`{defaults: {tool: scp}}`:                                                         "tool",
		`{defaults: {jobs: many}}`:                                                        "jobs",
		`{workflowTemplate: {cluster: true, name: "Bad Name"}}`:                           "name",
		`{image: {repository: ""}}`:                                                       "repository",
		`{serviceAccount: {name: "Bad_Name"}}`:                                            "name",
		`{fullnameOverride: "Bad Name"}`:                                                  "fullnameOverride",
		`{serviceAccount: {annotations: {eks.amazonaws.com/role-arn: 5}}}`:                "annotations",
		`{serviceAccount: {annotations: [a]}}`:                                            "annotations",
		`{rbac: {childWorkflows: "yes"}}`:                                                 "childWorkflows",
		`{defaults: {sizing: fast}}`:                                                      "sizing",
		`{volumes: {shared: {create: true, accessModes: [ReadOnlyMany]}}}`:                "ReadWriteMany",
		`{resources: {transfer: {requests: {cpu: [1]}}}}`:                                 "cpu",
		`{resources: {transfer: {requests: {cpu: lots}}}}`:                                "cpu",
		`{resources: {steps: {request: {cpu: 1}}}}`:                                       "request",
		`{nodeSelector: [pool]}`:                                                          "nodeSelector",
		`{nodeSelector: {pool: "a b"}}`:                                                   "pool",
		`{tolerations: [{key: dedicated, effect: Sometimes}]}`:                            "effect",
		`{tolerations: [{key: spot, operator: Exists, value: spot, effect: NoSchedule}]}`: "operator Exists takes no value",
		`{tolerations: {key: spot}}`:                                                      "tolerations",
		`{affinity: {nodeAffinty: {}}}`:                                                   "nodeAffinty",
		`{affinity: [zone]}`:                                                              "affinity",
		`{imagePullSecrets: [{nam: regcred}]}`:                                            "imagePullSecrets",
		`{imagePullSecrets: regcred}`:                                                     "imagePullSecrets",
		`{image: {pullPolicy: Sometimes}}`:                                                "pullPolicy",
		`{priorityClassName: 5}`:                                                          "priorityClassName",
		`{activeDeadlineSeconds: 72h}`:                                                    "activeDeadlineSeconds",
		`{activeDeadlineSeconds: -1}`:                                                     "activeDeadlineSeconds",
		`{podAnnotations: {team: 1}}`:                                                     "team",
		`{podLabels: [team]}`:                                                             "podLabels",
		`{podSpecPatch: 3}`:                                                               "podSpecPatch",
	} {
		_, _, err := render(t, values(t, vals))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("values %s: render error %v; want one naming %q", vals, err, want)
		}
	}
}

// TestImageVersionsAgree: the chart's appVersion and image, and the image of
// the shipped templates, are those of the partsync version (the Dockerfile's
// are checked by cmd/partsync's TestDockerfile).
func TestImageVersionsAgree(t *testing.T) {
	main, err := os.ReadFile(filepath.Join(rootDir, "cmd", "partsync", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^const version = "([^"]+)"`).FindSubmatch(main)
	if m == nil {
		t.Fatal("no version const in cmd/partsync/main.go")
	}
	version := string(m[1])
	image := "ghcr.io/partsync/partsync:v" + version
	if ch := loadChart(t); ch.Metadata.AppVersion != version {
		t.Errorf("Chart.yaml appVersion %q; partsync is %s", ch.Metadata.AppVersion, version)
	}
	docs := byKind(t, nil)
	if !strings.Contains(docs["WorkflowTemplate"][0], "image: "+image+"\n") {
		t.Errorf("the chart's pods do not run %s", image)
	}
	entries, err := os.ReadDir(templatesDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		doc := shipped(t, e.Name())
		var wt wfv1.WorkflowTemplate
		if err := yaml.Unmarshal([]byte(doc), &wt); err != nil {
			t.Fatal(err)
		}
		pods := 0
		for _, own := range wt.Spec.Templates {
			x, err := workflow.Merged(wt.Spec, own.Name) // with templateDefaults, as Argo runs it
			if err != nil {
				t.Fatal(err)
			}
			if x.Container != nil && x.Container.Image == image {
				pods++
			}
		}
		if pods != 6 || strings.Count(doc, "--image="+image+"\n") != 1 {
			t.Errorf("templates/%s runs %s in %d pods; want six (scan, transfer, dirs, verify, verify-sum, exit handler), and --image once", e.Name(), image, pods)
		}
	}
}

// TestChartRendersWithoutKubeVersion: `helm template` with no --kube-version
// checks the chart against Helm's default Kubernetes (v1.20.0 in a helm built
// from source): the chart renders and lints there too.
func TestChartRendersWithoutKubeVersion(t *testing.T) {
	docs, _, err := renderAs(t, "partsync", nil, nil)
	if err != nil {
		t.Fatalf("helm template without --kube-version: %v", err)
	}
	if len(docs) == 0 {
		t.Fatal("nothing rendered")
	}
	lint := action.NewLint()
	lint.Strict, lint.Namespace = true, namespace
	for _, err := range lint.Run([]string{chartDir}, nil).Errors {
		t.Errorf("helm lint --strict without --kube-version: %v", err)
	}
}

// objectNames renders a release and returns kind/namespace/name of each object.
func objectNames(t *testing.T, release string, vals map[string]any) []string {
	t.Helper()
	docs, _, err := renderAs(t, release, kubeVersion, vals)
	if err != nil {
		t.Fatalf("release %s: %v", release, err)
	}
	var names []string
	for _, d := range docs {
		var m metav1.PartialObjectMetadata
		if err := yaml.Unmarshal([]byte(d), &m); err != nil {
			t.Fatal(err)
		}
		names = append(names, m.Kind+"/"+m.Namespace+"/"+m.Name)
	}
	return names
}

// TestChartTwoReleases: two releases in one namespace (and two
// ClusterWorkflowTemplates) share no object name, and overrides name them.
func TestChartTwoReleases(t *testing.T) {
	for name, vals := range map[string]string{
		"namespaced": ``,
		"cluster":    `{workflowTemplate: {cluster: true}}`,
	} {
		t.Run(name, func(t *testing.T) {
			first, second := objectNames(t, "partsync", values(t, vals)), objectNames(t, "archive", values(t, vals))
			if len(first) < 4 || len(first) != len(second) {
				t.Fatalf("objects %q and %q", first, second)
			}
			for _, o := range first {
				if slices.Contains(second, o) {
					t.Errorf("both releases install %s", o)
				}
			}
			if !slices.Contains(second, "ServiceAccount/"+namespace+"/archive-partsync") {
				t.Errorf("release archive's objects: %q", second)
			}
		})
	}
	names := objectNames(t, "x", values(t, `{fullnameOverride: lustre-copy}`))
	for _, o := range names {
		if !strings.HasSuffix(o, "/lustre-copy") {
			t.Errorf("fullnameOverride lustre-copy: %s", o)
		}
	}
}

// TestChartServiceAccountAnnotations: workload identity annotations reach
// the service account the pods run as.
func TestChartServiceAccountAnnotations(t *testing.T) {
	docs := byKind(t, values(t, `
serviceAccount:
  annotations:
    eks.amazonaws.com/role-arn: arn:aws:iam::123456789012:role/partsync
    iam.gke.io/gcp-service-account: partsync@project.iam.gserviceaccount.com`))
	var sa corev1.ServiceAccount
	if err := yaml.UnmarshalStrict([]byte(docs["ServiceAccount"][0]), &sa); err != nil {
		t.Fatal(err)
	}
	if sa.Annotations["eks.amazonaws.com/role-arn"] != "arn:aws:iam::123456789012:role/partsync" ||
		sa.Annotations["iam.gke.io/gcp-service-account"] != "partsync@project.iam.gserviceaccount.com" {
		t.Errorf("service account annotations %v", sa.Annotations)
	}
}

// TestChartReadmeExample renders the values of the pod-knob example in the
// chart's README, and checks the knobs reach the pods, so the page cannot
// show values the chart refuses.
func TestChartReadmeExample(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(chartDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)<<'EOF2'\n(.*?)\n *EOF2\n`).FindSubmatch(readme)
	if m == nil {
		t.Fatal("README.md has no values example between <<'EOF2' and EOF2")
	}
	var lines []string
	for _, l := range strings.Split(string(m[1]), "\n") {
		lines = append(lines, strings.TrimPrefix(l, "    "))
	}
	v := values(t, strings.Join(lines, "\n"))
	helmLint(t, v)
	docs := byKind(t, v)
	var wt wfv1.WorkflowTemplate
	if err := yaml.Unmarshal([]byte(docs["WorkflowTemplate"][0]), &wt); err != nil {
		t.Fatal(err)
	}
	if wt.Spec.NodeSelector["pool"] != "transfer" || len(wt.Spec.Tolerations) != 1 || wt.Spec.PodPriorityClassName != "bulk" {
		t.Errorf("the README's knobs did not reach the spec: nodeSelector %v, tolerations %v, priority class %q",
			wt.Spec.NodeSelector, wt.Spec.Tolerations, wt.Spec.PodPriorityClassName)
	}
	for _, p := range wt.Spec.Arguments.Parameters {
		if p.Name == "requests" && p.Value.String() != "cpu=1,memory=2Gi" {
			t.Errorf("the form's requests default is %q; want cpu=1,memory=2Gi", p.Value.String())
		}
	}
	lintArgo(t, docs)
}
