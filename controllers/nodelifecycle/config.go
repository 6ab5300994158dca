package nodelifecycle

import (
	"errors"
	"fmt"
	"time"

	"k8s.io/utils/clock"
)

// Names under which upstream knows this controller.
const (
	// ControllerName is the kube-controller-manager controller name (alias
	// "nodelifecycle").
	ControllerName = "node-lifecycle-controller"
	// ClientName is the identity the controller talks to the apiserver with:
	// service account kube-system/node-controller, bound to the ClusterRole
	// system:controller:node-controller.
	ClientName = "node-controller"
	// EventSourceComponent is the source.component of the events it records.
	EventSourceComponent = "node-controller"
)

// Defaults of kube-controller-manager v1.37 (pkg/controller/nodelifecycle/config/v1alpha1/defaults.go,
// cmd/kube-controller-manager/app/options/nodelifecyclecontroller.go).
const (
	DefaultNodeMonitorPeriod      = 5 * time.Second
	DefaultNodeMonitorGracePeriod = 50 * time.Second
	DefaultNodeStartupGracePeriod = 60 * time.Second

	DefaultNodeEvictionRate          float32 = 0.1
	DefaultSecondaryNodeEvictionRate float32 = 0.01
	DefaultLargeClusterSizeThreshold int32   = 50
	DefaultUnhealthyZoneThreshold    float32 = 0.55
)

// Config configures the node lifecycle controller. Each field is the
// kube-controller-manager flag named in its comment. The zero value of every
// field means upstream's default, so Config{} is a valid configuration; the
// one consequence is that an explicit eviction rate of 0 (upstream: "never
// taint") cannot be expressed, which k1s does not need.
type Config struct {
	// NodeMonitorPeriod is --node-monitor-period (5s): how often node health
	// is checked.
	NodeMonitorPeriod time.Duration
	// NodeMonitorGracePeriod is --node-monitor-grace-period (50s): how long a
	// node that has reported Ready may go without a heartbeat before its
	// conditions are set to Unknown.
	NodeMonitorGracePeriod time.Duration
	// NodeStartupGracePeriod is --node-startup-grace-period (60s): the same for
	// a node that has never reported a Ready condition, counted from its
	// creation.
	NodeStartupGracePeriod time.Duration
	// NodeEvictionRate is --node-eviction-rate (0.1): nodes per second per zone
	// that get a NoExecute taint while the zone is healthy (or fully down while
	// another zone is not).
	NodeEvictionRate float32
	// SecondaryNodeEvictionRate is --secondary-node-eviction-rate (0.01): the
	// rate in a partially disrupted zone of more than LargeClusterSizeThreshold
	// nodes; smaller partially disrupted zones are not tainted at all.
	SecondaryNodeEvictionRate float32
	// LargeClusterSizeThreshold is --large-cluster-size-threshold (50).
	LargeClusterSizeThreshold int32
	// UnhealthyZoneThreshold is --unhealthy-zone-threshold (0.55): the
	// fraction of not-Ready nodes (and at least 3 of them) from which a zone is
	// partially disrupted.
	UnhealthyZoneThreshold float32

	// DisableLeaseCircuitBreaker is --feature-gates=NodeControllerLeaseCircuitBreaker=false
	// (the gate is Beta and on by default in v1.37): when set, a node is
	// declared unhealthy from the informer's Lease alone, without the live GET.
	DisableLeaseCircuitBreaker bool

	// Clock drives every period, grace time, timestamp and rate limiter of the
	// controller. Default: the real clock.
	Clock clock.WithTicker
}

// DefaultConfig returns a Config with every field set to upstream's default and
// the real clock.
func DefaultConfig() Config {
	return Config{
		NodeMonitorPeriod:         DefaultNodeMonitorPeriod,
		NodeMonitorGracePeriod:    DefaultNodeMonitorGracePeriod,
		NodeStartupGracePeriod:    DefaultNodeStartupGracePeriod,
		NodeEvictionRate:          DefaultNodeEvictionRate,
		SecondaryNodeEvictionRate: DefaultSecondaryNodeEvictionRate,
		LargeClusterSizeThreshold: DefaultLargeClusterSizeThreshold,
		UnhealthyZoneThreshold:    DefaultUnhealthyZoneThreshold,
		Clock:                     clock.RealClock{},
	}
}

// Validate checks the configuration; each error names the flag concerned.
// Zero values are valid (they mean "default").
func (c Config) Validate() error {
	var errs []error
	for _, d := range []struct {
		flag string
		v    time.Duration
	}{
		{"--node-monitor-period", c.NodeMonitorPeriod},
		{"--node-monitor-grace-period", c.NodeMonitorGracePeriod},
		{"--node-startup-grace-period", c.NodeStartupGracePeriod},
	} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("%s: must not be negative, got %v", d.flag, d.v))
		}
	}
	if c.NodeEvictionRate < 0 {
		errs = append(errs, fmt.Errorf("--node-eviction-rate: must not be negative, got %v", c.NodeEvictionRate))
	}
	if c.SecondaryNodeEvictionRate < 0 {
		errs = append(errs, fmt.Errorf("--secondary-node-eviction-rate: must not be negative, got %v", c.SecondaryNodeEvictionRate))
	}
	if c.LargeClusterSizeThreshold < 0 {
		errs = append(errs, fmt.Errorf("--large-cluster-size-threshold: must not be negative, got %d", c.LargeClusterSizeThreshold))
	}
	if c.UnhealthyZoneThreshold < 0 || c.UnhealthyZoneThreshold > 1 {
		errs = append(errs, fmt.Errorf("--unhealthy-zone-threshold: must be a fraction between 0 and 1, got %v", c.UnhealthyZoneThreshold))
	}
	return errors.Join(errs...)
}

// withDefaults returns a copy with every zero field set to its default.
func (c Config) withDefaults() Config {
	def := DefaultConfig()
	if c.NodeMonitorPeriod == 0 {
		c.NodeMonitorPeriod = def.NodeMonitorPeriod
	}
	if c.NodeMonitorGracePeriod == 0 {
		c.NodeMonitorGracePeriod = def.NodeMonitorGracePeriod
	}
	if c.NodeStartupGracePeriod == 0 {
		c.NodeStartupGracePeriod = def.NodeStartupGracePeriod
	}
	if c.NodeEvictionRate == 0 {
		c.NodeEvictionRate = def.NodeEvictionRate
	}
	if c.SecondaryNodeEvictionRate == 0 {
		c.SecondaryNodeEvictionRate = def.SecondaryNodeEvictionRate
	}
	if c.LargeClusterSizeThreshold == 0 {
		c.LargeClusterSizeThreshold = def.LargeClusterSizeThreshold
	}
	if c.UnhealthyZoneThreshold == 0 {
		c.UnhealthyZoneThreshold = def.UnhealthyZoneThreshold
	}
	if c.Clock == nil {
		c.Clock = def.Clock
	}
	return c
}
