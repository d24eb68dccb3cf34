package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"

	"github.com/partsync/partsync/e2e/internal/sandbox"
)

// ImageBinMount is where containers find ImageBinDir; put it first in Path.
const ImageBinMount = "/usr/local/partsync-e2e/bin"

// Argo's pod metadata keys and the executor's own flags (see Argo's
// workflow/common package).
const (
	argoWorkflowLabel    = "workflows.argoproj.io/workflow"
	argoNodeIDAnnotation = "workflows.argoproj.io/node-id"
	argoOutputsCompleted = "workflows.argoproj.io/report-outputs-completed"
	argoTemplateEnv      = "ARGO_TEMPLATE"
	argoMainContainer    = "main"
	emissarySubcommand   = "emissary"
)

// runPod runs the pod's main container and reports its status.
func (a *Agent) runPod(ctx context.Context, pod *corev1.Pod) error {
	dir := podDir(a.cfg.WorkDir, pod)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("pod dir: %w", err)
	}
	main := mainContainer(pod)
	started := metav1.Now()
	if action := resourceAction(argv(main)); action != "" {
		if err := a.setRunning(ctx, pod, started); err != nil {
			return err
		}
		if err := a.runResource(ctx, pod, action, filepath.Join(dir, main.Name+".log")); err != nil {
			return a.finish(ctx, pod, main, started, 1, "Error", err.Error())
		}
		if err := a.reportOutputs(ctx, pod, sandbox.Spec{}); err != nil {
			return a.finish(ctx, pod, main, started, 1, "Error", err.Error())
		}
		return a.finish(ctx, pod, main, started, 0, "Completed", "")
	}
	spec, prepErr := a.prepare(ctx, pod, main, dir)
	if prepErr != nil {
		return a.finish(ctx, pod, main, started, 128, "ContainerCannotRun", prepErr.Error())
	}
	if err := a.setRunning(ctx, pod, started); err != nil {
		return err
	}
	specPath := filepath.Join(dir, "sandbox.json")
	if err := sandbox.WriteSpec(specPath, spec); err != nil {
		return a.finish(ctx, pod, main, started, 128, "ContainerCannotRun", err.Error())
	}
	logf, err := os.Create(filepath.Join(dir, main.Name+".log"))
	if err != nil {
		return a.finish(ctx, pod, main, started, 128, "ContainerCannotRun", err.Error())
	}
	defer logf.Close()
	cmd := sandbox.Command(a.cfg.Self, specPath)
	cmd.Stdout, cmd.Stderr = logf, logf
	a.cfg.Log.Info("start", "pod", pod.Namespace+"/"+pod.Name, "argv", spec.Argv)
	if err := cmd.Start(); err != nil {
		return a.finish(ctx, pod, main, started, 128, "ContainerCannotRun", err.Error())
	}
	stopProgress := a.monitorProgress(ctx, pod, spec) // progress.go: the wait container's job
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	var werr error
	select {
	case werr = <-waited:
		stopProgress()
	case <-ctx.Done():
		stopProgress()
		// Pod deleted or agent stopping: end the process tree, as a kubelet
		// kills the container.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-waited
		return nil
	}
	code, err := exitCode(werr)
	if err != nil {
		return a.finish(ctx, pod, main, started, 128, "ContainerCannotRun", err.Error())
	}
	a.cfg.Log.Info("exit", "pod", pod.Namespace+"/"+pod.Name, "code", code)
	if err := a.reportOutputs(ctx, pod, spec); err != nil {
		a.cfg.Log.Error("outputs", "pod", pod.Namespace+"/"+pod.Name, "err", err)
		if code == 0 {
			return a.finish(ctx, pod, main, started, 1, "Error", err.Error())
		}
	}
	reason := "Completed"
	if code != 0 {
		reason = "Error"
	}
	return a.finish(ctx, pod, main, started, code, reason, "")
}

