package kubeletlite

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"
)

// podWatch lists and watches the pods bound to one node (field selector
// spec.nodeName=<node>, which is also what the Node authorizer allows) into an
// indexer, calling changed for every add, update and delete.
//
// It is a bare reflector rather than a shared informer: an informer adds a
// DeltaFIFO, a processor, a listener with its ring buffer and four more
// goroutines per kubelet, which at 1,000 kubelets in one process is some 100 MB
// for a view nobody else shares.
type podWatch struct {
	indexer cache.Indexer
	cancel  context.CancelFunc
	done    chan struct{}
}

func startPodWatch(ctx context.Context, k *Kubelet, changed func(obj any)) *podWatch {
	selector := fields.OneTermEqualSelector("spec.nodeName", k.nodeName).String()
	pods := k.client.CoreV1().Pods(corev1.NamespaceAll)
	lw := cache.ToListWatcherWithWatchListSemantics(&cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
			opts.FieldSelector = selector
			return pods.List(ctx, opts)
		},
		WatchFuncWithContext: func(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
			opts.FieldSelector = selector
			return pods.Watch(ctx, opts)
		},
	}, k.client)
	store := &notifyingStore{Indexer: cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{}), changed: changed}
	logger := klog.FromContext(ctx)
	r := cache.NewReflectorWithOptions(lw, &corev1.Pod{}, store, cache.ReflectorOptions{
		Name:   "pods of node " + k.nodeName,
		Logger: &logger,
	})
	ctx, cancel := context.WithCancel(ctx)
	w := &podWatch{indexer: store.Indexer, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		r.RunWithContext(ctx)
	}()
	return w
}

// stop ends the watch and waits for the reflector to return.
func (w *podWatch) stop() {
	if w == nil {
		return
	}
	w.cancel()
	<-w.done
}

// notifyingStore is an indexer that reports each change, as an informer's event
// handler would see it: a relist reports every listed pod and, as deleted
// (cache.DeletedFinalStateUnknown), every pod that is no longer listed.
type notifyingStore struct {
	cache.Indexer
	changed func(obj any)
}

func (s *notifyingStore) Add(obj any) error {
	if err := s.Indexer.Add(obj); err != nil {
		return err
	}
	s.changed(obj)
	return nil
}

func (s *notifyingStore) Update(obj any) error {
	if err := s.Indexer.Update(obj); err != nil {
		return err
	}
	s.changed(obj)
	return nil
}

func (s *notifyingStore) Delete(obj any) error {
	if err := s.Indexer.Delete(obj); err != nil {
		return err
	}
	s.changed(obj)
	return nil
}

func (s *notifyingStore) Replace(list []any, resourceVersion string) error {
	before := sets.New(s.Indexer.ListKeys()...)
	if err := s.Indexer.Replace(list, resourceVersion); err != nil {
		return err
	}
	for _, obj := range list {
		if key, err := cache.MetaNamespaceKeyFunc(obj); err == nil {
			before.Delete(key)
		}
		s.changed(obj)
	}
	for key := range before {
		s.changed(cache.DeletedFinalStateUnknown{Key: key})
	}
	return nil
}
