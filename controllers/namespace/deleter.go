package namespace

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/client-go/discovery"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/metadata"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"
)

// finalizerEstimateSeconds is the wait assumed for objects that are still
// there because of finalizers (typically the garbage collector's).
const finalizerEstimateSeconds = int64(15)

var podsGVR = schema.GroupVersionResource{Version: "v1", Resource: "pods"}

// ResourcesRemainingError says that content was deleted but some of it is
// still going away; the namespace is looked at again after about half the
// estimate.
type ResourcesRemainingError struct {
	// Estimate is in seconds.
	Estimate int64
}

func (e *ResourcesRemainingError) Error() string {
	return fmt.Sprintf("some content remains in the namespace, estimate %d seconds before it is removed", e.Estimate)
}

// operation is a collection verb whose support is cached per resource.
type operation string

const (
	operationDeleteCollection operation = "deletecollection"
	operationList             operation = "list"
)

type operationKey struct {
	operation operation
	gvr       schema.GroupVersionResource
}

// operationNotSupportedCache remembers the collection verbs a resource does
// not support, from discovery and from 405/404 answers, so that they are not
// tried again on every pass.
type operationNotSupportedCache struct {
	lock sync.RWMutex
	m    map[operationKey]bool
}

func (o *operationNotSupportedCache) isSupported(key operationKey) bool {
	o.lock.RLock()
	defer o.lock.RUnlock()
	return !o.m[key]
}

func (o *operationNotSupportedCache) setNotSupported(key operationKey) {
	o.lock.Lock()
	defer o.lock.Unlock()
	o.m[key] = true
}

// deleter removes all content of a terminating namespace and then its
// "kubernetes" finalizer: upstream's namespacedResourcesDeleter.
type deleter struct {
	nsClient       typedcorev1.NamespaceInterface
	podsGetter     typedcorev1.PodsGetter
	metadataClient metadata.Interface
	discover       DiscoverResourcesFunc
	opCache        *operationNotSupportedCache
	finalizerToken corev1.FinalizerName
	clock          clock.PassiveClock
}

func newDeleter(nsClient typedcorev1.NamespaceInterface, podsGetter typedcorev1.PodsGetter, metadataClient metadata.Interface,
	discover DiscoverResourcesFunc, clk clock.PassiveClock) *deleter {
	return &deleter{
		nsClient:       nsClient,
		podsGetter:     podsGetter,
		metadataClient: metadataClient,
		discover:       discover,
		opCache:        &operationNotSupportedCache{m: map[operationKey]bool{}},
		finalizerToken: corev1.FinalizerKubernetes,
		clock:          clk,
	}
}

// initOpCache fills the operation cache from discovery. Upstream does this in
// the constructor and exits the process when discovery returns nothing at
// all; k1s does it when the controller starts and returns the error instead,
// which stops the cluster through its one shutdown path.
func (d *deleter) initOpCache(ctx context.Context) error {
	logger := klog.FromContext(ctx)
	resources, err := d.discover()
	if err != nil {
		utilruntime.HandleErrorWithContext(ctx, err, "Unable to get all supported resources from server")
	}
	if len(resources) == 0 {
		if err == nil {
			err = errors.New("discovery returned no resources")
		}
		return fmt.Errorf("unable to get any supported resources from server: %w", err)
	}
	for _, rl := range resources {
		gv, err := schema.ParseGroupVersion(rl.GroupVersion)
		if err != nil {
			logger.Error(err, "Failed to parse GroupVersion, skipping", "groupVersion", rl.GroupVersion)
			continue
		}
		for _, r := range rl.APIResources {
			gvr := gv.WithResource(r.Name)
			verbs := sets.New[string](r.Verbs...)
			if !verbs.Has("delete") {
				logger.V(6).Info("Skipping resource because it cannot be deleted", "resource", gvr)
			}
			for _, op := range []operation{operationList, operationDeleteCollection} {
				if !verbs.Has(string(op)) {
					d.opCache.setNotSupported(operationKey{operation: op, gvr: gvr})
				}
			}
		}
	}
	return nil
}

