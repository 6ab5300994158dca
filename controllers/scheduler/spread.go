package scheduler

import (
	"context"
	"math"
	"sync/atomic"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	appslisters "k8s.io/client-go/listers/apps/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/util/workqueue"
	corev1helpers "k8s.io/component-helpers/scheduling/corev1"
	"k8s.io/component-helpers/scheduling/corev1/nodeaffinity"
	"k8s.io/klog/v2"
)

// systemDefaultConstraints are PodTopologySpread's defaultingType: System
// constraints, applied to pods that set none of their own.
var systemDefaultConstraints = []corev1.TopologySpreadConstraint{
	{TopologyKey: corev1.LabelHostname, WhenUnsatisfiable: corev1.ScheduleAnyway, MaxSkew: 3},
	{TopologyKey: corev1.LabelTopologyZone, WhenUnsatisfiable: corev1.ScheduleAnyway, MaxSkew: 5},
}

// ownerListers are what helper.DefaultSelector reads to find the pods a pod
// should spread from: the services selecting it and its controller. Any of
// them may be nil.
type ownerListers struct {
	services               corelisters.ServiceLister
	replicationControllers corelisters.ReplicationControllerLister
	replicaSets            appslisters.ReplicaSetLister
	statefulSets           appslisters.StatefulSetLister
}

// defaultSelector is helper.DefaultSelector: the union of the selectors of the
// services matching the pod and of its ReplicationController, ReplicaSet or
// StatefulSet controller.
func (l ownerListers) defaultSelector(pod *corev1.Pod) labels.Selector {
	labelSet := labels.Set{}
	if l.services != nil && len(pod.Labels) > 0 {
		if services, err := l.services.Services(pod.Namespace).List(labels.Everything()); err == nil {
			for _, svc := range services {
				if svc.Spec.Selector == nil {
					// services with nil selectors match nothing, not everything.
					continue
				}
				if labels.SelectorFromValidatedSet(svc.Spec.Selector).Matches(labels.Set(pod.Labels)) {
					labelSet = labels.Merge(labelSet, svc.Spec.Selector)
				}
			}
		}
	}
	selector := labelSet.AsSelector()

	owner := metav1.GetControllerOfNoCopy(pod)
	if owner == nil {
		return selector
	}
	gv, err := schema.ParseGroupVersion(owner.APIVersion)
	if err != nil {
		return selector
	}
	switch gv.WithKind(owner.Kind) {
	case corev1.SchemeGroupVersion.WithKind("ReplicationController"):
		if l.replicationControllers == nil {
			return selector
		}
		if rc, err := l.replicationControllers.ReplicationControllers(pod.Namespace).Get(owner.Name); err == nil {
			selector = labels.Merge(labelSet, rc.Spec.Selector).AsSelector()
		}
	case appsv1.SchemeGroupVersion.WithKind("ReplicaSet"):
		if l.replicaSets == nil {
			return selector
		}
		if rs, err := l.replicaSets.ReplicaSets(pod.Namespace).Get(owner.Name); err == nil {
			selector = addSelector(selector, rs.Spec.Selector)
		}
	case appsv1.SchemeGroupVersion.WithKind("StatefulSet"):
		if l.statefulSets == nil {
			return selector
		}
		if ss, err := l.statefulSets.StatefulSets(pod.Namespace).Get(owner.Name); err == nil {
			selector = addSelector(selector, ss.Spec.Selector)
		}
	}
	return selector
}

func addSelector(selector labels.Selector, ls *metav1.LabelSelector) labels.Selector {
	other, err := metav1.LabelSelectorAsSelector(ls)
	if err != nil {
		return selector
	}
	if r, ok := other.Requirements(); ok {
		selector = selector.Add(r...)
	}
	return selector
}

type spreadConstraint struct {
	maxSkew            int32
	topologyKey        string
	selector           labels.Selector
	nodeAffinityPolicy corev1.NodeInclusionPolicy
	nodeTaintsPolicy   corev1.NodeInclusionPolicy
}

