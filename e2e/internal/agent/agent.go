// Package agent is a minimal node agent for end-to-end tests: it registers a
// Node, and for every pod bound to it runs the pod's main container command
// on this machine (in a private mount namespace, with the pod's volumes bound
// onto their mount paths, see package sandbox), then reports the container's
// real exit code in the pod status as a kubelet would. For Argo pods it also
// plays the wait container: it reads output parameters from files after the
// process exits and writes the WorkflowTaskResult the controller waits for.
package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
)

// Config is the agent's configuration.
type Config struct {
	// NodeName is the name of the Node the agent registers and serves.
	NodeName string
	// WorkDir holds one directory per pod: the sandbox spec, materialised
	// Secret/ConfigMap volumes, emptyDirs and the container's log.
	WorkDir string
	// Path is the PATH given to containers that do not set their own.
	Path string
	// ImageBinDir, if set, is a host directory (partsync) mounted read-only
	// at ImageBinMount in every container: what the image would provide.
	// A mount, unlike the host path, is reachable by non-root users.
	ImageBinDir string
	// Self is the path of the node-agent binary, re-executed as the sandbox.
	Self string
	// ImageUser is the uid a container with no runAsUser runs as: the USER
	// of partsync's image (the agent has no image to read).
	ImageUser int64
	// Labels are extra labels for the Node.
	Labels map[string]string
	// Log receives the agent's own log.
	Log *slog.Logger
}

// Agent serves one Node.
type Agent struct {
	cfg  Config
	rc   *rest.Config
	kube kubernetes.Interface

	mu      sync.Mutex
	running map[types.UID]*podRun
	asSA    map[string]*saClients // by namespace/name
}

type podRun struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// New returns an agent talking to the API server described by rc.
func New(rc *rest.Config, cfg Config) (*Agent, error) {
	kube, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &Agent{cfg: cfg, rc: rc, kube: kube, running: map[types.UID]*podRun{}, asSA: map[string]*saClients{}}, nil
}

// Run registers the node and serves its pods until ctx ends. Running pods
// are killed when it returns.
func (a *Agent) Run(ctx context.Context) error {
	if err := os.MkdirAll(a.cfg.WorkDir, 0o755); err != nil {
		return fmt.Errorf("work dir: %w", err)
	}
	if err := a.registerNode(ctx); err != nil {
		return err
	}
	factory := informers.NewSharedInformerFactoryWithOptions(a.kube, 0,
		informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.FieldSelector = fields.OneTermEqualSelector("spec.nodeName", a.cfg.NodeName).String()
		}))
	inf := factory.Core().V1().Pods().Informer()
	handle := func(obj any) {
		if pod, ok := obj.(*corev1.Pod); ok {
			a.handle(ctx, pod)
		}
	}
	if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    handle,
		UpdateFunc: func(_, obj any) { handle(obj) },
	}); err != nil {
		return fmt.Errorf("pod informer: %w", err)
	}
	factory.Start(ctx.Done())
	a.cfg.Log.Info("agent serving", "node", a.cfg.NodeName)
	tick := time.NewTicker(10 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			factory.Shutdown()
			a.stopAll()
			return nil
		case <-tick.C:
			if err := a.heartbeat(ctx); err != nil && ctx.Err() == nil {
				a.cfg.Log.Warn("heartbeat", "err", err)
			}
		}
	}
}

func (a *Agent) stopAll() {
	a.mu.Lock()
	runs := make([]*podRun, 0, len(a.running))
	for _, r := range a.running {
		runs = append(runs, r)
	}
	a.mu.Unlock()
	for _, r := range runs {
		r.cancel()
		<-r.done
	}
}

