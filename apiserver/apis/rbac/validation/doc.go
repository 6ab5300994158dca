// Package validation validates rbac.authorization.k8s.io/v1 objects: Roles,
// ClusterRoles (including aggregationRule), RoleBindings and ClusterRoleBindings, and
// their updates (a binding's roleRef is immutable).
//
// It mirrors k8s.io/kubernetes/pkg/apis/rbac/validation at v1.37, ported from the
// internal rbac types to k8s.io/api/rbac/v1, which k1s stores and serves directly.
// Function names, field paths and error messages are upstream's. Objects must be
// defaulted first (apiserver/apis/rbac/v1), as upstream validates after defaulting. It
// never imports k8s.io/kubernetes.
package validation
