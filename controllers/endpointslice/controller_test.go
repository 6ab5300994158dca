package endpointslice

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"
	testingclock "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"

	"github.com/k1s-dev/k1s/controllers/internal/controllertest"
)

// describe lists a slice's endpoints as
// "<ip> ready=<r> serving=<s> terminating=<t> node=<n> zone=<z> pod=<p>", sorted.
func describe(slice discoveryv1.EndpointSlice) []string {
	var out []string
	for _, ep := range slice.Endpoints {
		out = append(out, fmt.Sprintf("%s ready=%v serving=%v terminating=%v node=%s zone=%s pod=%s",
			strings.Join(ep.Addresses, ","), ptr.Deref(ep.Conditions.Ready, false), ptr.Deref(ep.Conditions.Serving, false),
			ptr.Deref(ep.Conditions.Terminating, false), ptr.Deref(ep.NodeName, ""), ptr.Deref(ep.Zone, ""), ep.TargetRef.Name))
	}
	sort.Strings(out)
	return out
}

// ports lists a slice's ports as "<name>/<protocol>:<port>".
func ports(slice discoveryv1.EndpointSlice) []string {
	var out []string
	for _, p := range slice.Ports {
		out = append(out, fmt.Sprintf("%s/%s:%d", ptr.Deref(p.Name, ""), ptr.Deref(p.Protocol, ""), ptr.Deref(p.Port, 0)))
	}
	return out
}

func TestSyncServiceSimple(t *testing.T) {
	ctx := testContext(t)
	c, client, _ := newSyncController(t,
		newNode("node-1", "zone-a"), newNode("node-2", "zone-b"), newNode("node-3", ""),
		newService(),
		newPod("a", "10.1.0.1"),
		newPod("b", "10.1.0.2", notReady, onNode("node-2")),
		newPod("c", "10.1.0.3", deleting),
		newPod("d", "10.1.0.4", onNode("node-3")),
		newPod("done", "10.1.0.5", withPhase(corev1.PodSucceeded)),
		func() *corev1.Pod {
			p := newPod("other", "10.1.0.6")
			p.Labels = map[string]string{"app": "db"}
			return p
		}(),
	)
	if err := c.syncService(ctx, ns+"/web"); err != nil {
		t.Fatalf("syncService: %v", err)
	}
	slices := listSlices(t, client)
	if len(slices) != 1 {
		t.Fatalf("got %d slices, want 1", len(slices))
	}
	s := slices[0]
	if s.GenerateName != "web-" || !strings.HasPrefix(s.Name, "web-") {
		t.Errorf("name %q, generateName %q; want generated from web-", s.Name, s.GenerateName)
	}
	wantLabels := map[string]string{
		discoveryv1.LabelServiceName: "web",
		discoveryv1.LabelManagedBy:   ManagedBy,
		"team":                       "a",
	}
	if diff := cmp.Diff(wantLabels, s.Labels); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}
	wantOwner := []metav1.OwnerReference{{APIVersion: "v1", Kind: "Service", Name: "web", UID: "uid-svc-web", Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true)}}
	if diff := cmp.Diff(wantOwner, s.OwnerReferences); diff != "" {
		t.Errorf("owner references (-want +got):\n%s", diff)
	}
	if s.AddressType != discoveryv1.AddressTypeIPv4 {
		t.Errorf("address type %q, want IPv4", s.AddressType)
	}
	if diff := cmp.Diff([]string{"http/TCP:8080"}, ports(s)); diff != "" {
		t.Errorf("ports (-want +got):\n%s", diff)
	}
	want := []string{
		"10.1.0.1 ready=true serving=true terminating=false node=node-1 zone=zone-a pod=a",
		"10.1.0.2 ready=false serving=false terminating=false node=node-2 zone=zone-b pod=b",
		"10.1.0.3 ready=false serving=true terminating=true node=node-1 zone=zone-a pod=c",
		"10.1.0.4 ready=true serving=true terminating=false node=node-3 zone= pod=d",
	}
	if diff := cmp.Diff(want, describe(s)); diff != "" {
		t.Errorf("endpoints (-want +got):\n%s", diff)
	}
	if got := s.Annotations[corev1.EndpointsLastChangeTriggerTime]; got != t0.Format(time.RFC3339Nano) {
		t.Errorf("trigger time annotation = %q, want the service creation time", got)
	}
}

