package scheduler

import (
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	corev1helpers "k8s.io/component-helpers/scheduling/corev1"
	"k8s.io/component-helpers/scheduling/corev1/nodeaffinity"
	"k8s.io/klog/v2"
)

// Plugin names of the default profile, as upstream's names package spells
// them; they appear in messages ("didn't satisfy plugin(s) [NodeAffinity]")
// and decide which cluster events retry an unschedulable pod.
const (
	NodeName                        = "NodeName"
	NodeUnschedulable               = "NodeUnschedulable"
	TaintToleration                 = "TaintToleration"
	NodeAffinity                    = "NodeAffinity"
	NodePorts                       = "NodePorts"
	NodeResourcesFit                = "NodeResourcesFit"
	PodTopologySpread               = "PodTopologySpread"
	NodeResourcesBalancedAllocation = "NodeResourcesBalancedAllocation"
)

// Failure reasons of the filter plugins, verbatim from upstream.
const (
	ErrReasonNodeName          = "node(s) didn't match the requested node name"
	ErrReasonUnschedulable     = "node(s) were unschedulable"
	ErrReasonUntoleratedTaint  = "node(s) had untolerated taint(s)"
	ErrReasonNodeAffinity      = "node(s) didn't match Pod's node affinity/selector"
	ErrReasonAffinityConflict  = "pod affinity terms conflict"
	ErrReasonNodePorts         = "node(s) didn't have free ports for the requested pod ports"
	ErrReasonTooManyPods       = "Too many pods"
	ErrReasonInsufficientCPU   = "Insufficient cpu"
	ErrReasonInsufficientMem   = "Insufficient memory"
	ErrReasonInsufficientEphem = "Insufficient ephemeral-storage"
)

// code is the part of upstream's fwk.Code a filter can return.
type code int

const (
	// unschedulable: the node may fit after something changes on it (a pod
	// leaves); preemption would look at it.
	unschedulable code = iota + 1
	// unresolvable is UnschedulableAndUnresolvable: nothing done to the pods
	// on the node helps, so preemption skips it.
	unresolvable
)

// status is a filter failure: the plugin and its reasons, as fwk.Status.
// Statuses with fixed reasons are shared, so filtering allocates nothing.
type status struct {
	code    code
	plugin  string
	reasons []string
}

var (
	statusNodeName        = &status{unresolvable, NodeName, []string{ErrReasonNodeName}}
	statusUnschedulable   = &status{unresolvable, NodeUnschedulable, []string{ErrReasonUnschedulable}}
	statusUntolerated     = &status{unresolvable, TaintToleration, []string{ErrReasonUntoleratedTaint}}
	statusNodeAffinity    = &status{unresolvable, NodeAffinity, []string{ErrReasonNodeAffinity}}
	statusNodePorts       = &status{unschedulable, NodePorts, []string{ErrReasonNodePorts}}
	fitStatuses           = buildFitStatuses()
	unschedulableTaint    = corev1.Taint{Key: corev1.TaintNodeUnschedulable, Effect: corev1.TaintEffectNoSchedule}
	doNotScheduleTaintsFn = func(t *corev1.Taint) bool {
		return t.Effect == corev1.TaintEffectNoSchedule || t.Effect == corev1.TaintEffectNoExecute
	}
)

// Bits of the native NodeResourcesFit failures, in the order upstream
// reports them.
const (
	fitPods = 1 << iota
	fitCPU
	fitMemory
	fitEphemeral
	fitUnresolvable
)

// buildFitStatuses precomputes a status for every combination of native
// resource failures, resolvable or not.
func buildFitStatuses() []*status {
	out := make([]*status, 2*fitUnresolvable)
	for mask := 1; mask < len(out); mask++ {
		if mask&^fitUnresolvable == 0 {
			continue
		}
		st := &status{code: unschedulable, plugin: NodeResourcesFit}
		if mask&fitUnresolvable != 0 {
			st.code = unresolvable
		}
		for _, r := range []struct {
			bit    int
			reason string
		}{{fitPods, ErrReasonTooManyPods}, {fitCPU, ErrReasonInsufficientCPU}, {fitMemory, ErrReasonInsufficientMem}, {fitEphemeral, ErrReasonInsufficientEphem}} {
			if mask&r.bit != 0 {
				st.reasons = append(st.reasons, r.reason)
			}
		}
		out[mask] = st
	}
	return out
}

// cycleState is what the PreFilter and PreScore steps compute once per pod.
type cycleState struct {
	logger klog.Logger
	pod    *corev1.Pod

	// NodeResourcesFit
	requests resources
	// NodePorts
	ports []corev1.ContainerPort
	// NodeAffinity: nil when the pod has neither nodeSelector nor required
	// node affinity (upstream's PreFilter Skip).
	requiredAffinity *nodeaffinity.RequiredNodeAffinity
	// nodeNames restricts the nodes to filter (NodeAffinity PreFilterResult
	// from metadata.name matchFields); nil means all nodes.
	nodeNames sets.Set[string]
}

