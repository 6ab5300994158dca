package endpoint

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/conversion"
	"k8s.io/apimachinery/pkg/labels"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/endpointslice"
	endpointsliceutil "k8s.io/endpointslice/util"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"
	utilnet "k8s.io/utils/net"

	"github.com/k1s-dev/k1s/controllers/internal/controllerutil"
)

const (
	// maxRetries is how often a service is retried before it is dropped
	// (5ms doubling: the last retry is about 82 s after the first failure).
	maxRetries = 15

	// maxCapacity is the most addresses an Endpoints object holds; the rest
	// is truncated.
	maxCapacity = 1000

	// truncated is the value of the corev1.EndpointsOverCapacity annotation
	// on a truncated Endpoints object.
	truncated = "truncated"

	// LabelManagedBy marks the Endpoints objects this controller manages;
	// its value is ControllerName.
	LabelManagedBy = "endpoints.kubernetes.io/managed-by"
)

// Event reasons of the Warning events recorded on an Endpoints object.
const (
	EventFailedToCreateEndpoint = "FailedToCreateEndpoint"
	EventFailedToUpdateEndpoint = "FailedToUpdateEndpoint"
)

// Controller keeps the Endpoints of selector-based services. Create it with
// New and start it with Run.
type Controller struct {
	client  kubernetes.Interface
	clock   clock.WithTicker
	workers int

	// broadcaster is the caller's, or nil: then Run starts one of its own.
	broadcaster record.EventBroadcaster
	recorder    record.EventRecorder

	serviceLister   corelisters.ServiceLister
	servicesSynced  cache.InformerSynced
	podLister       corelisters.PodLister
	podsSynced      cache.InformerSynced
	endpointsLister corelisters.EndpointsLister
	endpointsSynced cache.InformerSynced

	staleEndpointsTracker *staleEndpointsTracker
	triggerTimeTracker    *endpointsliceutil.TriggerTimeTracker

	// queue holds service keys. A key is in it at most once however many
	// of its pods change, so a big service is not synced more often than a
	// small one.
	queue workqueue.TypedRateLimitingInterface[string]
	// podQueue holds pod changes; mapping them to services (matching every
	// selector of the namespace) is done by workers, not in the informer's
	// handler.
	podQueue workqueue.TypedRateLimitingInterface[*endpointsliceutil.PodProjectionKey]

	workerLoopPeriod           time.Duration
	endpointUpdatesBatchPeriod time.Duration

	started atomic.Bool
	ready   chan struct{}
}

// New returns an endpoints controller. It validates cfg and fills in
// defaults, and registers the Pod, Service and Endpoints informers with
// factory. Start the factory after New.
//
// client should carry the controller's identity (ClientName). Events go
// through broadcaster with source ControllerName; with a nil broadcaster Run
// starts one that writes through client and stops it on return.
func New(cfg Config, client kubernetes.Interface, factory informers.SharedInformerFactory, broadcaster record.EventBroadcaster) (*Controller, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid endpoints controller configuration: %w", err)
	}
	if client == nil {
		return nil, errors.New("--kubeconfig: a Kubernetes client is required")
	}
	if factory == nil {
		return nil, errors.New("an informer factory is required")
	}
	cfg = cfg.withDefaults()

	e := &Controller{
		client:      client,
		clock:       cfg.Clock,
		workers:     int(cfg.ConcurrentEndpointSyncs),
		broadcaster: broadcaster,
		recorder:    controllerutil.NopRecorder{},
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "endpoint", Clock: cfg.Clock},
		),
		podQueue: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.DefaultTypedControllerRateLimiter[*endpointsliceutil.PodProjectionKey](),
			workqueue.TypedRateLimitingQueueConfig[*endpointsliceutil.PodProjectionKey]{Clock: cfg.Clock},
		),
		staleEndpointsTracker:      newStaleEndpointsTracker(),
		triggerTimeTracker:         endpointsliceutil.NewTriggerTimeTracker(),
		workerLoopPeriod:           time.Second,
		endpointUpdatesBatchPeriod: cfg.EndpointUpdatesBatchPeriod,
		ready:                      make(chan struct{}),
	}
	if broadcaster != nil {
		e.recorder = broadcaster.NewRecorder(scheme.Scheme, corev1.EventSource{Component: ControllerName})
	}

	serviceInformer := factory.Core().V1().Services()
	if _, err := serviceInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    e.enqueueKey,
		UpdateFunc: func(_, cur any) { e.enqueueKey(cur) },
		DeleteFunc: e.enqueueKey,
	}); err != nil {
		return nil, fmt.Errorf("adding service event handler: %w", err)
	}
	e.serviceLister = serviceInformer.Lister()
	e.servicesSynced = serviceInformer.Informer().HasSynced

	podInformer := factory.Core().V1().Pods()
	if _, err := podInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { e.onPodUpdate(nil, obj) },
		UpdateFunc: e.onPodUpdate,
		DeleteFunc: func(obj any) { e.onPodUpdate(obj, nil) },
	}); err != nil {
		return nil, fmt.Errorf("adding pod event handler: %w", err)
	}
	e.podLister = podInformer.Lister()
	e.podsSynced = podInformer.Informer().HasSynced

	endpointsInformer := factory.Core().V1().Endpoints()
	// A deleted Endpoints object is recreated if its service still wants it.
	if _, err := endpointsInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		DeleteFunc: e.enqueueKey,
	}); err != nil {
		return nil, fmt.Errorf("adding endpoints event handler: %w", err)
	}
	e.endpointsLister = endpointsInformer.Lister()
	e.endpointsSynced = endpointsInformer.Informer().HasSynced
	return e, nil
}

