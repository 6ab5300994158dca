package disruption

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/klog/v2/ktesting"
	testingclock "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"

	"github.com/k1s-dev/k1s/controllers/internal/controllertest"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// harness drives sync by hand against a fake clientset: the informer stores
// are filled directly (the factory is not started), so each sync sees exactly
// the objects a test put there, and status writes land in the clientset.
type harness struct {
	t      *testing.T
	ctx    context.Context
	clock  *testingclock.FakeClock
	client *fake.Clientset
	c      *Controller
	rec    *controllertest.Recorder

	factory informers.SharedInformerFactory
}

func newHarness(t *testing.T, objs ...runtime.Object) *harness {
	t.Helper()
	_, ctx := ktesting.NewTestContext(t)
	clk := testingclock.NewFakeClock(t0)
	client := fake.NewClientset(objs...)
	factory := informers.NewSharedInformerFactory(client, 0)
	c, err := New(Config{Clock: clk}, client, factory, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	h := &harness{t: t, ctx: ctx, clock: clk, client: client, c: c, rec: &controllertest.Recorder{}, factory: factory}
	c.setRecorder(h.rec)
	t.Cleanup(func() {
		c.queue.ShutDown()
		c.recheckQueue.ShutDown()
		c.stalePodDisruptionQueue.ShutDown()
	})
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
		err = h.factory.Apps().V1().ReplicaSets().Informer().GetStore().Add(o)
	case *appsv1.Deployment:
		err = h.factory.Apps().V1().Deployments().Informer().GetStore().Add(o)
	case *corev1.Pod:
		err = h.factory.Core().V1().Pods().Informer().GetStore().Add(o)
	case *policyv1.PodDisruptionBudget:
		err = h.factory.Policy().V1().PodDisruptionBudgets().Informer().GetStore().Update(o)
	}
	if err != nil {
		h.t.Fatalf("adding %T to the cache: %v", o, err)
	}
}

// sync syncs the PDB and then feeds its written status back into the cache,
// as the informer would.
func (h *harness) sync(pdb *policyv1.PodDisruptionBudget) (*policyv1.PodDisruptionBudget, error) {
	h.t.Helper()
	err := h.c.sync(h.ctx, pdb.Namespace+"/"+pdb.Name)
	got := h.getPDB(pdb)
	h.addToCache(got)
	return got, err
}

func (h *harness) mustSync(pdb *policyv1.PodDisruptionBudget) *policyv1.PodDisruptionBudget {
	h.t.Helper()
	got, err := h.sync(pdb)
	if err != nil {
		h.t.Fatalf("sync: %v", err)
	}
	return got
}

