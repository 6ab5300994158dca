// Package endpoint is k1s's endpoints controller: the kube-controller-manager
// controller "endpoint-controller" of Kubernetes v1.37, ported from
// k8s.io/kubernetes/pkg/controller/endpoint (endpoints_controller.go,
// endpoints_tracker.go) and pkg/api/v1/endpoints (RepackSubsets). It uses the
// helpers upstream uses from the k8s.io/endpointslice staging module (pod to
// service mapping, FindPort, ShouldPodBeInEndpoints, the trigger time
// tracker).
//
// # What it does
//
// For every Service with a selector (and not of type ExternalName) it keeps the
// core/v1 Endpoints object of the same name in step with the pods the selector
// matches:
//
//   - a pod is listed if it has an IP, is not terminal (Succeeded/Failed) and
//     is not being deleted; its address carries the pod IP of the service's IP
//     family, nodeName, a targetRef to the pod, and the hostname when the
//     pod's subdomain is the service's name;
//   - ready pods go to addresses, others to notReadyAddresses, unless the
//     service sets publishNotReadyAddresses (then all are ready);
//   - ports come from each service port's targetPort, a number or the name of
//     a container port (a pod without that named port is left out of that
//     port); a headless service without ports gets addresses without ports;
//   - subsets are repacked into the canonical form, so that an unchanged set
//     makes no write;
//   - labels are the service's, plus endpoints.kubernetes.io/managed-by=
//     endpoint-controller, plus service.kubernetes.io/headless for a service
//     without a cluster IP;
//   - annotation endpoints.kubernetes.io/last-change-trigger-time is the time
//     of the earliest pod or service change not yet reflected;
//   - beyond 1000 addresses the object is truncated (ready addresses first)
//     and annotated endpoints.kubernetes.io/over-capacity=truncated.
//
// When the Service goes, so does its Endpoints object; Endpoints left from
// services deleted while the controller was down are found once at start.
// Services without a selector are left alone: their Endpoints are managed by
// hand. Failed writes record Warning events FailedToCreateEndpoint /
// FailedToUpdateEndpoint (source "endpoint-controller").
//
// Queue delays and worker restarts run on the injected clock. Upstream's
// Prometheus metrics are left out.
//
// # What this package must never do
//
// It knows the control plane only through the client and the informer factory
// it is given: it never imports k1s's apiserver, cluster or kubelet-lite
// packages, nor k8s.io/kubernetes, and never reads etcd. It writes Endpoints
// only, never EndpointSlices (that is the endpointslice controller's job).
package endpoint
