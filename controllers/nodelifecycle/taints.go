package nodelifecycle

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/util/retry"
	nodetopology "k8s.io/component-helpers/node/topology"
	"k8s.io/klog/v2"
)

var (
	// unreachableTaintTemplate is the NoExecute taint of a node whose Ready
	// condition is Unknown.
	unreachableTaintTemplate = &corev1.Taint{Key: corev1.TaintNodeUnreachable, Effect: corev1.TaintEffectNoExecute}
	// notReadyTaintTemplate is the NoExecute taint of a node whose Ready
	// condition is False.
	notReadyTaintTemplate = &corev1.Taint{Key: corev1.TaintNodeNotReady, Effect: corev1.TaintEffectNoExecute}

	// nodeConditionToTaintKeyStatusMap says which NoSchedule taint a condition
	// in a given status calls for (TaintNodesByCondition).
	nodeConditionToTaintKeyStatusMap = map[corev1.NodeConditionType]map[corev1.ConditionStatus]string{
		corev1.NodeReady: {
			corev1.ConditionFalse:   corev1.TaintNodeNotReady,
			corev1.ConditionUnknown: corev1.TaintNodeUnreachable,
		},
		corev1.NodeMemoryPressure:     {corev1.ConditionTrue: corev1.TaintNodeMemoryPressure},
		corev1.NodeDiskPressure:       {corev1.ConditionTrue: corev1.TaintNodeDiskPressure},
		corev1.NodeNetworkUnavailable: {corev1.ConditionTrue: corev1.TaintNodeNetworkUnavailable},
		corev1.NodePIDPressure:        {corev1.ConditionTrue: corev1.TaintNodePIDPressure},
	}

	// taintKeyToNodeConditionMap lists the NoSchedule taint keys this
	// controller owns (with unschedulable): only those are ever removed.
	taintKeyToNodeConditionMap = map[string]corev1.NodeConditionType{
		corev1.TaintNodeNotReady:           corev1.NodeReady,
		corev1.TaintNodeUnreachable:        corev1.NodeReady,
		corev1.TaintNodeNetworkUnavailable: corev1.NodeNetworkUnavailable,
		corev1.TaintNodeMemoryPressure:     corev1.NodeMemoryPressure,
		corev1.TaintNodeDiskPressure:       corev1.NodeDiskPressure,
		corev1.TaintNodePIDPressure:        corev1.NodePIDPressure,
	}

	// updateTaintBackoff is upstream's controller.UpdateTaintBackoff (and
	// UpdateLabelBackoff): an API retry on conflicts, in real time.
	updateTaintBackoff = wait.Backoff{Steps: 5, Duration: 100 * time.Millisecond, Jitter: 1.0}
)

// Beta labels the controller keeps equal to their GA counterparts
// (k8s.io/kubelet/pkg/apis, not imported for two constants).
const (
	labelBetaOS   = "beta.kubernetes.io/os"
	labelBetaArch = "beta.kubernetes.io/arch"
)

// labelReconcileInfo: the primary (GA) label is the source of truth; the
// secondary (beta) label is added if missing and overwritten if different.
var labelReconcileInfo = []struct {
	primaryKey            string
	secondaryKey          string
	ensureSecondaryExists bool
}{
	{primaryKey: corev1.LabelOSStable, secondaryKey: labelBetaOS, ensureSecondaryExists: true},
	{primaryKey: corev1.LabelArchStable, secondaryKey: labelBetaArch, ensureSecondaryExists: true},
}

