package garbagecollector

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	fakediscovery "k8s.io/client-go/discovery/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/record"
	"k8s.io/klog/v2/ktesting"
	testingclock "k8s.io/utils/clock/testing"
)

func TestConfig(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{name: "zero value"},
		{name: "defaults", cfg: DefaultConfig()},
		{name: "negative workers", cfg: Config{ConcurrentGCSyncs: -1}, wantErr: "--concurrent-gc-syncs"},
		{name: "negative period", cfg: Config{ResourceSyncPeriod: -time.Second}, wantErr: "resource sync period"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if (err != nil) != (tc.wantErr != "") || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("Validate() = %v, want an error naming %q", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			got := tc.cfg.withDefaults()
			if got.ConcurrentGCSyncs != 20 || got.ResourceSyncPeriod != 30*time.Second || got.Clock == nil {
				t.Errorf("withDefaults() = %+v, want 20 workers, 30s, a clock", got)
			}
			if !maps.Equal(got.IgnoredResources, DefaultIgnoredResources()) {
				t.Errorf("ignored resources = %v, want %v", got.IgnoredResources, DefaultIgnoredResources())
			}
		})
	}
	// An explicit empty map ignores nothing.
	if got := (Config{IgnoredResources: map[schema.GroupResource]struct{}{}}).withDefaults().IgnoredResources; len(got) != 0 {
		t.Errorf("explicit empty ignore list became %v", got)
	}
	want := map[schema.GroupResource]struct{}{{Resource: "events"}: {}, {Group: "events.k8s.io", Resource: "events"}: {}}
	if !maps.Equal(DefaultIgnoredResources(), want) {
		t.Errorf("DefaultIgnoredResources() = %v, want %v", DefaultIgnoredResources(), want)
	}
}

func TestNewRejects(t *testing.T) {
	d := &fakeDiscovery{FakeDiscovery: &fakediscovery.FakeDiscovery{Fake: &k8stesting.Fake{}}}
	server := newFakeServer(testingclock.NewFakeClock(t0), allResources)
	mapper := newFakeMapper(d)
	for _, tc := range []struct {
		name string
		new  func() (*Controller, error)
	}{
		{"invalid config", func() (*Controller, error) { return New(Config{ConcurrentGCSyncs: -1}, server.client, mapper, d, nil) }},
		{"no metadata client", func() (*Controller, error) { return New(Config{}, nil, mapper, d, nil) }},
		{"no mapper", func() (*Controller, error) { return New(Config{}, server.client, nil, d, nil) }},
		{"no discovery", func() (*Controller, error) { return New(Config{}, server.client, mapper, nil, nil) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if c, err := tc.new(); err == nil || c != nil {
				t.Errorf("New = %v, %v; want an error", c, err)
			}
		})
	}
}

