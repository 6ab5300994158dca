package nodelifecycle

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	coordinationlisters "k8s.io/client-go/listers/coordination/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"

	"github.com/k1s-dev/k1s/controllers/internal/controllerutil"
)

// Event reasons the controller records, as upstream records them.
const (
	// EventRegisteredNode (Normal, on the Node): "Node <n> event: Registered Node <n> in Controller".
	EventRegisteredNode = "RegisteredNode"
	// EventRemovingNode (Normal, on the Node): "Node <n> event: Removing Node <n> from Controller".
	EventRemovingNode = "RemovingNode"
	// EventNodeNotReady is recorded twice when a node's Ready condition leaves
	// True: Normal on the Node ("Node <n> status is now: NodeNotReady") and
	// Warning on each of its pods ("Node is not ready").
	EventNodeNotReady = "NodeNotReady"
)

const (
	// retrySleepTime is the pause between tries of a node health update.
	retrySleepTime = 20 * time.Millisecond
	// podUpdateWorkerSize workers handle pods bound to a node the monitor pass
	// already saw not Ready (lagging caches); 4 is upstream's number.
	podUpdateWorkerSize = 4
	// nodeUpdateWorkerSize workers run the NoSchedule and label passes, and
	// bound the parallelism of a monitor pass.
	nodeUpdateWorkerSize = 8
)

// ZoneState is the health of one zone, computed on every monitor pass.
type ZoneState string

// Zone states, as upstream names them.
const (
	StateInitial           ZoneState = "Initial"
	StateNormal            ZoneState = "Normal"
	StateFullDisruption    ZoneState = "FullDisruption"
	StatePartialDisruption ZoneState = "PartialDisruption"
)

type podUpdateItem struct {
	namespace string
	name      string
}

// Controller is the node lifecycle controller. Create it with New and start it
// with Run.
type Controller struct {
	cfg    Config
	client kubernetes.Interface
	clock  clock.WithTicker

	// broadcaster is the caller's, or nil: then Run starts one of its own.
	broadcaster record.EventBroadcaster
	recorder    record.EventRecorder

	nodeLister   corelisters.NodeLister
	nodeSynced   cache.InformerSynced
	podLister    corelisters.PodLister
	podIndexer   cache.Indexer
	podSynced    cache.InformerSynced
	leaseLister  coordinationlisters.LeaseLister
	leaseSynced  cache.InformerSynced
	leaseChecker *leaseConsistency // nil with the circuit breaker disabled

	// knownNodeSet and zoneStates belong to the monitor pass (one goroutine).
	knownNodeSet map[string]*corev1.Node
	zoneStates   map[string]ZoneState
	// nodeHealthMap is shared by the monitor pass and the pod workers.
	nodeHealthMap *nodeHealthMap
	// evictorLock guards zoneNoExecuteTainter, which the tainting pass reads.
	evictorLock          sync.Mutex
	zoneNoExecuteTainter map[string]*rateLimitedTimedQueue
	// taintedByPass (under evictorLock) names the nodes the tainting pass
	// tainted since the controller last entered master disruption mode; see
	// handleDisruption.
	taintedByPass map[string]struct{}
	// nodesToRetry holds nodes whose pods still have to be marked NotReady.
	nodesToRetry sync.Map

	// statusLock guards the published copy of the zone states.
	statusLock      sync.Mutex
	publishedStates map[string]ZoneState

	nodeUpdateQueue workqueue.TypedRateLimitingInterface[string]
	podUpdateQueue  workqueue.TypedRateLimitingInterface[podUpdateItem]

	started atomic.Bool
	ready   chan struct{}
}

