// Package authorization holds the registry of authorization.k8s.io/v1: the create-only
// reviews SubjectAccessReview ("may this user do this?"), LocalSubjectAccessReview (the
// same, within a namespace), SelfSubjectAccessReview ("may I?", behind `kubectl auth
// can-i`) and SelfSubjectRulesReview ("what may I do here?", behind `kubectl auth can-i
// --list`). Nothing is stored: each create is answered by the server's authorizer or
// rule resolver and returned with its status filled.
//
// It ports k8s.io/kubernetes pkg/registry/authorization (subjectaccessreview,
// localsubjectaccessreview, selfsubjectaccessreview, selfsubjectrulesreview, util) at
// v1.37, onto k8s.io/api/authorization/v1. It must never import the server or
// k8s.io/kubernetes.
package authorization
