// Package validation validates authorization.k8s.io/v1 reviews: SubjectAccessReview,
// SelfSubjectAccessReview and LocalSubjectAccessReview (SelfSubjectRulesReview has no
// validation upstream beyond its REST handler's checks).
//
// It mirrors k8s.io/kubernetes/pkg/apis/authorization/validation at v1.37, ported from
// the internal authorization types to k8s.io/api/authorization/v1, which k1s serves
// directly. Function names, field paths and error messages are upstream's. It never
// imports k8s.io/kubernetes.
package validation
