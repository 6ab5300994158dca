// Package local is the local cloud, "a cloud on one machine": a
// k8s.io/cloud-provider cloudprovider.Interface (provider name "local") whose
// instances are simulated VMs, whose load balancers are real TCP listeners on
// loopback and whose routes are records, so the upstream cloud controllers
// (package controllers/cloud) can run their real loops against it.
//
// # State lives in the data dir
//
// The provider may run inside a separate plugin process while the host (the
// cluster, and `k1s cloud vm shutdown|start|delete NAME`) changes the VMs, so
// every piece of state is a JSON file in one data dir, replaced atomically
// (temporary file + rename) and read-modify-written under an advisory flock:
//
//   - vms.json: the VM inventory. The host creates a VM when it adds a node
//     (OpenVMStore, VMStore.Create) and powers it off, on or deletes it; the
//     provider reads the file on every InstancesV2 call, so a change is seen
//     by the next monitor pass of the cloud node lifecycle controller (the
//     Node of a deleted VM is deleted, a shut-down VM's not-Ready Node gets
//     node.cloudprovider.kubernetes.io/shutdown:NoSchedule).
//   - loadbalancers.json: the address of each Service's load balancer, taken
//     from 127.100.0.0/16 (hash of namespace/name, then the next free one),
//     kept across restarts of the plugin.
//   - routes.json: the routes the route controller asked for, per cluster
//     name and node.
//
// A data dir belongs to one cluster: VMs and load balancers are not scoped
// by cluster name.
//
// # Load balancers
//
// EnsureLoadBalancer listens on <lb address>:<service port> for each TCP port
// of the Service and forwards each connection to one node's
// InternalIP:NodePort, round robin, skipping backends that refuse. Only TCP
// is supported; UDP and SCTP ports are refused with an error. Listeners live
// in the process that ensured them: Close stops them, and a restarted
// provider opens them again when the service controller ensures its Services
// at start.
//
// # What this package must never do
//
// It knows nothing of the cluster, the apiserver or the controllers: it must
// not import k1s's cluster, apiserver, controllers or kubelet-lite packages,
// and it learns about Nodes and Services only from the arguments of the
// cloudprovider calls. It never talks to the apiserver.
package local
