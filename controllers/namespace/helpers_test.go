package namespace

import (
	"context"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	metadatafake "k8s.io/client-go/metadata/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/klog/v2/ktesting"
	testingclock "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

var (
	namespacesGVR  = corev1.SchemeGroupVersion.WithResource("namespaces")
	configmapsGVR  = corev1.SchemeGroupVersion.WithResource("configmaps")
	deploymentsGVR = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
	widgetsGVR     = schema.GroupVersionResource{Group: "example.com", Version: "v1", Resource: "widgets"}
)

// allVerbs are the verbs of a resource served with every collection verb.
// fakeListGVK is the list kind the fake metadata client's tracker knows.
var fakeListGVK = schema.GroupVersionKind{Group: "fake-metadata-client-group", Version: "v1"}

var allVerbs = []string{"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}

// testResources is what discovery returns in the tests: pods, config maps and
// deployments with every verb, and widgets without deletecollection.
func testResources() []*metav1.APIResourceList {
	return []*metav1.APIResourceList{
		{GroupVersion: "v1", APIResources: []metav1.APIResource{
			{Name: "pods", Namespaced: true, Kind: "Pod", Verbs: allVerbs},
			{Name: "configmaps", Namespaced: true, Kind: "ConfigMap", Verbs: allVerbs},
			// Not deletable: must be left alone.
			{Name: "bindings", Namespaced: true, Kind: "Binding", Verbs: []string{"create"}},
		}},
		{GroupVersion: "apps/v1", APIResources: []metav1.APIResource{
			{Name: "deployments", Namespaced: true, Kind: "Deployment", Verbs: allVerbs},
		}},
		{GroupVersion: "example.com/v1", APIResources: []metav1.APIResource{
			{Name: "widgets", Namespaced: true, Kind: "Widget", Verbs: []string{"delete", "get", "list"}},
		}},
	}
}

// terminatingNamespace is namespace name deleted at t0, with the kubernetes
// finalizer and the given extra finalizers.
func terminatingNamespace(name string, extraFinalizers ...corev1.FinalizerName) *corev1.Namespace {
	deleted := metav1.NewTime(t0)
	return &corev1.Namespace{
		ObjectMeta: metav1.ObjectMeta{Name: name, UID: types.UID("uid-" + name), DeletionTimestamp: &deleted},
		Spec:       corev1.NamespaceSpec{Finalizers: append([]corev1.FinalizerName{corev1.FinalizerKubernetes}, extraFinalizers...)},
		Status:     corev1.NamespaceStatus{Phase: corev1.NamespaceActive},
	}
}

// object is one piece of namespace content as the metadata client sees it.
func object(gvr schema.GroupVersionResource, kind, ns, name string, finalizers ...string) *metav1.PartialObjectMetadata {
	return &metav1.PartialObjectMetadata{
		TypeMeta:   metav1.TypeMeta{APIVersion: gvr.GroupVersion().String(), Kind: kind},
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Finalizers: finalizers},
	}
}

// pod returns the typed pod (for the grace-period estimate) and its metadata.
func pod(ns, name string, grace int64) (*corev1.Pod, *metav1.PartialObjectMetadata) {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       corev1.PodSpec{TerminationGracePeriodSeconds: ptr.To(grace)},
		Status:     corev1.PodStatus{Phase: corev1.PodRunning},
	}
	return p, object(podsGVR, "Pod", ns, name)
}

// fakeAPI is the pair of fake clients with the apiserver behaviour the
// controller depends on: the finalize subresource (a deleted namespace without
// finalizers goes away) and graceful deletion (an object with finalizers, or a
// pod, gets a deletionTimestamp and stays).
type fakeAPI struct {
	client   *fake.Clientset
	metadata *metadatafake.FakeMetadataClient
	clock    *testingclock.FakeClock
}

func newFakeAPI(t *testing.T, typed []runtime.Object, content []runtime.Object) *fakeAPI {
	t.Helper()
	scheme := metadatafake.NewTestScheme()
	if err := metav1.AddMetaToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	f := &fakeAPI{
		client:   fake.NewClientset(typed...),
		metadata: metadatafake.NewSimpleMetadataClient(scheme, content...),
		clock:    testingclock.NewFakeClock(t0),
	}
	f.client.PrependReactor("create", "namespaces", f.finalize)
	f.metadata.PrependReactor("delete-collection", "*", func(a k8stesting.Action) (bool, runtime.Object, error) {
		gvr, ns := a.GetResource(), a.GetNamespace()
		list, err := f.metadata.Tracker().List(gvr, fakeListGVK, ns)
		if err != nil {
			return true, nil, err
		}
		items, err := meta.ExtractList(list)
		if err != nil {
			return true, nil, err
		}
		for _, item := range items {
			m, _ := meta.Accessor(item)
			if err := f.deleteContent(gvr, ns, m.GetName()); err != nil {
				return true, nil, err
			}
		}
		return true, nil, nil
	})
	f.metadata.PrependReactor("delete", "*", func(a k8stesting.Action) (bool, runtime.Object, error) {
		d := a.(k8stesting.DeleteAction)
		return true, nil, f.deleteContent(d.GetResource(), d.GetNamespace(), d.GetName())
	})
	return f
}

