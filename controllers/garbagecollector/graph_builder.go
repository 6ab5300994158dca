package garbagecollector

// Port of pkg/controller/garbagecollector/graph_builder.go. Differences:
// each monitor is an informer of its own (metadatainformer) instead of one
// from kube-controller-manager's shared factory, so that a monitor of a
// resource that disappeared from discovery can be stopped alone; and the
// informers drop managedFields, which the garbage collector never reads.

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/metadata/metadatainformer"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
)

type eventType int

func (e eventType) String() string {
	switch e {
	case addEvent:
		return "add"
	case updateEvent:
		return "update"
	case deleteEvent:
		return "delete"
	default:
		return fmt.Sprintf("unknown(%d)", int(e))
	}
}

const (
	addEvent eventType = iota
	updateEvent
	deleteEvent
)

// event is one change the graph builder applies to the graph.
type event struct {
	// virtual events do not come from an informer: a worker found that the
	// object of a node does not exist (or has another uid).
	virtual   bool
	eventType eventType
	obj       any
	// oldObj is set on updates, to detect the start of a deletion.
	oldObj any
	gvk    schema.GroupVersionKind
}

// monitor watches one resource.
type monitor struct {
	informer cache.SharedIndexInformer
	// cancel stops the informer; nil until the monitor is started.
	cancel context.CancelFunc
}

type monitors map[schema.GroupVersionResource]*monitor

// graphBuilder turns informer events into the dependency graph (uidToNode)
// and feeds the attemptToDelete and attemptToOrphan queues. processGraphChanges
// runs on a single goroutine, the only writer of the graph, so that the
// graph is always at least as new as any item it queues.
type graphBuilder struct {
	restMapper     meta.RESTMapper
	metadataClient metadata.Interface

	monitorLock sync.RWMutex
	monitors    monitors
	monitorWG   sync.WaitGroup
	// runCtx is the context monitors run under; set by run, and running is
	// true between run's start and its shutdown. Both under monitorLock, so
	// that no monitor starts after stopMonitors.
	runCtx  context.Context
	running bool

	eventRecorder record.EventRecorder

	graphChanges workqueue.TypedRateLimitingInterface[*event]
	uidToNode    *concurrentUIDToNode

	attemptToDelete workqueue.TypedRateLimitingInterface[*node]
	attemptToOrphan workqueue.TypedRateLimitingInterface[*node]
	// absentOwnerCache is shared with the workers.
	absentOwnerCache *referenceCache

	ignoredResources map[schema.GroupResource]struct{}
}

// controllerFor returns an informer for resource whose events go to
// graphChanges as objects of kind.
func (gb *graphBuilder) controllerFor(logger klog.Logger, resource schema.GroupVersionResource, kind schema.GroupVersionKind) (cache.SharedIndexInformer, error) {
	informer := metadatainformer.NewFilteredMetadataInformer(gb.metadataClient, resource, metav1.NamespaceAll, 0, cache.Indexers{}, nil).Informer()
	if err := informer.SetTransform(dropManagedFields); err != nil {
		return nil, fmt.Errorf("setting the transform of the %s informer: %w", resource, err)
	}
	_, err := informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj any) {
			gb.graphChanges.Add(&event{eventType: addEvent, obj: obj, gvk: kind})
		},
		UpdateFunc: func(oldObj, newObj any) {
			// Every update is processed, as upstream does: comparing owners,
			// finalizers and deletionTimestamp here would save little.
			gb.graphChanges.Add(&event{eventType: updateEvent, obj: newObj, oldObj: oldObj, gvk: kind})
		},
		DeleteFunc: func(obj any) {
			if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = d.Obj
			}
			gb.graphChanges.Add(&event{eventType: deleteEvent, obj: obj, gvk: kind})
		},
	})
	if err != nil {
		return nil, fmt.Errorf("adding the event handler of the %s informer: %w", resource, err)
	}
	logger.V(4).Info("Created a monitor", "resource", resource, "kind", kind)
	return informer, nil
}

// dropManagedFields trims what the informers keep: the graph needs only
// identity, owners, finalizers and deletionTimestamp, and managedFields are
// most of the size of a metadata-only object.
func dropManagedFields(obj any) (any, error) {
	if m, ok := obj.(*metav1.PartialObjectMetadata); ok && m.ManagedFields != nil {
		// Informer objects are ours until stored; no other reader has them yet.
		m.ManagedFields = nil
	}
	return obj, nil
}

