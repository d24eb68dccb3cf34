package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/utils/ptr"
)

// FieldManager names the harness in server-side applies.
const FieldManager = "partsync-e2e"

func crdGVR() schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
}

// applyCRDs applies every CRD in CRDDir server-side and waits until each is
// Established.
func (s *Stack) applyCRDs(ctx context.Context) error {
	files, err := filepath.Glob(filepath.Join(s.cfg.CRDDir, "argoproj.io_*.yaml"))
	if err != nil || len(files) == 0 {
		return fmt.Errorf("no Argo CRDs in %s (%v)", s.cfg.CRDDir, err)
	}
	var names []string
	for _, f := range files {
		objs, err := DecodeYAML(f)
		if err != nil {
			return err
		}
		for _, o := range objs {
			if err := s.Apply(ctx, crdGVR(), o); err != nil {
				return err
			}
			names = append(names, o.GetName())
		}
	}
	// Generous: on 2 loaded cores the API server took over a minute to
	// establish Argo's full CRDs (a run at load 30 timed out at 60 s).
	deadline := time.Now().Add(3 * time.Minute)
	for _, n := range names {
		for {
			crd, err := s.APIExt.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, n, metav1.GetOptions{})
			if err == nil && established(crd) {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("CRD %s not established: %v", n, err)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	return nil
}

func established(crd *apiextv1.CustomResourceDefinition) bool {
	for _, c := range crd.Status.Conditions {
		if c.Type == apiextv1.Established && c.Status == apiextv1.ConditionTrue {
			return true
		}
	}
	return false
}

// Apply applies obj server-side (cluster-scoped, or in its own namespace).
func (s *Stack) Apply(ctx context.Context, gvr schema.GroupVersionResource, obj *unstructured.Unstructured) error {
	data, err := obj.MarshalJSON()
	if err != nil {
		return fmt.Errorf("encode %s: %w", obj.GetName(), err)
	}
	ri := s.Dynamic.Resource(gvr)
	opts := metav1.PatchOptions{FieldManager: FieldManager, Force: ptr.To(true), FieldValidation: "Strict"}
	if ns := obj.GetNamespace(); ns != "" {
		_, err = ri.Namespace(ns).Patch(ctx, obj.GetName(), types.ApplyPatchType, data, opts)
	} else {
		_, err = ri.Patch(ctx, obj.GetName(), types.ApplyPatchType, data, opts)
	}
	if err != nil {
		return fmt.Errorf("apply %s %s: %w", obj.GetKind(), obj.GetName(), err)
	}
	return nil
}

// DecodeYAML reads every object of a multi-document YAML file.
func DecodeYAML(path string) ([]*unstructured.Unstructured, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	objs, err := DecodeYAMLBytes(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return objs, nil
}

// DecodeYAMLBytes decodes every object of a multi-document YAML stream.
func DecodeYAMLBytes(data []byte) ([]*unstructured.Unstructured, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var out []*unstructured.Unstructured
	for {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, fmt.Errorf("decode YAML: %w", err)
		}
		if len(m) == 0 || m["kind"] == nil {
			continue
		}
		out = append(out, &unstructured.Unstructured{Object: m})
	}
}
