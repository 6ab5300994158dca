// Package validation validates events.k8s.io/v1 Events.
//
// Upstream has no pkg/apis/events/validation: kube-apiserver converts
// events.k8s.io Events to the internal core Event and validates them with
// k8s.io/kubernetes/pkg/apis/core/validation/events.go, passing the request's
// group version to pick the rules. k1s serves k8s.io/api/events/v1.Event as
// its own Go type, so this package ports those rules (at v1.37) for the
// events.k8s.io/v1 request version only: the legacy checks every Event must
// pass plus the strict checks that apply to events.k8s.io/v1. Rules for core
// v1 Events stay with the core validation port.
//
// Function names, limits, error types and messages are upstream's. Field
// paths name the events.k8s.io/v1 fields the rules apply to (regarding, note,
// deprecatedSource, ...) where upstream reports the internal core names
// (involvedObject, message, source, ...); see the path variables in
// events.go. It never imports k8s.io/kubernetes.
package validation