// Ready is closed once Run has synced its caches and started its workers.
func (e *Controller) Ready() <-chan struct{} { return e.ready }

// Run runs the controller until ctx is done and returns nil then; it returns
// an error only if called twice.
func (e *Controller) Run(ctx context.Context) error {
	if !e.started.CompareAndSwap(false, true) {
		return errors.New("endpoints controller: Run may be called only once")
	}
	defer utilruntime.HandleCrashWithContext(ctx)
	logger := klog.FromContext(ctx).WithName(ControllerName)
	ctx = klog.NewContext(ctx, logger)
	logger.Info("Starting endpoint controller")

	// Without a caller's broadcaster (and unless a test swapped the
	// recorder), events go through a broadcaster of our own.
	if _, nop := e.recorder.(controllerutil.NopRecorder); e.broadcaster == nil && nop {
		recorder, stop := controllerutil.StartOwnedBroadcaster(ctx, e.client, ControllerName)
		defer stop()
		e.recorder = recorder
	}

	var wg sync.WaitGroup
	defer func() {
		logger.Info("Shutting down endpoint controller")
		e.queue.ShutDown()
		e.podQueue.ShutDown()
		wg.Wait()
	}()

	if !cache.WaitForNamedCacheSyncWithContext(ctx, e.podsSynced, e.servicesSynced, e.endpointsSynced) {
		return nil
	}
	for range e.workers {
		wg.Go(func() { controllerutil.Until(ctx, e.clock, e.workerLoopPeriod, e.worker) })
		wg.Go(func() { controllerutil.Until(ctx, e.clock, e.workerLoopPeriod, e.podWorker) })
	}
	wg.Go(func() { e.checkLeftoverEndpoints(ctx) })
	close(e.ready)
	<-ctx.Done()
	return nil
}

// enqueueKey queues the service (or Endpoints, which has the same key) obj.
func (e *Controller) enqueueKey(obj any) {
	key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
	if err != nil {
		utilruntime.HandleError(fmt.Errorf("couldn't get key for object %+v: %w", obj, err))
		return
	}
	e.queue.Add(key)
}

// onPodUpdate queues a pod change that may matter to some service.
func (e *Controller) onPodUpdate(old, cur any) {
	if key := endpointsliceutil.GetPodUpdateProjectionKey(old, cur); key != nil {
		e.podQueue.Add(key)
	}
}

// worker syncs services until the queue shuts down. The queue never hands
// the same service to two workers at once.
func (e *Controller) worker(ctx context.Context) {
	for e.processNextWorkItem(ctx) {
	}
}

func (e *Controller) processNextWorkItem(ctx context.Context) bool {
	key, quit := e.queue.Get()
	if quit {
		return false
	}
	defer e.queue.Done(key)
	e.handleErr(klog.FromContext(ctx), e.syncService(ctx, key), key)
	return true
}

