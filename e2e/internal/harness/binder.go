package harness

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	corev1helpers "k8s.io/component-helpers/scheduling/corev1"
	"k8s.io/component-helpers/scheduling/corev1/nodeaffinity"
)

// The binder stands in for kube-scheduler (not built: it cost a few minutes
// of a cold build). It binds each unscheduled pod of the default scheduler
// to a node that passes the scheduler's filters that matter on this stack:
// the node is Ready and schedulable, the pod's nodeSelector and required
// node affinity match it, and the pod tolerates its NoSchedule/NoExecute
// taints. Resources are not counted: the two nodes declare far more than any
// scenario requests. A pod no node fits stays Pending and is retried, as
// with the scheduler. Parallelism is Argo's doing (it creates at most
// `parallelism` pods), not the scheduler's, so the scenarios' parallelism
// checks see the controller's behaviour either way.
type binder struct {
	kube  kubernetes.Interface
	nodes cache.Indexer
	queue workqueue.TypedRateLimitingInterface[cache.ObjectName]
	pods  cache.Indexer
	log   *log.Logger
}

// startBinder runs the binder until Stop; its log is logs/binder.log.
func (s *Stack) startBinder(ctx context.Context) error {
	logf, err := os.Create(filepath.Join(s.LogDir(), "binder.log"))
	if err != nil {
		return fmt.Errorf("log file: %w", err)
	}
	bctx, cancel := context.WithCancel(context.Background())
	nodeFactory := informers.NewSharedInformerFactory(s.Kube, 0)
	podFactory := informers.NewSharedInformerFactoryWithOptions(s.Kube, 0,
		informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.FieldSelector = fields.OneTermEqualSelector("spec.nodeName", "").String()
		}))
	nodeInf := nodeFactory.Core().V1().Nodes().Informer()
	podInf := podFactory.Core().V1().Pods().Informer()
	b := &binder{
		kube:  s.Kube,
		nodes: nodeInf.GetIndexer(),
		pods:  podInf.GetIndexer(),
		queue: workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[cache.ObjectName]()),
		log:   log.New(logf, "", log.LstdFlags|log.Lmicroseconds),
	}
	enqueue := func(obj any) {
		if pod, ok := obj.(*corev1.Pod); ok {
			b.queue.Add(cache.MetaObjectToName(pod))
		}
	}
	if _, err := podInf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    enqueue,
		UpdateFunc: func(_, obj any) { enqueue(obj) },
	}); err != nil {
		cancel()
		_ = logf.Close()
		return fmt.Errorf("binder: %w", err)
	}
	nodeFactory.Start(bctx.Done())
	podFactory.Start(bctx.Done())
	done := make(chan struct{})
	s.stopBinder = func() {
		cancel()
		b.queue.ShutDown()
		<-done
		nodeFactory.Shutdown()
		podFactory.Shutdown()
		_ = logf.Close()
	}
	go func() {
		defer close(done)
		if !cache.WaitForCacheSync(bctx.Done(), nodeInf.HasSynced, podInf.HasSynced) {
			return
		}
		for b.next(bctx) {
		}
	}()
	s.cfg.Log("harness: started the pod binder (in place of kube-scheduler)")
	return nil
}

// next binds one queued pod; false once the queue is shut down.
func (b *binder) next(ctx context.Context) bool {
	key, quit := b.queue.Get()
	if quit {
		return false
	}
	defer b.queue.Done(key)
	obj, exists, err := b.pods.GetByKey(key.String())
	if err != nil || !exists {
		b.queue.Forget(key)
		return true
	}
	pod := obj.(*corev1.Pod)
	if pod.Spec.NodeName != "" || pod.DeletionTimestamp != nil ||
		(pod.Spec.SchedulerName != "" && pod.Spec.SchedulerName != corev1.DefaultSchedulerName) {
		b.queue.Forget(key)
		return true
	}
	node, why := b.pick(pod)
	if node == "" {
		b.log.Printf("%s: no node fits (%s); retrying", key, why)
		b.queue.AddRateLimited(key)
		return true
	}
	binding := &corev1.Binding{
		ObjectMeta: metav1.ObjectMeta{Name: pod.Name, Namespace: pod.Namespace, UID: pod.UID},
		Target:     corev1.ObjectReference{Kind: "Node", Name: node},
	}
	bctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := b.kube.CoreV1().Pods(pod.Namespace).Bind(bctx, binding, metav1.CreateOptions{}); err != nil {
		b.log.Printf("%s: bind to %s: %v; retrying", key, node, err)
		b.queue.AddRateLimited(key)
		return true
	}
	b.queue.Forget(key)
	b.log.Printf("%s: bound to %s", key, node)
	return true
}

// pick returns the first node (by name) the pod fits, or "" and why none.
func (b *binder) pick(pod *corev1.Pod) (string, string) {
	var nodes []*corev1.Node
	for _, obj := range b.nodes.List() {
		nodes = append(nodes, obj.(*corev1.Node))
	}
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].Name < nodes[j].Name })
	why := "no nodes"
	for _, n := range nodes {
		if reason := unfit(pod, n); reason != "" {
			why = reason
			continue
		}
		return n.Name, ""
	}
	return "", why
}

// unfit says why the pod cannot go to the node, "" when it can.
func unfit(pod *corev1.Pod, n *corev1.Node) string {
	if n.Spec.Unschedulable {
		return n.Name + " unschedulable"
	}
	ready := false
	for _, c := range n.Status.Conditions {
		ready = ready || (c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue)
	}
	if !ready {
		return n.Name + " not Ready"
	}
	if ok, err := nodeaffinity.GetRequiredNodeAffinity(pod).Match(n); err != nil || !ok {
		return fmt.Sprintf("%s: node selector or affinity does not match (%v)", n.Name, err)
	}
	if taint, found := corev1helpers.FindMatchingUntoleratedTaint(n.Spec.Taints, pod.Spec.Tolerations, func(t *corev1.Taint) bool {
		return t.Effect == corev1.TaintEffectNoSchedule || t.Effect == corev1.TaintEffectNoExecute
	}); found {
		return fmt.Sprintf("%s: untolerated taint %s", n.Name, taint.ToString())
	}
	return ""
}