// syncMonitors makes the monitor set match resources, minus the ignored
// ones: monitors of resources no longer listed are stopped, new ones are
// created but not started (startMonitors does that). It tries every resource
// and returns the errors of those it could not monitor.
func (gb *graphBuilder) syncMonitors(logger klog.Logger, resources map[schema.GroupVersionResource]struct{}) error {
	gb.monitorLock.Lock()
	defer gb.monitorLock.Unlock()

	toRemove := gb.monitors
	if toRemove == nil {
		toRemove = monitors{}
	}
	current := monitors{}
	var errs []error
	kept, added := 0, 0
	for resource := range resources {
		if _, ok := gb.ignoredResources[resource.GroupResource()]; ok {
			continue
		}
		if m, ok := toRemove[resource]; ok {
			current[resource] = m
			delete(toRemove, resource)
			kept++
			continue
		}
		kind, err := gb.restMapper.KindFor(resource)
		if err != nil {
			errs = append(errs, fmt.Errorf("looking up the kind of resource %q: %w", resource, err))
			continue
		}
		informer, err := gb.controllerFor(logger, resource, kind)
		if err != nil {
			errs = append(errs, fmt.Errorf("creating the monitor of resource %q: %w", resource, err))
			continue
		}
		current[resource] = &monitor{informer: informer}
		added++
	}
	gb.monitors = current

	for _, m := range toRemove {
		if m.cancel != nil {
			m.cancel()
		}
	}
	logger.V(4).Info("Synced monitors", "added", added, "kept", kept, "removed", len(toRemove))
	return errors.Join(errs...)
}

// startMonitors starts the monitors not yet running. Before run it does
// nothing: there is no context to run them under yet.
func (gb *graphBuilder) startMonitors(logger klog.Logger) {
	gb.monitorLock.Lock()
	defer gb.monitorLock.Unlock()
	if !gb.running {
		return
	}
	started := 0
	for _, m := range gb.monitors {
		if m.cancel != nil {
			continue
		}
		ctx, cancel := context.WithCancel(gb.runCtx)
		m.cancel = cancel
		informer := m.informer
		gb.monitorWG.Go(func() { informer.RunWithContext(ctx) })
		started++
	}
	logger.V(4).Info("Started new monitors", "new", started, "current", len(gb.monitors))
}

// stopMonitors stops every monitor and waits for them; run calls it after
// clearing running, so none can start again.
func (gb *graphBuilder) stopMonitors(logger klog.Logger) {
	var total, stopped int
	func() {
		gb.monitorLock.Lock()
		defer gb.monitorLock.Unlock()
		total = len(gb.monitors)
		for _, m := range gb.monitors {
			if m.cancel != nil {
				stopped++
				m.cancel()
			}
		}
		gb.monitors = nil
	}()
	gb.monitorWG.Wait()
	logger.Info("Stopped monitors", "stopped", stopped, "total", total)
}

// isResourceSynced reports whether resource has a monitor that has synced.
func (gb *graphBuilder) isResourceSynced(resource schema.GroupVersionResource) bool {
	gb.monitorLock.RLock()
	defer gb.monitorLock.RUnlock()
	m, ok := gb.monitors[resource]
	return ok && m.informer.HasSynced()
}

// isSynced reports whether there are monitors and all have synced. It can go
// from true back to false when discovery brings new resources.
func (gb *graphBuilder) isSynced(logger klog.Logger) bool {
	gb.monitorLock.RLock()
	defer gb.monitorLock.RUnlock()
	if len(gb.monitors) == 0 {
		logger.V(4).Info("Garbage collector monitors not synced: no monitors")
		return false
	}
	for resource, m := range gb.monitors {
		if !m.informer.HasSynced() {
			logger.V(4).Info("Garbage collector monitor not yet synced", "resource", resource)
			return false
		}
	}
	return true
}

