package nodelifecycle

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/util/workqueue"
	nodetopology "k8s.io/component-helpers/node/topology"
	"k8s.io/klog/v2"

	"github.com/k1s-dev/k1s/controllers/internal/controllerutil"
)

// Condition reasons and messages the controller writes when a node stops
// reporting.
const (
	reasonNodeStatusUnknown      = "NodeStatusUnknown"
	messageNodeStatusUnknown     = "Kubelet stopped posting node status."
	reasonNodeStatusNeverUpdated = "NodeStatusNeverUpdated"
	messageNodeStatusNeverUpd    = "Kubelet never posted node status."
)

// LabelNodeExcludeDisruption keeps a node out of the zone statistics (any
// value). The node is still tainted like any other. Upstream has it only as an
// unexported constant of the controller.
const LabelNodeExcludeDisruption = "node.kubernetes.io/exclude-disruption"

// nodeHealthData is what the controller last saw of a node, with the times (on
// its own clock) at which it saw a heartbeat and a Ready transition.
type nodeHealthData struct {
	probeTimestamp           metav1.Time
	readyTransitionTimestamp metav1.Time
	status                   *corev1.NodeStatus
	lease                    *coordinationv1.Lease
}

func (n *nodeHealthData) deepCopy() *nodeHealthData {
	if n == nil {
		return nil
	}
	return &nodeHealthData{
		probeTimestamp:           n.probeTimestamp,
		readyTransitionTimestamp: n.readyTransitionTimestamp,
		status:                   n.status.DeepCopy(),
		lease:                    n.lease.DeepCopy(),
	}
}

type nodeHealthMap struct {
	lock        sync.RWMutex
	nodeHealths map[string]*nodeHealthData
}

func newNodeHealthMap() *nodeHealthMap {
	return &nodeHealthMap{nodeHealths: map[string]*nodeHealthData{}}
}

func (n *nodeHealthMap) getDeepCopy(name string) *nodeHealthData {
	n.lock.RLock()
	defer n.lock.RUnlock()
	return n.nodeHealths[name].deepCopy()
}

func (n *nodeHealthMap) set(name string, data *nodeHealthData) {
	n.lock.Lock()
	defer n.lock.Unlock()
	n.nodeHealths[name] = data
}

// shortCircuitError stops the retries of a node health update: the lease cache
// cannot be trusted for now (SPEC 2.4).
type shortCircuitError struct{ error }

func (e shortCircuitError) Unwrap() error { return e.error }

