package tainteviction

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"sync"
	"sync/atomic"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"

	"github.com/k1s-dev/k1s/controllers/internal/controllerutil"
)

// EventTaintManagerEviction is the reason of the Normal events recorded on a
// pod: "Marking for deletion Pod <ns>/<name>" when it is deleted, "Cancelling
// deletion of Pod <ns>/<name>" when a scheduled deletion is cancelled.
const EventTaintManagerEviction = "TaintManagerEviction"

// The DisruptionTarget condition written before a deletion.
const (
	disruptionReason  = "DeletionByTaintManager"
	disruptionMessage = "Taint manager: deleting due to NoExecute taint"
)

const (
	// updateWorkerSize workers process node and pod updates, sharded by node
	// name so that a node's pods are handled by the worker that knows its taints.
	updateWorkerSize      = 8
	nodeUpdateChannelSize = 10
	podUpdateChannelSize  = 1
	// retries is how often a deletion is tried before it is given up.
	retries = 5
)

type nodeUpdateItem struct {
	nodeName string
}

type podUpdateItem struct {
	podName      string
	podNamespace string
	nodeName     string
}

func hash(val string, max int) int {
	h := fnv.New32a()
	_, _ = io.WriteString(h, val)
	return int(h.Sum32() % uint32(max))
}

// Controller deletes pods from nodes with NoExecute taints they do not
// tolerate. Create it with New and start it with Run.
type Controller struct {
	client kubernetes.Interface
	clock  clock.WithDelayedExecution
	// comparisonOperators enables Lt/Gt tolerations.
	comparisonOperators bool

	// broadcaster is the caller's, or nil: then Run starts one of its own.
	broadcaster record.EventBroadcaster
	recorder    record.EventRecorder

	podLister  corelisters.PodLister
	podIndexer cache.Indexer
	podSynced  cache.InformerSynced
	nodeLister corelisters.NodeLister
	nodeSynced cache.InformerSynced

	taintEvictionQueue *timedWorkerQueue
	// taintedNodes maps a node to its NoExecute taints (nodes with none are absent).
	taintedNodesLock sync.Mutex
	taintedNodes     map[string][]corev1.Taint

	nodeUpdateChannels []chan nodeUpdateItem
	podUpdateChannels  []chan podUpdateItem

	nodeUpdateQueue workqueue.TypedInterface[nodeUpdateItem]
	podUpdateQueue  workqueue.TypedInterface[podUpdateItem]

	started atomic.Bool
	ready   chan struct{}

	// Test hooks, called when a node or pod update has been handled.
	onNodeHandled func(nodeName string)
	onPodHandled  func(nn types.NamespacedName)
}

