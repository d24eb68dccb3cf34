package harness

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestUnfit: the binder sends a pod only where kube-scheduler's filters
// would: selector, taints, readiness, schedulability.
func TestUnfit(t *testing.T) {
	ready := []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}
	agent := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: AgentNode, Labels: map[string]string{"kubernetes.io/hostname": AgentNode}},
		Status: corev1.NodeStatus{Conditions: ready}}
	kwok := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: KWOKNode, Labels: map[string]string{"type": "kwok"}},
		Spec:   corev1.NodeSpec{Taints: []corev1.Taint{{Key: KWOKTaintKey, Value: KWOKTaintValue, Effect: corev1.TaintEffectNoSchedule}}},
		Status: corev1.NodeStatus{Conditions: ready}}
	notReady := agent.DeepCopy()
	notReady.Status.Conditions = nil
	cordoned := agent.DeepCopy()
	cordoned.Spec.Unschedulable = true
	plain := &corev1.Pod{}
	toKWOK := &corev1.Pod{Spec: corev1.PodSpec{
		NodeSelector: map[string]string{"type": "kwok"},
		Tolerations:  []corev1.Toleration{{Key: KWOKTaintKey, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}},
	}}
	selectsOnly := &corev1.Pod{Spec: corev1.PodSpec{NodeSelector: map[string]string{"type": "kwok"}}}
	for _, c := range []struct {
		name string
		pod  *corev1.Pod
		node *corev1.Node
		want string // "" fits, else a word of the reason
	}{
		{"plain pod on the agent", plain, agent, ""},
		{"plain pod, tainted KWOK node", plain, kwok, "taint"},
		{"KWOK pod on KWOK", toKWOK, kwok, ""},
		{"KWOK pod, agent lacks the label", toKWOK, agent, "selector"},
		{"selector without toleration", selectsOnly, kwok, "taint"},
		{"node not ready", plain, notReady, "not Ready"},
		{"node cordoned", plain, cordoned, "unschedulable"},
	} {
		got := unfit(c.pod, c.node)
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("%s: unfit = %q, want %q", c.name, got, c.want)
		}
	}
}
