package endpointslice

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	corelisters "k8s.io/client-go/listers/core/v1"
	discoverylisters "k8s.io/client-go/listers/discovery/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
	endpointslicerec "k8s.io/endpointslice"
	"k8s.io/endpointslice/topologycache"
	endpointsliceutil "k8s.io/endpointslice/util"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"

	"github.com/k1s-dev/k1s/controllers/internal/controllerutil"
)

const (
	// maxRetries is how often a service is retried before it is dropped
	// (1s doubling up to 1000s).
	maxRetries = 15

	// endpointSliceChangeMinSyncDelay is the least delay of a sync caused by
	// a slice change, so that changes to several slices of a service are
	// handled together.
	endpointSliceChangeMinSyncDelay = 1 * time.Second

	// The retry backoff is much longer than the default controller's (1s,
	// not 5ms): a sync can rewrite many slices, and retrying fast would load
	// the apiserver.
	defaultSyncBackOff = 1 * time.Second
	maxSyncBackOff     = 1000 * time.Second

	// topologyQueueItemKey is the only item of the topology queue.
	topologyQueueItemKey = "topologyQueueItemKey"
)

// Event reasons of the Warning events recorded on a Service.
const (
	EventFailedToListPods            = "FailedToListPods"
	EventFailedToListEndpointSlices  = "FailedToListEndpointSlices"
	EventFailedToUpdateEndpointSlice = "FailedToUpdateEndpointSlices"
)

// staleInformerCacheError says that the slice informer has not yet seen the
// controller's own writes (upstream's StaleInformerCache).
type staleInformerCacheError struct{ msg string }

func (e *staleInformerCacheError) Error() string { return e.msg }

// Controller keeps the EndpointSlices of selector-based services. Create it
// with New and start it with Run.
type Controller struct {
	client  kubernetes.Interface
	clock   clock.WithTicker
	workers int

	// broadcaster is the caller's, or nil: then Run starts one of its own.
	broadcaster record.EventBroadcaster
	recorder    record.EventRecorder

	serviceLister        corelisters.ServiceLister
	servicesSynced       cache.InformerSynced
	podLister            corelisters.PodLister
	podsSynced           cache.InformerSynced
	endpointSliceLister  discoverylisters.EndpointSliceLister
	endpointSlicesSynced cache.InformerSynced
	nodeLister           corelisters.NodeLister
	nodesSynced          cache.InformerSynced

	// endpointSliceTracker knows the slices (and generations) the
	// controller expects per service, to tell its own writes from others'
	// and a stale informer cache from a current one.
	endpointSliceTracker *endpointsliceutil.EndpointSliceTracker
	reconciler           *endpointslicerec.Reconciler
	triggerTimeTracker   *endpointsliceutil.TriggerTimeTracker
	topologyCache        *topologycache.TopologyCache

	// serviceQueue holds service keys, each at most once however many of
	// its pods change.
	serviceQueue workqueue.TypedRateLimitingInterface[string]
	// podQueue holds pod changes, mapped to services by workers rather than
	// in the informer's handler.
	podQueue workqueue.TypedRateLimitingInterface[*endpointsliceutil.PodProjectionKey]
	// topologyQueue triggers a recount of nodes per zone for hints.
	topologyQueue workqueue.TypedRateLimitingInterface[string]

	workerLoopPeriod           time.Duration
	endpointUpdatesBatchPeriod time.Duration

	started atomic.Bool
	ready   chan struct{}
}

