package nodelifecycle

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	nodetopology "k8s.io/component-helpers/node/topology"
	"k8s.io/klog/v2"
)

// classifyNodes sorts allNodes into nodes not seen before, known nodes that are
// gone, and known nodes whose zone has no state (its first node, or a zone
// dropped because none of its nodes was processed).
func (c *Controller) classifyNodes(allNodes []*corev1.Node) (added, deleted, newZoneRepresentatives []*corev1.Node) {
	for _, node := range allNodes {
		if _, known := c.knownNodeSet[node.Name]; !known {
			added = append(added, node)
			continue
		}
		if _, found := c.zoneStates[nodetopology.GetZoneKey(node)]; !found {
			newZoneRepresentatives = append(newZoneRepresentatives, node)
		}
	}
	if len(c.knownNodeSet)+len(added) != len(allNodes) {
		gone := make(map[string]*corev1.Node, len(c.knownNodeSet))
		for name, node := range c.knownNodeSet {
			gone[name] = node
		}
		for _, node := range allNodes {
			delete(gone, node.Name)
		}
		for _, node := range gone {
			deleted = append(deleted, node)
		}
	}
	return added, deleted, newZoneRepresentatives
}

// addPodEvictorForNewZone creates the state and tainting queue of the node's
// zone if the zone is new. A new zone starts Initial, at --node-eviction-rate.
func (c *Controller) addPodEvictorForNewZone(logger klog.Logger, node *corev1.Node) {
	c.evictorLock.Lock()
	defer c.evictorLock.Unlock()
	zone := nodetopology.GetZoneKey(node)
	if _, found := c.zoneStates[zone]; !found {
		logger.Info("Initializing eviction for zone", "zone", zone)
		c.zoneStates[zone] = StateInitial
		c.zoneNoExecuteTainter[zone] = newRateLimitedTimedQueue(c.clock, c.cfg.NodeEvictionRate)
	}
}

// tainterLocked returns the zone's tainting queue; the caller holds
// evictorLock. Upstream indexes the map directly, which would panic for a zone
// that appeared between classifyNodes and the health update (a node relabelled
// in between); k1s creates the queue, and handleDisruption gives the zone its
// Initial state.
func (c *Controller) tainterLocked(zone string) *rateLimitedTimedQueue {
	q, ok := c.zoneNoExecuteTainter[zone]
	if !ok {
		q = newRateLimitedTimedQueue(c.clock, c.cfg.NodeEvictionRate)
		c.zoneNoExecuteTainter[zone] = q
	}
	return q
}

func (c *Controller) swapZoneLimiter(zone string, qps float32) {
	c.evictorLock.Lock()
	q := c.tainterLocked(zone)
	c.evictorLock.Unlock()
	q.SwapLimiter(qps)
}

// computeZoneState returns the number of not-Ready nodes among the Ready
// conditions of one zone's nodes (nil counts as not Ready) and the zone state:
// FullDisruption if none is Ready, PartialDisruption if more than 2 are not
// Ready and they are at least --unhealthy-zone-threshold of the zone, Normal
// otherwise.
func (c *Controller) computeZoneState(nodeReadyConditions []*corev1.NodeCondition) (int, ZoneState) {
	readyNodes, notReadyNodes := 0, 0
	for _, cond := range nodeReadyConditions {
		if cond != nil && cond.Status == corev1.ConditionTrue {
			readyNodes++
		} else {
			notReadyNodes++
		}
	}
	switch {
	case readyNodes == 0 && notReadyNodes > 0:
		return notReadyNodes, StateFullDisruption
	case notReadyNodes > 2 && float32(notReadyNodes)/float32(notReadyNodes+readyNodes) >= c.cfg.UnhealthyZoneThreshold:
		return notReadyNodes, StatePartialDisruption
	default:
		return notReadyNodes, StateNormal
	}
}

// healthyQPS is the rate of a fully disrupted zone while others are not.
func (c *Controller) healthyQPS(int) float32 { return c.cfg.NodeEvictionRate }

// reducedQPS is the rate of a partially disrupted zone: the secondary rate if
// the zone is large, else 0 (stop).
func (c *Controller) reducedQPS(zoneSize int) float32 {
	if int32(zoneSize) > c.cfg.LargeClusterSizeThreshold {
		return c.cfg.SecondaryNodeEvictionRate
	}
	return 0
}

func (c *Controller) setLimiterInZone(zone string, zoneSize int, state ZoneState) {
	switch state {
	case StateNormal:
		c.swapZoneLimiter(zone, c.cfg.NodeEvictionRate)
	case StatePartialDisruption:
		c.swapZoneLimiter(zone, c.reducedQPS(zoneSize))
	case StateFullDisruption:
		c.swapZoneLimiter(zone, c.healthyQPS(zoneSize))
	}
}

