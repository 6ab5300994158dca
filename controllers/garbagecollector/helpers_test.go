package garbagecollector

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"k8s.io/apimachinery/pkg/util/validation/field"
	fakediscovery "k8s.io/client-go/discovery/fake"
	metadatafake "k8s.io/client-go/metadata/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/klog/v2/ktesting"
	"k8s.io/utils/clock"
	testingclock "k8s.io/utils/clock/testing"

	"github.com/k1s-dev/k1s/controllers/internal/controllertest"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// res is one resource of the fake cluster.
type res struct {
	group, version, resource, kind string
	namespaced                     bool
	// noSMP makes the fake apiserver refuse strategic merge patches, as it
	// does for custom resources.
	noSMP bool
}

func (r res) gvr() schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: r.group, Version: r.version, Resource: r.resource}
}

func (r res) apiVersion() string {
	return schema.GroupVersion{Group: r.group, Version: r.version}.String()
}

// The fake cluster's kinds. The garbage collector knows none of them: the
// Deployment -> ReplicaSet -> Pod chain is just owner references.
var (
	deployments = res{group: "apps", version: "v1", resource: "deployments", kind: "Deployment", namespaced: true}
	replicasets = res{group: "apps", version: "v1", resource: "replicasets", kind: "ReplicaSet", namespaced: true}
	pods        = res{version: "v1", resource: "pods", kind: "Pod", namespaced: true}
	configmaps  = res{version: "v1", resource: "configmaps", kind: "ConfigMap", namespaced: true}
	nodes       = res{version: "v1", resource: "nodes", kind: "Node"}
	widgets     = res{group: "example.com", version: "v1", resource: "widgets", kind: "Widget", namespaced: true, noSMP: true}
	events      = res{version: "v1", resource: "events", kind: "Event", namespaced: true}

	allResources = []res{deployments, replicasets, pods, configmaps, nodes, widgets, events}
)

func object(r res, namespace, name, uid string, owners ...metav1.OwnerReference) *metav1.PartialObjectMetadata {
	return &metav1.PartialObjectMetadata{
		TypeMeta:   metav1.TypeMeta{APIVersion: r.apiVersion(), Kind: r.kind},
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name, UID: types.UID(uid), OwnerReferences: owners},
	}
}

func ownerRef(r res, name, uid string, block bool) metav1.OwnerReference {
	ref := metav1.OwnerReference{APIVersion: r.apiVersion(), Kind: r.kind, Name: name, UID: types.UID(uid)}
	if block {
		ref.BlockOwnerDeletion = &block
	}
	return ref
}

// serverAction is one write the fake apiserver served.
type serverAction struct {
	verb      string // "delete" or "patch"
	resource  string
	namespace string
	name      string
	// removed is set when the write removed the object from storage.
	removed   bool
	options   metav1.DeleteOptions
	patchType types.PatchType
	patch     string
}

func (a serverAction) String() string {
	return fmt.Sprintf("%s %s %s/%s removed=%t %s %s", a.verb, a.resource, a.namespace, a.name, a.removed, a.patchType, a.patch)
}

// fakeServer gives a fake metadata client the apiserver semantics the
// garbage collector relies on: delete preconditions, the propagation
// finalizers of DeleteOptions, deletionTimestamp while finalizers remain,
// removal when the last finalizer goes, strategic merge and JSON merge
// patches with the uid and resourceVersion checks of an update.
type fakeServer struct {
	client *metadatafake.FakeMetadataClient
	clock  clock.Clock
	byGVR  map[schema.GroupVersionResource]res

	mu  sync.Mutex
	rv  int64
	log []serverAction
}

func newFakeServer(clk clock.Clock, resources []res) *fakeServer {
	scheme := metadatafake.NewTestScheme()
	if err := metav1.AddMetaToScheme(scheme); err != nil {
		panic(err)
	}
	s := &fakeServer{client: metadatafake.NewSimpleMetadataClient(scheme), clock: clk, byGVR: map[schema.GroupVersionResource]res{}}
	for _, r := range resources {
		s.byGVR[r.gvr()] = r
	}
	s.client.PrependReactor("delete", "*", s.reactDelete)
	s.client.PrependReactor("patch", "*", s.reactPatch)
	return s
}

