package tainteviction

import (
	"k8s.io/utils/clock"
)

// Names under which upstream knows this controller.
const (
	// ControllerName is the kube-controller-manager controller name; it is
	// also the source.component of the controller's events.
	ControllerName = "taint-eviction-controller"
	// ClientName is the identity the controller talks to the apiserver with.
	// Upstream gives it the node lifecycle controller's client ("taint-manager
	// uses existing cluster role from node-controller"): service account
	// kube-system/node-controller, ClusterRole system:controller:node-controller.
	// There is no system:controller:taint-eviction-controller role.
	ClientName = "node-controller"
)

// Config configures the taint eviction controller. The controller has no
// flags of its own in kube-controller-manager; the zero value is upstream's
// behaviour.
type Config struct {
	// TaintTolerationComparisonOperators is
	// --feature-gates=TaintTolerationComparisonOperators=true (Alpha, off in
	// v1.37): tolerations with operator Lt and Gt compare numeric values.
	TaintTolerationComparisonOperators bool

	// Clock drives the eviction timers and every timestamp the controller
	// writes. Default: the real clock.
	Clock clock.WithDelayedExecution
}

// DefaultConfig returns upstream's configuration with the real clock.
func DefaultConfig() Config {
	return Config{Clock: clock.RealClock{}}
}

// Validate checks the configuration. Every Config is valid today; Validate
// exists so that callers treat this controller like every other.
func (c Config) Validate() error {
	return nil
}

func (c Config) withDefaults() Config {
	if c.Clock == nil {
		c.Clock = clock.RealClock{}
	}
	return c
}
