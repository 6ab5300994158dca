package cloud

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"k8s.io/cloud-provider/names"
	netutils "k8s.io/utils/net"
)

// Controller names, as cloud-controller-manager's --controllers flag knows
// them (k8s.io/cloud-provider/names).
const (
	CloudNodeController          = names.CloudNodeController
	CloudNodeLifecycleController = names.CloudNodeLifecycleController
	ServiceLBController          = names.ServiceLBController
	NodeRouteController          = names.NodeRouteController
)

// Client names: the identity each controller talks to the apiserver with,
// service account kube-system/<name> bound to system:controller:<name>. They
// are upstream's (app.DefaultInitFuncConstructors): the cloud node and cloud
// node lifecycle controllers share "node-controller" with the
// kube-controller-manager's node lifecycle controller, for historical reasons.
const (
	NodeControllerClientName    = "node-controller"
	ServiceControllerClientName = "service-controller"
	RouteControllerClientName   = "route-controller"
)

// ManagerName names the controller manager in metrics.
const ManagerName = "cloud-controller-manager"

// Defaults of cloud-controller-manager v1.37 (k8s.io/cloud-provider
// config/v1alpha1/defaults.go and the controllers' config defaults).
const (
	DefaultClusterName                  = "kubernetes"
	DefaultConfigureCloudRoutes         = true
	DefaultNodeMonitorPeriod            = 5 * time.Second
	DefaultNodeStatusUpdateFrequency    = 5 * time.Minute
	DefaultRouteReconciliationPeriod    = 10 * time.Second
	DefaultConcurrentServiceSyncs       = 1
	DefaultConcurrentNodeSyncs          = 1
	DefaultConcurrentNodeLifecycleSyncs = 1
)

// Config configures the cloud controllers. Each field is the
// cloud-controller-manager flag named in its comment. A zero duration, count
// or name means upstream's default; ConfigureCloudRoutes is the exception
// (a bool cannot tell "unset" from false), which DefaultConfig sets to true.
//
// There is no Clock: the upstream constructors take none, and their loops run
// on real time (wait.Until, workqueue rate limiters). Tests use short periods.
type Config struct {
	// Controllers is --controllers: "*" enables every controller, "name"
	// enables one, "-name" disables one. Default ["*"]. A controller whose
	// cloud capability is missing (Instances/InstancesV2, LoadBalancer,
	// Routes) is skipped, as cloud-controller-manager skips it.
	Controllers []string
	// ClusterName is --cluster-name ("kubernetes"): passed to the cloud's
	// LoadBalancer and Routes calls to scope what they create.
	ClusterName string
	// ConfigureCloudRoutes is --configure-cloud-routes (upstream default
	// true): run the route controller. It runs only when ClusterCIDRs are
	// given too; upstream refuses to start without them, k1s just skips it.
	ConfigureCloudRoutes bool
	// ClusterCIDRs is --cluster-cidr, split at commas: at most two, and two
	// only when dual-stack (one IPv4, one IPv6).
	ClusterCIDRs []string
	// NodeMonitorPeriod is --node-monitor-period (5s): how often the cloud
	// node lifecycle controller asks the cloud about not-Ready nodes.
	NodeMonitorPeriod time.Duration
	// NodeStatusUpdateFrequency is --node-status-update-frequency (5m): how
	// often the cloud node controller refreshes node addresses.
	NodeStatusUpdateFrequency time.Duration
	// RouteReconciliationPeriod is --route-reconciliation-period (10s).
	RouteReconciliationPeriod time.Duration
	// ConcurrentServiceSyncs is --concurrent-service-syncs (1).
	ConcurrentServiceSyncs int32
	// ConcurrentNodeSyncs is --concurrent-node-syncs (1): cloud node
	// controller workers initialising new nodes.
	ConcurrentNodeSyncs int32
	// ConcurrentNodeStatusUpdates is --concurrent-node-status-updates (0,
	// meaning ConcurrentNodeSyncs).
	ConcurrentNodeStatusUpdates int32
	// ConcurrentNodeLifecycleSyncs is --concurrent-node-lifecycle-syncs (1).
	ConcurrentNodeLifecycleSyncs int32
}

// DefaultConfig returns a Config with every field at upstream's default.
func DefaultConfig() Config {
	return Config{
		Controllers:                  []string{"*"},
		ClusterName:                  DefaultClusterName,
		ConfigureCloudRoutes:         DefaultConfigureCloudRoutes,
		NodeMonitorPeriod:            DefaultNodeMonitorPeriod,
		NodeStatusUpdateFrequency:    DefaultNodeStatusUpdateFrequency,
		RouteReconciliationPeriod:    DefaultRouteReconciliationPeriod,
		ConcurrentServiceSyncs:       DefaultConcurrentServiceSyncs,
		ConcurrentNodeSyncs:          DefaultConcurrentNodeSyncs,
		ConcurrentNodeLifecycleSyncs: DefaultConcurrentNodeLifecycleSyncs,
	}
}

