// Package replicaset is k1s's ReplicaSet controller: the kube-controller-manager
// controller "replicaset-controller" of Kubernetes v1.37, ported from
// k8s.io/kubernetes/pkg/controller/replicaset.
//
// For every ReplicaSet it keeps spec.replicas active pods:
//
//   - it adopts orphan pods matching the selector (a controller owner
//     reference, after re-reading the ReplicaSet to be sure it is not being
//     deleted) and releases owned pods whose labels no longer match;
//   - it creates missing pods from spec.template (generateName "<rs-name>-")
//     in slow-start batches of 1, 2, 4, ... up to BurstReplicas (500) per
//     sync, recording SuccessfulCreate "Created pod: <name>" or FailedCreate
//     "Error creating: <err>";
//   - it deletes surplus pods, unscheduled before scheduled, pending before
//     running, not ready before ready, lower pod-deletion-cost first, pods
//     doubled up on a node with other pods of the same Deployment first,
//     recently ready before long ready, more restarts first, newer first,
//     recording SuccessfulDelete "Deleted pod: <name>";
//   - it waits for the watch events of its own writes (expectations, 5
//     minutes at most) before acting again, so it never over-creates;
//   - it writes status: replicas, fullyLabeledReplicas, readyReplicas,
//     availableReplicas (ready for minReadySeconds), terminatingReplicas
//     (DeploymentReplicaSetTerminatingReplicas, beta and on in v1.37),
//     observedGeneration, and the ReplicaFailure condition while creating or
//     deleting fails.
//
// Left out: Prometheus metrics, the ReplicationController adapter, and the
// StaleControllerConsistencyReplicaSet read-your-writes guard (k1s relies on
// expectations alone, as upstream did before v1.36).
//
// # What this package must never do
//
// It knows the control plane only through the kubernetes.Interface and the
// informer factory it is given: it never imports k1s's apiserver, cluster or
// kubelet-lite packages, nor k8s.io/kubernetes, and never reads etcd. It
// never mutates an object from the informer cache.
package replicaset