// create stores obj as a client's create would.
func (s *fakeServer) create(t *testing.T, r res, obj *metav1.PartialObjectMetadata) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	obj = obj.DeepCopy()
	s.rv++
	obj.ResourceVersion = strconv.FormatInt(s.rv, 10)
	if err := s.client.Tracker().Create(r.gvr(), obj, obj.Namespace); err != nil {
		t.Fatalf("creating %s %s/%s: %v", r.kind, obj.Namespace, obj.Name, err)
	}
}

// get returns the stored object, or nil.
func (s *fakeServer) get(r res, namespace, name string) *metav1.PartialObjectMetadata {
	obj, err := s.client.Tracker().Get(r.gvr(), namespace, name)
	if err != nil {
		return nil
	}
	return obj.(*metav1.PartialObjectMetadata)
}

func (s *fakeServer) actions() []serverAction {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.log)
}

func (s *fakeServer) lookup(a k8stesting.Action, name string) (res, *metav1.PartialObjectMetadata, error) {
	r, ok := s.byGVR[a.GetResource()]
	if !ok {
		return res{}, nil, apierrors.NewNotFound(a.GetResource().GroupResource(), name)
	}
	obj, err := s.client.Tracker().Get(r.gvr(), a.GetNamespace(), name)
	if err != nil {
		return r, nil, err
	}
	return r, obj.(*metav1.PartialObjectMetadata).DeepCopy(), nil
}

// write stores obj, or removes it if it is being deleted and has no
// finalizers left, as the apiserver's generic store does.
func (s *fakeServer) write(r res, obj *metav1.PartialObjectMetadata) (removed bool, err error) {
	if obj.DeletionTimestamp != nil && len(obj.Finalizers) == 0 {
		return true, s.client.Tracker().Delete(r.gvr(), obj.Namespace, obj.Name)
	}
	s.rv++
	obj.ResourceVersion = strconv.FormatInt(s.rv, 10)
	return false, s.client.Tracker().Update(r.gvr(), obj, obj.Namespace)
}

func (s *fakeServer) reactDelete(a k8stesting.Action) (bool, runtime.Object, error) {
	d := a.(k8stesting.DeleteAction)
	s.mu.Lock()
	defer s.mu.Unlock()
	r, obj, err := s.lookup(a, d.GetName())
	if err != nil {
		return true, nil, err
	}
	opts := d.GetDeleteOptions()
	gr := r.gvr().GroupResource()
	if p := opts.Preconditions; p != nil {
		if p.UID != nil && *p.UID != obj.UID {
			return true, nil, apierrors.NewConflict(gr, obj.Name, fmt.Errorf("precondition failed: UID in precondition: %v, UID in object meta: %v", *p.UID, obj.UID))
		}
		if p.ResourceVersion != nil && *p.ResourceVersion != obj.ResourceVersion {
			return true, nil, apierrors.NewConflict(gr, obj.Name, fmt.Errorf("precondition failed: ResourceVersion in precondition: %v, ResourceVersion in object meta: %v", *p.ResourceVersion, obj.ResourceVersion))
		}
	}
	// The generic store's deletionFinalizersForGarbageCollection, for
	// resources whose default policy is DeleteDependents.
	if pp := opts.PropagationPolicy; pp != nil {
		obj.Finalizers = slices.DeleteFunc(obj.Finalizers, func(f string) bool {
			return f == metav1.FinalizerOrphanDependents || f == metav1.FinalizerDeleteDependents
		})
		switch *pp {
		case metav1.DeletePropagationOrphan:
			obj.Finalizers = append(obj.Finalizers, metav1.FinalizerOrphanDependents)
		case metav1.DeletePropagationForeground:
			obj.Finalizers = append(obj.Finalizers, metav1.FinalizerDeleteDependents)
		}
	}
	if obj.DeletionTimestamp == nil {
		now := metav1.NewTime(s.clock.Now())
		obj.DeletionTimestamp = &now
	}
	removed, err := s.write(r, obj)
	if err == nil {
		s.log = append(s.log, serverAction{verb: "delete", resource: r.resource, namespace: obj.Namespace, name: obj.Name, removed: removed, options: opts})
	}
	return true, nil, err
}

