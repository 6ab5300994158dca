package scheduler

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/klog/v2/ktesting"
	testingclock "k8s.io/utils/clock/testing"

	"github.com/k1s-dev/k1s/controllers/internal/controllertest"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// nodeOpt and podOpt tweak test objects.
type nodeOpt func(*corev1.Node)
type podOpt func(*corev1.Pod)

func makeNode(name string, milliCPU, memory int64, opts ...nodeOpt) *corev1.Node {
	n := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, UID: types.UID("node-" + name), Labels: map[string]string{corev1.LabelHostname: name}},
		Status: corev1.NodeStatus{Allocatable: corev1.ResourceList{
			corev1.ResourceCPU:              *resource.NewMilliQuantity(milliCPU, resource.DecimalSI),
			corev1.ResourceMemory:           *resource.NewQuantity(memory, resource.BinarySI),
			corev1.ResourcePods:             *resource.NewQuantity(110, resource.DecimalSI),
			corev1.ResourceEphemeralStorage: *resource.NewQuantity(100<<30, resource.BinarySI),
		}},
	}
	for _, o := range opts {
		o(n)
	}
	return n
}

func withZone(zone string) nodeOpt {
	return func(n *corev1.Node) { n.Labels[corev1.LabelTopologyZone] = zone }
}

func withLabel(k, v string) nodeOpt {
	return func(n *corev1.Node) { n.Labels[k] = v }
}

func withTaint(key, value string, effect corev1.TaintEffect) nodeOpt {
	return func(n *corev1.Node) {
		n.Spec.Taints = append(n.Spec.Taints, corev1.Taint{Key: key, Value: value, Effect: effect})
	}
}

func withUnschedulable() nodeOpt {
	return func(n *corev1.Node) { n.Spec.Unschedulable = true }
}

func withAllocatable(name corev1.ResourceName, q string) nodeOpt {
	return func(n *corev1.Node) { n.Status.Allocatable[name] = resource.MustParse(q) }
}

func makePod(name string, opts ...podOpt) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", UID: types.UID("uid-" + name)},
		Spec: corev1.PodSpec{
			SchedulerName: DefaultSchedulerName,
			Containers:    []corev1.Container{{Name: "c", Image: "busybox"}},
		},
	}
	for _, o := range opts {
		o(p)
	}
	return p
}

func withRequests(cpu, mem string) podOpt {
	return func(p *corev1.Pod) {
		rl := corev1.ResourceList{}
		if cpu != "" {
			rl[corev1.ResourceCPU] = resource.MustParse(cpu)
		}
		if mem != "" {
			rl[corev1.ResourceMemory] = resource.MustParse(mem)
		}
		p.Spec.Containers[0].Resources.Requests = rl
	}
}

func withExtended(name corev1.ResourceName, q string) podOpt {
	return func(p *corev1.Pod) {
		if p.Spec.Containers[0].Resources.Requests == nil {
			p.Spec.Containers[0].Resources.Requests = corev1.ResourceList{}
		}
		p.Spec.Containers[0].Resources.Requests[name] = resource.MustParse(q)
	}
}

func onNode(node string) podOpt {
	return func(p *corev1.Pod) { p.Spec.NodeName = node }
}

func withHostPort(port int32) podOpt {
	return func(p *corev1.Pod) {
		p.Spec.Containers[0].Ports = append(p.Spec.Containers[0].Ports, corev1.ContainerPort{ContainerPort: 80, HostPort: port})
	}
}

func withToleration(key string, effect corev1.TaintEffect) podOpt {
	return func(p *corev1.Pod) {
		p.Spec.Tolerations = append(p.Spec.Tolerations, corev1.Toleration{Key: key, Operator: corev1.TolerationOpExists, Effect: effect})
	}
}

func withNodeSelector(k, v string) podOpt {
	return func(p *corev1.Pod) { p.Spec.NodeSelector = map[string]string{k: v} }
}

func withOwnerRS(rs *appsv1.ReplicaSet) podOpt {
	return func(p *corev1.Pod) {
		p.Labels = maps.Clone(rs.Spec.Selector.MatchLabels)
		p.OwnerReferences = []metav1.OwnerReference{*metav1.NewControllerRef(rs, appsv1.SchemeGroupVersion.WithKind("ReplicaSet"))}
	}
}

func makeRS(name string) *appsv1.ReplicaSet {
	return &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", UID: types.UID("rs-" + name)},
		Spec:       appsv1.ReplicaSetSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}}},
	}
}