// Delete deletes all content of the namespace nsName if it is being deleted,
// and then removes the controller's finalizer. It returns a
// *ResourcesRemainingError when content is still going away; the caller keeps
// calling until it returns nil.
func (d *deleter) Delete(ctx context.Context, nsName string) error {
	// Several controllers edit a terminating namespace: start from the
	// apiserver's view, not the informer's.
	namespace, err := d.nsClient.Get(ctx, nsName, metav1.GetOptions{})
	if err != nil {
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("getting namespace %s: %w", nsName, err)
	}
	if namespace.DeletionTimestamp == nil {
		return nil
	}
	klog.FromContext(ctx).V(5).Info("Namespace controller - syncNamespace", "namespace", namespace.Name, "finalizerToken", d.finalizerToken)

	namespace, err = d.retryOnConflictError(ctx, namespace, d.updateNamespaceStatusFunc)
	if err != nil {
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("setting namespace %s Terminating: %w", nsName, err)
	}
	if namespace.DeletionTimestamp.IsZero() || finalized(namespace) {
		return nil
	}

	estimate, err := d.deleteAllContent(ctx, namespace)
	if err != nil {
		return err
	}
	if estimate > 0 {
		return &ResourcesRemainingError{Estimate: estimate}
	}

	if _, err := d.retryOnConflictError(ctx, namespace, d.finalizeNamespace); err != nil {
		// Another controller sharing the finalizer token may have finished first.
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("finalizing namespace %s: %w", nsName, err)
	}
	return nil
}

type updateNamespaceFunc func(ctx context.Context, namespace *corev1.Namespace) (*corev1.Namespace, error)

// retryOnConflictError calls fn until it does not conflict, on a fresh copy of
// the namespace each time; a namespace that was deleted and recreated (new
// UID) is an error.
func (d *deleter) retryOnConflictError(ctx context.Context, namespace *corev1.Namespace, fn updateNamespaceFunc) (*corev1.Namespace, error) {
	latest := namespace
	for {
		result, err := fn(ctx, latest)
		if err == nil {
			return result, nil
		}
		if !apierrors.IsConflict(err) {
			return nil, err
		}
		prev := latest
		latest, err = d.nsClient.Get(ctx, latest.Name, metav1.GetOptions{})
		if err != nil {
			return nil, err
		}
		if prev.UID != latest.UID {
			return nil, errors.New("namespace uid has changed across retries")
		}
	}
}

// updateNamespaceStatusFunc sets phase Terminating on a deleted namespace.
func (d *deleter) updateNamespaceStatusFunc(ctx context.Context, namespace *corev1.Namespace) (*corev1.Namespace, error) {
	if namespace.DeletionTimestamp.IsZero() || namespace.Status.Phase == corev1.NamespaceTerminating {
		return namespace, nil
	}
	ns := namespace.DeepCopy()
	ns.Status.Phase = corev1.NamespaceTerminating
	return d.nsClient.UpdateStatus(ctx, ns, metav1.UpdateOptions{})
}

// finalized reports whether the namespace has no spec.finalizers left.
func finalized(namespace *corev1.Namespace) bool {
	return len(namespace.Spec.Finalizers) == 0
}

// finalizeNamespace removes the controller's token from spec.finalizers with
// the finalize subresource (the only way to change them).
func (d *deleter) finalizeNamespace(ctx context.Context, namespace *corev1.Namespace) (*corev1.Namespace, error) {
	finalize := corev1.Namespace{ObjectMeta: namespace.ObjectMeta, Spec: namespace.Spec}
	remaining := sets.New[string]()
	for _, f := range namespace.Spec.Finalizers {
		if f != d.finalizerToken {
			remaining.Insert(string(f))
		}
	}
	finalize.Spec.Finalizers = make([]corev1.FinalizerName, 0, remaining.Len())
	for _, f := range sets.List(remaining) {
		finalize.Spec.Finalizers = append(finalize.Spec.Finalizers, corev1.FinalizerName(f))
	}
	ns, err := d.nsClient.Finalize(ctx, &finalize, metav1.UpdateOptions{})
	if apierrors.IsNotFound(err) {
		// Removed already: our work is done.
		return ns, nil
	}
	return ns, err
}

// backgroundDelete is used for every deletion: the namespace controller
// removes everything itself, so it does not want the garbage collector to add
// the orphan finalizer to what it deletes.
func backgroundDelete() metav1.DeleteOptions {
	background := metav1.DeletePropagationBackground
	return metav1.DeleteOptions{PropagationPolicy: &background}
}

