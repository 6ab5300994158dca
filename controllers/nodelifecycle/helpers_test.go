package nodelifecycle

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/klog/v2/ktesting"
	testingclock "k8s.io/utils/clock/testing"

	"github.com/k1s-dev/k1s/controllers/internal/controllertest"
)

// t0 is when every test starts, on the fake clock. Whole seconds, as the
// apiserver stores times.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// harness runs a Controller against a fake clientset without Run: tests call
// the passes (monitorNodeHealth, doNoExecuteTaintingPass, ...) directly and
// move the fake clock between them.
type harness struct {
	t      *testing.T
	ctx    context.Context
	clock  *testingclock.FakeClock
	client *fake.Clientset
	c      *Controller
	rec    *controllertest.Recorder
}

func newHarness(t *testing.T, cfg Config, objs ...runtime.Object) *harness {
	t.Helper()
	_, ctx := ktesting.NewTestContext(t)
	ctx, cancel := context.WithCancel(ctx)
	clk := testingclock.NewFakeClock(t0)
	cfg.Clock = clk
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
		c.nodeUpdateQueue.ShutDown()
		c.podUpdateQueue.ShutDown()
	})
	for typ, ok := range factory.WaitForCacheSync(ctx.Done()) {
		if !ok {
			t.Fatalf("cache for %v did not sync", typ)
		}
	}
	h := &harness{t: t, ctx: ctx, clock: clk, client: client, c: c, rec: rec}
	h.sync()
	return h
}

// sync waits until the informers show exactly what the fake clientset holds.
func (h *harness) sync() {
	h.t.Helper()
	controllertest.Eventually(h.t, func() bool {
		nodes, err := h.client.CoreV1().Nodes().List(h.ctx, metav1.ListOptions{})
		if err != nil {
			return false
		}
		cached, _ := h.c.nodeLister.List(labels.Everything())
		if !sameObjects(nodes.Items, cached) {
			return false
		}
		leases, err := h.client.CoordinationV1().Leases(corev1.NamespaceNodeLease).List(h.ctx, metav1.ListOptions{})
		if err != nil {
			return false
		}
		cachedLeases, _ := h.c.leaseLister.List(labels.Everything())
		if !sameObjects(leases.Items, cachedLeases) {
			return false
		}
		pods, err := h.client.CoreV1().Pods("").List(h.ctx, metav1.ListOptions{})
		if err != nil {
			return false
		}
		cachedPods, _ := h.c.podLister.List(labels.Everything())
		return sameObjects(pods.Items, cachedPods)
	}, "informers to catch up with the clientset")
}

type named interface {
	GetNamespace() string
	GetName() string
}

func sameObjects[T any, PT interface {
	*T
	named
}](items []T, cached []PT) bool {
	if len(items) != len(cached) {
		return false
	}
	byName := map[string]PT{}
	for _, c := range cached {
		byName[c.GetNamespace()+"/"+c.GetName()] = c
	}
	for i := range items {
		p := PT(&items[i])
		c, ok := byName[p.GetNamespace()+"/"+p.GetName()]
		if !ok || !apiequality.Semantic.DeepEqual(p, c) {
			return false
		}
	}
	return true
}

// monitor runs one health pass with the informers up to date, then waits for
// them to see what it wrote.
func (h *harness) monitor() {
	h.t.Helper()
	h.sync()
	if err := h.c.monitorNodeHealth(h.ctx); err != nil {
		h.t.Fatalf("monitorNodeHealth: %v", err)
	}
	h.sync()
}

// taintPass runs one NoExecute tainting pass.
func (h *harness) taintPass() {
	h.t.Helper()
	h.sync()
	h.c.doNoExecuteTaintingPass(h.ctx)
	h.sync()
}

func (h *harness) step(d time.Duration) { h.clock.Step(d) }

func (h *harness) elapsed() time.Duration { return h.clock.Since(t0) }

func (h *harness) node(name string) *corev1.Node {
	h.t.Helper()
	n, err := h.client.CoreV1().Nodes().Get(h.ctx, name, metav1.GetOptions{})
	if err != nil {
		h.t.Fatalf("get node %s: %v", name, err)
	}
	return n
}

func (h *harness) condition(node string, t corev1.NodeConditionType) *corev1.NodeCondition {
	return getNodeCondition(&h.node(node).Status, t)
}

func (h *harness) readyStatus(node string) corev1.ConditionStatus {
	if c := h.condition(node, corev1.NodeReady); c != nil {
		return c.Status
	}
	return ""
}

// taints returns the node's taints as "key:Effect", sorted.
func (h *harness) taints(node string, effect corev1.TaintEffect) []string {
	var out []string
	for _, t := range h.node(node).Spec.Taints {
		if effect == "" || t.Effect == effect {
			out = append(out, t.Key+":"+string(t.Effect))
		}
	}
	sort.Strings(out)
	return out
}

