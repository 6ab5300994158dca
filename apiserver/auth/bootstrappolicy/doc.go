// Package bootstrappolicy holds the ClusterRoles and ClusterRoleBindings every k1s
// cluster starts with: cluster-admin, the aggregated admin/edit/view roles and their
// aggregate-to-* sources, the discovery and self-review roles every authenticated user
// gets, system:node (NodeRules, which the Node authorizer also uses), and the roles of the
// control-plane components (scheduler, controller manager and its per-controller
// system:controller:* roles, cloud controller manager, kube-proxy, monitoring).
//
// It ports the part of k8s.io/kubernetes plugin/pkg/auth/authorizer/rbac/bootstrappolicy
// (policy.go, controller_policy.go) at v1.37 that k1s serves, with upstream's feature
// gates pinned to their v1.37 defaults; testdata holds upstream's golden files and the
// tests check every ported object against them. system:cloud-controller-manager is
// k1s's own (SPEC 8.1). Every object carries the label kubernetes.io/bootstrapping=
// rbac-defaults and the annotation rbac.authorization.kubernetes.io/autoupdate=true.
//
// This package is data only: the registry reconciles it on start. It must never import
// the registry, the server or k8s.io/kubernetes.
package bootstrappolicy
