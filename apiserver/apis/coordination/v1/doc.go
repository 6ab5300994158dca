// Package v1 holds the defaulting of the coordination.k8s.io/v1 API group
// (Lease), whose Go types are k8s.io/api/coordination/v1 and are stored and
// served as-is by k1s.
//
// It mirrors k8s.io/kubernetes/pkg/apis/coordination/v1 at v1.37. It never
// imports k8s.io/kubernetes.
package v1
