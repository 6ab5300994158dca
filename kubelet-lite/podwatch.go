package kubeletlite

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"
)

// The reflector's timings: the first retry after 800 ms, doubling to 30 s, and a
// watch the server ends after 5 to 10 minutes.
const (
	podWatchInitialBackoff = 800 * time.Millisecond
	podWatchMaxBackoff     = 30 * time.Second
	podWatchMinTimeout     = 5 * time.Minute
	// A watch that ends sooner than this after it opened is retried after the
	// backoff rather than at once, so a server that hangs up on every watch is not
	// called in a tight loop.
	podWatchShortLived = time.Second
)

// podWatch lists and watches the pods bound to one node (field selector
// spec.nodeName=<node>, which is also what the Node authorizer allows) into an
// indexer, calling changed for every add, update and delete, as an informer's
// event handler would see them: a relist reports every listed pod and, as
// deleted (cache.DeletedFinalStateUnknown), every pod no longer listed.
//
// It follows client-go's reflector (list at resourceVersion 0, watch from the
// last resourceVersion seen with bookmarks, re-watch when the server ends the
// watch, relist from etcd when that resourceVersion has expired, back off
// between failures), but it is driven by the kubelet's Run goroutine: Run lists
// and opens the watch in syncOnce, and selects on the watch's channel with its
// timers. A reflector runs two goroutines of its own, and an informer six,
// besides the one decoding the stream; at 1,000 kubelets in one process every
// goroutine per node is some 10 MB of stacks.
//
// A podWatch belongs to the Run goroutine; only its indexer, which is
// thread-safe, is read by others (the kubelet API).
type podWatch struct {
	pods     podsClient
	selector string
	clock    interface{ Now() time.Time }
	rand     func() float64
	indexer  cache.Indexer
	changed  func(obj any)

	w        watch.Interface
	openedAt time.Time
	// rv is the resourceVersion of the last list or event; listed says whether
	// the indexer holds a list at all (else the next attempt lists first).
	rv     string
	listed bool
	// rvExpired: rv is older than etcd's history, so the next list must be a
	// consistent one (resourceVersion "") rather than rv or 0.
	rvExpired bool
	backoff   time.Duration
	retryAt   time.Time
}

// podsClient is what a podWatch calls: the kubelet's pods client.
type podsClient interface {
	List(ctx context.Context, opts metav1.ListOptions) (*corev1.PodList, error)
	Watch(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error)
}

func newPodWatch(k *Kubelet, changed func(obj any)) *podWatch {
	return &podWatch{
		pods:     k.client.CoreV1().Pods(corev1.NamespaceAll),
		selector: fields.OneTermEqualSelector("spec.nodeName", k.nodeName).String(),
		clock:    k.clock,
		rand:     k.randFloat,
		indexer:  cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{}),
		changed:  changed,
	}
}

// events is the open watch's channel; nil (never ready) when none is open.
func (p *podWatch) events() <-chan watch.Event {
	if p == nil || p.w == nil {
		return nil
	}
	return p.w.ResultChan()
}

// nextRetry is when sync will next try to list or watch (now when there is
// nothing to wait for); zero when a watch is open.
func (p *podWatch) nextRetry() time.Time {
	if p == nil || p.w != nil {
		return time.Time{}
	}
	if now := p.clock.Now(); p.retryAt.Before(now) {
		return now
	}
	return p.retryAt
}

// sync lists (when the indexer holds no list, or the last resourceVersion has
// expired) and opens the watch, when none is open and the backoff allows.
func (p *podWatch) sync(ctx context.Context) {
	if p.w != nil || p.clock.Now().Before(p.retryAt) {
		return
	}
	logger := klog.FromContext(ctx)
	if !p.listed {
		if err := p.list(ctx); err != nil {
			logger.Error(err, "Unable to list pods", "fieldSelector", p.selector)
			p.failed()
			return
		}
	}
	timeout := int64((podWatchMinTimeout + time.Duration(p.rand()*float64(podWatchMinTimeout))).Seconds())
	w, err := p.pods.Watch(ctx, metav1.ListOptions{
		FieldSelector:       p.selector,
		ResourceVersion:     p.rv,
		AllowWatchBookmarks: true,
		TimeoutSeconds:      &timeout,
	})
	if err != nil {
		switch {
		case apierrors.IsResourceExpired(err) || apierrors.IsGone(err):
			logger.V(4).Info("Pod watch resourceVersion expired, listing again", "resourceVersion", p.rv)
			p.relist(true)
		case apierrors.IsTooManyRequests(err) || ctx.Err() != nil:
			// Retry the watch from the same resourceVersion.
		default:
			logger.Error(err, "Unable to watch pods", "fieldSelector", p.selector, "resourceVersion", p.rv)
			p.listed = false
		}
		p.failed()
		return
	}
	p.w, p.openedAt = w, p.clock.Now()
}

