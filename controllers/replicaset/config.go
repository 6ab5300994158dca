package replicaset

import (
	"fmt"

	"k8s.io/utils/clock"
)

// Names under which upstream knows this controller.
const (
	// ControllerName is the kube-controller-manager controller name; it is
	// also the source.component of the controller's events.
	ControllerName = "replicaset-controller"
	// ClientName is the identity the controller talks to the apiserver with:
	// service account kube-system/replicaset-controller, ClusterRole
	// system:controller:replicaset-controller.
	ClientName = "replicaset-controller"
)

// DefaultConcurrentRSSyncs is the default of --concurrent-replicaset-syncs.
const DefaultConcurrentRSSyncs = 5

// Config configures the ReplicaSet controller. The zero value is upstream's
// configuration.
type Config struct {
	// ConcurrentRSSyncs is --concurrent-replicaset-syncs: how many
	// ReplicaSets are synced at once. 0 means the default, 5.
	ConcurrentRSSyncs int

	// Clock drives expectations timeouts, the work queue's delays
	// (minReadySeconds re-checks, rate limiting) and every timestamp the
	// controller writes. Default: the real clock.
	Clock clock.WithTicker
}

// DefaultConfig returns upstream's configuration with the real clock.
func DefaultConfig() Config {
	return Config{ConcurrentRSSyncs: DefaultConcurrentRSSyncs, Clock: clock.RealClock{}}
}

// Validate checks the configuration; errors name the flag.
func (c Config) Validate() error {
	if c.ConcurrentRSSyncs < 0 {
		return fmt.Errorf("--concurrent-replicaset-syncs: must not be negative, got %d", c.ConcurrentRSSyncs)
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.ConcurrentRSSyncs == 0 {
		c.ConcurrentRSSyncs = DefaultConcurrentRSSyncs
	}
	if c.Clock == nil {
		c.Clock = clock.RealClock{}
	}
	return c
}