var knownControllers = []string{CloudNodeController, CloudNodeLifecycleController, ServiceLBController, NodeRouteController}

// Validate checks the configuration; each error names the flag concerned.
func (c Config) Validate() error {
	var errs []error
	for _, name := range c.Controllers {
		if name == "*" {
			continue
		}
		if !slices.Contains(knownControllers, strings.TrimPrefix(name, "-")) {
			errs = append(errs, fmt.Errorf("--controllers: unknown controller %q (known: %s)", name, strings.Join(knownControllers, ", ")))
		}
	}
	for _, d := range []struct {
		flag string
		v    time.Duration
	}{
		{"--node-monitor-period", c.NodeMonitorPeriod},
		{"--node-status-update-frequency", c.NodeStatusUpdateFrequency},
		{"--route-reconciliation-period", c.RouteReconciliationPeriod},
	} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("%s: must not be negative, got %v", d.flag, d.v))
		}
	}
	for _, n := range []struct {
		flag string
		v    int32
	}{
		{"--concurrent-service-syncs", c.ConcurrentServiceSyncs},
		{"--concurrent-node-syncs", c.ConcurrentNodeSyncs},
		{"--concurrent-node-status-updates", c.ConcurrentNodeStatusUpdates},
		{"--concurrent-node-lifecycle-syncs", c.ConcurrentNodeLifecycleSyncs},
	} {
		if n.v < 0 {
			errs = append(errs, fmt.Errorf("%s: must not be negative, got %d", n.flag, n.v))
		}
	}
	if _, err := parseClusterCIDRs(c.ClusterCIDRs); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// parseClusterCIDRs applies cloud-controller-manager's checks on
// --cluster-cidr (app.startRouteController).
func parseClusterCIDRs(cidrs []string) ([]*net.IPNet, error) {
	if len(cidrs) == 0 {
		return nil, nil
	}
	nets, err := netutils.ParseCIDRs(cidrs)
	if err != nil {
		return nil, fmt.Errorf("--cluster-cidr: %w", err)
	}
	if len(nets) > 2 {
		return nil, fmt.Errorf("--cluster-cidr: at most 2 CIDRs, got %d", len(nets))
	}
	if len(nets) == 2 {
		if dual, _ := netutils.IsDualStackCIDRs(nets); !dual {
			return nil, fmt.Errorf("--cluster-cidr: two CIDRs must be one IPv4 and one IPv6, got %v", cidrs)
		}
	}
	return nets, nil
}

// withDefaults returns a copy with every zero field set to its default.
func (c Config) withDefaults() Config {
	def := DefaultConfig()
	if len(c.Controllers) == 0 {
		c.Controllers = def.Controllers
	}
	if c.ClusterName == "" {
		c.ClusterName = def.ClusterName
	}
	if c.NodeMonitorPeriod == 0 {
		c.NodeMonitorPeriod = def.NodeMonitorPeriod
	}
	if c.NodeStatusUpdateFrequency == 0 {
		c.NodeStatusUpdateFrequency = def.NodeStatusUpdateFrequency
	}
	if c.RouteReconciliationPeriod == 0 {
		c.RouteReconciliationPeriod = def.RouteReconciliationPeriod
	}
	if c.ConcurrentServiceSyncs == 0 {
		c.ConcurrentServiceSyncs = def.ConcurrentServiceSyncs
	}
	if c.ConcurrentNodeSyncs == 0 {
		c.ConcurrentNodeSyncs = def.ConcurrentNodeSyncs
	}
	if c.ConcurrentNodeStatusUpdates == 0 {
		c.ConcurrentNodeStatusUpdates = c.ConcurrentNodeSyncs
	}
	if c.ConcurrentNodeLifecycleSyncs == 0 {
		c.ConcurrentNodeLifecycleSyncs = def.ConcurrentNodeLifecycleSyncs
	}
	return c
}

// enabled follows cloud-controller-manager's IsControllerEnabled: an explicit
// "name" or "-name" wins over "*".
func (c Config) enabled(name string) bool {
	star := false
	for _, n := range c.Controllers {
		switch n {
		case name:
			return true
		case "-" + name:
			return false
		case "*":
			star = true
		}
	}
	return star
}
