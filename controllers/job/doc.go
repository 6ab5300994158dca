// Package job is k1s's Job controller: the kube-controller-manager controller
// "job-controller" of Kubernetes v1.37, ported from
// k8s.io/kubernetes/pkg/controller/job (job_controller.go, backoff_utils.go,
// indexed_job_utils.go, pod_failure_policy.go, success_policy.go,
// tracking_utils.go; job/util and job/metrics are the subpackages of the
// same names).
//
// For every Job it runs pods from spec.template, at most spec.parallelism at
// a time, until spec.completions succeed (NonIndexed or Indexed completion
// mode, with successPolicy and backoffLimitPerIndex), and
//
//   - puts the finalizer batch.kubernetes.io/job-tracking on every pod and
//     counts finished pods through status.uncountedTerminatedPods before it
//     removes the finalizer (trackJobStatusAndRemoveFinalizers), so that no
//     pod is counted twice or lost, and removes the finalizer from orphaned
//     pods;
//   - writes status.active, ready, succeeded, failed, terminating,
//     completedIndexes, failedIndexes, startTime and completionTime;
//   - recreates failed pods after an exponential backoff (Config
//     PodFailureBackOff, 10 s, doubling up to MaxPodFailureBackOff, 10 min);
//   - fails the Job when backoffLimit is exceeded ("Job has reached the
//     specified backoff limit"), when activeDeadlineSeconds passes ("Job was
//     active longer than specified deadline") or by podFailurePolicy
//     (FailJob, Ignore, Count, FailIndex on exit codes and pod conditions
//     such as DisruptionTarget), setting FailureTarget first and Failed once
//     the pods are gone; it completes it with SuccessCriteriaMet first and
//     Complete once no pod terminates;
//   - records the events SuccessfulCreate, SuccessfulDelete, Completed,
//     BackoffLimitExceeded, DeadlineExceeded, PodFailurePolicy, Suspended and
//     Resumed;
//   - leaves Jobs whose spec.managedBy names another controller alone
//     (JobManagedBy is GA in v1.37).
//
// The labels batch.kubernetes.io/job-name and controller-uid on the pod
// template are added by the apiserver when the Job is created, not here.
//
// Left out: WorkloadWithJob (alpha; Workload and PodGroup objects) and
// MutableSchedulingDirectivesForSuspendedJobs (alpha), and the
// StaleControllerConsistencyJob read-your-writes guard (expectations alone
// are used, as upstream did before v1.36). ttlSecondsAfterFinished is a
// separate upstream controller, not this one.
//
// # What this package must never do
//
// It knows the control plane only through the kubernetes.Interface and the
// informer factory it is given: it never imports k1s's apiserver, cluster or
// kubelet-lite packages, nor k8s.io/kubernetes, and never reads etcd. It
// never mutates an object from the informer cache.
package job
