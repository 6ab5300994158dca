package tainteviction

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"k8s.io/klog/v2"
)

// retryInterval is the pause between deletion tries: an API retry, in real time.
const retryInterval = 10 * time.Millisecond

func (c *Controller) cancelWorkWithEvent(logger klog.Logger, nn types.NamespacedName) {
	if c.taintEvictionQueue.CancelWork(logger, nn.String()) {
		c.emitCancelPodDeletionEvent(nn)
	}
}

// processPodOnNode decides the fate of one pod on a node with NoExecute
// taints: a taint it does not tolerate deletes it now; otherwise it is deleted
// when the shortest tolerationSeconds of the tolerations used runs out,
// counted from now (the moment the controller saw the taint or the pod, as
// upstream: not the taint's timeAdded), or never if none of them sets one. A
// deletion already scheduled keeps its time.
func (c *Controller) processPodOnNode(ctx context.Context, nn types.NamespacedName, nodeName string, tolerations []corev1.Toleration, taints []corev1.Taint, now time.Time) {
	logger := klog.FromContext(ctx)
	if len(taints) == 0 {
		c.cancelWorkWithEvent(logger, nn)
		return
	}
	allTolerated, usedTolerations := getMatchingTolerations(logger, taints, tolerations, c.comparisonOperators)
	if !allTolerated {
		logger.V(2).Info("Not all taints are tolerated after update for pod on node", "pod", nn.String(), "node", klog.KRef("", nodeName))
		// The pod goes now: whatever was scheduled is replaced.
		c.cancelWorkWithEvent(logger, nn)
		c.taintEvictionQueue.AddWork(ctx, &workArgs{Object: nn}, now, now)
		return
	}
	minTolerationTime := getMinTolerationTime(usedTolerations)
	if minTolerationTime < 0 {
		logger.V(4).Info("Current tolerations for pod tolerate forever, cancelling any scheduled deletion", "pod", nn.String())
		c.cancelWorkWithEvent(logger, nn)
		return
	}

	startTime := now
	triggerTime := startTime.Add(minTolerationTime)
	if scheduled := c.taintEvictionQueue.GetWorkerUnsafe(nn.String()); scheduled != nil {
		startTime = scheduled.CreatedAt
		if startTime.Add(minTolerationTime).Before(triggerTime) {
			return
		}
		c.cancelWorkWithEvent(logger, nn)
	}
	c.taintEvictionQueue.AddWork(ctx, &workArgs{Object: nn}, startTime, triggerTime)
}

func getNoExecuteTaints(taints []corev1.Taint) []corev1.Taint {
	result := []corev1.Taint{}
	for i := range taints {
		if taints[i].Effect == corev1.TaintEffectNoExecute {
			result = append(result, taints[i])
		}
	}
	return result
}

// getMatchingTolerations reports whether every taint is tolerated and, if so,
// the first toleration that tolerates each taint (pkg/apis/core/v1/helper).
func getMatchingTolerations(logger klog.Logger, taints []corev1.Taint, tolerations []corev1.Toleration, comparisonOperators bool) (bool, []corev1.Toleration) {
	if len(taints) == 0 {
		return true, []corev1.Toleration{}
	}
	if len(tolerations) == 0 {
		return false, []corev1.Toleration{}
	}
	result := []corev1.Toleration{}
	for i := range taints {
		tolerated := false
		for j := range tolerations {
			if tolerations[j].ToleratesTaint(logger, &taints[i], comparisonOperators) {
				result = append(result, tolerations[j])
				tolerated = true
				break
			}
		}
		if !tolerated {
			return false, []corev1.Toleration{}
		}
	}
	return true, result
}

// getMinTolerationTime returns the shortest tolerationSeconds (0 if any is
// <= 0, or if there are no tolerations), or -1 if none sets one: forever.
func getMinTolerationTime(tolerations []corev1.Toleration) time.Duration {
	if len(tolerations) == 0 {
		return 0
	}
	minSeconds := int64(math.MaxInt64)
	for i := range tolerations {
		if s := tolerations[i].TolerationSeconds; s != nil {
			if *s <= 0 {
				return 0
			}
			if *s < minSeconds {
				minSeconds = *s
			}
		}
	}
	if minSeconds == int64(math.MaxInt64) {
		return -1
	}
	return time.Duration(minSeconds) * time.Second
}

