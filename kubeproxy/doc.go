// Package kubeproxy is k1s's kube-proxy-lite: it makes a TCP connection to
// <node InternalIP>:<nodePort> of a Service reach one of the Service's ready
// endpoints, as kube-proxy's NodePort rules do on every node of a real cluster.
//
// # Shape
//
// Upstream runs one kube-proxy per node. k1s runs up to thousands of nodes in one
// process, so one Proxy serves every node of the process: one Service, one
// EndpointSlice and one Node informer for all of them, and a Config.NodeActive
// callback that says which nodes run here and are up. Nodes are told apart by
// their loopback InternalIP: the Proxy listens on each active node's
// InternalIP:nodePort for every TCP port with a nodePort of every Service of
// type NodePort or LoadBalancer, and closes the listeners (and their
// connections) when the Service, the port or the node goes away, or the node
// stops being active.
//
// It honours, as upstream does:
//
//   - EndpointSlices labelled kubernetes.io/service-name, their ports by name,
//     endpoints whose conditions.ready is true or unset, deduplicated by address;
//   - externalTrafficPolicy: Cluster (any node answers, for any ready endpoint)
//     and Local (only endpoints on the node dialled; a node without one closes
//     the connection);
//   - healthCheckNodePort of a LoadBalancer Service with policy Local: an HTTP
//     answer, 200 on a node with a ready endpoint of the Service and 503 on one
//     without, with upstream's JSON body and X-Load-Balancing-Endpoint-Weight,
//     so that a load balancer in front skips nodes that would close;
//   - the service.kubernetes.io/service-proxy-name label: such Services belong to
//     another proxy and are ignored;
//   - --sync-period (30 s): a full resync, here the safety net that notices a node
//     whose NodeActive answer changed without NodeChanged being called.
//
// Endpoints are picked round robin per Service port. A connection to a node port
// with no usable endpoint is closed at once, the nearest a userspace proxy comes
// to kube-proxy's REJECT.
//
// # Simulated pods
//
// kubelet-lite's pods run no process, so there is nothing to forward to. The
// proxy answers in the pod's place like a tiny echo server: it first writes one
// line naming the chosen endpoint,
//
//	k1s: <namespace>/<service> port <port> -> pod <namespace>/<pod> (<podIP>:<targetPort>) on node <node>
//
// then echoes back whatever the client sends until the client closes. Tests and
// load balancers in front of node ports can therefore see which pod and which
// node served them.
//
// # What this package must never do
//
// It knows the control plane only through the client and the informer factory it
// is given (it reads as system:kube-proxy, bound to system:node-proxier): it never
// imports k1s's apiserver, cluster, controllers or kubelet-lite packages, never
// reads etcd, and never writes API objects. It never listens on a wildcard
// address: several clusters, each with its own proxy, share one host.
package kubeproxy
