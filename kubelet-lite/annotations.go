package kubeletlite

import (
	"fmt"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// Pod annotations that drive the simulated runtime (see doc.go). Each also
// exists per container as "<key>.<container name>", which wins over the pod-wide
// value.
const (
	// AnnotationRunDuration: how long a container runs before it exits (Go
	// duration, e.g. "30s"). Unset: regular containers and sidecars run until
	// stopped; regular init containers complete at once.
	AnnotationRunDuration = "k1s.dev/run-duration"
	// AnnotationExitCode: the exit code a container ends with (0-255, default
	// 0). Set without a run duration, the container exits as soon as it starts.
	AnnotationExitCode = "k1s.dev/exit-code"
	// AnnotationReadyDelay: time between a container starting and turning
	// ready, as if a readiness probe only passed then (default 0).
	AnnotationReadyDelay = "k1s.dev/ready-delay"
	// AnnotationStopDuration: how long a container takes to stop after it is
	// asked to (SIGTERM). Default 0. Longer than the grace period: it is
	// killed at the end of the grace period with exit code 137.
	AnnotationStopDuration = "k1s.dev/stop-duration"
)

// behaviour is what the annotations say one container does.
type behaviour struct {
	runFor       time.Duration
	runsForever  bool
	exitCode     int32
	readyDelay   time.Duration
	stopDuration time.Duration
}

// containerBehaviour resolves the annotations for one container. Pod-wide run
// duration and exit code apply to regular containers only: init containers
// and sidecars are configured per container, so that "this pod's app exits
// with 1" does not also fail its init containers.
func containerBehaviour(pod *corev1.Pod, name string, kind containerKind) (behaviour, []error) {
	var errs []error
	lookup := func(key string, podWide bool) (string, bool) {
		if v, ok := pod.Annotations[key+"."+name]; ok {
			return v, true
		}
		if podWide {
			v, ok := pod.Annotations[key]
			return v, ok
		}
		return "", false
	}
	duration := func(key string, podWide bool) (time.Duration, bool) {
		v, ok := lookup(key, podWide)
		if !ok {
			return 0, false
		}
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			errs = append(errs, fmt.Errorf("annotation %s on container %q: %q is not a non-negative duration", key, name, v))
			return 0, false
		}
		return d, true
	}
	regular := kind == kindRegular
	var b behaviour
	runFor, hasRun := duration(AnnotationRunDuration, regular)
	if v, ok := lookup(AnnotationExitCode, regular); ok {
		code, err := strconv.ParseInt(v, 10, 32)
		if err != nil || code < 0 || code > 255 {
			errs = append(errs, fmt.Errorf("annotation %s on container %q: %q is not an exit code 0-255", AnnotationExitCode, name, v))
		} else {
			b.exitCode = int32(code)
			if !hasRun {
				// An exit code alone means "exit right away", handy for
				// crash-loop demos.
				hasRun = true
			}
		}
	}
	switch {
	case hasRun:
		b.runFor = runFor
	case kind == kindInit:
		b.runFor = 0
	default:
		b.runsForever = true
	}
	b.readyDelay, _ = duration(AnnotationReadyDelay, true)
	b.stopDuration, _ = duration(AnnotationStopDuration, true)
	return b, errs
}
