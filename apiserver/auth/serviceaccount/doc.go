// Package serviceaccount issues and validates service account tokens: signed JWTs
// (ES256/ES384/ES512 or RS256) bound to an audience, an expiry and optionally a Pod,
// Secret or Node, as the serviceaccounts/token subresource (TokenRequest) returns them and
// the token authenticator accepts them as user system:serviceaccount:<ns>:<name>.
//
// It ports k8s.io/kubernetes pkg/serviceaccount (jwt.go, claims.go) and the lookup half of
// pkg/controller/serviceaccount/tokengetter.go at v1.37, on the same JOSE library
// (gopkg.in/go-jose/go-jose.v2) so that tokens look as upstream's do: the same kid
// derivation, claim names ("kubernetes.io": namespace, serviceaccount, pod, secret, node,
// warnafter) and error messages. Left out: legacy secret-based tokens (k1s never issues
// them, as LegacyServiceAccountTokenNoAutoGeneration has it upstream), external signers,
// webhook-bound tokens (alpha, off by default in v1.37) and metrics.
//
// The authenticator sees the cluster only through ServiceAccountTokenGetter (informer
// listers on the apiserver's loopback client with a live GET fallback). This package
// must never import the registries, the server or k8s.io/kubernetes.
package serviceaccount