// mainContainer is Argo's "main" container, or the pod's first container.
func mainContainer(pod *corev1.Pod) *corev1.Container {
	for i := range pod.Spec.Containers {
		if pod.Spec.Containers[i].Name == argoMainContainer {
			return &pod.Spec.Containers[i]
		}
	}
	return &pod.Spec.Containers[0]
}

// argv is the container's command and args, with Argo's emissary wrapper
// ("/var/run/argo/argoexec emissary [flags] -- CMD...") taken off: the agent
// is the executor.
func argv(c *corev1.Container) []string {
	if len(c.Command) == 0 {
		return nil // the image's entrypoint: unknown here
	}
	cmd := slices.Clone(c.Command)
	if len(cmd) > 1 && filepath.Base(cmd[0]) == "argoexec" && cmd[1] == emissarySubcommand {
		if i := slices.Index(cmd, "--"); i >= 0 {
			cmd = cmd[i+1:]
		}
	}
	return append(cmd, c.Args...)
}

// prepare resolves everything the sandbox needs: argv, env, mounts.
func (a *Agent) prepare(ctx context.Context, pod *corev1.Pod, c *corev1.Container, dir string) (sandbox.Spec, error) {
	spec := sandbox.Spec{Argv: argv(c), WorkingDir: c.WorkingDir, ScratchDir: filepath.Join(dir, "scratch")}
	if err := identity(pod, c, a.cfg.ImageUser, &spec); err != nil {
		return spec, err
	}
	spec.LimitCapabilities = true
	spec.Capabilities = sandbox.Capabilities(nil, nil, false)
	if sc := c.SecurityContext; sc != nil {
		spec.ReadOnlyRoot = sc.ReadOnlyRootFilesystem != nil && *sc.ReadOnlyRootFilesystem
		spec.NoNewPrivs = sc.AllowPrivilegeEscalation != nil && !*sc.AllowPrivilegeEscalation
		var add, drop []string
		if sc.Capabilities != nil {
			for _, c := range sc.Capabilities.Add {
				add = append(add, string(c))
			}
			for _, c := range sc.Capabilities.Drop {
				drop = append(drop, string(c))
			}
		}
		spec.Capabilities = sandbox.Capabilities(add, drop, sc.Privileged != nil && *sc.Privileged)
	}
	if len(spec.Argv) == 0 {
		return spec, errors.New("container has no command: the agent cannot run an image's entrypoint")
	}
	env, err := a.env(ctx, pod, c)
	if err != nil {
		return spec, err
	}
	spec.Env = env
	if a.cfg.ImageBinDir != "" {
		spec.Mounts = append(spec.Mounts, sandbox.Mount{Source: a.cfg.ImageBinDir, Target: ImageBinMount, ReadOnly: true})
	}
	for _, vm := range c.VolumeMounts {
		m, ok, err := a.volume(ctx, pod, vm, dir)
		if err != nil {
			return spec, fmt.Errorf("volume %s: %w", vm.Name, err)
		}
		if ok {
			spec.Mounts = append(spec.Mounts, m)
		}
	}
	return spec, nil
}

// identity applies runAsUser, runAsGroup (container over pod),
// supplementalGroups and fsGroup. The agent has no image to read: a
// container that names no user runs as imageUser, the USER of partsync's
// image, and its group (USER 65532:65532; set 0 for an image without
// USER). With a runAsUser and no runAsGroup the group is 0, as for a numeric
// user the image does not know.
func identity(pod *corev1.Pod, c *corev1.Container, imageUser int64, spec *sandbox.Spec) error {
	var uid, gid *int64
	var nonRoot *bool
	if psc := pod.Spec.SecurityContext; psc != nil {
		uid, gid, nonRoot = psc.RunAsUser, psc.RunAsGroup, psc.RunAsNonRoot
		spec.Groups = append(spec.Groups, psc.SupplementalGroups...)
		if psc.FSGroup != nil {
			spec.Groups = append(spec.Groups, *psc.FSGroup)
		}
	}
	if sc := c.SecurityContext; sc != nil {
		if sc.RunAsUser != nil {
			uid = sc.RunAsUser
		}
		if sc.RunAsGroup != nil {
			gid = sc.RunAsGroup
		}
		if sc.RunAsNonRoot != nil {
			nonRoot = sc.RunAsNonRoot
		}
	}
	if uid == nil {
		uid = &imageUser
		if gid == nil {
			gid = &imageUser // USER 65532:65532
		}
	}
	if nonRoot != nil && *nonRoot && *uid == 0 {
		return errors.New("container would run as root and runAsNonRoot is set")
	}
	if uid != nil && gid == nil {
		zero := int64(0)
		gid = &zero
	}
	spec.UID, spec.GID = uid, gid
	return nil
}

