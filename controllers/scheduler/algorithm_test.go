package scheduler

import (
	"errors"
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"
)

const (
	notHelpful = " preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling."
	noVictims  = " preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod."
)

// fitMessage runs the scheduling algorithm and returns the FitError message
// with the PostFilter part, as handleFailure builds it.
func fitMessage(t *testing.T, a *algorithm, pod *corev1.Pod) (string, string) {
	t.Helper()
	node, err := schedule(t, a, pod)
	if err == nil {
		return node, ""
	}
	var fe *FitError
	if !errors.As(err, &fe) {
		t.Fatalf("schedulePod: %v, want a FitError", err)
	}
	fe.diagnosis.postFilterMsg = preemptionMessage(pod, fe.NumAllNodes, &fe.diagnosis)
	return "", fe.Error()
}

func TestFilters(t *testing.T) {
	gpu := corev1.ResourceName("example.com/gpu")
	tests := []struct {
		name     string
		node     *corev1.Node
		existing []*corev1.Pod
		pod      *corev1.Pod
		wantMsg  string // "" means the pod fits
	}{
		{
			name: "fits an empty node",
			node: makeNode("n1", 1000, 1<<30),
			pod:  makePod("p", withRequests("500m", "100Mi")),
		},
		{
			name:    "NodeUnschedulable",
			node:    makeNode("n1", 1000, 1<<30, withUnschedulable()),
			pod:     makePod("p"),
			wantMsg: "0/1 nodes are available: 1 node(s) were unschedulable." + notHelpful,
		},
		{
			name: "NodeUnschedulable tolerated through the unschedulable taint",
			node: makeNode("n1", 1000, 1<<30, withUnschedulable()),
			pod:  makePod("p", withToleration(corev1.TaintNodeUnschedulable, corev1.TaintEffectNoSchedule)),
		},
		{
			name:    "TaintToleration NoSchedule",
			node:    makeNode("n1", 1000, 1<<30, withTaint("dedicated", "db", corev1.TaintEffectNoSchedule)),
			pod:     makePod("p"),
			wantMsg: "0/1 nodes are available: 1 node(s) had untolerated taint(s)." + notHelpful,
		},
		{
			name:    "TaintToleration NoExecute",
			node:    makeNode("n1", 1000, 1<<30, withTaint(corev1.TaintNodeUnreachable, "", corev1.TaintEffectNoExecute)),
			pod:     makePod("p"),
			wantMsg: "0/1 nodes are available: 1 node(s) had untolerated taint(s)." + notHelpful,
		},
		{
			name: "TaintToleration tolerated",
			node: makeNode("n1", 1000, 1<<30, withTaint("dedicated", "db", corev1.TaintEffectNoSchedule)),
			pod:  makePod("p", withToleration("dedicated", corev1.TaintEffectNoSchedule)),
		},
		{
			name: "TaintToleration PreferNoSchedule only scores",
			node: makeNode("n1", 1000, 1<<30, withTaint("dedicated", "db", corev1.TaintEffectPreferNoSchedule)),
			pod:  makePod("p"),
		},
		{
			name:    "NodeAffinity nodeSelector",
			node:    makeNode("n1", 1000, 1<<30, withLabel("disk", "hdd")),
			pod:     makePod("p", withNodeSelector("disk", "ssd")),
			wantMsg: "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector." + notHelpful,
		},
		{
			name: "NodeAffinity nodeSelector matches",
			node: makeNode("n1", 1000, 1<<30, withLabel("disk", "ssd")),
			pod:  makePod("p", withNodeSelector("disk", "ssd")),
		},
		{
			name: "NodeAffinity required terms",
			node: makeNode("n1", 1000, 1<<30, withLabel("disk", "hdd")),
			pod: makePod("p", func(p *corev1.Pod) {
				p.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
					RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
						MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "disk", Operator: corev1.NodeSelectorOpIn, Values: []string{"ssd", "nvme"}}},
					}}},
				}}
			}),
			wantMsg: "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector." + notHelpful,
		},
		{
			name: "NodeAffinity PreFilter narrows to named nodes",
			node: makeNode("n1", 1000, 1<<30),
			pod: makePod("p", func(p *corev1.Pod) {
				p.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
					RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
						MatchFields: []corev1.NodeSelectorRequirement{{Key: metav1.ObjectNameField, Operator: corev1.NodeSelectorOpIn, Values: []string{"n2"}}},
					}}},
				}}
			}),
			wantMsg: "0/1 nodes are available: 1 node(s) didn't satisfy plugin(s) [NodeAffinity]." + notHelpful,
		},
		{
			name: "NodeAffinity PreFilter conflicting terms",
			node: makeNode("n1", 1000, 1<<30),
			pod: makePod("p", func(p *corev1.Pod) {
				p.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
					RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
						MatchFields: []corev1.NodeSelectorRequirement{
							{Key: metav1.ObjectNameField, Operator: corev1.NodeSelectorOpIn, Values: []string{"n1"}},
							{Key: metav1.ObjectNameField, Operator: corev1.NodeSelectorOpIn, Values: []string{"n2"}},
						},
					}}},
				}}
			}),
			wantMsg: "0/1 nodes are available: pod affinity terms conflict." + notHelpful,
		},
		{
			name:     "NodePorts conflict",
			node:     makeNode("n1", 1000, 1<<30),
			existing: []*corev1.Pod{makePod("web", onNode("n1"), withHostPort(8080))},
			pod:      makePod("p", withHostPort(8080)),
			wantMsg:  "0/1 nodes are available: 1 node(s) didn't have free ports for the requested pod ports." + noVictims,
		},
		{
			name:     "NodePorts other port",
			node:     makeNode("n1", 1000, 1<<30),
			existing: []*corev1.Pod{makePod("web", onNode("n1"), withHostPort(8080))},
			pod:      makePod("p", withHostPort(8081)),
		},
		{
			name:     "NodeResourcesFit Insufficient cpu",
			node:     makeNode("n1", 1000, 1<<30),
			existing: []*corev1.Pod{makePod("big", onNode("n1"), withRequests("800m", ""))},
			pod:      makePod("p", withRequests("500m", "")),
			wantMsg:  "0/1 nodes are available: 1 Insufficient cpu." + noVictims,
		},
		{
			name:    "NodeResourcesFit more than allocatable is unresolvable",
			node:    makeNode("n1", 1000, 1<<30),
			pod:     makePod("p", withRequests("2", "")),
			wantMsg: "0/1 nodes are available: 1 Insufficient cpu." + notHelpful,
		},
		{
			name:     "NodeResourcesFit cpu and memory",
			node:     makeNode("n1", 1000, 1<<30),
			existing: []*corev1.Pod{makePod("big", onNode("n1"), withRequests("800m", "900Mi"))},
			pod:      makePod("p", withRequests("500m", "500Mi")),
			wantMsg:  "0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory." + noVictims,
		},
		{
			name:     "NodeResourcesFit Too many pods",
			node:     makeNode("n1", 1000, 1<<30, withAllocatable(corev1.ResourcePods, "1")),
			existing: []*corev1.Pod{makePod("other", onNode("n1"))},
			pod:      makePod("p"),
			wantMsg:  "0/1 nodes are available: 1 Too many pods." + noVictims,
		},
		{
			name:    "NodeResourcesFit extended resource",
			node:    makeNode("n1", 1000, 1<<30, withAllocatable(gpu, "1")),
			pod:     makePod("p", withExtended(gpu, "2")),
			wantMsg: "0/1 nodes are available: 1 Insufficient example.com/gpu." + notHelpful,
		},
		{
			name: "NodeResourcesFit ephemeral-storage",
			node: makeNode("n1", 1000, 1<<30, withAllocatable(corev1.ResourceEphemeralStorage, "1Gi")),
			pod: makePod("p", func(p *corev1.Pod) {
				p.Spec.Containers[0].Resources.Requests = corev1.ResourceList{corev1.ResourceEphemeralStorage: resource.MustParse("2Gi")}
			}),
			wantMsg: "0/1 nodes are available: 1 Insufficient ephemeral-storage." + notHelpful,
		},
		{
			name: "NodeResourcesFit counts init containers (max of init and sum)",
			node: makeNode("n1", 1000, 1<<30),
			pod: makePod("p", withRequests("500m", ""), func(p *corev1.Pod) {
				p.Spec.InitContainers = []corev1.Container{{Name: "init", Resources: corev1.ResourceRequirements{
					Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1500m")}}}}
			}),
			wantMsg: "0/1 nodes are available: 1 Insufficient cpu." + notHelpful,
		},
		{
			name: "NodeResourcesFit counts pod overhead",
			node: makeNode("n1", 1000, 1<<30),
			pod: makePod("p", withRequests("600m", ""), func(p *corev1.Pod) {
				p.Spec.Overhead = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m")}
			}),
			wantMsg: "0/1 nodes are available: 1 Insufficient cpu." + notHelpful,
		},
		{
			name:    "preemptionPolicy Never",
			node:    makeNode("n1", 1000, 1<<30, withUnschedulable()),
			pod:     makePod("p", func(p *corev1.Pod) { p.Spec.PreemptionPolicy = ptr.To(corev1.PreemptNever) }),
			wantMsg: "0/1 nodes are available: 1 node(s) were unschedulable. preemption: not eligible due to preemptionPolicy=Never.",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := testAlgorithm(t, []*corev1.Node{tc.node}, tc.existing)
			node, msg := fitMessage(t, a, tc.pod)
			if msg != tc.wantMsg {
				t.Fatalf("message:\n got %q\nwant %q", msg, tc.wantMsg)
			}
			if tc.wantMsg == "" && node != tc.node.Name {
				t.Fatalf("scheduled on %q, want %q", node, tc.node.Name)
			}
		})
	}
}