// spreadState is PodTopologySpread's preScoreState.
type spreadState struct {
	constraints []spreadConstraint
	// ignored holds the feasible nodes that lack a topology key of the pod's
	// own constraints (system defaults ignore none).
	ignored map[*nodeInfo]bool
	// counts[i] maps a value of constraints[i].topologyKey (not hostname) to
	// the matching pods in that domain.
	counts  []map[string]*int64
	weights []float64
}

// softConstraints converts the ScheduleAnyway constraints, as
// filterTopologySpreadConstraints does (matchLabelKeys merged, inclusion
// policies defaulted to Honor affinity, Ignore taints).
func softConstraints(cs []corev1.TopologySpreadConstraint, podLabels map[string]string) ([]spreadConstraint, error) {
	var out []spreadConstraint
	for _, c := range cs {
		if c.WhenUnsatisfiable != corev1.ScheduleAnyway {
			continue
		}
		selector, err := metav1.LabelSelectorAsSelector(c.LabelSelector)
		if err != nil {
			return nil, err
		}
		if len(c.MatchLabelKeys) > 0 {
			matchLabels := labels.Set{}
			for _, k := range c.MatchLabelKeys {
				if v, ok := podLabels[k]; ok {
					matchLabels[k] = v
				}
			}
			if len(matchLabels) > 0 {
				merged := labels.SelectorFromSet(matchLabels)
				if r, ok := selector.Requirements(); ok {
					merged = merged.Add(r...)
				}
				selector = merged
			}
		}
		sc := spreadConstraint{
			maxSkew: c.MaxSkew, topologyKey: c.TopologyKey, selector: selector,
			nodeAffinityPolicy: corev1.NodeInclusionPolicyHonor, nodeTaintsPolicy: corev1.NodeInclusionPolicyIgnore,
		}
		if c.NodeAffinityPolicy != nil {
			sc.nodeAffinityPolicy = *c.NodeAffinityPolicy
		}
		if c.NodeTaintsPolicy != nil {
			sc.nodeTaintsPolicy = *c.NodeTaintsPolicy
		}
		out = append(out, sc)
	}
	return out, nil
}