// env builds the container environment in the order Kubernetes does, with
// PATH, HOME and HOSTNAME defaults a container image would provide.
func (a *Agent) env(ctx context.Context, pod *corev1.Pod, c *corev1.Container) ([]string, error) {
	vals := map[string]string{"PATH": a.cfg.Path, "HOME": "/root", "HOSTNAME": pod.Name}
	order := []string{"PATH", "HOME", "HOSTNAME"}
	set := func(k, v string) {
		if _, ok := vals[k]; !ok {
			order = append(order, k)
		}
		vals[k] = v
	}
	for _, ef := range c.EnvFrom {
		data, err := a.sourceData(ctx, pod.Namespace, ef.SecretRef, ef.ConfigMapRef)
		if err != nil {
			return nil, err
		}
		for k, v := range data {
			set(ef.Prefix+k, v)
		}
	}
	for _, e := range c.Env {
		v, err := a.envValue(ctx, pod, e)
		if err != nil {
			return nil, fmt.Errorf("env %s: %w", e.Name, err)
		}
		set(e.Name, v)
	}
	out := make([]string, 0, len(order))
	for _, k := range order {
		out = append(out, k+"="+vals[k])
	}
	return out, nil
}

func (a *Agent) sourceData(ctx context.Context, ns string, s *corev1.SecretEnvSource, cm *corev1.ConfigMapEnvSource) (map[string]string, error) {
	out := map[string]string{}
	switch {
	case s != nil:
		sec, err := a.kube.CoreV1().Secrets(ns).Get(ctx, s.Name, metav1.GetOptions{})
		if err != nil {
			return nil, fmt.Errorf("secret %s: %w", s.Name, err)
		}
		for k, v := range sec.Data {
			out[k] = string(v)
		}
	case cm != nil:
		m, err := a.kube.CoreV1().ConfigMaps(ns).Get(ctx, cm.Name, metav1.GetOptions{})
		if err != nil {
			return nil, fmt.Errorf("configmap %s: %w", cm.Name, err)
		}
		for k, v := range m.Data {
			out[k] = v
		}
	}
	return out, nil
}

func (a *Agent) envValue(ctx context.Context, pod *corev1.Pod, e corev1.EnvVar) (string, error) {
	if e.ValueFrom == nil {
		return e.Value, nil
	}
	vf := e.ValueFrom
	switch {
	case vf.FieldRef != nil:
		return fieldValue(pod, vf.FieldRef.FieldPath), nil
	case vf.SecretKeyRef != nil:
		sec, err := a.kube.CoreV1().Secrets(pod.Namespace).Get(ctx, vf.SecretKeyRef.Name, metav1.GetOptions{})
		if err != nil {
			return "", fmt.Errorf("secret %s: %w", vf.SecretKeyRef.Name, err)
		}
		return string(sec.Data[vf.SecretKeyRef.Key]), nil
	case vf.ConfigMapKeyRef != nil:
		cm, err := a.kube.CoreV1().ConfigMaps(pod.Namespace).Get(ctx, vf.ConfigMapKeyRef.Name, metav1.GetOptions{})
		if err != nil {
			return "", fmt.Errorf("configmap %s: %w", vf.ConfigMapKeyRef.Name, err)
		}
		return cm.Data[vf.ConfigMapKeyRef.Key], nil
	}
	return "", nil
}