// doNoScheduleTaintingPass makes the node's NoSchedule condition taints (and
// the unschedulable taint) match its conditions and spec.unschedulable, in both
// directions. Only taints with those keys and effect NoSchedule are touched.
func (c *Controller) doNoScheduleTaintingPass(ctx context.Context, nodeName string) error {
	node, err := c.nodeLister.Get(nodeName)
	if err != nil {
		if apierrors.IsNotFound(err) {
			return nil
		}
		return err
	}

	var want []corev1.Taint
	for _, condition := range node.Status.Conditions {
		if taintMap, ok := nodeConditionToTaintKeyStatusMap[condition.Type]; ok {
			if taintKey, ok := taintMap[condition.Status]; ok {
				want = append(want, corev1.Taint{Key: taintKey, Effect: corev1.TaintEffectNoSchedule})
			}
		}
	}
	if node.Spec.Unschedulable {
		want = append(want, corev1.Taint{Key: corev1.TaintNodeUnschedulable, Effect: corev1.TaintEffectNoSchedule})
	}

	var have []corev1.Taint
	for _, t := range node.Spec.Taints {
		if t.Effect != corev1.TaintEffectNoSchedule {
			continue
		}
		if _, ours := taintKeyToNodeConditionMap[t.Key]; ours || t.Key == corev1.TaintNodeUnschedulable {
			have = append(have, t)
		}
	}
	toAdd, toRemove := taintSetDiff(want, have)
	if len(toAdd) == 0 && len(toRemove) == 0 {
		return nil
	}
	if !c.swapNodeControllerTaint(ctx, toAdd, toRemove, node) {
		return fmt.Errorf("failed to swap NoSchedule taints of node %q", node.Name)
	}
	return nil
}

// doNoExecuteTaintingPass drains every zone's tainting queue as far as the
// zone's rate allows: a node whose Ready condition is False gets
// not-ready:NoExecute, Unknown gets unreachable:NoExecute (the other one is
// removed in the same write); a node that is Ready again is dropped.
func (c *Controller) doNoExecuteTaintingPass(ctx context.Context) {
	logger := klog.FromContext(ctx)
	c.evictorLock.Lock()
	queues := make([]*rateLimitedTimedQueue, 0, len(c.zoneNoExecuteTainter))
	for _, q := range c.zoneNoExecuteTainter {
		queues = append(queues, q)
	}
	c.evictorLock.Unlock()

	for _, q := range queues {
		q.Try(logger, func(value timedValue) (bool, time.Duration) {
			node, err := c.nodeLister.Get(value.Value)
			if apierrors.IsNotFound(err) {
				logger.Info("Node no longer present in nodeLister", "node", klog.KRef("", value.Value))
				return true, 0
			} else if err != nil {
				logger.Info("Failed to get Node from the nodeLister", "node", klog.KRef("", value.Value), "err", err)
				return false, 50 * time.Millisecond
			}
			condition := getNodeCondition(&node.Status, corev1.NodeReady)
			if condition == nil {
				logger.Info("Failed to get NodeCondition from the node status", "node", klog.KRef("", value.Value))
				return false, 50 * time.Millisecond
			}
			// "unreachable" and "not-ready" mirror the Ready condition, so they
			// are mutually exclusive.
			var taintToAdd, oppositeTaint corev1.Taint
			switch condition.Status {
			case corev1.ConditionFalse:
				taintToAdd, oppositeTaint = *notReadyTaintTemplate, *unreachableTaintTemplate
			case corev1.ConditionUnknown:
				taintToAdd, oppositeTaint = *unreachableTaintTemplate, *notReadyTaintTemplate
			default:
				logger.V(4).Info("Node was in a taint queue, but it's ready now. Ignoring taint request", "node", klog.KRef("", value.Value))
				return true, 0
			}
			if !c.swapNodeControllerTaint(ctx, []*corev1.Taint{&taintToAdd}, []*corev1.Taint{&oppositeTaint}, node) {
				return false, 0
			}
			c.evictorLock.Lock()
			c.taintedByPass[node.Name] = struct{}{}
			c.evictorLock.Unlock()
			return true, 0
		})
	}
}