// renewLease is the kubelet renewing its lease now.
func (h *harness) renewLease(name string) {
	h.t.Helper()
	l, err := h.client.CoordinationV1().Leases(corev1.NamespaceNodeLease).Get(h.ctx, name, metav1.GetOptions{})
	if err != nil {
		h.t.Fatalf("get lease %s: %v", name, err)
	}
	l.Spec.RenewTime = &metav1.MicroTime{Time: h.clock.Now()}
	if _, err := h.client.CoordinationV1().Leases(corev1.NamespaceNodeLease).Update(h.ctx, l, metav1.UpdateOptions{}); err != nil {
		h.t.Fatalf("renew lease %s: %v", name, err)
	}
	h.sync()
}

// postReady is the kubelet posting its Ready condition now.
func (h *harness) postReady(name string, status corev1.ConditionStatus) {
	h.t.Helper()
	n := h.node(name)
	now := metav1.NewTime(h.clock.Now())
	cond := getNodeCondition(&n.Status, corev1.NodeReady)
	if cond == nil {
		n.Status.Conditions = append(n.Status.Conditions, corev1.NodeCondition{Type: corev1.NodeReady})
		cond = &n.Status.Conditions[len(n.Status.Conditions)-1]
	}
	if cond.Status != status {
		cond.LastTransitionTime = now
	}
	cond.Status = status
	cond.LastHeartbeatTime = now
	cond.Reason, cond.Message = "KubeletReady", "kubelet is posting ready status"
	if status != corev1.ConditionTrue {
		cond.Reason, cond.Message = "KubeletNotReady", "container runtime is down"
	}
	if _, err := h.client.CoreV1().Nodes().UpdateStatus(h.ctx, n, metav1.UpdateOptions{}); err != nil {
		h.t.Fatalf("post status of %s: %v", name, err)
	}
	h.sync()
}

func (h *harness) update(node *corev1.Node) {
	h.t.Helper()
	if _, err := h.client.CoreV1().Nodes().Update(h.ctx, node, metav1.UpdateOptions{}); err != nil {
		h.t.Fatalf("update node %s: %v", node.Name, err)
	}
	h.sync()
}

// zoneQPS is the current tainting rate of a zone.
func (h *harness) zoneQPS(zone string) float32 {
	h.c.evictorLock.Lock()
	defer h.c.evictorLock.Unlock()
	q, ok := h.c.zoneNoExecuteTainter[zone]
	if !ok {
		h.t.Fatalf("no tainting queue for zone %q", zone)
	}
	return q.QPS()
}

type nodeOpt func(*corev1.Node)

// newNode returns a node created at t0, with no conditions.
func newNode(name string, opts ...nodeOpt) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{
		Name:              name,
		UID:               types.UID(name + "-uid"),
		CreationTimestamp: metav1.NewTime(t0),
		Labels:            map[string]string{},
	}}
	for _, o := range opts {
		o(n)
	}
	return n
}

// withConditions gives the node the conditions a kubelet reports, heard of at
// heartbeat: Ready with readyStatus, the pressure conditions False.
func withConditions(readyStatus corev1.ConditionStatus, heartbeat time.Time) nodeOpt {
	return func(n *corev1.Node) {
		hb := metav1.NewTime(heartbeat)
		n.Status.Conditions = []corev1.NodeCondition{
			{Type: corev1.NodeMemoryPressure, Status: corev1.ConditionFalse, LastHeartbeatTime: hb, LastTransitionTime: hb},
			{Type: corev1.NodeNetworkUnavailable, Status: corev1.ConditionFalse, LastHeartbeatTime: hb, LastTransitionTime: hb},
			{Type: corev1.NodeReady, Status: readyStatus, LastHeartbeatTime: hb, LastTransitionTime: hb},
		}
	}
}

func withZone(region, zone string) nodeOpt {
	return func(n *corev1.Node) {
		n.Labels[corev1.LabelTopologyRegion] = region
		n.Labels[corev1.LabelTopologyZone] = zone
	}
}

func withLabel(k, v string) nodeOpt {
	return func(n *corev1.Node) { n.Labels[k] = v }
}

func withTaints(taints ...corev1.Taint) nodeOpt {
	return func(n *corev1.Node) { n.Spec.Taints = append(n.Spec.Taints, taints...) }
}

func newLease(name string, renew time.Time, rv string) *coordinationv1.Lease {
	return &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: corev1.NamespaceNodeLease, ResourceVersion: rv},
		Spec: coordinationv1.LeaseSpec{
			HolderIdentity: &name,
			RenewTime:      &metav1.MicroTime{Time: renew},
		},
	}
}

func newPod(name, node string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: metav1.NamespaceDefault, UID: types.UID(name + "-uid")},
		Spec:       corev1.PodSpec{NodeName: node},
		Status: corev1.PodStatus{
			Phase: corev1.PodRunning,
			Conditions: []corev1.PodCondition{
				{Type: corev1.ContainersReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(t0)},
				{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(t0)},
			},
		},
	}
}

func zoneKey(region, zone string) string { return region + ":\x00:" + zone }

func nodeNames(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%02d", prefix, i)
	}
	return out
}

func newNotFound(name string) error {
	return apierrors.NewNotFound(coordinationv1.Resource("leases"), name)
}

func everything() labels.Selector { return labels.Everything() }
