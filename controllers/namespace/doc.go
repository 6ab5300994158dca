// Package namespace is k1s's namespace controller: the kube-controller-manager
// controller "namespace-controller" of Kubernetes v1.37, ported from
// k8s.io/kubernetes/pkg/controller/namespace (namespace_controller.go) and
// pkg/controller/namespace/deletion (namespaced_resources_deleter.go,
// status_condition_utils.go).
//
// # What it does
//
// The apiserver deletes a namespace in two phases: DELETE sets its
// deletionTimestamp and phase Terminating, and the namespace stays until its
// spec.finalizers are empty. For every namespace with a deletionTimestamp this
// controller, 5 s after it sees it (so that late creations are visible to it):
//
//   - sets status.phase Terminating if it is not yet;
//   - discovers every namespaced resource the apiserver serves
//     (ServerPreferredNamespacedResources) that supports "delete";
//   - deletes the pods first, with DeleteCollection where supported, else
//     list and delete one by one, through the metadata client, with
//     propagationPolicy Background; while pods remain it waits, requeueing
//     after estimate/2+1 seconds where the estimate is the longest
//     terminationGracePeriodSeconds of the non-terminal pods (0 once that much
//     time has passed since the namespace's deletionTimestamp);
//   - then deletes every other resource the same way; remaining objects that
//     carry finalizers give a 15 s estimate; remaining objects without
//     finalizers are an error;
//   - writes the conditions NamespaceDeletionDiscoveryFailure,
//     NamespaceDeletionGroupVersionParsingFailure,
//     NamespaceDeletionContentFailure, NamespaceContentRemaining and
//     NamespaceFinalizersRemaining with upstream's reasons and messages;
//   - once nothing remains, removes the "kubernetes" finalizer through the
//     namespaces/<name>/finalize subresource, after which the apiserver
//     removes the namespace.
//
// It talks to the apiserver as "namespace-controller" (ClientName). Upstream
// gives that client 20 times the default QPS and 100 times the burst, because
// namespace cleanup makes many discovery and delete calls; the caller builds
// the clients and should do the same (ClientQPSMultiplier,
// ClientBurstMultiplier). It records no events, as upstream.
//
// Time (the 5 s delay, requeues, condition timestamps and the grace-period
// estimate) runs on the injected clock. Upstream's Prometheus metrics are left
// out.
//
// # What this package must never do
//
// It knows the control plane only through the clients and the informer
// factory it is given: it never imports k1s's apiserver, cluster or
// kubelet-lite packages, nor k8s.io/kubernetes, and never reads etcd. It
// deletes namespace content and finalizes namespaces; it never deletes a
// namespace itself.
package namespace
