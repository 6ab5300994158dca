package endpointslice

import (
	"errors"
	"fmt"
	"time"

	"k8s.io/utils/clock"
)

// Names under which upstream knows this controller.
const (
	// ControllerName is the kube-controller-manager controller name (alias
	// "endpointslice").
	ControllerName = "endpointslice-controller"
	// ClientName is the identity the controller talks to the apiserver with:
	// service account kube-system/endpointslice-controller, ClusterRole
	// system:controller:endpointslice-controller.
	ClientName = "endpointslice-controller"
	// ManagedBy is the value of the endpointslice.kubernetes.io/managed-by
	// label on the slices this controller manages (upstream's
	// endpointslice.ControllerName).
	ManagedBy = "endpointslice-controller.k8s.io"
	// EventSourceComponent is the source.component of its events.
	EventSourceComponent = "endpoint-slice-controller"
)

// Defaults and limits of kube-controller-manager v1.37
// (pkg/controller/endpointslice/config/v1alpha1/defaults.go,
// cmd/kube-controller-manager/app/options/endpointslicecontroller.go).
const (
	DefaultConcurrentServiceEndpointSyncs = 5
	DefaultMaxEndpointsPerSlice           = 100
	DefaultEndpointUpdatesBatchPeriod     = time.Duration(0)

	maxConcurrentServiceEndpointSyncs = 50
	maxMaxEndpointsPerSlice           = 1000
)

// Config configures the EndpointSlice controller. Each field is the
// kube-controller-manager flag named in its comment; zero means upstream's
// default, so Config{} is valid.
type Config struct {
	// ConcurrentServiceEndpointSyncs is --concurrent-service-endpoint-syncs
	// (5, at most 50): how many services are synced at once.
	ConcurrentServiceEndpointSyncs int32
	// MaxEndpointsPerSlice is --max-endpoints-per-slice (100, at most 1000).
	MaxEndpointsPerSlice int32
	// EndpointUpdatesBatchPeriod is --endpointslice-updates-batch-period (0):
	// how long a sync caused by a pod change is delayed so that changes of
	// other pods of the same service join it.
	EndpointUpdatesBatchPeriod time.Duration

	// Clock drives the queue delays and worker restarts. Default: the real
	// clock.
	Clock clock.WithTicker
}

// DefaultConfig returns upstream's configuration with the real clock.
func DefaultConfig() Config {
	return Config{
		ConcurrentServiceEndpointSyncs: DefaultConcurrentServiceEndpointSyncs,
		MaxEndpointsPerSlice:           DefaultMaxEndpointsPerSlice,
		EndpointUpdatesBatchPeriod:     DefaultEndpointUpdatesBatchPeriod,
		Clock:                          clock.RealClock{},
	}
}

// Validate checks the configuration; each error names the flag concerned.
// Zero values are valid (they mean "default").
func (c Config) Validate() error {
	var errs []error
	if c.ConcurrentServiceEndpointSyncs < 0 || c.ConcurrentServiceEndpointSyncs > maxConcurrentServiceEndpointSyncs {
		errs = append(errs, fmt.Errorf("--concurrent-service-endpoint-syncs: must be between 1 and %d, got %d", maxConcurrentServiceEndpointSyncs, c.ConcurrentServiceEndpointSyncs))
	}
	if c.MaxEndpointsPerSlice < 0 || c.MaxEndpointsPerSlice > maxMaxEndpointsPerSlice {
		errs = append(errs, fmt.Errorf("--max-endpoints-per-slice: must be between 1 and %d, got %d", maxMaxEndpointsPerSlice, c.MaxEndpointsPerSlice))
	}
	if c.EndpointUpdatesBatchPeriod < 0 {
		errs = append(errs, fmt.Errorf("--endpointslice-updates-batch-period: must not be negative, got %v", c.EndpointUpdatesBatchPeriod))
	}
	return errors.Join(errs...)
}

func (c Config) withDefaults() Config {
	if c.ConcurrentServiceEndpointSyncs == 0 {
		c.ConcurrentServiceEndpointSyncs = DefaultConcurrentServiceEndpointSyncs
	}
	if c.MaxEndpointsPerSlice == 0 {
		c.MaxEndpointsPerSlice = DefaultMaxEndpointsPerSlice
	}
	if c.Clock == nil {
		c.Clock = clock.RealClock{}
	}
	return c
}
