package kubeletlite

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// The simulated runtime: every container is a small state machine whose
// transitions happen at computed instants (start + run duration, start + ready
// delay, exit + back-off, stop request + stop duration). The kubelet loop asks
// for the earliest instant and sleeps until then on the injected clock, so no
// container needs a goroutine or a timer of its own, and a fake clock stepped
// by an hour replays every transition in that hour with exact timestamps.

// Upstream strings (pkg/kubelet/kubelet_pods.go, kuberuntime, container).
const (
	reasonPodInitializing   = "PodInitializing"
	reasonContainerCreating = "ContainerCreating"
	reasonCrashLoopBackOff  = "CrashLoopBackOff"
	reasonCompleted         = "Completed"
	reasonError             = "Error"
	reasonStatusUnknown     = "ContainerStatusUnknown"
	messageStatusUnknown    = "The container could not be located when the pod was terminated"

	// exitCodeKilled is what a runtime reports for SIGKILL (128+9).
	exitCodeKilled int32 = 137

	// Crash-loop back-off: 10 s doubling to 5 min, forgotten after a
	// container ran 2x the maximum (pkg/kubelet/kubelet.go, flowcontrol.Backoff).
	crashBackoffInitial = 10 * time.Second
	crashBackoffMax     = 300 * time.Second

	// maxTransitionsPerPass bounds the replay of one pod's transitions in a
	// pass, so a zero-duration crash loop cannot spin the loop.
	maxTransitionsPerPass = 10000
)

type containerKind int

const (
	kindInit    containerKind = iota // regular init container
	kindSidecar                      // init container with restartPolicy Always
	kindRegular
)

type containerState int

const (
	stateWaiting containerState = iota
	stateRunning
	stateTerminated
)

type termination struct {
	exitCode    int32
	reason      string
	message     string
	startedAt   time.Time
	finishedAt  time.Time
	containerID string
}

func (t *termination) api() *corev1.ContainerStateTerminated {
	if t == nil {
		return nil
	}
	s := &corev1.ContainerStateTerminated{
		ExitCode:    t.exitCode,
		Reason:      t.reason,
		Message:     t.message,
		ContainerID: t.containerID,
	}
	if !t.startedAt.IsZero() {
		s.StartedAt = apiTime(t.startedAt)
	}
	if !t.finishedAt.IsZero() {
		s.FinishedAt = apiTime(t.finishedAt)
	}
	return s
}

type simContainer struct {
	name  string
	image string
	kind  containerKind
	behaviour

	state          containerState
	waitingReason  string
	waitingMessage string
	everStarted    bool
	startedAt      time.Time
	ready          bool
	containerID    string
	restartCount   int32
	term           *termination // current state when terminated
	last           *termination // lastTerminationState

	// Pending transitions; zero means none.
	readyAt   time.Time
	exitAt    time.Time
	restartAt time.Time
	stopAt    time.Time
	stopTerm  termination // how the pending stop ends

	backoff        time.Duration
	backoffUpdated time.Time

	// Process runtime only (see process.go): the running process, how the
	// pending exit ends when it is not a plain exit (StartError), and the log
	// file of the current run.
	proc        *procContainer
	exitReason  string
	exitMessage string
	logPath     string
}

func (c *simContainer) fieldPath() string {
	if c.kind == kindRegular {
		return fmt.Sprintf("spec.containers{%s}", c.name)
	}
	return fmt.Sprintf("spec.initContainers{%s}", c.name)
}