// processTaintBaseEviction reacts to the node's current Ready condition: a
// node already carrying the opposite NoExecute taint is swapped at once;
// otherwise it is queued for rate-limited tainting; a Ready node is untainted.
func (c *Controller) processTaintBaseEviction(ctx context.Context, node *corev1.Node, currentReadyCondition *corev1.NodeCondition) {
	logger := klog.FromContext(ctx)
	decisionTimestamp := c.now()
	switch currentReadyCondition.Status {
	case corev1.ConditionFalse:
		if taintExists(node.Spec.Taints, unreachableTaintTemplate) {
			taintToAdd := *notReadyTaintTemplate
			if !c.swapNodeControllerTaint(ctx, []*corev1.Taint{&taintToAdd}, []*corev1.Taint{unreachableTaintTemplate}, node) {
				logger.Error(nil, "Failed to instantly swap UnreachableTaint to NotReadyTaint. Will try again in the next cycle", "node", klog.KObj(node))
			}
		} else if c.markNodeForTainting(node, corev1.ConditionFalse) {
			logger.V(2).Info("Node is NotReady. Adding it to the Taint queue", "node", klog.KObj(node), "timeStamp", decisionTimestamp)
		}
	case corev1.ConditionUnknown:
		if taintExists(node.Spec.Taints, notReadyTaintTemplate) {
			taintToAdd := *unreachableTaintTemplate
			if !c.swapNodeControllerTaint(ctx, []*corev1.Taint{&taintToAdd}, []*corev1.Taint{notReadyTaintTemplate}, node) {
				logger.Error(nil, "Failed to instantly swap NotReadyTaint to UnreachableTaint. Will try again in the next cycle", "node", klog.KObj(node))
			}
		} else if c.markNodeForTainting(node, corev1.ConditionUnknown) {
			logger.V(2).Info("Node is unresponsive. Adding it to the Taint queue", "node", klog.KObj(node), "timeStamp", decisionTimestamp)
		}
	case corev1.ConditionTrue:
		removed, err := c.markNodeAsReachable(ctx, node)
		if err != nil {
			logger.Error(err, "Failed to remove taints from node. Will retry in next iteration", "node", klog.KObj(node))
		}
		if removed {
			logger.V(2).Info("Node is healthy again, removed all taints", "node", klog.KObj(node))
		}
	}
}

// markNodeForTainting queues the node in its zone. A node that lacks the
// taint its status calls for is taken out first, so that it is queued again
// even if it was processed before.
func (c *Controller) markNodeForTainting(node *corev1.Node, status corev1.ConditionStatus) bool {
	c.evictorLock.Lock()
	defer c.evictorLock.Unlock()
	q := c.tainterLocked(nodetopology.GetZoneKey(node))
	if status == corev1.ConditionFalse && !taintExists(node.Spec.Taints, notReadyTaintTemplate) {
		q.Remove(node.Name)
	}
	if status == corev1.ConditionUnknown && !taintExists(node.Spec.Taints, unreachableTaintTemplate) {
		q.Remove(node.Name)
	}
	return q.Add(node.Name, string(node.UID))
}

// markNodeAsReachable removes both NoExecute node-controller taints and takes
// the node out of its zone's queue; it reports whether the node was queued.
func (c *Controller) markNodeAsReachable(ctx context.Context, node *corev1.Node) (bool, error) {
	if err := c.removeTaintOffNode(ctx, node, unreachableTaintTemplate, notReadyTaintTemplate); err != nil {
		return false, fmt.Errorf("removing NoExecute taints from node %q: %w", node.Name, err)
	}
	c.evictorLock.Lock()
	defer c.evictorLock.Unlock()
	return c.tainterLocked(nodetopology.GetZoneKey(node)).Remove(node.Name), nil
}

