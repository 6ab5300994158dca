// Package rbac holds the registry of rbac.authorization.k8s.io/v1: the stores of roles,
// clusterroles, rolebindings and clusterrolebindings, the escalation checks in front of
// them, and the "rbac/bootstrap-roles" post-start hook that reconciles the bootstrap
// policy on every start.
//
// The escalation checks port k8s.io/kubernetes pkg/registry/rbac (escalation_check.go,
// helpers.go and the */policybased storages) at v1.37: nobody may create or update a
// Role or ClusterRole granting more than they hold, nor bind a role whose permissions
// they do not hold, unless they are allowed the "escalate" verb on the role or the
// "bind" verb on the referenced role; members of system:masters always may. Only a
// holder of every permission may set or change an aggregationRule. The bootstrap hook
// ports pkg/registry/rbac/rest's EnsureRBACPolicy on top of
// k8s.io/component-helpers/auth/rbac/reconciliation: missing objects are created and
// objects with rbac.authorization.kubernetes.io/autoupdate other than "false" get the
// missing rules and subjects added; nothing a user added is removed.
//
// Role lookups for the checks read the stores themselves, as upstream does, so a role
// created a moment ago is seen at once. This package must never import the server or
// k8s.io/kubernetes.
package rbac