func (s *fakeServer) reactPatch(a k8stesting.Action) (bool, runtime.Object, error) {
	p := a.(k8stesting.PatchAction)
	s.mu.Lock()
	defer s.mu.Unlock()
	r, obj, err := s.lookup(a, p.GetName())
	if err != nil {
		return true, nil, err
	}
	gr := r.gvr().GroupResource()
	original, err := json.Marshal(obj)
	if err != nil {
		return true, nil, err
	}
	var patched []byte
	switch p.GetPatchType() {
	case types.StrategicMergePatchType:
		if r.noSMP {
			return true, nil, apierrors.NewGenericServerResponse(http.StatusUnsupportedMediaType, "patch", gr, obj.Name, "strategic merge patch is not supported", 0, false)
		}
		patched, err = strategicpatch.StrategicMergePatch(original, p.GetPatch(), &metav1.PartialObjectMetadata{})
	case types.MergePatchType:
		patched, err = jsonpatch.MergePatch(original, p.GetPatch())
	default:
		return true, nil, apierrors.NewBadRequest(fmt.Sprintf("patch type %s not supported", p.GetPatchType()))
	}
	if err != nil {
		return true, nil, apierrors.NewBadRequest(err.Error())
	}
	out := &metav1.PartialObjectMetadata{}
	if err := json.Unmarshal(patched, out); err != nil {
		return true, nil, apierrors.NewBadRequest(err.Error())
	}
	if out.UID != obj.UID {
		return true, nil, apierrors.NewInvalid(schema.GroupKind{Group: r.group, Kind: r.kind}, obj.Name,
			field.ErrorList{field.Invalid(field.NewPath("metadata", "uid"), out.UID, "field is immutable")})
	}
	if out.ResourceVersion != obj.ResourceVersion {
		return true, nil, apierrors.NewConflict(gr, obj.Name, fmt.Errorf("the object has been modified; please apply your changes to the latest version and try again"))
	}
	removed, err := s.write(r, out)
	if err != nil {
		return true, nil, err
	}
	s.log = append(s.log, serverAction{verb: "patch", resource: r.resource, namespace: obj.Namespace, name: obj.Name, removed: removed, patchType: p.GetPatchType(), patch: string(p.GetPatch())})
	return true, out.DeepCopy(), nil
}

// fakeDiscovery reports lists of preferred resources that a test may change.
type fakeDiscovery struct {
	*fakediscovery.FakeDiscovery
	mu        sync.Mutex
	resources []res
}

func apiResourceLists(resources []res) []*metav1.APIResourceList {
	byGV := map[string]*metav1.APIResourceList{}
	var out []*metav1.APIResourceList
	for _, r := range resources {
		l, ok := byGV[r.apiVersion()]
		if !ok {
			l = &metav1.APIResourceList{GroupVersion: r.apiVersion()}
			byGV[r.apiVersion()] = l
			out = append(out, l)
		}
		l.APIResources = append(l.APIResources,
			metav1.APIResource{Name: r.resource, Kind: r.kind, Namespaced: r.namespaced,
				Verbs: metav1.Verbs{"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}},
			// Subresources never support delete, list and watch together.
			metav1.APIResource{Name: r.resource + "/status", Kind: r.kind, Namespaced: r.namespaced, Verbs: metav1.Verbs{"get", "patch", "update"}},
		)
	}
	return out
}

func (d *fakeDiscovery) set(resources []res) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.resources = slices.Clone(resources)
}

func (d *fakeDiscovery) get() []res {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.resources)
}