// handleDisruption recomputes each zone's state and sets its tainting rate.
// If every zone is fully disrupted the controller assumes the problem is on
// its side (the control plane lost the network, not every node died): it
// removes all NoExecute node-controller taints and stops tainting until some
// node is Ready again.
func (c *Controller) handleDisruption(ctx context.Context, zoneToNodeConditions map[string][]*corev1.NodeCondition, nodes []*corev1.Node) {
	logger := klog.FromContext(ctx)
	newZoneStates := map[string]ZoneState{}
	allAreFullyDisrupted := true
	for zone, conditions := range zoneToNodeConditions {
		_, newState := c.computeZoneState(conditions)
		if newState != StateFullDisruption {
			allAreFullyDisrupted = false
		}
		newZoneStates[zone] = newState
		if _, had := c.zoneStates[zone]; !had {
			logger.Error(nil, "Setting initial state for unseen zone", "zone", zone)
			c.zoneStates[zone] = StateInitial
		}
	}

	allWasFullyDisrupted := true
	for zone, state := range c.zoneStates {
		if _, have := zoneToNodeConditions[zone]; !have {
			delete(c.zoneStates, zone)
			continue
		}
		if state != StateFullDisruption {
			allWasFullyDisrupted = false
			break
		}
	}

	// At least one node was responding in the previous pass or this one.
	if allAreFullyDisrupted && allWasFullyDisrupted {
		// k1s: upstream only returns here. But nodes is the lister's copy from
		// the start of the pass: a taint the tainting pass wrote during the
		// pass that entered this mode (before its limiter went to 0) was not
		// in it, so it was not removed, and nothing else would ever remove it.
		// Remove such taints, as the mode promises.
		for _, node := range nodes {
			if taintExists(node.Spec.Taints, unreachableTaintTemplate) || taintExists(node.Spec.Taints, notReadyTaintTemplate) {
				if _, err := c.markNodeAsReachable(ctx, node); err != nil {
					logger.Error(err, "Failed to remove taints from Node", "node", klog.KObj(node))
				}
			}
		}
		return
	}
	if allAreFullyDisrupted {
		logger.Info("Controller detected that all Nodes are not-Ready. Entering master disruption mode")
		// k1s: stop tainting before untainting (upstream does it the other way
		// round), so that the tainting pass cannot add a taint behind the
		// removals. SwapLimiter waits for a tainting write in progress.
		for zone := range c.zoneStates {
			c.swapZoneLimiter(zone, 0)
			c.zoneStates[zone] = StateFullDisruption
		}
		// nodes is the lister's copy from the start of the pass, which lacks a
		// taint the tainting pass wrote since (up to the swap above, which
		// waited for it). Those nodes are untainted from storage.
		c.evictorLock.Lock()
		tainted := c.taintedByPass
		c.taintedByPass = map[string]struct{}{}
		c.evictorLock.Unlock()
		for _, node := range nodes {
			var err error
			if _, ok := tainted[node.Name]; ok {
				err = c.updateNodeTaints(ctx, node.Name, nil, []*corev1.Taint{unreachableTaintTemplate, notReadyTaintTemplate}, false)
				if err == nil {
					_, err = c.markNodeAsReachable(ctx, node)
				}
			} else {
				_, err = c.markNodeAsReachable(ctx, node)
			}
			if err != nil {
				logger.Error(err, "Failed to remove taints from Node", "node", klog.KObj(node))
			}
		}
		return
	}
	if allWasFullyDisrupted {
		logger.Info("Controller detected that some Nodes are Ready. Exiting master disruption mode")
		// Heartbeats that stopped during the disruption are given a fresh grace
		// period.
		now := c.now()
		for _, node := range nodes {
			v := c.nodeHealthMap.getDeepCopy(node.Name)
			if v == nil {
				continue
			}
			v.probeTimestamp = now
			v.readyTransitionTimestamp = now
			c.nodeHealthMap.set(node.Name, v)
		}
		for zone := range c.zoneStates {
			c.setLimiterInZone(zone, len(zoneToNodeConditions[zone]), newZoneStates[zone])
			c.zoneStates[zone] = newZoneStates[zone]
		}
		return
	}
	for zone, state := range c.zoneStates {
		newState := newZoneStates[zone]
		if state == newState {
			continue
		}
		logger.Info("Controller detected that zone is now in new state", "zone", zone, "newState", newState)
		c.setLimiterInZone(zone, len(zoneToNodeConditions[zone]), newState)
		c.zoneStates[zone] = newState
	}
}
