// Package v1 holds the defaulting of the core (legacy "") API group, whose Go
// types are k8s.io/api/core/v1. k1s stores and serves those external types
// directly, so defaulting runs on them rather than on an internal version.
//
// It mirrors k8s.io/kubernetes/pkg/apis/core/v1 (defaults.go plus the
// defaulter-gen output zz_generated.defaults.go) at v1.37, with feature gates
// fixed at their v1.37 defaults. It is a port: it never imports
// k8s.io/kubernetes.
//
// Behaviour that upstream gets from v1<->internal conversion rather than from
// defaulting (for example Secret stringData being merged into data, or
// Node spec.podCIDR/podCIDRs being kept in sync) is not here; with no
// internal version it belongs to the registries' strategies.
package v1
