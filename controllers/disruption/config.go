package disruption

import (
	"fmt"
	"time"

	"k8s.io/utils/clock"
)

// Names under which upstream knows this controller.
const (
	// ControllerName is the kube-controller-manager controller name (alias
	// "disruption").
	ControllerName = "disruption-controller"
	// ClientName is the identity the controller talks to the apiserver with:
	// service account kube-system/disruption-controller, ClusterRole
	// system:controller:disruption-controller.
	ClientName = "disruption-controller"
	// EventSourceComponent is the source.component of its events: upstream's
	// disruption controller records as "controllermanager", not under its
	// own name.
	EventSourceComponent = "controllermanager"
)

// DefaultConcurrentDisruptionSyncs is the default of
// --concurrent-disruption-syncs (pkg/controller/disruption/config/v1alpha1).
const DefaultConcurrentDisruptionSyncs = 1

const (
	// DeletionTimeout sets maximum time from the moment a pod is added to DisruptedPods in PDB.Status
	// to the time when the pod is expected to be seen by PDB controller as having been marked for deletion.
	// If the pod was not marked for deletion during that time it is assumed that it won't be deleted at
	// all and the corresponding entry can be removed from pdb.Status.DisruptedPods. It is assumed that
	// pod/pdb apiserver to controller latency is relatively small (like 1-2sec) so the below value should
	// be more than enough.
	// If the controller is running on a different node it is important that the two nodes have synced
	// clock (via ntp for example). Otherwise PodDisruptionBudget controller may not provide enough
	// protection against unwanted pod disruptions.
	DeletionTimeout = 2 * time.Minute

	// stalePodDisruptionTimeout sets the maximum time a pod can have a stale
	// DisruptionTarget condition (the condition is present, but the Pod doesn't
	// have a DeletionTimestamp).
	// Once the timeout is reached, this controller attempts to set the status
	// of the condition to False.
	stalePodDisruptionTimeout = 2 * time.Minute
)

// Config configures the disruption controller. The zero value is upstream's
// configuration.
type Config struct {
	// ConcurrentDisruptionSyncs is --concurrent-disruption-syncs: how many
	// PodDisruptionBudgets are synced at once. 0 means the default, 1.
	ConcurrentDisruptionSyncs int

	// Clock drives the DisruptedPods expiry (DeletionTimeout), the stale
	// DisruptionTarget timeout, the work queues' delays and rate limiting,
	// and the pod condition timestamps the controller writes. Default: the
	// real clock.
	Clock clock.WithTicker
}

// DefaultConfig returns upstream's configuration with the real clock.
func DefaultConfig() Config {
	return Config{ConcurrentDisruptionSyncs: DefaultConcurrentDisruptionSyncs, Clock: clock.RealClock{}}
}

// Validate checks the configuration; errors name the flag.
func (c Config) Validate() error {
	if c.ConcurrentDisruptionSyncs < 0 {
		return fmt.Errorf("--concurrent-disruption-syncs: must not be negative, got %d", c.ConcurrentDisruptionSyncs)
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.ConcurrentDisruptionSyncs == 0 {
		c.ConcurrentDisruptionSyncs = DefaultConcurrentDisruptionSyncs
	}
	if c.Clock == nil {
		c.Clock = clock.RealClock{}
	}
	return c
}
