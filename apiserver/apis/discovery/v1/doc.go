// Package v1 holds the defaulting of the discovery.k8s.io/v1 API group
// (EndpointSlice), whose Go types are k8s.io/api/discovery/v1 and are stored
// and served as-is by k1s.
//
// It mirrors k8s.io/kubernetes/pkg/apis/discovery/v1 (defaults.go plus the
// defaulter-gen output) at v1.37. It never imports k8s.io/kubernetes.
package v1