// deleteCollection deletes all objects of gvr in the namespace with one call.
// It reports whether the server supports that; an error means it does but the
// call failed.
func (d *deleter) deleteCollection(ctx context.Context, gvr schema.GroupVersionResource, namespace string) (bool, error) {
	logger := klog.FromContext(ctx)
	logger.V(5).Info("Namespace controller - deleteCollection", "namespace", namespace, "resource", gvr)
	key := operationKey{operation: operationDeleteCollection, gvr: gvr}
	if !d.opCache.isSupported(key) {
		logger.V(5).Info("Namespace controller - deleteCollection ignored since not supported", "namespace", namespace, "resource", gvr)
		return false, nil
	}
	err := d.metadataClient.Resource(gvr).Namespace(namespace).DeleteCollection(ctx, backgroundDelete(), metav1.ListOptions{})
	if err == nil {
		return true, nil
	}
	// Some resources listed by discovery serve no collection verbs and answer
	// 404 rather than 405 (kubernetes/kubernetes#22413).
	if apierrors.IsMethodNotSupported(err) || apierrors.IsNotFound(err) {
		logger.V(5).Info("Namespace controller - deleteCollection not supported", "namespace", namespace, "resource", gvr)
		return false, nil
	}
	logger.V(5).Info("Namespace controller - deleteCollection unexpected error", "namespace", namespace, "resource", gvr, "err", err)
	return true, err
}

// listCollection lists the objects of gvr in the namespace. It reports
// whether the server supports listing; an error means it does but the call
// failed.
func (d *deleter) listCollection(ctx context.Context, gvr schema.GroupVersionResource, namespace string) (*metav1.PartialObjectMetadataList, bool, error) {
	logger := klog.FromContext(ctx)
	logger.V(5).Info("Namespace controller - listCollection", "namespace", namespace, "resource", gvr)
	key := operationKey{operation: operationList, gvr: gvr}
	if !d.opCache.isSupported(key) {
		logger.V(5).Info("Namespace controller - listCollection ignored since not supported", "namespace", namespace, "resource", gvr)
		return nil, false, nil
	}
	list, err := d.metadataClient.Resource(gvr).Namespace(namespace).List(ctx, metav1.ListOptions{})
	if err == nil {
		return list, true, nil
	}
	if apierrors.IsMethodNotSupported(err) || apierrors.IsNotFound(err) {
		logger.V(5).Info("Namespace controller - listCollection not supported", "namespace", namespace, "resource", gvr)
		return nil, false, nil
	}
	return nil, true, err
}

// deleteEachItem lists the objects of gvr and deletes them one by one, for
// resources without deletecollection.
func (d *deleter) deleteEachItem(ctx context.Context, gvr schema.GroupVersionResource, namespace string) error {
	klog.FromContext(ctx).V(5).Info("Namespace controller - deleteEachItem", "namespace", namespace, "resource", gvr)
	list, supported, err := d.listCollection(ctx, gvr, namespace)
	if err != nil || !supported {
		return err
	}
	for _, item := range list.Items {
		err := d.metadataClient.Resource(gvr).Namespace(namespace).Delete(ctx, item.GetName(), backgroundDelete())
		if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsMethodNotSupported(err) {
			return err
		}
	}
	return nil
}

type gvrDeletionMetadata struct {
	// finalizerEstimateSeconds is how much longer to wait; zero means no
	// estimate was made, not that all content is gone.
	finalizerEstimateSeconds int64
	// numRemaining is how many objects of the resource remain.
	numRemaining int
	// finalizersToNumRemaining counts the remaining objects per finalizer.
	finalizersToNumRemaining map[string]int
}

type allGVRDeletionMetadata struct {
	gvrToNumRemaining        map[schema.GroupVersionResource]int
	finalizersToNumRemaining map[string]int
}

