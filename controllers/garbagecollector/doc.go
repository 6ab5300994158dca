// Package garbagecollector is k1s's garbage collector: the
// kube-controller-manager controller "garbage-collector-controller" (alias
// "garbagecollector") of Kubernetes v1.37, ported from
// k8s.io/kubernetes/pkg/controller/garbagecollector (garbagecollector.go,
// graph_builder.go, graph.go, operations.go, patch.go, uid_cache.go). It
// talks to the apiserver as "generic-garbage-collector" and records its
// events with source component "garbage-collector-controller".
//
// # What it does
//
// It keeps a graph of every object of every resource that discovery reports
// as deletable, listable and watchable (events excepted), built from
// metadata-only informers: one node per uid, with the node's owners (its
// metadata.ownerReferences) and its dependents. An owner referenced but never
// observed gets a "virtual" node until the apiserver confirms or denies it.
// Discovery is read again every resync period (30 s): monitors start for new
// resources and stop for removed ones.
//
//   - Background: when an owner is gone (a live GET by apiVersion, kind and
//     name says NotFound, or returns another uid), each dependent is deleted
//     with propagationPolicy Background and preconditions on its uid and
//     resourceVersion, if none of its owners remains; if some remain, the
//     dangling references are removed with a strategic merge patch carrying
//     metadata.uid as precondition (a JSON merge patch conditional on
//     resourceVersion for resources without strategic merge patch, such as
//     custom resources). Owners known absent are cached (LRU, 500 entries).
//   - Foreground: an owner with a deletionTimestamp and the
//     "foregroundDeletion" finalizer has its dependents deleted; the
//     finalizer is removed once no dependent with blockOwnerDeletion=true
//     remains, and the apiserver then deletes the owner.
//   - Orphan: an owner with a deletionTimestamp and the "orphan" finalizer
//     has its reference removed from all its dependents, then the finalizer
//     removed.
//
// A dependent naming an owner of another namespace gets the Warning event
// OwnerRefInvalidNamespace "ownerRef [<apiVersion>/<kind>, namespace: <ns>,
// name: <name>, uid: <uid>] does not exist in namespace "<ns>"", and the
// reference is treated as dangling.
//
// The apiserver turns DeleteOptions.propagationPolicy into the finalizers
// (k8s.io/apiserver's generic store); this package only acts on them.
//
// Work goes through the rate-limited queues attemptToDelete and
// attemptToOrphan (--concurrent-gc-syncs workers each, 20 by default) on the
// injected clock. Upstream's Prometheus metrics and its debug graph dump
// (/debug/controllers/garbagecollector/graph) are left out.
//
// # What this package must never do
//
// It knows the control plane only through the metadata client, discovery
// client and REST mapper it is given: it never imports k1s's apiserver,
// cluster or kubelet-lite packages, nor k8s.io/kubernetes, and never reads
// etcd. It never deletes an object without a uid precondition, and never
// deletes on the graph's word alone: an owner's absence is confirmed by the
// apiserver first.
package garbagecollector
