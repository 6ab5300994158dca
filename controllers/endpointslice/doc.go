// Package endpointslice is k1s's EndpointSlice controller: the
// kube-controller-manager controller "endpointslice-controller" of Kubernetes
// v1.37, ported from k8s.io/kubernetes/pkg/controller/endpointslice
// (endpointslice_controller.go). As upstream, the reconciling itself is done
// by the k8s.io/endpointslice staging module (Reconciler, topology cache,
// trackers), imported unchanged: it needs only client-go.
//
// # What it does
//
// For every Service with a selector (and not of type ExternalName) it keeps
// the discovery.k8s.io/v1 EndpointSlices of the service in step with the pods
// the selector matches:
//
//   - slices are named generateName "<service>-", owned by the Service
//     (controller reference), and labelled kubernetes.io/service-name=<service>
//     and endpointslice.kubernetes.io/managed-by=endpointslice-controller.k8s.io
//     (plus the service's labels, and service.kubernetes.io/headless for a
//     service without a cluster IP);
//   - one set of slices per address type of the service and per distinct set
//     of resolved ports (targetPort by number or container port name), each
//     with at most --max-endpoints-per-slice (100) endpoints, packed to keep
//     the number of slices and of writes low;
//   - an endpoint per pod that has an IP and is not terminal: its addresses,
//     conditions ready (ready and not terminating, or publishNotReadyAddresses),
//     serving (ready) and terminating (deletionTimestamp set), nodeName, zone
//     from the node's topology.kubernetes.io/zone label, targetRef, and the
//     hostname when the pod's subdomain is the service's name;
//   - hints from the topology-mode annotation or spec.trafficDistribution;
//   - the endpoints.kubernetes.io/last-change-trigger-time annotation.
//
// Slices of deleted services go with them through their owner reference (the
// garbage collector's job). Slices managed by someone else are left alone.
// Failed syncs record Warning events (FailedToUpdateEndpointSlices, ...) with
// source "endpoint-slice-controller", upstream's.
//
// Queue delays and worker restarts run on the injected clock. Upstream's
// Prometheus metrics are not registered.
//
// # What this package must never do
//
// It knows the control plane only through the client and the informer factory
// it is given: it never imports k1s's apiserver, cluster or kubelet-lite
// packages, nor k8s.io/kubernetes, and never reads etcd. It writes
// EndpointSlices only, never Endpoints (the endpoints controller's) and never
// mirrors hand-made Endpoints (the mirroring controller's).
package endpointslice