// preFilter computes the cycle state. A non-empty message means the pod is
// unschedulable on every node: upstream's PreFilter rejection.
func preFilter(logger klog.Logger, pod *corev1.Pod) (*cycleState, string) {
	s := &cycleState{logger: logger, pod: pod, requests: podRequests(pod), ports: hostPorts(pod)}

	affinity := pod.Spec.Affinity
	noNodeAffinity := affinity == nil || affinity.NodeAffinity == nil ||
		affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution == nil
	if noNodeAffinity && pod.Spec.NodeSelector == nil {
		return s, ""
	}
	required := nodeaffinity.GetRequiredNodeAffinity(pod)
	s.requiredAffinity = &required
	if noNodeAffinity || len(affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms) == 0 {
		return s, ""
	}
	// Terms that all pin metadata.name narrow the search to those nodes.
	var nodeNames sets.Set[string]
	for _, t := range affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms {
		var termNodeNames sets.Set[string]
		for _, r := range t.MatchFields {
			if r.Key == metav1.ObjectNameField && r.Operator == corev1.NodeSelectorOpIn {
				v := sets.New(r.Values...)
				if termNodeNames == nil {
					termNodeNames = v
				} else {
					termNodeNames = termNodeNames.Intersection(v)
				}
			}
		}
		if termNodeNames == nil {
			return s, ""
		}
		nodeNames = nodeNames.Union(termNodeNames)
	}
	if nodeNames != nil && len(nodeNames) == 0 {
		return s, ErrReasonAffinityConflict
	}
	s.nodeNames = nodeNames
	return s, ""
}

// filter runs the filter plugins in the default profile's order and returns
// the first failure, or nil if the pod fits the node.
func filter(s *cycleState, n *nodeInfo) *status {
	pod, node := s.pod, n.node
	// NodeName
	if pod.Spec.NodeName != "" && pod.Spec.NodeName != node.Name {
		return statusNodeName
	}
	// NodeUnschedulable: a pod that tolerates the unschedulable taint also
	// tolerates spec.unschedulable.
	if node.Spec.Unschedulable && !corev1helpers.TolerationsTolerateTaint(s.logger, pod.Spec.Tolerations, &unschedulableTaint, false) {
		return statusUnschedulable
	}
	// TaintToleration: NoSchedule and NoExecute; PreferNoSchedule only scores.
	if len(node.Spec.Taints) > 0 {
		if _, untolerated := corev1helpers.FindMatchingUntoleratedTaint(s.logger, node.Spec.Taints, pod.Spec.Tolerations, doNotScheduleTaintsFn, false); untolerated {
			return statusUntolerated
		}
	}
	// NodeAffinity
	if s.requiredAffinity != nil {
		if ok, _ := s.requiredAffinity.Match(node); !ok {
			return statusNodeAffinity
		}
	}
	// NodePorts
	for _, p := range s.ports {
		if n.usedPorts.conflicts(p) {
			return statusNodePorts
		}
	}
	// NodeResourcesFit
	return fitsRequest(&s.requests, n)
}

// fitsRequest is NodeResourcesFit's Filter: every failing resource is
// reported, and the status is unresolvable if the pod asks for more than the
// node's allocatable of any of them.
func fitsRequest(req *resources, n *nodeInfo) *status {
	mask := 0
	alloc, used := &n.allocatable, &n.requested
	if int64(len(n.pods))+1 > alloc.allowedPods {
		mask |= fitPods
	}
	if req.isZero() {
		if mask == 0 {
			return nil
		}
		return fitStatuses[mask]
	}
	if req.milliCPU > 0 && req.milliCPU > alloc.milliCPU-used.milliCPU {
		mask |= fitCPU
		if req.milliCPU > alloc.milliCPU {
			mask |= fitUnresolvable
		}
	}
	if req.memory > 0 && req.memory > alloc.memory-used.memory {
		mask |= fitMemory
		if req.memory > alloc.memory {
			mask |= fitUnresolvable
		}
	}
	if req.ephemeralStorage > 0 && req.ephemeralStorage > alloc.ephemeralStorage-used.ephemeralStorage {
		mask |= fitEphemeral
		if req.ephemeralStorage > alloc.ephemeralStorage {
			mask |= fitUnresolvable
		}
	}
	var scalarReasons []string
	for name, q := range req.scalar {
		if q == 0 {
			continue
		}
		if q > alloc.scalar[name]-used.scalar[name] {
			scalarReasons = append(scalarReasons, fmt.Sprintf("Insufficient %v", name))
			if q > alloc.scalar[name] {
				mask |= fitUnresolvable
			}
		}
	}
	if mask&^fitUnresolvable == 0 && len(scalarReasons) == 0 {
		return nil
	}
	if len(scalarReasons) == 0 {
		return fitStatuses[mask]
	}
	// Upstream walks a map here; sorting keeps messages stable.
	slices.Sort(scalarReasons)
	st := &status{code: unschedulable, plugin: NodeResourcesFit}
	if mask&fitUnresolvable != 0 {
		st.code = unresolvable
	}
	if base := fitStatuses[mask&^fitUnresolvable]; base != nil {
		st.reasons = append(st.reasons, base.reasons...)
	}
	st.reasons = append(st.reasons, scalarReasons...)
	return st
}
