// Package validation validates discovery.k8s.io/v1 objects (EndpointSlice).
//
// It mirrors k8s.io/kubernetes/pkg/apis/discovery/validation at v1.37,
// ported from the internal discovery types to k8s.io/api/discovery/v1, which
// k1s stores and serves directly (the two have the same layout). Function
// names, limits, field paths and error messages are upstream's. The few
// helpers upstream takes from pkg/apis/core/validation are reproduced in
// helpers.go rather than shared, so this package does not depend on the core
// validation port. It never imports k8s.io/kubernetes.
package validation
