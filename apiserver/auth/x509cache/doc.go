// Package x509cache caches the successful results of k8s.io/apiserver's client
// certificate authenticator (pkg/authentication/request/x509), which otherwise runs
// crypto/x509's chain verification on every request, although the peer certificates of
// a TLS connection never change. A k1s apiserver serves about a thousand kubelets, each
// with its own client certificate and a steady stream of requests, and the verification
// alone was about 5% of the process's CPU.
//
// The outcome of the chain verification depends only on the presented certificates, the
// verify options (of which only the roots change, when the client CA file is reloaded)
// and the current time. So a success is cached per (digest of the presented chain, roots
// pool), and no longer than the validity window of every certificate of the verified
// chains, root included. Failures and requests without client certificates are never
// cached.
//
// One visible difference from upstream: the authenticator's histogram
// apiserver_client_certificate_expiration_seconds is observed only when the cache
// misses (about once per certificate per TTL), not on every request, so rates over it
// are lower than a kube-apiserver's.
//
// This package must never import the registries, the server or k8s.io/kubernetes.
package x509cache
