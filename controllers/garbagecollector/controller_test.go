package garbagecollector

import (
	"slices"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	"github.com/k1s-dev/k1s/controllers/internal/controllertest"
)

// assertBackgroundDelete checks that the garbage collector deleted name with
// propagationPolicy Background and a uid precondition.
func assertBackgroundDelete(t *testing.T, h *harness, r res, name, uid string) {
	t.Helper()
	i, a := findAction(h.server.actions(), "delete", r.resource, name)
	if i < 0 {
		t.Fatalf("no delete of %s %s; actions:\n%s", r.kind, name, h.dumpActions())
	}
	if a.options.PropagationPolicy == nil || *a.options.PropagationPolicy != metav1.DeletePropagationBackground {
		t.Errorf("delete of %s %s: propagationPolicy = %v, want Background", r.kind, name, a.options.PropagationPolicy)
	}
	if a.options.Preconditions == nil || a.options.Preconditions.UID == nil || *a.options.Preconditions.UID != types.UID(uid) {
		t.Errorf("delete of %s %s: preconditions = %+v, want uid %s", r.kind, name, a.options.Preconditions, uid)
	}
}

func TestBackgroundCascade(t *testing.T) {
	const ns = "default"
	chain := []seed{
		{deployments, object(deployments, ns, "web", "d1")},
		{replicasets, object(replicasets, ns, "web-1", "r1", ownerRef(deployments, "web", "d1", true))},
		{pods, object(pods, ns, "web-1-a", "p1", ownerRef(replicasets, "web-1", "r1", true))},
		// p2 has a second owner that stays: it loses only its reference to r1.
		{configmaps, object(configmaps, ns, "keep", "k1")},
		{pods, object(pods, ns, "web-1-b", "p2", ownerRef(replicasets, "web-1", "r1", true), ownerRef(configmaps, "keep", "k1", false))},
	}
	for _, tc := range []struct {
		name string
		// seeded objects are listed by the informers; the others arrive
		// as watch events once the controller is ready.
		seeded bool
	}{
		{name: "objects listed at start", seeded: true},
		{name: "objects created while running", seeded: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var h *harness
			if tc.seeded {
				h = newHarness(t, allResources, chain...)
			} else {
				h = newHarness(t, allResources)
				for _, s := range chain {
					h.server.create(t, s.r, s.obj)
				}
			}
			for _, s := range chain {
				h.waitObserved(string(s.obj.UID))
			}
			if got := h.c.graph.blockingCount("d1"); got != 1 {
				t.Errorf("blocking dependents of the deployment = %d, want 1", got)
			}

			h.userDelete(deployments, ns, "web", metav1.DeletePropagationBackground)

			h.waitGone(replicasets, ns, "web-1")
			h.waitGone(pods, ns, "web-1-a")
			controllertest.Eventually(t, func() bool {
				p := h.server.get(pods, ns, "web-1-b")
				return p != nil && slices.Equal(ownerUIDs(p), []types.UID{"k1"})
			}, "pod web-1-b keeps only its configmap owner; actions:\n%s", h.dumpActions())

			assertBackgroundDelete(t, h, replicasets, "web-1", "r1")
			assertBackgroundDelete(t, h, pods, "web-1-a", "p1")
			_, patch := findAction(h.server.actions(), "patch", "pods", "web-1-b")
			wantPatch := `{"metadata":{"uid":"p2","ownerReferences":[{"$patch":"delete","uid":"r1"}]}}`
			if patch.patchType != types.StrategicMergePatchType || patch.patch != wantPatch {
				t.Errorf("patch of pod web-1-b = %s %s, want %s %s", patch.patchType, patch.patch, types.StrategicMergePatchType, wantPatch)
			}
			h.mustGet(configmaps, ns, "keep")
		})
	}
}

// blockingCount returns how many dependents block the node of uid.
func (gb *graphBuilder) blockingCount(uid string) int {
	n, ok := gb.uidToNode.Read(types.UID(uid))
	if !ok {
		return -1
	}
	return len(n.blockingDependents())
}