// run starts the monitors and processes graph changes until graphChanges is
// shut down, then stops the monitors.
func (gb *graphBuilder) run(ctx context.Context) {
	defer utilruntime.HandleCrashWithContext(ctx)
	logger := klog.FromContext(ctx)
	logger.Info("Running", "component", "GraphBuilder")
	defer logger.Info("Stopping", "component", "GraphBuilder")

	gb.monitorLock.Lock()
	gb.runCtx = ctx
	gb.running = true
	gb.monitorLock.Unlock()

	gb.startMonitors(logger)
	for gb.processGraphChanges(logger) {
	}

	gb.monitorLock.Lock()
	gb.running = false
	gb.monitorLock.Unlock()
	gb.stopMonitors(logger)
}

// enqueueVirtualDeleteEvent tells the graph that the object of ref was found
// absent by a worker.
func (gb *graphBuilder) enqueueVirtualDeleteEvent(ref objectReference) {
	gv, _ := schema.ParseGroupVersion(ref.APIVersion)
	gb.graphChanges.Add(&event{
		virtual:   true,
		eventType: deleteEvent,
		gvk:       gv.WithKind(ref.Kind),
		obj: &metav1.PartialObjectMetadata{
			TypeMeta:   metav1.TypeMeta{APIVersion: ref.APIVersion, Kind: ref.Kind},
			ObjectMeta: metav1.ObjectMeta{Namespace: ref.Namespace, UID: ref.UID, Name: ref.Name},
		},
	})
}

// addDependentToOwners adds n to the dependents of owners. An owner not in
// the graph gets a virtual node, queued to attemptToDelete so that a worker
// asks the apiserver whether it exists. A reference that disagrees with an
// observed owner (another namespace, other coordinates) queues n itself, to
// check whether the reference dangles.
func (gb *graphBuilder) addDependentToOwners(logger klog.Logger, n *node, owners []metav1.OwnerReference) {
	hasPotentiallyInvalidOwnerReference := false

	for _, owner := range owners {
		ownerNode, ok := gb.uidToNode.Read(owner.UID)
		if !ok {
			ownerNode = &node{
				identity: objectReference{
					OwnerReference: ownerReferenceCoordinates(owner),
					Namespace:      n.identity.Namespace,
				},
				dependents: make(map[*node]struct{}),
				virtual:    true,
			}
			logger.V(5).Info("Add virtual item", "identity", ownerNode.identity)
			gb.uidToNode.Write(ownerNode)
		}
		ownerNode.addDependent(n)
		if !ok {
			gb.attemptToDelete.Add(ownerNode)
		} else if !hasPotentiallyInvalidOwnerReference {
			ownerIsNamespaced := len(ownerNode.identity.Namespace) > 0
			if ownerIsNamespaced && ownerNode.identity.Namespace != n.identity.Namespace {
				if ownerNode.isObserved() {
					// Namespaced owners can only own objects of their own
					// namespace: this reference is certainly wrong.
					logger.V(2).Info("Item references an owner but does not match namespaces", "item", n.identity, "owner", ownerNode.identity)
					gb.reportInvalidNamespaceOwnerRef(n, owner.UID)
				}
				hasPotentiallyInvalidOwnerReference = true
			} else if !ownerReferenceMatchesCoordinates(owner, ownerNode.identity.OwnerReference) {
				if ownerNode.isObserved() {
					logger.V(2).Info("Item references an owner with coordinates that do not match the observed identity", "item", n.identity, "owner", ownerNode.identity)
				}
				hasPotentiallyInvalidOwnerReference = true
			} else if !ownerIsNamespaced && ownerNode.identity.Namespace != n.identity.Namespace && !ownerNode.isObserved() {
				// A virtual cluster-scoped owner from another namespace may be
				// a namespaced type wrongly referenced by a cluster-scoped
				// object (kubernetes#98040): verify n's references.
				hasPotentiallyInvalidOwnerReference = true
			}
		}
	}

	if hasPotentiallyInvalidOwnerReference {
		gb.attemptToDelete.Add(n)
	}
}

