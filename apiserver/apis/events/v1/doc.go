// Package v1 holds the defaulting of the events.k8s.io/v1 API group (Event),
// whose Go types are k8s.io/api/events/v1 and are stored and served as-is by
// k1s.
//
// It mirrors k8s.io/kubernetes/pkg/apis/events/v1 at v1.37. It never imports
// k8s.io/kubernetes.
package v1