// deleteAllContentForGroupVersionResource deletes the objects of gvr in the
// namespace and reports what remains and how long it may take.
func (d *deleter) deleteAllContentForGroupVersionResource(ctx context.Context, gvr schema.GroupVersionResource, namespace string, namespaceDeletedAt metav1.Time) (gvrDeletionMetadata, error) {
	logger := klog.FromContext(ctx)
	logger.V(5).Info("Namespace controller - deleteAllContentForGroupVersionResource", "namespace", namespace, "resource", gvr)

	estimate, err := d.estimateGracefulTermination(ctx, gvr, namespace, namespaceDeletedAt)
	if err != nil {
		logger.V(5).Info("Namespace controller - deleteAllContentForGroupVersionResource - unable to estimate", "namespace", namespace, "resource", gvr, "err", err)
		return gvrDeletionMetadata{}, err
	}

	supported, err := d.deleteCollection(ctx, gvr, namespace)
	if err != nil {
		return gvrDeletionMetadata{finalizerEstimateSeconds: estimate}, err
	}
	if !supported {
		if err := d.deleteEachItem(ctx, gvr, namespace); err != nil {
			return gvrDeletionMetadata{finalizerEstimateSeconds: estimate}, err
		}
	}

	// Whatever is still listed is either terminating gracefully (estimate),
	// held by finalizers, or unexpected.
	list, listSupported, err := d.listCollection(ctx, gvr, namespace)
	if err != nil {
		logger.V(5).Info("Namespace controller - deleteAllContentForGroupVersionResource - error verifying no items in namespace", "namespace", namespace, "resource", gvr, "err", err)
		return gvrDeletionMetadata{finalizerEstimateSeconds: estimate}, err
	}
	if !listSupported {
		return gvrDeletionMetadata{finalizerEstimateSeconds: estimate}, nil
	}
	logger.V(5).Info("Namespace controller - deleteAllContentForGroupVersionResource - items remaining", "namespace", namespace, "resource", gvr, "items", len(list.Items))
	if len(list.Items) == 0 {
		return gvrDeletionMetadata{}, nil
	}

	finalizersToNumRemaining := map[string]int{}
	for _, item := range list.Items {
		for _, f := range item.GetFinalizers() {
			finalizersToNumRemaining[f]++
		}
	}
	if estimate != 0 {
		return gvrDeletionMetadata{
			finalizerEstimateSeconds: estimate,
			numRemaining:             len(list.Items),
			finalizersToNumRemaining: finalizersToNumRemaining,
		}, nil
	}
	// Finalizers are normal: give the garbage collector (or whoever) time.
	if len(finalizersToNumRemaining) > 0 {
		return gvrDeletionMetadata{
			finalizerEstimateSeconds: finalizerEstimateSeconds,
			numRemaining:             len(list.Items),
			finalizersToNumRemaining: finalizersToNumRemaining,
		}, nil
	}
	return gvrDeletionMetadata{
		finalizerEstimateSeconds: estimate,
		numRemaining:             len(list.Items),
	}, fmt.Errorf("unexpected items still remain in namespace: %s for gvr: %v", namespace, gvr)
}