func (e *Controller) handleErr(logger klog.Logger, err error, key string) {
	if err == nil {
		e.queue.Forget(key)
		return
	}
	ns, name, keyErr := cache.SplitMetaNamespaceKey(key)
	if keyErr != nil {
		logger.Error(err, "Failed to split meta namespace cache key", "key", key)
	}
	if e.queue.NumRequeues(key) < maxRetries {
		logger.V(2).Info("Error syncing endpoints, retrying", "service", klog.KRef(ns, name), "err", err)
		e.queue.AddRateLimited(key)
		return
	}
	logger.Info("Dropping service out of the queue", "service", klog.KRef(ns, name), "err", err)
	e.queue.Forget(key)
	utilruntime.HandleError(err)
}

func (e *Controller) podWorker(ctx context.Context) {
	for e.processNextPodWorkItem(ctx) {
	}
}

func (e *Controller) processNextPodWorkItem(ctx context.Context) bool {
	key, quit := e.podQueue.Get()
	if quit {
		return false
	}
	defer e.podQueue.Done(key)
	logger := klog.FromContext(ctx)
	err := e.syncPod(logger, key)
	switch {
	case err == nil:
		e.podQueue.Forget(key)
	case e.podQueue.NumRequeues(key) < maxRetries:
		logger.V(2).Info("Error syncing pod, retrying", "PodProjectionKey", *key)
		e.podQueue.AddRateLimited(key)
	default:
		logger.Info("Dropping pod out of the queue", "PodProjectionKey", *key)
		e.podQueue.Forget(key)
		utilruntime.HandleError(err)
	}
	return true
}

// syncPod queues the services a pod change concerns, after the batch period.
func (e *Controller) syncPod(logger klog.Logger, key *endpointsliceutil.PodProjectionKey) error {
	start := e.clock.Now()
	defer func() {
		logger.V(4).Info("Finished syncing pod", "PodProjectionKey", *key, "elapsedTime", e.clock.Since(start))
	}()
	services, err := endpointsliceutil.GetServicesToUpdate(e.serviceLister, key)
	if err != nil {
		return fmt.Errorf("finding services of a pod: %w", err)
	}
	for svc := range services {
		e.queue.AddAfter(svc, e.endpointUpdatesBatchPeriod)
	}
	return nil
}

// checkLeftoverEndpoints queues every existing Endpoints object once at start,
// so that those of services deleted while the controller was down are
// deleted too (in steady state the service delete event does it).
func (e *Controller) checkLeftoverEndpoints(ctx context.Context) {
	list, err := e.endpointsLister.List(labels.Everything())
	if err != nil {
		utilruntime.HandleErrorWithContext(ctx, err, "Unable to list endpoints; orphaned endpoints will not be cleaned up")
		return
	}
	for _, ep := range list {
		// Leader election records of other components live in Endpoints
		// without a service: never delete them.
		if _, ok := ep.Annotations[resourcelock.LeaderElectionRecordAnnotationKey]; ok {
			continue
		}
		e.enqueueKey(ep)
	}
}