func TestSyncServiceCases(t *testing.T) {
	tests := []struct {
		name       string
		service    *corev1.Service
		pods       int
		extraPods  []*corev1.Pod
		wantSizes  []int // endpoints per slice, sorted descending
		wantPorts  [][]string
		wantEvents []string
	}{
		{name: "100 pods fit in one slice", service: newService(), pods: 100, wantSizes: []int{100}},
		{name: "more than 100 pods are split", service: newService(), pods: 250, wantSizes: []int{100, 100, 50}},
		{
			name:    "a named port resolving differently makes a slice per port set",
			service: newService(targetPort(intstr.FromString("http"))),
			pods:    3,
			extraPods: []*corev1.Pod{
				newPod("alt", "10.2.0.1", withNamedPort("http", 9090)),
				// No such port: an endpoint without ports.
				newPod("none", "10.2.0.2", withNamedPort("metrics", 9100)),
			},
			wantSizes: []int{3, 1, 1},
			wantPorts: [][]string{{"http/TCP:8080"}, nil, {"http/TCP:9090"}},
		},
		{
			name:    "a service without selector gets no slices",
			service: func() *corev1.Service { s := newService(); s.Spec.Selector = nil; return s }(),
			pods:    3,
		},
		{
			name: "an ExternalName service gets no slices",
			service: func() *corev1.Service {
				s := newService()
				s.Spec.Type, s.Spec.ExternalName = corev1.ServiceTypeExternalName, "example.com"
				return s
			}(),
			pods: 3,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testContext(t)
			objs := []runtime.Object{newNode("node-1", "zone-a"), tc.service}
			for i := range tc.pods {
				objs = append(objs, newPod(fmt.Sprintf("p%04d", i), podIP(i)))
			}
			for _, p := range tc.extraPods {
				objs = append(objs, p)
			}
			c, client, _ := newSyncController(t, objs...)
			if err := c.syncService(ctx, ns+"/web"); err != nil {
				t.Fatalf("syncService: %v", err)
			}
			slices := listSlices(t, client)
			// By size, then ports: creation order (and so names) follows map
			// iteration.
			sort.Slice(slices, func(i, j int) bool {
				if a, b := len(slices[i].Endpoints), len(slices[j].Endpoints); a != b {
					return a > b
				}
				return fmt.Sprint(ports(slices[i])) < fmt.Sprint(ports(slices[j]))
			})
			var sizes []int
			var gotPorts [][]string
			for _, s := range slices {
				sizes = append(sizes, len(s.Endpoints))
				gotPorts = append(gotPorts, ports(s))
				if len(s.Endpoints) > DefaultMaxEndpointsPerSlice {
					t.Errorf("slice %s has %d endpoints", s.Name, len(s.Endpoints))
				}
			}
			if diff := cmp.Diff(tc.wantSizes, sizes); diff != "" {
				t.Errorf("endpoints per slice (-want +got):\n%s", diff)
			}
			if tc.wantPorts != nil {
				if diff := cmp.Diff(tc.wantPorts, gotPorts); diff != "" {
					t.Errorf("ports per slice (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		cfg     Config
		wantErr string
	}{
		{cfg: Config{}},
		{cfg: DefaultConfig()},
		{cfg: Config{ConcurrentServiceEndpointSyncs: 51}, wantErr: "--concurrent-service-endpoint-syncs"},
		{cfg: Config{MaxEndpointsPerSlice: 1001}, wantErr: "--max-endpoints-per-slice"},
		{cfg: Config{MaxEndpointsPerSlice: -1}, wantErr: "--max-endpoints-per-slice"},
		{cfg: Config{EndpointUpdatesBatchPeriod: -time.Second}, wantErr: "--endpointslice-updates-batch-period"},
	} {
		err := tc.cfg.Validate()
		if (err == nil) != (tc.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("Validate(%+v) = %v, want error containing %q", tc.cfg, err, tc.wantErr)
		}
	}
}

// TestRun drives the whole controller: 150 pods make two slices, pod churn
// is reflected, and slices are kept within the limit as pods go.
func TestRun(t *testing.T) {
	ctx, cancel := context.WithCancel(testContext(t))
	client := newFakeClient(newNode("node-1", "zone-a"))
	factory := informers.NewSharedInformerFactory(client, 0)
	clk := testingclock.NewFakeClock(t0)
	c, err := New(Config{Clock: clk}, client, factory, nil)
	if err != nil {
		t.Fatal(err)
	}
	rec := &controllertest.Recorder{}
	c.recorder = rec
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

	// state sums up the stored slices: endpoints per slice (descending) and
	// the endpoints of pod p0000.
	state := func() (sizes []int, p0 string) {
		for _, s := range listSlices(t, client) {
			sizes = append(sizes, len(s.Endpoints))
			for _, d := range describe(s) {
				if strings.HasSuffix(d, "pod=p0000") {
					p0 = d
				}
			}
		}
		sort.Sort(sort.Reverse(sort.IntSlice(sizes)))
		return sizes, p0
	}
	// waitFor waits until the slices hold total endpoints, none more than the
	// limit, and p0000's endpoint is wantP0 ("": absent). How pods are
	// packed depends on the order of their arrival, so it is not checked.
	waitFor := func(total int, wantP0, msg string) {
		t.Helper()
		last := &lastSeen{}
		controllertest.Eventually(t, func() bool {
			// Retries and slice-change syncs wait on the fake clock: let
			// its time pass.
			clk.Step(100 * time.Millisecond)
			last.sizes, last.p0 = state()
			sum := 0
			for _, n := range last.sizes {
				if n > DefaultMaxEndpointsPerSlice {
					return false
				}
				sum += n
			}
			return sum == total && len(last.sizes) >= (total+DefaultMaxEndpointsPerSlice-1)/DefaultMaxEndpointsPerSlice && last.p0 == wantP0
		}, "%s: want %d endpoints and %q; last saw %v\n%s", msg, total, wantP0, last, rec.Dump())
	}

	if _, err := client.CoreV1().Services(ns).Create(ctx, newService(), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pods := client.CoreV1().Pods(ns)
	for i := range 150 {
		if _, err := pods.Create(ctx, newPod(fmt.Sprintf("p%04d", i), podIP(i)), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	ready := "10.1.0.1 ready=true serving=true terminating=false node=node-1 zone=zone-a pod=p0000"
	waitFor(150, ready, "150 pods")

	if _, err := pods.Update(ctx, newPod("p0000", podIP(0), notReady), metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(150, "10.1.0.1 ready=false serving=false terminating=false node=node-1 zone=zone-a pod=p0000", "p0000 not ready")

	if _, err := pods.Update(ctx, newPod("p0000", podIP(0), deleting), metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(150, "10.1.0.1 ready=false serving=true terminating=true node=node-1 zone=zone-a pod=p0000", "p0000 terminating")

	for i := range 60 {
		if err := pods.Delete(ctx, fmt.Sprintf("p%04d", i), metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// The reconciler removes endpoints in place rather than repacking.
	waitFor(90, "", "60 pods deleted")

}

// A slice deleted by someone else makes the controller sync its service
// again (to recreate it); a deletion the controller made itself does not.
func TestEndpointSliceDeleteRequeues(t *testing.T) {
	c, _, _ := newSyncController(t)
	clk := c.clock.(*testingclock.FakeClock)
	slice := func(svc string) *discoveryv1.EndpointSlice {
		return &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{
			Namespace: ns, Name: svc + "-1", UID: types.UID("uid-" + svc), Generation: 1,
			Labels: map[string]string{discoveryv1.LabelServiceName: svc, discoveryv1.LabelManagedBy: ManagedBy},
		}}
	}
	ours, theirs := slice("ours"), slice("web")
	c.endpointSliceTracker.Update(ours)
	c.endpointSliceTracker.ExpectDeletion(ours)
	c.endpointSliceTracker.Update(theirs)

	c.onEndpointSliceDelete(ours)
	c.onEndpointSliceDelete(cache.DeletedFinalStateUnknown{Key: ns + "/web-1", Obj: theirs})
	if n := c.serviceQueue.Len(); n != 0 {
		t.Fatalf("queued at once (%d), want after %v", n, endpointSliceChangeMinSyncDelay)
	}
	clk.Step(endpointSliceChangeMinSyncDelay)
	controllertest.Eventually(t, func() bool { return c.serviceQueue.Len() == 1 }, "one service queued")
	if key, _ := c.serviceQueue.Get(); key != ns+"/web" {
		t.Errorf("queued %q, want %s/web", key, ns)
	}
}

// lastSeen formats the last state a wait saw, for its failure message.
type lastSeen struct {
	sizes []int
	p0    string
}

func (l *lastSeen) String() string {
	return fmt.Sprintf("slices of %v endpoints, p0000 %q", l.sizes, l.p0)
}
