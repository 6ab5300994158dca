// Package v1 holds the defaulting of the authentication.k8s.io/v1 API group, whose Go
// types are k8s.io/api/authentication/v1: a TokenRequest without expirationSeconds asks
// for an hour.
//
// It mirrors k8s.io/kubernetes/pkg/apis/authentication/v1 at v1.37. It never imports
// k8s.io/kubernetes.
package v1
