package scheduler

import (
	"math"

	corev1 "k8s.io/api/core/v1"
	corev1helpers "k8s.io/component-helpers/scheduling/corev1"
	"k8s.io/component-helpers/scheduling/corev1/nodeaffinity"
)

// maxNodeScore is fwk.MaxNodeScore: every score plugin's normalized range is
// [0, maxNodeScore].
const maxNodeScore int64 = 100

// Weights of the default profile's score plugins
// (pkg/scheduler/apis/config/v1/default_plugins.go).
const (
	weightTaintToleration    int64 = 3
	weightNodeAffinity       int64 = 2
	weightNodeResourcesFit   int64 = 1
	weightPodTopologySpread  int64 = 2
	weightBalancedAllocation int64 = 1
)

// scoreState is what the PreScore step computes once per pod.
type scoreState struct {
	// TaintToleration: the tolerations that can tolerate PreferNoSchedule.
	preferNoScheduleTolerations []corev1.Toleration
	// NodeAffinity: nil when the pod has no preferred terms (PreScore Skip).
	preferredAffinity *nodeaffinity.PreferredSchedulingTerms
	// NodeResourcesFit (LeastAllocated): requests with the non-zero defaults.
	non0CPU, non0Mem int64
	// NodeResourcesBalancedAllocation: plain requests; skipped when both are
	// zero (a best-effort pod).
	reqCPU, reqMem int64
	// PodTopologySpread: nil when the pod has nothing to spread by.
	spread *spreadState
}

func preScore(s *cycleState, spread *spreadState) (*scoreState, error) {
	pod := s.pod
	st := &scoreState{spread: spread}
	for _, t := range pod.Spec.Tolerations {
		if t.Effect == "" || t.Effect == corev1.TaintEffectPreferNoSchedule {
			st.preferNoScheduleTolerations = append(st.preferNoScheduleTolerations, t)
		}
	}
	if a := pod.Spec.Affinity; a != nil && a.NodeAffinity != nil && len(a.NodeAffinity.PreferredDuringSchedulingIgnoredDuringExecution) > 0 {
		terms, err := nodeaffinity.NewPreferredSchedulingTerms(a.NodeAffinity.PreferredDuringSchedulingIgnoredDuringExecution)
		if err != nil {
			return nil, err
		}
		st.preferredAffinity = terms
	}
	st.non0CPU, st.non0Mem = podNonZeroRequests(pod)
	st.reqCPU, st.reqMem = s.requests.milliCPU, s.requests.memory
	return st, nil
}

// rawScores holds the per-plugin scores of the feasible nodes before
// normalization.
type rawScores struct {
	taint, affinity, fit, spread, balanced []int64
}

func newRawScores(n int) *rawScores {
	buf := make([]int64, 5*n)
	return &rawScores{taint: buf[:n:n], affinity: buf[n : 2*n : 2*n], fit: buf[2*n : 3*n : 3*n], spread: buf[3*n : 4*n : 4*n], balanced: buf[4*n:]}
}

// scoreNode runs every Score plugin on node i.
func scoreNode(s *cycleState, st *scoreState, n *nodeInfo, i int, out *rawScores) {
	node := n.node
	// TaintToleration: count of PreferNoSchedule taints not tolerated.
	var intolerable int64
	for j := range node.Spec.Taints {
		t := &node.Spec.Taints[j]
		if t.Effect == corev1.TaintEffectPreferNoSchedule && !corev1helpers.TolerationsTolerateTaint(s.logger, st.preferNoScheduleTolerations, t, false) {
			intolerable++
		}
	}
	out.taint[i] = intolerable
	// NodeAffinity: sum of the weights of the matching preferred terms.
	if st.preferredAffinity != nil {
		out.affinity[i] = st.preferredAffinity.Score(node)
	}
	// NodeResourcesFit, LeastAllocated with cpu and memory of weight 1.
	out.fit[i] = leastAllocatedScore(st, n)
	// NodeResourcesBalancedAllocation.
	if st.reqCPU != 0 || st.reqMem != 0 {
		out.balanced[i] = balancedAllocationScore(st, n)
	}
	// PodTopologySpread.
	if st.spread != nil {
		out.spread[i] = st.spread.score(s.pod, n)
	}
}

func leastRequestedScore(requested, capacity int64) int64 {
	if capacity == 0 || requested > capacity {
		return 0
	}
	return (capacity - requested) * maxNodeScore / capacity
}

func leastAllocatedScore(st *scoreState, n *nodeInfo) int64 {
	var score, weights int64
	if c := n.allocatable.milliCPU; c != 0 {
		score += leastRequestedScore(n.nonZeroCPU+st.non0CPU, c)
		weights++
	}
	if c := n.allocatable.memory; c != 0 {
		score += leastRequestedScore(n.nonZeroMem+st.non0Mem, c)
		weights++
	}
	if weights == 0 {
		return 0
	}
	return score / weights
}

// balancedAllocationScore is v1.37's balancedResourceScorer: half the score
// rewards a balanced node, half rewards the pod making it more balanced.
func balancedAllocationScore(st *scoreState, n *nodeInfo) int64 {
	var requested, allocated, allocatable [2]int64
	k := 0
	if c := n.allocatable.milliCPU; c != 0 {
		allocatable[k], allocated[k], requested[k] = c, n.requested.milliCPU, n.requested.milliCPU+st.reqCPU
		k++
	}
	if c := n.allocatable.memory; c != 0 {
		allocatable[k], allocated[k], requested[k] = c, n.requested.memory, n.requested.memory+st.reqMem
		k++
	}
	with := balancedResourceScore(requested[:k], allocatable[:k])
	without := balancedResourceScore(allocated[:k], allocatable[:k])
	return maxNodeScore/2 + (maxNodeScore/2+with-without)/2
}

func balancedResourceScore(requested, allocatable []int64) int64 {
	var fractions [2]float64
	k := 0
	for i := range requested {
		if allocatable[i] == 0 {
			continue
		}
		fractions[k] = min(float64(requested[i])/float64(allocatable[i]), 1)
		k++
	}
	std := 0.0
	if k == 2 {
		std = math.Abs((fractions[0] - fractions[1]) / 2)
	}
	return int64((1 - std) * float64(maxNodeScore))
}

// defaultNormalizeScore is helper.DefaultNormalizeScore.
func defaultNormalizeScore(reverse bool, scores []int64) {
	var maxCount int64
	for _, s := range scores {
		maxCount = max(maxCount, s)
	}
	if maxCount == 0 {
		if reverse {
			for i := range scores {
				scores[i] = maxNodeScore
			}
		}
		return
	}
	for i, s := range scores {
		s = maxNodeScore * s / maxCount
		if reverse {
			s = maxNodeScore - s
		}
		scores[i] = s
	}
}

// totals normalizes each plugin's scores and returns the weighted sums.
func (r *rawScores) totals(st *scoreState, nodes []*nodeInfo) []int64 {
	defaultNormalizeScore(true, r.taint)
	if st.preferredAffinity != nil {
		defaultNormalizeScore(false, r.affinity)
	}
	if st.spread != nil {
		st.spread.normalize(nodes, r.spread)
	}
	out := make([]int64, len(nodes))
	for i := range out {
		out[i] = weightTaintToleration*r.taint[i] +
			weightNodeAffinity*r.affinity[i] +
			weightNodeResourcesFit*r.fit[i] +
			weightPodTopologySpread*r.spread[i] +
			weightBalancedAllocation*r.balanced[i]
	}
	return out
}