// finalize emulates POST namespaces/<name>/finalize.
func (f *fakeAPI) finalize(a k8stesting.Action) (bool, runtime.Object, error) {
	if a.GetSubresource() != "finalize" {
		return false, nil, nil
	}
	in := a.(k8stesting.CreateAction).GetObject().(*corev1.Namespace)
	obj, err := f.client.Tracker().Get(namespacesGVR, "", in.Name)
	if err != nil {
		return true, nil, err
	}
	ns := obj.(*corev1.Namespace).DeepCopy()
	ns.Spec.Finalizers = in.Spec.Finalizers
	if ns.DeletionTimestamp != nil && len(ns.Spec.Finalizers) == 0 && len(ns.Finalizers) == 0 {
		return true, ns, f.client.Tracker().Delete(namespacesGVR, "", ns.Name)
	}
	return true, ns, f.client.Tracker().Update(namespacesGVR, ns, "")
}

// deleteContent emulates DELETE of one object: pods and objects with
// finalizers are marked, the rest removed.
func (f *fakeAPI) deleteContent(gvr schema.GroupVersionResource, ns, name string) error {
	obj, err := f.metadata.Tracker().Get(gvr, ns, name)
	if err != nil {
		return err
	}
	m := obj.(*metav1.PartialObjectMetadata).DeepCopy()
	if len(m.Finalizers) == 0 && gvr != podsGVR {
		return f.metadata.Tracker().Delete(gvr, ns, name)
	}
	if m.DeletionTimestamp == nil {
		now := metav1.NewTime(f.clock.Now())
		m.DeletionTimestamp = &now
	}
	return f.metadata.Tracker().Update(gvr, m, ns)
}

// removeContent makes an object go away for good (its finalizers done, or
// its pod terminated).
func (f *fakeAPI) removeContent(t *testing.T, gvr schema.GroupVersionResource, ns, name string) {
	t.Helper()
	if err := f.metadata.Tracker().Delete(gvr, ns, name); err != nil {
		t.Fatalf("removing %v %s/%s: %v", gvr, ns, name, err)
	}
	if gvr == podsGVR {
		if err := f.client.Tracker().Delete(podsGVR, ns, name); err != nil && !apierrors.IsNotFound(err) {
			t.Fatalf("removing pod %s/%s: %v", ns, name, err)
		}
	}
}

// namespace returns the namespace as stored, or nil if it is gone.
func (f *fakeAPI) namespace(t *testing.T, name string) *corev1.Namespace {
	t.Helper()
	obj, err := f.client.Tracker().Get(namespacesGVR, "", name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		t.Fatalf("getting namespace %s: %v", name, err)
	}
	return obj.(*corev1.Namespace)
}

// contentNames lists the names of the objects of gvr left in ns.
func (f *fakeAPI) contentNames(t *testing.T, gvr schema.GroupVersionResource, ns string) []string {
	t.Helper()
	list, err := f.metadata.Tracker().List(gvr, fakeListGVK, ns)
	if err != nil {
		t.Fatalf("listing %v: %v", gvr, err)
	}
	items, _ := meta.ExtractList(list)
	var names []string
	for _, item := range items {
		m, _ := meta.Accessor(item)
		names = append(names, m.GetName())
	}
	return names
}

// newTestController builds a controller on api (without running it) with
// discovery returning resources and err.
func newTestController(t *testing.T, api *fakeAPI, discover DiscoverResourcesFunc) (*Controller, informers.SharedInformerFactory) {
	t.Helper()
	factory := informers.NewSharedInformerFactory(api.client, 0)
	c, err := New(Config{Clock: api.clock, DiscoverResources: discover}, api.client, api.metadata, factory, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c, factory
}

// syncHook records the outcome of each namespace sync done by Run's workers.
type syncHook struct {
	mu   sync.Mutex
	errs map[string][]error
}

func (h *syncHook) record(key string, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.errs == nil {
		h.errs = map[string][]error{}
	}
	h.errs[key] = append(h.errs[key], err)
}

func (h *syncHook) get(key string) []error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]error(nil), h.errs[key]...)
}

func testContext(t *testing.T) context.Context {
	_, ctx := ktesting.NewTestContext(t)
	return ctx
}