// New returns an EndpointSlice controller. It validates cfg and fills in
// defaults, and registers the Pod, Service, Node and EndpointSlice informers
// with factory. Start the factory after New.
//
// client should carry the controller's identity (ClientName). Events go
// through broadcaster with source EventSourceComponent; with a nil broadcaster
// Run starts one that writes through client and stops it on return.
func New(cfg Config, client kubernetes.Interface, factory informers.SharedInformerFactory, broadcaster record.EventBroadcaster) (*Controller, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid endpointslice controller configuration: %w", err)
	}
	if client == nil {
		return nil, errors.New("--kubeconfig: a Kubernetes client is required")
	}
	if factory == nil {
		return nil, errors.New("an informer factory is required")
	}
	cfg = cfg.withDefaults()

	c := &Controller{
		client:      client,
		clock:       cfg.Clock,
		workers:     int(cfg.ConcurrentServiceEndpointSyncs),
		broadcaster: broadcaster,
		recorder:    controllerutil.NopRecorder{},
		serviceQueue: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.NewTypedMaxOfRateLimiter(
				workqueue.NewTypedItemExponentialFailureRateLimiter[string](defaultSyncBackOff, maxSyncBackOff),
				// Overall 10 qps, burst 100: bounds retry speed only.
				&workqueue.TypedBucketRateLimiter[string]{Limiter: rate.NewLimiter(rate.Limit(10), 100)},
			),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "endpoint_slice", Clock: cfg.Clock},
		),
		podQueue: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.DefaultTypedControllerRateLimiter[*endpointsliceutil.PodProjectionKey](),
			workqueue.TypedRateLimitingQueueConfig[*endpointsliceutil.PodProjectionKey]{Clock: cfg.Clock},
		),
		topologyQueue: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Clock: cfg.Clock},
		),
		endpointSliceTracker:       endpointsliceutil.NewEndpointSliceTracker(),
		triggerTimeTracker:         endpointsliceutil.NewTriggerTimeTracker(),
		topologyCache:              topologycache.NewTopologyCache(),
		workerLoopPeriod:           time.Second,
		endpointUpdatesBatchPeriod: cfg.EndpointUpdatesBatchPeriod,
		ready:                      make(chan struct{}),
	}
	if broadcaster != nil {
		c.recorder = broadcaster.NewRecorder(scheme.Scheme, corev1.EventSource{Component: EventSourceComponent})
	}

	serviceInformer := factory.Core().V1().Services()
	if _, err := serviceInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.enqueueService,
		UpdateFunc: func(_, cur any) { c.enqueueService(cur) },
		DeleteFunc: c.enqueueService,
	}); err != nil {
		return nil, fmt.Errorf("adding service event handler: %w", err)
	}
	c.serviceLister = serviceInformer.Lister()
	c.servicesSynced = serviceInformer.Informer().HasSynced

	podInformer := factory.Core().V1().Pods()
	if _, err := podInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { c.onPodUpdate(nil, obj) },
		UpdateFunc: c.onPodUpdate,
		DeleteFunc: func(obj any) { c.onPodUpdate(obj, nil) },
	}); err != nil {
		return nil, fmt.Errorf("adding pod event handler: %w", err)
	}
	c.podLister = podInformer.Lister()
	c.podsSynced = podInformer.Informer().HasSynced

	nodeInformer := factory.Core().V1().Nodes()
	if _, err := nodeInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { c.topologyQueue.Add(topologyQueueItemKey) },
		UpdateFunc: c.updateNode,
		DeleteFunc: func(any) { c.topologyQueue.Add(topologyQueueItemKey) },
	}); err != nil {
		return nil, fmt.Errorf("adding node event handler: %w", err)
	}
	c.nodeLister = nodeInformer.Lister()
	c.nodesSynced = nodeInformer.Informer().HasSynced

	sliceInformer := factory.Discovery().V1().EndpointSlices()
	if _, err := sliceInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.onEndpointSliceAdd,
		UpdateFunc: c.onEndpointSliceUpdate,
		DeleteFunc: c.onEndpointSliceDelete,
	}); err != nil {
		return nil, fmt.Errorf("adding endpointslice event handler: %w", err)
	}
	c.endpointSliceLister = sliceInformer.Lister()
	c.endpointSlicesSynced = sliceInformer.Informer().HasSynced

	c.reconciler = endpointslicerec.NewReconciler(
		client,
		c.nodeLister,
		cfg.MaxEndpointsPerSlice,
		c.endpointSliceTracker,
		c.topologyCache,
		// The recorder is settled only in Run: hand the reconciler one that
		// looks it up when used.
		delegatingRecorder{c},
		ManagedBy,
		// Gate PreferSameTrafficDistribution is GA and locked on in v1.37.
		endpointslicerec.WithPreferSameTrafficDistributionEnabled(true),
	)
	return c, nil
}

// Ready is closed once Run has synced its caches and started its workers.
func (c *Controller) Ready() <-chan struct{} { return c.ready }

