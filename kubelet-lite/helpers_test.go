package kubeletlite

import (
	"context"
	"fmt"
	"net"
	"sync/atomic"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/klog/v2/ktesting"
	testingclock "k8s.io/utils/clock/testing"
)

const testNode = "node-a"

var testStart = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// harness runs one Kubelet on a fake clientset and a fake clock.
type harness struct {
	t      *testing.T
	ctx    context.Context
	cancel context.CancelFunc
	clock  *testingclock.FakeClock
	client *fake.Clientset
	k      *Kubelet
	idle   atomic.Int64
	runErr chan error
	uids   atomic.Int64
}

// newHarness builds a Kubelet for testNode; mutate adjusts the Config.
func newHarness(t *testing.T, mutate func(*Config), objects ...runtime.Object) *harness {
	t.Helper()
	_, ctx := ktesting.NewTestContext(t)
	ctx, cancel := context.WithCancel(ctx)
	h := &harness{t: t, ctx: ctx, cancel: cancel, clock: testingclock.NewFakeClock(testStart), client: fake.NewClientset(objects...)}
	// The fake apiserver sets no UIDs; the lease owner reference needs one.
	h.client.PrependReactor("create", "nodes", func(action clienttesting.Action) (bool, runtime.Object, error) {
		n := action.(clienttesting.CreateAction).GetObject().(*corev1.Node)
		if n.UID == "" {
			n.UID = types.UID(fmt.Sprintf("node-uid-%d", h.uids.Add(1)))
		}
		return false, nil, nil
	})
	cfg := NewConfig(testNode, h.client)
	cfg.Clock = h.clock
	cfg.NodeIP = net.ParseIP("127.0.1.7")
	if mutate != nil {
		mutate(&cfg)
	}
	k, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	// Jitter of exactly +2% and no extra report delay keep expectations exact.
	k.randFloat = func() float64 { return 0.5 }
	k.onIdle = func() { h.idle.Add(1) }
	h.k = k
	t.Cleanup(h.stop)
	return h
}

func (h *harness) start() {
	h.runErr = make(chan error, 1)
	go func() { h.runErr <- h.k.Run(h.ctx) }()
	h.settle()
}

// stop cancels Run and waits for it (and its informers) to return.
func (h *harness) stop() {
	h.cancel()
	if h.runErr == nil {
		return
	}
	select {
	case err := <-h.runErr:
		if err != nil {
			h.t.Errorf("Run returned %v", err)
		}
		h.runErr = nil
	case <-time.After(10 * time.Second):
		h.t.Errorf("Run did not return after cancel")
	}
}

// settle waits until the loop is blocked on the fake clock and nothing woke it
// for a while (informer events arrive asynchronously).
func (h *harness) settle() {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	last, since := h.idle.Load(), time.Now()
	for time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
		if cur := h.idle.Load(); cur != last {
			last, since = cur, time.Now()
			continue
		}
		if last > 0 && time.Since(since) > 40*time.Millisecond && h.clock.HasWaiters() {
			return
		}
	}
	h.t.Fatalf("kubelet loop did not settle")
}

// step advances the fake clock by d at once and lets the loop catch up.
func (h *harness) step(d time.Duration) {
	h.t.Helper()
	h.clock.Step(d)
	h.settle()
}

// advance moves the clock by total in slices, letting the loop act at each
// instant as it would in real time.
func (h *harness) advance(total, slice time.Duration) {
	h.t.Helper()
	for total > 0 {
		s := min(total, slice)
		h.step(s)
		total -= s
	}
}

func (h *harness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (h *harness) node() *corev1.Node {
	h.t.Helper()
	n, err := h.client.CoreV1().Nodes().Get(context.Background(), testNode, metav1.GetOptions{})
	if err != nil {
		h.t.Fatalf("get node: %v", err)
	}
	return n
}

func (h *harness) lease() *coordinationv1.Lease {
	h.t.Helper()
	l, err := h.client.CoordinationV1().Leases(corev1.NamespaceNodeLease).Get(context.Background(), testNode, metav1.GetOptions{})
	if err != nil {
		h.t.Fatalf("get lease: %v", err)
	}
	return l
}

func (h *harness) pod(ns, name string) *corev1.Pod {
	h.t.Helper()
	p, err := h.client.CoreV1().Pods(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		h.t.Fatalf("get pod %s/%s: %v", ns, name, err)
	}
	return p
}

// count counts recorded API calls.
func (h *harness) count(verb, resource, subresource string) int {
	n := 0
	for _, a := range h.client.Actions() {
		if a.GetVerb() == verb && a.GetResource().Resource == resource && a.GetSubresource() == subresource {
			n++
		}
	}
	return n
}

func condition(n *corev1.Node, t corev1.NodeConditionType) *corev1.NodeCondition {
	for i := range n.Status.Conditions {
		if n.Status.Conditions[i].Type == t {
			return &n.Status.Conditions[i]
		}
	}
	return nil
}

func podCondition(p *corev1.Pod, t corev1.PodConditionType) *corev1.PodCondition {
	for i := range p.Status.Conditions {
		if p.Status.Conditions[i].Type == t {
			return &p.Status.Conditions[i]
		}
	}
	return nil
}

// newPod returns a pod bound to testNode with one container per name.
func newPod(name string, annotations map[string]string, containers ...string) *corev1.Pod {
	if len(containers) == 0 {
		containers = []string{"app"}
	}
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: "default", Name: name, UID: types.UID("uid-" + name),
			Annotations: annotations, CreationTimestamp: metav1.NewTime(testStart),
		},
		Spec: corev1.PodSpec{NodeName: testNode, RestartPolicy: corev1.RestartPolicyAlways},
	}
	for _, c := range containers {
		p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: c, Image: "registry.k8s.io/pause:3.10"})
	}
	return p
}

func withRequests(p *corev1.Pod, cpu, memory string) *corev1.Pod {
	p.Spec.Containers[0].Resources.Requests = corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse(cpu),
		corev1.ResourceMemory: resource.MustParse(memory),
	}
	return p
}

func (h *harness) createPod(p *corev1.Pod) {
	h.t.Helper()
	if _, err := h.client.CoreV1().Pods(p.Namespace).Create(context.Background(), p, metav1.CreateOptions{}); err != nil {
		h.t.Fatalf("create pod: %v", err)
	}
}
