package scheduler

import (
	"context"
	"fmt"
	"slices"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"
)

func TestLeastAllocatedScore(t *testing.T) {
	// Upstream's "differently sized machines" case: the pod asks 3000m and
	// 5000 bytes.
	pod := makePod("p", withRequests("3000m", "5000"))
	for _, tc := range []struct {
		node *corev1.Node
		want int64
	}{
		{makeNode("n1", 4000, 10000), (25 + 50) / 2},
		{makeNode("n2", 6000, 10000), (50 + 50) / 2},
	} {
		n := &nodeInfo{}
		n.setNode(tc.node)
		s, _ := preFilter(klog.Background(), pod)
		st, err := preScore(s, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := leastAllocatedScore(st, n); got != tc.want {
			t.Errorf("%s: score %d, want %d", tc.node.Name, got, tc.want)
		}
	}
}

func TestBalancedAllocationScore(t *testing.T) {
	for _, tc := range []struct {
		name     string
		existing *corev1.Pod
		pod      *corev1.Pod
		want     int64
	}{
		// Balanced before and after: 50 + (50 + 100 - 100)/2.
		{"balanced", nil, makePod("p", withRequests("2", "5000")), 75},
		// The pod unbalances an empty node: std 0.25 -> 75; 50 + (50+75-100)/2.
		{"unbalancing", nil, makePod("p", withRequests("2", "0")), 62},
		// The pod rebalances a cpu-heavy node: 50 + (50+100-75)/2.
		{"rebalancing", makePod("e", onNode("n1"), withRequests("2", "0")), makePod("p", withRequests("0", "5000")), 87},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := &nodeInfo{}
			n.setNode(makeNode("n1", 4000, 10000))
			if tc.existing != nil {
				n.addPod(newPodInfo(tc.existing))
			}
			s, _ := preFilter(klog.Background(), tc.pod)
			st, _ := preScore(s, nil)
			if got := balancedAllocationScore(st, n); got != tc.want {
				t.Errorf("score %d, want %d", got, tc.want)
			}
		})
	}
}

func TestDefaultNormalizeScore(t *testing.T) {
	for _, tc := range []struct {
		reverse  bool
		in, want []int64
	}{
		{false, []int64{0, 1, 2}, []int64{0, 50, 100}},
		{true, []int64{0, 1, 2}, []int64{100, 50, 0}},
		{true, []int64{0, 0}, []int64{100, 100}},
		{false, []int64{0, 0}, []int64{0, 0}},
	} {
		got := slices.Clone(tc.in)
		defaultNormalizeScore(tc.reverse, got)
		if !slices.Equal(got, tc.want) {
			t.Errorf("defaultNormalizeScore(%v, %v) = %v, want %v", tc.reverse, tc.in, got, tc.want)
		}
	}
}

// TestScorePlugins checks that each score plugin steers the choice between
// otherwise identical nodes.
func TestScorePlugins(t *testing.T) {
	preferSSD := func(p *corev1.Pod) {
		p.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
			PreferredDuringSchedulingIgnoredDuringExecution: []corev1.PreferredSchedulingTerm{{
				Weight:     10,
				Preference: corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "disk", Operator: corev1.NodeSelectorOpIn, Values: []string{"ssd"}}}},
			}},
		}}
	}
	for _, tc := range []struct {
		name     string
		nodes    []*corev1.Node
		existing []*corev1.Pod
		pod      *corev1.Pod
		want     string
	}{
		{
			name:     "NodeResourcesFit LeastAllocated prefers the emptier node",
			nodes:    []*corev1.Node{makeNode("a", 4000, 8<<30), makeNode("b", 4000, 8<<30)},
			existing: []*corev1.Pod{makePod("e", onNode("a"), withRequests("2", "4Gi"))},
			pod:      makePod("p", withRequests("100m", "100Mi")),
			want:     "b",
		},
		{
			name:  "TaintToleration avoids PreferNoSchedule",
			nodes: []*corev1.Node{makeNode("a", 4000, 8<<30, withTaint("x", "", corev1.TaintEffectPreferNoSchedule)), makeNode("b", 4000, 8<<30)},
			pod:   makePod("p"),
			want:  "b",
		},
		{
			name: "TaintToleration outweighs a slightly fuller node",
			nodes: []*corev1.Node{
				makeNode("a", 4000, 8<<30, withTaint("x", "", corev1.TaintEffectPreferNoSchedule)),
				makeNode("b", 4000, 8<<30),
			},
			existing: []*corev1.Pod{makePod("e", onNode("b"), withRequests("500m", "1Gi"))},
			pod:      makePod("p"),
			want:     "b",
		},
		{
			name:  "NodeAffinity preferred terms",
			nodes: []*corev1.Node{makeNode("a", 4000, 8<<30), makeNode("b", 4000, 8<<30, withLabel("disk", "ssd"))},
			pod:   makePod("p", preferSSD),
			want:  "b",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := testAlgorithm(t, tc.nodes, tc.existing)
			// Scores, not ties, must decide: the same answer every time.
			for range 5 {
				node, err := schedule(t, a, tc.pod)
				if err != nil {
					t.Fatal(err)
				}
				if node != tc.want {
					t.Fatalf("scheduled on %q, want %q", node, tc.want)
				}
			}
		})
	}
}

