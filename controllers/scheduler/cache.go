package scheduler

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// podInfo is a pod the cache counts on a node, with what the filters and
// scores need from it computed once.
type podInfo struct {
	pod      *corev1.Pod
	requests resources
	non0CPU  int64
	non0Mem  int64
	ports    []corev1.ContainerPort
}

func newPodInfo(pod *corev1.Pod) *podInfo {
	pi := &podInfo{pod: pod, requests: podRequests(pod), ports: hostPorts(pod)}
	pi.non0CPU, pi.non0Mem = podNonZeroRequests(pod)
	return pi
}

// nodeInfo is upstream's NodeInfo: a node and what the pods on it (bound,
// or assumed by this scheduler) take of it.
type nodeInfo struct {
	// node is nil while pods name a node the informer has not delivered (or
	// has deleted): such a nodeInfo only keeps the accounting.
	node        *corev1.Node
	allocatable resources
	zoneKey     string

	pods      []*podInfo
	requested resources
	// nonZeroCPU and nonZeroMem are the scoring requests (with defaults for
	// containers that set none).
	nonZeroCPU int64
	nonZeroMem int64
	usedPorts  hostPortInfo
}

func (n *nodeInfo) name() string { return n.node.Name }

func (n *nodeInfo) setNode(node *corev1.Node) {
	n.node = node
	n.allocatable = resources{}
	n.allocatable.addList(node.Status.Allocatable)
	n.zoneKey = zoneKey(node)
}

func (n *nodeInfo) addPod(pi *podInfo) {
	n.pods = append(n.pods, pi)
	n.requested.add(&pi.requests, 1)
	n.nonZeroCPU += pi.non0CPU
	n.nonZeroMem += pi.non0Mem
	if len(pi.ports) > 0 {
		if n.usedPorts == nil {
			n.usedPorts = hostPortInfo{}
		}
		for _, p := range pi.ports {
			n.usedPorts.add(p, 1)
		}
	}
}

func (n *nodeInfo) removePod(uid types.UID) bool {
	for i, pi := range n.pods {
		if pi.pod.UID != uid {
			continue
		}
		last := len(n.pods) - 1
		n.pods[i] = n.pods[last]
		n.pods[last] = nil
		n.pods = n.pods[:last]
		n.requested.add(&pi.requests, -1)
		n.nonZeroCPU -= pi.non0CPU
		n.nonZeroMem -= pi.non0Mem
		for _, p := range pi.ports {
			n.usedPorts.add(p, -1)
		}
		return true
	}
	return false
}

// zoneKey is upstream's utilnode.GetZoneKey: region and zone, so that equally
// named zones of two regions stay apart; "" for a node with neither.
func zoneKey(node *corev1.Node) string {
	region := node.Labels[corev1.LabelTopologyRegion]
	zone := node.Labels[corev1.LabelTopologyZone]
	if region == "" && zone == "" {
		return ""
	}
	return region + ":\x00:" + zone
}

type podState struct {
	pod      *corev1.Pod
	nodeName string
	// assumed is set while the scheduler has placed the pod but the informer
	// has not yet shown it bound.
	assumed bool
}

// schedulerCache keeps the nodes and the pods assigned to them, including the
// pods this scheduler has assumed (placed, binding in flight, not yet seen
// bound by the informer), so that the next pod does not land on resources
// already promised. It is upstream's internal/cache without assumed-pod
// expiry (which upstream disables too).
//
// The scheduling goroutine holds the read lock for a whole scheduling cycle,
// so the cycle sees one consistent state; informer handlers and binding
// goroutines take the write lock briefly.
type schedulerCache struct {
	mu    sync.RWMutex
	nodes map[string]*nodeInfo
	pods  map[types.UID]*podState
	// order lists the nodes that exist, interleaved by zone as upstream's
	// nodeTree does, so that a search that stops early still sees every
	// zone. nil when it must be rebuilt.
	order []*nodeInfo
	// numNodes counts the nodeInfos with a node.
	numNodes int
}

func newSchedulerCache() *schedulerCache {
	return &schedulerCache{nodes: map[string]*nodeInfo{}, pods: map[types.UID]*podState{}}
}