func TestFilterNodeName(t *testing.T) {
	n := &nodeInfo{}
	n.setNode(makeNode("n1", 1000, 1<<30))
	for _, tc := range []struct {
		nodeName string
		want     *status
	}{{"", nil}, {"n1", nil}, {"n2", statusNodeName}} {
		s, _ := preFilter(klog.Background(), makePod("p", onNode(tc.nodeName)))
		if got := filter(s, n); got != tc.want {
			t.Errorf("spec.nodeName %q: filter = %v, want %v", tc.nodeName, got, tc.want)
		}
	}
}

func TestNoNodes(t *testing.T) {
	a := testAlgorithm(t, nil, nil)
	if _, err := schedule(t, a, makePod("p")); !errors.Is(err, ErrNoNodesAvailable) || err.Error() != "no nodes available to schedule pods" {
		t.Fatalf("err = %v, want ErrNoNodesAvailable", err)
	}
}

// TestFitErrorAggregation checks upstream's histogram: one "<count> <reason>"
// per reason, sorted as strings (so "10 ..." sorts before "2 ..."), and the
// preemption part splitting resolvable from unresolvable nodes.
func TestFitErrorAggregation(t *testing.T) {
	tests := []struct {
		name  string
		nodes []*corev1.Node
		want  string
	}{
		{
			name: "taint and cpu",
			nodes: []*corev1.Node{
				makeNode("n1", 4000, 1<<30, withTaint(corev1.TaintNodeUnreachable, "", corev1.TaintEffectNoExecute)),
				makeNode("n2", 1000, 1<<30),
				makeNode("n3", 1000, 1<<30),
			},
			want: "0/3 nodes are available: 1 node(s) had untolerated taint(s), 2 Insufficient cpu. " +
				"preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.",
		},
		{
			name: "string order, not count order",
			nodes: append(func() []*corev1.Node {
				var ns []*corev1.Node
				for i := range 10 {
					ns = append(ns, makeNode(fmt.Sprintf("u%d", i), 4000, 1<<30, withUnschedulable()))
				}
				return ns
			}(), makeNode("n1", 1000, 1<<30), makeNode("n2", 1000, 100<<20)),
			want: "0/12 nodes are available: 1 Insufficient memory, 10 node(s) were unschedulable, 2 Insufficient cpu. " +
				"preemption: 0/12 nodes are available: 1 No preemption victims found for incoming pod, 11 Preemption is not helpful for scheduling.",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Every node already runs a 500m pod, so the 800m pod does not fit
			// the free 500m but would fit an emptied 1000m node: a resolvable
			// rejection (preemption looks at it and finds no victims).
			var existing []*corev1.Pod
			for _, n := range tc.nodes {
				existing = append(existing, makePod("busy-"+n.Name, onNode(n.Name), withRequests("500m", "")))
			}
			a := testAlgorithm(t, tc.nodes, existing)
			_, msg := fitMessage(t, a, makePod("p", withRequests("800m", "200Mi")))
			if msg != tc.want {
				t.Fatalf("message:\n got %q\nwant %q", msg, tc.want)
			}
		})
	}
}

func TestNumFeasibleNodesToFind(t *testing.T) {
	for _, tc := range []struct {
		percentage  int32
		nodes, want int
		explanation string
	}{
		{0, 10, 10, "all nodes below 100"},
		{0, 1000, 420, "adaptive: 50 - 1000/125 = 42%"},
		{0, 5000, 500, "adaptive: 50 - 40 = 10%"},
		{0, 6000, 300, "adaptive floor 5%"},
		{0, 150, 100, "never fewer than 100"},
		{30, 1000, 300, "configured"},
	} {
		a := &algorithm{percentageOfNodesToScore: tc.percentage}
		if got := a.numFeasibleNodesToFind(tc.nodes); got != tc.want {
			t.Errorf("%s: numFeasibleNodesToFind(%d) = %d, want %d", tc.explanation, tc.nodes, got, tc.want)
		}
	}
}