// New returns a node lifecycle controller. It validates cfg and fills in
// defaults, and registers the Node, Pod and Lease informers (plus the pod
// spec.nodeName index, which the taint eviction controller also needs) with
// factory: start the factory after New, before or after Run.
//
// client should carry the controller's own identity (ClientName). Events go
// through broadcaster, with source EventSourceComponent; with a nil
// broadcaster Run starts one that writes through client and stops it on return.
//
// Unlike upstream, New takes no DaemonSet informer: upstream uses it only to
// spare DaemonSet pods from eviction, which now happens in the taint eviction
// controller (through the tolerations DaemonSet pods carry), and k1s serves no
// DaemonSets yet.
func New(cfg Config, client kubernetes.Interface, factory informers.SharedInformerFactory, broadcaster record.EventBroadcaster) (*Controller, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid node lifecycle controller configuration: %w", err)
	}
	if client == nil {
		return nil, errors.New("--kubeconfig: a Kubernetes client is required")
	}
	if factory == nil {
		return nil, errors.New("an informer factory is required")
	}
	cfg = cfg.withDefaults()

	c := &Controller{
		cfg:                  cfg,
		client:               client,
		clock:                cfg.Clock,
		broadcaster:          broadcaster,
		recorder:             controllerutil.NopRecorder{},
		knownNodeSet:         map[string]*corev1.Node{},
		zoneStates:           map[string]ZoneState{},
		nodeHealthMap:        newNodeHealthMap(),
		zoneNoExecuteTainter: map[string]*rateLimitedTimedQueue{},
		taintedByPass:        map[string]struct{}{},
		publishedStates:      map[string]ZoneState{},
		nodeUpdateQueue: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "node_lifecycle_controller", Clock: cfg.Clock},
		),
		podUpdateQueue: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.DefaultTypedControllerRateLimiter[podUpdateItem](),
			workqueue.TypedRateLimitingQueueConfig[podUpdateItem]{Name: "node_lifecycle_controller_pods", Clock: cfg.Clock},
		),
		ready: make(chan struct{}),
	}
	if broadcaster != nil {
		c.recorder = broadcaster.NewRecorder(scheme.Scheme, corev1.EventSource{Component: EventSourceComponent})
	}

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
				c.nodeUpdateQueue.Add(node.Name)
			}
		},
		UpdateFunc: func(_, newObj any) {
			if node, ok := newObj.(*corev1.Node); ok {
				c.nodeUpdateQueue.Add(node.Name)
			}
		},
		DeleteFunc: func(obj any) {
			if node, ok := controllerutil.FromTombstone[*corev1.Node](obj); ok {
				c.nodesToRetry.Delete(node.Name)
			}
		},
	}); err != nil {
		return nil, fmt.Errorf("adding node event handler: %w", err)
	}
	c.nodeLister = nodeInformer.Lister()
	c.nodeSynced = nodeInformer.Informer().HasSynced

	leaseInformer := factory.Coordination().V1().Leases()
	c.leaseLister = leaseInformer.Lister()
	c.leaseSynced = leaseInformer.Informer().HasSynced
	if !cfg.DisableLeaseCircuitBreaker {
		c.leaseChecker = newLeaseConsistency(leaseInformer.Informer().GetStore().LastStoreSyncResourceVersion)
	}
	return c, nil
}

// Ready is closed once Run has synced its caches and started its loops.
func (c *Controller) Ready() <-chan struct{} { return c.ready }

// ZoneStates returns the zone states computed by the last monitor pass, keyed
// by zone key (region + ":\x00:" + zone; "" for unlabelled nodes).
func (c *Controller) ZoneStates() map[string]ZoneState {
	c.statusLock.Lock()
	defer c.statusLock.Unlock()
	out := make(map[string]ZoneState, len(c.publishedStates))
	for k, v := range c.publishedStates {
		out[k] = v
	}
	return out
}

