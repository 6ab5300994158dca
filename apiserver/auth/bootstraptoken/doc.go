// Package bootstraptoken authenticates bootstrap tokens: bearer tokens "<id>.<secret>"
// (token-id [a-z0-9]{6}, token-secret [a-z0-9]{16}) backed by Secrets of type
// bootstrap.kubernetes.io/token named bootstrap-token-<id> in kube-system, as kubeadm
// creates them for joining nodes. A valid token is user system:bootstrap:<id> in group
// system:bootstrappers plus the secret's auth-extra-groups (each must match
// system:bootstrappers:*).
//
// It ports k8s.io/kubernetes plugin/pkg/auth/authenticator/token/bootstrap at v1.37,
// with the constants and helpers of the published k8s.io/cluster-bootstrap module, as
// upstream. It reads secrets only through an informer lister on the apiserver's loopback
// client, and must never import the registries, the server or k8s.io/kubernetes.
package bootstraptoken