// syncService makes the Endpoints of the service key what its pods say.
func (e *Controller) syncService(ctx context.Context, key string) error {
	start := e.clock.Now()
	logger := klog.FromContext(ctx)
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return err
	}
	defer func() {
		logger.V(4).Info("Finished syncing service endpoints", "service", klog.KRef(namespace, name), "duration", e.clock.Since(start))
	}()

	service, err := e.serviceLister.Services(namespace).Get(name)
	if err != nil {
		if !apierrors.IsNotFound(err) {
			return err
		}
		// The service is gone: so goes its Endpoints. (A deletion missed
		// while the controller was down is caught by checkLeftoverEndpoints.)
		err = e.client.CoreV1().Endpoints(namespace).Delete(ctx, name, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("deleting endpoints %s: %w", key, err)
		}
		e.triggerTimeTracker.DeleteService(namespace, name)
		e.staleEndpointsTracker.Delete(namespace, name)
		return nil
	}

	// ExternalName services get no endpoints (kubernetes/kubernetes#105986);
	// services without a selector get theirs from whoever made them.
	if service.Spec.Type == corev1.ServiceTypeExternalName || service.Spec.Selector == nil {
		return nil
	}

	logger.V(5).Info("About to update endpoints for service", "service", klog.KRef(namespace, name))
	pods, err := e.podLister.Pods(service.Namespace).List(labels.Set(service.Spec.Selector).AsSelectorPreValidated())
	if err != nil {
		return err
	}

	// Computed before knowing whether anything changed, so that the tracker
	// state moves on even for a no-op sync.
	lastChangeTriggerTime := e.triggerTimeTracker.ComputeEndpointLastChangeTriggerTime(namespace, service, pods)

	subsets := []corev1.EndpointSubset{}
	var totalReady, totalNotReady int
	for _, pod := range pods {
		if !endpointsliceutil.ShouldPodBeInEndpoints(pod, service.Spec.PublishNotReadyAddresses) {
			logger.V(5).Info("Pod is not included on endpoints for Service", "pod", klog.KObj(pod), "service", klog.KObj(service))
			continue
		}
		epa, err := podToEndpointAddressForService(service, pod)
		if err != nil {
			// A pod without an IP of the service's family, e.g. during a
			// single- to dual-stack upgrade.
			logger.V(2).Info("Failed to find endpoint for service with ClusterIP on pod with error", "service", klog.KObj(service), "clusterIP", service.Spec.ClusterIP, "pod", klog.KObj(pod), "error", err)
			continue
		}
		if endpointsliceutil.ShouldSetHostname(pod, service) {
			epa.Hostname = pod.Spec.Hostname
		}

		// A headless service may have no ports.
		if len(service.Spec.Ports) == 0 {
			if service.Spec.ClusterIP == corev1.ClusterIPNone {
				var ready, notReady int
				subsets, ready, notReady = addEndpointSubset(logger, subsets, pod, *epa, nil, service.Spec.PublishNotReadyAddresses)
				totalReady += ready
				totalNotReady += notReady
			}
			continue
		}
		for i := range service.Spec.Ports {
			servicePort := &service.Spec.Ports[i]
			portNum, err := endpointslice.FindPort(pod, servicePort)
			if err != nil {
				logger.V(4).Info("Failed to find port for service", "service", klog.KObj(service), "error", err)
				continue
			}
			epp := endpointPortFromServicePort(servicePort, portNum)
			var ready, notReady int
			subsets, ready, notReady = addEndpointSubset(logger, subsets, pod, *epa, epp, service.Spec.PublishNotReadyAddresses)
			totalReady += ready
			totalNotReady += notReady
		}
	}
	subsets = repackSubsets(subsets)

	current, err := e.endpointsLister.Endpoints(service.Namespace).Get(service.Name)
	if err != nil {
		if !apierrors.IsNotFound(err) {
			return err
		}
		current = &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Name: service.Name, Labels: service.Labels}}
	} else if e.staleEndpointsTracker.IsStale(current) {
		return fmt.Errorf("endpoints informer cache is out of date, resource version %s already processed for endpoints %s", current.ResourceVersion, key)
	}
	create := current.ResourceVersion == ""

	// Pod resource versions in targetRefs are ignored, so that pod updates
	// that do not matter (an annotation) cause no write. The stored subsets
	// are also compared repacked, in case another hash ordered them
	// (kubernetes/kubernetes#129652).
	if !create &&
		(endpointSubsetsEqualIgnoreResourceVersion(current.Subsets, subsets) ||
			endpointSubsetsEqualIgnoreResourceVersion(repackSubsets(current.Subsets), subsets)) &&
		labelsCorrectForEndpoints(current.Labels, service.Labels) &&
		capacityAnnotationSetCorrectly(current.Annotations, current.Subsets) {
		logger.V(5).Info("endpoints are equal, skipping update", "service", klog.KObj(service))
		return nil
	}

	newEndpoints := current.DeepCopy()
	newEndpoints.Subsets = subsets
	newEndpoints.Labels = maps.Clone(service.Labels)
	if newEndpoints.Labels == nil {
		newEndpoints.Labels = map[string]string{}
	}
	if newEndpoints.Annotations == nil {
		newEndpoints.Annotations = map[string]string{}
	}
	if !lastChangeTriggerTime.IsZero() {
		newEndpoints.Annotations[corev1.EndpointsLastChangeTriggerTime] = lastChangeTriggerTime.UTC().Format(time.RFC3339Nano)
	} else {
		delete(newEndpoints.Annotations, corev1.EndpointsLastChangeTriggerTime)
	}
	if truncateEndpoints(newEndpoints) {
		newEndpoints.Annotations[corev1.EndpointsOverCapacity] = truncated
	} else {
		delete(newEndpoints.Annotations, corev1.EndpointsOverCapacity)
	}
	if isServiceIPSet(service) {
		delete(newEndpoints.Labels, corev1.IsHeadlessService)
	} else {
		newEndpoints.Labels[corev1.IsHeadlessService] = ""
	}
	newEndpoints.Labels[LabelManagedBy] = ControllerName

	logger.V(4).Info("Update endpoints", "service", klog.KObj(service), "readyEndpoints", totalReady, "notreadyEndpoints", totalNotReady)
	var updated *corev1.Endpoints
	if create {
		_, err = e.client.CoreV1().Endpoints(service.Namespace).Create(ctx, newEndpoints, metav1.CreateOptions{})
	} else {
		updated, err = e.client.CoreV1().Endpoints(service.Namespace).Update(ctx, newEndpoints, metav1.UpdateOptions{})
	}
	if err != nil {
		if create && apierrors.IsForbidden(err) {
			// Mostly a terminating namespace (creates keep failing there:
			// drop the item), else a misconfigured policy.
			logger.V(5).Info("Forbidden from creating endpoints", "error", err)
			if apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause) {
				return nil
			}
		}
		if create {
			e.recorder.Eventf(newEndpoints, corev1.EventTypeWarning, EventFailedToCreateEndpoint, "Failed to create endpoint for service %v/%v: %v", service.Namespace, service.Name, err)
			return fmt.Errorf("creating endpoints %s: %w", key, err)
		}
		e.recorder.Eventf(newEndpoints, corev1.EventTypeWarning, EventFailedToUpdateEndpoint, "Failed to update endpoint %v/%v: %v", service.Namespace, service.Name, err)
		return fmt.Errorf("updating endpoints %s: %w", key, err)
	}
	// Until the informer catches up, the version we replaced is stale. (An
	// update that changed nothing, e.g. through a webhook, keeps its version
	// and is not stale.)
	if updated != nil && updated.ResourceVersion != current.ResourceVersion {
		e.staleEndpointsTracker.Stale(current)
	}
	return nil
}