// Run runs the controller until ctx is done and returns nil then; it returns
// an error only if called twice. Before its loops start it waits for the
// Node, Pod and Lease caches.
func (c *Controller) Run(ctx context.Context) error {
	if !c.started.CompareAndSwap(false, true) {
		return errors.New("node lifecycle controller: Run may be called only once")
	}
	defer utilruntime.HandleCrashWithContext(ctx)
	logger := klog.FromContext(ctx).WithName(ControllerName)
	ctx = klog.NewContext(ctx, logger)

	// Without a caller's broadcaster (and unless a test swapped the recorder),
	// events go through a broadcaster of our own, on our own client.
	if _, nop := c.recorder.(controllerutil.NopRecorder); c.broadcaster == nil && nop {
		recorder, stop := controllerutil.StartOwnedBroadcaster(ctx, c.client, EventSourceComponent)
		defer stop()
		c.recorder = recorder
	}

	logger.Info("Starting node controller")
	var wg sync.WaitGroup
	defer func() {
		logger.Info("Shutting down node controller")
		c.nodeUpdateQueue.ShutDown()
		c.podUpdateQueue.ShutDown()
		wg.Wait()
	}()

	if !cache.WaitForNamedCacheSyncWithContext(ctx, c.leaseSynced, c.nodeSynced, c.podSynced) {
		return nil
	}

	for range nodeUpdateWorkerSize {
		wg.Go(func() { c.runNodeWorker(ctx) })
	}
	for range podUpdateWorkerSize {
		wg.Go(func() { c.runPodWorker(ctx) })
	}
	// Taints are added through per-zone rate-limited queues: the taint eviction
	// controller does not rate-limit, so the rate of evictions is set here.
	wg.Go(func() {
		controllerutil.Until(ctx, c.clock, nodeEvictionPeriod, c.doNoExecuteTaintingPass)
	})
	wg.Go(func() {
		controllerutil.Until(ctx, c.clock, c.cfg.NodeMonitorPeriod, func(ctx context.Context) {
			if err := c.monitorNodeHealth(ctx); err != nil {
				logger.Error(err, "Error monitoring node health")
			}
		})
	})
	close(c.ready)
	<-ctx.Done()
	return nil
}

// runNodeWorker runs the NoSchedule taint and label passes for queued nodes.
func (c *Controller) runNodeWorker(ctx context.Context) {
	for c.processNextNode(ctx) {
	}
}

func (c *Controller) processNextNode(ctx context.Context) bool {
	nodeName, shutdown := c.nodeUpdateQueue.Get()
	if shutdown {
		return false
	}
	defer c.nodeUpdateQueue.Done(nodeName)
	if err := c.syncNode(ctx, nodeName); err != nil {
		// Upstream only logs here (with a TODO to requeue); k1s requeues.
		klog.FromContext(ctx).Error(err, "Failed to sync node, requeuing", "node", klog.KRef("", nodeName))
		c.nodeUpdateQueue.AddRateLimited(nodeName)
		return true
	}
	c.nodeUpdateQueue.Forget(nodeName)
	return true
}

// syncNode is the node worker's sync handler: NoSchedule condition taints,
// then the beta os/arch labels.
func (c *Controller) syncNode(ctx context.Context, nodeName string) error {
	return errors.Join(c.doNoScheduleTaintingPass(ctx, nodeName), c.reconcileNodeLabels(ctx, nodeName))
}

func (c *Controller) runPodWorker(ctx context.Context) {
	for {
		item, shutdown := c.podUpdateQueue.Get()
		if shutdown {
			return
		}
		c.processPod(ctx, item)
	}
}

// now is the controller's clock as a metav1.Time. Heartbeat bookkeeping uses
// it rather than the times nodes write, to be immune to clock skew.
func (c *Controller) now() metav1.Time {
	return metav1.NewTime(c.clock.Now())
}

func (c *Controller) publishZoneStates() {
	c.statusLock.Lock()
	defer c.statusLock.Unlock()
	c.publishedStates = make(map[string]ZoneState, len(c.zoneStates))
	for k, v := range c.zoneStates {
		c.publishedStates[k] = v
	}
}
