// Package v1 holds the defaulting of the rbac.authorization.k8s.io/v1 API group, whose Go
// types are k8s.io/api/rbac/v1 and are stored and served as-is by k1s, plus the helpers
// upstream keeps beside it: rule evaluation (VerbMatches, ResourceMatches, ...), the
// compact rule string used in escalation errors, and the PolicyRule and binding builders
// the bootstrap policy is written with.
//
// It mirrors k8s.io/kubernetes/pkg/apis/rbac/v1 at v1.37 (defaults.go,
// evaluation_helpers.go, helpers.go). It never imports k8s.io/kubernetes, and it must
// stay a leaf: the scheme, validation, the authorizer and the registry all build on it.
package v1