// podToEndpointAddressForService returns pod's address for service: the pod
// IP of the service's first IP family.
func podToEndpointAddressForService(svc *corev1.Service, pod *corev1.Pod) (*corev1.EndpointAddress, error) {
	// IPFamilies is set by apiserver defaulting, but a service may arrive
	// without it: infer the family from the cluster IP or the pod IP.
	ipFamily := corev1.IPv4Protocol
	switch {
	case len(svc.Spec.IPFamilies) > 0:
		ipFamily = svc.Spec.IPFamilies[0]
	case len(svc.Spec.ClusterIP) > 0 && svc.Spec.ClusterIP != corev1.ClusterIPNone:
		if utilnet.IsIPv6String(svc.Spec.ClusterIP) {
			ipFamily = corev1.IPv6Protocol
		}
	case utilnet.IsIPv6String(pod.Status.PodIP):
		ipFamily = corev1.IPv6Protocol
	}
	wantIPv6 := ipFamily == corev1.IPv6Protocol

	// Parsed and reformatted, in case the pod's is irregular.
	var endpointIP string
	for _, podIP := range pod.Status.PodIPs {
		ip := utilnet.ParseIPSloppy(podIP.IP)
		if wantIPv6 == utilnet.IsIPv6(ip) {
			endpointIP = ip.String()
			break
		}
	}
	if endpointIP == "" {
		return nil, fmt.Errorf("failed to find a matching endpoint for service %v", svc.Name)
	}
	return &corev1.EndpointAddress{
		IP:       endpointIP,
		NodeName: &pod.Spec.NodeName,
		TargetRef: &corev1.ObjectReference{
			Kind:      "Pod",
			Namespace: pod.Namespace,
			Name:      pod.Name,
			UID:       pod.UID,
		},
	}, nil
}

// addEndpointSubset appends a subset of the single address epa (ready or not)
// with port epp (or none).
func addEndpointSubset(logger klog.Logger, subsets []corev1.EndpointSubset, pod *corev1.Pod, epa corev1.EndpointAddress,
	epp *corev1.EndpointPort, tolerateUnreadyEndpoints bool) ([]corev1.EndpointSubset, int, int) {
	ports := []corev1.EndpointPort{}
	if epp != nil {
		ports = append(ports, *epp)
	}
	if tolerateUnreadyEndpoints || endpointsliceutil.IsPodReady(pod) {
		return append(subsets, corev1.EndpointSubset{Addresses: []corev1.EndpointAddress{epa}, Ports: ports}), 1, 0
	}
	logger.V(5).Info("Pod is out of service", "pod", klog.KObj(pod))
	return append(subsets, corev1.EndpointSubset{NotReadyAddresses: []corev1.EndpointAddress{epa}, Ports: ports}), 0, 1
}