// testAlgorithm returns an algorithm over a cache holding nodes and bound
// pods, with a seeded tie breaker and the given replica sets.
func testAlgorithm(t testing.TB, nodes []*corev1.Node, pods []*corev1.Pod, rss ...*appsv1.ReplicaSet) *algorithm {
	t.Helper()
	c := newSchedulerCache()
	for _, n := range nodes {
		c.AddNode(n)
	}
	for _, p := range pods {
		c.AddPod(p)
	}
	factory := informers.NewSharedInformerFactory(fake.NewClientset(), 0)
	rsInformer := factory.Apps().V1().ReplicaSets()
	for _, rs := range rss {
		if err := rsInformer.Informer().GetIndexer().Add(rs); err != nil {
			t.Fatal(err)
		}
	}
	return &algorithm{cache: c, owners: ownerListers{replicaSets: rsInformer.Lister()}, parallelism: 4,
		rand: rand.New(rand.NewPCG(1, 2))}
}

func schedule(t testing.TB, a *algorithm, pod *corev1.Pod) (string, error) {
	t.Helper()
	_, ctx := ktesting.NewTestContext(t)
	a.cache.mu.RLock()
	defer a.cache.mu.RUnlock()
	r, err := a.schedulePod(ctx, pod)
	return r.node, err
}

// harness runs the Scheduler (Run and all) against a fake clientset on a
// fake clock. Binding sets spec.nodeName as the apiserver's binding REST
// does, unless failBinds says otherwise.
type harness struct {
	t      *testing.T
	ctx    context.Context
	clock  *testingclock.FakeClock
	client *fake.Clientset
	s      *Scheduler
	rec    *controllertest.Recorder

	mu        sync.Mutex
	bindings  []*corev1.Binding
	failBinds int
}

func newHarness(t *testing.T, objs ...runtime.Object) *harness {
	t.Helper()
	_, ctx := ktesting.NewTestContext(t)
	ctx, cancel := context.WithCancel(ctx)
	clk := testingclock.NewFakeClock(t0)
	client := fake.NewClientset(objs...)
	h := &harness{t: t, ctx: ctx, clock: clk, client: client, rec: &controllertest.Recorder{}}
	podsGVR := corev1.SchemeGroupVersion.WithResource("pods")
	client.PrependReactor("create", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		ca := a.(k8stesting.CreateAction)
		if ca.GetSubresource() != "binding" {
			return false, nil, nil
		}
		b := ca.GetObject().(*corev1.Binding)
		h.mu.Lock()
		h.bindings = append(h.bindings, b.DeepCopy())
		fail := h.failBinds > 0
		if fail {
			h.failBinds--
		}
		h.mu.Unlock()
		if fail {
			return true, nil, fmt.Errorf("injected binding failure")
		}
		obj, err := client.Tracker().Get(podsGVR, b.Namespace, b.Name)
		if err != nil {
			return true, nil, err
		}
		pod := obj.(*corev1.Pod).DeepCopy()
		if pod.UID != b.UID {
			return true, nil, fmt.Errorf("precondition failed: UID in precondition: %v, UID in object meta: %v", b.UID, pod.UID)
		}
		if pod.Spec.NodeName != "" {
			return true, nil, fmt.Errorf("pod %v is already assigned to node %q", pod.Name, pod.Spec.NodeName)
		}
		pod.Spec.NodeName = b.Target.Name
		return true, nil, client.Tracker().Update(podsGVR, pod, b.Namespace)
	})

	factory := informers.NewSharedInformerFactory(client, 0)
	s, err := New(Config{Clock: clk, Rand: rand.New(rand.NewPCG(1, 2)), Parallelism: 2}, client, factory, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	s.recorder = h.rec
	h.s = s
	factory.Start(ctx.Done())
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()
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
		factory.Shutdown()
	})
	select {
	case <-s.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("scheduler not ready")
	}
	return h
}

func (h *harness) getPod(name string) *corev1.Pod {
	h.t.Helper()
	p, err := h.client.CoreV1().Pods("default").Get(h.ctx, name, metav1.GetOptions{})
	if err != nil {
		h.t.Fatalf("get pod %s: %v", name, err)
	}
	return p
}

func (h *harness) waitBound(name string) string {
	h.t.Helper()
	var node string
	controllertest.Eventually(h.t, func() bool {
		p, err := h.client.CoreV1().Pods("default").Get(h.ctx, name, metav1.GetOptions{})
		if err == nil {
			node = p.Spec.NodeName
		}
		return node != ""
	}, "pod %s bound; events:\n%s", name, h.rec.Dump())
	return node
}

func podScheduledCondition(p *corev1.Pod) *corev1.PodCondition {
	for i := range p.Status.Conditions {
		if p.Status.Conditions[i].Type == corev1.PodScheduled {
			return &p.Status.Conditions[i]
		}
	}
	return nil
}