// Run runs the controller until ctx is done and returns nil then; it returns
// an error only if called twice.
func (c *Controller) Run(ctx context.Context) error {
	if !c.started.CompareAndSwap(false, true) {
		return errors.New("endpointslice controller: Run may be called only once")
	}
	defer utilruntime.HandleCrashWithContext(ctx)
	logger := klog.FromContext(ctx).WithName(ControllerName)
	ctx = klog.NewContext(ctx, logger)
	logger.Info("Starting endpoint slice controller")

	// Without a caller's broadcaster (and unless a test swapped the
	// recorder), events go through a broadcaster of our own.
	if _, nop := c.recorder.(controllerutil.NopRecorder); c.broadcaster == nil && nop {
		recorder, stop := controllerutil.StartOwnedBroadcaster(ctx, c.client, EventSourceComponent)
		defer stop()
		c.recorder = recorder
	}

	var wg sync.WaitGroup
	defer func() {
		logger.Info("Shutting down endpoint slice controller")
		c.serviceQueue.ShutDown()
		c.podQueue.ShutDown()
		c.topologyQueue.ShutDown()
		wg.Wait()
	}()

	if !cache.WaitForNamedCacheSyncWithContext(ctx, c.podsSynced, c.servicesSynced, c.endpointSlicesSynced, c.nodesSynced) {
		return nil
	}
	logger.V(2).Info("Starting service queue worker threads", "total", c.workers)
	for range c.workers {
		wg.Go(func() { controllerutil.Until(ctx, c.clock, c.workerLoopPeriod, c.serviceQueueWorker) })
		wg.Go(func() { controllerutil.Until(ctx, c.clock, c.workerLoopPeriod, c.podQueueWorker) })
	}
	wg.Go(func() { controllerutil.Until(ctx, c.clock, c.workerLoopPeriod, c.topologyQueueWorker) })
	close(c.ready)
	<-ctx.Done()
	return nil
}

func (c *Controller) serviceQueueWorker(ctx context.Context) {
	for c.processNextServiceWorkItem(ctx) {
	}
}

func (c *Controller) processNextServiceWorkItem(ctx context.Context) bool {
	key, quit := c.serviceQueue.Get()
	if quit {
		return false
	}
	defer c.serviceQueue.Done(key)
	c.handleErr(klog.FromContext(ctx), c.syncService(ctx, key), key)
	return true
}

func (c *Controller) handleErr(logger klog.Logger, err error, key string) {
	if err == nil {
		c.serviceQueue.Forget(key)
		return
	}
	if c.serviceQueue.NumRequeues(key) < maxRetries {
		logger.Info("Error syncing endpoint slices for service, retrying", "key", key, "err", err)
		c.serviceQueue.AddRateLimited(key)
		return
	}
	logger.Info("Retry budget exceeded, dropping service out of the queue", "key", key, "err", err)
	c.serviceQueue.Forget(key)
	utilruntime.HandleError(err)
}

func (c *Controller) podQueueWorker(ctx context.Context) {
	for c.processNextPodWorkItem(ctx) {
	}
}

func (c *Controller) processNextPodWorkItem(ctx context.Context) bool {
	key, quit := c.podQueue.Get()
	if quit {
		return false
	}
	defer c.podQueue.Done(key)
	logger := klog.FromContext(ctx)
	err := c.syncPod(logger, key)
	switch {
	case err == nil:
		c.podQueue.Forget(key)
	case c.podQueue.NumRequeues(key) < maxRetries:
		logger.V(2).Info("Error syncing pod, retrying", "PodProjectionKey", *key)
		c.podQueue.AddRateLimited(key)
	default:
		logger.Info("Dropping pod out of the queue", "PodProjectionKey", *key)
		c.podQueue.Forget(key)
		utilruntime.HandleError(err)
	}
	return true
}

func (c *Controller) topologyQueueWorker(ctx context.Context) {
	for c.processNextTopologyWorkItem(ctx) {
	}
}

func (c *Controller) processNextTopologyWorkItem(ctx context.Context) bool {
	key, quit := c.topologyQueue.Get()
	if quit {
		return false
	}
	defer c.topologyQueue.Done(key)
	c.checkNodeTopologyDistribution(klog.FromContext(ctx))
	return true
}

