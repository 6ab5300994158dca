package garbagecollector

// Port of pkg/controller/garbagecollector/garbagecollector.go.

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"

	"github.com/k1s-dev/k1s/controllers/internal/controllerutil"
)

// Controller is the garbage collector. Create it with New and start it with
// Run.
type Controller struct {
	restMapper     meta.ResettableRESTMapper
	metadataClient metadata.Interface
	discovery      discovery.DiscoveryInterface
	clock          clock.WithTicker

	workers    int
	syncPeriod time.Duration

	// broadcaster is the caller's, or nil: then Run starts one that only logs.
	broadcaster record.EventBroadcaster

	graph *graphBuilder
	// attemptToDelete holds nodes that may be garbage: owners verified or
	// gone, dependents of deleted owners, owners deleting in foreground.
	attemptToDelete workqueue.TypedRateLimitingInterface[*node]
	// attemptToOrphan holds owners deleted with the orphan finalizer.
	attemptToOrphan workqueue.TypedRateLimitingInterface[*node]
	// absentOwnerCache is shared with the graph builder.
	absentOwnerCache *referenceCache

	started   atomic.Bool
	ready     chan struct{}
	readyOnce sync.Once

	// Test hooks, called after a queue item has been handled.
	onDeleteHandled func(n *node, action workQueueItemAction)
	onOrphanHandled func(n *node, action workQueueItemAction)
	// onResyncWait is called when the resync loop starts waiting for its
	// next round.
	onResyncWait func()
}

// New returns a garbage collector. It validates cfg and fills in defaults.
//
// metadataClient must carry the controller's identity (ClientName). mapper
// maps owner references to resources; Run resets it whenever discovery
// reports a change, so it should be a discovery-backed mapper (for example
// restmapper.NewDeferredDiscoveryRESTMapper over a memory-cached discovery
// client) that does not share its discovery client with discoveryClient:
// resetting the mapper would otherwise also drop the cache the resync loop
// compares against, as upstream warns.
//
// Events (OwnerRefInvalidNamespace) go through broadcaster with source
// ControllerName; the caller starts it recording (to a sink on a client with
// the ClientName identity) and shuts it down. With a nil broadcaster Run
// starts one that only logs the events, at V(3): the controller has no typed
// client to write Event objects with.
func New(cfg Config, metadataClient metadata.Interface, mapper meta.ResettableRESTMapper, discoveryClient discovery.DiscoveryInterface, broadcaster record.EventBroadcaster) (*Controller, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid garbage collector configuration: %w", err)
	}
	if metadataClient == nil {
		return nil, errors.New("--kubeconfig: a metadata client is required")
	}
	if mapper == nil {
		return nil, errors.New("a REST mapper is required")
	}
	if discoveryClient == nil {
		return nil, errors.New("a discovery client is required")
	}
	cfg = cfg.withDefaults()

	newQueue := func(name string) workqueue.TypedRateLimitingInterface[*node] {
		return workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.DefaultTypedControllerRateLimiter[*node](),
			workqueue.TypedRateLimitingQueueConfig[*node]{Name: name, Clock: cfg.Clock},
		)
	}
	attemptToDelete := newQueue("garbage_collector_attempt_to_delete")
	attemptToOrphan := newQueue("garbage_collector_attempt_to_orphan")
	absentOwnerCache := newReferenceCache(absentOwnerCacheSize)

	c := &Controller{
		restMapper:       mapper,
		metadataClient:   metadataClient,
		discovery:        discoveryClient,
		clock:            cfg.Clock,
		workers:          cfg.ConcurrentGCSyncs,
		syncPeriod:       cfg.ResourceSyncPeriod,
		broadcaster:      broadcaster,
		attemptToDelete:  attemptToDelete,
		attemptToOrphan:  attemptToOrphan,
		absentOwnerCache: absentOwnerCache,
		ready:            make(chan struct{}),
	}
	c.graph = &graphBuilder{
		restMapper:     mapper,
		metadataClient: metadataClient,
		eventRecorder:  controllerutil.NopRecorder{},
		graphChanges: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.DefaultTypedControllerRateLimiter[*event](),
			workqueue.TypedRateLimitingQueueConfig[*event]{Name: "garbage_collector_graph_changes", Clock: cfg.Clock},
		),
		uidToNode:        &concurrentUIDToNode{uidToNode: make(map[types.UID]*node)},
		attemptToDelete:  attemptToDelete,
		attemptToOrphan:  attemptToOrphan,
		absentOwnerCache: absentOwnerCache,
		ignoredResources: cfg.IgnoredResources,
	}
	if broadcaster != nil {
		c.graph.eventRecorder = broadcaster.NewRecorder(scheme.Scheme, corev1.EventSource{Component: ControllerName})
	}
	return c, nil
}