// TestIsDangling drives isDangling against the fake apiserver, without Run.
func TestIsDangling(t *testing.T) {
	item := &node{identity: objectReference{OwnerReference: ownerRef(pods, "p", "p1", false), Namespace: "ns"}}
	clusterItem := &node{identity: objectReference{OwnerReference: ownerRef(nodes, "n", "n1", false)}}
	for _, tc := range []struct {
		name         string
		item         *node
		ref          metav1.OwnerReference
		cached       *objectReference
		wantDangling bool
		wantOwner    bool
		wantErr      error
		// wantCached is recorded absent afterwards.
		wantCached *objectReference
		wantGets   int
	}{
		{name: "owner exists", item: item, ref: ownerRef(replicasets, "rs", "r1", true), wantOwner: true, wantGets: 1},
		{name: "owner not found", item: item, ref: ownerRef(replicasets, "missing", "m1", true), wantDangling: true, wantGets: 1,
			wantCached: &objectReference{OwnerReference: ownerRef(replicasets, "missing", "m1", false), Namespace: "ns"}},
		{name: "owner uid mismatch", item: item, ref: ownerRef(replicasets, "rs", "r-old", true), wantDangling: true, wantGets: 1,
			wantCached: &objectReference{OwnerReference: ownerRef(replicasets, "rs", "r-old", false), Namespace: "ns"}},
		{name: "cluster-scoped owner found from a namespace", item: item, ref: ownerRef(nodes, "n", "n1", false), wantOwner: true, wantGets: 1},
		{name: "cluster-scoped owner cached without namespace", item: item, ref: ownerRef(nodes, "gone", "g1", false), wantDangling: true, wantGets: 1,
			wantCached: &objectReference{OwnerReference: ownerRef(nodes, "gone", "g1", false)}},
		{name: "cached absent owner costs no GET", item: item, ref: ownerRef(replicasets, "rs", "r1", true), wantDangling: true,
			cached: &objectReference{OwnerReference: ownerRef(replicasets, "rs", "r1", false), Namespace: "ns"}},
		{name: "namespaced owner of a cluster-scoped object", item: clusterItem, ref: ownerRef(configmaps, "k", "k1", false), wantErr: errNamespacedOwnerOfClusterScopedObject},
		{name: "unknown kind", item: item, ref: metav1.OwnerReference{APIVersion: "nope/v1", Kind: "Nope", Name: "x", UID: "x1"}, wantErr: &restMappingError{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, ctx := ktesting.NewTestContext(t)
			d := &fakeDiscovery{FakeDiscovery: &fakediscovery.FakeDiscovery{Fake: &k8stesting.Fake{}}}
			d.set(allResources)
			server := newFakeServer(testingclock.NewFakeClock(t0), allResources)
			server.create(t, replicasets, object(replicasets, "ns", "rs", "r1"))
			server.create(t, nodes, object(nodes, "", "n", "n1"))
			c, err := New(Config{}, server.client, newFakeMapper(d), d, nil)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			if tc.cached != nil {
				c.absentOwnerCache.Add(*tc.cached)
			}
			server.client.ClearActions()

			dangling, owner, err := c.isDangling(ctx, tc.ref, tc.item)
			var mappingErr *restMappingError
			switch {
			case tc.wantErr == nil && err != nil,
				errors.As(tc.wantErr, &mappingErr) && !errors.As(err, &mappingErr),
				tc.wantErr != nil && !errors.As(tc.wantErr, &mappingErr) && !errors.Is(err, tc.wantErr):
				t.Fatalf("isDangling error = %v, want %v", err, tc.wantErr)
			}
			if dangling != tc.wantDangling || (owner != nil) != tc.wantOwner {
				t.Errorf("isDangling = %t, owner %v; want %t, owner %t", dangling, owner, tc.wantDangling, tc.wantOwner)
			}
			if owner != nil && owner.UID != tc.ref.UID {
				t.Errorf("owner uid = %s, want %s", owner.UID, tc.ref.UID)
			}
			if tc.wantCached != nil && !c.absentOwnerCache.Has(*tc.wantCached) {
				t.Errorf("%s not recorded absent", tc.wantCached)
			}
			gets := 0
			for _, a := range server.client.Actions() {
				if a.GetVerb() == "get" {
					gets++
				}
			}
			if gets != tc.wantGets {
				t.Errorf("GETs = %d, want %d", gets, tc.wantGets)
			}
		})
	}
}

func TestReferencesDiffs(t *testing.T) {
	a := ownerRef(replicasets, "a", "a1", false)
	aBlocking := ownerRef(replicasets, "a", "a1", true)
	b := ownerRef(replicasets, "b", "b1", false)
	c := ownerRef(replicasets, "c", "c1", false)
	for _, tc := range []struct {
		name                   string
		oldRefs, newRefs       []metav1.OwnerReference
		wantAdded, wantRemoved []types.UID
		wantChanged            []types.UID
	}{
		{name: "same", oldRefs: []metav1.OwnerReference{a, b}, newRefs: []metav1.OwnerReference{b, a}},
		{name: "added", oldRefs: []metav1.OwnerReference{a}, newRefs: []metav1.OwnerReference{a, b}, wantAdded: []types.UID{"b1"}},
		{name: "removed", oldRefs: []metav1.OwnerReference{a, b, c}, newRefs: []metav1.OwnerReference{b}, wantRemoved: []types.UID{"a1", "c1"}},
		{name: "changed", oldRefs: []metav1.OwnerReference{aBlocking}, newRefs: []metav1.OwnerReference{a}, wantChanged: []types.UID{"a1"}},
		{name: "from none", newRefs: []metav1.OwnerReference{a}, wantAdded: []types.UID{"a1"}},
		{name: "to none", oldRefs: []metav1.OwnerReference{a}, wantRemoved: []types.UID{"a1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			added, removed, changed := referencesDiffs(tc.oldRefs, tc.newRefs)
			var changedUIDs []types.UID
			for _, p := range changed {
				if p.oldRef.UID != p.newRef.UID {
					t.Errorf("changed pair of different uids: %v", p)
				}
				changedUIDs = append(changedUIDs, p.newRef.UID)
			}
			for _, c := range []struct {
				what      string
				got, want []types.UID
			}{
				{"added", ownerRefsToUIDs(added), tc.wantAdded},
				{"removed", ownerRefsToUIDs(removed), tc.wantRemoved},
				{"changed", changedUIDs, tc.wantChanged},
			} {
				if !slices.Equal(nilIfEmpty(c.got), nilIfEmpty(c.want)) {
					t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
				}
			}
		})
	}
}

