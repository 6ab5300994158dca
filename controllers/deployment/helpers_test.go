package deployment

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2/ktesting"
	testingclock "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"

	"github.com/k1s-dev/k1s/controllers/internal/controllertest"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// harness drives syncDeployment by hand against a fake clientset. refresh
// copies the clientset's objects into the informer stores (the factory is
// not started), and settle plays the ReplicaSet controller and kubelet: every
// ReplicaSet gets status.replicas = ready = available = spec.replicas.
type harness struct {
	t      *testing.T
	ctx    context.Context
	clock  *testingclock.FakeClock
	client *fake.Clientset
	dc     *Controller
	rec    *controllertest.Recorder
	stores map[string]cache.Indexer
	uids   int
}

func newHarness(t *testing.T, objs ...runtime.Object) *harness {
	t.Helper()
	_, ctx := ktesting.NewTestContext(t)
	clk := testingclock.NewFakeClock(t0)
	client := fake.NewClientset(objs...)
	h := &harness{t: t, ctx: ctx, clock: clk, client: client, rec: &controllertest.Recorder{}}
	// The apiserver sets uid and creationTimestamp; the fake clientset does not.
	client.PrependReactor("create", "replicasets", func(a k8stesting.Action) (bool, runtime.Object, error) {
		rs := a.(k8stesting.CreateAction).GetObject().(*appsv1.ReplicaSet)
		h.uids++
		rs.UID = types.UID(fmt.Sprintf("rs-uid-%d", h.uids))
		rs.CreationTimestamp = metav1.NewTime(clk.Now())
		return false, nil, nil
	})
	factory := informers.NewSharedInformerFactory(client, 0)
	dc, err := New(Config{Clock: clk}, client, factory, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	dc.eventRecorder = h.rec
	h.dc = dc
	h.stores = map[string]cache.Indexer{
		"deployments": factory.Apps().V1().Deployments().Informer().GetIndexer(),
		"replicasets": factory.Apps().V1().ReplicaSets().Informer().GetIndexer(),
		"pods":        factory.Core().V1().Pods().Informer().GetIndexer(),
	}
	h.refresh()
	return h
}

// refresh makes the informer stores hold what the clientset holds.
func (h *harness) refresh() {
	h.t.Helper()
	var ds, rss, pods []any
	dl, _ := h.client.AppsV1().Deployments("").List(h.ctx, metav1.ListOptions{})
	for i := range dl.Items {
		ds = append(ds, &dl.Items[i])
	}
	rl, _ := h.client.AppsV1().ReplicaSets("").List(h.ctx, metav1.ListOptions{})
	for i := range rl.Items {
		rss = append(rss, &rl.Items[i])
	}
	pl, _ := h.client.CoreV1().Pods("").List(h.ctx, metav1.ListOptions{})
	for i := range pl.Items {
		pods = append(pods, &pl.Items[i])
	}
	for name, objs := range map[string][]any{"deployments": ds, "replicasets": rss, "pods": pods} {
		if err := h.stores[name].Replace(objs, ""); err != nil {
			h.t.Fatalf("replace %s: %v", name, err)
		}
	}
}

// settle makes every ReplicaSet's pods exist and be available.
func (h *harness) settle() {
	h.t.Helper()
	rl, _ := h.client.AppsV1().ReplicaSets("").List(h.ctx, metav1.ListOptions{})
	for _, rs := range rl.Items {
		n := ptr.Deref(rs.Spec.Replicas, 0)
		rs.Status = appsv1.ReplicaSetStatus{Replicas: n, FullyLabeledReplicas: n, ReadyReplicas: n, AvailableReplicas: n, ObservedGeneration: rs.Generation}
		if _, err := h.client.AppsV1().ReplicaSets(rs.Namespace).UpdateStatus(h.ctx, &rs, metav1.UpdateOptions{}); err != nil {
			h.t.Fatal(err)
		}
	}
	h.refresh()
}

func (h *harness) sync(name string) {
	h.t.Helper()
	if err := h.dc.syncDeployment(h.ctx, "ns/"+name); err != nil {
		h.t.Fatalf("sync: %v", err)
	}
	h.refresh()
}

func (h *harness) deployment(name string) *appsv1.Deployment {
	h.t.Helper()
	d, err := h.client.AppsV1().Deployments("ns").Get(h.ctx, name, metav1.GetOptions{})
	if err != nil {
		h.t.Fatal(err)
	}
	return d
}

func (h *harness) update(d *appsv1.Deployment) {
	h.t.Helper()
	d.Generation++
	if _, err := h.client.AppsV1().Deployments("ns").Update(h.ctx, d, metav1.UpdateOptions{}); err != nil {
		h.t.Fatal(err)
	}
	h.refresh()
}

// replicaSets returns the ReplicaSets oldest first.
func (h *harness) replicaSets() []appsv1.ReplicaSet {
	rl, _ := h.client.AppsV1().ReplicaSets("ns").List(h.ctx, metav1.ListOptions{})
	slices.SortFunc(rl.Items, func(a, b appsv1.ReplicaSet) int {
		if c := a.CreationTimestamp.Compare(b.CreationTimestamp.Time); c != 0 {
			return c
		}
		return int(a.UID[len(a.UID)-1]) - int(b.UID[len(b.UID)-1])
	})
	return rl.Items
}

func (h *harness) replicaCounts() []int32 {
	var out []int32
	for _, rs := range h.replicaSets() {
		out = append(out, ptr.Deref(rs.Spec.Replicas, 0))
	}
	return out
}

// newDeployment returns a Deployment as the apiserver defaults it.
func newDeployment(name string, replicas int32, maxSurge, maxUnavailable intstr.IntOrString) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", UID: types.UID(name + "-uid"), Generation: 1},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": name}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "img:1"}}},
			},
			Strategy: appsv1.DeploymentStrategy{
				Type:          appsv1.RollingUpdateDeploymentStrategyType,
				RollingUpdate: &appsv1.RollingUpdateDeployment{MaxSurge: &maxSurge, MaxUnavailable: &maxUnavailable},
			},
			RevisionHistoryLimit:    ptr.To[int32](10),
			ProgressDeadlineSeconds: ptr.To[int32](600),
		},
	}
}

func setImage(d *appsv1.Deployment, image string) {
	d.Spec.Template.Spec.Containers[0].Image = image
}

func condition(d *appsv1.Deployment, t appsv1.DeploymentConditionType) *appsv1.DeploymentCondition {
	for i := range d.Status.Conditions {
		if d.Status.Conditions[i].Type == t {
			return &d.Status.Conditions[i]
		}
	}
	return nil
}
