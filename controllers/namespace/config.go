package namespace

import (
	"errors"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/clock"
)

// Names under which upstream knows this controller.
const (
	// ControllerName is the kube-controller-manager controller name (alias
	// "namespace").
	ControllerName = "namespace-controller"
	// ClientName is the identity the controller talks to the apiserver with:
	// service account kube-system/namespace-controller, ClusterRole
	// system:controller:namespace-controller.
	ClientName = "namespace-controller"
)

// Upstream raises the namespace controller's client limits over the
// controller manager's defaults (QPS *= 20, Burst *= 100): deleting a
// namespace makes many discovery and delete calls and the rate limiter would
// otherwise make it slow. Callers building the client apply the same factors.
const (
	ClientQPSMultiplier   = 20
	ClientBurstMultiplier = 100
)

// Defaults of kube-controller-manager v1.37
// (pkg/controller/namespace/config/v1alpha1/defaults.go).
const (
	DefaultConcurrentNamespaceSyncs = 10
	DefaultNamespaceSyncPeriod      = 5 * time.Minute
)

// DiscoverResourcesFunc returns the namespaced resources the apiserver serves,
// as discovery.DiscoveryInterface.ServerPreferredNamespacedResources does; a
// partial result with a *discovery.ErrGroupDiscoveryFailed is usable.
type DiscoverResourcesFunc func() ([]*metav1.APIResourceList, error)

// Config configures the namespace controller. Each field is the
// kube-controller-manager flag named in its comment; zero means upstream's
// default, so Config{} is valid.
type Config struct {
	// ConcurrentNamespaceSyncs is --concurrent-namespace-syncs (10): how many
	// namespaces are cleaned up at once.
	ConcurrentNamespaceSyncs int32
	// NamespaceSyncPeriod is --namespace-sync-period (5m): the resync period
	// of the controller's namespace event handler, after which every
	// terminating namespace is looked at again.
	NamespaceSyncPeriod time.Duration

	// DiscoverResources lists the resources to delete. Default: the client's
	// Discovery().ServerPreferredNamespacedResources, as upstream.
	DiscoverResources DiscoverResourcesFunc

	// Clock drives the queue delays, the grace-period estimate and the
	// condition timestamps. Default: the real clock.
	Clock clock.WithTicker
}

// DefaultConfig returns upstream's configuration with the real clock; the
// discovery function is filled in by New from the client.
func DefaultConfig() Config {
	return Config{
		ConcurrentNamespaceSyncs: DefaultConcurrentNamespaceSyncs,
		NamespaceSyncPeriod:      DefaultNamespaceSyncPeriod,
		Clock:                    clock.RealClock{},
	}
}

// Validate checks the configuration; each error names the flag concerned.
func (c Config) Validate() error {
	var errs []error
	if c.ConcurrentNamespaceSyncs < 0 {
		errs = append(errs, fmt.Errorf("--concurrent-namespace-syncs: must not be negative, got %d", c.ConcurrentNamespaceSyncs))
	}
	if c.NamespaceSyncPeriod < 0 {
		errs = append(errs, fmt.Errorf("--namespace-sync-period: must not be negative, got %v", c.NamespaceSyncPeriod))
	}
	return errors.Join(errs...)
}

func (c Config) withDefaults() Config {
	def := DefaultConfig()
	if c.ConcurrentNamespaceSyncs == 0 {
		c.ConcurrentNamespaceSyncs = def.ConcurrentNamespaceSyncs
	}
	if c.NamespaceSyncPeriod == 0 {
		c.NamespaceSyncPeriod = def.NamespaceSyncPeriod
	}
	if c.Clock == nil {
		c.Clock = def.Clock
	}
	return c
}