func nilIfEmpty(s []types.UID) []types.UID {
	if len(s) == 0 {
		return nil
	}
	return s
}

func TestPatches(t *testing.T) {
	yes, no := true, false
	n := &node{identity: objectReference{OwnerReference: ownerRef(pods, "p", "p1", false), Namespace: "ns"}, owners: []metav1.OwnerReference{
		{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "a", UID: "a1", BlockOwnerDeletion: &yes},
		{APIVersion: "v1", Kind: "ConfigMap", Name: "k", UID: "k1", BlockOwnerDeletion: &no},
	}}
	unblock, err := n.unblockOwnerReferencesStrategicMergePatch()
	if err != nil {
		t.Fatal(err)
	}
	deleteRefs, err := deleteOwnerRefStrategicMergePatch("p1", "a1", "b1")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		got  []byte
		want string
	}{
		{
			name: "delete owner references",
			got:  deleteRefs,
			want: `{"metadata":{"uid":"p1","ownerReferences":[{"$patch":"delete","uid":"a1"},{"$patch":"delete","uid":"b1"}]}}`,
		},
		{
			name: "unblock owner references",
			got:  unblock,
			want: `{"metadata":{"uid":"p1","ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"a","uid":"a1","blockOwnerDeletion":false}]}}`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if string(tc.got) != tc.want {
				t.Errorf("patch = %s\nwant    %s", tc.got, tc.want)
			}
		})
	}
}

func TestDeletableResources(t *testing.T) {
	_, ctx := ktesting.NewTestContext(t)
	d := &fakeDiscovery{FakeDiscovery: &fakediscovery.FakeDiscovery{Fake: &k8stesting.Fake{}}}
	d.set([]res{pods, deployments})
	got, err := deletableResources(ctx, d)
	if err != nil {
		t.Fatalf("deletableResources: %v", err)
	}
	// The status subresources the fake reports lack delete, list and watch.
	want := map[schema.GroupVersionResource]struct{}{pods.gvr(): {}, deployments.gvr(): {}}
	if !maps.Equal(got, want) {
		t.Errorf("deletableResources = %v, want %v", got, want)
	}
}

func TestPrintDiff(t *testing.T) {
	oldResources := map[schema.GroupVersionResource]struct{}{pods.gvr(): {}, nodes.gvr(): {}}
	newResources := map[schema.GroupVersionResource]struct{}{pods.gvr(): {}, widgets.gvr(): {}}
	want := "added: [example.com/v1, Resource=widgets], removed: [/v1, Resource=nodes]"
	if got := printDiff(oldResources, newResources); got != want {
		t.Errorf("printDiff = %q, want %q", got, want)
	}
}

// TestEventsThroughCallerBroadcaster checks the source and contents of the
// OwnerRefInvalidNamespace event on a broadcaster the caller owns.
func TestEventsThroughCallerBroadcaster(t *testing.T) {
	b := record.NewBroadcaster()
	t.Cleanup(b.Shutdown)
	got := make(chan *corev1.Event, 1)
	w := b.StartEventWatcher(func(e *corev1.Event) { got <- e })
	t.Cleanup(w.Stop)

	d := &fakeDiscovery{FakeDiscovery: &fakediscovery.FakeDiscovery{Fake: &k8stesting.Fake{}}}
	server := newFakeServer(testingclock.NewFakeClock(t0), allResources)
	c, err := New(Config{}, server.client, newFakeMapper(d), d, b)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	dependent := &node{
		identity: objectReference{OwnerReference: ownerRef(pods, "p", "p1", false), Namespace: "b"},
		owners:   []metav1.OwnerReference{ownerRef(configmaps, "o", "o1", true)},
	}
	c.graph.reportInvalidNamespaceOwnerRef(dependent, "o1")

	select {
	case e := <-got:
		want := `ownerRef [v1/ConfigMap, namespace: b, name: o, uid: o1] does not exist in namespace "b"`
		if e.Source.Component != ControllerName || e.Type != corev1.EventTypeWarning || e.Reason != EventOwnerRefInvalidNamespace || e.Message != want {
			t.Errorf("event = %s %s %s %q, want %s Warning %s %q", e.Source.Component, e.Type, e.Reason, e.Message, ControllerName, EventOwnerRefInvalidNamespace, want)
		}
		if e.InvolvedObject.Kind != "Pod" || e.InvolvedObject.Namespace != "b" || e.InvolvedObject.Name != "p" || e.InvolvedObject.UID != "p1" {
			t.Errorf("event involves %+v, want the pod b/p", e.InvolvedObject)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no event")
	}
}
