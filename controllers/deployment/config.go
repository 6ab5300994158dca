package deployment

import (
	"fmt"

	"k8s.io/utils/clock"
)

// Names under which upstream knows this controller.
const (
	// ControllerName is the kube-controller-manager controller name; it is
	// also the source.component of the controller's events.
	ControllerName = "deployment-controller"
	// ClientName is the identity the controller talks to the apiserver with:
	// service account kube-system/deployment-controller, ClusterRole
	// system:controller:deployment-controller.
	ClientName = "deployment-controller"
)

// DefaultConcurrentDeploymentSyncs is the default of
// --concurrent-deployment-syncs.
const DefaultConcurrentDeploymentSyncs = 5

// Config configures the Deployment controller. The zero value is upstream's
// configuration.
type Config struct {
	// ConcurrentDeploymentSyncs is --concurrent-deployment-syncs: how many
	// Deployments are synced at once. 0 means the default, 5.
	ConcurrentDeploymentSyncs int

	// Clock drives the progress deadline, condition timestamps and the work
	// queue's delays. Default: the real clock.
	Clock clock.WithTicker
}

// DefaultConfig returns upstream's configuration with the real clock.
func DefaultConfig() Config {
	return Config{ConcurrentDeploymentSyncs: DefaultConcurrentDeploymentSyncs, Clock: clock.RealClock{}}
}

// Validate checks the configuration; errors name the flag.
func (c Config) Validate() error {
	if c.ConcurrentDeploymentSyncs < 0 {
		return fmt.Errorf("--concurrent-deployment-syncs: must not be negative, got %d", c.ConcurrentDeploymentSyncs)
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.ConcurrentDeploymentSyncs == 0 {
		c.ConcurrentDeploymentSyncs = DefaultConcurrentDeploymentSyncs
	}
	if c.Clock == nil {
		c.Clock = clock.RealClock{}
	}
	return c
}