// monitorNodeHealth is one pass of the health monitor, every NodeMonitorPeriod:
// it notices new and deleted nodes, marks nodes whose heartbeats stopped
// Unknown, queues not-Ready nodes for NoExecute tainting (or untaints Ready
// ones), marks the pods of nodes that just left Ready NotReady, and recomputes
// zone states and rates.
func (c *Controller) monitorNodeHealth(ctx context.Context) error {
	logger := klog.FromContext(ctx)
	// The cache may lag etcd a little; the controller tolerates that.
	nodes, err := c.nodeLister.List(labels.Everything())
	if err != nil {
		return err
	}
	added, deleted, newZoneRepresentatives := c.classifyNodes(nodes)
	for _, node := range newZoneRepresentatives {
		c.addPodEvictorForNewZone(logger, node)
	}
	for _, node := range added {
		logger.V(1).Info("Controller observed a new Node", "node", klog.KObj(node))
		c.recordNodeEvent(ctx, node.Name, node.UID, corev1.EventTypeNormal, EventRegisteredNode, fmt.Sprintf("Registered Node %v in Controller", node.Name))
		c.knownNodeSet[node.Name] = node
		c.addPodEvictorForNewZone(logger, node)
		if _, err := c.markNodeAsReachable(ctx, node); err != nil {
			logger.Error(err, "Failed to remove NoExecute taints from newly observed node", "node", klog.KObj(node))
		}
	}
	for _, node := range deleted {
		logger.V(1).Info("Controller observed a Node deletion", "node", klog.KObj(node))
		c.recordNodeEvent(ctx, node.Name, node.UID, corev1.EventTypeNormal, EventRemovingNode, fmt.Sprintf("Removing Node %v from Controller", node.Name))
		delete(c.knownNodeSet, node.Name)
		c.evictorLock.Lock()
		delete(c.taintedByPass, node.Name)
		c.evictorLock.Unlock()
	}

	var zoneToNodeConditionsLock sync.Mutex
	zoneToNodeConditions := map[string][]*corev1.NodeCondition{}
	updateNodeFunc := func(piece int) {
		node := nodes[piece].DeepCopy()
		observedReadyCondition, currentReadyCondition, err := c.updateNodeHealthWithRetries(ctx, node)
		if err != nil {
			logger.Error(err, "Update health of Node from Controller error, Skipping - no pods will be evicted", "node", klog.KObj(node))
			return
		}

		if !isNodeExcludedFromDisruptionChecks(node) {
			zone := nodetopology.GetZoneKey(node)
			zoneToNodeConditionsLock.Lock()
			zoneToNodeConditions[zone] = append(zoneToNodeConditions[zone], currentReadyCondition)
			zoneToNodeConditionsLock.Unlock()
		}

		if currentReadyCondition != nil {
			pods, err := controllerutil.PodsAssignedToNode(c.podIndexer, node.Name)
			if err != nil {
				utilruntime.HandleErrorWithContext(ctx, err, "Unable to list pods of node", "node", node.Name)
				if currentReadyCondition.Status != corev1.ConditionTrue && observedReadyCondition.Status == corev1.ConditionTrue {
					// Make the next pass mark the pods NotReady.
					c.nodesToRetry.Store(node.Name, struct{}{})
				}
				return
			}
			c.processTaintBaseEviction(ctx, node, currentReadyCondition)

			_, needsRetry := c.nodesToRetry.Load(node.Name)
			switch {
			case currentReadyCondition.Status != corev1.ConditionTrue && observedReadyCondition.Status == corev1.ConditionTrue:
				// Only once, when the status changes.
				c.recordNodeStatusChange(logger, node, EventNodeNotReady)
				fallthrough
			case needsRetry && observedReadyCondition.Status != corev1.ConditionTrue:
				if err := c.markPodsNotReady(ctx, pods, node.Name); err != nil {
					utilruntime.HandleErrorWithContext(ctx, err, "Unable to mark all pods NotReady on node; queuing for retry", "node", node.Name)
					c.nodesToRetry.Store(node.Name, struct{}{})
					return
				}
			}
		}
		c.nodesToRetry.Delete(node.Name)
	}
	// Marking pods NotReady is one API call per pod; spread nodes over workers.
	workqueue.ParallelizeUntil(ctx, nodeUpdateWorkerSize, len(nodes), updateNodeFunc)

	c.handleDisruption(ctx, zoneToNodeConditions, nodes)
	c.publishZoneStates()
	return nil
}

// updateNodeHealthWithRetries runs tryUpdateNodeHealth up to
// nodeHealthUpdateRetry times, re-reading the node from the apiserver after a
// failed write, as upstream does. node is updated in place, so the caller sees
// the node as last read or written.
func (c *Controller) updateNodeHealthWithRetries(ctx context.Context, node *corev1.Node) (corev1.NodeCondition, *corev1.NodeCondition, error) {
	logger := klog.FromContext(ctx)
	var lastErr error
	for i := range nodeHealthUpdateRetry {
		if i > 0 {
			// An API retry back-off, not controller timing: real time.
			select {
			case <-ctx.Done():
				return corev1.NodeCondition{}, nil, ctx.Err()
			case <-time.After(retrySleepTime):
			}
		}
		_, observed, current, err := c.tryUpdateNodeHealth(ctx, node)
		if err == nil {
			return observed, current, nil
		}
		if sc, ok := errors.AsType[shortCircuitError](err); ok {
			return corev1.NodeCondition{}, nil, sc.error
		}
		lastErr = err
		fresh, err := c.client.CoreV1().Nodes().Get(ctx, node.Name, metav1.GetOptions{})
		if err != nil {
			logger.Error(err, "Failed while getting a Node to retry updating node health. Probably Node was deleted", "node", klog.KObj(node))
			return corev1.NodeCondition{}, nil, err
		}
		*node = *fresh
	}
	return corev1.NodeCondition{}, nil, fmt.Errorf("updating health of node %q: %w", node.Name, lastErr)
}