func (gb *graphBuilder) reportInvalidNamespaceOwnerRef(n *node, invalidOwnerUID types.UID) {
	var invalidOwnerRef metav1.OwnerReference
	found := false
	for _, ownerRef := range n.getOwners() {
		if ownerRef.UID == invalidOwnerUID {
			invalidOwnerRef = ownerRef
			found = true
			break
		}
	}
	if !found {
		return
	}
	ref := &corev1.ObjectReference{
		Kind:       n.identity.Kind,
		APIVersion: n.identity.APIVersion,
		Namespace:  n.identity.Namespace,
		Name:       n.identity.Name,
		UID:        n.identity.UID,
	}
	invalidIdentity := objectReference{
		OwnerReference: ownerReferenceCoordinates(invalidOwnerRef),
		Namespace:      n.identity.Namespace,
	}
	gb.eventRecorder.Eventf(ref, corev1.EventTypeWarning, EventOwnerRefInvalidNamespace,
		"ownerRef %s does not exist in namespace %q", invalidIdentity, n.identity.Namespace)
}

// insertNode adds n to the graph and to the dependents of its owners.
func (gb *graphBuilder) insertNode(logger klog.Logger, n *node) {
	gb.uidToNode.Write(n)
	gb.addDependentToOwners(logger, n, n.getOwners())
}

// removeDependentFromOwners removes n from the dependents of owners.
func (gb *graphBuilder) removeDependentFromOwners(n *node, owners []metav1.OwnerReference) {
	for _, owner := range owners {
		ownerNode, ok := gb.uidToNode.Read(owner.UID)
		if !ok {
			continue
		}
		ownerNode.deleteDependent(n)
	}
}

// removeNode removes n from the graph and from the dependents of its owners.
func (gb *graphBuilder) removeNode(n *node) {
	gb.uidToNode.Delete(n.identity.UID)
	gb.removeDependentFromOwners(n, n.getOwners())
}

type ownerRefPair struct {
	oldRef metav1.OwnerReference
	newRef metav1.OwnerReference
}

// referencesDiffs compares two lists of owner references by uid.
func referencesDiffs(oldRefs, newRefs []metav1.OwnerReference) (added, removed []metav1.OwnerReference, changed []ownerRefPair) {
	oldUIDToRef := make(map[types.UID]metav1.OwnerReference, len(oldRefs))
	for _, value := range oldRefs {
		oldUIDToRef[value.UID] = value
	}
	seen := make(map[types.UID]bool, len(newRefs))
	for _, value := range newRefs {
		oldRef, ok := oldUIDToRef[value.UID]
		if ok && !seen[value.UID] {
			if !reflect.DeepEqual(oldRef, value) {
				changed = append(changed, ownerRefPair{oldRef: oldRef, newRef: value})
			}
			seen[value.UID] = true
		} else {
			added = append(added, value)
		}
	}
	for _, value := range oldRefs {
		if !seen[value.UID] {
			removed = append(removed, oldUIDToRef[value.UID])
			seen[value.UID] = true
		}
	}
	return added, removed, changed
}

// deletionStartsWithFinalizer reports whether newAccessor is being deleted
// with matchingFinalizer and oldObj was not (or did not have it).
func deletionStartsWithFinalizer(oldObj any, newAccessor metav1.Object, matchingFinalizer string) bool {
	if !beingDeleted(newAccessor) || !hasFinalizer(newAccessor, matchingFinalizer) {
		return false
	}
	if oldObj == nil {
		return true
	}
	oldAccessor, err := meta.Accessor(oldObj)
	if err != nil {
		utilruntime.HandleError(fmt.Errorf("cannot access oldObj: %w", err))
		return false
	}
	return !beingDeleted(oldAccessor) || !hasFinalizer(oldAccessor, matchingFinalizer)
}

func beingDeleted(accessor metav1.Object) bool {
	return accessor.GetDeletionTimestamp() != nil
}

func hasDeleteDependentsFinalizer(accessor metav1.Object) bool {
	return hasFinalizer(accessor, metav1.FinalizerDeleteDependents)
}

func hasOrphanFinalizer(accessor metav1.Object) bool {
	return hasFinalizer(accessor, metav1.FinalizerOrphanDependents)
}

func hasFinalizer(accessor metav1.Object, matchingFinalizer string) bool {
	return slices.Contains(accessor.GetFinalizers(), matchingFinalizer)
}

func startsWaitingForDependentsDeleted(oldObj any, newAccessor metav1.Object) bool {
	return deletionStartsWithFinalizer(oldObj, newAccessor, metav1.FinalizerDeleteDependents)
}