func fieldValue(pod *corev1.Pod, path string) string {
	switch path {
	case "metadata.name":
		return pod.Name
	case "metadata.namespace":
		return pod.Namespace
	case "metadata.uid":
		return string(pod.UID)
	case "spec.nodeName":
		return pod.Spec.NodeName
	case "spec.serviceAccountName":
		return pod.Spec.ServiceAccountName
	case "status.podIP", "status.hostIP":
		return "127.0.0.1"
	}
	for _, p := range []struct {
		prefix string
		m      map[string]string
	}{{"metadata.annotations['", pod.Annotations}, {"metadata.labels['", pod.Labels}} {
		if k, ok := strings.CutPrefix(path, p.prefix); ok {
			return p.m[strings.TrimSuffix(k, "']")]
		}
	}
	return ""
}

// volume maps one volume mount to a bind mount, laid out and owned as a
// kubelet does (ownership.go). PVCs resolve through their bound
// PersistentVolume: a hostPath is used as it is (the hostPath plugin
// changes no ownership), a local path gets the fsGroup ownership
// (pkg/volume/local/local.go SetUpAt, unless read-only); Secrets and
// ConfigMaps are written from the API server into the pod directory with
// the AtomicWriter's layout, root-owned, each file with its mode, then the
// fsGroup ownership with the read-only mask; emptyDirs are fresh 0777
// directories with the fsGroup ownership. Other kinds (projected service
// account tokens, downward API) are not provided.
func (a *Agent) volume(ctx context.Context, pod *corev1.Pod, vm corev1.VolumeMount, dir string) (sandbox.Mount, bool, error) {
	var vol *corev1.Volume
	for i := range pod.Spec.Volumes {
		if pod.Spec.Volumes[i].Name == vm.Name {
			vol = &pod.Spec.Volumes[i]
		}
	}
	if vol == nil {
		return sandbox.Mount{}, false, errors.New("no such volume in the pod spec")
	}
	var fsGroup *int64
	var policy *corev1.PodFSGroupChangePolicy
	if psc := pod.Spec.SecurityContext; psc != nil {
		fsGroup, policy = psc.FSGroup, psc.FSGroupChangePolicy
	}
	var src string
	readOnly := vm.ReadOnly
	switch {
	case vol.PersistentVolumeClaim != nil:
		p, local, err := a.pvcPath(ctx, pod.Namespace, vol.PersistentVolumeClaim.ClaimName)
		if err != nil {
			return sandbox.Mount{}, false, err
		}
		src = p
		readOnly = readOnly || vol.PersistentVolumeClaim.ReadOnly
		if local && !vol.PersistentVolumeClaim.ReadOnly {
			if err := setVolumeOwnership(src, fsGroup, false, policy); err != nil {
				return sandbox.Mount{}, false, err
			}
		}
	case vol.HostPath != nil:
		src = vol.HostPath.Path
	case vol.EmptyDir != nil:
		src = filepath.Join(dir, "volumes", vol.Name)
		if err := os.MkdirAll(src, emptyDirMode); err != nil {
			return sandbox.Mount{}, false, fmt.Errorf("emptyDir: %w", err)
		}
		// World-writable whatever the umask, as the kubelet's setupDir.
		if err := os.Chmod(src, emptyDirMode); err != nil {
			return sandbox.Mount{}, false, fmt.Errorf("emptyDir: %w", err)
		}
		if err := setVolumeOwnership(src, fsGroup, false, nil); err != nil {
			return sandbox.Mount{}, false, err
		}
	case vol.Secret != nil:
		sec, err := a.kube.CoreV1().Secrets(pod.Namespace).Get(ctx, vol.Secret.SecretName, metav1.GetOptions{})
		optional := vol.Secret.Optional != nil && *vol.Secret.Optional
		items := vol.Secret.Items
		switch {
		case apierrors.IsNotFound(err) && optional:
			// As a kubelet: a missing optional Secret is an empty volume.
			sec, items = &corev1.Secret{}, nil
		case err != nil:
			return sandbox.Mount{}, false, fmt.Errorf("secret %s: %w", vol.Secret.SecretName, err)
		}
		src = filepath.Join(dir, "volumes", vol.Name)
		if err := writeVolume(src, sec.Data, items, vol.Secret.DefaultMode, optional, fsGroup); err != nil {
			return sandbox.Mount{}, false, fmt.Errorf("secret %s: %w", vol.Secret.SecretName, err)
		}
		readOnly = true
	case vol.ConfigMap != nil:
		cm, err := a.kube.CoreV1().ConfigMaps(pod.Namespace).Get(ctx, vol.ConfigMap.Name, metav1.GetOptions{})
		optional := vol.ConfigMap.Optional != nil && *vol.ConfigMap.Optional
		data := map[string][]byte{}
		switch {
		case apierrors.IsNotFound(err) && optional:
		case err != nil:
			return sandbox.Mount{}, false, fmt.Errorf("configmap %s: %w", vol.ConfigMap.Name, err)
		default:
			for k, v := range cm.Data {
				data[k] = []byte(v)
			}
			for k, v := range cm.BinaryData {
				data[k] = v
			}
		}
		src = filepath.Join(dir, "volumes", vol.Name)
		if err := writeVolume(src, data, vol.ConfigMap.Items, vol.ConfigMap.DefaultMode, optional, fsGroup); err != nil {
			return sandbox.Mount{}, false, fmt.Errorf("configmap %s: %w", vol.ConfigMap.Name, err)
		}
		readOnly = true
	default:
		return sandbox.Mount{}, false, nil
	}
	if vm.SubPath != "" {
		src = filepath.Join(src, vm.SubPath)
	}
	return sandbox.Mount{Source: src, Target: vm.MountPath, ReadOnly: readOnly}, true, nil
}

