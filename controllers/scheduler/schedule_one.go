package scheduler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/klog/v2"
)

// scheduleOne runs one scheduling cycle: pop a pod, filter and score the
// nodes, assume the pod on the best one, and bind it asynchronously so that
// the next cycle does not wait for the apiserver. It returns false once the
// queue is closed.
func (s *Scheduler) scheduleOne(ctx context.Context) bool {
	qp, pod := s.queue.Pop()
	if qp == nil {
		return false
	}
	logger := klog.FromContext(ctx)
	if pod.DeletionTimestamp != nil {
		// skipPodSchedule: the pod is going away; scheduling it is wasted.
		s.queue.Done(pod.UID)
		return true
	}
	logger.V(3).Info("Attempting to schedule pod", "pod", klog.KObj(pod))

	s.cache.mu.RLock()
	result, err := s.algo.schedulePod(ctx, pod)
	s.cache.mu.RUnlock()
	if err != nil {
		s.handleFailure(ctx, pod, err)
		return true
	}

	// Assume: count the pod on its node now, so that the next cycle sees the
	// resources taken though the binding is still in flight.
	assumed := pod.DeepCopy()
	assumed.Spec.NodeName = result.node
	if err := s.cache.AssumePod(assumed, result.node); err != nil {
		s.handleFailure(ctx, pod, err)
		return true
	}
	s.queue.Done(pod.UID)
	s.async.Go(func() { s.bindingCycle(ctx, qp, pod, assumed, result) })
	return true
}

// maxAPICallsInFlight bounds the bindings and status updates the scheduler's
// goroutines have in flight. Upstream bounds them only by its client's QPS
// (--kube-api-qps, 50 by default); k1s's component clients are not throttled,
// and with thousands of pods assumed in a burst, unbounded goroutines would
// each open a stream. Past the apiserver's 100 streams per HTTP/2 connection,
// client-go dials a new connection per waiting request, which exhausts file
// descriptors under load. 64 leaves room on the connection for the watches.
const maxAPICallsInFlight = 64

// withAPISlot runs call once fewer than maxAPICallsInFlight calls are in
// flight, or returns ctx's error if ctx ends first.
func (s *Scheduler) withAPISlot(ctx context.Context, call func() error) error {
	select {
	case s.apiSlots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-s.apiSlots }()
	return call()
}

func (s *Scheduler) bindingCycle(ctx context.Context, qp *queuedPod, pod, assumed *corev1.Pod, result scheduleResult) {
	logger := klog.FromContext(ctx)
	err := s.withAPISlot(ctx, func() error { return s.bind(ctx, assumed, result.node) })
	if err != nil && ctx.Err() != nil {
		// Shutting down: bindings still waiting for a slot are dropped quietly; there
		// is no queue to return them to and no one to tell.
		s.cache.ForgetPod(assumed)
		return
	}
	if err != nil {
		logger.V(1).Info("Failed to bind pod", "pod", klog.KObj(assumed), "err", err)
		// Forget the assumption: the node's resources are free again, which
		// may help other unschedulable pods (not this one, which backs off).
		s.cache.ForgetPod(assumed)
		s.queue.MoveAllToActiveOrBackoff(eventAssignedPodDelete, func(p *corev1.Pod) bool { return p.UID == assumed.UID })
		s.queue.Readd(qp)
		s.handleFailure(ctx, pod, err)
		return
	}
	logger.V(2).Info("Successfully bound pod to node", "pod", klog.KObj(assumed), "node", result.node,
		"evaluatedNodes", result.evaluatedNodes, "feasibleNodes", result.feasibleNodes)
	s.recorder.Eventf(assumed, corev1.EventTypeNormal, EventScheduled, "Successfully assigned %v/%v to %v", assumed.Namespace, assumed.Name, result.node)
}

// bindPod is the DefaultBinder: POST pods/<name>/binding, with the pod's UID
// so that a pod deleted and recreated under the same name is not bound by
// mistake.
func (s *Scheduler) bindPod(ctx context.Context, pod *corev1.Pod, node string) error {
	logger := klog.FromContext(ctx)
	logger.V(3).Info("Attempting to bind pod to node", "pod", klog.KObj(pod), "node", klog.KRef("", node))
	binding := &corev1.Binding{
		ObjectMeta: metav1.ObjectMeta{Namespace: pod.Namespace, Name: pod.Name, UID: pod.UID},
		Target:     corev1.ObjectReference{Kind: "Node", Name: node},
	}
	return s.client.CoreV1().Pods(pod.Namespace).Bind(ctx, binding, metav1.CreateOptions{})
}

