package rootcacertpublisher

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
)

const (
	// RootCACertConfigMapName is the ConfigMap published in every namespace.
	RootCACertConfigMapName = "kube-root-ca.crt"
	// DescriptionAnnotation and Description are upstream's note on what it is for.
	DescriptionAnnotation = "kubernetes.io/description"
	Description           = "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. " +
		"No other usage is guaranteed across distributions of Kubernetes clusters."
)

// ConfigMapInformerFactory returns an informer factory for the publisher's ConfigMaps: it
// watches only those named kube-root-ca.crt, where upstream caches every ConfigMap of the
// cluster, because this one is all the publisher reads.
func ConfigMapInformerFactory(client kubernetes.Interface, resync time.Duration) informers.SharedInformerFactory {
	return informers.NewSharedInformerFactoryWithOptions(client, resync, informers.WithTweakListOptions(func(o *metav1.ListOptions) {
		o.FieldSelector = fields.OneTermEqualSelector("metadata.name", RootCACertConfigMapName).String()
	}))
}

// Publisher keeps kube-root-ca.crt in every namespace.
type Publisher struct {
	client kubernetes.Interface
	rootCA []byte

	cmLister corelisters.ConfigMapLister
	synced   []cache.InformerSynced
	queue    workqueue.TypedRateLimitingInterface[string]
}

// New returns a publisher of rootCA (PEM). cmInformer may be filtered to the published
// ConfigMaps (ConfigMapInformerFactory). Call it before the informers' factories start.
func New(cmInformer coreinformers.ConfigMapInformer, nsInformer coreinformers.NamespaceInformer, client kubernetes.Interface, rootCA []byte) (*Publisher, error) {
	if len(rootCA) == 0 {
		return nil, fmt.Errorf("no root CA to publish")
	}
	p := &Publisher{
		client:   client,
		rootCA:   rootCA,
		cmLister: cmInformer.Lister(),
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "root_ca_cert_publisher"},
		),
	}
	cmHandler, err := cmInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		DeleteFunc: p.configMapChanged,
		UpdateFunc: func(_, obj any) { p.configMapChanged(obj) },
	})
	if err != nil {
		return nil, fmt.Errorf("watching configmaps: %w", err)
	}
	nsHandler, err := nsInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj any) { p.queue.Add(obj.(*corev1.Namespace).Name) },
		UpdateFunc: func(_, obj any) {
			if ns := obj.(*corev1.Namespace); ns.Status.Phase == corev1.NamespaceActive {
				p.queue.Add(ns.Name)
			}
		},
	})
	if err != nil {
		return nil, fmt.Errorf("watching namespaces: %w", err)
	}
	p.synced = []cache.InformerSynced{cmHandler.HasSynced, nsHandler.HasSynced}
	return p, nil
}

// Run publishes with workers goroutines until ctx is cancelled.
func (p *Publisher) Run(ctx context.Context, workers int) {
	defer utilruntime.HandleCrashWithContext(ctx)
	logger := klog.FromContext(ctx)
	logger.Info("Starting root CA cert publisher controller")

	var wg sync.WaitGroup
	defer func() {
		logger.Info("Shutting down root CA cert publisher controller")
		p.queue.ShutDown()
		wg.Wait()
	}()

	if !cache.WaitForNamedCacheSyncWithContext(ctx, p.synced...) {
		return
	}
	for range workers {
		wg.Go(func() { wait.UntilWithContext(ctx, p.runWorker, time.Second) })
	}
	<-ctx.Done()
}

func (p *Publisher) configMapChanged(obj any) {
	cm, ok := obj.(*corev1.ConfigMap)
	if !ok {
		tombstone, ok := obj.(cache.DeletedFinalStateUnknown)
		if !ok {
			utilruntime.HandleError(fmt.Errorf("couldn't get object from tombstone %#v", obj))
			return
		}
		if cm, ok = tombstone.Obj.(*corev1.ConfigMap); !ok {
			utilruntime.HandleError(fmt.Errorf("tombstone contained object that is not a ConfigMap %#v", obj))
			return
		}
	}
	if cm.Name == RootCACertConfigMapName {
		p.queue.Add(cm.Namespace)
	}
}

func (p *Publisher) runWorker(ctx context.Context) {
	for p.processNextWorkItem(ctx) {
	}
}

func (p *Publisher) processNextWorkItem(ctx context.Context) bool {
	key, quit := p.queue.Get()
	if quit {
		return false
	}
	defer p.queue.Done(key)
	if err := p.syncNamespace(ctx, key); err != nil {
		if ctx.Err() != nil {
			return false
		}
		utilruntime.HandleErrorWithContext(ctx, err, "Syncing kube-root-ca.crt failed", "namespace", key)
		p.queue.AddRateLimited(key)
		return true
	}
	p.queue.Forget(key)
	return true
}

func (p *Publisher) syncNamespace(ctx context.Context, ns string) error {
	data := map[string]string{"ca.crt": string(p.rootCA)}
	cm, err := p.cmLister.ConfigMaps(ns).Get(RootCACertConfigMapName)
	switch {
	case apierrors.IsNotFound(err):
		_, err = p.client.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{
				Name:        RootCACertConfigMapName,
				Annotations: map[string]string{DescriptionAnnotation: Description},
			},
			Data: data,
		}, metav1.CreateOptions{})
		// A namespace that is gone or going needs no ConfigMap: do not retry.
		if apierrors.IsNotFound(err) || apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause) {
			return nil
		}
		return err
	case err != nil:
		return err
	}
	if maps.Equal(cm.Data, data) && cm.Annotations[DescriptionAnnotation] != "" {
		return nil
	}
	// Never modify the informer's copy.
	cm = cm.DeepCopy()
	cm.Data = data
	if cm.Annotations == nil {
		cm.Annotations = map[string]string{}
	}
	cm.Annotations[DescriptionAnnotation] = Description
	_, err = p.client.CoreV1().ConfigMaps(ns).Update(ctx, cm, metav1.UpdateOptions{})
	return err
}
