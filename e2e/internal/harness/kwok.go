package harness

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/kwok/kustomize/stage/pod/fast"
	"sigs.k8s.io/yaml"
)

// KWOK node conventions: the controller manages nodes carrying
// KWOKAnnotation; KWOKTaint keeps everything else off them, so only
// workflows that tolerate it (and select the node) run there.
const (
	KWOKAnnotation = "kwok.x-k8s.io/node"
	KWOKNode       = "kwok-node-0"
	KWOKTaintKey   = "kwok.x-k8s.io/node"
	KWOKTaintValue = "fake"
)

// kwokStages returns KWOK v0.7.0's own fast pod stages (ready, complete,
// delete) plus one more: its pod-complete only completes pods owned by a
// Job; the extra stage is the same stage selecting pods owned by an Argo
// Workflow (JQ selector on ownerReferences; KWOK's CEL cannot read them).
func kwokStages() (string, error) {
	var complete map[string]any
	if err := yaml.Unmarshal([]byte(fast.DefaultPodComplete), &complete); err != nil {
		return "", fmt.Errorf("kwok pod-complete stage: %w", err)
	}
	complete["metadata"] = map[string]any{"name": "pod-complete-workflow"}
	spec, _ := complete["spec"].(map[string]any)
	sel, _ := spec["selector"].(map[string]any)
	exprs, _ := sel["matchExpressions"].([]any)
	found := false
	for _, e := range exprs {
		m, _ := e.(map[string]any)
		if m["key"] == ".metadata.ownerReferences.[].kind" {
			m["values"] = []any{"Workflow"}
			found = true
		}
	}
	if !found {
		return "", fmt.Errorf("kwok pod-complete stage: no ownerReferences selector to adapt")
	}
	wf, err := yaml.Marshal(complete)
	if err != nil {
		return "", fmt.Errorf("kwok workflow stage: %w", err)
	}
	docs := []string{fast.DefaultPodReady, fast.DefaultPodComplete, fast.DefaultPodDelete, string(wf)}
	for i, d := range docs {
		docs[i] = strings.TrimSpace(d)
	}
	return strings.Join(docs, "\n---\n") + "\n", nil
}

func (s *Stack) startKWOK(ctx context.Context) error {
	if !s.cfg.KWOK {
		return nil
	}
	stages, err := kwokStages()
	if err != nil {
		return err
	}
	conf := filepath.Join(s.cfg.WorkDir, "kwok-stages.yaml")
	if err := os.WriteFile(conf, []byte(stages), 0o644); err != nil {
		return fmt.Errorf("kwok stages: %w", err)
	}
	p, err := s.start("kwok", nil,
		s.bin("kwok"),
		"--kubeconfig="+s.Kubeconfig,
		"--config="+conf,
		"--manage-all-nodes=false",
		"--manage-nodes-with-annotation-selector="+KWOKAnnotation+"=fake",
		fmt.Sprintf("--server-address=127.0.0.1:%d", kwokPort),
		"--node-ip=127.0.0.2")
	if err != nil {
		return err
	}
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name:        KWOKNode,
			Annotations: map[string]string{KWOKAnnotation: "fake"},
			Labels:      map[string]string{"kubernetes.io/hostname": KWOKNode, "type": "kwok"},
		},
		Spec: corev1.NodeSpec{Taints: []corev1.Taint{{Key: KWOKTaintKey, Value: KWOKTaintValue, Effect: corev1.TaintEffectNoSchedule}}},
		Status: corev1.NodeStatus{Allocatable: corev1.ResourceList{
			corev1.ResourceCPU: resource.MustParse("1000"), corev1.ResourceMemory: resource.MustParse("4Ti"),
			corev1.ResourcePods: resource.MustParse("5000"),
		}, Capacity: corev1.ResourceList{
			corev1.ResourceCPU: resource.MustParse("1000"), corev1.ResourceMemory: resource.MustParse("4Ti"),
			corev1.ResourcePods: resource.MustParse("5000"),
		}},
	}
	if _, err := s.Kube.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("kwok node: %w", err)
	}
	return s.waitFor(ctx, p, "kwok node Ready", func() error { return s.nodeReady(ctx, KWOKNode) })
}
