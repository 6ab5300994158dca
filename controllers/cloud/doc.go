// Package cloud runs the upstream cloud controllers of k8s.io/cloud-provider
// v0.37 in-process, as cloud-controller-manager would, against any
// cloudprovider.Interface: k1s's built-in local cloud or the host adapter of
// an external cloud plugin. SPEC.md section 7 gives the behaviour.
//
//   - cloud-node-controller (controllers/node): initialises Nodes registered
//     with the node.cloudprovider.kubernetes.io/uninitialized taint
//     (spec.providerID, instance-type, zone and region labels, addresses, taint
//     removed) and refreshes addresses every --node-status-update-frequency.
//   - cloud-node-lifecycle-controller (controllers/nodelifecycle): every
//     --node-monitor-period, deletes not-Ready Nodes whose instance is gone and
//     taints shut-down ones node.cloudprovider.kubernetes.io/shutdown:NoSchedule
//     (removed when the Node is Ready again).
//   - service-lb-controller (controllers/service): load balancers for
//     Services of type LoadBalancer.
//   - node-route-controller (controllers/route): routes for pod CIDRs, with
//     --configure-cloud-routes and a --cluster-cidr.
//
// Each talks to the apiserver with upstream's identity (node-controller,
// service-controller, route-controller), obtained from the host through
// clientFor; reads go through the shared informer factory the host passes in.
//
// # Differences from cloud-controller-manager, on purpose
//
//   - No leader election, no flags parsing, no healthz or metrics endpoint:
//     the host is the process.
//   - The route controller is skipped, not fatal, without a cluster CIDR.
//   - No injected clock: the upstream constructors take none.
//   - cloudprovider.ControllerClientBuilder.Config is not available to the
//     provider's Initialize (only clients are).
//
// # What this package must never do
//
// It knows the control plane only through kubernetes.Interface and the
// informer factory: it never imports k1s's apiserver, cluster, kubelet-lite or
// plugins packages (its tests use plugins/local as the cloud), nor
// k8s.io/kubernetes, and never reads etcd.
package cloud
