package nodelifecycle

import (
	"context"
	"fmt"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"
	testingclock "k8s.io/utils/clock/testing"
)

const (
	benchNodes = 5000
	benchZones = 3
)

// benchNode is a node as a kubelet reports it: the usual labels, five conditions,
// capacity, allocatable, addresses and node info, Ready since t0.
func benchNode(i int) *corev1.Node {
	name := fmt.Sprintf("node-%05d", i)
	n := newNode(name, withConditions(corev1.ConditionTrue, t0), withZone("region-1", fmt.Sprintf("zone-%d", i%benchZones)),
		withLabel(corev1.LabelHostname, name), withLabel(corev1.LabelOSStable, "linux"), withLabel(corev1.LabelArchStable, "amd64"),
		withLabel(labelBetaOS, "linux"), withLabel(labelBetaArch, "amd64"), withLabel(corev1.LabelInstanceTypeStable, "k1s"))
	hb := metav1.NewTime(t0)
	n.Status.Conditions = append(n.Status.Conditions,
		corev1.NodeCondition{Type: corev1.NodeDiskPressure, Status: corev1.ConditionFalse, LastHeartbeatTime: hb, LastTransitionTime: hb},
		corev1.NodeCondition{Type: corev1.NodePIDPressure, Status: corev1.ConditionFalse, LastHeartbeatTime: hb, LastTransitionTime: hb})
	resources := corev1.ResourceList{
		corev1.ResourceCPU:              resource.MustParse("8"),
		corev1.ResourceMemory:           resource.MustParse("32Gi"),
		corev1.ResourcePods:             resource.MustParse("110"),
		corev1.ResourceEphemeralStorage: resource.MustParse("100Gi"),
	}
	n.Status.Capacity, n.Status.Allocatable = resources, resources.DeepCopy()
	n.Status.Addresses = []corev1.NodeAddress{
		{Type: corev1.NodeInternalIP, Address: fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)},
		{Type: corev1.NodeHostName, Address: name},
	}
	n.Status.NodeInfo = corev1.NodeSystemInfo{KubeletVersion: "v1.37.2", OperatingSystem: "linux", Architecture: "amd64",
		ContainerRuntimeVersion: "k1s://1.0", KernelVersion: "6.8.0", OSImage: "k1s"}
	n.Spec.PodCIDR = fmt.Sprintf("10.%d.%d.0/24", 100+i>>8, i&255)
	return n
}

// BenchmarkMonitorNodeHealth measures one pass of the health monitor (the function the
// periodic loop runs) over 5,000 Ready nodes with their leases in 3 zones, on a fake
// clientset and informers.
//
//   - steady: nothing changed since the last pass;
//   - leases-renewed: every node renewed its lease since the last pass, so the pass
//     re-stamps every node's probe time (with the defaults, 5 s passes and 10 s
//     renewals, about half the nodes do).
//
// Target: at most 50 ms per pass.
func BenchmarkMonitorNodeHealth(b *testing.B) {
	for _, renew := range []bool{false, true} {
		name := "steady"
		if renew {
			name = "leases-renewed"
		}
		b.Run(name, func(b *testing.B) { benchmarkMonitor(b, renew) })
	}
}

func benchmarkMonitor(b *testing.B, renewLeases bool) {
	// A logger that discards: the first pass logs one line per new node.
	ctx, cancel := context.WithCancel(klog.NewContext(context.Background(), klog.Logger{}))
	defer cancel()
	clk := testingclock.NewFakeClock(t0)
	objs := make([]runtime.Object, 0, 2*benchNodes)
	for i := range benchNodes {
		n := benchNode(i)
		objs = append(objs, n, newLease(n.Name, t0, fmt.Sprint(i+1)))
	}
	client := fake.NewClientset(objs...)
	factory := informers.NewSharedInformerFactory(client, 0)
	c, err := New(Config{Clock: clk}, client, factory, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer c.nodeUpdateQueue.ShutDown()
	defer c.podUpdateQueue.ShutDown()
	factory.Start(ctx.Done())
	defer func() {
		cancel() // before Shutdown, which waits for the informers to stop
		factory.Shutdown()
	}()
	for typ, ok := range factory.WaitForCacheSync(ctx.Done()) {
		if !ok {
			b.Fatalf("cache for %v did not sync", typ)
		}
	}
	leaseStore := factory.Coordination().V1().Leases().Informer().GetStore()
	if n := len(leaseStore.List()); n != benchNodes {
		b.Fatalf("%d leases in the cache, want %d", n, benchNodes)
	}

	// The first pass registers every node and zone.
	if err := c.monitorNodeHealth(ctx); err != nil {
		b.Fatal(err)
	}
	if states := c.ZoneStates(); len(states) != benchZones {
		b.Fatalf("zone states after the first pass: %v", states)
	}

	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if renewLeases {
			b.StopTimer()
			clk.Step(time.Second)
			renewAll(b, leaseStore, clk.Now())
			b.StartTimer()
		}
		if err := c.monitorNodeHealth(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()

	for zone, state := range c.ZoneStates() {
		if state != StateNormal {
			b.Errorf("zone %q is %s after the passes, want Normal", zone, state)
		}
	}
	// The informers' list and watch calls aside, healthy nodes need no API calls.
	for _, a := range client.Actions() {
		if a.GetVerb() != "list" && a.GetVerb() != "watch" {
			b.Errorf("unexpected API call for healthy nodes: %s %s", a.GetVerb(), a.GetResource().Resource)
			break
		}
	}
}

// renewAll puts a renewed copy of every lease in the informer's store, as the
// informer would after each kubelet's renewal.
func renewAll(b *testing.B, store cache.Store, now time.Time) {
	b.Helper()
	for _, obj := range store.List() {
		lease := obj.(*coordinationv1.Lease).DeepCopy()
		lease.Spec.RenewTime = &metav1.MicroTime{Time: now}
		if err := store.Update(lease); err != nil {
			b.Fatal(err)
		}
	}
}
