// Package nodelifecycle is k1s's node lifecycle controller: the
// kube-controller-manager controller "node-lifecycle-controller" (alias
// "nodelifecycle") of Kubernetes v1.37, ported from
// k8s.io/kubernetes/pkg/controller/nodelifecycle (node_lifecycle_controller.go,
// scheduler/rate_limited_queue.go) and the helpers it uses from
// pkg/controller/controller_utils.go and pkg/controller/util/node. SPEC.md
// sections 2 and 4 give the behaviour; this package matches it.
//
// It talks to the apiserver as "node-controller" (service account
// kube-system/node-controller, ClusterRole system:controller:node-controller)
// and records events with source component "node-controller".
//
// # What it does
//
// Every --node-monitor-period (5s) it reads each node's two heartbeats, the
// Ready condition's lastHeartbeatTime and the kube-node-lease Lease's
// renewTime, and stamps any change with its own clock. A node silent for longer
// than --node-monitor-grace-period (50s; --node-startup-grace-period, 60s,
// counted from creation for a node that never reported Ready) gets Ready,
// MemoryPressure, DiskPressure and PIDPressure set to Unknown
// ("NodeStatusUnknown", "Kubelet stopped posting node status."; a condition
// never reported is added as "NodeStatusNeverUpdated"). Before doing so it
// GETs the live Lease: if the cache is behind, it skips every node until the
// lease informer catches up (the v1.37 lease circuit breaker).
//
// A node whose Ready is False or Unknown is queued in its zone's rate-limited
// queue and gets the NoExecute taint node.kubernetes.io/not-ready or
// node.kubernetes.io/unreachable (swapped in one write when the status flips,
// removed when the node is Ready again); the taint eviction controller
// (package tainteviction) then deletes the pods that do not tolerate it. When
// Ready leaves True, the node's pods get Ready=False and the events
// NodeNotReady are recorded. Zones (topology labels) are Normal,
// PartialDisruption (>= --unhealthy-zone-threshold 0.55 of the nodes and more
// than 2 not Ready), or FullDisruption; their tainting rate is
// --node-eviction-rate (0.1/s), --secondary-node-eviction-rate (0.01/s) in
// large partially disrupted zones (> --large-cluster-size-threshold 50 nodes)
// and 0 in small ones. If every zone is fully disrupted the controller blames
// itself: it untaints every node and stops tainting until a node is Ready.
// Nodes labelled node.kubernetes.io/exclude-disruption do not count in zone
// statistics.
//
// On every Node event it also keeps the NoSchedule taints of
// TaintNodesByCondition in step with the conditions (not-ready, unreachable,
// memory-pressure, disk-pressure, pid-pressure, network-unavailable) and with
// spec.unschedulable (unschedulable), adding and removing them, and keeps the
// beta.kubernetes.io/os and /arch labels equal to kubernetes.io/os and /arch.
//
// # Timing, and the seed document
//
// With the defaults a node that dies at T is Unknown at T+50..55s, its first
// NoExecute taint follows at once (then one node per 10 s per zone), and pods
// with the default 300 s toleration are deleted near T+6min. The seed text
// ("Kontroler Node") gives 40 s for marking a node Unknown: that was
// --node-monitor-grace-period until v1.31; v1.32 raised it to 50 s, which k1s
// uses. Its "5 minutes to evict" is no longer a controller flag: eviction is
// taint-based, and the five minutes live on as the 300 s tolerationSeconds
// that admission gives every pod.
//
// # Differences from upstream, on purpose
//
//   - No DaemonSet informer: see New.
//   - Every period, grace time, timestamp, taint timeAdded and rate limiter
//     runs on the injected clock; only API retry back-offs use real time.
//   - The node worker requeues a failed NoSchedule or label pass (upstream
//     only logs it); the NoExecute swap is one PATCH instead of two.
//   - No Prometheus metrics.
//
// # What this package must never do
//
// It knows the control plane only through the kubernetes.Interface and the
// informer factory it is given: it never imports k1s's apiserver, cluster or
// kubelet-lite packages, nor k8s.io/kubernetes, and never reads etcd.
package nodelifecycle