// writeVolume materialises a Secret or ConfigMap volume as the kubelet's
// secret and configmap plugins do: the payload (MakePayload), written by
// the AtomicWriter, then SetVolumeOwnership with the read-only mask
// (both plugins report ReadOnly: true in GetAttributes).
func writeVolume(dir string, data map[string][]byte, items []corev1.KeyToPath, defaultMode *int32, optional bool, fsGroup *int64) error {
	if _, err := os.Lstat(filepath.Join(dir, "..data")); err == nil {
		return nil // already written for another mount of the same volume
	}
	files, err := volumeFiles(data, items, defaultMode, optional)
	if err != nil {
		return err
	}
	if err := writeAtomic(dir, files); err != nil {
		return err
	}
	return setVolumeOwnership(dir, fsGroup, true, nil)
}

// pvcPath follows a bound claim to its volume's local directory; local
// reports a local PersistentVolume (whose plugin applies the fsGroup), as
// opposed to a hostPath one (whose plugin does not).
func (a *Agent) pvcPath(ctx context.Context, ns, claim string) (string, bool, error) {
	pvc, err := a.kube.CoreV1().PersistentVolumeClaims(ns).Get(ctx, claim, metav1.GetOptions{})
	if err != nil {
		return "", false, fmt.Errorf("claim %s: %w", claim, err)
	}
	if pvc.Spec.VolumeName == "" {
		return "", false, fmt.Errorf("claim %s is not bound to a volume", claim)
	}
	pv, err := a.kube.CoreV1().PersistentVolumes().Get(ctx, pvc.Spec.VolumeName, metav1.GetOptions{})
	if err != nil {
		return "", false, fmt.Errorf("volume %s of claim %s: %w", pvc.Spec.VolumeName, claim, err)
	}
	switch {
	case pv.Spec.HostPath != nil:
		return pv.Spec.HostPath.Path, false, nil
	case pv.Spec.Local != nil:
		return pv.Spec.Local.Path, true, nil
	}
	return "", false, fmt.Errorf("volume %s has neither hostPath nor local path", pv.Name)
}

// hostPath maps a path as the container saw it to the same file on the
// host: through the deepest mount that contains it, else unchanged.
func hostPath(spec sandbox.Spec, p string) string {
	best := -1
	for i, m := range spec.Mounts {
		if (p == m.Target || strings.HasPrefix(p, m.Target+"/")) && (best < 0 || len(m.Target) > len(spec.Mounts[best].Target)) {
			best = i
		}
	}
	if best < 0 {
		return p
	}
	m := spec.Mounts[best]
	return filepath.Join(m.Source, strings.TrimPrefix(p, m.Target))
}

