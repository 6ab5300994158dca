package scheduler

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/sets"
)

// Messages of upstream's scheduler and DefaultPreemption plugin.
const (
	noNodeAvailableMsg       = "0/%v nodes are available"
	preemptionNotHelpfulMsg  = "Preemption is not helpful for scheduling"
	noPreemptionVictimsMsg   = "No preemption victims found for incoming pod"
	preemptionNeverMsg       = "not eligible due to preemptionPolicy=Never."
	postFilterMessagePrefix  = "preemption: "
	didntSatisfyPluginFormat = "node(s) didn't satisfy plugin(s) %v"
)

// ErrNoNodesAvailable is returned when the cluster has no nodes at all.
var ErrNoNodesAvailable = errors.New("no nodes available to schedule pods")

// diagnosis is upstream's framework.Diagnosis: why each node was rejected.
type diagnosis struct {
	// nodeToStatus holds the nodes filtered and rejected.
	nodeToStatus map[string]*status
	// absent is the status of every node not in nodeToStatus (nodes a
	// PreFilter excluded); nil when there are none.
	absent *status
	// unschedulablePlugins are the plugins that rejected some node; they
	// decide which cluster events retry the pod.
	unschedulablePlugins sets.Set[string]
	preFilterMsg         string
	postFilterMsg        string
}

// FitError is upstream's framework.FitError: the pod fits no node.
type FitError struct {
	Pod         *corev1.Pod
	NumAllNodes int
	diagnosis   diagnosis
}

// Error formats the message exactly as upstream does: "0/N nodes are
// available: " then the PreFilter message, or a histogram "<count> <reason>"
// of the filter reasons sorted as strings, then the PostFilter (preemption)
// message.
func (f *FitError) Error() string {
	msg := fmt.Sprintf(noNodeAvailableMsg+":", f.NumAllNodes)
	d := &f.diagnosis
	if d.preFilterMsg != "" {
		msg += fmt.Sprintf(" %v.", d.preFilterMsg)
	} else {
		reasons := map[string]int{}
		for _, st := range d.nodeToStatus {
			for _, r := range st.reasons {
				reasons[r]++
			}
		}
		if d.absent != nil && len(d.nodeToStatus) < f.NumAllNodes {
			for _, r := range d.absent.reasons {
				reasons[r] += f.NumAllNodes - len(d.nodeToStatus)
			}
		}
		histogram := make([]string, 0, len(reasons))
		for r, n := range reasons {
			histogram = append(histogram, fmt.Sprintf("%v %v", n, r))
		}
		sort.Strings(histogram)
		if len(histogram) != 0 {
			msg += fmt.Sprintf(" %v.", strings.Join(histogram, ", "))
		}
	}
	if d.postFilterMsg != "" {
		msg += " " + d.postFilterMsg
	}
	return msg
}

// preemptionMessage is what DefaultPreemption's PostFilter reports when it
// finds no victims. k1s does not preempt: every node whose rejection could
// be resolved by removing pods (an Unschedulable, not
// UnschedulableAndUnresolvable, status) is reported as upstream reports it
// when no pod on it has a lower priority than the preemptor.
func preemptionMessage(pod *corev1.Pod, numAllNodes int, d *diagnosis) string {
	if pod.Spec.PreemptionPolicy != nil && *pod.Spec.PreemptionPolicy == corev1.PreemptNever {
		return postFilterMessagePrefix + preemptionNeverMsg
	}
	victims := &status{code: unresolvable, reasons: []string{noPreemptionVictimsMsg}}
	candidates := map[string]*status{}
	for name, st := range d.nodeToStatus {
		if st.code == unschedulable {
			candidates[name] = victims
		}
	}
	if d.absent != nil && d.absent.code == unschedulable {
		// Not reachable with the default plugins: no PreFilter of theirs
		// rejects with a resolvable status.
		return postFilterMessagePrefix + (&FitError{NumAllNodes: numAllNodes, diagnosis: diagnosis{absent: victims}}).Error()
	}
	fe := &FitError{NumAllNodes: numAllNodes, diagnosis: diagnosis{
		nodeToStatus: candidates,
		absent:       &status{code: unresolvable, reasons: []string{preemptionNotHelpfulMsg}},
	}}
	return postFilterMessagePrefix + fe.Error()
}