func (d *fakeDiscovery) ServerPreferredResources() ([]*metav1.APIResourceList, error) {
	return d.ServerPreferredResourcesWithContext(context.Background())
}

func (d *fakeDiscovery) ServerPreferredResourcesWithContext(context.Context) ([]*metav1.APIResourceList, error) {
	return apiResourceLists(d.get()), nil
}

// fakeMapper maps what discovery reported at the last Reset, as a
// discovery-backed mapper does.
type fakeMapper struct {
	discovery *fakeDiscovery
	mu        sync.Mutex
	mapper    meta.RESTMapper
	resets    int
}

var _ meta.ResettableRESTMapper = &fakeMapper{}

func newFakeMapper(d *fakeDiscovery) *fakeMapper {
	m := &fakeMapper{discovery: d}
	m.rebuild()
	return m
}

func (m *fakeMapper) rebuild() {
	dm := meta.NewDefaultRESTMapper(nil)
	for _, r := range m.discovery.get() {
		scope := meta.RESTScopeRoot
		if r.namespaced {
			scope = meta.RESTScopeNamespace
		}
		gv := schema.GroupVersion{Group: r.group, Version: r.version}
		dm.AddSpecific(gv.WithKind(r.kind), r.gvr(), gv.WithResource(r.resource[:len(r.resource)-1]), scope)
	}
	m.mapper = dm
}

func (m *fakeMapper) get() meta.RESTMapper {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.mapper
}

func (m *fakeMapper) Reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.resets++
	m.rebuild()
}

func (m *fakeMapper) resetCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.resets
}

func (m *fakeMapper) KindFor(r schema.GroupVersionResource) (schema.GroupVersionKind, error) {
	return m.get().KindFor(r)
}

func (m *fakeMapper) KindsFor(r schema.GroupVersionResource) ([]schema.GroupVersionKind, error) {
	return m.get().KindsFor(r)
}

func (m *fakeMapper) ResourceFor(r schema.GroupVersionResource) (schema.GroupVersionResource, error) {
	return m.get().ResourceFor(r)
}

func (m *fakeMapper) ResourcesFor(r schema.GroupVersionResource) ([]schema.GroupVersionResource, error) {
	return m.get().ResourcesFor(r)
}

func (m *fakeMapper) RESTMapping(gk schema.GroupKind, versions ...string) (*meta.RESTMapping, error) {
	return m.get().RESTMapping(gk, versions...)
}

func (m *fakeMapper) RESTMappings(gk schema.GroupKind, versions ...string) ([]*meta.RESTMapping, error) {
	return m.get().RESTMappings(gk, versions...)
}

func (m *fakeMapper) ResourceSingularizer(resource string) (string, error) {
	return m.get().ResourceSingularizer(resource)
}

// harness runs the controller (Run and all) against the fake apiserver on a
// fake clock.
type harness struct {
	t         *testing.T
	ctx       context.Context
	clock     *testingclock.FakeClock
	server    *fakeServer
	discovery *fakeDiscovery
	mapper    *fakeMapper
	c         *Controller
	rec       *controllertest.Recorder

	mu           sync.Mutex
	handled      map[types.UID]int
	resyncWaits  int
	orphanHandle map[types.UID]int
}

type seed struct {
	r   res
	obj *metav1.PartialObjectMetadata
}

