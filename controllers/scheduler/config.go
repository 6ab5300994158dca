package scheduler

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"k8s.io/utils/clock"
)

// Names under which upstream knows the scheduler.
const (
	// DefaultSchedulerName is the name of the default profile
	// (corev1.DefaultSchedulerName): pods whose spec.schedulerName is this are
	// ours. It is also the source component (reportingController) of the
	// scheduler's events.
	DefaultSchedulerName = "default-scheduler"
	// ClientName is the identity the scheduler talks to the apiserver with:
	// user system:kube-scheduler, bound to the ClusterRole system:kube-scheduler.
	ClientName = "system:kube-scheduler"
)

// Defaults of kube-scheduler v1.37 (pkg/scheduler/apis/config/v1/defaults.go,
// pkg/scheduler/scheduler.go, cmd/kube-scheduler/app/options).
const (
	DefaultParallelism                       int32 = 16
	DefaultPercentageOfNodesToScore          int32 = 0 // adaptive: 50 - nodes/125, at least 5%
	DefaultPodInitialBackoffSeconds          int64 = 1
	DefaultPodMaxBackoffSeconds              int64 = 10
	DefaultPodMaxInUnschedulablePodsDuration       = 5 * time.Minute
)

// Rand picks an index in [0, n). *math/rand/v2.Rand implements it; tests
// inject a seeded one so that ties between equally scored nodes are broken
// deterministically.
type Rand interface {
	IntN(n int) int
}

// Config configures the scheduler. Field names are those of upstream's
// KubeSchedulerConfiguration (and of the kube-scheduler flag for
// PodMaxInUnschedulablePodsDuration); the zero value of every field means
// upstream's default, so Config{} is valid.
type Config struct {
	// SchedulerName is profiles[0].schedulerName ("default-scheduler"): the
	// scheduler handles only pods whose spec.schedulerName equals it.
	SchedulerName string
	// Parallelism is parallelism (16): how many goroutines filter and score
	// nodes for one pod.
	Parallelism int32
	// PercentageOfNodesToScore is percentageOfNodesToScore (0 = adaptive:
	// 50 - nodes/125 percent, at least 5%, and never fewer than 100 nodes).
	// Once that many feasible nodes are found the search stops.
	PercentageOfNodesToScore int32
	// PodInitialBackoffSeconds is podInitialBackoffSeconds (1): the backoff of
	// a pod after its first failed attempt; it doubles with every attempt.
	PodInitialBackoffSeconds int64
	// PodMaxBackoffSeconds is podMaxBackoffSeconds (10): the cap of that backoff.
	PodMaxBackoffSeconds int64
	// PodMaxInUnschedulablePodsDuration is --pod-max-in-unschedulable-pods-duration
	// (5m): an unschedulable pod that no cluster event has moved is retried
	// after this long.
	PodMaxInUnschedulablePodsDuration time.Duration

	// Clock drives backoff, the unschedulable pool's flushes and the pod
	// condition timestamps. Default: the real clock.
	Clock clock.WithTicker
	// Rand breaks ties between the best-scored nodes. Default: a randomly
	// seeded generator. It is used by the scheduling goroutine only.
	Rand Rand
}

// DefaultConfig returns a Config with every field set to upstream's default,
// the real clock and a random tie breaker.
func DefaultConfig() Config {
	return Config{}.withDefaults()
}

// Validate checks the configuration; errors name the upstream field.
func (c Config) Validate() error {
	var errs []error
	if c.Parallelism < 0 {
		errs = append(errs, fmt.Errorf("parallelism: Invalid value: %d: should be an integer value greater than zero", c.Parallelism))
	}
	if c.PercentageOfNodesToScore < 0 || c.PercentageOfNodesToScore > 100 {
		errs = append(errs, fmt.Errorf("percentageOfNodesToScore: Invalid value: %d: not in valid range [0-100]", c.PercentageOfNodesToScore))
	}
	if c.PodInitialBackoffSeconds < 0 {
		errs = append(errs, fmt.Errorf("podInitialBackoffSeconds: Invalid value: %d: must be greater than 0", c.PodInitialBackoffSeconds))
	}
	if c.PodMaxBackoffSeconds < 0 {
		errs = append(errs, fmt.Errorf("podMaxBackoffSeconds: Invalid value: %d: must be greater than 0", c.PodMaxBackoffSeconds))
	}
	initial, maxB := c.PodInitialBackoffSeconds, c.PodMaxBackoffSeconds
	if initial == 0 {
		initial = DefaultPodInitialBackoffSeconds
	}
	if maxB == 0 {
		maxB = DefaultPodMaxBackoffSeconds
	}
	if maxB < initial {
		errs = append(errs, fmt.Errorf("podMaxBackoffSeconds: Invalid value: %d: must be greater than or equal to PodInitialBackoffSeconds", maxB))
	}
	if c.PodMaxInUnschedulablePodsDuration < 0 {
		errs = append(errs, fmt.Errorf("--pod-max-in-unschedulable-pods-duration: Invalid value: %v: must not be negative", c.PodMaxInUnschedulablePodsDuration))
	}
	return errors.Join(errs...)
}

func (c Config) withDefaults() Config {
	if c.SchedulerName == "" {
		c.SchedulerName = DefaultSchedulerName
	}
	if c.Parallelism == 0 {
		c.Parallelism = DefaultParallelism
	}
	if c.PodInitialBackoffSeconds == 0 {
		c.PodInitialBackoffSeconds = DefaultPodInitialBackoffSeconds
	}
	if c.PodMaxBackoffSeconds == 0 {
		c.PodMaxBackoffSeconds = DefaultPodMaxBackoffSeconds
	}
	if c.PodMaxInUnschedulablePodsDuration == 0 {
		c.PodMaxInUnschedulablePodsDuration = DefaultPodMaxInUnschedulablePodsDuration
	}
	if c.Clock == nil {
		c.Clock = clock.RealClock{}
	}
	if c.Rand == nil {
		c.Rand = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	return c
}
