package namespace

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"

	"github.com/k1s-dev/k1s/controllers/internal/controllerutil"
)

// namespaceDeletionGracePeriod is how long after seeing a deleted namespace the
// controller starts on it, so that the admission plugins of every apiserver
// have seen the deletion (and refuse new content) and late creations have
// reached the storage the controller lists from.
const namespaceDeletionGracePeriod = 5 * time.Second

// Controller deletes the content of terminating namespaces and then
// finalizes them. Create it with New and start it with Run.
type Controller struct {
	clock   clock.WithTicker
	workers int
	deleter *deleter

	lister       corelisters.NamespaceLister
	listerSynced cache.InformerSynced
	queue        workqueue.TypedRateLimitingInterface[string]

	// gracePeriod is namespaceDeletionGracePeriod; tests shorten it.
	gracePeriod time.Duration
	// onSynced, if set, is called after each sync has been requeued or
	// forgotten (a test hook).
	onSynced func(key string, err error)

	started atomic.Bool
	ready   chan struct{}
}

// New returns a namespace controller. It validates cfg and fills in defaults,
// and registers the Namespace informer with factory (with cfg's
// NamespaceSyncPeriod as the handler's resync period). Start the factory after
// New.
//
// client and metadataClient should carry the controller's identity
// (ClientName) with the raised limits described by ClientQPSMultiplier and
// ClientBurstMultiplier; metadataClient lists and deletes content of every
// resource. The controller records no events (neither does upstream's):
// broadcaster is accepted so that every controller is built alike, and may be
// nil.
func New(cfg Config, client kubernetes.Interface, metadataClient metadata.Interface, factory informers.SharedInformerFactory, broadcaster record.EventBroadcaster) (*Controller, error) {
	_ = broadcaster
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid namespace controller configuration: %w", err)
	}
	if client == nil {
		return nil, errors.New("--kubeconfig: a Kubernetes client is required")
	}
	if metadataClient == nil {
		return nil, errors.New("--kubeconfig: a metadata client is required")
	}
	if factory == nil {
		return nil, errors.New("an informer factory is required")
	}
	cfg = cfg.withDefaults()
	discover := cfg.DiscoverResources
	if discover == nil {
		discover = client.Discovery().ServerPreferredNamespacedResources
	}

	c := &Controller{
		clock:   cfg.Clock,
		workers: int(cfg.ConcurrentNamespaceSyncs),
		deleter: newDeleter(client.CoreV1().Namespaces(), client.CoreV1(), metadataClient, discover, cfg.Clock),
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(rateLimiter(), workqueue.TypedRateLimitingQueueConfig[string]{
			Name:  "namespace",
			Clock: cfg.Clock,
		}),
		gracePeriod: namespaceDeletionGracePeriod,
		ready:       make(chan struct{}),
	}

	informer := factory.Core().V1().Namespaces()
	if _, err := informer.Informer().AddEventHandlerWithResyncPeriod(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.enqueueNamespace,
		UpdateFunc: func(_, newObj any) { c.enqueueNamespace(newObj) },
	}, cfg.NamespaceSyncPeriod); err != nil {
		return nil, fmt.Errorf("adding namespace event handler: %w", err)
	}
	c.lister = informer.Lister()
	c.listerSynced = informer.Informer().HasSynced
	return c, nil
}

// rateLimiter retries faster than the default controller limiter (namespaces
// being deleted are few, and their cleanup should be quick) and at least once
// a minute.
func rateLimiter() workqueue.TypedRateLimiter[string] {
	return workqueue.NewTypedMaxOfRateLimiter(
		workqueue.NewTypedItemExponentialFailureRateLimiter[string](5*time.Millisecond, 60*time.Second),
		// Overall 10 qps, burst 100: bounds retry speed only.
		&workqueue.TypedBucketRateLimiter[string]{Limiter: rate.NewLimiter(rate.Limit(10), 100)},
	)
}

// Ready is closed once Run has synced its cache, read discovery and started
// its workers.
func (c *Controller) Ready() <-chan struct{} { return c.ready }

// Run runs the controller until ctx is done and returns nil then. It returns
// an error if called twice, or if discovery returns no resources at all when
// it starts (upstream exits the process then).
func (c *Controller) Run(ctx context.Context) error {
	if !c.started.CompareAndSwap(false, true) {
		return errors.New("namespace controller: Run may be called only once")
	}
	defer utilruntime.HandleCrashWithContext(ctx)
	logger := klog.FromContext(ctx).WithName(ControllerName)
	ctx = klog.NewContext(ctx, logger)
	logger.Info("Starting namespace controller")

	var wg sync.WaitGroup
	defer func() {
		logger.Info("Shutting down namespace controller")
		c.queue.ShutDown()
		wg.Wait()
	}()

	if err := c.deleter.initOpCache(ctx); err != nil {
		return fmt.Errorf("namespace controller: %w", err)
	}
	if !cache.WaitForNamedCacheSyncWithContext(ctx, c.listerSynced) {
		return nil
	}
	logger.V(5).Info("Starting workers of namespace controller", "workers", c.workers)
	for range c.workers {
		wg.Go(func() { controllerutil.Until(ctx, c.clock, time.Second, c.worker) })
	}
	close(c.ready)
	<-ctx.Done()
	return nil
}

// enqueueNamespace queues a namespace that is being deleted, after the grace
// period.
func (c *Controller) enqueueNamespace(obj any) {
	ns, ok := obj.(*corev1.Namespace)
	if !ok || ns.DeletionTimestamp == nil || ns.DeletionTimestamp.IsZero() {
		return
	}
	c.queue.AddAfter(ns.Name, c.gracePeriod)
}

// worker processes namespaces until the queue shuts down. The queue never
// hands the same namespace to two workers at once.
func (c *Controller) worker(ctx context.Context) {
	for c.processNextWorkItem(ctx) {
	}
}

func (c *Controller) processNextWorkItem(ctx context.Context) bool {
	key, quit := c.queue.Get()
	if quit {
		return false
	}
	defer c.queue.Done(key)

	err := c.syncNamespaceFromKey(ctx, key)
	if c.onSynced != nil {
		defer c.onSynced(key, err)
	}
	if err == nil {
		c.queue.Forget(key)
		return true
	}
	var remaining *ResourcesRemainingError
	if errors.As(err, &remaining) {
		// Look again about halfway through the estimate: content often goes
		// faster than its grace period.
		t := remaining.Estimate/2 + 1
		klog.FromContext(ctx).V(4).Info("Content remaining in namespace", "namespace", key, "waitSeconds", t)
		c.queue.AddAfter(key, secondsToDuration(t))
		return true
	}
	// Retry sooner than the resync would.
	c.queue.AddRateLimited(key)
	utilruntime.HandleErrorWithContext(ctx, err, "Deletion of namespace failed", "namespace", key)
	return true
}

// syncNamespaceFromKey cleans up the namespace named key if it still exists.
func (c *Controller) syncNamespaceFromKey(ctx context.Context, key string) error {
	start := c.clock.Now()
	logger := klog.FromContext(ctx)
	defer func() {
		logger.V(4).Info("Finished syncing namespace", "namespace", key, "duration", c.clock.Since(start))
	}()
	ns, err := c.lister.Get(key)
	if apierrors.IsNotFound(err) {
		logger.Info("Namespace has been deleted", "namespace", key)
		return nil
	}
	if err != nil {
		return fmt.Errorf("getting namespace %s from the informer: %w", key, err)
	}
	return c.deleter.Delete(ctx, ns.Name)
}

func secondsToDuration(s int64) time.Duration {
	return time.Duration(s) * time.Second
}
