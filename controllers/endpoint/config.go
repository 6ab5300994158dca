package endpoint

import (
	"errors"
	"fmt"
	"time"

	"k8s.io/utils/clock"
)

// Names under which upstream knows this controller.
const (
	// ControllerName is the kube-controller-manager controller name (alias
	// "endpoint"); it is also the source.component of its events and the
	// value of the LabelManagedBy label.
	ControllerName = "endpoint-controller"
	// ClientName is the identity the controller talks to the apiserver with:
	// service account kube-system/endpoint-controller, ClusterRole
	// system:controller:endpoint-controller.
	ClientName = "endpoint-controller"
)

// Defaults of kube-controller-manager v1.37
// (pkg/controller/endpoint/config/v1alpha1/defaults.go).
const (
	DefaultConcurrentEndpointSyncs    = 5
	DefaultEndpointUpdatesBatchPeriod = time.Duration(0)
)

// Config configures the endpoints controller. Each field is the
// kube-controller-manager flag named in its comment; zero means upstream's
// default, so Config{} is valid.
type Config struct {
	// ConcurrentEndpointSyncs is --concurrent-endpoint-syncs (5): how many
	// services are synced at once.
	ConcurrentEndpointSyncs int32
	// EndpointUpdatesBatchPeriod is --endpoint-updates-batch-period (0): how
	// long a sync caused by a pod change is delayed so that changes of other
	// pods of the same service join it.
	EndpointUpdatesBatchPeriod time.Duration

	// Clock drives the queue delays and worker restarts. Default: the real
	// clock.
	Clock clock.WithTicker
}

// DefaultConfig returns upstream's configuration with the real clock.
func DefaultConfig() Config {
	return Config{
		ConcurrentEndpointSyncs:    DefaultConcurrentEndpointSyncs,
		EndpointUpdatesBatchPeriod: DefaultEndpointUpdatesBatchPeriod,
		Clock:                      clock.RealClock{},
	}
}

// Validate checks the configuration; each error names the flag concerned.
func (c Config) Validate() error {
	var errs []error
	if c.ConcurrentEndpointSyncs < 0 {
		errs = append(errs, fmt.Errorf("--concurrent-endpoint-syncs: must not be negative, got %d", c.ConcurrentEndpointSyncs))
	}
	if c.EndpointUpdatesBatchPeriod < 0 {
		errs = append(errs, fmt.Errorf("--endpoint-updates-batch-period: must not be negative, got %v", c.EndpointUpdatesBatchPeriod))
	}
	return errors.Join(errs...)
}

func (c Config) withDefaults() Config {
	if c.ConcurrentEndpointSyncs == 0 {
		c.ConcurrentEndpointSyncs = DefaultConcurrentEndpointSyncs
	}
	if c.Clock == nil {
		c.Clock = clock.RealClock{}
	}
	return c
}
