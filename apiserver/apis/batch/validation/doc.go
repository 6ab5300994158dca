// Package validation holds the semantic validation of batch/v1 Jobs.
//
// It is a port of Kubernetes' pkg/apis/batch/validation (v1.37) onto the external
// k8s.io/api/batch/v1 types; function names, field paths and messages are upstream's.
// Pod templates are validated by apiserver/apis/core/validation. Callers pass
// defaulted objects.
//
// Not ported: CronJobs (not served), and the spec.scheduling (workload-aware
// scheduling) checks: the WorkloadWithJob gate is alpha and off in v1.37, so the job
// strategy drops spec.scheduling before validation, as upstream's does.
package validation