func (h *harness) getPDB(pdb *policyv1.PodDisruptionBudget) *policyv1.PodDisruptionBudget {
	h.t.Helper()
	got, err := h.client.PolicyV1().PodDisruptionBudgets(pdb.Namespace).Get(h.ctx, pdb.Name, metav1.GetOptions{})
	if err != nil {
		h.t.Fatalf("get pdb: %v", err)
	}
	return got
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

// wantStatus is the status a test expects, conditions aside.
type wantStatus struct {
	allowed, current, desired, expected int32
	disrupted                           map[string]metav1.Time
}

// verifyStatus checks the counters, observedGeneration and the
// DisruptionAllowed condition's status and reason.
func verifyStatus(t *testing.T, pdb *policyv1.PodDisruptionBudget, want wantStatus, wantReason string) {
	t.Helper()
	got := pdb.Status
	got.Conditions = nil
	exp := policyv1.PodDisruptionBudgetStatus{
		DisruptionsAllowed: want.allowed,
		CurrentHealthy:     want.current,
		DesiredHealthy:     want.desired,
		ExpectedPods:       want.expected,
		DisruptedPods:      want.disrupted,
		ObservedGeneration: pdb.Generation,
	}
	if diff := cmp.Diff(exp, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("status mismatch (-want,+got):\n%s", diff)
	}
	verifyCondition(t, pdb, wantReason)
}

func verifyCondition(t *testing.T, pdb *policyv1.PodDisruptionBudget, wantReason string) {
	t.Helper()
	cond := apimeta.FindStatusCondition(pdb.Status.Conditions, policyv1.DisruptionAllowedCondition)
	if cond == nil {
		t.Fatalf("no %s condition: %+v", policyv1.DisruptionAllowedCondition, pdb.Status.Conditions)
	}
	wantStatus := metav1.ConditionFalse
	if wantReason == policyv1.SufficientPodsReason {
		wantStatus = metav1.ConditionTrue
	}
	if cond.Status != wantStatus || cond.Reason != wantReason {
		t.Errorf("condition %s = %s/%s (%q), want %s/%s", cond.Type, cond.Status, cond.Reason, cond.Message, wantStatus, wantReason)
	}
}

var appLabels = map[string]string{"app": "web"}

func newMinAvailablePDB(v intstr.IntOrString) *policyv1.PodDisruptionBudget {
	return &policyv1.PodDisruptionBudget{
		ObjectMeta: metav1.ObjectMeta{Name: "pdb", Namespace: "ns", UID: "pdb-uid", Generation: 3},
		Spec: policyv1.PodDisruptionBudgetSpec{
			MinAvailable: &v,
			Selector:     &metav1.LabelSelector{MatchLabels: appLabels},
		},
	}
}

func newMaxUnavailablePDB(v intstr.IntOrString) *policyv1.PodDisruptionBudget {
	pdb := newMinAvailablePDB(v)
	pdb.Spec.MinAvailable, pdb.Spec.MaxUnavailable = nil, &v
	return pdb
}

func newRS(name string, replicas int32) *appsv1.ReplicaSet {
	return &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", UID: types.UID(name + "-uid")},
		Spec: appsv1.ReplicaSetSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: appLabels},
		},
	}
}

func newDeployment(name string, replicas int32) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", UID: types.UID(name + "-uid")},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: appLabels},
		},
	}
}

// ownedRS is a ReplicaSet of the Deployment d.
func ownedRS(name string, replicas int32, d *appsv1.Deployment) *appsv1.ReplicaSet {
	rs := newRS(name, replicas)
	rs.OwnerReferences = []metav1.OwnerReference{*metav1.NewControllerRef(d, appsv1.SchemeGroupVersion.WithKind("Deployment"))}
	return rs
}

type podOpt func(*corev1.Pod)

func ready(p *corev1.Pod) {
	p.Status.Phase = corev1.PodRunning
	p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{Type: corev1.PodReady, Status: corev1.ConditionTrue})
}

func notReady(p *corev1.Pod) {
	p.Status.Phase = corev1.PodRunning
	p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{Type: corev1.PodReady, Status: corev1.ConditionFalse})
}

func terminating(p *corev1.Pod) { p.DeletionTimestamp = ptr.To(metav1.NewTime(t0)) }

func ownedBy(ref metav1.OwnerReference) podOpt {
	return func(p *corev1.Pod) { p.OwnerReferences = []metav1.OwnerReference{ref} }
}

func ownedByRS(rs *appsv1.ReplicaSet) podOpt {
	return ownedBy(*metav1.NewControllerRef(rs, appsv1.SchemeGroupVersion.WithKind("ReplicaSet")))
}

func disruptionTarget(reason string, since time.Time) podOpt {
	return func(p *corev1.Pod) {
		p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{
			Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue, Reason: reason, LastTransitionTime: metav1.NewTime(since)})
	}
}

func newPod(name string, opts ...podOpt) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", UID: types.UID(name + "-uid"), Labels: appLabels},
		Status:     corev1.PodStatus{Phase: corev1.PodPending},
	}
	for _, o := range opts {
		o(p)
	}
	return p
}

// pods returns n pods named <prefix>-<i> with opts.
func pods(prefix string, n int, opts ...podOpt) []runtime.Object {
	var out []runtime.Object
	for i := range n {
		out = append(out, newPod(fmt.Sprintf("%s-%d", prefix, i), opts...))
	}
	return out
}

func objs(groups ...any) []runtime.Object {
	var out []runtime.Object
	for _, g := range groups {
		switch g := g.(type) {
		case runtime.Object:
			out = append(out, g)
		case []runtime.Object:
			out = append(out, g...)
		}
	}
	return out
}
