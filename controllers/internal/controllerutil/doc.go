// Package controllerutil holds the few helpers that more than one k1s
// controller needs and that upstream keeps in k8s.io/kubernetes/pkg/controller
// (which k1s does not import): the pod "spec.nodeName" index, event plumbing,
// clock-driven loops and delete-tombstone unwrapping.
//
// It is a leaf: it imports only k8s.io libraries, never another k1s package,
// and it holds no controller logic.
package controllerutil