func startsWaitingForDependentsOrphaned(oldObj any, newAccessor metav1.Object) bool {
	return deletionStartsWithFinalizer(oldObj, newAccessor, metav1.FinalizerOrphanDependents)
}

// addUnblockedOwnersToDeleteQueue queues the owners a dependent stopped
// blocking (reference removed, or blockOwnerDeletion cleared), so that a
// foreground deletion waiting on it can finish.
func (gb *graphBuilder) addUnblockedOwnersToDeleteQueue(logger klog.Logger, removed []metav1.OwnerReference, changed []ownerRefPair) {
	for _, ref := range removed {
		if ref.BlockOwnerDeletion != nil && *ref.BlockOwnerDeletion {
			n, found := gb.uidToNode.Read(ref.UID)
			if !found {
				logger.V(5).Info("Cannot find uid in uidToNode", "uid", ref.UID)
				continue
			}
			gb.attemptToDelete.Add(n)
		}
	}
	for _, c := range changed {
		wasBlocked := c.oldRef.BlockOwnerDeletion != nil && *c.oldRef.BlockOwnerDeletion
		isUnblocked := c.newRef.BlockOwnerDeletion == nil || !*c.newRef.BlockOwnerDeletion
		if wasBlocked && isUnblocked {
			n, found := gb.uidToNode.Read(c.newRef.UID)
			if !found {
				logger.V(5).Info("Cannot find uid in uidToNode", "uid", c.newRef.UID)
				continue
			}
			gb.attemptToDelete.Add(n)
		}
	}
}

// processTransitions queues n when its deletion with the orphan or the
// foregroundDeletion finalizer starts.
func (gb *graphBuilder) processTransitions(logger klog.Logger, oldObj any, newAccessor metav1.Object, n *node) {
	if startsWaitingForDependentsOrphaned(oldObj, newAccessor) {
		logger.V(5).Info("Add item to attemptToOrphan", "item", n.identity)
		gb.attemptToOrphan.Add(n)
		return
	}
	if startsWaitingForDependentsDeleted(oldObj, newAccessor) {
		logger.V(2).Info("Add item to attemptToDelete, because it's waiting for its dependents to be deleted", "item", n.identity)
		// A node first added as virtual lacks the flag: set it here.
		n.markDeletingDependents()
		for _, dep := range n.getDependents() {
			gb.attemptToDelete.Add(dep)
		}
		gb.attemptToDelete.Add(n)
	}
}

func identityFromEvent(event *event, accessor metav1.Object) objectReference {
	return objectReference{
		OwnerReference: metav1.OwnerReference{
			APIVersion: event.gvk.GroupVersion().String(),
			Kind:       event.gvk.Kind,
			UID:        accessor.GetUID(),
			Name:       accessor.GetName(),
		},
		Namespace: accessor.GetNamespace(),
	}
}