// reportOutputs does the wait container's job for Argo pods: read each
// output parameter declared with valueFrom.path and record them, with the
// completed label, in the WorkflowTaskResult named after the node id.
func (a *Agent) reportOutputs(ctx context.Context, pod *corev1.Pod, spec sandbox.Spec) error {
	wfName := pod.Labels[argoWorkflowLabel]
	nodeID := pod.Annotations[argoNodeIDAnnotation]
	if wfName == "" || nodeID == "" {
		return nil
	}
	tmpl, err := podTemplate(pod)
	if err != nil {
		return err
	}
	result := wfv1.NodeResult{}
	if tmpl != nil && tmpl.Outputs.Parameters != nil {
		outs := &wfv1.Outputs{}
		for _, p := range tmpl.Outputs.Parameters {
			if p.ValueFrom == nil || p.ValueFrom.Path == "" {
				continue
			}
			data, err := os.ReadFile(hostPath(spec, p.ValueFrom.Path))
			switch {
			case err == nil:
				outs.Parameters = append(outs.Parameters, wfv1.Parameter{Name: p.Name, Value: wfv1.AnyStringPtr(strings.TrimSpace(string(data)))})
			case p.ValueFrom.Default != nil:
				outs.Parameters = append(outs.Parameters, wfv1.Parameter{Name: p.Name, Value: p.ValueFrom.Default})
			default:
				return fmt.Errorf("output parameter %s: %w", p.Name, err)
			}
		}
		result.Outputs = outs
	}
	tr := &wfv1.WorkflowTaskResult{
		ObjectMeta: metav1.ObjectMeta{
			Name:            nodeID,
			Namespace:       pod.Namespace,
			Labels:          map[string]string{argoWorkflowLabel: wfName, argoOutputsCompleted: "true"},
			OwnerReferences: workflowOwners(pod),
		},
		NodeResult: result,
	}
	clients, err := a.clientsFor(pod)
	if err != nil {
		return err
	}
	// As Argo's executor: create, and when it exists, merge-patch (the
	// verbs the executor's Role grants: create and patch).
	client := clients.wf.ArgoprojV1alpha1().WorkflowTaskResults(pod.Namespace)
	_, err = client.Create(ctx, tr, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		var patch []byte
		patch, err = json.Marshal(map[string]any{"metadata": map[string]any{"labels": tr.Labels}, "outputs": result.Outputs})
		if err == nil {
			_, err = client.Patch(ctx, nodeID, types.MergePatchType, patch, metav1.PatchOptions{})
		}
	}
	if err != nil {
		return fmt.Errorf("task result %s: %w", nodeID, err)
	}
	return nil
}

// workflowOwners are the pod's Workflow owners, as a task result's owners.
func workflowOwners(pod *corev1.Pod) []metav1.OwnerReference {
	var owners []metav1.OwnerReference
	for _, o := range pod.OwnerReferences {
		if o.Kind == "Workflow" {
			owners = append(owners, metav1.OwnerReference{APIVersion: o.APIVersion, Kind: o.Kind, Name: o.Name, UID: o.UID})
		}
	}
	return owners
}

// podTemplate decodes the template Argo passes to its executor in the
// ARGO_TEMPLATE env of the init (or any) container.
func podTemplate(pod *corev1.Pod) (*wfv1.Template, error) {
	all := append(slices.Clone(pod.Spec.InitContainers), pod.Spec.Containers...)
	for _, c := range all {
		for _, e := range c.Env {
			if e.Name == argoTemplateEnv && e.Value != "" {
				var t wfv1.Template
				if err := json.Unmarshal([]byte(e.Value), &t); err != nil {
					return nil, fmt.Errorf("decode %s: %w", argoTemplateEnv, err)
				}
				return &t, nil
			}
		}
	}
	return nil, nil
}

