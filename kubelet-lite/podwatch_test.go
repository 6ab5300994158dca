package kubeletlite

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2/ktesting"
	testingclock "k8s.io/utils/clock/testing"
)

// podWatchHarness drives a podWatch by hand: its watches are FakeWatchers the
// test feeds, its clock is fake, and changed records keys.
type podWatchHarness struct {
	t        *testing.T
	ctx      context.Context
	clock    *testingclock.FakeClock
	client   *fake.Clientset
	p        *podWatch
	changes  []string
	watchers []*watch.FakeWatcher
	watchErr error
}

func newPodWatchHarness(t *testing.T, pods ...runtime.Object) *podWatchHarness {
	_, ctx := ktesting.NewTestContext(t)
	h := &podWatchHarness{t: t, ctx: ctx, clock: testingclock.NewFakeClock(testStart), client: fake.NewClientset(pods...)}
	h.client.PrependWatchReactor("pods", func(clienttesting.Action) (bool, watch.Interface, error) {
		if h.watchErr != nil {
			return true, nil, h.watchErr
		}
		w := watch.NewFakeWithChanSize(10, false)
		h.watchers = append(h.watchers, w)
		return true, w, nil
	})
	h.p = &podWatch{
		pods:     h.client.CoreV1().Pods(corev1.NamespaceAll),
		selector: "spec.nodeName=" + testNode,
		clock:    h.clock,
		rand:     func() float64 { return 0 },
		indexer:  cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{}),
		changed: func(obj any) {
			key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
			if err != nil {
				t.Fatalf("changed(%T): %v", obj, err)
			}
			if _, deleted := obj.(cache.DeletedFinalStateUnknown); deleted {
				key = "deleted " + key
			}
			h.changes = append(h.changes, key)
		},
	}
	t.Cleanup(h.p.stop)
	return h
}

// takeChanges returns the changes reported since the last call, sorted.
func (h *podWatchHarness) takeChanges() []string {
	c := h.changes
	h.changes = nil
	slices.Sort(c)
	return c
}

// calls lists the list and watch calls made so far as "verb rv", and forgets them.
func (h *podWatchHarness) calls() []string {
	var out []string
	for _, a := range h.client.Actions() {
		switch a := a.(type) {
		case clienttesting.ListActionImpl:
			if a.ListOptions.FieldSelector != h.p.selector {
				h.t.Errorf("list with field selector %q", a.ListOptions.FieldSelector)
			}
			out = append(out, "list "+a.ListOptions.ResourceVersion)
		case clienttesting.WatchActionImpl:
			if !a.ListOptions.AllowWatchBookmarks || a.ListOptions.TimeoutSeconds == nil || a.ListOptions.FieldSelector != h.p.selector {
				h.t.Errorf("watch options %+v", a.ListOptions)
			}
			out = append(out, "watch "+a.ListOptions.ResourceVersion)
		}
	}
	h.client.ClearActions()
	return out
}

// next handles the next event of the open watch, as Run does.
func (h *podWatchHarness) next() {
	h.t.Helper()
	select {
	case ev, ok := <-h.p.events():
		h.p.handle(h.ctx, ev, ok)
	case <-time.After(10 * time.Second):
		h.t.Fatal("no pod watch event")
	}
}

func boundPod(name, rv string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name, ResourceVersion: rv},
		Spec:       corev1.PodSpec{NodeName: testNode},
	}
}

func TestPodWatchListsThenWatchesFromTheListsResourceVersion(t *testing.T) {
	h := newPodWatchHarness(t, boundPod("a", ""), boundPod("b", ""))
	h.p.sync(h.ctx)
	listRV := h.p.rv
	if got, want := h.calls(), []string{"list 0", "watch " + listRV}; listRV == "" || !slices.Equal(got, want) {
		t.Fatalf("calls %v, want %v", got, want)
	}
	if got, want := h.takeChanges(), []string{"default/a", "default/b"}; !slices.Equal(got, want) {
		t.Fatalf("changes %v, want %v", got, want)
	}
	if h.p.events() == nil || !h.p.nextRetry().IsZero() {
		t.Fatal("no watch open after sync")
	}

	w := h.watchers[0]
	w.Add(boundPod("c", "11"))
	w.Modify(boundPod("a", "12"))
	w.Delete(boundPod("b", "13"))
	w.Action(watch.Bookmark, boundPod("", "14"))
	for range 4 {
		h.next()
	}
	if got, want := h.takeChanges(), []string{"default/a", "default/b", "default/c"}; !slices.Equal(got, want) {
		t.Fatalf("changes %v, want %v (bookmarks change nothing)", got, want)
	}
	if got, want := h.p.indexer.ListKeys(), []string{"default/a", "default/c"}; !slices.Equal(sorted(got), want) {
		t.Fatalf("indexer %v, want %v", got, want)
	}
	if obj, _, _ := h.p.indexer.GetByKey("default/a"); obj.(*corev1.Pod).ResourceVersion != "12" {
		t.Fatalf("indexer holds %+v", obj)
	}

	// The server ends the watch after its timeout: watch again from the bookmark,
	// without listing.
	h.clock.Step(podWatchMinTimeout)
	w.Stop()
	h.next()
	// Watched again at once: the loop wakes up for it now.
	if h.p.events() != nil || !h.p.nextRetry().Equal(h.clock.Now()) {
		t.Fatalf("after a normal end: watch %v, retry at %v (now %v)", h.p.events(), h.p.nextRetry(), h.clock.Now())
	}
	h.p.sync(h.ctx)
	if got, want := h.calls(), []string{"watch 14"}; !slices.Equal(got, want) {
		t.Fatalf("calls %v, want %v", got, want)
	}
}

