// Package authentication holds the registry of authentication.k8s.io/v1, two create-only
// reviews of which nothing is stored: SelfSubjectReview returns the attributes the
// server authenticated the request with (`kubectl auth whoami`); TokenReview tells
// whether a bearer token authenticates with the server, and as whom (webhook token
// authenticators of other servers ask it).
//
// It ports k8s.io/kubernetes pkg/registry/authentication/selfsubjectreview and
// tokenreview at v1.37 onto k8s.io/api/authentication/v1. It must never import the
// server or k8s.io/kubernetes.
package authentication