func endpointPortFromServicePort(servicePort *corev1.ServicePort, portNum int) *corev1.EndpointPort {
	return &corev1.EndpointPort{
		Name:        servicePort.Name,
		Port:        int32(portNum),
		Protocol:    servicePort.Protocol,
		AppProtocol: servicePort.AppProtocol,
	}
}

// isServiceIPSet reports whether the service has a cluster IP (is not
// headless).
func isServiceIPSet(service *corev1.Service) bool {
	return service.Spec.ClusterIP != corev1.ClusterIPNone && service.Spec.ClusterIP != ""
}

// capacityAnnotationSetCorrectly reports whether subsets are within capacity
// and the over-capacity annotation is absent. Subsets over capacity always
// need a write: they must be truncated.
func capacityAnnotationSetCorrectly(annotations map[string]string, subsets []corev1.EndpointSubset) bool {
	n := 0
	for _, s := range subsets {
		n += len(s.Addresses) + len(s.NotReadyAddresses)
	}
	if n > maxCapacity {
		return false
	}
	_, ok := annotations[corev1.EndpointsOverCapacity]
	return !ok
}

// truncateEndpoints cuts endpoints down to maxCapacity addresses and reports
// whether it had to. Ready addresses are kept before not-ready ones; within
// each kind every subset keeps a share proportional to its size (rounded up,
// so the last subsets may get less).
func truncateEndpoints(endpoints *corev1.Endpoints) bool {
	totalReady, totalNotReady := 0, 0
	for _, s := range endpoints.Subsets {
		totalReady += len(s.Addresses)
		totalNotReady += len(s.NotReadyAddresses)
	}
	if totalReady+totalNotReady <= maxCapacity {
		return false
	}

	truncateReady := false
	limit := maxCapacity - totalReady
	numTotal := totalNotReady
	if totalReady > maxCapacity {
		truncateReady = true
		limit = maxCapacity
		numTotal = totalReady
	}
	canBeAdded := limit
	for i := range endpoints.Subsets {
		subset := endpoints.Subsets[i]
		numInSubset := len(subset.NotReadyAddresses)
		if truncateReady {
			numInSubset = len(subset.Addresses)
		}
		toBeAdded := min(int(math.Ceil(float64(numInSubset)/float64(numTotal)*float64(limit))), canBeAdded)
		if truncateReady {
			subset.Addresses = addressSubset(subset.Addresses, toBeAdded)
			subset.NotReadyAddresses = []corev1.EndpointAddress{}
			canBeAdded -= len(subset.Addresses)
		} else {
			subset.NotReadyAddresses = addressSubset(subset.NotReadyAddresses, toBeAdded)
			canBeAdded -= len(subset.NotReadyAddresses)
		}
		endpoints.Subsets[i] = subset
	}
	return true
}

// addressSubset returns at most the first maxNum addresses.
func addressSubset(addresses []corev1.EndpointAddress, maxNum int) []corev1.EndpointAddress {
	if len(addresses) <= maxNum {
		return addresses
	}
	return addresses[:maxNum]
}

// semanticIgnoreResourceVersion compares objects semantically, except for
// the resource version of object references.
var semanticIgnoreResourceVersion = conversion.EqualitiesOrDie(
	func(a, b corev1.ObjectReference) bool {
		a.ResourceVersion = ""
		b.ResourceVersion = ""
		return a == b
	},
)

func endpointSubsetsEqualIgnoreResourceVersion(subsets1, subsets2 []corev1.EndpointSubset) bool {
	return semanticIgnoreResourceVersion.DeepEqual(subsets1, subsets2)
}

// labelsCorrectForEndpoints reports whether epLabels are svcLabels plus the
// controller's own (LabelManagedBy, and the headless label, which is not
// checked here).
func labelsCorrectForEndpoints(epLabels, svcLabels map[string]string) bool {
	if epLabels[LabelManagedBy] != ControllerName {
		return false
	}
	skipped := 0
	for k, v := range epLabels {
		if k == corev1.IsHeadlessService || k == LabelManagedBy {
			skipped++
		} else if sv, ok := svcLabels[k]; !ok || sv != v {
			return false
		}
	}
	return len(svcLabels) == len(epLabels)-skipped
}
