// Package v1 holds the defaulting of the apps/v1 API group (Deployment,
// ReplicaSet, StatefulSet, DaemonSet), whose Go types are k8s.io/api/apps/v1
// and are stored and served as-is by k1s.
//
// It mirrors k8s.io/kubernetes/pkg/apis/apps/v1 (defaults.go plus the
// defaulter-gen output) at v1.37, with feature gates fixed at their v1.37
// defaults. Pod templates are defaulted by the core/v1 port, exactly as
// upstream's generated code calls into pkg/apis/core/v1. It never imports
// k8s.io/kubernetes.
package v1
