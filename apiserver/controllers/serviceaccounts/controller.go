package serviceaccounts

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
)

// DefaultServiceAccountName is the service account every namespace gets.
const DefaultServiceAccountName = "default"

// Controller ensures service accounts exist in every namespace.
type Controller struct {
	client          kubernetes.Interface
	serviceAccounts []corev1.ServiceAccount

	saLister corelisters.ServiceAccountLister
	nsLister corelisters.NamespaceLister
	synced   []cache.InformerSynced
	queue    workqueue.TypedRateLimitingInterface[string]
}

// New returns a controller that keeps "default" in every namespace. Call it before the
// informers' factory starts, or start the factory again.
func New(saInformer coreinformers.ServiceAccountInformer, nsInformer coreinformers.NamespaceInformer, client kubernetes.Interface) (*Controller, error) {
	c := &Controller{
		client:          client,
		serviceAccounts: []corev1.ServiceAccount{{ObjectMeta: metav1.ObjectMeta{Name: DefaultServiceAccountName}}},
		saLister:        saInformer.Lister(),
		nsLister:        nsInformer.Lister(),
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "serviceaccount"},
		),
	}
	saHandler, err := saInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		DeleteFunc: c.serviceAccountDeleted,
	})
	if err != nil {
		return nil, fmt.Errorf("watching service accounts: %w", err)
	}
	nsHandler, err := nsInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { c.queue.Add(obj.(*corev1.Namespace).Name) },
		UpdateFunc: func(_, obj any) { c.queue.Add(obj.(*corev1.Namespace).Name) },
	})
	if err != nil {
		return nil, fmt.Errorf("watching namespaces: %w", err)
	}
	c.synced = []cache.InformerSynced{saHandler.HasSynced, nsHandler.HasSynced}
	return c, nil
}

// Run syncs namespaces with workers goroutines until ctx is cancelled.
func (c *Controller) Run(ctx context.Context, workers int) {
	defer utilruntime.HandleCrashWithContext(ctx)
	logger := klog.FromContext(ctx)
	logger.Info("Starting service account controller")

	var wg sync.WaitGroup
	defer func() {
		logger.Info("Shutting down service account controller")
		c.queue.ShutDown()
		wg.Wait()
	}()

	if !cache.WaitForNamedCacheSyncWithContext(ctx, c.synced...) {
		return
	}
	for range workers {
		wg.Go(func() { wait.UntilWithContext(ctx, c.runWorker, time.Second) })
	}
	<-ctx.Done()
}

// serviceAccountDeleted recreates a deleted default service account.
func (c *Controller) serviceAccountDeleted(obj any) {
	sa, ok := obj.(*corev1.ServiceAccount)
	if !ok {
		tombstone, ok := obj.(cache.DeletedFinalStateUnknown)
		if !ok {
			utilruntime.HandleError(fmt.Errorf("couldn't get object from tombstone %#v", obj))
			return
		}
		if sa, ok = tombstone.Obj.(*corev1.ServiceAccount); !ok {
			utilruntime.HandleError(fmt.Errorf("tombstone contained object that is not a ServiceAccount %#v", obj))
			return
		}
	}
	c.queue.Add(sa.Namespace)
}

func (c *Controller) runWorker(ctx context.Context) {
	for c.processNextWorkItem(ctx) {
	}
}

func (c *Controller) processNextWorkItem(ctx context.Context) bool {
	key, quit := c.queue.Get()
	if quit {
		return false
	}
	defer c.queue.Done(key)
	if err := c.syncNamespace(ctx, key); err != nil {
		if ctx.Err() != nil {
			return false
		}
		utilruntime.HandleErrorWithContext(ctx, err, "Service account work item failed", "namespace", key)
		c.queue.AddRateLimited(key)
		return true
	}
	c.queue.Forget(key)
	return true
}

func (c *Controller) syncNamespace(ctx context.Context, name string) error {
	ns, err := c.nsLister.Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if ns.Status.Phase != corev1.NamespaceActive {
		// Nothing may be created in a terminating namespace.
		return nil
	}
	var errs []error
	for _, want := range c.serviceAccounts {
		switch _, err := c.saLister.ServiceAccounts(ns.Name).Get(want.Name); {
		case err == nil:
			continue
		case !apierrors.IsNotFound(err):
			return err
		}
		sa := want.DeepCopy()
		sa.Namespace = ns.Name
		_, err := c.client.CoreV1().ServiceAccounts(ns.Name).Create(ctx, sa, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) && !apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
