// Package authentication holds the registry of authentication.k8s.io/v1:
// SelfSubjectReview, a create-only review that returns the attributes the server
// authenticated the request with (`kubectl auth whoami`). Nothing is stored.
//
// It ports k8s.io/kubernetes pkg/registry/authentication/selfsubjectreview at v1.37 onto
// k8s.io/api/authentication/v1. TokenReview is not served yet: it needs the token
// authenticators of the service account stage. It must never import the server or
// k8s.io/kubernetes.
package authentication
