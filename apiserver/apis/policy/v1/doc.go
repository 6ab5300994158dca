// Package v1 holds the defaulting of the policy/v1 API group
// (PodDisruptionBudget, Eviction), whose Go types are k8s.io/api/policy/v1 and
// are stored and served as-is by k1s.
//
// It mirrors k8s.io/kubernetes/pkg/apis/policy/v1 at v1.37. It never imports
// k8s.io/kubernetes.
package v1