// nextAt is the earliest pending transition of the container.
func (c *simContainer) nextAt() time.Time {
	var next time.Time
	for _, t := range []time.Time{c.readyAt, c.exitAt, c.restartAt, c.stopAt} {
		if !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	return next
}

// apiStatus renders the container as the kubelet reports it.
func (c *simContainer) apiStatus() corev1.ContainerStatus {
	started := c.state == stateRunning
	s := corev1.ContainerStatus{
		Name:         c.name,
		Image:        c.image,
		RestartCount: c.restartCount,
		Ready:        c.ready,
		Started:      &started,
	}
	if c.everStarted {
		s.ImageID = imageID(c.image)
	}
	switch c.state {
	case stateWaiting:
		s.State.Waiting = &corev1.ContainerStateWaiting{Reason: c.waitingReason, Message: c.waitingMessage}
	case stateRunning:
		s.State.Running = &corev1.ContainerStateRunning{StartedAt: apiTime(c.startedAt)}
		s.ContainerID = c.containerID
	case stateTerminated:
		s.State.Terminated = c.term.api()
		s.ContainerID = c.term.containerID
	}
	s.LastTerminationState.Terminated = c.last.api()
	return s
}

func imageID(image string) string {
	sum := sha256.Sum256([]byte(image))
	return RuntimeType + "://sha256:" + hex.EncodeToString(sum[:])
}

func newContainerID(uid types.UID, name string, attempt int32) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("%s/%s/%d", uid, name, attempt)))
	return RuntimeType + "://" + hex.EncodeToString(sum[:])
}

// start runs (or re-runs) the container at t.
func (w *podWorker) start(c *simContainer, t time.Time) {
	if w.m.k.processRuntime() && !w.canStartProcess(c) {
		return
	}
	if c.everStarted {
		c.restartCount++
	}
	c.state = stateRunning
	c.everStarted = true
	c.startedAt = t
	c.waitingReason, c.waitingMessage = "", ""
	c.term = nil
	c.containerID = newContainerID(w.uid, c.name, c.restartCount)
	c.restartAt = time.Time{}
	// A running regular init container is never "ready"; others are ready
	// once their (simulated) readiness probe passes.
	c.ready = c.kind != kindInit && c.readyDelay == 0
	c.readyAt = time.Time{}
	if c.kind != kindInit && c.readyDelay > 0 {
		c.readyAt = t.Add(c.readyDelay)
	}
	c.exitAt = time.Time{}
	if !c.runsForever {
		c.exitAt = t.Add(c.runFor)
	}
	if w.m.k.processRuntime() {
		w.startProcess(c, t)
	}
	w.m.k.logs.started(w.key, w.uid, w.pod, c, t)
	w.containerEvent(c, corev1.EventTypeNormal, "Created", "Container created")
	w.containerEvent(c, corev1.EventTypeNormal, "Started", "Container started")
}

// terminate records that the container's process ended at t.
func (w *podWorker) terminate(c *simContainer, t time.Time, code int32, reason, message string) {
	if c.proc != nil {
		// Whatever ends the container ends its process group too.
		c.proc.kill()
		c.proc = nil
		w.m.k.procs.set(w.uid, c.name, nil)
	}
	c.exitReason, c.exitMessage = "", ""
	c.term = &termination{exitCode: code, reason: reason, message: message, startedAt: c.startedAt, finishedAt: t, containerID: c.containerID}
	w.m.k.logs.finished(w.key, w.uid, c.name, c.containerID, t)
	c.state = stateTerminated
	// Upstream reports a regular init container that succeeded as ready.
	c.ready = c.kind == kindInit && code == 0
	c.readyAt, c.exitAt, c.stopAt = time.Time{}, time.Time{}, time.Time{}
}

func exitReason(code int32) string {
	if code == 0 {
		return reasonCompleted
	}
	return reasonError
}

// step applies the earliest transition due at or before now; false if none.
func (w *podWorker) step(now time.Time) bool {
	var due *simContainer
	var at time.Time
	for _, c := range w.all() {
		if t := c.nextAt(); !t.IsZero() && !t.After(now) && (due == nil || t.Before(at)) {
			due, at = c, t
		}
	}
	if due == nil {
		return false
	}
	c := due
	// Several transitions of one container can fall on the same instant;
	// a stop or an exit ends the others.
	switch {
	case !c.stopAt.IsZero() && c.stopAt.Equal(at) && c.proc != nil:
		// The grace period is over: SIGKILL, and the exit is what the
		// process reports.
		w.killAfterGrace(c, at)
	case !c.stopAt.IsZero() && c.stopAt.Equal(at):
		st := c.stopTerm
		w.terminate(c, at, st.exitCode, st.reason, st.message)
		w.finishTerminationIfStopped(at)
	case !c.exitAt.IsZero() && c.exitAt.Equal(at):
		reason, message := exitReason(c.exitCode), ""
		if c.exitReason != "" {
			reason, message = c.exitReason, c.exitMessage
		}
		w.terminate(c, at, c.exitCode, reason, message)
		if w.terminating {
			// Only processes exit while the pod terminates: one that obeyed
			// SIGTERM.
			w.finishTerminationIfStopped(at)
		} else {
			w.containerExited(c, at)
		}
	case !c.readyAt.IsZero() && c.readyAt.Equal(at):
		c.ready = true
		c.readyAt = time.Time{}
	default: // restartAt
		w.nextBackoff(c, c.last.finishedAt)
		w.start(c, at)
	}
	return true
}