// processGraphChanges applies one event to the graph and queues the items it
// makes worth a look. It returns false once graphChanges is shut down.
func (gb *graphBuilder) processGraphChanges(logger klog.Logger) bool {
	item, quit := gb.graphChanges.Get()
	if quit {
		return false
	}
	defer gb.graphChanges.Done(item)
	event := item
	accessor, err := meta.Accessor(event.obj)
	if err != nil {
		utilruntime.HandleError(fmt.Errorf("cannot access obj: %w", err))
		return true
	}
	logger.V(5).Info("GraphBuilder process object",
		"apiVersion", event.gvk.GroupVersion().String(),
		"kind", event.gvk.Kind,
		"object", klog.KObj(accessor),
		"uid", string(accessor.GetUID()),
		"eventType", event.eventType,
		"virtual", event.virtual,
	)

	existingNode, found := gb.uidToNode.Read(accessor.GetUID())
	if found && !event.virtual && !existingNode.isObserved() {
		// An informer event for a virtual node: the object exists. This relies
		// on graphChanges holding only informer add/update events besides
		// virtual deletes.
		observedIdentity := identityFromEvent(event, accessor)
		if observedIdentity != existingNode.identity {
			// Dependents that named the owner by other coordinates may hold
			// dangling references; the workers check them. This covers "bad
			// child observed before good parent"; addDependentToOwners covers
			// the other order.
			_, potentiallyInvalidDependents := partitionDependents(existingNode.getDependents(), observedIdentity)
			for _, dep := range potentiallyInvalidDependents {
				if len(observedIdentity.Namespace) > 0 && dep.identity.Namespace != observedIdentity.Namespace {
					logger.V(2).Info("Item references an owner but does not match namespaces",
						"item", dep.identity, "owner", observedIdentity)
					gb.reportInvalidNamespaceOwnerRef(dep, observedIdentity.UID)
				}
				gb.attemptToDelete.Add(dep)
			}
			logger.V(2).Info("Replacing virtual item with observed item",
				"virtual", existingNode.identity, "observed", observedIdentity)
			// A copy, so that a worker holding the virtual node keeps a
			// consistent identity.
			existingNode = existingNode.clone()
			existingNode.identity = observedIdentity
			gb.uidToNode.Write(existingNode)
		}
		existingNode.markObserved()
	}

	switch {
	case (event.eventType == addEvent || event.eventType == updateEvent) && !found:
		newNode := &node{
			identity:           identityFromEvent(event, accessor),
			dependents:         make(map[*node]struct{}),
			owners:             accessor.GetOwnerReferences(),
			deletingDependents: beingDeleted(accessor) && hasDeleteDependentsFinalizer(accessor),
			beingDeleted:       beingDeleted(accessor),
		}
		gb.insertNode(logger, newNode)
		// The informer may have folded a creation and the start of a
		// deletion into one event.
		gb.processTransitions(logger, event.oldObj, accessor, newNode)

	case (event.eventType == addEvent || event.eventType == updateEvent) && found:
		added, removed, changed := referencesDiffs(existingNode.getOwners(), accessor.GetOwnerReferences())
		if len(added) != 0 || len(removed) != 0 || len(changed) != 0 {
			gb.addUnblockedOwnersToDeleteQueue(logger, removed, changed)
			existingNode.setOwners(accessor.GetOwnerReferences())
			gb.addDependentToOwners(logger, existingNode, added)
			gb.removeDependentFromOwners(existingNode, removed)
		}
		if beingDeleted(accessor) {
			existingNode.markBeingDeleted()
		}
		gb.processTransitions(logger, event.oldObj, accessor, existingNode)

	case event.eventType == deleteEvent:
		if !found {
			logger.V(5).Info("Item doesn't exist in the graph, this shouldn't happen", "item", accessor.GetUID())
			return true
		}
		gb.processDelete(logger, event, accessor, existingNode)
	}
	return true
}

// processDelete removes a deleted object from the graph and queues its
// dependents (now possibly orphans) and its owners waiting for it.
func (gb *graphBuilder) processDelete(logger klog.Logger, event *event, accessor metav1.Object, existingNode *node) {
	removeExistingNode := true

	if event.virtual {
		// A worker found some coordinates absent; the node may be known by
		// other coordinates too.
		deletedIdentity := identityFromEvent(event, accessor)
		if !existingNode.isObserved() {
			// Our node is virtual as well: we are not sure of its coordinates.
			// Keep it while some dependents name it otherwise.
			if matchingDependents, nonmatchingDependents := partitionDependents(existingNode.getDependents(), deletedIdentity); len(nonmatchingDependents) > 0 {
				removeExistingNode = false
				if len(matchingDependents) > 0 {
					gb.absentOwnerCache.Add(deletedIdentity)
					for _, dep := range matchingDependents {
						gb.attemptToDelete.Add(dep)
					}
				}
				if existingNode.identity == deletedIdentity {
					// Try one of the other identities next.
					if replacementIdentity := getAlternateOwnerIdentity(nonmatchingDependents, deletedIdentity); replacementIdentity != nil {
						replacementNode := existingNode.clone()
						replacementNode.identity = *replacementIdentity
						gb.uidToNode.Write(replacementNode)
						gb.attemptToDelete.AddRateLimited(replacementNode)
					}
				}
			}
		} else if existingNode.identity != deletedIdentity {
			// An observed node is not removed on a virtual event about other
			// coordinates; only the dependents using those are affected.
			removeExistingNode = false
			matchingDependents, _ := partitionDependents(existingNode.getDependents(), deletedIdentity)
			if len(matchingDependents) > 0 {
				gb.absentOwnerCache.Add(deletedIdentity)
				for _, dep := range matchingDependents {
					gb.attemptToDelete.Add(dep)
				}
			}
		}
	}

	if !removeExistingNode {
		return
	}
	gb.removeNode(existingNode)
	dependents := existingNode.getDependents()
	if len(dependents) > 0 {
		gb.absentOwnerCache.Add(identityFromEvent(event, accessor))
	}
	for _, dep := range dependents {
		gb.attemptToDelete.Add(dep)
	}
	for _, owner := range existingNode.getOwners() {
		ownerNode, found := gb.uidToNode.Read(owner.UID)
		if !found || !ownerNode.isDeletingDependents() {
			continue
		}
		// The owner may have been waiting for this dependent only.
		gb.attemptToDelete.Add(ownerNode)
	}
}