// New returns a taint eviction controller. It validates cfg and fills in
// defaults, and registers the Node and Pod informers with factory, adding the
// pod spec.nodeName index it needs (upstream relies on the node lifecycle
// controller adding it; k1s adds it here too, so the controller also works
// alone). Start the factory after New.
//
// client should carry the controller's identity (ClientName). Events go
// through broadcaster with source ControllerName; with a nil broadcaster Run
// starts one that writes through client and stops it on return.
func New(cfg Config, client kubernetes.Interface, factory informers.SharedInformerFactory, broadcaster record.EventBroadcaster) (*Controller, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid taint eviction controller configuration: %w", err)
	}
	if client == nil {
		return nil, errors.New("--kubeconfig: a Kubernetes client is required")
	}
	if factory == nil {
		return nil, errors.New("an informer factory is required")
	}
	cfg = cfg.withDefaults()

	c := &Controller{
		client:              client,
		clock:               cfg.Clock,
		comparisonOperators: cfg.TaintTolerationComparisonOperators,
		broadcaster:         broadcaster,
		recorder:            controllerutil.NopRecorder{},
		taintedNodes:        map[string][]corev1.Taint{},
		nodeUpdateQueue:     workqueue.NewTypedWithConfig(workqueue.TypedQueueConfig[nodeUpdateItem]{Name: "noexec_taint_node"}),
		podUpdateQueue:      workqueue.NewTypedWithConfig(workqueue.TypedQueueConfig[podUpdateItem]{Name: "noexec_taint_pod"}),
		ready:               make(chan struct{}),
	}
	if broadcaster != nil {
		c.recorder = broadcaster.NewRecorder(scheme.Scheme, corev1.EventSource{Component: ControllerName})
	}
	c.taintEvictionQueue = newTimedWorkerQueue(c.deletePodHandler, cfg.Clock)

	podInformer := factory.Core().V1().Pods()
	if err := controllerutil.AddPodNodeNameIndexer(podInformer.Informer()); err != nil {
		return nil, err
	}
	if _, err := podInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj any) {
			if pod, ok := obj.(*corev1.Pod); ok {
				c.podUpdated(nil, pod)
			}
		},
		UpdateFunc: func(oldObj, newObj any) {
			oldPod, ok1 := oldObj.(*corev1.Pod)
			newPod, ok2 := newObj.(*corev1.Pod)
			if ok1 && ok2 {
				c.podUpdated(oldPod, newPod)
			}
		},
		DeleteFunc: func(obj any) {
			if pod, ok := controllerutil.FromTombstone[*corev1.Pod](obj); ok {
				c.podUpdated(pod, nil)
			}
		},
	}); err != nil {
		return nil, fmt.Errorf("adding pod event handler: %w", err)
	}
	c.podLister = podInformer.Lister()
	c.podIndexer = podInformer.Informer().GetIndexer()
	c.podSynced = podInformer.Informer().HasSynced

	nodeInformer := factory.Core().V1().Nodes()
	if _, err := nodeInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj any) {
			if node, ok := obj.(*corev1.Node); ok {
				c.nodeUpdated(nil, node)
			}
		},
		UpdateFunc: func(oldObj, newObj any) {
			oldNode, ok1 := oldObj.(*corev1.Node)
			newNode, ok2 := newObj.(*corev1.Node)
			if ok1 && ok2 {
				c.nodeUpdated(oldNode, newNode)
			}
		},
		DeleteFunc: func(obj any) {
			if node, ok := controllerutil.FromTombstone[*corev1.Node](obj); ok {
				c.nodeUpdated(node, nil)
			}
		},
	}); err != nil {
		return nil, fmt.Errorf("adding node event handler: %w", err)
	}
	c.nodeLister = nodeInformer.Lister()
	c.nodeSynced = nodeInformer.Informer().HasSynced
	return c, nil
}

// Ready is closed once Run has synced its caches and started its workers.
func (c *Controller) Ready() <-chan struct{} { return c.ready }

// Run runs the controller until ctx is done and returns nil then; it returns
// an error only if called twice. Pending evictions are cancelled on return,
// and deletions in flight are waited for.
func (c *Controller) Run(ctx context.Context) error {
	if !c.started.CompareAndSwap(false, true) {
		return errors.New("taint eviction controller: Run may be called only once")
	}
	defer utilruntime.HandleCrashWithContext(ctx)
	logger := klog.FromContext(ctx).WithName(ControllerName)
	ctx = klog.NewContext(ctx, logger)
	logger.Info("Starting", "controller", ControllerName)

	// Without a caller's broadcaster (and unless a test swapped the recorder),
	// events go through a broadcaster of our own, on our own client.
	if _, nop := c.recorder.(controllerutil.NopRecorder); c.broadcaster == nil && nop {
		recorder, stop := controllerutil.StartOwnedBroadcaster(ctx, c.client, ControllerName)
		defer stop()
		c.recorder = recorder
	}

	var wg sync.WaitGroup
	defer func() {
		logger.Info("Shutting down controller", "controller", ControllerName)
		c.nodeUpdateQueue.ShutDown()
		c.podUpdateQueue.ShutDown()
		c.taintEvictionQueue.CancelAndWait()
		wg.Wait()
	}()

	if !cache.WaitForNamedCacheSyncWithContext(ctx, c.podSynced, c.nodeSynced) {
		return nil
	}

	for range updateWorkerSize {
		c.nodeUpdateChannels = append(c.nodeUpdateChannels, make(chan nodeUpdateItem, nodeUpdateChannelSize))
		c.podUpdateChannels = append(c.podUpdateChannels, make(chan podUpdateItem, podUpdateChannelSize))
	}

	// Move items from the queues to the worker of their node.
	wg.Go(func() {
		for {
			item, shutdown := c.nodeUpdateQueue.Get()
			if shutdown {
				return
			}
			select {
			case <-ctx.Done():
				c.nodeUpdateQueue.Done(item)
				return
			case c.nodeUpdateChannels[hash(item.nodeName, updateWorkerSize)] <- item:
				// The worker calls Done.
			}
		}
	})
	wg.Go(func() {
		for {
			item, shutdown := c.podUpdateQueue.Get()
			if shutdown {
				return
			}
			// Same worker as the pod's node, so that it never reads
			// taintedNodes while another worker is updating it for this node.
			select {
			case <-ctx.Done():
				c.podUpdateQueue.Done(item)
				return
			case c.podUpdateChannels[hash(item.nodeName, updateWorkerSize)] <- item:
			}
		}
	})
	for i := range updateWorkerSize {
		wg.Go(func() { c.worker(ctx, i) })
	}
	close(c.ready)
	<-ctx.Done()
	return nil
}

