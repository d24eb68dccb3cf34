package clusterflags

import (
	"errors"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestParseResources(t *testing.T) {
	for in, want := range map[string]string{
		"cpu=500m,memory=1Gi":        "cpu=500m,memory=1Gi",
		" memory = 2Gi , cpu=2 ":     "cpu=2,memory=2Gi",
		"cpu=,memory=":               "", // blank form fields
		"":                           "",
		"nvidia.com/gpu=1,cpu=1500m": "cpu=1500m,nvidia.com/gpu=1",
	} {
		got, err := ParseResources("requests", in)
		if err != nil || FormatResources(got) != want {
			t.Errorf("ParseResources(%q) = %q, %v; want %q", in, FormatResources(got), err, want)
		}
	}
	for in, want := range map[string]string{
		"cpu":         "is not NAME=QUANTITY",
		"cpu=lots":    `cpu="lots" is not a quantity`,
		"memory=-1Gi": "is not a quantity",
		"cpu=1,cpu=2": "cpu is given twice",
		"bad name!=1": `resource name "bad name!"`,
		"=1":          "is not NAME=QUANTITY",
	} {
		_, err := ParseResources("limits", in)
		if !errors.Is(err, ErrCluster) || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "--limits") || strings.Contains(err.Error(), "\n") {
			t.Errorf("ParseResources(%q) = %v; want a one-line ErrCluster naming --limits and saying %q", in, err, want)
		}
	}
}

func TestParseToleration(t *testing.T) {
	for in, want := range map[string]corev1.Toleration{
		"dedicated=transfer:NoSchedule": {Key: "dedicated", Operator: corev1.TolerationOpEqual, Value: "transfer", Effect: corev1.TaintEffectNoSchedule},
		"example.com/gpu:NoExecute":     {Key: "example.com/gpu", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute},
	} {
		got, err := ParseToleration(in)
		if err != nil || got != want || FormatToleration(got) != in {
			t.Errorf("ParseToleration(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"dedicated", "dedicated=x:Sometimes", "bad key=x:NoSchedule", "k=bad value:NoSchedule", ":NoSchedule"} {
		if _, err := ParseToleration(in); !errors.Is(err, ErrCluster) || !strings.Contains(err.Error(), `--toleration "`+in+`"`) {
			t.Errorf("ParseToleration(%q) = %v; want ErrCluster naming it", in, err)
		}
	}
}

func TestParseLabelsAndNames(t *testing.T) {
	if k, v, err := ParseLabel("node-selector", "kubernetes.io/arch=arm64"); err != nil || k != "kubernetes.io/arch" || v != "arm64" {
		t.Errorf("ParseLabel = %q %q %v", k, v, err)
	}
	for _, in := range []string{"noequals", "bad key=x", "k=bad value"} {
		if _, _, err := ParseLabel("pod-label", in); !errors.Is(err, ErrCluster) || !strings.Contains(err.Error(), "--pod-label") {
			t.Errorf("ParseLabel(%q) = %v; want ErrCluster naming --pod-label", in, err)
		}
	}
	if k, v, err := ParseAnnotation("example.com/note=any value: at all"); err != nil || k != "example.com/note" || v != "any value: at all" {
		t.Errorf("ParseAnnotation = %q %q %v", k, v, err)
	}
	if _, err := ParsePullPolicy("Sometimes"); !errors.Is(err, ErrCluster) || !strings.Contains(err.Error(), "Always, IfNotPresent or Never") {
		t.Errorf("ParsePullPolicy(Sometimes) = %v", err)
	}
	if _, err := ParseName("priority-class", "Bad_Name"); !errors.Is(err, ErrCluster) || !strings.Contains(err.Error(), `--priority-class "Bad_Name"`) {
		t.Errorf("ParseName(Bad_Name) = %v", err)
	}
}

func TestParseAffinityAndPatch(t *testing.T) {
	a, err := ParseAffinity("aff.yaml", []byte("nodeAffinity:\n  requiredDuringSchedulingIgnoredDuringExecution:\n    nodeSelectorTerms:\n    - matchExpressions:\n      - {key: pool, operator: In, values: [transfer]}\n"))
	if err != nil || a.NodeAffinity == nil {
		t.Errorf("ParseAffinity = %+v, %v", a, err)
	}
	if _, err := ParseAffinity("aff.yaml", []byte("nodeAffinty: {}\n")); !errors.Is(err, ErrCluster) || !strings.Contains(err.Error(), "--affinity aff.yaml") {
		t.Errorf("a misspelt affinity: %v; want ErrCluster naming the file", err)
	}
	got, err := ParsePodSpecPatch("inline", []byte("containers:\n- name: main\n  resources: {limits: {memory: 2Gi}}\n"))
	if err != nil || got != `{"containers":[{"name":"main","resources":{"limits":{"memory":"2Gi"}}}]}` {
		t.Errorf("ParsePodSpecPatch = %s, %v", got, err)
	}
	for _, bad := range []string{"[1,2]", "containers: 3", "{", "null"} {
		if _, err := ParsePodSpecPatch("inline", []byte(bad)); !errors.Is(err, ErrCluster) || strings.Contains(err.Error(), "\n") {
			t.Errorf("ParsePodSpecPatch(%q) = %v; want a one-line ErrCluster", bad, err)
		}
	}
}
