// Package tainteviction is k1s's taint eviction controller: the
// kube-controller-manager controller "taint-eviction-controller" of Kubernetes
// v1.37 (the former NoExecuteTaintManager; gate SeparateTaintEvictionController
// is GA and locked on, so it always runs on its own), ported from
// k8s.io/kubernetes/pkg/controller/tainteviction (taint_eviction.go,
// timed_workers.go). SPEC.md section 3 gives the behaviour.
//
// Upstream gives it the node lifecycle controller's client: it talks to the
// apiserver as "node-controller" (service account kube-system/node-controller,
// ClusterRole system:controller:node-controller; there is no
// system:controller:taint-eviction-controller role). Its events have source
// component "taint-eviction-controller".
//
// # What it does
//
// For every pod bound to a node with NoExecute taints (from the node lifecycle
// controller, the cloud node lifecycle controller, or an admin):
//
//   - a taint the pod does not tolerate: the pod is deleted at once;
//   - all tolerated, some used toleration sets tolerationSeconds: the pod is
//     deleted when the shortest runs out, counted from the moment the
//     controller saw the taint (or the pod), as upstream does; the taint's
//     timeAdded is not consulted, so a controller restart restarts the count;
//   - all tolerated without tolerationSeconds: the pod stays.
//
// A scheduled deletion is cancelled (event TaintManagerEviction "Cancelling
// deletion of Pod <ns>/<name>") when the node loses its NoExecute taints, the
// node or pod is deleted, or the pod comes to tolerate the taints forever. A
// deletion adds the pod condition DisruptionTarget=True
// (reason DeletionByTaintManager, message "Taint manager: deleting due to
// NoExecute taint") with a PATCH of pods/<name>/status, records the event
// TaintManagerEviction "Marking for deletion Pod <ns>/<name>", and DELETEs the
// pod with default options, so it terminates gracefully.
//
// Timers run on the injected clock (k8s.io/utils/clock), so tests move time
// with a fake clock; the 10 ms pause between deletion retries is real time.
// Upstream's Prometheus metrics are left out.
//
// # What this package must never do
//
// It knows the control plane only through the kubernetes.Interface and the
// informer factory it is given: it never imports k1s's apiserver, cluster or
// kubelet-lite packages, nor k8s.io/kubernetes, and never reads etcd. It
// deletes pods; it never taints nodes (that is the node lifecycle
// controller's job).
package tainteviction