// partitionDependents splits dependents into those whose reference to
// matchOwnerIdentity.UID matches all its coordinates and those with a
// reference to that uid that does not; a dependent with several references
// to the uid can be in both.
func partitionDependents(dependents []*node, matchOwnerIdentity objectReference) (matching, nonmatching []*node) {
	ownerIsNamespaced := len(matchOwnerIdentity.Namespace) > 0
	for _, dep := range dependents {
		foundMatch := false
		foundMismatch := false
		if ownerIsNamespaced && matchOwnerIdentity.Namespace != dep.identity.Namespace {
			// A namespaced owner cannot own objects of another namespace.
			foundMismatch = true
		} else {
			for _, ownerRef := range dep.getOwners() {
				if ownerRef.UID == matchOwnerIdentity.UID {
					if ownerReferenceMatchesCoordinates(ownerRef, matchOwnerIdentity.OwnerReference) {
						foundMatch = true
					} else {
						foundMismatch = true
					}
				}
			}
		}
		if foundMatch {
			matching = append(matching, dep)
		}
		if foundMismatch {
			nonmatching = append(nonmatching, dep)
		}
	}
	return matching, nonmatching
}

// referenceLessThan orders references by kind, apiVersion, namespace, name
// and uid, so that alternate identities are tried in a stable order.
func referenceLessThan(a, b objectReference) bool {
	if a.Kind != b.Kind {
		return a.Kind < b.Kind
	}
	if a.APIVersion != b.APIVersion {
		return a.APIVersion < b.APIVersion
	}
	if a.Namespace != b.Namespace {
		return a.Namespace < b.Namespace
	}
	if a.Name != b.Name {
		return a.Name < b.Name
	}
	return a.UID < b.UID
}

// getAlternateOwnerIdentity returns another identity under which deps refer
// to verifiedAbsentIdentity.UID: the first following verifiedAbsentIdentity
// in referenceLessThan order, else the first; nil if there is none.
func getAlternateOwnerIdentity(deps []*node, verifiedAbsentIdentity objectReference) *objectReference {
	absentIdentityIsClusterScoped := len(verifiedAbsentIdentity.Namespace) == 0

	seenAlternates := map[objectReference]bool{verifiedAbsentIdentity: true}
	var first, firstFollowing *objectReference
	for _, dep := range deps {
		for _, ownerRef := range dep.getOwners() {
			if ownerRef.UID != verifiedAbsentIdentity.UID {
				continue
			}
			if ownerReferenceMatchesCoordinates(ownerRef, verifiedAbsentIdentity.OwnerReference) {
				if absentIdentityIsClusterScoped || verifiedAbsentIdentity.Namespace == dep.identity.Namespace {
					continue
				}
			}
			ref := objectReference{OwnerReference: ownerReferenceCoordinates(ownerRef), Namespace: dep.identity.Namespace}
			if absentIdentityIsClusterScoped && ref.APIVersion == verifiedAbsentIdentity.APIVersion && ref.Kind == verifiedAbsentIdentity.Kind {
				// This apiVersion/kind is known to be cluster-scoped.
				ref.Namespace = ""
			}
			if seenAlternates[ref] {
				continue
			}
			seenAlternates[ref] = true
			if first == nil || referenceLessThan(ref, *first) {
				first = &ref
			}
			if referenceLessThan(verifiedAbsentIdentity, ref) && (firstFollowing == nil || referenceLessThan(ref, *firstFollowing)) {
				firstFollowing = &ref
			}
		}
	}
	if firstFollowing != nil {
		return firstFollowing
	}
	return first
}