// containerExited decides what follows an exit the container chose itself.
func (w *podWorker) containerExited(c *simContainer, t time.Time) {
	if w.terminating || w.terminal {
		return
	}
	policy := w.pod.Spec.RestartPolicy
	switch c.kind {
	case kindInit:
		switch {
		case c.term.exitCode == 0:
			w.nextInit++
			w.startInits(t)
		case policy == corev1.RestartPolicyNever:
			w.complete(t)
		default:
			w.restartLater(c, t)
		}
	case kindSidecar:
		w.restartLater(c, t)
	case kindRegular:
		if policy == corev1.RestartPolicyAlways || (policy == corev1.RestartPolicyOnFailure && c.term.exitCode != 0) {
			w.restartLater(c, t)
		}
		if w.regularContainersDone() {
			w.complete(t)
		}
	}
}

// restartLater restarts c now or after its crash-loop back-off, as
// kuberuntime's doBackOff does: the first restart is immediate, later ones
// wait 10 s, 20 s, ... up to 5 min after the exit.
func (w *podWorker) restartLater(c *simContainer, t time.Time) {
	inBackoff := c.backoff > 0 && t.Sub(c.backoffUpdated) <= 2*w.m.k.cfg.CrashLoopBackOffMax
	c.last = c.term
	if !inBackoff {
		w.nextBackoff(c, t)
		w.start(c, t)
		return
	}
	c.term = nil
	c.state = stateWaiting
	c.ready = false
	c.waitingReason = reasonCrashLoopBackOff
	c.waitingMessage = fmt.Sprintf("back-off %s restarting failed container=%s pod=%s_%s(%s)", c.backoff, c.name, w.pod.Name, w.pod.Namespace, w.uid)
	c.restartAt = t.Add(c.backoff)
	w.containerEvent(c, corev1.EventTypeWarning, "BackOff", "Back-off restarting failed container %s in pod %s_%s(%s)", c.name, w.pod.Name, w.pod.Namespace, w.uid)
}

// nextBackoff is flowcontrol.Backoff.Next for the container.
func (w *podWorker) nextBackoff(c *simContainer, eventTime time.Time) {
	initial, maxBackoff := w.m.k.cfg.CrashLoopBackOffInitial, w.m.k.cfg.CrashLoopBackOffMax
	if c.backoff == 0 || eventTime.Sub(c.backoffUpdated) > 2*maxBackoff {
		c.backoff = initial
	} else {
		c.backoff = min(2*c.backoff, maxBackoff)
	}
	c.backoffUpdated = eventTime
}

// startInits starts init containers in order from nextInit: a sidecar is
// started and the sequence goes on, a regular init container must complete
// first. When all are through, the regular containers start together.
func (w *podWorker) startInits(t time.Time) {
	for w.nextInit < len(w.inits) {
		c := w.inits[w.nextInit]
		if c.kind == kindSidecar {
			if c.state != stateRunning {
				w.start(c, t)
			}
			w.nextInit++
			continue
		}
		if c.state != stateRunning {
			w.start(c, t)
		}
		return
	}
	w.initialized = true
	for _, c := range w.containers {
		w.start(c, t)
	}
}