// newHarness seeds the objects, then starts the controller with discovery
// reporting discovered, and waits until it is ready.
func newHarness(t *testing.T, discovered []res, seeds ...seed) *harness {
	t.Helper()
	_, ctx := ktesting.NewTestContext(t)
	ctx, cancel := context.WithCancel(ctx)
	clk := testingclock.NewFakeClock(t0)
	h := &harness{
		t: t, ctx: ctx, clock: clk,
		server:       newFakeServer(clk, allResources),
		discovery:    &fakeDiscovery{FakeDiscovery: &fakediscovery.FakeDiscovery{Fake: &k8stesting.Fake{}}},
		rec:          &controllertest.Recorder{},
		handled:      map[types.UID]int{},
		orphanHandle: map[types.UID]int{},
	}
	h.discovery.set(discovered)
	h.mapper = newFakeMapper(h.discovery)
	for _, s := range seeds {
		h.server.create(t, s.r, s.obj)
	}

	c, err := New(Config{ConcurrentGCSyncs: 5, Clock: clk}, h.server.client, h.mapper, h.discovery, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	c.graph.eventRecorder = h.rec
	c.onDeleteHandled = func(n *node, _ workQueueItemAction) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.handled[n.identity.UID]++
	}
	c.onOrphanHandled = func(n *node, _ workQueueItemAction) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.orphanHandle[n.identity.UID]++
	}
	c.onResyncWait = func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.resyncWaits++
	}
	h.c = c

	done := make(chan error)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run returned %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Run did not return after cancellation")
		}
	})
	select {
	case <-c.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("controller not ready")
	}
	return h
}

func (h *harness) handledCount(uid string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.handled[types.UID(uid)]
}

func (h *harness) resyncWaitCount() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.resyncWaits
}

// waitGone waits until the object is removed from storage.
func (h *harness) waitGone(r res, namespace, name string) {
	h.t.Helper()
	controllertest.Eventually(h.t, func() bool { return h.server.get(r, namespace, name) == nil },
		"%s %s/%s removed; actions:\n%s", r.kind, namespace, name, h.dumpActions())
}

// waitObserved waits until the graph holds uid as an observed node.
func (h *harness) waitObserved(uid string) {
	h.t.Helper()
	controllertest.Eventually(h.t, func() bool {
		n, ok := h.c.graph.uidToNode.Read(types.UID(uid))
		return ok && n.isObserved()
	}, "uid %s observed in the graph", uid)
}

// waitSeen waits until the graph has observed the seeded object, or the
// object is already gone (collected before the test looked).
func (h *harness) waitSeen(s seed) {
	h.t.Helper()
	controllertest.Eventually(h.t, func() bool {
		if n, ok := h.c.graph.uidToNode.Read(s.obj.UID); ok && n.isObserved() {
			return true
		}
		return h.server.get(s.r, s.obj.Namespace, s.obj.Name) == nil
	}, "%s %s/%s observed in the graph", s.r.kind, s.obj.Namespace, s.obj.Name)
}

// mustGet returns the stored object or fails the test.
func (h *harness) mustGet(r res, namespace, name string) *metav1.PartialObjectMetadata {
	h.t.Helper()
	obj := h.server.get(r, namespace, name)
	if obj == nil {
		h.t.Fatalf("%s %s/%s is gone; actions:\n%s", r.kind, namespace, name, h.dumpActions())
	}
	return obj
}

// userDelete deletes as a user would, through the client.
func (h *harness) userDelete(r res, namespace, name string, policy metav1.DeletionPropagation) {
	h.t.Helper()
	err := h.server.client.Resource(r.gvr()).Namespace(namespace).Delete(h.ctx, name, metav1.DeleteOptions{PropagationPolicy: &policy})
	if err != nil {
		h.t.Fatalf("deleting %s %s/%s: %v", r.kind, namespace, name, err)
	}
}

func (h *harness) dumpActions() string {
	var b []byte
	for _, a := range h.server.actions() {
		b = append(b, a.String()...)
		b = append(b, '\n')
	}
	return string(b)
}

// findAction returns the index and action of the first logged action
// matching verb, resource and name, or -1.
func findAction(actions []serverAction, verb, resource, name string) (int, serverAction) {
	for i, a := range actions {
		if a.verb == verb && a.resource == resource && a.name == name {
			return i, a
		}
	}
	return -1, serverAction{}
}

func ownerUIDs(obj *metav1.PartialObjectMetadata) []types.UID {
	var out []types.UID
	for _, ref := range obj.OwnerReferences {
		out = append(out, ref.UID)
	}
	return out
}
