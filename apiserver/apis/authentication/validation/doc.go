// Package validation validates authentication.k8s.io/v1 objects (TokenRequest).
//
// It mirrors k8s.io/kubernetes/pkg/apis/authentication/validation at v1.37, ported from
// the internal types to k8s.io/api/authentication/v1, which k1s serves directly.
// Function names, field paths and error messages are upstream's; the webhook-bound
// token rules (alpha in v1.37, off by default) are left out, so attestations are always
// refused. It never imports k8s.io/kubernetes.
package validation