// deletePodHandler is the timed workers' function: it records the
// TaintManagerEviction event and deletes the pod, retrying a few times.
func (c *Controller) deletePodHandler(ctx context.Context, fireAt time.Time, args *workArgs) error {
	klog.FromContext(ctx).Info("Deleting pod", "controller", ControllerName, "pod", args.Object)
	c.emitPodDeletionEvent(args.Object)
	var err error
	for i := range retries {
		if i > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(retryInterval):
			}
		}
		if err = c.addConditionAndDeletePod(ctx, args.Object.Name, args.Object.Namespace); err == nil {
			return nil
		}
	}
	return err
}

// addConditionAndDeletePod adds the DisruptionTarget condition (a
// strategic-merge PATCH of pods/<name>/status with a UID precondition, only if
// the condition changes) and deletes the pod with default options, so that its
// terminationGracePeriodSeconds applies.
func (c *Controller) addConditionAndDeletePod(ctx context.Context, name, ns string) error {
	pod, err := c.client.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		// Deleted meanwhile: nothing left to do (upstream retries, in vain).
		return nil
	}
	if err != nil {
		return err
	}
	newStatus := pod.Status.DeepCopy()
	updated := c.updatePodCondition(newStatus, &corev1.PodCondition{
		Type: corev1.DisruptionTarget,
		// PodObservedGenerationTracking is GA and locked on in v1.37.
		ObservedGeneration: pod.Generation,
		Status:             corev1.ConditionTrue,
		Reason:             disruptionReason,
		Message:            disruptionMessage,
	})
	if updated {
		if err := c.patchPodStatus(ctx, pod, *newStatus); err != nil {
			return err
		}
	}
	err = c.client.CoreV1().Pods(ns).Delete(ctx, name, metav1.DeleteOptions{})
	if apierrors.IsNotFound(err) {
		// Someone else was quicker; the pod is gone either way.
		return nil
	}
	return err
}

// updatePodCondition is pkg/api/v1/pod.UpdatePodCondition on the controller's
// clock.
func (c *Controller) updatePodCondition(status *corev1.PodStatus, condition *corev1.PodCondition) bool {
	condition.LastTransitionTime = metav1.NewTime(c.clock.Now())
	for i := range status.Conditions {
		old := &status.Conditions[i]
		if old.Type != condition.Type {
			continue
		}
		if condition.Status == old.Status {
			condition.LastTransitionTime = old.LastTransitionTime
		}
		isEqual := condition.Status == old.Status &&
			condition.Reason == old.Reason &&
			condition.Message == old.Message &&
			condition.LastProbeTime.Equal(&old.LastProbeTime) &&
			condition.LastTransitionTime.Equal(&old.LastTransitionTime)
		status.Conditions[i] = *condition
		return !isEqual
	}
	status.Conditions = append(status.Conditions, *condition)
	return true
}

// patchPodStatus is pkg/util/pod.PatchPodStatus: a two-way strategic merge
// patch from the old to the new status, carrying the pod's UID so that a
// recreated pod of the same name is not touched.
func (c *Controller) patchPodStatus(ctx context.Context, pod *corev1.Pod, newStatus corev1.PodStatus) error {
	oldData, err := json.Marshal(corev1.Pod{Status: pod.Status})
	if err != nil {
		return fmt.Errorf("marshalling old status of pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	newData, err := json.Marshal(corev1.Pod{ObjectMeta: metav1.ObjectMeta{UID: pod.UID}, Status: newStatus})
	if err != nil {
		return fmt.Errorf("marshalling new status of pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	patch, err := strategicpatch.CreateTwoWayMergePatch(oldData, newData, corev1.Pod{})
	if err != nil {
		return fmt.Errorf("creating status patch for pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	if bytes.Equal(patch, fmt.Appendf(nil, `{"metadata":{"uid":%q}}`, pod.UID)) {
		return nil
	}
	if _, err := c.client.CoreV1().Pods(pod.Namespace).Patch(ctx, pod.Name, types.StrategicMergePatchType, patch, metav1.PatchOptions{}, "status"); err != nil {
		return fmt.Errorf("patching status of pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	return nil
}
