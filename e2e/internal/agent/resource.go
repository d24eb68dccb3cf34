package agent

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/tidwall/gjson"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
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
	var created *unstructured.Unstructured
	switch action {
	case "create":
		created, err = ri.Create(ctx, obj, metav1.CreateOptions{})
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
	if err == nil && created != nil {
		var waited string
		waited, err = waitConditions(ctx, ri, created.GetName(), tmpl.Resource.SuccessCondition, tmpl.Resource.FailureCondition)
		msg += "; " + waited
	}
	_ = os.WriteFile(logPath, []byte(msg+"\n"), 0o644)
	if err != nil {
		return fmt.Errorf("resource %s: %w", action, err)
	}
	return nil
}

// conditionInterval is how often a created resource's conditions are read
// (Argo's executor: RESOURCE_STATE_CHECK_INTERVAL, 5 s by default; 1 s
// keeps the suite quick).
const conditionInterval = time.Second

// waitConditions does what Argo's executor does after creating a resource
// with successCondition/failureCondition: it reads the object until every
// success requirement holds (done) or any failure requirement holds (an
// error). The conditions are label selectors over the object's JSON paths,
// as in Argo (labels.Parse, gjson paths).
func waitConditions(ctx context.Context, ri dynamic.ResourceInterface, name, success, failure string) (string, error) {
	if success == "" && failure == "" {
		return "no conditions", nil
	}
	parse := func(cond string) (labels.Requirements, error) {
		if cond == "" {
			return nil, nil
		}
		sel, err := labels.Parse(cond)
		if err != nil {
			return nil, fmt.Errorf("condition %q: %w", cond, err)
		}
		reqs, _ := sel.Requirements()
		return reqs, nil
	}
	okReqs, err := parse(success)
	if err != nil {
		return "", err
	}
	failReqs, err := parse(failure)
	if err != nil {
		return "", err
	}
	for {
		obj, err := ri.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return "", fmt.Errorf("read %s while waiting for its conditions: %w", name, err)
		}
		data, err := obj.MarshalJSON()
		if err != nil {
			return "", err
		}
		ls := gjsonLabels(data)
		for _, r := range failReqs {
			if r.Matches(ls) {
				return "", fmt.Errorf("failure condition '%s' evaluated true", r.String())
			}
		}
		matched := 0
		for _, r := range okReqs {
			if r.Matches(ls) {
				matched++
			}
		}
		if matched == len(okReqs) { // as Argo: no success condition means done once no failure holds
			return fmt.Sprintf("success condition '%s' met", success), nil
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(conditionInterval):
		}
	}
}

// gjsonLabels lets a label selector read an object's JSON paths.
type gjsonLabels []byte

func (g gjsonLabels) Has(path string) bool { return gjson.GetBytes(g, path).Exists() }

func (g gjsonLabels) Get(path string) string { return gjson.GetBytes(g, path).String() }
