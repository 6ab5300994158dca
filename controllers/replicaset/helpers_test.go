package replicaset

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/klog/v2/ktesting"
	testingclock "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"

	"github.com/k1s-dev/k1s/controllers/internal/controllertest"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// harness drives syncReplicaSet by hand against a fake clientset: the
// informer stores are filled directly (the factory is not started), so each
// sync sees exactly the objects a test put there.
type harness struct {
	t      *testing.T
	ctx    context.Context
	clock  *testingclock.FakeClock
	client *fake.Clientset
	c      *Controller
	rec    *controllertest.Recorder

	mu      sync.Mutex
	created []*corev1.Pod
	names   atomic.Int32
}

func newHarness(t *testing.T, objs ...runtime.Object) *harness {
	t.Helper()
	_, ctx := ktesting.NewTestContext(t)
	clk := testingclock.NewFakeClock(t0)
	client := fake.NewClientset(objs...)
	h := &harness{t: t, ctx: ctx, clock: clk, client: client, rec: &controllertest.Recorder{}}
	// The fake clientset does not honour generateName; the apiserver does.
	client.PrependReactor("create", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		pod := a.(k8stesting.CreateAction).GetObject().(*corev1.Pod)
		pod.Namespace = a.GetNamespace()
		if pod.Name == "" && pod.GenerateName != "" {
			pod.Name = fmt.Sprintf("%s%05d", pod.GenerateName, h.names.Add(1))
		}
		h.mu.Lock()
		h.created = append(h.created, pod.DeepCopy())
		h.mu.Unlock()
		return false, nil, nil
	})
	factory := informers.NewSharedInformerFactory(client, 0)
	c, err := New(Config{Clock: clk}, client, factory, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	c.podControl.Recorder = h.rec
	h.c = c
	for _, o := range objs {
		h.addToCache(o)
	}
	return h
}

func (h *harness) addToCache(o runtime.Object) {
	h.t.Helper()
	var err error
	switch o := o.(type) {
	case *appsv1.ReplicaSet:
		err = h.c.rsIndexer.Add(o)
	case *corev1.Pod:
		err = h.c.podIndexer.Add(o)
	}
	if err != nil {
		h.t.Fatalf("adding %T to the cache: %v", o, err)
	}
}

func (h *harness) sync(rs *appsv1.ReplicaSet) error {
	h.t.Helper()
	return h.c.syncReplicaSet(h.ctx, rs.Namespace+"/"+rs.Name)
}

func (h *harness) actions(verb, resource string) []k8stesting.Action {
	var out []k8stesting.Action
	for _, a := range h.client.Actions() {
		if a.GetVerb() == verb && a.GetResource().Resource == resource {
			out = append(out, a)
		}
	}
	return out
}

func (h *harness) getRS(rs *appsv1.ReplicaSet) *appsv1.ReplicaSet {
	h.t.Helper()
	got, err := h.client.AppsV1().ReplicaSets(rs.Namespace).Get(h.ctx, rs.Name, metav1.GetOptions{})
	if err != nil {
		h.t.Fatalf("get rs: %v", err)
	}
	return got
}

func newRS(name string, replicas int32) *appsv1.ReplicaSet {
	return &appsv1.ReplicaSet{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "ReplicaSet"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", UID: types.UID(name + "-uid"), Generation: 1},
		Spec: appsv1.ReplicaSetSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": name, "tier": "web"}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "img"}}},
			},
		},
	}
}

type podOpt func(*corev1.Pod)

func onNode(n string) podOpt { return func(p *corev1.Pod) { p.Spec.NodeName = n } }
func phase(ph corev1.PodPhase) podOpt {
	return func(p *corev1.Pod) { p.Status.Phase = ph }
}
func readySince(t time.Time) podOpt {
	return func(p *corev1.Pod) {
		p.Status.Phase = corev1.PodRunning
		p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{
			Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(t)})
	}
}
func created(t time.Time) podOpt {
	return func(p *corev1.Pod) { p.CreationTimestamp = metav1.NewTime(t) }
}
func labelled(l map[string]string) podOpt {
	return func(p *corev1.Pod) { p.Labels = l }
}
func orphan() podOpt { return func(p *corev1.Pod) { p.OwnerReferences = nil } }
func terminating() podOpt {
	return func(p *corev1.Pod) { p.DeletionTimestamp = ptr.To(metav1.NewTime(t0)) }
}
func restarts(n int32) podOpt {
	return func(p *corev1.Pod) {
		p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "c", RestartCount: n}}
	}
}
func deletionCost(c string) podOpt {
	return func(p *corev1.Pod) {
		p.Annotations = map[string]string{"controller.kubernetes.io/pod-deletion-cost": c}
	}
}

func newPod(name string, rs *appsv1.ReplicaSet, opts ...podOpt) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: rs.Namespace, UID: types.UID(name + "-uid"),
			Labels:            rs.Spec.Template.Labels,
			OwnerReferences:   []metav1.OwnerReference{*metav1.NewControllerRef(rs, appsv1.SchemeGroupVersion.WithKind("ReplicaSet"))},
			CreationTimestamp: metav1.NewTime(t0.Add(-time.Hour)),
		},
		Spec:   rs.Spec.Template.Spec,
		Status: corev1.PodStatus{Phase: corev1.PodPending},
	}
	for _, o := range opts {
		o(p)
	}
	return p
}
