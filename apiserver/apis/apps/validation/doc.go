// Package validation holds the semantic validation of the apps/v1 objects k1s serves
// (Deployments, ReplicaSets) and of the autoscaling/v1 Scale their scale subresources
// accept.
//
// It is a port of Kubernetes' pkg/apis/apps/validation (v1.37) onto the external
// k8s.io/api/apps/v1 types; function names, field paths and messages are upstream's so
// that clients see what a real kube-apiserver returns. Pod templates are validated by
// the core package (apiserver/apis/core/validation). Callers pass defaulted objects.
//
// Not ported: DaemonSets, StatefulSets, ControllerRevisions and the deprecated
// DeploymentRollback (k1s does not serve them).
package validation