// rebuildOrderLocked recomputes the zone-interleaved node order: zones and
// the nodes in each sorted by name, so that the order is deterministic, then
// one node of each zone in turn.
func (c *schedulerCache) rebuildOrderLocked() {
	zones := map[string][]*nodeInfo{}
	var zoneNames []string
	for _, n := range c.nodes {
		if n.node == nil {
			continue
		}
		if _, ok := zones[n.zoneKey]; !ok {
			zoneNames = append(zoneNames, n.zoneKey)
		}
		zones[n.zoneKey] = append(zones[n.zoneKey], n)
	}
	slices.Sort(zoneNames)
	for _, z := range zoneNames {
		slices.SortFunc(zones[z], func(a, b *nodeInfo) int { return strings.Compare(a.node.Name, b.node.Name) })
	}
	order := make([]*nodeInfo, 0, c.numNodes)
	for i := 0; len(order) < c.numNodes; i++ {
		for _, z := range zoneNames {
			if i < len(zones[z]) {
				order = append(order, zones[z][i])
			}
		}
	}
	c.order = order
}

func (c *schedulerCache) nodeInfoLocked(name string) *nodeInfo {
	n := c.nodes[name]
	if n == nil {
		n = &nodeInfo{}
		c.nodes[name] = n
	}
	return n
}

// AddNode adds or replaces a node.
func (c *schedulerCache) AddNode(node *corev1.Node) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.nodeInfoLocked(node.Name)
	if n.node == nil {
		c.numNodes++
		n.setNode(node)
		c.rebuildOrderLocked()
		return
	}
	oldZone := n.zoneKey
	n.setNode(node)
	if oldZone != n.zoneKey {
		c.rebuildOrderLocked()
	}
}

// RemoveNode removes a node; its pods stay accounted until they are deleted.
func (c *schedulerCache) RemoveNode(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, ok := c.nodes[name]
	if !ok || n.node == nil {
		return
	}
	n.node = nil
	c.numNodes--
	if len(n.pods) == 0 {
		delete(c.nodes, name)
	}
	c.rebuildOrderLocked()
}

func (c *schedulerCache) addPodLocked(pod *corev1.Pod, nodeName string, assumed bool) {
	c.nodeInfoLocked(nodeName).addPod(newPodInfo(pod))
	c.pods[pod.UID] = &podState{pod: pod, nodeName: nodeName, assumed: assumed}
}

func (c *schedulerCache) removePodLocked(ps *podState) {
	if n, ok := c.nodes[ps.nodeName]; ok {
		n.removePod(ps.pod.UID)
		if n.node == nil && len(n.pods) == 0 {
			delete(c.nodes, ps.nodeName)
		}
	}
	delete(c.pods, ps.pod.UID)
}

// AssumePod counts pod on nodeName before the binding is confirmed.
func (c *schedulerCache) AssumePod(pod *corev1.Pod, nodeName string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.pods[pod.UID]; ok {
		return fmt.Errorf("pod %s/%s (%s) is in the cache, so can't be assumed", pod.Namespace, pod.Name, pod.UID)
	}
	c.addPodLocked(pod, nodeName, true)
	return nil
}

// ForgetPod undoes AssumePod after a failed binding. A pod the informer has
// meanwhile shown bound is kept.
func (c *schedulerCache) ForgetPod(pod *corev1.Pod) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ps, ok := c.pods[pod.UID]; ok && ps.assumed {
		c.removePodLocked(ps)
	}
}

// AddPod adds a pod the informer shows bound, confirming an assumed pod.
func (c *schedulerCache) AddPod(pod *corev1.Pod) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ps, ok := c.pods[pod.UID]; ok {
		// Assumed (or seen before): replace it, on the node the API says.
		c.removePodLocked(ps)
	}
	c.addPodLocked(pod, pod.Spec.NodeName, false)
}

// UpdatePod replaces a bound pod.
func (c *schedulerCache) UpdatePod(pod *corev1.Pod) {
	c.AddPod(pod)
}

// RemovePod removes a pod, bound or assumed.
func (c *schedulerCache) RemovePod(pod *corev1.Pod) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ps, ok := c.pods[pod.UID]; ok {
		c.removePodLocked(ps)
	}
}

// IsAssumed reports whether the pod is assumed and not yet confirmed.
func (c *schedulerCache) IsAssumed(uid types.UID) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	ps, ok := c.pods[uid]
	return ok && ps.assumed
}

// podNode returns the node the cache counts a pod on, or "".
func (c *schedulerCache) podNode(uid types.UID) string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if ps, ok := c.pods[uid]; ok {
		return ps.nodeName
	}
	return ""
}
