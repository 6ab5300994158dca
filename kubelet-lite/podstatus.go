package kubeletlite

import (
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Condition reasons and messages (pkg/kubelet/status/generate.go,
// pkg/kubelet/types/constants.go).
const (
	reasonPodCompleted             = "PodCompleted"
	reasonPodFailed                = "PodFailed"
	reasonContainersNotReady       = "ContainersNotReady"
	reasonContainersNotInitialized = "ContainersNotInitialized"
	reasonReadinessGatesNotReady   = "ReadinessGatesNotReady"
	reasonPodSandboxNotReady       = "PodSandboxNotReady"
	messageNoPodSandbox            = "no pod sandbox exists"
	messageSandboxNotReady         = "pod sandbox is not ready"
)

// kubeletConditions are the pod conditions the kubelet owns; all others (e.g.
// DisruptionTarget) are kept as the API has them.
var kubeletConditions = map[corev1.PodConditionType]bool{
	corev1.PodReadyToStartContainers: true,
	corev1.PodInitialized:            true,
	corev1.ContainersReady:           true,
	corev1.PodReady:                  true,
	corev1.PodScheduled:              true,
}

// apiTime renders t as the API stores it (RFC 3339, whole seconds), so that a
// status we generate compares equal to the same status read back.
func apiTime(t time.Time) metav1.Time {
	return metav1.NewTime(t).Rfc3339Copy()
}

func isTerminalPhase(p corev1.PodPhase) bool {
	return p == corev1.PodSucceeded || p == corev1.PodFailed
}

func isRestartableInit(c *corev1.Container) bool {
	return c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways
}

func findStatus(statuses []corev1.ContainerStatus, name string) (corev1.ContainerStatus, bool) {
	for _, s := range statuses {
		if s.Name == name {
			return s, true
		}
	}
	return corev1.ContainerStatus{}, false
}

// shouldRestart is podutil.ContainerShouldRestart without per-container rules:
// the pod's restartPolicy decides.
func shouldRestart(policy corev1.RestartPolicy, exitCode int32) bool {
	return policy == corev1.RestartPolicyAlways || (policy == corev1.RestartPolicyOnFailure && exitCode != 0)
}

// computePhase ports getPhase (pkg/kubelet/kubelet_pods.go, ContainerRestartRules on).
func computePhase(pod *corev1.Pod, initStatuses, statuses []corev1.ContainerStatus, podIsTerminal bool) corev1.PodPhase {
	spec := &pod.Spec
	pendingRestartableInit, pendingRegularInit, failedInitNotRestartable := 0, 0, 0
	for i := range spec.InitContainers {
		c := &spec.InitContainers[i]
		if isRestartableInit(c) {
			continue
		}
		s, ok := findStatus(initStatuses, c.Name)
		switch {
		case !ok:
			pendingRegularInit++
		case s.State.Running != nil:
			pendingRegularInit++
		case s.State.Terminated != nil:
			if code := s.State.Terminated.ExitCode; code != 0 && !shouldRestart(spec.RestartPolicy, code) {
				failedInitNotRestartable++
			}
		case s.State.Waiting != nil:
			if s.LastTerminationState.Terminated != nil {
				if code := s.LastTerminationState.Terminated.ExitCode; code != 0 && !shouldRestart(spec.RestartPolicy, code) {
					failedInitNotRestartable++
				}
			} else {
				pendingRegularInit++
			}
		default:
			pendingRegularInit++
		}
	}
	unknown, running, waiting, stopped, stoppedNotRestartable, succeeded := 0, 0, 0, 0, 0, 0
	for i := range spec.InitContainers {
		c := &spec.InitContainers[i]
		if !isRestartableInit(c) {
			continue
		}
		s, ok := findStatus(initStatuses, c.Name)
		switch {
		case !ok:
			unknown++
		case s.State.Running != nil:
			if s.Started == nil || !*s.Started {
				pendingRestartableInit++
			}
			running++
		case s.State.Terminated != nil:
		case s.State.Waiting != nil:
			if s.LastTerminationState.Terminated == nil {
				pendingRestartableInit++
				waiting++
			}
		default:
			pendingRestartableInit++
			unknown++
		}
	}
	podHasInitialized := false
	for i := range spec.Containers {
		c := &spec.Containers[i]
		s, ok := findStatus(statuses, c.Name)
		if !ok {
			unknown++
			continue
		}
		if s.State.Running != nil || s.State.Terminated != nil || s.LastTerminationState.Terminated != nil {
			podHasInitialized = true
		}
		switch {
		case s.State.Running != nil:
			running++
		case s.State.Terminated != nil:
			stopped++
			code := s.State.Terminated.ExitCode
			if !shouldRestart(spec.RestartPolicy, code) {
				stoppedNotRestartable++
			}
			if code == 0 {
				succeeded++
			}
		case s.State.Waiting != nil:
			if s.LastTerminationState.Terminated != nil {
				stopped++
				if !shouldRestart(spec.RestartPolicy, s.LastTerminationState.Terminated.ExitCode) {
					stoppedNotRestartable++
				}
			} else {
				waiting++
			}
		default:
			unknown++
		}
	}
	if failedInitNotRestartable > 0 {
		return corev1.PodFailed
	}
	switch {
	case pendingRegularInit > 0 || (pendingRestartableInit > 0 && !podHasInitialized):
		return corev1.PodPending
	case waiting > 0:
		return corev1.PodPending
	case running > 0 && unknown == 0:
		return corev1.PodRunning
	case running == 0 && stopped > 0 && unknown == 0:
		if podIsTerminal {
			if stopped == succeeded {
				return corev1.PodSucceeded
			}
			return corev1.PodFailed
		}
		if stopped != stoppedNotRestartable {
			return corev1.PodRunning
		}
		if stopped == succeeded {
			return corev1.PodSucceeded
		}
		return corev1.PodFailed
	default:
		return corev1.PodPending
	}
}

// podConditions computes the kubelet-owned conditions (without transition
// times) as status/generate.go does.
func podConditions(pod *corev1.Pod, initStatuses, statuses []corev1.ContainerStatus, phase corev1.PodPhase, sandboxReady, sandboxEverCreated bool) []corev1.PodCondition {
	var conds []corev1.PodCondition
	if sandboxReady {
		conds = append(conds, corev1.PodCondition{Type: corev1.PodReadyToStartContainers, Status: corev1.ConditionTrue})
	} else {
		msg := messageNoPodSandbox
		if sandboxEverCreated {
			msg = messageSandboxNotReady
		}
		conds = append(conds, corev1.PodCondition{Type: corev1.PodReadyToStartContainers, Status: corev1.ConditionFalse, Reason: reasonPodSandboxNotReady, Message: msg})
	}
	conds = append(conds, initializedCondition(pod, initStatuses, statuses, phase))
	containersReady := containersReadyCondition(pod, initStatuses, statuses, phase)
	conds = append(conds, readyCondition(pod, containersReady), containersReady)
	conds = append(conds, corev1.PodCondition{Type: corev1.PodScheduled, Status: corev1.ConditionTrue})
	return conds
}

func initializedCondition(pod *corev1.Pod, initStatuses, statuses []corev1.ContainerStatus, phase corev1.PodPhase) corev1.PodCondition {
	var unknown, incomplete []string
	for i := range pod.Spec.InitContainers {
		c := &pod.Spec.InitContainers[i]
		s, ok := findStatus(initStatuses, c.Name)
		if !ok {
			unknown = append(unknown, c.Name)
			continue
		}
		if isRestartableInit(c) {
			if s.Started == nil || !*s.Started {
				incomplete = append(incomplete, c.Name)
			}
		} else if !s.Ready {
			incomplete = append(incomplete, c.Name)
		}
	}
	if phase == corev1.PodSucceeded && len(unknown) == 0 {
		return corev1.PodCondition{Type: corev1.PodInitialized, Status: corev1.ConditionTrue, Reason: reasonPodCompleted}
	}
	for _, s := range statuses {
		// A regular container that has run proves the pod initialized, even
		// while restartable init containers restart
		// (kubecontainer.HasAnyRegularContainerStarted).
		if s.State.Running != nil || s.State.Terminated != nil {
			return corev1.PodCondition{Type: corev1.PodInitialized, Status: corev1.ConditionTrue}
		}
	}
	var msgs []string
	if len(unknown) > 0 {
		msgs = append(msgs, fmt.Sprintf("containers with unknown status: %s", unknown))
	}
	if len(incomplete) > 0 {
		msgs = append(msgs, fmt.Sprintf("containers with incomplete status: %s", incomplete))
	}
	if len(msgs) > 0 {
		return corev1.PodCondition{Type: corev1.PodInitialized, Status: corev1.ConditionFalse, Reason: reasonContainersNotInitialized, Message: strings.Join(msgs, ", ")}
	}
	return corev1.PodCondition{Type: corev1.PodInitialized, Status: corev1.ConditionTrue}
}

func containersReadyCondition(pod *corev1.Pod, initStatuses, statuses []corev1.ContainerStatus, phase corev1.PodPhase) corev1.PodCondition {
	var unknown, unready []string
	for i := range pod.Spec.InitContainers {
		c := &pod.Spec.InitContainers[i]
		if !isRestartableInit(c) {
			continue
		}
		if s, ok := findStatus(initStatuses, c.Name); !ok {
			unknown = append(unknown, c.Name)
		} else if !s.Ready {
			unready = append(unready, c.Name)
		}
	}
	for i := range pod.Spec.Containers {
		c := &pod.Spec.Containers[i]
		if s, ok := findStatus(statuses, c.Name); !ok {
			unknown = append(unknown, c.Name)
		} else if !s.Ready {
			unready = append(unready, c.Name)
		}
	}
	switch {
	case phase == corev1.PodSucceeded && len(unknown) == 0:
		return corev1.PodCondition{Type: corev1.ContainersReady, Status: corev1.ConditionFalse, Reason: reasonPodCompleted}
	case phase == corev1.PodFailed:
		return corev1.PodCondition{Type: corev1.ContainersReady, Status: corev1.ConditionFalse, Reason: reasonPodFailed}
	}
	var msgs []string
	if len(unknown) > 0 {
		msgs = append(msgs, fmt.Sprintf("containers with unknown status: %s", unknown))
	}
	if len(unready) > 0 {
		msgs = append(msgs, fmt.Sprintf("containers with unready status: %s", unready))
	}
	if len(msgs) > 0 {
		return corev1.PodCondition{Type: corev1.ContainersReady, Status: corev1.ConditionFalse, Reason: reasonContainersNotReady, Message: strings.Join(msgs, ", ")}
	}
	return corev1.PodCondition{Type: corev1.ContainersReady, Status: corev1.ConditionTrue}
}

func readyCondition(pod *corev1.Pod, containersReady corev1.PodCondition) corev1.PodCondition {
	if containersReady.Status != corev1.ConditionTrue {
		return corev1.PodCondition{Type: corev1.PodReady, Status: containersReady.Status, Reason: containersReady.Reason, Message: containersReady.Message}
	}
	var msgs []string
	for _, rg := range pod.Spec.ReadinessGates {
		var found *corev1.PodCondition
		for i := range pod.Status.Conditions {
			if pod.Status.Conditions[i].Type == rg.ConditionType {
				found = &pod.Status.Conditions[i]
			}
		}
		switch {
		case found == nil:
			msgs = append(msgs, fmt.Sprintf("corresponding condition of pod readiness gate %q does not exist.", string(rg.ConditionType)))
		case found.Status != corev1.ConditionTrue:
			msgs = append(msgs, fmt.Sprintf("the status of pod readiness gate %q is not \"True\", but %v", string(rg.ConditionType), found.Status))
		}
	}
	if len(msgs) > 0 {
		return corev1.PodCondition{Type: corev1.PodReady, Status: corev1.ConditionFalse, Reason: reasonReadinessGatesNotReady, Message: strings.Join(msgs, ", ")}
	}
	return corev1.PodCondition{Type: corev1.PodReady, Status: corev1.ConditionTrue}
}

// podQOS returns the QoS class the API has, or computes it as the apiserver
// does (pkg/apis/core/v1/helper/qos) when it is missing.
func podQOS(pod *corev1.Pod) corev1.PodQOSClass {
	if pod.Status.QOSClass != "" {
		return pod.Status.QOSClass
	}
	if pod.Spec.Resources != nil && (len(pod.Spec.Resources.Requests) > 0 || len(pod.Spec.Resources.Limits) > 0) {
		return requirementsQOS(pod.Spec.Resources)
	}
	var qos corev1.PodQOSClass
	containers := append(append([]corev1.Container(nil), pod.Spec.InitContainers...), pod.Spec.Containers...)
	for i := range containers {
		cq := requirementsQOS(&containers[i].Resources)
		switch {
		case cq == corev1.PodQOSBurstable:
			return cq
		case qos == "":
			qos = cq
		case qos != cq:
			return corev1.PodQOSBurstable
		}
	}
	if qos == "" {
		qos = corev1.PodQOSBestEffort
	}
	return qos
}

func requirementsQOS(r *corev1.ResourceRequirements) corev1.PodQOSClass {
	if len(r.Requests) == 0 && len(r.Limits) == 0 {
		return corev1.PodQOSBestEffort
	}
	var qos corev1.PodQOSClass
	for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		req, lim := r.Requests[name], r.Limits[name]
		var rq corev1.PodQOSClass
		switch {
		case !req.Equal(lim):
			return corev1.PodQOSBurstable
		case req.IsZero():
			rq = corev1.PodQOSBestEffort
		default:
			rq = corev1.PodQOSGuaranteed
		}
		if qos == "" {
			qos = rq
		} else if qos != rq {
			return corev1.PodQOSBurstable
		}
	}
	return qos
}

// podStatusEqual compares statuses as the API would store them: condition
// order does not matter.
func podStatusEqual(a, b *corev1.PodStatus) bool {
	return apiequality.Semantic.DeepEqual(normalizePodStatus(a), normalizePodStatus(b))
}

func normalizePodStatus(s *corev1.PodStatus) *corev1.PodStatus {
	c := s.DeepCopy()
	sort.SliceStable(c.Conditions, func(i, j int) bool { return c.Conditions[i].Type < c.Conditions[j].Type })
	if len(c.Conditions) == 0 {
		c.Conditions = nil
	}
	if len(c.ContainerStatuses) == 0 {
		c.ContainerStatuses = nil
	}
	if len(c.InitContainerStatuses) == 0 {
		c.InitContainerStatuses = nil
	}
	if len(c.HostIPs) == 0 {
		c.HostIPs = nil
	}
	if len(c.PodIPs) == 0 {
		c.PodIPs = nil
	}
	return c
}
