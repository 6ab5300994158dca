// Package deployment is k1s's Deployment controller: the
// kube-controller-manager controller "deployment-controller" of Kubernetes
// v1.37, ported from k8s.io/kubernetes/pkg/controller/deployment (the helpers
// of deployment/util live in the util subpackage).
//
// For every Deployment it owns ReplicaSets named "<deployment>-<hash>", where
// hash is upstream's ComputeHash (FNV-32a over the pod template, plus
// status.collisionCount, safe-encoded) and is also the pod-template-hash label
// of the ReplicaSet, its selector and its template, so that a ReplicaSet made
// by k1s and one made by kube-controller-manager are interchangeable. It
//
//   - rolls out a new template with RollingUpdate (maxSurge rounded up,
//     maxUnavailable rounded down, as upstream resolves the fenceposts) or
//     Recreate (old ReplicaSets to 0, wait for their pods to be gone, then the
//     new one), and does nothing while spec.paused except scaling;
//   - scales proportionally by ReplicaSet size when replicas change during a
//     rollout, recording ScalingReplicaSet "Scaled up replica set <name> from
//     N to M" (and "Scaled down ...");
//   - keeps the annotations deployment.kubernetes.io/revision (on the
//     Deployment and its ReplicaSets), revision-history, desired-replicas and
//     max-replicas, and copies kubernetes.io/change-cause to the new
//     ReplicaSet; a template set back to an old ReplicaSet's (what
//     `kubectl rollout undo` does client-side) reuses that ReplicaSet with the
//     next revision, and the deprecated rollback annotation still works;
//   - deletes old ReplicaSets with no pods beyond spec.revisionHistoryLimit;
//   - writes status (replicas, updated, ready, available, unavailable,
//     terminatingReplicas, observedGeneration, collisionCount) and the
//     conditions Available (MinimumReplicasAvailable /
//     MinimumReplicasUnavailable) and Progressing (NewReplicaSetCreated,
//     FoundNewReplicaSet, ReplicaSetUpdated, NewReplicaSetAvailable,
//     ProgressDeadlineExceeded, DeploymentPaused, DeploymentResumed,
//     ReplicaSetCreateError) with upstream's messages, which is what
//     `kubectl rollout status` reads.
//
// Time (condition timestamps, the progress deadline, queue delays) comes from
// the injected clock. Upstream's metrics are left out.
//
// # What this package must never do
//
// It knows the control plane only through the kubernetes.Interface and the
// informer factory it is given: it never imports k1s's apiserver, cluster or
// kubelet-lite packages, nor k8s.io/kubernetes, and never reads etcd. It
// manages ReplicaSets only; pods are the ReplicaSet controller's.
package deployment