// handle reacts to a pod event: start a pending pod once, kill and remove a
// pod being deleted.
func (a *Agent) handle(ctx context.Context, pod *corev1.Pod) {
	if pod.DeletionTimestamp != nil {
		go a.remove(ctx, pod)
		return
	}
	if pod.Status.Phase != corev1.PodPending && pod.Status.Phase != "" {
		return
	}
	a.mu.Lock()
	if _, ok := a.running[pod.UID]; ok {
		a.mu.Unlock()
		return
	}
	runCtx, cancel := context.WithCancel(ctx)
	r := &podRun{cancel: cancel, done: make(chan struct{})}
	a.running[pod.UID] = r
	a.mu.Unlock()
	go func() {
		defer close(r.done)
		defer cancel()
		if err := a.runPod(runCtx, pod.DeepCopy()); err != nil && ctx.Err() == nil {
			a.cfg.Log.Error("pod", "pod", pod.Namespace+"/"+pod.Name, "err", err)
		}
	}()
}

// remove kills the pod's process, if any, and deletes the pod object for
// good, as a kubelet does once the containers are gone.
func (a *Agent) remove(ctx context.Context, pod *corev1.Pod) {
	a.mu.Lock()
	r := a.running[pod.UID]
	a.mu.Unlock()
	if r != nil {
		r.cancel()
		<-r.done
	}
	zero := int64(0)
	err := a.kube.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{
		GracePeriodSeconds: &zero,
		Preconditions:      &metav1.Preconditions{UID: &pod.UID},
	})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) && ctx.Err() == nil {
		a.cfg.Log.Warn("delete pod", "pod", pod.Namespace+"/"+pod.Name, "err", err)
	}
}

func (a *Agent) node() *corev1.Node {
	labels := map[string]string{
		"kubernetes.io/hostname": a.cfg.NodeName,
		"kubernetes.io/os":       "linux",
		"kubernetes.io/arch":     "amd64",
	}
	for k, v := range a.cfg.Labels {
		labels[k] = v
	}
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: a.cfg.NodeName, Labels: labels}}
}

func (a *Agent) nodeStatus() corev1.NodeStatus {
	now := metav1.Now()
	res := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("64"),
		corev1.ResourceMemory: resource.MustParse("256Gi"),
		corev1.ResourcePods:   resource.MustParse("1000"),
	}
	return corev1.NodeStatus{
		Capacity:    res,
		Allocatable: res,
		Phase:       corev1.NodeRunning,
		Conditions: []corev1.NodeCondition{{
			Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "AgentReady",
			Message: "partsync e2e node agent", LastHeartbeatTime: now, LastTransitionTime: now,
		}},
		Addresses: []corev1.NodeAddress{
			{Type: corev1.NodeInternalIP, Address: "127.0.0.1"},
			{Type: corev1.NodeHostName, Address: a.cfg.NodeName},
		},
		NodeInfo: corev1.NodeSystemInfo{
			KubeletVersion: "v1.33.1", OperatingSystem: "linux", Architecture: "amd64",
			ContainerRuntimeVersion: "partsync-e2e-agent://0",
		},
	}
}

func (a *Agent) registerNode(ctx context.Context) error {
	nodes := a.kube.CoreV1().Nodes()
	n, err := nodes.Create(ctx, a.node(), metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		n, err = nodes.Get(ctx, a.cfg.NodeName, metav1.GetOptions{})
	}
	if err != nil {
		return fmt.Errorf("register node %s: %w", a.cfg.NodeName, err)
	}
	n.Status = a.nodeStatus()
	if _, err := nodes.UpdateStatus(ctx, n, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("node %s status: %w", a.cfg.NodeName, err)
	}
	return nil
}

func (a *Agent) heartbeat(ctx context.Context) error {
	n, err := a.kube.CoreV1().Nodes().Get(ctx, a.cfg.NodeName, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("get node: %w", err)
	}
	n.Status = a.nodeStatus()
	if _, err := a.kube.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("update node status: %w", err)
	}
	return nil
}

// exitCode maps a finished process to a container exit code: its own, or
// 128+signal when it was killed.
func exitCode(err error) (int32, error) {
	if err == nil {
		return 0, nil
	}
	var ee interface{ Sys() any }
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok {
			if ws.Signaled() {
				return 128 + int32(ws.Signal()), nil
			}
			return int32(ws.ExitStatus()), nil
		}
	}
	return 0, err
}

func podDir(workDir string, pod *corev1.Pod) string {
	return filepath.Join(workDir, "pods", pod.Namespace+"_"+pod.Name+"_"+string(pod.UID))
}
