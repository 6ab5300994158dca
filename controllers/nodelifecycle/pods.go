package nodelifecycle

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
)

// podUpdated queues a pod that was just bound to a node (or moved), so that a
// pod landing on a node already known not to be Ready is marked NotReady
// without waiting for the node to change again.
func (c *Controller) podUpdated(oldPod, newPod *corev1.Pod) {
	if newPod == nil {
		return
	}
	if newPod.Spec.NodeName != "" && (oldPod == nil || newPod.Spec.NodeName != oldPod.Spec.NodeName) {
		c.podUpdateQueue.Add(podUpdateItem{namespace: newPod.Namespace, name: newPod.Name})
	}
}

// processPod marks the pod NotReady if the Ready condition the controller last
// recorded for its node is not True. Nodes the monitor has not seen yet are
// left to the monitor.
func (c *Controller) processPod(ctx context.Context, item podUpdateItem) {
	defer c.podUpdateQueue.Done(item)
	logger := klog.FromContext(ctx)
	pod, err := c.podLister.Pods(item.namespace).Get(item.name)
	if err != nil {
		if apierrors.IsNotFound(err) {
			c.podUpdateQueue.Forget(item)
			return
		}
		logger.Info("Failed to read pod", "pod", klog.KRef(item.namespace, item.name), "err", err)
		c.podUpdateQueue.AddRateLimited(item)
		return
	}
	nodeName := pod.Spec.NodeName
	nodeHealth := c.nodeHealthMap.getDeepCopy(nodeName)
	if nodeHealth == nil {
		c.podUpdateQueue.Forget(item)
		return
	}
	if _, err := c.nodeLister.Get(nodeName); err != nil {
		logger.Info("Failed to read node", "node", klog.KRef("", nodeName), "err", err)
		c.podUpdateQueue.AddRateLimited(item)
		return
	}
	currentReadyCondition := getNodeCondition(nodeHealth.status, corev1.NodeReady)
	if currentReadyCondition == nil {
		// Only right after the node was added; the next node pass handles it.
		c.podUpdateQueue.Forget(item)
		return
	}
	if currentReadyCondition.Status != corev1.ConditionTrue {
		if err := c.markPodsNotReady(ctx, []*corev1.Pod{pod}, nodeName); err != nil {
			logger.Info("Unable to mark pod NotReady on node", "pod", klog.KObj(pod), "node", klog.KRef("", nodeName), "err", err)
			c.podUpdateQueue.AddRateLimited(item)
			return
		}
	}
	c.podUpdateQueue.Forget(item)
}

// markPodsNotReady sets the Ready condition of each pod bound to nodeName to
// False (PUT pods/<name>/status) and records a Warning NodeNotReady event on
// it. Only the Ready condition changes: not ContainersReady, not the phase.
func (c *Controller) markPodsNotReady(ctx context.Context, pods []*corev1.Pod, nodeName string) error {
	logger := klog.FromContext(ctx)
	logger.V(2).Info("Update ready status of pods on node", "node", klog.KRef("", nodeName))
	var errs []error
	for _, cached := range pods {
		if cached.Spec.NodeName != nodeName {
			continue
		}
		pod := cached.DeepCopy()
		for _, cond := range pod.Status.Conditions {
			if cond.Type != corev1.PodReady {
				continue
			}
			cond.Status = corev1.ConditionFalse
			if !c.updatePodCondition(&pod.Status, &cond) {
				break
			}
			logger.V(2).Info("Updating ready status of pod to false", "pod", klog.KObj(pod))
			if _, err := c.client.CoreV1().Pods(pod.Namespace).UpdateStatus(ctx, pod, metav1.UpdateOptions{}); err != nil {
				if apierrors.IsNotFound(err) {
					break
				}
				logger.Info("Failed to update status for pod", "pod", klog.KObj(pod), "err", err)
				errs = append(errs, err)
				break
			}
			// After the write, so that the pod is known to exist.
			c.recorder.Event(pod, corev1.EventTypeWarning, EventNodeNotReady, "Node is not ready")
			break
		}
	}
	return errors.Join(errs...)
}

// updatePodCondition is pkg/api/v1/pod.UpdatePodCondition on the controller's
// clock: it sets the condition in status (lastTransitionTime = now if the
// status changes) and reports whether anything changed.
func (c *Controller) updatePodCondition(status *corev1.PodStatus, condition *corev1.PodCondition) bool {
	condition.LastTransitionTime = c.now()
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

func nodeRef(name string, uid types.UID) *corev1.ObjectReference {
	return &corev1.ObjectReference{APIVersion: "v1", Kind: "Node", Name: name, UID: uid}
}

// recordNodeEvent is upstream's RecordNodeEvent: message "Node <n> event: <event>".
func (c *Controller) recordNodeEvent(ctx context.Context, nodeName string, uid types.UID, eventType, reason, event string) {
	klog.FromContext(ctx).V(2).Info("Recording event message for node", "event", event, "node", klog.KRef("", nodeName))
	c.recorder.Eventf(nodeRef(nodeName, uid), eventType, reason, "Node %s event: %s", nodeName, event)
}

// recordNodeStatusChange is upstream's RecordNodeStatusChange: message
// "Node <n> status is now: <status>".
func (c *Controller) recordNodeStatusChange(logger klog.Logger, node *corev1.Node, newStatus string) {
	logger.V(2).Info("Recording status change event message for node", "status", newStatus, "node", node.Name)
	c.recorder.Event(nodeRef(node.Name, node.UID), corev1.EventTypeNormal, newStatus, fmt.Sprintf("Node %s status is now: %s", node.Name, newStatus))
}
