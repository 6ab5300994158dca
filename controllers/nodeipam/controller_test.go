package nodeipam

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
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/klog/v2/ktesting"

	"github.com/k1s-dev/k1s/controllers/internal/controllertest"
)

func newNode(name string, podCIDRs ...string) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, UID: types.UID("uid-" + name)}}
	if len(podCIDRs) > 0 {
		n.Spec.PodCIDR = podCIDRs[0]
		n.Spec.PodCIDRs = podCIDRs
	}
	return n
}

// harness runs a Controller against a fake clientset without Run: tests call
// occupyExisting and syncNode themselves, one node at a time, so the order of
// allocations is deterministic.
type harness struct {
	t      *testing.T
	ctx    context.Context
	client *fake.Clientset
	c      *Controller
	rec    *controllertest.Recorder
}

func newHarness(t *testing.T, cfg Config, objs ...runtime.Object) *harness {
	t.Helper()
	_, ctx := ktesting.NewTestContext(t)
	ctx, cancel := context.WithCancel(ctx)
	client := fake.NewClientset(objs...)
	factory := informers.NewSharedInformerFactory(client, 0)
	c, err := New(cfg, client, factory, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	rec := &controllertest.Recorder{}
	c.recorder = rec
	factory.Start(ctx.Done())
	t.Cleanup(func() {
		cancel()
		factory.Shutdown()
		c.queue.ShutDown()
	})
	factory.WaitForCacheSync(ctx.Done())
	h := &harness{t: t, ctx: ctx, client: client, c: c, rec: rec}
	if err := c.occupyExisting(ctx); err != nil {
		t.Fatal(err)
	}
	return h
}

// node returns the live node.
func (h *harness) node(name string) *corev1.Node {
	h.t.Helper()
	n, err := h.client.CoreV1().Nodes().Get(h.ctx, name, metav1.GetOptions{})
	if err != nil {
		h.t.Fatal(err)
	}
	return n
}

// create adds a node and waits for the informer to see it.
func (h *harness) create(n *corev1.Node) {
	h.t.Helper()
	if _, err := h.client.CoreV1().Nodes().Create(h.ctx, n, metav1.CreateOptions{}); err != nil {
		h.t.Fatal(err)
	}
	h.waitCache(n.Name, func(*corev1.Node, error) bool { return true })
}

// delete removes a node and waits until the cache no longer has it. The
// release runs in the delete handler just after; tests wait on its effects.
func (h *harness) delete(name string) {
	h.t.Helper()
	if err := h.client.CoreV1().Nodes().Delete(h.ctx, name, metav1.DeleteOptions{}); err != nil {
		h.t.Fatal(err)
	}
	h.waitCache(name, func(_ *corev1.Node, err error) bool { return apierrors.IsNotFound(err) })
}

func (h *harness) waitCache(name string, cond func(*corev1.Node, error) bool) {
	h.t.Helper()
	controllertest.Eventually(h.t, func() bool { return cond(h.c.nodeLister.Get(name)) }, "informer cache for node %s", name)
}

// drainQueue empties the work queue of every notification so far: it creates
// a node "sentinel" and takes items until it has taken the sentinel's add.
// The informer delivers notifications in order and the queue is FIFO, so
// nothing older can arrive afterwards.
func (h *harness) drainQueue() {
	h.t.Helper()
	h.create(newNode("sentinel"))
	for {
		k, shutdown := h.c.queue.Get()
		if shutdown {
			h.t.Fatal("queue shut down")
		}
		h.c.queue.Done(k)
		if k == "sentinel" {
			return
		}
	}
}

// sync runs the sync handler for a node the cache shows with its latest state.
func (h *harness) sync(name string) error {
	h.t.Helper()
	live := h.node(name)
	h.waitCache(name, func(n *corev1.Node, err error) bool { return err == nil && n.ResourceVersion == live.ResourceVersion })
	return h.c.syncNode(h.ctx, name)
}

// allocate creates a node without CIDRs, syncs it and returns its podCIDRs.
func (h *harness) allocate(name string) []string {
	h.t.Helper()
	h.create(newNode(name))
	if err := h.sync(name); err != nil {
		h.t.Fatalf("sync %s: %v", name, err)
	}
	n := h.node(name)
	if len(n.Spec.PodCIDRs) > 0 && n.Spec.PodCIDR != n.Spec.PodCIDRs[0] {
		h.t.Errorf("node %s: podCIDR %s != podCIDRs[0] %s", name, n.Spec.PodCIDR, n.Spec.PodCIDRs[0])
	}
	return n.Spec.PodCIDRs
}

func (h *harness) wantCIDRs(name string, got []string, want ...string) {
	h.t.Helper()
	if !slices.Equal(got, want) {
		h.t.Errorf("node %s podCIDRs = %v, want %v", name, got, want)
	}
}

func TestAllocate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want [][]string // podCIDRs of n0, n1, ... created in order
	}{
		{
			name: "IPv4 in order",
			cfg:  Config{ClusterCIDRs: []string{"10.244.0.0/16"}},
			want: [][]string{{"10.244.0.0/24"}, {"10.244.1.0/24"}, {"10.244.2.0/24"}},
		},
		{
			name: "IPv6 single-stack",
			cfg:  Config{ClusterCIDRs: []string{"fd00:10:244::/56"}},
			want: [][]string{{"fd00:10:244::/64"}, {"fd00:10:244:1::/64"}},
		},
		{
			name: "dual-stack keeps --cluster-cidr order",
			cfg:  Config{ClusterCIDRs: []string{"10.244.0.0/16", "fd00:10:244::/56"}, NodeCIDRMaskSizeIPv4: 25},
			want: [][]string{{"10.244.0.0/25", "fd00:10:244::/64"}, {"10.244.0.128/25", "fd00:10:244:1::/64"}},
		},
		{
			name: "IPv6 first",
			cfg:  Config{ClusterCIDRs: []string{"fd00:10:244::/56", "10.244.0.0/16"}},
			want: [][]string{{"fd00:10:244::/64", "10.244.0.0/24"}},
		},
		{
			name: "service CIDR inside the cluster CIDR is skipped",
			cfg:  Config{ClusterCIDRs: []string{"10.0.0.0/16"}, ServiceCIDR: "10.0.1.0/24"},
			want: [][]string{{"10.0.0.0/24"}, {"10.0.2.0/24"}},
		},
		{
			name: "service CIDR spanning node subnets",
			cfg:  Config{ClusterCIDRs: []string{"10.0.0.0/16", "fd00::/56"}, ServiceCIDR: "fd00::/63,10.0.0.0/23"},
			want: [][]string{{"10.0.2.0/24", "fd00:0:0:2::/64"}},
		},
		{
			name: "disjoint service CIDR changes nothing",
			cfg:  Config{ClusterCIDRs: []string{"10.244.0.0/16"}, ServiceCIDR: "10.96.0.0/12"},
			want: [][]string{{"10.244.0.0/24"}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.cfg)
			for i, want := range tc.want {
				name := "n" + string(rune('0'+i))
				h.wantCIDRs(name, h.allocate(name), want...)
			}
			if evs := h.rec.Events(); len(evs) != 0 {
				t.Errorf("unexpected events:\n%s", h.rec.Dump())
			}
		})
	}
}

