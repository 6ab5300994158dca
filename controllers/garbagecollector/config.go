package garbagecollector

import (
	"errors"
	"fmt"
	"maps"
	"time"

	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/clock"
)

// Names under which upstream knows this controller.
const (
	// ControllerName is the kube-controller-manager controller name (alias
	// "garbagecollector"); it is also the source.component of its events.
	ControllerName = "garbage-collector-controller"
	// ClientName is the identity the controller talks to the apiserver with:
	// service account kube-system/generic-garbage-collector, ClusterRole
	// system:controller:generic-garbage-collector (get, list, watch, patch,
	// update and delete on every resource).
	ClientName = "generic-garbage-collector"
)

// EventOwnerRefInvalidNamespace is the reason of the Warning event recorded on
// an object whose ownerReference names an owner of another namespace.
const EventOwnerRefInvalidNamespace = "OwnerRefInvalidNamespace"

// Defaults of kube-controller-manager v1.37.
const (
	// DefaultConcurrentGCSyncs is --concurrent-gc-syncs.
	DefaultConcurrentGCSyncs = 20
	// DefaultResourceSyncPeriod is how often discovery is re-read for new or
	// removed resources; upstream hard-codes it (syncPeriod in
	// cmd/kube-controller-manager/app/core.go) and also uses it as the bound
	// on the initial wait for the monitors to sync.
	DefaultResourceSyncPeriod = 30 * time.Second
)

// DefaultIgnoredResources returns the resources the garbage collector never
// monitors unless told otherwise: events in both groups, as upstream's
// garbagecollector.DefaultIgnoredResources. Events are never owners, and the
// apiserver refuses the propagation finalizers on them. The map is a copy.
func DefaultIgnoredResources() map[schema.GroupResource]struct{} {
	return map[schema.GroupResource]struct{}{
		{Group: "", Resource: "events"}:                 {},
		{Group: eventsv1.GroupName, Resource: "events"}: {},
	}
}

// Config configures the garbage collector. The zero value is upstream's
// configuration with the real clock.
type Config struct {
	// ConcurrentGCSyncs is --concurrent-gc-syncs: the number of workers on
	// each of the attemptToDelete and attemptToOrphan queues. 0 means 20.
	ConcurrentGCSyncs int

	// ResourceSyncPeriod is how often discovery is re-read to start monitors
	// for new resources and stop those of removed ones; it also bounds the
	// wait for the monitors to sync before the workers start anyway. 0 means
	// 30 s.
	ResourceSyncPeriod time.Duration

	// IgnoredResources are never monitored (upstream's GCIgnoredResources in
	// the component config, which has no flag). nil means
	// DefaultIgnoredResources(); an empty non-nil map ignores nothing.
	IgnoredResources map[schema.GroupResource]struct{}

	// Clock drives the resync period, the initial sync bound and the
	// rate-limited retries of the work queues. Default: the real clock.
	Clock clock.WithTicker
}

// DefaultConfig returns upstream's configuration with the real clock.
func DefaultConfig() Config {
	return Config{
		ConcurrentGCSyncs:  DefaultConcurrentGCSyncs,
		ResourceSyncPeriod: DefaultResourceSyncPeriod,
		IgnoredResources:   DefaultIgnoredResources(),
		Clock:              clock.RealClock{},
	}
}

// Validate checks the configuration; errors name the flag.
func (c Config) Validate() error {
	var errs []error
	if c.ConcurrentGCSyncs < 0 {
		errs = append(errs, fmt.Errorf("--concurrent-gc-syncs: must not be negative, got %d", c.ConcurrentGCSyncs))
	}
	if c.ResourceSyncPeriod < 0 {
		errs = append(errs, fmt.Errorf("resource sync period: must not be negative, got %s", c.ResourceSyncPeriod))
	}
	return errors.Join(errs...)
}

func (c Config) withDefaults() Config {
	if c.ConcurrentGCSyncs == 0 {
		c.ConcurrentGCSyncs = DefaultConcurrentGCSyncs
	}
	if c.ResourceSyncPeriod == 0 {
		c.ResourceSyncPeriod = DefaultResourceSyncPeriod
	}
	if c.IgnoredResources == nil {
		c.IgnoredResources = DefaultIgnoredResources()
	} else {
		// The caller keeps its map; ours must not change under the monitors.
		c.IgnoredResources = maps.Clone(c.IgnoredResources)
	}
	if c.Clock == nil {
		c.Clock = clock.RealClock{}
	}
	return c
}
