package job

import (
	"fmt"
	"time"

	"k8s.io/utils/clock"
)

// Names under which upstream knows this controller.
const (
	// ControllerName is the kube-controller-manager controller name; it is
	// also the source.component of the controller's events.
	ControllerName = "job-controller"
	// ClientName is the identity the controller talks to the apiserver with:
	// service account kube-system/job-controller, ClusterRole
	// system:controller:job-controller.
	ClientName = "job-controller"
)

// Upstream defaults.
const (
	// DefaultConcurrentJobSyncs is the default of --concurrent-job-syncs.
	DefaultConcurrentJobSyncs = 5
	// DefaultPodFailureBackOff is the first delay before a failed pod is
	// replaced (upstream's DefaultJobPodFailureBackOff); it doubles with
	// every consecutive failure.
	DefaultPodFailureBackOff = 10 * time.Second
	// DefaultMaxPodFailureBackOff caps that delay (upstream's
	// MaxJobPodFailureBackOff, 10 minutes since v1.29).
	DefaultMaxPodFailureBackOff = 10 * time.Minute
	// DefaultSyncJobBatchPeriod is how long pod events of a Job are
	// batched before it is synced (upstream's SyncJobBatchPeriod).
	DefaultSyncJobBatchPeriod = time.Second
)

// Config configures the Job controller. The zero value is upstream's
// configuration.
type Config struct {
	// ConcurrentJobSyncs is --concurrent-job-syncs: how many Jobs are
	// synced at once. 0 means the default, 5.
	ConcurrentJobSyncs int

	// PodFailureBackOff and MaxPodFailureBackOff bound the exponential
	// backoff before failed pods are recreated. They are not flags upstream
	// (package variables its tests shorten); k1s makes them configurable so
	// that tests and e2e runs need not wait minutes. 0 means the default.
	PodFailureBackOff    time.Duration
	MaxPodFailureBackOff time.Duration

	// SyncJobBatchPeriod batches pod events before a Job sync. 0 means the
	// default, 1 s.
	SyncJobBatchPeriod time.Duration

	// Clock drives backoff, activeDeadlineSeconds, condition and status
	// timestamps and the work queues' delays. Default: the real clock.
	Clock clock.WithTicker
}

// DefaultConfig returns upstream's configuration with the real clock.
func DefaultConfig() Config {
	return Config{}.withDefaults()
}

// Validate checks the configuration; errors name the flag or field.
func (c Config) Validate() error {
	if c.ConcurrentJobSyncs < 0 {
		return fmt.Errorf("--concurrent-job-syncs: must not be negative, got %d", c.ConcurrentJobSyncs)
	}
	if c.PodFailureBackOff < 0 || c.MaxPodFailureBackOff < 0 || c.SyncJobBatchPeriod < 0 {
		return fmt.Errorf("PodFailureBackOff, MaxPodFailureBackOff and SyncJobBatchPeriod must not be negative")
	}
	if c.PodFailureBackOff > 0 && c.MaxPodFailureBackOff > 0 && c.MaxPodFailureBackOff < c.PodFailureBackOff {
		return fmt.Errorf("MaxPodFailureBackOff (%v) must not be less than PodFailureBackOff (%v)", c.MaxPodFailureBackOff, c.PodFailureBackOff)
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.ConcurrentJobSyncs == 0 {
		c.ConcurrentJobSyncs = DefaultConcurrentJobSyncs
	}
	if c.PodFailureBackOff == 0 {
		c.PodFailureBackOff = DefaultPodFailureBackOff
	}
	if c.MaxPodFailureBackOff == 0 {
		c.MaxPodFailureBackOff = max(DefaultMaxPodFailureBackOff, c.PodFailureBackOff)
	}
	if c.SyncJobBatchPeriod == 0 {
		c.SyncJobBatchPeriod = DefaultSyncJobBatchPeriod
	}
	if c.Clock == nil {
		c.Clock = clock.RealClock{}
	}
	return c
}
