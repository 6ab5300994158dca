package tainteviction

import (
	"context"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
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

// harness runs the controller (Run and all) against a fake clientset on a fake
// clock. Pod deletion is graceful, as on a real apiserver: DELETE sets
// deletionTimestamp and the pod stays, so its final status can be inspected.
type harness struct {
	t      *testing.T
	ctx    context.Context
	clock  *testingclock.FakeClock
	client *fake.Clientset
	c      *Controller
	rec    *controllertest.Recorder

	mu          sync.Mutex
	nodeHandled map[string]int
	podHandled  map[types.NamespacedName]int
	deletes     []k8stesting.DeleteAction
}

func newHarness(t *testing.T, cfg Config, objs ...runtime.Object) *harness {
	t.Helper()
	_, ctx := ktesting.NewTestContext(t)
	ctx, cancel := context.WithCancel(ctx)
	clk := testingclock.NewFakeClock(t0)
	cfg.Clock = clk
	client := fake.NewClientset(objs...)
	h := &harness{t: t, ctx: ctx, clock: clk, client: client, rec: &controllertest.Recorder{},
		nodeHandled: map[string]int{}, podHandled: map[types.NamespacedName]int{}}
	podsGVR := corev1.SchemeGroupVersion.WithResource("pods")
	client.PrependReactor("delete", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		d := a.(k8stesting.DeleteAction)
		obj, err := client.Tracker().Get(podsGVR, d.GetNamespace(), d.GetName())
		if err != nil {
			return true, nil, err
		}
		pod := obj.(*corev1.Pod).DeepCopy()
		if pod.DeletionTimestamp == nil {
			now := metav1.NewTime(clk.Now())
			pod.DeletionTimestamp = &now
		}
		h.mu.Lock()
		h.deletes = append(h.deletes, d)
		h.mu.Unlock()
		return true, nil, client.Tracker().Update(podsGVR, pod, d.GetNamespace())
	})

	factory := informers.NewSharedInformerFactory(client, 0)
	c, err := New(cfg, client, factory, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	c.recorder = h.rec
	c.onNodeHandled = func(name string) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.nodeHandled[name]++
	}
	c.onPodHandled = func(nn types.NamespacedName) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.podHandled[nn]++
	}
	h.c = c
	factory.Start(ctx.Done())
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
		factory.Shutdown()
	})
	select {
	case <-c.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("controller not ready")
	}
	// Let the add events of the initial objects through, so that a test's
	// later wait for "handled" is not satisfied by them.
	for _, obj := range objs {
		switch o := obj.(type) {
		case *corev1.Node:
			controllertest.Eventually(t, func() bool { return h.nodeHandledCount(o.Name) > 0 }, "initial node %s handled", o.Name)
		case *corev1.Pod:
			controllertest.Eventually(t, func() bool { return h.podHandledCount(o.Name) > 0 }, "initial pod %s handled", o.Name)
		}
	}
	return h
}

func (h *harness) nodeHandledCount(name string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.nodeHandled[name]
}

func (h *harness) podHandledCount(name string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.podHandled[types.NamespacedName{Namespace: metav1.NamespaceDefault, Name: name}]
}

// setTaints replaces the node's taints and waits until the controller has
// handled the change.
func (h *harness) setTaints(node string, taints ...corev1.Taint) {
	h.t.Helper()
	n, err := h.client.CoreV1().Nodes().Get(h.ctx, node, metav1.GetOptions{})
	if err != nil {
		h.t.Fatal(err)
	}
	before := h.nodeHandledCount(node)
	// The controller only looks at changes of the NoExecute taints.
	relevant := !apiequality.Semantic.DeepEqual(getNoExecuteTaints(n.Spec.Taints), getNoExecuteTaints(taints))
	n.Spec.Taints = taints
	if _, err := h.client.CoreV1().Nodes().Update(h.ctx, n, metav1.UpdateOptions{}); err != nil {
		h.t.Fatal(err)
	}
	if !relevant {
		return
	}
	controllertest.Eventually(h.t, func() bool { return h.nodeHandledCount(node) > before }, "controller to handle node %s", node)
}

// setTolerations replaces the pod's tolerations and waits until the controller
// has handled the change.
func (h *harness) setTolerations(pod string, tolerations ...corev1.Toleration) {
	h.t.Helper()
	p := h.pod(pod)
	before := h.podHandledCount(pod)
	p.Spec.Tolerations = tolerations
	if _, err := h.client.CoreV1().Pods(p.Namespace).Update(h.ctx, p, metav1.UpdateOptions{}); err != nil {
		h.t.Fatal(err)
	}
	controllertest.Eventually(h.t, func() bool { return h.podHandledCount(pod) > before }, "controller to handle pod %s", pod)
}

func (h *harness) createPod(p *corev1.Pod) {
	h.t.Helper()
	before := h.podHandledCount(p.Name)
	if _, err := h.client.CoreV1().Pods(p.Namespace).Create(h.ctx, p, metav1.CreateOptions{}); err != nil {
		h.t.Fatal(err)
	}
	controllertest.Eventually(h.t, func() bool { return h.podHandledCount(p.Name) > before }, "controller to handle pod %s", p.Name)
}

func (h *harness) pod(name string) *corev1.Pod {
	h.t.Helper()
	p, err := h.client.CoreV1().Pods(metav1.NamespaceDefault).Get(h.ctx, name, metav1.GetOptions{})
	if err != nil {
		h.t.Fatal(err)
	}
	return p
}

func (h *harness) deleted(name string) bool {
	return h.pod(name).DeletionTimestamp != nil
}

func (h *harness) waitDeleted(name string) {
	h.t.Helper()
	controllertest.Eventually(h.t, func() bool { return h.deleted(name) }, "pod %s to be deleted (t0+%v)", name, h.clock.Since(t0))
}

// scheduled reports whether a deletion of the pod is pending.
func (h *harness) scheduled(name string) bool {
	return h.c.taintEvictionQueue.GetWorkerUnsafe(metav1.NamespaceDefault+"/"+name) != nil
}

func newNode(name string, taints ...corev1.Taint) *corev1.Node {
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, UID: types.UID(name + "-uid")},
		Spec:       corev1.NodeSpec{Taints: taints},
	}
}

func newPod(name, node string, tolerations ...corev1.Toleration) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: metav1.NamespaceDefault, UID: types.UID(name + "-uid"), Generation: 3},
		Spec:       corev1.PodSpec{NodeName: node, Tolerations: tolerations},
		Status: corev1.PodStatus{
			Phase:      corev1.PodRunning,
			Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}},
		},
	}
}

func taint(key string) corev1.Taint {
	now := metav1.NewTime(t0)
	return corev1.Taint{Key: key, Effect: corev1.TaintEffectNoExecute, TimeAdded: &now}
}

func tolerate(key string, seconds ...int64) corev1.Toleration {
	t := corev1.Toleration{Key: key, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute}
	if len(seconds) > 0 {
		t.TolerationSeconds = &seconds[0]
	}
	return t
}
