package endpointslice

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/klog/v2/ktesting"
	testingclock "k8s.io/utils/clock/testing"

	"github.com/k1s-dev/k1s/controllers/internal/controllertest"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const ns = "ns"

// newFakeClient returns a fake clientset that behaves like an apiserver where
// the controller depends on it: generateName is honoured (with a counter, so
// names are deterministic), and writes set UID, resourceVersion and
// generation.
func newFakeClient(objs ...runtime.Object) *fake.Clientset {
	client := fake.NewClientset(objs...)
	var rv, names atomic.Int64
	rv.Store(1000)
	stamp := func(a k8stesting.Action) (bool, runtime.Object, error) {
		var obj runtime.Object
		create := false
		switch a := a.(type) {
		case k8stesting.CreateAction:
			obj, create = a.GetObject(), true
		case k8stesting.UpdateAction:
			obj = a.GetObject()
		}
		m, err := meta.Accessor(obj)
		if err != nil {
			return false, nil, nil
		}
		if create {
			if m.GetName() == "" && m.GetGenerateName() != "" {
				m.SetName(fmt.Sprintf("%s%05d", m.GetGenerateName(), names.Add(1)))
			}
			m.SetUID(types.UID("uid-" + m.GetName()))
			m.SetGeneration(1)
		} else {
			m.SetGeneration(m.GetGeneration() + 1)
		}
		m.SetResourceVersion(strconv.FormatInt(rv.Add(1), 10))
		return false, nil, nil
	}
	client.PrependReactor("create", "*", stamp)
	client.PrependReactor("update", "*", stamp)
	return client
}

type podOption func(*corev1.Pod)

func notReady(p *corev1.Pod) { p.Status.Conditions[0].Status = corev1.ConditionFalse }

func deleting(p *corev1.Pod) {
	now := metav1.NewTime(t0)
	p.DeletionTimestamp = &now
}

func onNode(node string) podOption { return func(p *corev1.Pod) { p.Spec.NodeName = node } }

func withNamedPort(name string, port int32) podOption {
	return func(p *corev1.Pod) {
		p.Spec.Containers[0].Ports = []corev1.ContainerPort{{Name: name, ContainerPort: port, Protocol: corev1.ProtocolTCP}}
	}
}

func withPhase(phase corev1.PodPhase) podOption {
	return func(p *corev1.Pod) { p.Status.Phase = phase }
}

// newPod is a running, ready pod labelled app=web on node-1, with IP ip and a
// container port "http" 8080.
func newPod(name, ip string, opts ...podOption) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, UID: types.UID("uid-" + name), Labels: map[string]string{"app": "web"}, ResourceVersion: "1"},
		Spec: corev1.PodSpec{
			NodeName:   "node-1",
			Containers: []corev1.Container{{Name: "c", Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP}}}},
		},
		Status: corev1.PodStatus{
			Phase:      corev1.PodRunning,
			PodIP:      ip,
			PodIPs:     []corev1.PodIP{{IP: ip}},
			Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(t0)}},
		},
	}
	for _, o := range opts {
		o(p)
	}
	return p
}

// podIP is a distinct IPv4 address for pod number i.
func podIP(i int) string { return fmt.Sprintf("10.1.%d.%d", i/250, i%250+1) }

type serviceOption func(*corev1.Service)

func targetPort(tp intstr.IntOrString) serviceOption {
	return func(s *corev1.Service) { s.Spec.Ports[0].TargetPort = tp }
}

// newService is a ClusterIP service "web" selecting app=web, port "http" 80
// to target port 8080, created at t0.
func newService(opts ...serviceOption) *corev1.Service {
	s := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web", UID: "uid-svc-web", Labels: map[string]string{"team": "a"}, CreationTimestamp: metav1.NewTime(t0)},
		Spec: corev1.ServiceSpec{
			Selector:   map[string]string{"app": "web"},
			ClusterIP:  "10.0.0.10",
			ClusterIPs: []string{"10.0.0.10"},
			IPFamilies: []corev1.IPFamily{corev1.IPv4Protocol},
			Ports:      []corev1.ServicePort{{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(8080)}},
		},
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

func newNode(name, zone string) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{}}}
	if zone != "" {
		n.Labels[corev1.LabelTopologyZone] = zone
	}
	return n
}

// newSyncController builds a controller whose informer caches hold objs, for
// calling syncService directly; the client holds objs too.
func newSyncController(t *testing.T, objs ...runtime.Object) (*Controller, *fake.Clientset, *controllertest.Recorder) {
	t.Helper()
	client := newFakeClient(objs...)
	factory := informers.NewSharedInformerFactory(client, 0)
	c, err := New(Config{Clock: testingclock.NewFakeClock(t0)}, client, factory, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	rec := &controllertest.Recorder{}
	c.recorder = rec
	for _, obj := range objs {
		var err error
		switch o := obj.(type) {
		case *corev1.Pod:
			err = factory.Core().V1().Pods().Informer().GetIndexer().Add(o)
		case *corev1.Service:
			err = factory.Core().V1().Services().Informer().GetIndexer().Add(o)
		case *corev1.Node:
			err = factory.Core().V1().Nodes().Informer().GetIndexer().Add(o)
		case *discoveryv1.EndpointSlice:
			err = factory.Discovery().V1().EndpointSlices().Informer().GetIndexer().Add(o)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return c, client, rec
}

// listSlices returns the slices stored in ns, sorted by name.
func listSlices(t *testing.T, client *fake.Clientset) []discoveryv1.EndpointSlice {
	t.Helper()
	list, err := client.DiscoveryV1().EndpointSlices(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatalf("listing endpoint slices: %v", err)
	}
	sort.Slice(list.Items, func(i, j int) bool { return list.Items[i].Name < list.Items[j].Name })
	return list.Items
}

func testContext(t *testing.T) context.Context {
	_, ctx := ktesting.NewTestContext(t)
	return ctx
}