// swapNodeControllerTaint adds taintsToAdd (stamped with timeAdded = now on
// the controller's clock) and removes taintsToRemove. Upstream writes the
// addition and the removal as two PATCHes; k1s writes both in one, so that a
// node never carries not-ready and unreachable at once and the taint eviction
// controller sees one change. It reports success.
func (c *Controller) swapNodeControllerTaint(ctx context.Context, taintsToAdd, taintsToRemove []*corev1.Taint, node *corev1.Node) bool {
	now := c.now()
	add := make([]corev1.Taint, 0, len(taintsToAdd))
	for _, t := range taintsToAdd {
		t := *t
		t.TimeAdded = &now
		add = append(add, t)
	}
	if err := c.updateNodeTaints(ctx, node.Name, add, taintsToRemove, true); err != nil {
		klog.FromContext(ctx).Error(err, "Unable to swap taints of node", "node", klog.KObj(node), "add", taintsToAdd, "remove", taintsToRemove)
		return false
	}
	klog.FromContext(ctx).V(4).Info("Swapped node taints", "node", klog.KObj(node), "added", taintsToAdd, "removed", taintsToRemove)
	return true
}

// removeTaintOffNode removes taints, without an API call if node (the cached
// copy) carries none of them.
func (c *Controller) removeTaintOffNode(ctx context.Context, node *corev1.Node, taints ...*corev1.Taint) error {
	match := false
	for _, t := range taints {
		if taintExists(node.Spec.Taints, t) {
			match = true
			break
		}
	}
	if !match {
		return nil
	}
	return c.updateNodeTaints(ctx, node.Name, nil, taints, true)
}

// updateNodeTaints reads the node (first from the apiserver cache if fromCache,
// then, after a conflict, from storage) and patches spec.taints with add and remove
// applied. Taints match by key and effect. A taint to add that is already
// there with the same value keeps its timeAdded (upstream would overwrite it
// when the stamps differ, which only happens on a re-queue after a restart).
func (c *Controller) updateNodeTaints(ctx context.Context, nodeName string, add []corev1.Taint, remove []*corev1.Taint, fromCache bool) error {
	firstTry := fromCache
	return retry.RetryOnConflict(updateTaintBackoff, func() error {
		opts := metav1.GetOptions{}
		if firstTry {
			opts.ResourceVersion = "0"
			firstTry = false
		}
		oldNode, err := c.client.CoreV1().Nodes().Get(ctx, nodeName, opts)
		if err != nil {
			return err
		}
		newTaints, changed := applyTaints(oldNode.Spec.Taints, add, remove)
		if !changed {
			return nil
		}
		return c.patchNodeTaints(ctx, nodeName, oldNode, newTaints)
	})
}

// applyTaints returns taints with remove taken out and add put in (an added
// taint replaces one with the same key and effect only if its value differs).
func applyTaints(taints []corev1.Taint, add []corev1.Taint, remove []*corev1.Taint) ([]corev1.Taint, bool) {
	changed := false
	out := make([]corev1.Taint, 0, len(taints)+len(add))
	for i := range taints {
		if taintInList(remove, &taints[i]) && !taintExists(add, &taints[i]) {
			changed = true
			continue
		}
		out = append(out, taints[i])
	}
	for i := range add {
		idx := -1
		for j := range out {
			if out[j].MatchTaint(&add[i]) {
				idx = j
				break
			}
		}
		switch {
		case idx < 0:
			out = append(out, add[i])
			changed = true
		case out[idx].Value != add[i].Value:
			out[idx] = add[i]
			changed = true
		}
	}
	return out, changed
}

func taintInList(list []*corev1.Taint, t *corev1.Taint) bool {
	for _, l := range list {
		if l.MatchTaint(t) {
			return true
		}
	}
	return false
}

// patchNodeTaints writes spec.taints with a strategic-merge PATCH whose base
// carries no resourceVersion, so the patch carries the one read and a
// concurrent taint change fails with a conflict (spec.taints has no merge key:
// the list is replaced whole).
func (c *Controller) patchNodeTaints(ctx context.Context, nodeName string, oldNode *corev1.Node, newTaints []corev1.Taint) error {
	oldNodeNoRV := oldNode.DeepCopy()
	oldNodeNoRV.ResourceVersion = ""
	oldData, err := json.Marshal(oldNodeNoRV)
	if err != nil {
		return fmt.Errorf("marshalling old node %q: %w", nodeName, err)
	}
	newNode := oldNode.DeepCopy()
	newNode.Spec.Taints = newTaints
	newData, err := json.Marshal(newNode)
	if err != nil {
		return fmt.Errorf("marshalling new node %q: %w", nodeName, err)
	}
	patch, err := strategicpatch.CreateTwoWayMergePatch(oldData, newData, corev1.Node{})
	if err != nil {
		return fmt.Errorf("creating taint patch for node %q: %w", nodeName, err)
	}
	_, err = c.client.CoreV1().Nodes().Patch(ctx, nodeName, types.StrategicMergePatchType, patch, metav1.PatchOptions{})
	return err
}