// worker handles node updates before pod updates, so that evictions caused by
// a new taint do not wait behind a backlog of pod changes.
func (c *Controller) worker(ctx context.Context, worker int) {
	for {
		select {
		case <-ctx.Done():
			return
		case nodeUpdate := <-c.nodeUpdateChannels[worker]:
			c.handleNodeUpdate(ctx, nodeUpdate)
			c.nodeUpdateQueue.Done(nodeUpdate)
		case podUpdate := <-c.podUpdateChannels[worker]:
		priority:
			for {
				select {
				case nodeUpdate := <-c.nodeUpdateChannels[worker]:
					c.handleNodeUpdate(ctx, nodeUpdate)
					c.nodeUpdateQueue.Done(nodeUpdate)
				default:
					break priority
				}
			}
			c.handlePodUpdate(ctx, podUpdate)
			c.podUpdateQueue.Done(podUpdate)
		}
	}
}

// podUpdated queues a pod whose tolerations or node changed, or that was
// added or deleted (nil oldPod or newPod).
func (c *Controller) podUpdated(oldPod, newPod *corev1.Pod) {
	var item podUpdateItem
	var oldTolerations, newTolerations []corev1.Toleration
	if oldPod != nil {
		item = podUpdateItem{podName: oldPod.Name, podNamespace: oldPod.Namespace, nodeName: oldPod.Spec.NodeName}
		oldTolerations = oldPod.Spec.Tolerations
	}
	if newPod != nil {
		item = podUpdateItem{podName: newPod.Name, podNamespace: newPod.Namespace, nodeName: newPod.Spec.NodeName}
		newTolerations = newPod.Spec.Tolerations
	}
	if oldPod != nil && newPod != nil && apiequality.Semantic.DeepEqual(oldTolerations, newTolerations) && oldPod.Spec.NodeName == newPod.Spec.NodeName {
		return
	}
	c.podUpdateQueue.Add(item)
}

// nodeUpdated queues a node whose NoExecute taints changed, or that was added
// or deleted (nil oldNode or newNode).
func (c *Controller) nodeUpdated(oldNode, newNode *corev1.Node) {
	var nodeName string
	var oldTaints, newTaints []corev1.Taint
	if oldNode != nil {
		nodeName = oldNode.Name
		oldTaints = getNoExecuteTaints(oldNode.Spec.Taints)
	}
	if newNode != nil {
		nodeName = newNode.Name
		newTaints = getNoExecuteTaints(newNode.Spec.Taints)
	}
	if oldNode != nil && newNode != nil && apiequality.Semantic.DeepEqual(oldTaints, newTaints) {
		return
	}
	c.nodeUpdateQueue.Add(nodeUpdateItem{nodeName: nodeName})
}