func TestDanglingOwners(t *testing.T) {
	type key struct {
		r    res
		ns   string
		name string
	}
	for _, tc := range []struct {
		name  string
		seeds []seed
		// later are created once the controller is ready, each after the
		// previous one is in the graph, to fix the order of observation.
		later    []seed
		wantGone []key
		// wantKept maps kept objects to the owner uids they must end with.
		wantKept map[key][]types.UID
		// waitHandled are uids whose nodes must have been processed before
		// wantKept is checked, when nothing else shows the work is done.
		waitHandled   []string
		wantPatchType map[key]types.PatchType
		wantEvents    []string
	}{
		{
			name:     "owner never existed",
			seeds:    []seed{{pods, object(pods, "ns", "p", "p1", ownerRef(replicasets, "ghost", "g1", true))}},
			wantGone: []key{{pods, "ns", "p"}},
		},
		{
			name: "owner replaced by another object of the same name",
			seeds: []seed{
				{replicasets, object(replicasets, "ns", "web-1", "r-new")},
				{pods, object(pods, "ns", "p", "p1", ownerRef(replicasets, "web-1", "r-old", true))},
			},
			wantGone: []key{{pods, "ns", "p"}},
			wantKept: map[key][]types.UID{{replicasets, "ns", "web-1"}: nil},
		},
		{
			name:  "owner in a different namespace",
			seeds: []seed{{configmaps, object(configmaps, "a", "o", "o1")}},
			later: []seed{{pods, object(pods, "b", "p", "p1", ownerRef(configmaps, "o", "o1", false))}},
			// The pod's reference is resolved in its own namespace, where
			// there is no such configmap.
			wantGone:   []key{{pods, "b", "p"}},
			wantKept:   map[key][]types.UID{{configmaps, "a", "o"}: nil},
			wantEvents: []string{`ownerRef [v1/ConfigMap, namespace: b, name: o, uid: o1] does not exist in namespace "b"`},
		},
		{
			name: "dangling reference removed, solid namespaced and cluster-scoped owners kept",
			seeds: []seed{
				{nodes, object(nodes, "", "n", "n1")},
				{configmaps, object(configmaps, "ns", "k", "k1")},
				{pods, object(pods, "ns", "p", "p1",
					ownerRef(replicasets, "ghost", "g1", true), ownerRef(nodes, "n", "n1", false), ownerRef(configmaps, "k", "k1", false))},
			},
			wantKept:      map[key][]types.UID{{pods, "ns", "p"}: {"n1", "k1"}},
			wantPatchType: map[key]types.PatchType{{pods, "ns", "p"}: types.StrategicMergePatchType},
		},
		{
			name: "custom resource without strategic merge patch gets a JSON merge patch",
			seeds: []seed{
				{configmaps, object(configmaps, "ns", "k", "k1")},
				{widgets, object(widgets, "ns", "w", "w1", ownerRef(replicasets, "ghost", "g1", true), ownerRef(configmaps, "k", "k1", false))},
			},
			wantKept:      map[key][]types.UID{{widgets, "ns", "w"}: {"k1"}},
			wantPatchType: map[key]types.PatchType{{widgets, "ns", "w"}: types.MergePatchType},
		},
		{
			name: "cluster-scoped object naming a namespaced owner is left alone",
			seeds: []seed{
				{nodes, object(nodes, "", "n", "n1", ownerRef(configmaps, "k", "k1", false))},
			},
			wantKept:    map[key][]types.UID{{nodes, "", "n"}: {"k1"}},
			waitHandled: []string{"k1"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, allResources, tc.seeds...)
			for _, s := range tc.seeds {
				h.waitSeen(s)
			}
			for _, s := range tc.later {
				h.server.create(t, s.r, s.obj)
				h.waitSeen(s)
			}
			for _, k := range tc.wantGone {
				h.waitGone(k.r, k.ns, k.name)
				uid := ""
				for _, s := range append(slices.Clone(tc.seeds), tc.later...) {
					if s.obj.Name == k.name && s.obj.Namespace == k.ns && s.r == k.r {
						uid = string(s.obj.UID)
					}
				}
				assertBackgroundDelete(t, h, k.r, k.name, uid)
			}
			for _, uid := range tc.waitHandled {
				controllertest.Eventually(t, func() bool { return h.handledCount(uid) > 0 }, "uid %s handled", uid)
			}
			for k, wantOwners := range tc.wantKept {
				controllertest.Eventually(t, func() bool {
					obj := h.server.get(k.r, k.ns, k.name)
					return obj != nil && slices.Equal(ownerUIDs(obj), wantOwners)
				}, "%s %s/%s kept with owners %v; actions:\n%s", k.r.kind, k.ns, k.name, wantOwners, h.dumpActions())
				if i, a := findAction(h.server.actions(), "delete", k.r.resource, k.name); i >= 0 {
					t.Errorf("%s %s/%s must not be deleted: %s", k.r.kind, k.ns, k.name, a)
				}
			}
			for k, want := range tc.wantPatchType {
				var got []types.PatchType
				for _, a := range h.server.actions() {
					if a.verb == "patch" && a.resource == k.r.resource && a.name == k.name {
						got = append(got, a.patchType)
					}
				}
				if !slices.Equal(got, []types.PatchType{want}) {
					t.Errorf("patches of %s %s/%s = %v, want [%s]", k.r.kind, k.ns, k.name, got, want)
				}
			}
			var gotEvents []string
			for _, e := range h.rec.Find(EventOwnerRefInvalidNamespace) {
				if e.Type != "Warning" {
					t.Errorf("event %s: want type Warning", e)
				}
				gotEvents = append(gotEvents, e.Message)
			}
			if !slices.Equal(gotEvents, tc.wantEvents) {
				t.Errorf("OwnerRefInvalidNamespace events = %q, want %q", gotEvents, tc.wantEvents)
			}
		})
	}
}

