// Package v1 holds the defaulting of the batch/v1 API group (Job, CronJob),
// whose Go types are k8s.io/api/batch/v1 and are stored and served as-is by
// k1s.
//
// It mirrors k8s.io/kubernetes/pkg/apis/batch/v1 (defaults.go plus the
// defaulter-gen output) at v1.37. Pod templates are defaulted by the core/v1
// port, exactly as upstream's generated code calls into pkg/apis/core/v1. It
// never imports k8s.io/kubernetes.
package v1