// regularContainersDone reports that every regular container has exited for
// good under the restart policy: the moment upstream stops the sidecars and
// the pod reaches its terminal phase.
func (w *podWorker) regularContainersDone() bool {
	for _, c := range w.containers {
		if c.state != stateTerminated || shouldRestart(w.pod.Spec.RestartPolicy, c.term.exitCode) {
			return false
		}
	}
	return true
}

// complete ends a pod whose containers finished on their own: sidecars are
// stopped and the sandbox torn down.
func (w *podWorker) complete(t time.Time) {
	for _, c := range w.inits {
		if c.kind == kindSidecar && c.state == stateRunning {
			w.terminate(c, t, 0, reasonCompleted, "")
		}
		c.restartAt = time.Time{}
	}
	w.finish(t, computePhase(w.pod, w.initStatuses(), w.containerStatuses(), true))
}

// beginTermination asks every container to stop: gracefully within the grace
// period if the simulated process stops in time, else killed (137) at its end.
func (w *podWorker) beginTermination(t time.Time, gracePeriod time.Duration) {
	if w.terminating || w.terminal {
		return
	}
	w.terminating = true
	for _, c := range w.all() {
		c.restartAt, c.exitAt, c.readyAt = time.Time{}, time.Time{}, time.Time{}
		if c.state != stateRunning {
			continue
		}
		w.containerEvent(c, corev1.EventTypeNormal, "Killing", "Stopping container %s", c.name)
		if c.proc != nil {
			// SIGTERM now, SIGKILL when the grace period is over.
			c.proc.signal(sigTerm)
			c.stopAt = t.Add(gracePeriod)
			continue
		}
		if c.stopDuration <= gracePeriod {
			c.stopAt = t.Add(c.stopDuration)
			c.stopTerm = termination{exitCode: 0, reason: reasonCompleted}
		} else {
			c.stopAt = t.Add(gracePeriod)
			c.stopTerm = termination{exitCode: exitCodeKilled, reason: reasonError}
		}
	}
	w.finishTerminationIfStopped(t)
}

// finishTerminationIfStopped completes a termination once nothing runs,
// filling in containers that never ran as TerminatePod does.
func (w *podWorker) finishTerminationIfStopped(t time.Time) {
	if !w.terminating || w.terminal {
		return
	}
	for _, c := range w.all() {
		if c.state == stateRunning {
			return
		}
	}
	initialized := len(w.inits) == 0
	for _, c := range w.containers {
		initialized = initialized || c.everStarted
	}
	for _, c := range w.all() {
		if c.state == stateTerminated {
			continue
		}
		// Once initialized, a container that is not terminated is reported
		// failed; init containers only if they had run before.
		if (c.kind == kindRegular && initialized) || (c.kind != kindRegular && c.everStarted) {
			c.term = &termination{exitCode: exitCodeKilled, reason: reasonStatusUnknown, message: messageStatusUnknown}
			c.state = stateTerminated
			c.ready = false
		}
	}
	phase := computePhase(w.pod, w.initStatuses(), w.containerStatuses(), true)
	if !isTerminalPhase(phase) {
		phase = corev1.PodFailed
	}
	w.finish(t, phase)
}

func (w *podWorker) finish(t time.Time, phase corev1.PodPhase) {
	if isTerminalPhase(w.pod.Status.Phase) {
		// A terminal phase in the API is never changed.
		phase = w.pod.Status.Phase
	}
	w.terminal = true
	w.phase = phase
	w.sandboxReady = false
	w.finishedAt = t
	for _, c := range w.all() {
		c.restartAt, c.exitAt, c.readyAt, c.stopAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	}
	w.m.releaseIPs(w)
}

func (w *podWorker) containerEvent(c *simContainer, eventType, reason, messageFmt string, args ...any) {
	if w.m.k.recorder == nil {
		return
	}
	ref := &corev1.ObjectReference{
		Kind: "Pod", APIVersion: "v1", Namespace: w.pod.Namespace, Name: w.pod.Name, UID: w.uid,
		ResourceVersion: w.pod.ResourceVersion, FieldPath: c.fieldPath(),
	}
	w.m.k.event(ref, eventType, reason, messageFmt, args...)
}