func TestForegroundDeletion(t *testing.T) {
	const ns = "default"
	const hold = "example.com/hold"
	blocking := object(replicasets, ns, "a", "a1", ownerRef(deployments, "web", "d1", true))
	blocking.Finalizers = []string{hold}
	h := newHarness(t, allResources,
		seed{deployments, object(deployments, ns, "web", "d1")},
		// a blocks the deployment; its own finalizer keeps it around
		// after it is deleted, until the test lets it go.
		seed{replicasets, blocking},
		seed{pods, object(pods, ns, "c", "c1", ownerRef(replicasets, "a", "a1", true))},
		// b does not block, but is deleted all the same.
		seed{replicasets, object(replicasets, ns, "b", "b1", ownerRef(deployments, "web", "d1", false))},
	)
	for _, uid := range []string{"d1", "a1", "b1", "c1"} {
		h.waitObserved(uid)
	}

	h.userDelete(deployments, ns, "web", metav1.DeletePropagationForeground)

	h.waitGone(replicasets, ns, "b")
	h.waitGone(pods, ns, "c")
	// a has dependents, so it is deleted in foreground in turn; once c is
	// gone its foregroundDeletion finalizer goes, and only hold remains.
	controllertest.Eventually(t, func() bool {
		a := h.server.get(replicasets, ns, "a")
		return a != nil && a.DeletionTimestamp != nil && slices.Equal(a.Finalizers, []string{hold})
	}, "replicaset a deleted, waiting on its own finalizer only; actions:\n%s", h.dumpActions())
	// The deployment has been looked at while a still exists...
	controllertest.Eventually(t, func() bool { return h.handledCount("d1") > 0 }, "deployment handled")
	// ...and a, which blocks it, kept it from being finalized.
	if d := h.mustGet(deployments, ns, "web"); d.DeletionTimestamp == nil || !slices.Contains(d.Finalizers, metav1.FinalizerDeleteDependents) {
		t.Fatalf("deployment = deletionTimestamp %v finalizers %v, want it waiting on foregroundDeletion", d.DeletionTimestamp, d.Finalizers)
	}

	// Let a go: the deployment follows.
	if _, err := h.server.client.Resource(replicasets.gvr()).Namespace(ns).Patch(h.ctx, "a", types.MergePatchType,
		[]byte(`{"metadata":{"finalizers":null}}`), metav1.PatchOptions{}); err != nil {
		t.Fatalf("removing the hold finalizer: %v", err)
	}
	h.waitGone(replicasets, ns, "a")
	h.waitGone(deployments, ns, "web")

	actions := h.server.actions()
	aRemoved, deploymentRemoved := -1, -1
	for i, a := range actions {
		if a.removed && a.name == "a" {
			aRemoved = i
		}
		if a.removed && a.name == "web" {
			deploymentRemoved = i
			if a.verb != "patch" || a.patchType != types.MergePatchType {
				t.Errorf("deployment removed by %s, want the garbage collector's finalizer patch", a)
			}
		}
	}
	if aRemoved < 0 || deploymentRemoved < aRemoved {
		t.Errorf("deployment finalized at action %d, before its blocking dependent was removed at %d; actions:\n%s", deploymentRemoved, aRemoved, h.dumpActions())
	}
	if _, a := findAction(actions, "delete", "replicasets", "a"); a.options.PropagationPolicy == nil || *a.options.PropagationPolicy != metav1.DeletePropagationForeground {
		t.Errorf("replicaset a, which has dependents, deleted with %v, want Foreground", a.options.PropagationPolicy)
	}
	assertBackgroundDelete(t, h, replicasets, "b", "b1")
	assertBackgroundDelete(t, h, pods, "c", "c1")
}

