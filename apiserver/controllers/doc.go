// Package controllers is the home of the control loops the apiserver runs itself, as
// post-start hooks, until k1s has a controller manager: without them no pod could be
// admitted (the ServiceAccount admission plugin needs each namespace's "default" service
// account, and projected token volumes read kube-root-ca.crt). Upstream runs them in
// kube-controller-manager; they belong in k1s's controllers/ tree and move there
// unchanged, since they reach the cluster only through client-go, like any controller.
// Its subpackages must never import the apiserver, its registries or k8s.io/kubernetes.
package controllers