// reconcileNodeLabels keeps beta.kubernetes.io/os and /arch equal to
// kubernetes.io/os and /arch.
func (c *Controller) reconcileNodeLabels(ctx context.Context, nodeName string) error {
	node, err := c.nodeLister.Get(nodeName)
	if err != nil {
		if apierrors.IsNotFound(err) {
			return nil
		}
		return err
	}
	if node.Labels == nil {
		return nil
	}
	labelsToUpdate := map[string]string{}
	for _, r := range labelReconcileInfo {
		primaryValue, primaryExists := node.Labels[r.primaryKey]
		secondaryValue, secondaryExists := node.Labels[r.secondaryKey]
		if !primaryExists {
			continue
		}
		if secondaryExists && primaryValue != secondaryValue {
			labelsToUpdate[r.secondaryKey] = primaryValue
		} else if !secondaryExists && r.ensureSecondaryExists {
			labelsToUpdate[r.secondaryKey] = primaryValue
		}
	}
	if len(labelsToUpdate) == 0 {
		return nil
	}
	if err := c.addOrUpdateLabelsOnNode(ctx, nodeName, labelsToUpdate); err != nil {
		return fmt.Errorf("updating labels %v of node %q: %w", labelsToUpdate, nodeName, err)
	}
	klog.FromContext(ctx).V(4).Info("Updated labels to node", "label", labelsToUpdate, "node", klog.KRef("", nodeName))
	return nil
}

func (c *Controller) addOrUpdateLabelsOnNode(ctx context.Context, nodeName string, labelsToUpdate map[string]string) error {
	firstTry := true
	return retry.RetryOnConflict(updateTaintBackoff, func() error {
		opts := metav1.GetOptions{}
		if firstTry {
			opts.ResourceVersion = "0"
			firstTry = false
		}
		node, err := c.client.CoreV1().Nodes().Get(ctx, nodeName, opts)
		if err != nil {
			return err
		}
		newNode := node.DeepCopy()
		if newNode.Labels == nil {
			newNode.Labels = map[string]string{}
		}
		for k, v := range labelsToUpdate {
			newNode.Labels[k] = v
		}
		oldData, err := json.Marshal(node)
		if err != nil {
			return err
		}
		newData, err := json.Marshal(newNode)
		if err != nil {
			return err
		}
		patch, err := strategicpatch.CreateTwoWayMergePatch(oldData, newData, corev1.Node{})
		if err != nil {
			return err
		}
		_, err = c.client.CoreV1().Nodes().Patch(ctx, nodeName, types.StrategicMergePatchType, patch, metav1.PatchOptions{})
		return err
	})
}

// taintExists reports whether taints has one with the key and effect of t.
func taintExists(taints []corev1.Taint, t *corev1.Taint) bool {
	for i := range taints {
		if taints[i].MatchTaint(t) {
			return true
		}
	}
	return false
}

// taintSetDiff returns the taints of want missing from have, and the taints of
// have missing from want (matching by key and effect).
func taintSetDiff(want, have []corev1.Taint) (toAdd, toRemove []*corev1.Taint) {
	for i := range want {
		if !taintExists(have, &want[i]) {
			toAdd = append(toAdd, &want[i])
		}
	}
	for i := range have {
		if !taintExists(want, &have[i]) {
			toRemove = append(toRemove, &have[i])
		}
	}
	return toAdd, toRemove
}