// tryUpdateNodeHealth does the heartbeat bookkeeping for one node and, if the
// node has been silent for longer than its grace period, sets its Ready,
// MemoryPressure, DiskPressure and PIDPressure conditions to Unknown. It
// returns the grace period applied, the Ready condition as observed and as it
// is now, and an error if the status write failed.
func (c *Controller) tryUpdateNodeHealth(ctx context.Context, node *corev1.Node) (time.Duration, corev1.NodeCondition, *corev1.NodeCondition, error) {
	logger := klog.FromContext(ctx)
	nodeHealth := c.nodeHealthMap.getDeepCopy(node.Name)
	defer func() {
		c.nodeHealthMap.set(node.Name, nodeHealth)
	}()

	if c.leaseChecker != nil {
		// Controller-wide: while the lease cache is known to be stale, no
		// node's lease can be trusted.
		if err := c.leaseChecker.ensureReady(); err != nil {
			return 0, corev1.NodeCondition{}, nil, shortCircuitError{err}
		}
	}

	var gracePeriod time.Duration
	var observedReadyCondition corev1.NodeCondition
	currentReadyCondition := getNodeCondition(&node.Status, corev1.NodeReady)
	if currentReadyCondition == nil {
		// The kubelet never posted a status: pretend a Ready condition that was
		// last heard of when the node was created, and give the node the
		// startup grace period.
		observedReadyCondition = corev1.NodeCondition{
			Type:               corev1.NodeReady,
			Status:             corev1.ConditionUnknown,
			LastHeartbeatTime:  node.CreationTimestamp,
			LastTransitionTime: node.CreationTimestamp,
		}
		gracePeriod = c.cfg.NodeStartupGracePeriod
		if nodeHealth != nil {
			nodeHealth.status = &node.Status
		} else {
			nodeHealth = &nodeHealthData{
				status:                   &node.Status,
				probeTimestamp:           node.CreationTimestamp,
				readyTransitionTimestamp: node.CreationTimestamp,
			}
		}
	} else {
		observedReadyCondition = *currentReadyCondition
		gracePeriod = c.cfg.NodeMonitorGracePeriod
	}

	// Cases (upstream's comment, abridged):
	//   - neither saved nor current status has Ready: leave everything;
	//   - saved has none, current has one (e.g. controller restarted): start now;
	//   - saved has one, current has none: an error, but start now as well;
	//   - both, same lastHeartbeatTime: the node may be unresponsive, leave it;
	//   - both, different lastHeartbeatTime: probeTimestamp = now, and the
	//     transition timestamp too if lastTransitionTime differs.
	var savedCondition *corev1.NodeCondition
	var savedLease *coordinationv1.Lease
	if nodeHealth != nil {
		savedCondition = getNodeCondition(nodeHealth.status, corev1.NodeReady)
		savedLease = nodeHealth.lease
	}
	switch {
	case nodeHealth == nil:
		logger.Info("Missing timestamp for Node. Assuming now as a timestamp", "node", klog.KObj(node))
		nodeHealth = &nodeHealthData{status: &node.Status, probeTimestamp: c.now(), readyTransitionTimestamp: c.now()}
	case savedCondition == nil && currentReadyCondition != nil:
		logger.V(1).Info("Creating timestamp entry for newly observed Node", "node", klog.KObj(node))
		nodeHealth = &nodeHealthData{status: &node.Status, probeTimestamp: c.now(), readyTransitionTimestamp: c.now()}
	case savedCondition != nil && currentReadyCondition == nil:
		logger.Error(nil, "ReadyCondition was removed from Status of Node", "node", klog.KObj(node))
		nodeHealth = &nodeHealthData{status: &node.Status, probeTimestamp: c.now(), readyTransitionTimestamp: c.now()}
	case savedCondition != nil && currentReadyCondition != nil && !savedCondition.LastHeartbeatTime.Equal(&currentReadyCondition.LastHeartbeatTime):
		// Upstream compares with !=, which also tells apart equal instants in
		// different time zones; Equal compares instants only.
		transitionTime := nodeHealth.readyTransitionTimestamp
		if !savedCondition.LastTransitionTime.Equal(&currentReadyCondition.LastTransitionTime) {
			logger.V(3).Info("ReadyCondition for Node transitioned from savedCondition to currentReadyCondition", "node", klog.KObj(node), "savedCondition", savedCondition, "currentReadyCondition", currentReadyCondition)
			transitionTime = c.now()
		}
		logger.V(5).Info("Node ReadyCondition updated. Updating timestamp", "node", klog.KObj(node))
		nodeHealth = &nodeHealthData{status: &node.Status, probeTimestamp: c.now(), readyTransitionTimestamp: transitionTime}
	}

	// A renewed Lease is a heartbeat too: a kubelet that renews its lease but
	// never posts status is considered alive. A nil renewTime never counts.
	observedLease, _ := c.leaseLister.Leases(corev1.NamespaceNodeLease).Get(node.Name)
	if observedLease != nil && (savedLease == nil || savedLease.Spec.RenewTime.Before(observedLease.Spec.RenewTime)) {
		nodeHealth.lease = observedLease
		nodeHealth.probeTimestamp = c.now()
	}

	if !c.now().After(nodeHealth.probeTimestamp.Add(gracePeriod)) {
		return gracePeriod, observedReadyCondition, currentReadyCondition, nil
	}

	if c.leaseChecker != nil {
		// The cached Lease says the node is silent; make sure the cache is not
		// just behind before acting on it.
		var cachedRV string
		if nodeHealth.lease != nil {
			cachedRV = nodeHealth.lease.ResourceVersion
		}
		liveLease, err := c.client.CoordinationV1().Leases(corev1.NamespaceNodeLease).Get(ctx, node.Name, metav1.GetOptions{})
		switch {
		case err == nil && liveLease.ResourceVersion != cachedRV:
			c.leaseChecker.wroteAt(liveLease.ResourceVersion)
			return 0, corev1.NodeCondition{}, nil, shortCircuitError{&leaseCacheStaleError{cachedRV: cachedRV, liveRV: liveLease.ResourceVersion}}
		case err != nil && !apierrors.IsNotFound(err):
			return 0, corev1.NodeCondition{}, nil, shortCircuitError{fmt.Errorf("error looking up lease to verify node %s: %w", node.Name, err)}
		}
	}

	// Silent for longer than the grace period: everything the kubelet reports
	// is now Unknown. NetworkUnavailable is left alone: it is not the
	// kubelet's to report.
	nowTimestamp := c.now()
	for _, conditionType := range []corev1.NodeConditionType{
		corev1.NodeReady, corev1.NodeMemoryPressure, corev1.NodeDiskPressure, corev1.NodePIDPressure,
	} {
		current := getNodeCondition(&node.Status, conditionType)
		if current == nil {
			logger.V(2).Info("Condition of node was never updated by kubelet", "nodeConditionType", conditionType, "node", klog.KObj(node))
			node.Status.Conditions = append(node.Status.Conditions, corev1.NodeCondition{
				Type:               conditionType,
				Status:             corev1.ConditionUnknown,
				Reason:             reasonNodeStatusNeverUpdated,
				Message:            messageNodeStatusNeverUpd,
				LastHeartbeatTime:  node.CreationTimestamp,
				LastTransitionTime: nowTimestamp,
			})
			continue
		}
		logger.V(2).Info("Node hasn't been updated", "node", klog.KObj(node), "duration", c.clock.Since(nodeHealth.probeTimestamp.Time), "nodeConditionType", conditionType, "currentCondition", current)
		if current.Status != corev1.ConditionUnknown {
			current.Status = corev1.ConditionUnknown
			current.Reason = reasonNodeStatusUnknown
			current.Message = messageNodeStatusUnknown
			current.LastTransitionTime = nowTimestamp
		}
	}
	currentReadyCondition = getNodeCondition(&node.Status, corev1.NodeReady)

	if !apiequality.Semantic.DeepEqual(currentReadyCondition, &observedReadyCondition) {
		if _, err := c.client.CoreV1().Nodes().UpdateStatus(ctx, node, metav1.UpdateOptions{}); err != nil {
			logger.Error(err, "Error updating node", "node", klog.KObj(node))
			return gracePeriod, observedReadyCondition, currentReadyCondition, err
		}
		nodeHealth = &nodeHealthData{
			status:                   &node.Status,
			probeTimestamp:           nodeHealth.probeTimestamp,
			readyTransitionTimestamp: c.now(),
			lease:                    observedLease,
		}
	}
	return gracePeriod, observedReadyCondition, currentReadyCondition, nil
}

func isNodeExcludedFromDisruptionChecks(node *corev1.Node) bool {
	_, ok := node.Labels[LabelNodeExcludeDisruption]
	return ok
}

// getNodeCondition returns the condition of type t in status, or nil.
func getNodeCondition(status *corev1.NodeStatus, t corev1.NodeConditionType) *corev1.NodeCondition {
	if status == nil {
		return nil
	}
	for i := range status.Conditions {
		if status.Conditions[i].Type == t {
			return &status.Conditions[i]
		}
	}
	return nil
}
