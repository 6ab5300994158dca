package local

import (
	"fmt"
	"sync"

	cloudprovider "k8s.io/cloud-provider"
)

// Cloud is the local cloud: a cloudprovider.Interface whose instances are the
// VMs of a VMStore, whose load balancers are TCP proxies on loopback and whose
// routes are records in the data dir. Its only persistent state is in the
// data dir; in memory it holds just the open listeners.
type Cloud struct {
	dir    string
	vms    *VMStore
	lbs    *loadBalancers
	routes *routeTable

	closeOnce sync.Once
}

var (
	_ cloudprovider.Interface    = &Cloud{}
	_ cloudprovider.InstancesV2  = &Cloud{}
	_ cloudprovider.LoadBalancer = &Cloud{}
	_ cloudprovider.Routes       = &Cloud{}
)

// New opens the local cloud on a data dir (created if missing). The same dir
// must be given to OpenVMStore by the host that creates and powers VMs.
func New(dir string) (*Cloud, error) {
	vms, err := OpenVMStore(dir)
	if err != nil {
		return nil, fmt.Errorf("local cloud: %w", err)
	}
	lbs, err := newLoadBalancers(dir)
	if err != nil {
		return nil, fmt.Errorf("local cloud: %w", err)
	}
	routes, err := newRouteTable(dir)
	if err != nil {
		return nil, fmt.Errorf("local cloud: %w", err)
	}
	return &Cloud{dir: dir, vms: vms, lbs: lbs, routes: routes}, nil
}

// VMs returns the VM store the cloud reads its instances from.
func (c *Cloud) VMs() *VMStore { return c.vms }

// Close stops every load balancer listener and the connections they proxy.
// The load balancers stay recorded in the data dir: a new Cloud on the same
// dir reuses their addresses when the service controller ensures them again
// (it does so for every LoadBalancer Service when it starts). Close is
// idempotent.
func (c *Cloud) Close() error {
	c.closeOnce.Do(c.lbs.closeAll)
	return nil
}

// Initialize implements cloudprovider.Interface. The local cloud needs no
// client: everything it knows comes from the data dir and from the objects
// the controllers pass in.
func (c *Cloud) Initialize(cloudprovider.ControllerClientBuilder, <-chan struct{}) {}

// LoadBalancer implements cloudprovider.Interface.
func (c *Cloud) LoadBalancer() (cloudprovider.LoadBalancer, bool) { return c, true }

// Instances implements cloudprovider.Interface: the local cloud offers only
// InstancesV2, which the cloud controllers prefer.
func (c *Cloud) Instances() (cloudprovider.Instances, bool) { return nil, false }

// InstancesV2 implements cloudprovider.Interface.
func (c *Cloud) InstancesV2() (cloudprovider.InstancesV2, bool) { return c, true }

// Zones implements cloudprovider.Interface: deprecated, and not asked for
// when InstancesV2 is supported (InstanceMetadata carries zone and region).
func (c *Cloud) Zones() (cloudprovider.Zones, bool) { return nil, false }

// Clusters implements cloudprovider.Interface.
func (c *Cloud) Clusters() (cloudprovider.Clusters, bool) { return nil, false }

// Routes implements cloudprovider.Interface.
func (c *Cloud) Routes() (cloudprovider.Routes, bool) { return c, true }

// ProviderName implements cloudprovider.Interface.
func (c *Cloud) ProviderName() string { return ProviderName }

// HasClusterID implements cloudprovider.Interface. A data dir belongs to one
// cluster, so everything in it is that cluster's; routes are also recorded
// under the cluster name they were created for.
func (c *Cloud) HasClusterID() bool { return true }