// list replaces the indexer's content with the pods bound to the node.
func (p *podWatch) list(ctx context.Context) error {
	rv := "0"
	switch {
	case p.rvExpired:
		rv = ""
	case p.rv != "":
		rv = p.rv
	}
	list, err := p.pods.List(ctx, metav1.ListOptions{FieldSelector: p.selector, ResourceVersion: rv})
	if err != nil {
		if apierrors.IsResourceExpired(err) || apierrors.IsGone(err) {
			p.rvExpired = true
		}
		return err
	}
	items := make([]any, 0, len(list.Items))
	for i := range list.Items {
		items = append(items, &list.Items[i])
	}
	before := sets.New(p.indexer.ListKeys()...)
	if err := p.indexer.Replace(items, list.ResourceVersion); err != nil {
		return err
	}
	for _, obj := range items {
		if key, err := cache.MetaNamespaceKeyFunc(obj); err == nil {
			before.Delete(key)
		}
		p.changed(obj)
	}
	for key := range before {
		p.changed(cache.DeletedFinalStateUnknown{Key: key})
	}
	// The backoff stays: a list that works followed by a watch that fails is
	// still a failing loop. Events reset it.
	p.rv, p.listed, p.rvExpired = list.ResourceVersion, true, false
	return nil
}

// handle applies one event of the open watch; ok is false once its channel is
// closed.
func (p *podWatch) handle(ctx context.Context, ev watch.Event, ok bool) {
	logger := klog.FromContext(ctx)
	if !ok {
		// The server ended the watch (its timeout, a restart): watch again from
		// where this one got to.
		short := p.clock.Now().Sub(p.openedAt) < podWatchShortLived
		p.closeWatch()
		if short {
			p.failed()
		} else {
			p.backoff = 0
		}
		return
	}
	switch ev.Type {
	case watch.Error:
		err := apierrors.FromObject(ev.Object)
		p.closeWatch()
		if apierrors.IsResourceExpired(err) || apierrors.IsGone(err) {
			logger.V(4).Info("Pod watch resourceVersion expired, listing again", "resourceVersion", p.rv)
			p.relist(true)
		} else {
			logger.Error(err, "Pod watch failed", "resourceVersion", p.rv)
		}
		// As the reflector, which waits out its backoff before every relist: a
		// watch cache that expires every watch is not listed from in a loop.
		p.failed()
		return
	case watch.Added, watch.Modified, watch.Deleted, watch.Bookmark:
	default:
		logger.Error(nil, "Unexpected pod watch event", "type", ev.Type)
		return
	}
	pod, isPod := ev.Object.(*corev1.Pod)
	if !isPod {
		logger.Error(fmt.Errorf("expected *v1.Pod, got %T", ev.Object), "Unexpected object in the pod watch", "type", ev.Type)
		p.closeWatch()
		p.relist(false)
		p.failed()
		return
	}
	var err error
	switch ev.Type {
	case watch.Added:
		err = p.indexer.Add(pod)
	case watch.Modified:
		err = p.indexer.Update(pod)
	case watch.Deleted:
		err = p.indexer.Delete(pod)
	}
	if err != nil {
		logger.Error(err, "Unable to store pod from watch", "pod", klog.KObj(pod))
	} else if ev.Type != watch.Bookmark {
		p.changed(pod)
	}
	if pod.ResourceVersion != "" {
		p.rv = pod.ResourceVersion
	}
	p.backoff = 0
}

// drain handles the events already waiting, up to max, without blocking, so a
// burst of changes makes one pass of the loop.
func (p *podWatch) drain(ctx context.Context, max int) {
	for range max {
		select {
		case ev, ok := <-p.events():
			p.handle(ctx, ev, ok)
			if !ok || p.w == nil {
				return
			}
		default:
			return
		}
	}
}

// relist makes the next attempt list before it watches; expired says the last
// resourceVersion is gone from the server's history.
func (p *podWatch) relist(expired bool) {
	p.listed = false
	if expired {
		p.rvExpired = true
	}
}

// failed schedules the next attempt after the current backoff, which then
// doubles, with jitter, up to podWatchMaxBackoff.
func (p *podWatch) failed() {
	if p.backoff == 0 {
		p.backoff = podWatchInitialBackoff
	} else {
		p.backoff = min(2*p.backoff, podWatchMaxBackoff)
	}
	p.retryAt = p.clock.Now().Add(p.backoff + time.Duration(p.rand()*float64(p.backoff)))
}

func (p *podWatch) closeWatch() {
	if p.w != nil {
		p.w.Stop()
		p.w = nil
	}
}

// stop ends the watch.
func (p *podWatch) stop() {
	if p != nil {
		p.closeWatch()
	}
}
