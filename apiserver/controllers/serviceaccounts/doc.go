// Package serviceaccounts is the serviceaccounts controller: it keeps a ServiceAccount
// "default" in every active namespace, creating it when a namespace appears and again
// when it is deleted. It ports k8s.io/kubernetes
// pkg/controller/serviceaccount/serviceaccounts_controller.go at v1.37 (upstream's
// "serviceaccount-controller" of kube-controller-manager).
//
// The apiserver runs it as a post-start hook for now (see package controllers); it must
// never import the apiserver, its registries or k8s.io/kubernetes.
package serviceaccounts
