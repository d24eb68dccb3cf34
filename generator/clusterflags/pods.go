package clusterflags

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"
)

// The pod knobs: --requests/--limits and --step-requests/--step-limits
// NAME=QUANTITY,…; --node-selector, --pod-label and --pod-annotation
// KEY=VALUE; --toleration KEY[=VALUE]:EFFECT; --image-pull-policy;
// --affinity FILE and --pod-spec-patch FILE-or-JSON (their contents).

// ParseResources reads flag's NAME=QUANTITY,… (cpu=500m,memory=1Gi). A name
// with an empty quantity is left out: a blank field of the Argo UI's form
// sets nothing.
func ParseResources(flag, s string) (corev1.ResourceList, error) {
	list := corev1.ResourceList{}
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		name, value, ok := strings.Cut(item, "=")
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		if !ok || name == "" {
			return nil, fmt.Errorf("%w: --%s %q: %q is not NAME=QUANTITY; write it as --%s cpu=500m,memory=1Gi", ErrCluster, flag, s, item, flag)
		}
		if msgs := validation.IsQualifiedName(name); len(msgs) > 0 {
			return nil, fmt.Errorf("%w: --%s %q: resource name %q: %s", ErrCluster, flag, s, name, msgs[0])
		}
		if _, dup := list[corev1.ResourceName(name)]; dup {
			return nil, fmt.Errorf("%w: --%s %q: %s is given twice; give it once", ErrCluster, flag, s, name)
		}
		if value == "" {
			continue
		}
		q, err := resource.ParseQuantity(value)
		if err != nil || q.Sign() < 0 {
			return nil, fmt.Errorf("%w: --%s %q: %s=%q is not a quantity; write it as Kubernetes does: 500m, 2, 1Gi, 512Mi", ErrCluster, flag, s, name, value)
		}
		list[corev1.ResourceName(name)] = q
	}
	return list, nil
}

// FormatResources is the canonical NAME=QUANTITY,… of list, as ParseResources reads it.
func FormatResources(list corev1.ResourceList) string {
	var items []string
	for name, q := range list {
		items = append(items, string(name)+"="+q.String())
	}
	sort.Strings(items)
	return strings.Join(items, ",")
}

// ParseLabel reads flag's KEY=VALUE as a label (--node-selector, --pod-label).
func ParseLabel(flag, s string) (key, value string, err error) {
	key, value, ok := strings.Cut(s, "=")
	if !ok {
		return "", "", fmt.Errorf("%w: --%s %q: give KEY=VALUE, as in --%s kubernetes.io/arch=arm64", ErrCluster, flag, s, flag)
	}
	if msgs := validation.IsQualifiedName(key); len(msgs) > 0 {
		return "", "", fmt.Errorf("%w: --%s %q: key %q: %s", ErrCluster, flag, s, key, msgs[0])
	}
	if msgs := validation.IsValidLabelValue(value); len(msgs) > 0 {
		return "", "", fmt.Errorf("%w: --%s %q: value %q: %s", ErrCluster, flag, s, value, msgs[0])
	}
	return key, value, nil
}

// ParseAnnotation reads --pod-annotation KEY=VALUE: any value, a qualified key.
func ParseAnnotation(s string) (key, value string, err error) {
	key, value, ok := strings.Cut(s, "=")
	if !ok {
		return "", "", fmt.Errorf("%w: --pod-annotation %q: give KEY=VALUE, as in --pod-annotation example.com/team=storage", ErrCluster, s)
	}
	if msgs := validation.IsQualifiedName(strings.ToLower(key)); len(msgs) > 0 {
		return "", "", fmt.Errorf("%w: --pod-annotation %q: key %q: %s", ErrCluster, s, key, msgs[0])
	}
	return key, value, nil
}