// deleteAllContent deletes everything in the namespace, pods first, records
// the outcome in the namespace conditions, and returns the estimated seconds
// until what remains is gone (0: nothing remains).
func (d *deleter) deleteAllContent(ctx context.Context, ns *corev1.Namespace) (int64, error) {
	namespace := ns.Name
	namespaceDeletedAt := *ns.DeletionTimestamp
	var errs []error
	cu := conditionUpdater{now: metav1.NewTime(d.clock.Now())}
	estimate := int64(0)
	logger := klog.FromContext(ctx)
	logger.V(4).Info("namespace controller - deleteAllContent", "namespace", namespace)

	// Discovery errors are not fatal: a partial list still lets us delete
	// most content.
	resources, err := d.discover()
	if err != nil {
		errs = append(errs, err)
		cu.processDiscoverResourcesErr(err)
	}
	deletable := discovery.FilteredBy(discovery.SupportsAllVerbs{Verbs: []string{"delete"}}, resources)
	gvrs, err := discovery.GroupVersionResources(deletable)
	if err != nil {
		errs = append(errs, err)
		cu.processGroupVersionErr(err)
	}

	totals := allGVRDeletionMetadata{
		gvrToNumRemaining:        map[schema.GroupVersionResource]int{},
		finalizersToNumRemaining: map[string]int{},
	}
	add := func(gvr schema.GroupVersionResource, m gvrDeletionMetadata) {
		if m.finalizerEstimateSeconds > estimate {
			estimate = m.finalizerEstimateSeconds
		}
		if m.numRemaining > 0 {
			totals.gvrToNumRemaining[gvr] = m.numRemaining
			for f, n := range m.finalizersToNumRemaining {
				if n != 0 {
					totals.finalizersToNumRemaining[f] += n
				}
			}
		}
	}
	writeConditions := func() {
		if cu.update(ns) {
			if _, err := d.nsClient.UpdateStatus(ctx, ns, metav1.UpdateOptions{}); err != nil {
				utilruntime.HandleErrorWithContext(ctx, err, "Couldn't update status condition for namespace", "namespace", namespace)
			}
		}
	}

	// Pods go first and alone: other content (service accounts, secrets,
	// config maps, volumes) may still be in use by terminating pods.
	if _, hasPods := gvrs[podsGVR]; hasPods {
		m, err := d.deleteAllContentForGroupVersionResource(ctx, podsGVR, namespace, namespaceDeletedAt)
		if err != nil {
			errs = append(errs, fmt.Errorf("failed to delete pods for namespace: %s, err: %w", namespace, err))
			cu.processDeleteContentErr(err)
		}
		add(podsGVR, m)
		if totals.gvrToNumRemaining[podsGVR] > 0 {
			logger.V(5).Info("Namespace controller - pods still remain, delaying deletion of other resources", "namespace", namespace)
			writeConditions()
			return estimate, utilerrors.NewAggregate(errs)
		}
	}

	// Sorted, unlike upstream's map order, so that passes (and tests) are
	// reproducible; the order carries no meaning.
	others := make([]schema.GroupVersionResource, 0, len(gvrs))
	for gvr := range gvrs {
		if gvr != podsGVR {
			others = append(others, gvr)
		}
	}
	sort.Slice(others, func(i, j int) bool { return others[i].String() < others[j].String() })
	for _, gvr := range others {
		m, err := d.deleteAllContentForGroupVersionResource(ctx, gvr, namespace, namespaceDeletedAt)
		if err != nil {
			// Keep going: one failing resource must not hold up the rest.
			errs = append(errs, err)
			cu.processDeleteContentErr(err)
		}
		add(gvr, m)
	}
	cu.processContentTotals(totals)
	// Always written: a condition that failed before must be seen to recover.
	writeConditions()

	err = utilerrors.NewAggregate(errs)
	logger.V(4).Info("namespace controller - deleteAllContent", "namespace", namespace, "estimate", estimate, "err", err)
	return estimate, err
}

// estimateGracefulTermination estimates, in seconds, how long the objects of
// gvr may take to terminate gracefully; only pods have a grace period. Once
// that much time has passed since the namespace was deleted the estimate is 0.
func (d *deleter) estimateGracefulTermination(ctx context.Context, gvr schema.GroupVersionResource, ns string, namespaceDeletedAt metav1.Time) (int64, error) {
	if gvr.GroupResource() != podsGVR.GroupResource() {
		return 0, nil
	}
	estimate, err := d.estimateGracefulTerminationForPods(ctx, ns)
	if err != nil {
		return 0, err
	}
	if d.clock.Since(namespaceDeletedAt.Time) >= secondsToDuration(estimate) {
		return 0, nil
	}
	return estimate, nil
}

// estimateGracefulTerminationForPods returns the longest
// terminationGracePeriodSeconds of the namespace's non-terminal pods.
func (d *deleter) estimateGracefulTerminationForPods(ctx context.Context, ns string) (int64, error) {
	klog.FromContext(ctx).V(5).Info("Namespace controller - estimateGracefulTerminationForPods", "namespace", ns)
	if d.podsGetter == nil {
		return 0, errors.New("unexpected: podsGetter is nil. Cannot estimate grace period seconds for pods")
	}
	pods, err := d.podsGetter.Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return 0, err
	}
	estimate := int64(0)
	for i := range pods.Items {
		pod := &pods.Items[i]
		if pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
			continue
		}
		if g := pod.Spec.TerminationGracePeriodSeconds; g != nil && *g > estimate {
			estimate = *g
		}
	}
	return estimate, nil
}