// TestExistingCIDRsOccupied: a restarted controller never hands out a CIDR a
// node already has, and leaves those nodes alone.
func TestExistingCIDRsOccupied(t *testing.T) {
	h := newHarness(t, Config{ClusterCIDRs: []string{"10.244.0.0/16", "fd00::/56"}},
		newNode("a", "10.244.0.0/24", "fd00::/64"),
		newNode("b", "10.244.2.0/24", "fd00:0:0:1::/64"),
	)
	if err := h.sync("a"); err != nil {
		t.Fatal(err)
	}
	h.wantCIDRs("a", h.node("a").Spec.PodCIDRs, "10.244.0.0/24", "fd00::/64")
	h.wantCIDRs("c", h.allocate("c"), "10.244.1.0/24", "fd00:0:0:2::/64")
	h.wantCIDRs("d", h.allocate("d"), "10.244.3.0/24", "fd00:0:0:3::/64")
	if n := len(h.client.Actions()); n == 0 {
		t.Fatal("no API actions recorded")
	}
	for _, a := range h.client.Actions() {
		if p, ok := a.(clienttesting.PatchAction); ok && (p.GetName() == "a" || p.GetName() == "b") {
			t.Errorf("node %s already had CIDRs but was patched: %s", p.GetName(), p.GetPatch())
		}
	}
}