// ParseToleration reads --toleration KEY[=VALUE]:EFFECT; without a value the
// toleration tolerates any value of KEY (operator Exists).
func ParseToleration(s string) (corev1.Toleration, error) {
	i := strings.LastIndex(s, ":")
	if i < 0 {
		return corev1.Toleration{}, fmt.Errorf("%w: --toleration %q: give KEY[=VALUE]:EFFECT, as in --toleration dedicated=transfer:NoSchedule", ErrCluster, s)
	}
	keyValue, effect := s[:i], corev1.TaintEffect(s[i+1:])
	switch effect {
	case corev1.TaintEffectNoSchedule, corev1.TaintEffectPreferNoSchedule, corev1.TaintEffectNoExecute:
	default:
		return corev1.Toleration{}, fmt.Errorf("%w: --toleration %q: effect %q: give NoSchedule, PreferNoSchedule or NoExecute", ErrCluster, s, effect)
	}
	key, value, hasValue := strings.Cut(keyValue, "=")
	if msgs := validation.IsQualifiedName(key); len(msgs) > 0 {
		return corev1.Toleration{}, fmt.Errorf("%w: --toleration %q: key %q: %s", ErrCluster, s, key, msgs[0])
	}
	if !hasValue {
		return corev1.Toleration{Key: key, Operator: corev1.TolerationOpExists, Effect: effect}, nil
	}
	if msgs := validation.IsValidLabelValue(value); len(msgs) > 0 {
		return corev1.Toleration{}, fmt.Errorf("%w: --toleration %q: value %q: %s", ErrCluster, s, value, msgs[0])
	}
	return corev1.Toleration{Key: key, Operator: corev1.TolerationOpEqual, Value: value, Effect: effect}, nil
}

// FormatToleration is the canonical KEY[=VALUE]:EFFECT of t, as ParseToleration reads it.
func FormatToleration(t corev1.Toleration) string {
	if t.Operator == corev1.TolerationOpExists {
		return t.Key + ":" + string(t.Effect)
	}
	return t.Key + "=" + t.Value + ":" + string(t.Effect)
}

// ParsePullPolicy reads --image-pull-policy.
func ParsePullPolicy(s string) (corev1.PullPolicy, error) {
	switch p := corev1.PullPolicy(s); p {
	case corev1.PullAlways, corev1.PullIfNotPresent, corev1.PullNever:
		return p, nil
	}
	return "", fmt.Errorf("%w: --image-pull-policy %q: give Always, IfNotPresent or Never", ErrCluster, s)
}

// ParseName reads a flag naming a Kubernetes object (--image-pull-secret,
// --priority-class).
func ParseName(flag, s string) (string, error) {
	if msgs := validation.IsDNS1123Subdomain(s); len(msgs) > 0 {
		return "", fmt.Errorf("%w: --%s %q: %s", ErrCluster, flag, s, msgs[0])
	}
	return s, nil
}

// ParseAffinity reads the contents of --affinity FILE: a Kubernetes Affinity
// (nodeAffinity, podAffinity, podAntiAffinity) in YAML or JSON, strictly (a
// misspelt field is an error).
func ParseAffinity(file string, data []byte) (*corev1.Affinity, error) {
	var a corev1.Affinity
	if err := yaml.UnmarshalStrict(data, &a); err != nil {
		return nil, fmt.Errorf("%w: --affinity %s: %s; give a Kubernetes affinity (nodeAffinity, podAffinity, podAntiAffinity) in YAML or JSON", ErrCluster, file, oneLine(err))
	}
	return &a, nil
}

// IsInlinePatch reports whether the value of --pod-spec-patch or --affinity
// is the document itself (it starts with '{') rather than a file name.
func IsInlinePatch(s string) bool { return strings.HasPrefix(strings.TrimSpace(s), "{") }

// ParsePodSpecPatch reads --pod-spec-patch's patch (from where: the value or
// the file) and returns it as JSON: a YAML or JSON object whose fields are a
// PodSpec's, as Argo's podSpecPatch takes it (a strategic merge patch of the
// pod spec, containers by name; partsync's container is "main").
func ParsePodSpecPatch(where string, data []byte) (string, error) {
	fail := func(why string) (string, error) {
		return "", fmt.Errorf("%w: --pod-spec-patch %s: %s; give a pod spec patch in YAML or JSON, as in --pod-spec-patch '{\"containers\":[{\"name\":\"main\",\"resources\":{\"requests\":{\"memory\":\"2Gi\"}}}]}'", ErrCluster, where, why)
	}
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		return fail(oneLine(err))
	}
	var obj map[string]any
	if err := json.Unmarshal(js, &obj); err != nil || obj == nil {
		return fail("not an object")
	}
	var spec corev1.PodSpec
	if err := json.Unmarshal(js, &spec); err != nil {
		return fail(oneLine(err))
	}
	return string(js), nil
}

func oneLine(err error) string { return strings.ReplaceAll(strings.TrimSpace(err.Error()), "\n", "; ") }
