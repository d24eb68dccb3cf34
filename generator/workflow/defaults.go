package workflow

import (
	"encoding/json"
	"fmt"
	"reflect"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
)

// shareContainerDefaults moves what every container template of spec has
// alike (image, command, pull policy, security context, volume mounts, and the
// environment variables all of them set to the same value) into
// spec.templateDefaults.container, which Argo's controller merges into each
// container template (a strategic merge: env by name, volumeMounts by
// path), so a workflow states its container once and each template only
// its arguments and what is its own.
func shareContainerDefaults(spec *wfv1.WorkflowSpec) {
	var containers []*corev1.Container
	for i := range spec.Templates {
		if c := spec.Templates[i].Container; c != nil {
			containers = append(containers, c)
		}
	}
	if len(containers) < 2 {
		return
	}
	first := containers[0]
	shared := &corev1.Container{}
	same := func(field func(*corev1.Container) any) bool {
		for _, c := range containers[1:] {
			if !reflect.DeepEqual(field(c), field(first)) {
				return false
			}
		}
		return true
	}
	// hoist moves a field that every container has alike into shared:
	// get reads it, set copies it from one container to another (from an
	// empty container, it clears it).
	hoist := func(get func(*corev1.Container) any, set func(to, from *corev1.Container)) {
		if !same(get) {
			return
		}
		set(shared, first)
		for _, c := range containers {
			set(c, &corev1.Container{})
		}
	}
	hoist(func(c *corev1.Container) any { return c.Image }, func(to, from *corev1.Container) { to.Image = from.Image })
	hoist(func(c *corev1.Container) any { return c.Command }, func(to, from *corev1.Container) { to.Command = from.Command })
	hoist(func(c *corev1.Container) any { return c.ImagePullPolicy }, func(to, from *corev1.Container) { to.ImagePullPolicy = from.ImagePullPolicy })
	hoist(func(c *corev1.Container) any { return c.SecurityContext }, func(to, from *corev1.Container) { to.SecurityContext = from.SecurityContext })
	hoist(func(c *corev1.Container) any { return c.VolumeMounts }, func(to, from *corev1.Container) { to.VolumeMounts = from.VolumeMounts })
	for _, e := range first.Env {
		if same(func(c *corev1.Container) any { return envValue(c.Env, e.Name) }) {
			shared.Env = append(shared.Env, e)
		}
	}
	for _, c := range containers {
		var own []corev1.EnvVar
		for _, e := range c.Env {
			if envValue(shared.Env, e.Name) == nil {
				own = append(own, e)
			}
		}
		c.Env = own
	}
	spec.TemplateDefaults = &wfv1.Template{Container: shared}
}

// envValue is the variable called name in env, or nil.
func envValue(env []corev1.EnvVar, name string) *corev1.EnvVar {
	for i := range env {
		if env[i].Name == name {
			return &env[i]
		}
	}
	return nil
}

// imageInEveryTemplate writes the image into each container template again:
// Argo's validator takes an image from templateDefaults in a Workflow or a
// WorkflowTemplate, but not from a ClusterWorkflowTemplate (validate.go's
// check of an empty container image, run again when a Workflow referring to
// the ClusterWorkflowTemplate is submitted).
func imageInEveryTemplate(spec *wfv1.WorkflowSpec) {
	if spec.TemplateDefaults == nil || spec.TemplateDefaults.Container == nil {
		return
	}
	for i := range spec.Templates {
		if c := spec.Templates[i].Container; c != nil && c.Image == "" {
			c.Image = spec.TemplateDefaults.Container.Image
		}
	}
	spec.TemplateDefaults.Container.Image = ""
}

// Merged returns template name of spec as Argo's controller runs it:
// spec.templateDefaults merged into it by the rules of Argo's
// mergedTemplateDefaultsInto (a strategic merge; only the defaults of the
// template's own type, here its container). For the tests that play a
// template as a pod, and for tools that read partsync's YAML.
func Merged(spec wfv1.WorkflowSpec, name string) (*wfv1.Template, error) {
	var tmpl *wfv1.Template
	for i := range spec.Templates {
		if spec.Templates[i].Name == name {
			tmpl = spec.Templates[i].DeepCopy()
		}
	}
	if tmpl == nil {
		return nil, fmt.Errorf("no template %q", name)
	}
	if spec.TemplateDefaults == nil || tmpl.Container == nil {
		return tmpl, nil
	}
	defaults, err := json.Marshal(wfv1.Template{Container: spec.TemplateDefaults.Container})
	if err != nil {
		return nil, fmt.Errorf("template %s: %w", name, err)
	}
	own, err := json.Marshal(tmpl)
	if err != nil {
		return nil, fmt.Errorf("template %s: %w", name, err)
	}
	out, err := strategicpatch.StrategicMergePatch(defaults, own, wfv1.Template{})
	if err != nil {
		return nil, fmt.Errorf("template %s: merging templateDefaults: %w", name, err)
	}
	var merged wfv1.Template
	if err := json.Unmarshal(out, &merged); err != nil {
		return nil, fmt.Errorf("template %s: %w", name, err)
	}
	return &merged, nil
}
