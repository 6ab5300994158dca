// Package rbac is k1s's RBAC authorizer: it decides requests from the Roles,
// ClusterRoles, RoleBindings and ClusterRoleBindings of rbac.authorization.k8s.io/v1, and
// resolves the rules a user holds (authorizer.RuleResolver, used by
// SelfSubjectRulesReview and `kubectl auth can-i --list`). It also holds the rule
// resolution the RBAC registry uses to refuse privilege escalation (ConfirmNoEscalation).
//
// It ports k8s.io/kubernetes plugin/pkg/auth/authorizer/rbac/rbac.go and
// pkg/registry/rbac/validation (rule.go, policy_compact.go) at v1.37: same matching
// (verbs, apiGroups, resources with "pods/status" and "*/scale" subresources,
// resourceNames, nonResourceURLs with "*" suffix wildcards, "*" everywhere), same
// decision reasons ("RBAC: allowed by ClusterRoleBinding ...") and escalation messages.
// Rule coverage comes from k8s.io/component-helpers/auth/rbac/validation, as upstream.
//
// The authorizer reads through client-go listers of the apiserver's shared informer
// factory on its loopback client (NewFromInformers); it never reads etcd or the
// registry. This package must never import the registry, the server or
// k8s.io/kubernetes.
package rbac
