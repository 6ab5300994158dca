// Package nodeipam is k1s's node IPAM controller: the kube-controller-manager
// controller "node-ipam-controller" (alias "nodeipam") of Kubernetes v1.37
// with --cidr-allocator-type=RangeAllocator, the only allocator that works in
// v1.37. It is ported from k8s.io/kubernetes/pkg/controller/nodeipam
// (node_ipam_controller.go, ipam/cidr_allocator.go, ipam/range_allocator.go,
// ipam/cidrset/cidr_set.go), component-helpers' PatchNodeCIDRs and
// RecordNodeStatusChange from pkg/controller/util/node. SPEC.md section 6
// gives the behaviour. Running it at all is --allocate-node-cidrs (default
// false): the caller decides.
//
// It talks to the apiserver as "node-controller" (ClientName) and records
// events with source component "cidrAllocator", as upstream's range allocator
// does.
//
// # What it does
//
// Run waits for the Node cache, then marks every spec.podCIDRs[i] of every node
// used in the bitmap of --cluster-cidr entry i, so a restart never hands a
// CIDR out twice; the node subnets a --service-cluster-ip-range overlaps are
// marked used from the start. Then 30 workers take Node add/update events:
// a node without spec.podCIDRs gets the next free subnet (next-fit: scanning
// from after the last one handed out, wrapping around) of each cluster CIDR,
// written with a strategic-merge PATCH {"spec":{"podCIDR":..,"podCIDRs":[..]}}
// (3 tries, then the event CIDRAssignmentFailed and the subnets go back unless
// the error was a server timeout). A full range records CIDRNotAvailable
// ("Node <n> status is now: CIDRNotAvailable") and the node is retried with
// back-off. A deleted node's CIDRs are released; nodes being deleted are
// skipped.
//
// The range allocator sets no Node condition: NetworkUnavailable is the
// network plugin's (upstream only touched it in the legacy cloud IPAM modes,
// which v1.37 no longer builds), so neither does this package.
//
// # Differences from upstream, on purpose
//
//   - The start-up pass reads the synced informer cache instead of its own
//     polled LIST, in Run instead of the constructor.
//   - A node whose podCIDRs lie outside the cluster CIDRs is logged and gets
//     CIDRNotAvailable once; upstream fails its constructor at start-up (which
//     would stop the whole k1s process) or retries forever without an event.
//   - When one family's range is full, the subnets already taken from the
//     other family are released (upstream leaks them on each retry).
//   - Before the PATCH the node is read live, not from the cache, so a CIDR
//     patched a moment ago and not yet in the cache is not overwritten.
//   - A release requeues the nodes still waiting for a CIDR.
//   - Service CIDRs that do not parse are a configuration error (upstream
//     logs and ignores them). --node-cidr-mask-size is not a field: set the
//     per-family field of the cluster CIDR's family.
//   - No Prometheus metrics.
//
// # What this package must never do
//
// It knows the control plane only through the kubernetes.Interface and the
// informer factory it is given: it never imports k1s's apiserver, cluster or
// kubelet-lite packages, nor k8s.io/kubernetes, and never reads etcd.
package nodeipam