// spreadPreScore is PodTopologySpread's PreScore over the feasible nodes and
// all nodes; nil means Skip (no constraint, or no selector to count by).
func spreadPreScore(ctx context.Context, pod *corev1.Pod, owners ownerListers, feasible, all []*nodeInfo, parallelism int) (*spreadState, error) {
	logger := klog.FromContext(ctx)
	if len(all) == 0 {
		return nil, nil
	}
	var constraints []spreadConstraint
	requireAllTopologies := len(pod.Spec.TopologySpreadConstraints) > 0
	if requireAllTopologies {
		var err error
		if constraints, err = softConstraints(pod.Spec.TopologySpreadConstraints, pod.Labels); err != nil {
			return nil, err
		}
	} else {
		constraints, _ = softConstraints(systemDefaultConstraints, pod.Labels)
		selector := owners.defaultSelector(pod)
		if selector.Empty() {
			return nil, nil
		}
		for i := range constraints {
			constraints[i].selector = selector
		}
	}
	if len(constraints) == 0 {
		return nil, nil
	}
	s := &spreadState{constraints: constraints, counts: make([]map[string]*int64, len(constraints)), weights: make([]float64, len(constraints))}
	topoSize := make([]int, len(constraints))
	for i := range constraints {
		s.counts[i] = map[string]*int64{}
	}
	for _, n := range feasible {
		if requireAllTopologies && !nodeLabelsMatch(n.node.Labels, constraints) {
			if s.ignored == nil {
				s.ignored = map[*nodeInfo]bool{}
			}
			s.ignored[n] = true
			continue
		}
		for i, c := range constraints {
			if c.topologyKey == corev1.LabelHostname {
				continue
			}
			value := n.node.Labels[c.topologyKey]
			if _, ok := s.counts[i][value]; !ok {
				s.counts[i][value] = new(int64)
				topoSize[i]++
			}
		}
	}
	for i, c := range constraints {
		size := topoSize[i]
		if c.topologyKey == corev1.LabelHostname {
			size = len(feasible) - len(s.ignored)
		}
		s.weights[i] = math.Log(float64(size + 2))
	}

	// Count the matching pods of every domain over all nodes, not only the
	// feasible ones: a full zone still holds replicas. This walks every pod
	// in the cluster, so it runs in parallel as upstream's does.
	required := nodeaffinity.GetRequiredNodeAffinity(pod)
	workqueue.ParallelizeUntil(ctx, parallelism, len(all), func(j int) {
		node := all[j].node
		if requireAllTopologies && !nodeLabelsMatch(node.Labels, constraints) {
			return
		}
		for i, c := range constraints {
			if c.topologyKey == corev1.LabelHostname {
				continue
			}
			if c.nodeAffinityPolicy == corev1.NodeInclusionPolicyHonor {
				if ok, _ := required.Match(node); !ok {
					continue
				}
			}
			if c.nodeTaintsPolicy == corev1.NodeInclusionPolicyHonor {
				if _, untolerated := corev1helpers.FindMatchingUntoleratedTaint(logger, node.Spec.Taints, pod.Spec.Tolerations, doNotScheduleTaintsFn, false); untolerated {
					continue
				}
			}
			if cnt := s.counts[i][node.Labels[c.topologyKey]]; cnt != nil {
				atomic.AddInt64(cnt, int64(countMatching(all[j].pods, c.selector, pod.Namespace)))
			}
		}
	})
	return s, nil
}

func nodeLabelsMatch(nodeLabels map[string]string, constraints []spreadConstraint) bool {
	for _, c := range constraints {
		if _, ok := nodeLabels[c.topologyKey]; !ok {
			return false
		}
	}
	return true
}

// countMatching is countPodsMatchSelector: terminating pods do not count.
func countMatching(pods []*podInfo, selector labels.Selector, ns string) int {
	if selector.Empty() {
		return 0
	}
	count := 0
	for _, p := range pods {
		if p.pod.DeletionTimestamp != nil || p.pod.Namespace != ns {
			continue
		}
		if selector.Matches(labels.Set(p.pod.Labels)) {
			count++
		}
	}
	return count
}

// score is PodTopologySpread's Score: higher means more matching pods, so
// NormalizeScore reverses it.
func (s *spreadState) score(pod *corev1.Pod, n *nodeInfo) int64 {
	if s.ignored[n] {
		return 0
	}
	var score float64
	for i, c := range s.constraints {
		value, ok := n.node.Labels[c.topologyKey]
		if !ok {
			continue
		}
		var cnt int64
		if c.topologyKey == corev1.LabelHostname {
			cnt = int64(countMatching(n.pods, c.selector, pod.Namespace))
		} else {
			cnt = *s.counts[i][value]
		}
		score += float64(cnt)*s.weights[i] + float64(c.maxSkew-1)
	}
	return int64(math.Round(score))
}

// normalize is PodTopologySpread's NormalizeScore.
func (s *spreadState) normalize(nodes []*nodeInfo, scores []int64) {
	var minScore int64 = math.MaxInt64
	var maxScore int64
	for i, n := range nodes {
		if s.ignored[n] {
			continue
		}
		minScore = min(minScore, scores[i])
		maxScore = max(maxScore, scores[i])
	}
	for i, n := range nodes {
		switch {
		case s.ignored[n]:
			scores[i] = 0
		case maxScore == 0:
			scores[i] = maxNodeScore
		default:
			scores[i] = maxNodeScore * (maxScore + minScore - scores[i]) / maxScore
		}
	}
}