// TestReleaseOnDelete also covers exhaustion: a /30 with /31 node subnets
// holds two nodes.
func TestReleaseOnDeleteAndExhaustion(t *testing.T) {
	h := newHarness(t, Config{ClusterCIDRs: []string{"10.0.0.0/30"}, NodeCIDRMaskSizeIPv4: 31})
	h.wantCIDRs("n1", h.allocate("n1"), "10.0.0.0/31")
	h.wantCIDRs("n2", h.allocate("n2"), "10.0.0.2/31")

	h.create(newNode("n3"))
	if err := h.sync("n3"); err == nil {
		t.Fatal("sync of n3 in a full range must fail (and requeue)")
	}
	if got := h.node("n3").Spec.PodCIDRs; len(got) != 0 {
		t.Errorf("n3 got %v from a full range", got)
	}
	if !h.rec.Has(EventCIDRNotAvailable, "Node n3 status is now: CIDRNotAvailable") {
		t.Fatalf("no CIDRNotAvailable event for n3:\n%s", h.rec.Dump())
	}
	ev := h.rec.Find(EventCIDRNotAvailable)[0]
	if ev.Kind != "Node" || ev.Name != "n3" || ev.Type != corev1.EventTypeNormal {
		t.Errorf("event = %v, want a Normal event on Node n3", ev)
	}

	// Deleting n1 frees its subnet and requeues the nodes without a CIDR (n3
	// and the sentinel), and only them.
	h.drainQueue()
	h.delete("n1")
	var requeued []string
	controllertest.Eventually(t, func() bool {
		for h.c.queue.Len() > 0 {
			k, _ := h.c.queue.Get()
			h.c.queue.Done(k)
			requeued = append(requeued, k)
		}
		slices.Sort(requeued)
		return slices.Equal(requeued, []string{"n3", "sentinel"})
	}, "requeued after a release: %v, want [n3 sentinel]", requeued)
	if err := h.sync("n3"); err != nil {
		t.Fatal(err)
	}
	h.wantCIDRs("n3", h.node("n3").Spec.PodCIDRs, "10.0.0.0/31")
}

// TestDualStackExhaustionReleasesOtherFamily: when only one family is full,
// the subnet taken from the other goes back (upstream leaks it).
func TestDualStackExhaustionReleasesOtherFamily(t *testing.T) {
	h := newHarness(t, Config{ClusterCIDRs: []string{"10.0.0.0/16", "fd00::/64"}, NodeCIDRMaskSizeIPv6: 64})
	h.wantCIDRs("n1", h.allocate("n1"), "10.0.0.0/24", "fd00::/64")
	h.create(newNode("n2"))
	for range 3 {
		if err := h.sync("n2"); err == nil {
			t.Fatal("sync of n2 with a full IPv6 range must fail")
		}
	}
	if got := h.c.cidrSets[0].allocatedCIDRs; got != 1 {
		t.Errorf("IPv4 subnets in use = %d, want 1 (n1's only)", got)
	}
}

func TestOutOfRangeCIDR(t *testing.T) {
	h := newHarness(t, Config{ClusterCIDRs: []string{"10.244.0.0/16"}},
		newNode("foreign", "192.168.0.0/24"),
		newNode("dual", "10.244.5.0/24", "fd00::/64"), // cluster went single-stack
	)
	for range 2 { // heartbeats resync the node: one event, no retry
		for _, name := range []string{"foreign", "dual"} {
			if err := h.sync(name); err != nil {
				t.Errorf("sync %s = %v, want nil (the error is permanent)", name, err)
			}
		}
	}
	for _, name := range []string{"foreign", "dual"} {
		if got := len(h.rec.Find(EventCIDRNotAvailable)); got != 2 {
			t.Errorf("%d CIDRNotAvailable events, want one per node:\n%s", got, h.rec.Dump())
			break
		}
		if !h.rec.Has(EventCIDRNotAvailable, "Node "+name+" status is now: CIDRNotAvailable") {
			t.Errorf("no CIDRNotAvailable event for %s", name)
		}
	}
	// The in-range part of "dual" is still occupied.
	if !h.c.cidrSets[0].isUsed(mustCIDR(t, "10.244.5.0/24")) {
		t.Error("10.244.5.0/24 of node dual is not occupied")
	}
}

func TestSkipsNodesBeingDeleted(t *testing.T) {
	n := newNode("going")
	n.DeletionTimestamp = &metav1.Time{Time: time.Unix(1, 0)}
	n.Finalizers = []string{"example.com/hold"}
	h := newHarness(t, Config{ClusterCIDRs: []string{"10.244.0.0/16"}}, n)
	if err := h.sync("going"); err != nil {
		t.Fatal(err)
	}
	if got := h.node("going").Spec.PodCIDRs; len(got) != 0 {
		t.Errorf("node being deleted got %v", got)
	}
}

