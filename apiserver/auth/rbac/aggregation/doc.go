// Package aggregation fills the rules of aggregated ClusterRoles (those with an
// aggregationRule, such as admin, edit and view) with the rules of the ClusterRoles their
// selectors match, and keeps them filled as roles come and go.
//
// It ports k8s.io/kubernetes pkg/controller/clusterroleaggregation at v1.37 (same
// ordering, de-duplication and server-side apply with field manager
// "clusterrole-aggregation-controller"). Upstream runs it in kube-controller-manager; k1s
// runs it inside the apiserver, started by a post-start hook on the loopback client, so
// a cluster's bootstrap roles are usable without a controller manager.
//
// It talks to the apiserver only through client-go. It must never import the registry,
// the server or k8s.io/kubernetes.
package aggregation