func TestPodWatchListsAgainWhenItsResourceVersionExpired(t *testing.T) {
	h := newPodWatchHarness(t, boundPod("a", ""), boundPod("b", ""))
	h.p.sync(h.ctx)
	h.calls()
	h.takeChanges()
	h.watchers[0].Add(boundPod("c", "21"))
	h.next()
	h.takeChanges()

	// b and c are deleted while the watch is down; the server says 410 Expired.
	for _, name := range []string{"b", "c"} {
		if err := h.client.Tracker().Delete(corev1.SchemeGroupVersion.WithResource("pods"), "default", name); err != nil && name == "b" {
			t.Fatal(err)
		}
	}
	h.watchers[0].Error(&apierrors.NewResourceExpired("too old resource version: 21 (30)").ErrStatus)
	h.next()
	if h.p.events() != nil {
		t.Fatal("the watch is still open after an Expired error")
	}
	// Not at once: after the backoff, as the reflector.
	if got, want := h.p.nextRetry(), h.clock.Now().Add(podWatchInitialBackoff); !got.Equal(want) {
		t.Fatalf("next retry at %v, want %v", got, want)
	}
	h.p.sync(h.ctx)
	if got := h.calls(); len(got) != 0 {
		t.Fatalf("calls %v before the backoff ran out", got)
	}
	h.clock.Step(podWatchInitialBackoff)
	h.p.sync(h.ctx)
	// A consistent list, not one at the expired resourceVersion or at 0.
	if got, want := h.calls(), []string{"list ", "watch " + h.p.rv}; !slices.Equal(got, want) {
		t.Fatalf("calls %v, want %v", got, want)
	}
	if got, want := h.takeChanges(), []string{"default/a", "deleted default/b", "deleted default/c"}; !slices.Equal(got, want) {
		t.Fatalf("changes %v, want %v", got, want)
	}
}

func TestPodWatchBacksOffWhenWatchingFails(t *testing.T) {
	h := newPodWatchHarness(t, boundPod("a", ""))
	h.watchErr = apierrors.NewInternalError(errors.New("etcd is down"))
	h.p.sync(h.ctx)
	listRV := h.p.rv
	if got, want := h.calls(), []string{"list 0", "watch " + listRV}; !slices.Equal(got, want) {
		t.Fatalf("calls %v, want %v", got, want)
	}
	for _, backoff := range []time.Duration{800 * time.Millisecond, 1600 * time.Millisecond, 3200 * time.Millisecond} {
		if got, want := h.p.nextRetry(), h.clock.Now().Add(backoff); !got.Equal(want) {
			t.Fatalf("next retry at %v, want %v (backoff %v)", got, want, backoff)
		}
		h.clock.Step(backoff - time.Millisecond)
		h.p.sync(h.ctx)
		if got := h.calls(); len(got) != 0 {
			t.Fatalf("calls %v before the backoff ran out", got)
		}
		h.clock.Step(time.Millisecond)
		h.p.sync(h.ctx)
		// The reflector lists again (at the resourceVersion it has) after a failed
		// watch it cannot explain.
		if got, want := h.calls(), []string{"list " + listRV, "watch " + listRV}; !slices.Equal(got, want) {
			t.Fatalf("calls %v, want %v", got, want)
		}
	}

	// Too many requests: retry the watch alone, from the same resourceVersion.
	h.watchErr = apierrors.NewTooManyRequests("slow down", 1)
	h.clock.Step(time.Minute)
	h.p.sync(h.ctx)
	h.calls()
	h.clock.Step(time.Minute)
	h.p.sync(h.ctx)
	if got, want := h.calls(), []string{"watch " + listRV}; !slices.Equal(got, want) {
		t.Fatalf("calls %v after 429, want %v", got, want)
	}

	h.watchErr = nil
	h.clock.Step(time.Minute)
	h.p.sync(h.ctx)
	if h.p.events() == nil {
		t.Fatal("no watch once the server answers")
	}
	if h.p.backoff != 25600*time.Millisecond {
		t.Fatalf("backoff %v, want 25.6 s (five doublings of 800 ms) until an event arrives", h.p.backoff)
	}
	h.watchers[0].Add(boundPod("b", "5"))
	h.next()
	if h.p.backoff != 0 {
		t.Fatalf("backoff %v after an event, want reset", h.p.backoff)
	}
}

func TestPodWatchRetriesAWatchThatEndsAtOnceAfterBackoff(t *testing.T) {
	h := newPodWatchHarness(t)
	h.p.sync(h.ctx)
	h.calls()
	h.watchers[0].Stop()
	h.next()
	if got, want := h.p.nextRetry(), h.clock.Now().Add(podWatchInitialBackoff); !got.Equal(want) {
		t.Fatalf("next retry at %v, want %v", got, want)
	}
	h.p.sync(h.ctx)
	if got := h.calls(); len(got) != 0 {
		t.Fatalf("calls %v before the backoff ran out", got)
	}
}

func TestPodWatchUnexpectedObjectRelists(t *testing.T) {
	h := newPodWatchHarness(t)
	h.p.sync(h.ctx)
	h.calls()
	h.watchers[0].Add(&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n"}})
	h.next()
	if h.p.events() != nil {
		t.Fatal("the watch is still open after an object that is no pod")
	}
	h.clock.Step(time.Minute)
	h.p.sync(h.ctx)
	// Relisted at the last good resourceVersion, as the reflector does.
	if got, want := h.calls(), []string{"list " + h.p.rv, "watch " + h.p.rv}; !slices.Equal(got, want) {
		t.Fatalf("calls %v, want %v", got, want)
	}
}

func sorted(s []string) []string { slices.Sort(s); return s }