// syncService makes the EndpointSlices of the service key what its pods say.
func (c *Controller) syncService(ctx context.Context, key string) error {
	start := c.clock.Now()
	logger := klog.FromContext(ctx)
	defer func() {
		logger.V(4).Info("Finished syncing service endpoint slices", "key", key, "elapsedTime", c.clock.Since(start))
	}()
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return err
	}

	service, err := c.serviceLister.Services(namespace).Get(name)
	if err != nil {
		if !apierrors.IsNotFound(err) {
			return err
		}
		// The slices go with the service through their owner reference;
		// only our own bookkeeping is left to clean.
		c.triggerTimeTracker.DeleteService(namespace, name)
		c.reconciler.DeleteService(namespace, name)
		c.endpointSliceTracker.DeleteService(namespace, name)
		return nil
	}

	// ExternalName services get no endpoints (kubernetes/kubernetes#105986);
	// services without a selector get theirs from whoever made them.
	if service.Spec.Type == corev1.ServiceTypeExternalName || service.Spec.Selector == nil {
		return nil
	}

	logger.V(5).Info("About to update endpoint slices for service", "key", key)
	pods, err := c.podLister.Pods(service.Namespace).List(labels.Set(service.Spec.Selector).AsSelectorPreValidated())
	if err != nil {
		c.recorder.Eventf(service, corev1.EventTypeWarning, EventFailedToListPods,
			"Error listing Pods for Service %s/%s: %v", service.Namespace, service.Name, err)
		return err
	}

	slices, err := c.endpointSliceLister.EndpointSlices(service.Namespace).List(labels.Set{
		discoveryv1.LabelServiceName: service.Name,
		discoveryv1.LabelManagedBy:   c.reconciler.GetControllerName(),
	}.AsSelectorPreValidated())
	if err != nil {
		c.recorder.Eventf(service, corev1.EventTypeWarning, EventFailedToListEndpointSlices,
			"Error listing Endpoint Slices for Service %s/%s: %v", service.Namespace, service.Name, err)
		return err
	}
	// Slices on their way out must not hold the controller up.
	slices = dropEndpointSlicesPendingDeletion(slices)

	if c.endpointSliceTracker.StaleSlices(service, slices) {
		return &staleInformerCacheError{"EndpointSlice informer cache is out of date"}
	}

	// Computed before knowing whether anything changed, so that the tracker
	// state moves on even for a no-op sync.
	lastChangeTriggerTime := c.triggerTimeTracker.ComputeEndpointLastChangeTriggerTime(namespace, service, pods)

	if err := c.reconciler.Reconcile(logger, service, pods, slices, lastChangeTriggerTime); err != nil {
		c.recorder.Eventf(service, corev1.EventTypeWarning, EventFailedToUpdateEndpointSlice,
			"Error updating Endpoint Slices for Service %s/%s: %v", service.Namespace, service.Name, err)
		return fmt.Errorf("reconciling endpoint slices of service %s: %w", key, err)
	}
	return nil
}

// syncPod queues the services a pod change concerns, after the batch period.
func (c *Controller) syncPod(logger klog.Logger, key *endpointsliceutil.PodProjectionKey) error {
	start := c.clock.Now()
	defer func() {
		logger.V(4).Info("Finished syncing pod", "PodProjectionKey", *key, "elapsedTime", c.clock.Since(start))
	}()
	services, err := endpointsliceutil.GetServicesToUpdate(c.serviceLister, key)
	if err != nil {
		return fmt.Errorf("finding services of a pod: %w", err)
	}
	for svc := range services {
		c.serviceQueue.AddAfter(svc, c.endpointUpdatesBatchPeriod)
	}
	return nil
}

func (c *Controller) enqueueService(obj any) {
	key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
	if err != nil {
		utilruntime.HandleError(fmt.Errorf("couldn't get key for object %+v: %w", obj, err))
		return
	}
	c.serviceQueue.Add(key)
}

func (c *Controller) onPodUpdate(old, cur any) {
	if key := endpointsliceutil.GetPodUpdateProjectionKey(old, cur); key != nil {
		c.podQueue.Add(key)
	}
}

// onEndpointSliceAdd queues the service of a slice the controller did not
// expect (not its own write, or a newer generation).
func (c *Controller) onEndpointSliceAdd(obj any) {
	slice, ok := obj.(*discoveryv1.EndpointSlice)
	if !ok || slice == nil {
		utilruntime.HandleError(errors.New("invalid EndpointSlice provided to onEndpointSliceAdd()"))
		return
	}
	if c.reconciler.ManagedByController(slice) && c.endpointSliceTracker.ShouldSync(slice) {
		c.queueServiceForEndpointSlice(slice)
	}
}

