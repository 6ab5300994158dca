// Package disruption is k1s's PodDisruptionBudget controller: the
// kube-controller-manager controller "disruption-controller" of Kubernetes
// v1.37, ported from k8s.io/kubernetes/pkg/controller/disruption.
//
// For every PodDisruptionBudget it writes the status the eviction subresource
// decides with:
//
//   - expectedPods: the number of selected pods for an integer minAvailable,
//     otherwise the sum of the scales of the pods' controllers (a ReplicaSet,
//     the Deployment owning a ReplicaSet, or anything serving /scale);
//   - desiredHealthy: minAvailable, or expectedPods minus maxUnavailable,
//     percentages rounded up;
//   - currentHealthy: Ready pods that are neither terminating nor recently
//     evicted;
//   - disruptionsAllowed: currentHealthy - desiredHealthy, never negative, and
//     0 while expectedPods is 0;
//   - disruptedPods: the pods the eviction subresource admitted, each dropped
//     once the pod is terminating or DeletionTimeout (2 minutes) has passed
//     without it (a "NotDeleted" event then), with a re-check queued for the
//     earliest expiry;
//   - observedGeneration and the DisruptionAllowed condition (reasons
//     SufficientPods, InsufficientPods, or SyncFailed with disruptionsAllowed
//     forced to 0 when the status cannot be computed: "fail safe").
//
// It also resets to False a DisruptionTarget pod condition that has stayed
// True for 2 minutes on a pod that is neither terminating nor terminal (an
// eviction whose delete never happened), unless the kubelet set it.
//
// spec.unhealthyPodEvictionPolicy is read by the eviction subresource only.
//
// Left out: Prometheus metrics, and the ReplicationController and StatefulSet
// finders, which k1s does not serve (a pod owned by one is resolved through
// /scale like any other kind, and fails the same way as upstream would for a
// kind that is not served). No informers are created for those kinds: they
// would never sync.
//
// # What this package must never do
//
// It knows the control plane only through the kubernetes.Interface and the
// informer factory it is given: it never imports k1s's apiserver, cluster or
// kubelet-lite packages, nor k8s.io/kubernetes, and never reads etcd. It
// never mutates an object from the informer cache. It never evicts or deletes
// pods: the eviction subresource does, guided by the status written here.
package disruption
