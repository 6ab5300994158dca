// Package serviceaccount is the ServiceAccount admission plugin. On pod creation it:
//
//   - sets spec.serviceAccountName (and its deprecated alias) to "default" when unset;
//   - refuses the pod (Forbidden) when that service account does not exist, reading it
//     from an informer and, on a miss, live (retrying for "default", which the
//     serviceaccounts controller creates with the namespace);
//   - unless automountServiceAccountToken is false (pod first, then service account),
//     adds the projected volume kube-api-access-<5 random> (a service account token
//     expiring in 3607 s, kube-root-ca.crt's ca.crt, the namespace from the downward API)
//     and mounts it read-only at /var/run/secrets/kubernetes.io/serviceaccount in every
//     container and init container that has nothing mounted there;
//   - copies the service account's imagePullSecrets when the pod has none;
//   - enforces the kubernetes.io/enforce-mountable-secrets annotation;
//   - keeps mirror pods (static pods the kubelet reports) untouched, and refuses mirror
//     pods that reference service accounts, secrets or token projections.
//
// It ports k8s.io/kubernetes plugin/pkg/admission/serviceaccount at v1.37 onto the
// k8s.io/api v1 types. The pods/ephemeralcontainers branch is left out: k1s does not
// serve that subresource. It must never import the registries, the server or
// k8s.io/kubernetes.
package serviceaccount