func TestOrphan(t *testing.T) {
	const ns = "default"
	h := newHarness(t, allResources,
		seed{deployments, object(deployments, ns, "web", "d1")},
		seed{configmaps, object(configmaps, ns, "keep", "k1")},
		seed{replicasets, object(replicasets, ns, "a", "a1", ownerRef(deployments, "web", "d1", true), ownerRef(configmaps, "keep", "k1", false))},
		seed{widgets, object(widgets, ns, "w", "w1", ownerRef(deployments, "web", "d1", true))},
		// A grandchild: orphaning is one level deep.
		seed{pods, object(pods, ns, "p", "p1", ownerRef(replicasets, "a", "a1", true))},
	)
	for _, uid := range []string{"d1", "k1", "a1", "w1", "p1"} {
		h.waitObserved(uid)
	}

	h.userDelete(deployments, ns, "web", metav1.DeletePropagationOrphan)
	h.waitGone(deployments, ns, "web")

	for _, tc := range []struct {
		r          res
		name       string
		wantOwners []types.UID
		patchType  types.PatchType
	}{
		{replicasets, "a", []types.UID{"k1"}, types.StrategicMergePatchType},
		{widgets, "w", nil, types.MergePatchType},
		{pods, "p", []types.UID{"a1"}, ""},
	} {
		obj := h.mustGet(tc.r, ns, tc.name)
		if got := ownerUIDs(obj); !slices.Equal(got, tc.wantOwners) {
			t.Errorf("%s %s owners = %v, want %v", tc.r.kind, tc.name, got, tc.wantOwners)
		}
		i, patch := findAction(h.server.actions(), "patch", tc.r.resource, tc.name)
		switch {
		case tc.patchType == "" && i >= 0:
			t.Errorf("%s %s must not be patched: %s", tc.r.kind, tc.name, patch)
		case tc.patchType != "" && patch.patchType != tc.patchType:
			t.Errorf("%s %s patched with %q, want %s", tc.r.kind, tc.name, patch.patchType, tc.patchType)
		}
	}
	actions := h.server.actions()
	for _, a := range actions {
		if a.verb == "delete" && a.name != "web" {
			t.Errorf("orphaning must delete nothing: %s", a)
		}
	}
	// The finalizer goes only once every dependent is orphaned.
	finalized, _ := findAction(actions, "patch", "deployments", "web")
	for _, d := range []res{replicasets, widgets} {
		name := map[res]string{replicasets: "a", widgets: "w"}[d]
		if i, _ := findAction(actions, "patch", d.resource, name); i < 0 || i > finalized {
			t.Errorf("%s %s orphaned at action %d, want before the owner was finalized at %d", d.kind, name, i, finalized)
		}
	}
}

func TestResyncFollowsDiscovery(t *testing.T) {
	withoutWidgets := slices.DeleteFunc(slices.Clone(allResources), func(r res) bool { return r == widgets })
	h := newHarness(t, withoutWidgets,
		seed{widgets, object(widgets, "ns", "w", "w1", ownerRef(replicasets, "ghost", "g1", true))},
	)
	monitored := func() []schema.GroupVersionResource {
		h.c.graph.monitorLock.RLock()
		defer h.c.graph.monitorLock.RUnlock()
		var out []schema.GroupVersionResource
		for gvr := range h.c.graph.monitors {
			out = append(out, gvr)
		}
		return out
	}
	if got := monitored(); slices.Contains(got, widgets.gvr()) || slices.Contains(got, events.gvr()) || len(got) != len(withoutWidgets)-1 {
		t.Fatalf("monitors = %v, want every discovered resource but events", got)
	}
	controllertest.Eventually(t, func() bool { return h.resyncWaitCount() == 1 }, "first resync round done")
	resets := h.mapper.resetCount()

	// A new resource appears: its objects come into the graph at the next
	// round, and the mapper learns the new kind.
	h.discovery.set(allResources)
	h.clock.Step(DefaultResourceSyncPeriod)
	h.waitGone(widgets, "ns", "w")
	if h.mapper.resetCount() <= resets {
		t.Errorf("the REST mapper was not reset when discovery changed")
	}

	// A resource goes away: its monitor stops.
	controllertest.Eventually(t, func() bool { return h.resyncWaitCount() == 2 }, "second resync round done")
	h.discovery.set(withoutWidgets)
	h.clock.Step(DefaultResourceSyncPeriod)
	controllertest.Eventually(t, func() bool { return !slices.Contains(monitored(), widgets.gvr()) }, "widgets monitor stopped")

	// Nothing changes: no reset.
	controllertest.Eventually(t, func() bool { return h.resyncWaitCount() == 3 }, "third resync round done")
	resets = h.mapper.resetCount()
	h.clock.Step(DefaultResourceSyncPeriod)
	controllertest.Eventually(t, func() bool { return h.resyncWaitCount() == 4 }, "fourth resync round done")
	if h.mapper.resetCount() != resets {
		t.Errorf("the REST mapper was reset although discovery did not change")
	}

	if err := h.c.Run(h.ctx); err == nil {
		t.Error("a second Run must fail")
	}
}
