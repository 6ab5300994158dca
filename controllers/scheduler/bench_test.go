package scheduler

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/klog/v2"
	testingclock "k8s.io/utils/clock/testing"

	"github.com/k1s-dev/k1s/controllers/internal/controllerutil"
)

// BenchmarkSchedule1000Nodes schedules 10,000 pending pods of 10 ReplicaSets
// onto 1,000 nodes in 3 zones, through the queue, the filters and scores, the
// assume step and a binder that confirms at once (as the informer would),
// and reports pods/s. The target is >= 300 pods/s.
func BenchmarkSchedule1000Nodes(b *testing.B) {
	const numNodes, numPods, numRS = 1000, 10000, 10
	nodes := make([]*corev1.Node, numNodes)
	for i := range nodes {
		nodes[i] = makeNode(fmt.Sprintf("node-%04d", i), 32000, 128<<30, withZone(fmt.Sprintf("zone-%d", i%3)))
	}
	rss := make([]*appsv1.ReplicaSet, numRS)
	for i := range rss {
		rss[i] = makeRS(fmt.Sprintf("rs-%d", i))
	}
	pods := make([]*corev1.Pod, numPods)
	for i := range pods {
		pods[i] = makePod(fmt.Sprintf("pod-%05d", i), withRequests("100m", "128Mi"), withOwnerRS(rss[i%numRS]))
	}
	ctx := klog.NewContext(context.Background(), klog.Background().V(0))

	var total time.Duration
	for b.Loop() {
		b.StopTimer()
		factory := informers.NewSharedInformerFactory(fake.NewClientset(), 0)
		s, err := New(Config{Clock: testingclock.NewFakeClock(t0), Rand: rand.New(rand.NewPCG(1, 2))}, fake.NewClientset(), factory, nil)
		if err != nil {
			b.Fatal(err)
		}
		s.recorder = controllerutil.NopRecorder{}
		for _, rs := range rss {
			if err := factory.Apps().V1().ReplicaSets().Informer().GetIndexer().Add(rs); err != nil {
				b.Fatal(err)
			}
		}
		for _, n := range nodes {
			s.cache.AddNode(n)
		}
		// The informer's confirmation of the binding, without the apiserver.
		s.bind = func(_ context.Context, pod *corev1.Pod, _ string) error {
			s.cache.AddPod(pod)
			return nil
		}
		for _, p := range pods {
			s.queue.Add(p)
		}
		start := time.Now()
		b.StartTimer()
		for range numPods {
			s.scheduleOne(ctx)
		}
		s.async.Wait()
		b.StopTimer()
		total += time.Since(start)

		if a, bo, u, f := s.queue.counts(); a+bo+u+f != 0 {
			b.Fatalf("queue not drained: active=%d backoff=%d unschedulable=%d inflight=%d", a, bo, u, f)
		}
		if got := len(s.cache.pods); got != numPods {
			b.Fatalf("cache holds %d pods, want %d", got, numPods)
		}
		assertZonesBalanced(b, s.cache, types.UID(""))
		b.StartTimer()
	}
	b.ReportMetric(float64(numPods*b.N)/total.Seconds(), "pods/s")
}

// assertZonesBalanced checks that each ReplicaSet's pods are spread evenly
// over the zones (within the default zone maxSkew of 5).
func assertZonesBalanced(tb testing.TB, c *schedulerCache, _ types.UID) {
	tb.Helper()
	perRSZone := map[string]map[string]int{}
	for _, ps := range c.pods {
		n := c.nodes[ps.nodeName]
		rs := ps.pod.Labels["app"]
		if perRSZone[rs] == nil {
			perRSZone[rs] = map[string]int{}
		}
		perRSZone[rs][n.node.Labels[corev1.LabelTopologyZone]]++
	}
	for rs, zones := range perRSZone {
		lo, hi := int(^uint(0)>>1), 0
		for _, c := range zones {
			lo, hi = min(lo, c), max(hi, c)
		}
		if len(zones) != 3 || hi-lo > 5 {
			tb.Errorf("replica set %s is not spread over zones: %v", rs, zones)
		}
	}
}