// Ready is closed once the monitors of all the resources discovery reported
// have synced, that is once the graph holds every object.
func (c *Controller) Ready() <-chan struct{} { return c.ready }

func (c *Controller) markReady() {
	c.readyOnce.Do(func() { close(c.ready) })
}

// Run collects garbage until ctx is done and returns nil then; it returns an
// error only if called twice. It re-reads discovery every resync period,
// as upstream's Sync does, starting monitors for new resources and stopping
// those of removed ones. The workers start once the monitors have synced,
// or after one resync period at the latest, as upstream.
func (c *Controller) Run(ctx context.Context) error {
	if !c.started.CompareAndSwap(false, true) {
		return errors.New("garbage collector: Run may be called only once")
	}
	defer utilruntime.HandleCrashWithContext(ctx)
	logger := klog.FromContext(ctx).WithName(ControllerName)
	ctx = klog.NewContext(ctx, logger)
	logger.Info("Starting controller", "controller", ControllerName)

	// Without a caller's broadcaster (and unless a test swapped the recorder),
	// events are only logged: there is no typed client to write them with.
	// Set before the graph builder starts, the only reader of the recorder.
	if _, nop := c.graph.eventRecorder.(controllerutil.NopRecorder); c.broadcaster == nil && nop {
		b := record.NewBroadcaster(record.WithContext(ctx))
		b.StartStructuredLogging(3)
		defer b.Shutdown()
		c.graph.eventRecorder = b.NewRecorder(scheme.Scheme, corev1.EventSource{Component: ControllerName})
	}

	var wg sync.WaitGroup
	defer func() {
		logger.Info("Shutting down controller", "controller", ControllerName)
		c.graph.graphChanges.ShutDown()
		c.attemptToOrphan.ShutDown()
		c.attemptToDelete.ShutDown()
		wg.Wait()
	}()

	wg.Go(func() { c.graph.run(ctx) })
	wg.Go(func() { c.resyncLoop(ctx) })

	syncCtx, cancel := c.withClockTimeout(ctx, c.syncPeriod)
	synced := cache.WaitForNamedCacheSyncWithContext(syncCtx, func() bool { return c.graph.isSynced(logger) })
	cancel()
	if ctx.Err() != nil {
		return nil
	}
	if synced {
		logger.Info("All resource monitors have synced")
		c.markReady()
	} else {
		logger.Info("Not all resource monitors could be synced, proceeding anyways")
	}
	logger.Info("Proceeding to collect garbage")

	for range c.workers {
		wg.Go(func() {
			for c.processAttemptToDeleteWorker(ctx) {
			}
		})
		wg.Go(func() {
			for c.processAttemptToOrphanWorker(ctx) {
			}
		})
	}
	<-ctx.Done()
	return nil
}

