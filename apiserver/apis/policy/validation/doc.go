// Package validation holds the semantic validation of policy/v1 PodDisruptionBudgets.
//
// It is a port of Kubernetes' pkg/apis/policy/validation (v1.37) onto the external
// k8s.io/api/policy/v1 types; function names, field paths and messages are upstream's.
// k1s serves only policy/v1, so the v1beta1 leniency of the status rules is not
// ported; neither are the sysctl pattern helpers (PodSecurityPolicy is long gone).
package validation
