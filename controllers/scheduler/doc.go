// Package scheduler is k1s's pod scheduler: kube-scheduler v1.37 with its
// default profile ("default-scheduler"), for the plugins k1s covers, ported
// from k8s.io/kubernetes/pkg/scheduler without importing it.
//
// # What it does
//
// It places pods whose spec.nodeName is empty and whose spec.schedulerName is
// Config.SchedulerName, unless they are being deleted or have terminated.
// Pods wait in a priority queue (priority, then arrival). One goroutine takes
// them one at a time through a scheduling cycle:
//
//   - Filter, in the default profile's order, stopping at the first failure
//     per node: NodeName, NodeUnschedulable, TaintToleration (NoSchedule and
//     NoExecute), NodeAffinity (nodeSelector and required node affinity, with
//     its metadata.name PreFilter shortcut), NodePorts, NodeResourcesFit
//     (cpu, memory, ephemeral-storage, pod count and scalar resources against
//     allocatable minus the effective requests of the pods on the node,
//     computed by k8s.io/component-helpers/resource as upstream does).
//     Nodes are searched in zone-interleaved order from where the last pod
//     stopped, until percentageOfNodesToScore's worth of feasible nodes is
//     found (adaptive by default), in Config.Parallelism goroutines.
//   - Score, normalize and weight as upstream: TaintToleration (3,
//     PreferNoSchedule taints), NodeAffinity (2, preferred terms),
//     NodeResourcesFit LeastAllocated (1), PodTopologySpread (2, the system
//     default constraints hostname maxSkew 3 and zone maxSkew 5, or the pod's
//     own ScheduleAnyway constraints, counting pods selected by the pod's
//     services and controller), NodeResourcesBalancedAllocation (1). Ties
//     are broken at random (Config.Rand).
//   - Assume: the pod is counted on the chosen node in the scheduler's cache
//     at once, and bound asynchronously (POST pods/binding with the pod's
//     UID); the cache drops the assumption when the informer shows the pod
//     bound, or forgets it if the binding fails. Success records the Normal
//     event "Scheduled".
//   - On failure the pod gets PodScheduled=False with reason Unschedulable
//     (or SchedulerError for errors) and upstream's FitError message, and the
//     Warning event "FailedScheduling". It waits in the unschedulable pool
//     until a cluster event that may help the plugins that rejected it (node
//     added; node allocatable, labels, taints or unschedulable changed; a pod
//     left a node) or until PodMaxInUnschedulablePodsDuration; errors back
//     off from PodInitialBackoffSeconds to PodMaxBackoffSeconds.
//
// No preemption is done: the FitError carries the message DefaultPreemption
// gives when it finds no victims. InterPodAffinity, ImageLocality, volume
// plugins, DoNotSchedule topology spread constraints, scheduling gates,
// extenders and metrics are not implemented.
//
// # What this package must never do
//
// It knows the control plane only through the kubernetes.Interface and the
// informer factory it is given: it never imports k1s's apiserver, cluster or
// kubelet-lite packages, nor k8s.io/kubernetes, and never reads etcd. It
// binds pods and writes their PodScheduled condition; it never creates,
// deletes or evicts pods, and never writes nodes.
package scheduler