// withClockTimeout is context.WithTimeout on the injected clock.
func (c *Controller) withClockTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	t := c.clock.NewTimer(d)
	go func() {
		defer t.Stop()
		select {
		case <-t.C():
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

// resyncLoop is upstream's Sync: every period it reads discovery and, when
// the deletable resources changed, resets the REST mapper and makes the
// monitors match.
func (c *Controller) resyncLoop(ctx context.Context) {
	oldResources := make(map[schema.GroupVersionResource]struct{})
	for {
		if changed := c.resync(ctx, oldResources); changed != nil {
			oldResources = changed
		}
		t := c.clock.NewTimer(c.syncPeriod)
		if c.onResyncWait != nil {
			c.onResyncWait()
		}
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C():
		}
	}
}

// resync does one discovery round; it returns the resources now monitored,
// or nil if nothing changed or the round failed.
func (c *Controller) resync(ctx context.Context, oldResources map[schema.GroupVersionResource]struct{}) map[schema.GroupVersionResource]struct{} {
	logger := klog.FromContext(ctx)
	newResources, err := deletableResources(ctx, c.discovery)
	if len(newResources) == 0 {
		logger.V(2).Info("No resources reported by discovery, skipping garbage collector sync")
		return nil
	}
	if groupLookupFailures, isLookupFailure := discovery.GroupDiscoveryFailedErrorGroups(err); isLookupFailure {
		// Keep the synced monitors of groups that failed discovery this time,
		// rather than drop them and rebuild later.
		for k, v := range oldResources {
			if _, failed := groupLookupFailures[k.GroupVersion()]; failed && c.graph.isResourceSynced(k) {
				newResources[k] = v
			}
		}
	}
	if maps.Equal(oldResources, newResources) {
		logger.V(5).Info("No resource updates from discovery, skipping garbage collector sync")
		return nil
	}
	logger.V(2).Info("Syncing garbage collector with updated resources from discovery", "diff", printDiff(oldResources, newResources))

	// Resetting the mapper makes it re-read discovery, so that owners of new
	// types can be mapped.
	c.restMapper.Reset()
	logger.V(4).Info("Reset restmapper")

	if err := c.graph.syncMonitors(logger, newResources); err != nil {
		utilruntime.HandleErrorWithContext(ctx, err, "Failed to sync resource monitors")
		return nil
	}
	c.graph.startMonitors(logger)
	logger.V(4).Info("Resynced monitors")

	// The workers do not wait for this; it is for the logs and Ready.
	syncCtx, cancel := c.withClockTimeout(ctx, c.syncPeriod)
	defer cancel()
	if cache.WaitForNamedCacheSyncWithContext(syncCtx, func() bool { return c.graph.isSynced(logger) }) {
		logger.V(2).Info("Synced garbage collector")
		c.markReady()
	} else if ctx.Err() == nil {
		utilruntime.HandleErrorWithContext(ctx, errors.New("timed out waiting for dependency graph builder sync during GC sync"), "Monitors not synced")
	}
	// Monitors that timed out are still tracked, so that the next round
	// stops them if their resources went away.
	return newResources
}

// printDiff summarizes the resources added and removed.
func printDiff(oldResources, newResources map[schema.GroupVersionResource]struct{}) string {
	var added, removed []string
	for r := range oldResources {
		if _, ok := newResources[r]; !ok {
			removed = append(removed, r.String())
		}
	}
	for r := range newResources {
		if _, ok := oldResources[r]; !ok {
			added = append(added, r.String())
		}
	}
	slices.Sort(added)
	slices.Sort(removed)
	return fmt.Sprintf("added: %v, removed: %v", added, removed)
}

type workQueueItemAction int

const (
	requeueItem workQueueItemAction = iota
	forgetItem
)

func (c *Controller) processAttemptToDeleteWorker(ctx context.Context) bool {
	item, quit := c.attemptToDelete.Get()
	if quit {
		return false
	}
	defer c.attemptToDelete.Done(item)

	action := c.attemptToDeleteWorker(ctx, item)
	switch action {
	case forgetItem:
		c.attemptToDelete.Forget(item)
	case requeueItem:
		c.attemptToDelete.AddRateLimited(item)
	}
	if c.onDeleteHandled != nil {
		c.onDeleteHandled(item, action)
	}
	return true
}

func (c *Controller) attemptToDeleteWorker(ctx context.Context, n *node) workQueueItemAction {
	logger := klog.FromContext(ctx)

	if !n.isObserved() {
		nodeFromGraph, existsInGraph := c.graph.uidToNode.Read(n.identity.UID)
		if !existsInGraph {
			// A requeued virtual node whose object's deletion was observed
			// meanwhile.
			logger.V(5).Info("Item no longer in the graph, skipping attemptToDeleteItem", "item", n.identity)
			return forgetItem
		}
		if nodeFromGraph.isObserved() {
			// A requeued virtual node whose object was observed meanwhile.
			logger.V(5).Info("Item no longer virtual in the graph, skipping attemptToDeleteItem on virtual node", "item", n.identity)
			return forgetItem
		}
	}

	err := c.attemptToDeleteItem(ctx, n)
	var mappingErr *restMappingError
	switch {
	case errors.Is(err, errEnqueuedVirtualDeleteEvent):
		// The graph builder takes it from here.
		return forgetItem
	case errors.Is(err, errNamespacedOwnerOfClusterScopedObject):
		// Invalid, and retrying cannot fix it.
		return forgetItem
	case errors.As(err, &mappingErr):
		// A type discovery has not caught up with yet, or a bogus reference;
		// the two cannot be told apart until the next resync, so retry.
		logger.V(5).Info("Error syncing item", "item", n.identity, "err", err)
		return requeueItem
	case err != nil:
		utilruntime.HandleErrorWithContext(ctx, err, "Error syncing item", "item", n.identity)
		return requeueItem
	case !n.isObserved():
		// Keep polling a virtual node until it is observed or found absent:
		// otherwise one created and deleted while a watch was re-established
		// could stay in the graph forever (kubernetes#56121).
		logger.V(5).Info("Item hasn't been observed via informer yet", "item", n.identity)
		return requeueItem
	}
	return forgetItem
}

// isDangling reports whether reference, found on item, names an object that
// does not exist; when it asked the apiserver, it also returns the owner.
func (c *Controller) isDangling(ctx context.Context, reference metav1.OwnerReference, item *node) (dangling bool, owner *metav1.PartialObjectMetadata, err error) {
	logger := klog.FromContext(ctx)

	// The owner may be recorded absent as cluster-scoped...
	absentOwnerCacheKey := objectReference{OwnerReference: ownerReferenceCoordinates(reference)}
	if c.absentOwnerCache.Has(absentOwnerCacheKey) {
		logger.V(5).Info("According to the absentOwnerCache, item's owner does not exist", "item", item.identity, "owner", reference)
		return true, nil, nil
	}
	// ...or in item's namespace.
	absentOwnerCacheKey.Namespace = item.identity.Namespace
	if c.absentOwnerCache.Has(absentOwnerCacheKey) {
		logger.V(5).Info("According to the absentOwnerCache, item's owner does not exist in namespace", "item", item.identity, "owner", reference)
		return true, nil, nil
	}

	resource, namespaced, err := c.apiResource(reference.APIVersion, reference.Kind)
	if err != nil {
		return false, nil, err
	}
	if !namespaced {
		absentOwnerCacheKey.Namespace = ""
	}
	if len(item.identity.Namespace) == 0 && namespaced {
		logger.V(2).Info("Item is cluster-scoped, but refers to a namespaced owner", "item", item.identity, "owner", reference)
		return false, nil, errNamespacedOwnerOfClusterScopedObject
	}

	// A live GET, not the graph: the graph may lag behind, and deleting a
	// dependent on a stale view is not undoable.
	owner, err = c.metadataClient.Resource(resource).Namespace(resourceDefaultNamespace(namespaced, item.identity.Namespace)).Get(ctx, reference.Name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		c.absentOwnerCache.Add(absentOwnerCacheKey)
		logger.V(5).Info("Item's owner is not found", "item", item.identity, "owner", reference)
		return true, nil, nil
	case err != nil:
		return false, nil, err
	}
	if owner.GetUID() != reference.UID {
		// Same name, another object: the one referenced is gone.
		logger.V(5).Info("Item's owner is not found, UID mismatch", "item", item.identity, "owner", reference)
		c.absentOwnerCache.Add(absentOwnerCacheKey)
		return true, nil, nil
	}
	return false, owner, nil
}

// classifyReferences sorts item's owner references into solid (the owner
// exists and is not deleting its dependents in foreground), dangling (the
// owner does not exist) and waitingForDependentsDeletion (the owner exists,
// has a deletionTimestamp and the foregroundDeletion finalizer).
func (c *Controller) classifyReferences(ctx context.Context, item *node, latestReferences []metav1.OwnerReference) (solid, dangling, waitingForDependentsDeletion []metav1.OwnerReference, err error) {
	for _, reference := range latestReferences {
		isDangling, owner, err := c.isDangling(ctx, reference, item)
		if err != nil {
			return nil, nil, nil, err
		}
		if isDangling {
			dangling = append(dangling, reference)
			continue
		}
		if owner.GetDeletionTimestamp() != nil && hasDeleteDependentsFinalizer(owner) {
			waitingForDependentsDeletion = append(waitingForDependentsDeletion, reference)
		} else {
			solid = append(solid, reference)
		}
	}
	return solid, dangling, waitingForDependentsDeletion, nil
}

func ownerRefsToUIDs(refs []metav1.OwnerReference) []types.UID {
	ret := make([]types.UID, 0, len(refs))
	for _, ref := range refs {
		ret = append(ret, ref.UID)
	}
	return ret
}

// attemptToDeleteItem reads item from the apiserver and deletes it if its
// uid matches, it is not waiting for its own dependents, and all its owners
// are gone; it removes the dangling references of an item some owner still
// holds. When the object is not found, or has another uid, it queues a
// virtual delete event and returns errEnqueuedVirtualDeleteEvent.
func (c *Controller) attemptToDeleteItem(ctx context.Context, item *node) error {
	logger := klog.FromContext(ctx)
	logger.V(2).Info("Processing item", "item", item.identity, "virtual", !item.isObserved())

	// A deletion in progress goes one way; its dependents are handled when
	// it completes.
	if item.isBeingDeleted() && !item.isDeletingDependents() {
		logger.V(5).Info("Processing item returned at once, because its DeletionTimestamp is non-nil", "item", item.identity)
		return nil
	}

	latest, err := c.getObject(ctx, item.identity)
	switch {
	case apierrors.IsNotFound(err):
		// Virtual nodes are created for owners that may not exist: remove
		// this one from the graph.
		logger.V(5).Info("Item not found, generating a virtual delete event", "item", item.identity)
		c.graph.enqueueVirtualDeleteEvent(item.identity)
		return errEnqueuedVirtualDeleteEvent
	case err != nil:
		return err
	}
	if latest.GetUID() != item.identity.UID {
		logger.V(5).Info("UID doesn't match, item not found, generating a virtual delete event", "item", item.identity)
		c.graph.enqueueVirtualDeleteEvent(item.identity)
		return errEnqueuedVirtualDeleteEvent
	}

	if item.isDeletingDependents() {
		return c.processDeletingDependentsItem(ctx, logger, item)
	}

	ownerReferences := latest.GetOwnerReferences()
	if len(ownerReferences) == 0 {
		logger.V(2).Info("Item doesn't have an owner, continue on next item", "item", item.identity)
		return nil
	}

	solid, dangling, waitingForDependentsDeletion, err := c.classifyReferences(ctx, item, ownerReferences)
	if err != nil {
		return err
	}
	logger.V(5).Info("Classify item's references", "item", item.identity,
		"solid", solid, "dangling", dangling, "waitingForDependentsDeletion", waitingForDependentsDeletion)

	switch {
	case len(solid) != 0:
		logger.V(2).Info("Item has at least one existing owner, will not garbage collect", "item", item.identity, "owner", solid)
		if len(dangling) == 0 && len(waitingForDependentsDeletion) == 0 {
			return nil
		}
		logger.V(2).Info("Remove dangling references and waiting references for item", "item", item.identity,
			"dangling", dangling, "waitingForDependentsDeletion", waitingForDependentsDeletion)
		// References to owners deleting in foreground go too: otherwise those
		// owners would wait for this item forever.
		ownerUIDs := append(ownerRefsToUIDs(dangling), ownerRefsToUIDs(waitingForDependentsDeletion)...)
		p, err := deleteOwnerRefStrategicMergePatch(item.identity.UID, ownerUIDs...)
		if err != nil {
			return err
		}
		_, err = c.patch(ctx, item, p, func(ctx context.Context, n *node) ([]byte, error) {
			return c.deleteOwnerRefJSONMergePatch(ctx, n, ownerUIDs...)
		})
		return err

	case len(waitingForDependentsDeletion) != 0 && item.dependentsLength() != 0:
		for _, dep := range item.getDependents() {
			if dep.isDeletingDependents() {
				// Breaks a potential cycle of foreground deletions: unblock
				// our owners, then delete in foreground ourselves. The
				// detection has false positives and races between workers,
				// as upstream's.
				logger.V(2).Info("Processing item, some of its owners and its dependent have FinalizerDeletingDependents, to prevent potential cycle, its ownerReferences are going to be modified to be non-blocking, then the item is going to be deleted with Foreground",
					"item", item.identity, "dependent", dep.identity)
				patch, err := item.unblockOwnerReferencesStrategicMergePatch()
				if err != nil {
					return err
				}
				if _, err := c.patch(ctx, item, patch, c.unblockOwnerReferencesJSONMergePatch); err != nil {
					return err
				}
				break
			}
		}
		logger.V(2).Info("At least one owner of item has FinalizerDeletingDependents, and the item itself has dependents, so it is going to be deleted in Foreground",
			"item", item.identity)
		// Its own deletion event brings it back to processDeletingDependentsItem.
		policy := metav1.DeletePropagationForeground
		err := c.deleteObject(ctx, item.identity, latest.ResourceVersion, latest.OwnerReferences, &policy)
		if apierrors.IsNotFound(err) {
			c.graph.enqueueVirtualDeleteEvent(item.identity)
			return errEnqueuedVirtualDeleteEvent
		}
		return err

	default:
		// No solid owner: garbage. A propagation finalizer already on the
		// object is honoured; otherwise background.
		var policy metav1.DeletionPropagation
		switch {
		case hasOrphanFinalizer(latest):
			policy = metav1.DeletePropagationOrphan
		case hasDeleteDependentsFinalizer(latest):
			policy = metav1.DeletePropagationForeground
		default:
			policy = metav1.DeletePropagationBackground
		}
		logger.V(2).Info("Deleting item", "item", item.identity, "propagationPolicy", policy)
		err := c.deleteObject(ctx, item.identity, latest.ResourceVersion, latest.OwnerReferences, &policy)
		if apierrors.IsNotFound(err) {
			c.graph.enqueueVirtualDeleteEvent(item.identity)
			return errEnqueuedVirtualDeleteEvent
		}
		return err
	}
}

// processDeletingDependentsItem handles an owner deleting in foreground: it
// removes the foregroundDeletion finalizer once no dependent blocks it, and
// otherwise queues the blocking dependents for deletion.
func (c *Controller) processDeletingDependentsItem(ctx context.Context, logger klog.Logger, item *node) error {
	blockingDependents := item.blockingDependents()
	if len(blockingDependents) == 0 {
		logger.V(2).Info("Remove DeleteDependents finalizer for item", "item", item.identity)
		return c.removeFinalizer(ctx, logger, item, metav1.FinalizerDeleteDependents)
	}
	for _, dep := range blockingDependents {
		if !dep.isDeletingDependents() {
			logger.V(2).Info("Adding dependent to attemptToDelete, because its owner is deletingDependents",
				"item", item.identity, "dependent", dep.identity)
			c.attemptToDelete.Add(dep)
		}
	}
	return nil
}

// orphanDependents removes the references to owner from dependents, in
// parallel.
func (c *Controller) orphanDependents(ctx context.Context, logger klog.Logger, owner objectReference, dependents []*node) error {
	errs := make([]error, len(dependents))
	var wg sync.WaitGroup
	for i, dependent := range dependents {
		wg.Go(func() {
			// dependent.identity.UID is the precondition.
			p, err := deleteOwnerRefStrategicMergePatch(dependent.identity.UID, owner.UID)
			if err != nil {
				errs[i] = fmt.Errorf("orphaning %s: %w", dependent.identity, err)
				return
			}
			_, err = c.patch(ctx, dependent, p, func(ctx context.Context, n *node) ([]byte, error) {
				return c.deleteOwnerRefJSONMergePatch(ctx, n, owner.UID)
			})
			// A strategic merge patch deleting a reference that is not there
			// succeeds; a dependent that is gone needs nothing.
			if err != nil && !apierrors.IsNotFound(err) {
				errs[i] = fmt.Errorf("orphaning %s: %w", dependent.identity, err)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("failed to orphan dependents of owner %s: %w", owner, err)
	}
	logger.V(5).Info("Successfully updated all dependents", "owner", owner)
	return nil
}

func (c *Controller) processAttemptToOrphanWorker(ctx context.Context) bool {
	item, quit := c.attemptToOrphan.Get()
	if quit {
		return false
	}
	defer c.attemptToOrphan.Done(item)

	action := c.attemptToOrphanWorker(ctx, item)
	switch action {
	case forgetItem:
		c.attemptToOrphan.Forget(item)
	case requeueItem:
		c.attemptToOrphan.AddRateLimited(item)
	}
	if c.onOrphanHandled != nil {
		c.onOrphanHandled(item, action)
	}
	return true
}

// attemptToOrphanWorker removes owner from the ownerReferences of all its
// dependents in the graph, then removes its orphan finalizer.
func (c *Controller) attemptToOrphanWorker(ctx context.Context, owner *node) workQueueItemAction {
	logger := klog.FromContext(ctx)
	if err := c.orphanDependents(ctx, logger, owner.identity, owner.getDependents()); err != nil {
		utilruntime.HandleErrorWithContext(ctx, err, "orphanDependents failed", "owner", owner.identity)
		return requeueItem
	}
	if err := c.removeFinalizer(ctx, logger, owner, metav1.FinalizerOrphanDependents); err != nil {
		utilruntime.HandleErrorWithContext(ctx, err, "removeOrphanFinalizer failed", "owner", owner.identity)
		return requeueItem
	}
	return forgetItem
}
