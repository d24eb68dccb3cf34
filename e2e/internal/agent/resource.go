package agent

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/restmapper"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"
)

// resourceAction returns the action of an Argo resource template pod
// ("argoexec resource create ..."), or "".
func resourceAction(argv []string) string {
	if len(argv) >= 3 && filepath.Base(argv[0]) == "argoexec" && argv[1] == "resource" {
		return argv[2]
	}
	return ""
}

// runResource does what Argo's executor does for a resource template: it
// applies the template's manifest (the controller has already added the
// owner reference when asked) with the given action.
func (a *Agent) runResource(ctx context.Context, pod *corev1.Pod, action, logPath string) error {
	tmpl, err := podTemplate(pod)
	if err != nil {
		return err
	}
	if tmpl == nil || tmpl.Resource == nil {
		return errors.New("resource pod without a resource template in ARGO_TEMPLATE")
	}
	obj := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(tmpl.Resource.Manifest), &obj.Object); err != nil {
		return fmt.Errorf("decode manifest: %w", err)
	}
	clients, err := a.clientsFor(pod)
	if err != nil {
		return err
	}
	gvk := obj.GroupVersionKind()
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(a.kube.Discovery()))
	mapping, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return fmt.Errorf("map %s: %w", gvk, err)
	}
	var ri dynamic.ResourceInterface = clients.dyn.Resource(mapping.Resource)
	if mapping.Scope.Name() == "namespace" {
		if obj.GetNamespace() == "" {
			obj.SetNamespace(pod.Namespace)
		}
		ri = clients.dyn.Resource(mapping.Resource).Namespace(obj.GetNamespace())
	}
	switch action {
	case "create":
		_, err = ri.Create(ctx, obj, metav1.CreateOptions{})
	case "apply":
		var data []byte
		if data, err = obj.MarshalJSON(); err == nil {
			_, err = ri.Patch(ctx, obj.GetName(), types.ApplyPatchType, data, metav1.PatchOptions{FieldManager: "argoexec", Force: ptr.To(true)})
		}
	case "delete":
		err = ri.Delete(ctx, obj.GetName(), metav1.DeleteOptions{})
	default:
		err = fmt.Errorf("resource action %q is not supported by the test agent", action)
	}
	msg := fmt.Sprintf("%s %s/%s: ", action, mapping.Resource.Resource, obj.GetName())
	if err != nil {
		msg += err.Error()
	} else {
		msg += "done"
	}
	_ = os.WriteFile(logPath, []byte(msg+"\n"), 0o644)
	if err != nil {
		return fmt.Errorf("resource %s: %w", action, err)
	}
	return nil
}