func (c *Controller) handlePodUpdate(ctx context.Context, podUpdate podUpdateItem) {
	if c.onPodHandled != nil {
		defer c.onPodHandled(types.NamespacedName{Namespace: podUpdate.podNamespace, Name: podUpdate.podName})
	}
	logger := klog.FromContext(ctx)
	pod, err := c.podLister.Pods(podUpdate.podNamespace).Get(podUpdate.podName)
	if err != nil {
		if apierrors.IsNotFound(err) {
			nn := types.NamespacedName{Namespace: podUpdate.podNamespace, Name: podUpdate.podName}
			logger.V(4).Info("Noticed pod deletion", "pod", nn)
			c.cancelWorkWithEvent(logger, nn)
			return
		}
		utilruntime.HandleErrorWithContext(ctx, err, "Could not get pod", "pod", klog.KRef(podUpdate.podNamespace, podUpdate.podName))
		return
	}
	// Queue items are keyed and sharded by node; an item for another node is
	// stale, and the item for the current node does the work.
	if pod.Spec.NodeName != podUpdate.nodeName {
		return
	}
	nn := types.NamespacedName{Namespace: pod.Namespace, Name: pod.Name}
	logger.V(4).Info("Noticed pod update", "pod", nn)
	nodeName := pod.Spec.NodeName
	if nodeName == "" {
		return
	}
	c.taintedNodesLock.Lock()
	taints, ok := c.taintedNodes[nodeName]
	c.taintedNodesLock.Unlock()
	// Node deleted or untainted: that already cancelled any eviction.
	if !ok {
		return
	}
	c.processPodOnNode(ctx, nn, nodeName, pod.Spec.Tolerations, taints, c.clock.Now())
}

func (c *Controller) handleNodeUpdate(ctx context.Context, nodeUpdate nodeUpdateItem) {
	if c.onNodeHandled != nil {
		defer c.onNodeHandled(nodeUpdate.nodeName)
	}
	logger := klog.FromContext(ctx)
	node, err := c.nodeLister.Get(nodeUpdate.nodeName)
	if err != nil {
		if apierrors.IsNotFound(err) {
			logger.V(4).Info("Noticed node deletion", "node", klog.KRef("", nodeUpdate.nodeName))
			c.taintedNodesLock.Lock()
			delete(c.taintedNodes, nodeUpdate.nodeName)
			c.taintedNodesLock.Unlock()
			return
		}
		utilruntime.HandleErrorWithContext(ctx, err, "Cannot get node", "node", klog.KRef("", nodeUpdate.nodeName))
		return
	}

	logger.V(4).Info("Noticed node update", "node", klog.KObj(node))
	taints := getNoExecuteTaints(node.Spec.Taints)
	c.taintedNodesLock.Lock()
	if len(taints) == 0 {
		delete(c.taintedNodes, node.Name)
	} else {
		c.taintedNodes[node.Name] = taints
	}
	c.taintedNodesLock.Unlock()

	// taintedNodes is updated before the pods are listed: a pod the index does
	// not show yet will come through podUpdated and see the new taints.
	pods, err := controllerutil.PodsAssignedToNode(c.podIndexer, node.Name)
	if err != nil {
		logger.Error(err, "Failed to get pods assigned to node", "node", klog.KObj(node))
		return
	}
	if len(pods) == 0 {
		return
	}
	if len(taints) == 0 {
		logger.V(4).Info("All taints were removed from the node. Cancelling all evictions...", "node", klog.KObj(node))
		for _, pod := range pods {
			c.cancelWorkWithEvent(logger, types.NamespacedName{Namespace: pod.Namespace, Name: pod.Name})
		}
		return
	}
	now := c.clock.Now()
	for _, pod := range pods {
		c.processPodOnNode(ctx, types.NamespacedName{Namespace: pod.Namespace, Name: pod.Name}, node.Name, pod.Spec.Tolerations, taints, now)
	}
}

func (c *Controller) emitPodDeletionEvent(nn types.NamespacedName) {
	c.recorder.Eventf(podRef(nn), corev1.EventTypeNormal, EventTaintManagerEviction, "Marking for deletion Pod %s", nn.String())
}

func (c *Controller) emitCancelPodDeletionEvent(nn types.NamespacedName) {
	c.recorder.Eventf(podRef(nn), corev1.EventTypeNormal, EventTaintManagerEviction, "Cancelling deletion of Pod %s", nn.String())
}

func podRef(nn types.NamespacedName) *corev1.ObjectReference {
	return &corev1.ObjectReference{APIVersion: "v1", Kind: "Pod", Name: nn.Name, Namespace: nn.Namespace}
}
