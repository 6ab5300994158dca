// Package rootcacertpublisher is the root CA certificate publisher: it keeps a ConfigMap
// kube-root-ca.crt, with key ca.crt holding the cluster CA, in every namespace, so that
// pods can verify the apiserver (projected service account token volumes mount it). It
// ports k8s.io/kubernetes pkg/controller/certificates/rootcacertpublisher at v1.37
// (kube-controller-manager's "root-ca-cert-publisher"), without its metrics.
//
// The apiserver runs it as a post-start hook for now (see package controllers); it must
// never import the apiserver, its registries or k8s.io/kubernetes.
package rootcacertpublisher