func (a *Agent) updateStatus(ctx context.Context, pod *corev1.Pod, mutate func(*corev1.PodStatus)) error {
	pods := a.kube.CoreV1().Pods(pod.Namespace)
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cur, err := pods.Get(ctx, pod.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if cur.UID != pod.UID {
			return apierrors.NewNotFound(corev1.Resource("pods"), pod.Name)
		}
		mutate(&cur.Status)
		_, err = pods.UpdateStatus(ctx, cur, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		return fmt.Errorf("pod %s/%s status: %w", pod.Namespace, pod.Name, err)
	}
	return nil
}

func conditions(ready bool, now metav1.Time) []corev1.PodCondition {
	st := corev1.ConditionFalse
	if ready {
		st = corev1.ConditionTrue
	}
	return []corev1.PodCondition{
		{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: now},
		{Type: corev1.PodInitialized, Status: corev1.ConditionTrue, LastTransitionTime: now},
		{Type: corev1.ContainersReady, Status: st, LastTransitionTime: now},
		{Type: corev1.PodReady, Status: st, LastTransitionTime: now},
	}
}

func terminated(c corev1.Container, code int32, reason, msg string, started, finished metav1.Time) corev1.ContainerStatus {
	return corev1.ContainerStatus{
		Name: c.Name, Image: c.Image, ImageID: c.Image, ContainerID: "partsync-e2e://" + c.Name,
		State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
			ExitCode: code, Reason: reason, Message: msg, StartedAt: started, FinishedAt: finished,
			ContainerID: "partsync-e2e://" + c.Name,
		}},
	}
}

func (a *Agent) setRunning(ctx context.Context, pod *corev1.Pod, started metav1.Time) error {
	return a.updateStatus(ctx, pod, func(st *corev1.PodStatus) {
		st.Phase = corev1.PodRunning
		st.HostIP, st.PodIP = "127.0.0.1", "127.0.0.1"
		st.StartTime = &started
		st.Conditions = conditions(true, started)
		st.InitContainerStatuses = nil
		for _, c := range pod.Spec.InitContainers {
			st.InitContainerStatuses = append(st.InitContainerStatuses, terminated(c, 0, "Completed", "", started, started))
		}
		st.ContainerStatuses = nil
		t := true
		for _, c := range pod.Spec.Containers {
			st.ContainerStatuses = append(st.ContainerStatuses, corev1.ContainerStatus{
				Name: c.Name, Image: c.Image, ImageID: c.Image, Ready: true, Started: &t,
				ContainerID: "partsync-e2e://" + c.Name,
				State:       corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: started}},
			})
		}
	})
}

// finish reports the main container's exit (every other container ends
// with it, successfully) and the pod phase that follows.
func (a *Agent) finish(ctx context.Context, pod *corev1.Pod, main *corev1.Container, started metav1.Time, code int32, reason, msg string) error {
	finished := metav1.NewTime(time.Now())
	if finished.Time.Before(started.Time) {
		finished = started
	}
	return a.updateStatus(ctx, pod, func(st *corev1.PodStatus) {
		st.Phase = corev1.PodSucceeded
		if code != 0 {
			st.Phase = corev1.PodFailed
			st.Message = msg
			st.Reason = reason
		}
		st.HostIP, st.PodIP = "127.0.0.1", "127.0.0.1"
		if st.StartTime == nil {
			st.StartTime = &started
		}
		st.Conditions = conditions(false, finished)
		st.InitContainerStatuses = nil
		for _, c := range pod.Spec.InitContainers {
			st.InitContainerStatuses = append(st.InitContainerStatuses, terminated(c, 0, "Completed", "", started, started))
		}
		st.ContainerStatuses = nil
		for _, c := range pod.Spec.Containers {
			if c.Name == main.Name {
				st.ContainerStatuses = append(st.ContainerStatuses, terminated(c, code, reason, msg, started, finished))
				continue
			}
			st.ContainerStatuses = append(st.ContainerStatuses, terminated(c, 0, "Completed", "", started, finished))
		}
	})
}