// handleFailure is upstream's handleSchedulingFailure: requeue the pod (to
// the unschedulable pool, or to backoff after an error), record
// FailedScheduling, and set PodScheduled=False on the pod.
func (s *Scheduler) handleFailure(ctx context.Context, pod *corev1.Pod, err error) {
	logger := klog.FromContext(ctx)
	reason := corev1.PodReasonSchedulerError
	isError := true
	var plugins sets.Set[string]
	var fitErr *FitError
	switch {
	case errors.Is(err, ErrNoNodesAvailable):
		reason, isError = corev1.PodReasonUnschedulable, false
		logger.V(2).Info("Unable to schedule pod; no nodes are registered to the cluster; waiting", "pod", klog.KObj(pod))
	case errors.As(err, &fitErr):
		reason, isError = corev1.PodReasonUnschedulable, false
		// PostFilter: DefaultPreemption, which finds no victims (see
		// preemptionMessage).
		fitErr.diagnosis.postFilterMsg = preemptionMessage(pod, fitErr.NumAllNodes, &fitErr.diagnosis)
		plugins = fitErr.diagnosis.unschedulablePlugins
		logger.V(2).Info("Unable to schedule pod; no fit; waiting", "pod", klog.KObj(pod), "err", fitErr.Error())
	default:
		utilruntime.HandleErrorWithContext(ctx, err, "Error scheduling pod; retrying", "pod", klog.KObj(pod))
	}
	msg := err.Error()

	cached, getErr := s.podLister.Pods(pod.Namespace).Get(pod.Name)
	switch {
	case getErr != nil:
		logger.Info("Pod doesn't exist in informer cache", "pod", klog.KObj(pod), "err", getErr)
		s.queue.Delete(pod.UID)
		return
	case cached.UID != pod.UID:
		logger.V(2).Info("Pod was recreated while handling scheduling failure. Skip requeueing and status updates.", "pod", klog.KObj(pod), "oldUID", pod.UID, "newUID", cached.UID)
		s.queue.Delete(pod.UID)
		return
	case cached.Spec.NodeName != "":
		logger.Info("Pod has been assigned to node. Abort adding it back to queue.", "pod", klog.KObj(pod), "node", cached.Spec.NodeName)
		s.queue.Delete(pod.UID)
	default:
		s.queue.AddUnschedulable(cached, plugins, isError)
	}

	s.recorder.Event(cached, corev1.EventTypeWarning, EventFailedScheduling, truncateMessage(msg))
	cond := corev1.PodCondition{
		Type:               corev1.PodScheduled,
		ObservedGeneration: cached.Generation,
		Status:             corev1.ConditionFalse,
		Reason:             reason,
		Message:            msg,
	}
	s.async.Go(func() {
		if err := s.withAPISlot(ctx, func() error { return s.updatePodCondition(ctx, cached, cond) }); err != nil {
			utilruntime.HandleErrorWithContext(ctx, err, "Error updating pod", "pod", klog.KObj(cached))
		}
	})
}

func truncateMessage(message string) string {
	if len(message) <= noteLengthLimit {
		return message
	}
	const suffix = " ..."
	return message[:noteLengthLimit-len(suffix)] + suffix
}

// updatePodCondition sets cond on the pod's status, and clears its nominated
// node, with a strategic-merge PATCH of pods/status, unless nothing changes
// (podutil.UpdatePodCondition semantics: the transition time moves only when
// the status does).
func (s *Scheduler) updatePodCondition(ctx context.Context, pod *corev1.Pod, cond corev1.PodCondition) error {
	cond.LastTransitionTime = metav1.NewTime(s.clock.Now())
	clearNominated := pod.Status.NominatedNodeName != ""
	for i := range pod.Status.Conditions {
		old := &pod.Status.Conditions[i]
		if old.Type != cond.Type {
			continue
		}
		if old.Status == cond.Status {
			cond.LastTransitionTime = old.LastTransitionTime
		}
		unchanged := old.Status == cond.Status && old.Reason == cond.Reason && old.Message == cond.Message &&
			old.LastProbeTime.Equal(&cond.LastProbeTime) && old.ObservedGeneration == cond.ObservedGeneration
		if unchanged && !clearNominated {
			return nil
		}
		break
	}
	status := map[string]any{"conditions": []corev1.PodCondition{cond}}
	if clearNominated {
		status["nominatedNodeName"] = nil
	}
	patch, err := json.Marshal(map[string]any{"status": status})
	if err != nil {
		return fmt.Errorf("encoding pod status patch: %w", err)
	}
	klog.FromContext(ctx).V(3).Info("Updating pod condition", "pod", klog.KObj(pod), "conditionType", cond.Type, "conditionStatus", cond.Status, "conditionReason", cond.Reason)
	if _, err := s.client.CoreV1().Pods(pod.Namespace).Patch(ctx, pod.Name, types.StrategicMergePatchType, patch, metav1.PatchOptions{}, "status"); err != nil {
		return fmt.Errorf("patching status of pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	return nil
}
