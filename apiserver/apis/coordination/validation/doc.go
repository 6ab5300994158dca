// Package validation validates coordination.k8s.io/v1 objects (Lease).
//
// It mirrors k8s.io/kubernetes/pkg/apis/coordination/validation at v1.37,
// ported from the internal coordination types to k8s.io/api/coordination/v1,
// which k1s stores and serves directly. Function names, field paths and error
// messages are upstream's. It never imports k8s.io/kubernetes.
package validation