// TestNodeGotCIDRsMeanwhile: the cache says "no CIDRs" but the live node has
// some; the new allocation is given back and the live CIDRs occupied.
func TestNodeGotCIDRsMeanwhile(t *testing.T) {
	h := newHarness(t, Config{ClusterCIDRs: []string{"10.244.0.0/16"}}, newNode("n", "10.244.7.0/24"))
	if err := h.c.allocate(h.ctx, newNode("n")); err != nil {
		t.Fatal(err)
	}
	h.wantCIDRs("n", h.node("n").Spec.PodCIDRs, "10.244.7.0/24")
	s := h.c.cidrSets[0]
	if s.allocatedCIDRs != 1 || !s.isUsed(mustCIDR(t, "10.244.7.0/24")) {
		t.Errorf("in use: %d subnets, 10.244.7.0/24 used: %v; want only it", s.allocatedCIDRs, s.isUsed(mustCIDR(t, "10.244.7.0/24")))
	}
}

func TestPatchFailure(t *testing.T) {
	for _, tc := range []struct {
		name        string
		err         error
		wantRelease bool
	}{
		{"conflict releases", apierrors.NewConflict(schema.GroupResource{Resource: "nodes"}, "n", errors.New("boom")), true},
		{"server timeout keeps", apierrors.NewServerTimeout(schema.GroupResource{Resource: "nodes"}, "patch", 1), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Config{ClusterCIDRs: []string{"10.244.0.0/16"}})
			patches := 0
			h.client.PrependReactor("patch", "nodes", func(clienttesting.Action) (bool, runtime.Object, error) {
				patches++
				return true, nil, tc.err
			})
			h.create(newNode("n"))
			if err := h.sync("n"); err == nil {
				t.Fatal("sync must fail when the PATCH does")
			}
			if patches != cidrUpdateRetries {
				t.Errorf("%d PATCH attempts, want %d", patches, cidrUpdateRetries)
			}
			if !h.rec.Has(EventCIDRAssignmentFailed, "Node n status is now: CIDRAssignmentFailed") {
				t.Errorf("no CIDRAssignmentFailed event:\n%s", h.rec.Dump())
			}
			if released := h.c.cidrSets[0].allocatedCIDRs == 0; released != tc.wantRelease {
				t.Errorf("released = %v, want %v", released, tc.wantRelease)
			}
		})
	}
}

// TestRun runs the whole controller as the cluster does: start-up pass,
// workers, events through its own broadcaster and client.
func TestRun(t *testing.T) {
	_, ctx := ktesting.NewTestContext(t)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	client := fake.NewClientset(newNode("old", "10.244.0.0/24"))
	factory := informers.NewSharedInformerFactory(client, 0)
	c, err := New(Config{ClusterCIDRs: []string{"10.244.0.0/23"}}, client, factory, nil)
	if err != nil {
		t.Fatal(err)
	}
	factory.Start(ctx.Done())
	defer factory.Shutdown()
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	select {
	case <-c.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("controller not ready")
	}
	if err := c.Run(ctx); err == nil {
		t.Error("a second Run must fail")
	}

	get := func(name string) *corev1.Node {
		n, err := client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	create := func(name string) {
		if _, err := client.CoreV1().Nodes().Create(ctx, newNode(name), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	create("new")
	controllertest.Eventually(t, func() bool { return len(get("new").Spec.PodCIDRs) == 1 }, "node new gets a CIDR")
	if got := get("new").Spec.PodCIDRs[0]; got != "10.244.1.0/24" {
		t.Errorf("node new got %s, want 10.244.1.0/24 (10.244.0.0/24 is old's)", got)
	}

	create("extra")
	controllertest.Eventually(t, func() bool {
		evs, err := client.CoreV1().Events("").List(ctx, metav1.ListOptions{})
		if err != nil {
			return false
		}
		return slices.ContainsFunc(evs.Items, func(e corev1.Event) bool {
			return e.Reason == EventCIDRNotAvailable && e.InvolvedObject.Name == "extra" &&
				e.Message == "Node extra status is now: CIDRNotAvailable" && e.Source.Component == EventSourceComponent
		})
	}, "CIDRNotAvailable event for node extra")

	if err := client.CoreV1().Nodes().Delete(ctx, "old", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	controllertest.Eventually(t, func() bool { return slices.Equal(get("extra").Spec.PodCIDRs, []string{"10.244.0.0/24"}) },
		"node extra gets old's CIDR after old is deleted")

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancellation")
	}
}

func TestNew(t *testing.T) {
	client := fake.NewClientset()
	factory := informers.NewSharedInformerFactory(client, 0)
	if _, err := New(Config{}, client, factory, nil); err == nil {
		t.Error("New with no --cluster-cidr must fail")
	}
	if _, err := New(Config{ClusterCIDRs: []string{"10.0.0.0/8"}}, nil, factory, nil); err == nil {
		t.Error("New without a client must fail")
	}
	if _, err := New(Config{ClusterCIDRs: []string{"10.0.0.0/8"}}, client, nil, nil); err == nil {
		t.Error("New without a factory must fail")
	}
}