// TestSelectHostBreaksTiesAtRandom: among equal nodes every one gets chosen,
// and the seeded generator makes the sequence reproducible.
func TestSelectHostBreaksTiesAtRandom(t *testing.T) {
	nodes := []*corev1.Node{makeNode("a", 4000, 8<<30), makeNode("b", 4000, 8<<30), makeNode("c", 4000, 8<<30)}
	run := func() []string {
		a := testAlgorithm(t, nodes, nil)
		var got []string
		for range 30 {
			node, err := schedule(t, a, makePod("p"))
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, node)
		}
		return got
	}
	first := run()
	for _, n := range []string{"a", "b", "c"} {
		if !slices.Contains(first, n) {
			t.Errorf("node %s never chosen among ties: %v", n, first)
		}
	}
	if second := run(); !slices.Equal(first, second) {
		t.Errorf("same seed, different choices:\n%v\n%v", first, second)
	}
}

// TestSpreadReplicaSetAcrossZones schedules the replicas of one ReplicaSet,
// assuming each as the scheduler does, on a cluster whose zone a has three
// times the nodes of zone b. Resource scoring alone would put three quarters
// of the pods in zone a; PodTopologySpread's system defaults move them
// towards zone b.
func TestSpreadReplicaSetAcrossZones(t *testing.T) {
	rs := makeRS("web")
	nodes := []*corev1.Node{
		makeNode("a1", 8000, 16<<30, withZone("a")), makeNode("a2", 8000, 16<<30, withZone("a")), makeNode("a3", 8000, 16<<30, withZone("a")),
		makeNode("b1", 8000, 16<<30, withZone("b")),
	}
	a := testAlgorithm(t, nodes, nil, rs)
	perZone := map[string]int{}
	perNode := map[string]int{}
	for i := range 8 {
		pod := makePod(fmt.Sprintf("web-%d", i), withOwnerRS(rs), withRequests("100m", "128Mi"))
		node, err := schedule(t, a, pod)
		if err != nil {
			t.Fatal(err)
		}
		pod.Spec.NodeName = node
		if err := a.cache.AssumePod(pod, node); err != nil {
			t.Fatal(err)
		}
		perNode[node]++
		perZone[a.cache.nodes[node].node.Labels[corev1.LabelTopologyZone]]++
	}
	// Spreading per node alone gives zone b its node share, 2 of 8; the zone
	// constraint pulls it up (upstream weighs both constraints, so not to an
	// exact half).
	if perZone["b"] < 3 || perZone["a"]-perZone["b"] > 5 {
		t.Errorf("replicas per zone = %v (per node %v), want zone b to hold at least 3", perZone, perNode)
	}

	// Pods of another owner do not count: a pod of a second ReplicaSet goes
	// to the zone-a nodes that hold fewer pods, not by web's spread.
	other := makeRS("other")
	a.owners.replicaSets = testAlgorithm(t, nil, nil, rs, other).owners.replicaSets
	s, _ := preFilter(klog.Background(), makePod("o", withOwnerRS(other)))
	spread, err := spreadPreScore(context.Background(), s.pod, a.owners, a.cache.order, a.cache.order, 2)
	if err != nil || spread == nil {
		t.Fatalf("spreadPreScore = %v, %v", spread, err)
	}
	for _, n := range a.cache.order {
		if got := countMatching(n.pods, spread.constraints[0].selector, "default"); got != 0 {
			t.Errorf("node %s: %d pods match the other ReplicaSet's selector", n.node.Name, got)
		}
	}
}

func TestDefaultSelector(t *testing.T) {
	rs := makeRS("web")
	svc := &corev1.Service{}
	svc.Namespace, svc.Name = "default", "web"
	svc.Spec.Selector = map[string]string{"tier": "front"}
	a := testAlgorithm(t, nil, nil, rs)
	owners := a.owners
	services := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	if err := services.Add(svc); err != nil {
		t.Fatal(err)
	}
	owners.services = corelisters.NewServiceLister(services)
	front := func(p *corev1.Pod) {
		if p.Labels == nil {
			p.Labels = map[string]string{}
		}
		p.Labels["tier"] = "front"
	}
	for _, tc := range []struct {
		name string
		pod  *corev1.Pod
		want string
	}{
		{"no owner, no service", makePod("p"), ""},
		{"replica set", makePod("p", withOwnerRS(rs)), "app=web"},
		{"service", makePod("p", front), "tier=front"},
		{"service and replica set", makePod("p", withOwnerRS(rs), front), "app=web,tier=front"},
		{"unknown replica set", makePod("p", withOwnerRS(makeRS("gone"))), ""},
		{"other controller kind", makePod("p", func(p *corev1.Pod) {
			withOwnerRS(rs)(p)
			p.OwnerReferences[0].Kind = "Job"
			p.OwnerReferences[0].APIVersion = appsv1.SchemeGroupVersion.String()
		}), ""},
	} {
		if got := owners.defaultSelector(tc.pod).String(); got != tc.want {
			t.Errorf("%s: selector %q, want %q", tc.name, got, tc.want)
		}
	}
}
