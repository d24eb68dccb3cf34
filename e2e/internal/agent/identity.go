package agent

import (
	"fmt"

	wfclientset "github.com/argoproj/argo-workflows/v3/pkg/client/clientset/versioned"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
)

// saClients talk to the API server as one service account.
type saClients struct {
	wf  wfclientset.Interface
	dyn dynamic.Interface
}

// serviceAccountOf is the account a pod's containers get a token for: the
// pod's serviceAccountName, or "default", as the API server sets it.
func serviceAccountOf(pod *corev1.Pod) string {
	if pod.Spec.ServiceAccountName != "" {
		return pod.Spec.ServiceAccountName
	}
	return "default"
}

// clientsFor returns clients that impersonate the pod's service account.
// Argo's executor makes its API calls (WorkflowTaskResults, resource
// templates) with the pod's token; the agent does them in its place with
// the same identity, so the API server's RBAC authorizer decides exactly
// as it would for the real executor, and a Role that misses a rule fails
// the workflow here as it would in a cluster.
func (a *Agent) clientsFor(pod *corev1.Pod) (*saClients, error) {
	sa := serviceAccountOf(pod)
	key := pod.Namespace + "/" + sa
	a.mu.Lock()
	defer a.mu.Unlock()
	if c, ok := a.asSA[key]; ok {
		return c, nil
	}
	rc := rest.CopyConfig(a.rc)
	rc.Impersonate = rest.ImpersonationConfig{
		UserName: "system:serviceaccount:" + pod.Namespace + ":" + sa,
		Groups:   []string{"system:serviceaccounts", "system:serviceaccounts:" + pod.Namespace, "system:authenticated"},
	}
	wf, err := wfclientset.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("argo client as %s: %w", key, err)
	}
	dyn, err := dynamic.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("dynamic client as %s: %w", key, err)
	}
	c := &saClients{wf: wf, dyn: dyn}
	a.asSA[key] = c
	return c, nil
}