// onEndpointSliceUpdate queues the service of a slice changed by someone
// else, or moved to or from this controller's management or to another
// service.
func (c *Controller) onEndpointSliceUpdate(prevObj, obj any) {
	prev, ok1 := prevObj.(*discoveryv1.EndpointSlice)
	cur, ok2 := obj.(*discoveryv1.EndpointSlice)
	if !ok1 || !ok2 || prev == nil || cur == nil {
		utilruntime.HandleError(errors.New("invalid EndpointSlice provided to onEndpointSliceUpdate()"))
		return
	}
	// The generation does not move when labels change, and the service-name
	// label is the user's to change.
	if cur.Labels[discoveryv1.LabelServiceName] != prev.Labels[discoveryv1.LabelServiceName] {
		c.queueServiceForEndpointSlice(cur)
		c.queueServiceForEndpointSlice(prev)
		return
	}
	if c.reconciler.ManagedByChanged(prev, cur) || (c.reconciler.ManagedByController(cur) && c.endpointSliceTracker.ShouldSync(cur)) {
		c.queueServiceForEndpointSlice(cur)
	}
}

// onEndpointSliceDelete queues the service of a slice deleted by someone
// else.
func (c *Controller) onEndpointSliceDelete(obj any) {
	slice, ok := controllerutil.FromTombstone[*discoveryv1.EndpointSlice](obj)
	if !ok {
		utilruntime.HandleError(fmt.Errorf("couldn't get EndpointSlice from %#v", obj))
		return
	}
	if c.reconciler.ManagedByController(slice) && c.endpointSliceTracker.Has(slice) {
		// False: a deletion we did not ask for.
		if !c.endpointSliceTracker.HandleDeletion(slice) {
			c.queueServiceForEndpointSlice(slice)
		}
	}
}

// queueServiceForEndpointSlice queues the slice's service after the larger of
// endpointSliceChangeMinSyncDelay and the batch period.
func (c *Controller) queueServiceForEndpointSlice(slice *discoveryv1.EndpointSlice) {
	key, err := endpointslicerec.ServiceControllerKey(slice)
	if err != nil {
		utilruntime.HandleError(fmt.Errorf("couldn't get key for EndpointSlice %+v: %w", slice, err))
		return
	}
	c.serviceQueue.AddAfter(key, max(endpointSliceChangeMinSyncDelay, c.endpointUpdatesBatchPeriod))
}

// updateNode recounts the topology when a node's readiness or zone changes
// (a cloud provider may add the zone label after the node registers).
func (c *Controller) updateNode(old, cur any) {
	oldNode, ok1 := old.(*corev1.Node)
	curNode, ok2 := cur.(*corev1.Node)
	if !ok1 || !ok2 {
		return
	}
	if isNodeReady(oldNode) != isNodeReady(curNode) ||
		oldNode.Labels[corev1.LabelTopologyZone] != curNode.Labels[corev1.LabelTopologyZone] {
		c.topologyQueue.Add(topologyQueueItemKey)
	}
}

// checkNodeTopologyDistribution updates the nodes of the topology cache and
// queues the services whose hints are now off balance.
func (c *Controller) checkNodeTopologyDistribution(logger klog.Logger) {
	nodes, err := c.nodeLister.List(labels.Everything())
	if err != nil {
		logger.Error(err, "Error listing Nodes")
		return
	}
	c.topologyCache.SetNodes(logger, nodes)
	for _, key := range c.topologyCache.GetOverloadedServices() {
		logger.V(2).Info("Queuing Service after Node change due to overloading", "key", key)
		c.serviceQueue.Add(key)
	}
}

func dropEndpointSlicesPendingDeletion(slices []*discoveryv1.EndpointSlice) []*discoveryv1.EndpointSlice {
	n := 0
	for _, s := range slices {
		if s.DeletionTimestamp == nil {
			slices[n] = s
			n++
		}
	}
	return slices[:n]
}

func isNodeReady(node *corev1.Node) bool {
	for _, cond := range node.Status.Conditions {
		if cond.Type == corev1.NodeReady {
			return cond.Status == corev1.ConditionTrue
		}
	}
	return false
}

// delegatingRecorder forwards to the controller's recorder of the moment.
type delegatingRecorder struct{ c *Controller }

var _ record.EventRecorder = delegatingRecorder{}

func (r delegatingRecorder) Event(obj runtime.Object, eventtype, reason, message string) {
	r.c.recorder.Event(obj, eventtype, reason, message)
}

func (r delegatingRecorder) Eventf(obj runtime.Object, eventtype, reason, messageFmt string, args ...any) {
	r.c.recorder.Eventf(obj, eventtype, reason, messageFmt, args...)
}

func (r delegatingRecorder) AnnotatedEventf(obj runtime.Object, annotations map[string]string, eventtype, reason, messageFmt string, args ...any) {
	r.c.recorder.AnnotatedEventf(obj, annotations, eventtype, reason, messageFmt, args...)
}
