package scheduler

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync/atomic"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
)

// Bounds of the adaptive percentageOfNodesToScore (pkg/scheduler/schedule_one.go).
const (
	minFeasibleNodesToFind           = 100
	minFeasibleNodesPercentageToFind = 5
)

// algorithm is the scheduling cycle's filter-and-score part: upstream's
// schedulePod over the default profile's plugins. It runs on the scheduling
// goroutine only.
type algorithm struct {
	cache                    *schedulerCache
	owners                   ownerListers
	parallelism              int
	percentageOfNodesToScore int32
	rand                     Rand
	// nextStartNodeIndex rotates where the node search starts, so that when
	// it stops early every node still gets its turn across pods.
	nextStartNodeIndex int
}

type scheduleResult struct {
	node           string
	evaluatedNodes int
	feasibleNodes  int
}

// numFeasibleNodesToFind is upstream's: all nodes below 100, else the
// configured or adaptive percentage, never fewer than 100.
func (a *algorithm) numFeasibleNodesToFind(numAllNodes int) int {
	if numAllNodes < minFeasibleNodesToFind {
		return numAllNodes
	}
	percentage := a.percentageOfNodesToScore
	if percentage == 0 {
		percentage = int32(50) - int32(numAllNodes)/125
		if percentage < minFeasibleNodesPercentageToFind {
			percentage = minFeasibleNodesPercentageToFind
		}
	}
	numNodes := numAllNodes * int(percentage) / 100
	if numNodes < minFeasibleNodesToFind {
		return minFeasibleNodesToFind
	}
	return numNodes
}

// chunkSize is the parallelizer's: about sqrt(n), so that workers take
// pieces big enough to amortize the handoff.
func (a *algorithm) chunkSize(n int) int {
	s := int(math.Sqrt(float64(n)))
	if r := n/a.parallelism + 1; r < s {
		s = r
	}
	return max(s, 1)
}

// schedulePod picks a node for pod. The caller holds a.cache.mu for reading.
// A pod that fits nowhere yields a *FitError; no nodes at all yields
// ErrNoNodesAvailable.
func (a *algorithm) schedulePod(ctx context.Context, pod *corev1.Pod) (scheduleResult, error) {
	logger := klog.FromContext(ctx)
	allNodes := a.cache.order
	if len(allNodes) == 0 {
		return scheduleResult{}, ErrNoNodesAvailable
	}
	d := diagnosis{nodeToStatus: map[string]*status{}}

	s, preFilterMsg := preFilter(logger, pod)
	if preFilterMsg != "" {
		d.preFilterMsg = preFilterMsg
		d.absent = &status{code: unresolvable, plugin: NodeAffinity, reasons: []string{preFilterMsg}}
		d.unschedulablePlugins = sets.New(NodeAffinity)
		return scheduleResult{}, &FitError{Pod: pod, NumAllNodes: len(allNodes), diagnosis: d}
	}

	nodes := allNodes
	if s.nodeNames != nil {
		nodes = make([]*nodeInfo, 0, len(s.nodeNames))
		for _, n := range allNodes {
			if s.nodeNames.Has(n.node.Name) {
				nodes = append(nodes, n)
			}
		}
		d.absent = &status{code: unresolvable, plugin: NodeAffinity, reasons: []string{fmt.Sprintf(didntSatisfyPluginFormat, []string{NodeAffinity})}}
		d.unschedulablePlugins = sets.New(NodeAffinity)
	}

	feasible := a.findNodesThatPassFilters(ctx, s, nodes, &d)
	if len(feasible) == 0 {
		return scheduleResult{}, &FitError{Pod: pod, NumAllNodes: len(allNodes), diagnosis: d}
	}
	result := scheduleResult{evaluatedNodes: len(feasible) + len(d.nodeToStatus), feasibleNodes: len(feasible)}
	if len(feasible) == 1 {
		result.node = feasible[0].node.Name
		return result, nil
	}

	spread, err := spreadPreScore(ctx, pod, a.owners, feasible, allNodes, a.parallelism)
	if err != nil {
		return scheduleResult{}, fmt.Errorf("running PreScore plugin %q: %w", PodTopologySpread, err)
	}
	st, err := preScore(s, spread)
	if err != nil {
		return scheduleResult{}, fmt.Errorf("running PreScore plugin %q: %w", NodeAffinity, err)
	}
	raw := newRawScores(len(feasible))
	workqueue.ParallelizeUntil(ctx, a.parallelism, len(feasible), func(i int) {
		scoreNode(s, st, feasible[i], i, raw)
	}, workqueue.WithChunkSize(a.chunkSize(len(feasible))))
	totals := raw.totals(st, feasible)
	result.node = feasible[a.selectHost(totals)].node.Name
	return result, nil
}

// selectHost returns the index of a best-scored node, chosen uniformly among
// ties as upstream's randomized heap does.
func (a *algorithm) selectHost(totals []int64) int {
	best, ties := 0, 1
	for i := 1; i < len(totals); i++ {
		switch {
		case totals[i] > totals[best]:
			best, ties = i, 1
		case totals[i] == totals[best]:
			ties++
			if a.rand.IntN(ties) == 0 {
				best = i
			}
		}
	}
	return best
}

// findNodesThatPassFilters filters nodes, starting where the previous pod's
// search stopped, until enough feasible nodes are found. Rejections are
// recorded in d.
func (a *algorithm) findNodesThatPassFilters(ctx context.Context, s *cycleState, nodes []*nodeInfo, d *diagnosis) []*nodeInfo {
	numAll := len(nodes)
	if numAll == 0 {
		return nil
	}
	numToFind := a.numFeasibleNodesToFind(numAll)
	start := a.nextStartNodeIndex % numAll

	// Positions (in search order) of the feasible nodes; sorted afterwards
	// so that the result does not depend on goroutine timing.
	found := make([]int32, numToFind)
	var foundLen atomic.Int32
	statuses := make([]*status, numAll)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	check := func(i int) {
		st := filter(s, nodes[(start+i)%numAll])
		if st != nil {
			statuses[i] = st
			return
		}
		l := foundLen.Add(1)
		if int(l) > numToFind {
			cancel()
			foundLen.Add(-1)
			return
		}
		found[l-1] = int32(i)
	}
	workqueue.ParallelizeUntil(ctx, a.parallelism, numAll, check, workqueue.WithChunkSize(a.chunkSize(numAll)))

	found = found[:foundLen.Load()]
	slices.Sort(found)
	feasible := make([]*nodeInfo, len(found))
	for j, i := range found {
		feasible[j] = nodes[(start+int(i))%numAll]
	}
	processed := len(feasible)
	for i, st := range statuses {
		if st == nil {
			continue
		}
		processed++
		d.nodeToStatus[nodes[(start+i)%numAll].node.Name] = st
		if d.unschedulablePlugins == nil {
			d.unschedulablePlugins = sets.New[string]()
		}
		d.unschedulablePlugins.Insert(st.plugin)
	}
	a.nextStartNodeIndex = (start + processed) % len(a.cache.order)
	return feasible
}
