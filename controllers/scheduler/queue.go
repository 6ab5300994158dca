package scheduler

import (
	"container/heap"
	"maps"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	corev1helpers "k8s.io/component-helpers/scheduling/corev1"
	"k8s.io/utils/clock"
)

// clusterEvent is a kind of cluster change that may make an unschedulable
// pod schedulable (upstream's ClusterEvent action types, for what k1s covers).
type clusterEvent int

const (
	eventNodeAdd clusterEvent = 1 << iota
	// eventNodeTaint: taints or spec.unschedulable changed.
	eventNodeTaint
	eventNodeLabel
	eventNodeAllocatable
	// eventAssignedPodDelete: a pod left a node (deleted, terminated, or its
	// binding failed and was forgotten).
	eventAssignedPodDelete
	// eventAssignedPodScaleDown: a bound pod's requests shrank.
	eventAssignedPodScaleDown
	eventAll clusterEvent = -1
)

// pluginEvents are the events each filter plugin registers
// (EventsToRegister): a pod rejected only by plugins that ignore an event is
// not retried on it.
var pluginEvents = map[string]clusterEvent{
	NodeName:          eventNodeAdd,
	NodeUnschedulable: eventNodeAdd | eventNodeTaint,
	TaintToleration:   eventNodeAdd | eventNodeTaint,
	NodeAffinity:      eventNodeAdd | eventNodeLabel,
	NodePorts:         eventNodeAdd | eventAssignedPodDelete,
	NodeResourcesFit: eventNodeAdd | eventNodeAllocatable | eventNodeTaint | eventNodeLabel |
		eventAssignedPodDelete | eventAssignedPodScaleDown,
}

// Which sub-queue a pod is in.
type queueState int

const (
	inActive queueState = iota + 1
	inBackoff
	inUnschedulable
	inFlight
)

// backoffOrderingWindow is upstream's backoffQOrderingWindowDuration: backoff
// expiries are truncated to it, and the backoff queue is flushed at its pace.
const backoffOrderingWindow = time.Second

// unschedulableFlushPeriod is how often the unschedulable pool is checked
// for pods that waited PodMaxInUnschedulablePodsDuration.
const unschedulableFlushPeriod = 30 * time.Second

// queuedPod is upstream's QueuedPodInfo.
type queuedPod struct {
	pod *corev1.Pod
	// timestamp is when the pod was last added to a queue; it orders pods of
	// equal priority and starts the backoff.
	timestamp          time.Time
	initialAttempt     time.Time
	attempts           int
	unschedulableCount int
	consecutiveErrors  int
	// unschedulablePlugins rejected the pod in its last attempt; empty
	// after an error.
	unschedulablePlugins sets.Set[string]
	backoffExpiry        time.Time
	errorBackoff         bool

	state      queueState
	heapIndex  int
	cycle      int64
	movedEarly bool // an event arrived while the pod was in flight
}

// activeHeap orders by priority, then by timestamp (PrioritySort).
type activeHeap []*queuedPod

func (h activeHeap) Len() int { return len(h) }
func (h activeHeap) Less(i, j int) bool {
	pi, pj := corev1helpers.PodPriority(h[i].pod), corev1helpers.PodPriority(h[j].pod)
	return pi > pj || (pi == pj && h[i].timestamp.Before(h[j].timestamp))
}
func (h activeHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].heapIndex, h[j].heapIndex = i, j
}
func (h *activeHeap) Push(x any) {
	qp := x.(*queuedPod)
	qp.heapIndex = len(*h)
	*h = append(*h, qp)
}
func (h *activeHeap) Pop() any {
	old := *h
	qp := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	qp.heapIndex = -1
	return qp
}

// schedulingQueue is upstream's PriorityQueue, reduced to what k1s needs: an
// active queue, a backoff queue and an unschedulable pool, with cluster
// events moving unschedulable pods back.
type schedulingQueue struct {
	clock              clock.Clock
	initialBackoff     time.Duration
	maxBackoff         time.Duration
	maxInUnschedulable time.Duration

	mu     sync.Mutex
	cond   *sync.Cond
	closed bool
	pods   map[types.UID]*queuedPod
	active activeHeap
	// schedulingCycle counts Pops; moveRequestCycle is the cycle of the last
	// move request, so that a pod failing in a cycle during which the
	// cluster changed is retried rather than parked.
	schedulingCycle  int64
	moveRequestCycle int64
}

func newSchedulingQueue(clk clock.Clock, initialBackoff, maxBackoff, maxInUnschedulable time.Duration) *schedulingQueue {
	q := &schedulingQueue{clock: clk, initialBackoff: initialBackoff, maxBackoff: maxBackoff,
		maxInUnschedulable: maxInUnschedulable, pods: map[types.UID]*queuedPod{}, moveRequestCycle: -1}
	q.cond = sync.NewCond(&q.mu)
	return q
}

// Add queues a new pending pod, or updates one already queued.
func (q *schedulingQueue) Add(pod *corev1.Pod) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if qp, ok := q.pods[pod.UID]; ok {
		q.updateLocked(qp, pod)
		return
	}
	now := q.clock.Now()
	qp := &queuedPod{pod: pod, timestamp: now, initialAttempt: now, heapIndex: -1}
	q.pods[pod.UID] = qp
	q.pushActiveLocked(qp)
}

// Update replaces a queued pod. A pod waiting in the unschedulable pool whose
// spec or labels changed is retried (the change may be a new toleration).
func (q *schedulingQueue) Update(oldPod, newPod *corev1.Pod) {
	q.mu.Lock()
	defer q.mu.Unlock()
	qp, ok := q.pods[newPod.UID]
	if !ok {
		now := q.clock.Now()
		qp = &queuedPod{pod: newPod, timestamp: now, initialAttempt: now, heapIndex: -1}
		q.pods[newPod.UID] = qp
		q.pushActiveLocked(qp)
		return
	}
	q.updateLocked(qp, newPod)
}

func (q *schedulingQueue) updateLocked(qp *queuedPod, newPod *corev1.Pod) {
	changed := schedulingPropertiesChanged(qp.pod, newPod)
	qp.pod = newPod
	if !changed {
		return
	}
	switch qp.state {
	case inUnschedulable:
		q.requeueLocked(qp)
	case inFlight:
		qp.movedEarly = true
	}
}

// schedulingPropertiesChanged reports whether an update can change where a
// pod fits: anything but status and bookkeeping metadata.
func schedulingPropertiesChanged(oldPod, newPod *corev1.Pod) bool {
	if oldPod == newPod {
		return false
	}
	return oldPod.Generation != newPod.Generation || !maps.Equal(oldPod.Labels, newPod.Labels) ||
		!apiequality.Semantic.DeepEqual(oldPod.Spec, newPod.Spec)
}

// Delete drops a pod from the queue.
func (q *schedulingQueue) Delete(uid types.UID) {
	q.mu.Lock()
	defer q.mu.Unlock()
	qp, ok := q.pods[uid]
	if !ok {
		return
	}
	if qp.state == inActive && qp.heapIndex >= 0 {
		heap.Remove(&q.active, qp.heapIndex)
	}
	delete(q.pods, uid)
}

// Pop blocks until a pod is ready for scheduling and marks it in flight. It
// returns nil once the queue is closed. When the active queue is empty it
// takes a pod from the backoff queue at once (SchedulerPopFromBackoffQ, Beta
// and on in v1.37), except pods backing off after an error.
func (q *schedulingQueue) Pop() (*queuedPod, *corev1.Pod) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for {
		if q.closed {
			return nil, nil
		}
		var qp *queuedPod
		if q.active.Len() > 0 {
			qp = heap.Pop(&q.active).(*queuedPod)
		} else {
			qp = q.earliestBackoffLocked(false)
		}
		if qp != nil {
			q.schedulingCycle++
			qp.state = inFlight
			qp.cycle = q.schedulingCycle
			qp.movedEarly = false
			qp.attempts++
			// The pod is returned apart from qp because event handlers
			// replace qp.pod (under mu) while the pod is in flight.
			return qp, qp.pod
		}
		q.cond.Wait()
	}
}

func (q *schedulingQueue) earliestBackoffLocked(includeErrors bool) *queuedPod {
	var best *queuedPod
	for _, qp := range q.pods {
		if qp.state != inBackoff || (qp.errorBackoff && !includeErrors) {
			continue
		}
		if best == nil || qp.backoffExpiry.Before(best.backoffExpiry) ||
			(qp.backoffExpiry.Equal(best.backoffExpiry) && (activeHeap{qp, best}).Less(0, 1)) {
			best = qp
		}
	}
	return best
}

// Readd puts back a pod that Done forgot, in flight, so that its failed
// binding can be handled like any failed attempt.
func (q *schedulingQueue) Readd(qp *queuedPod) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if _, ok := q.pods[qp.pod.UID]; ok {
		return
	}
	qp.state = inFlight
	q.pods[qp.pod.UID] = qp
}

// Done forgets a pod that was scheduled (assumed): from now on the cache
// tracks it.
func (q *schedulingQueue) Done(uid types.UID) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if qp, ok := q.pods[uid]; ok && qp.state == inFlight {
		delete(q.pods, uid)
	}
}

// AddUnschedulable returns an in-flight pod that failed: with rejecting
// plugins it waits in the unschedulable pool for an event (or goes to
// backoff if an event already happened during its attempt); after an error
// it backs off. pod is the latest version of the pod.
func (q *schedulingQueue) AddUnschedulable(pod *corev1.Pod, plugins sets.Set[string], isError bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	qp, ok := q.pods[pod.UID]
	if !ok || qp.state != inFlight {
		// Deleted (or re-added) while in flight.
		return
	}
	qp.pod = pod
	qp.timestamp = q.clock.Now()
	qp.backoffExpiry = time.Time{}
	qp.unschedulablePlugins = plugins
	if isError {
		qp.consecutiveErrors++
		q.pushBackoffLocked(qp, true)
		return
	}
	qp.consecutiveErrors = 0
	qp.unschedulableCount++
	if qp.movedEarly || q.moveRequestCycle >= qp.cycle {
		q.pushBackoffLocked(qp, false)
		return
	}
	qp.state = inUnschedulable
}

func (q *schedulingQueue) backoffDuration(qp *queuedPod) time.Duration {
	count := qp.unschedulableCount
	if qp.consecutiveErrors > 0 {
		count = qp.consecutiveErrors
	}
	if count == 0 {
		return 0
	}
	shift := count - 1
	if shift >= 62 || q.initialBackoff > q.maxBackoff>>shift {
		return q.maxBackoff
	}
	return q.initialBackoff << shift
}

func (q *schedulingQueue) pushBackoffLocked(qp *queuedPod, isError bool) {
	qp.errorBackoff = isError
	qp.backoffExpiry = qp.timestamp.Add(q.backoffDuration(qp)).Truncate(backoffOrderingWindow)
	if !qp.backoffExpiry.After(q.clock.Now()) {
		q.pushActiveLocked(qp)
		return
	}
	qp.state = inBackoff
	// A pod in backoff can be popped when the active queue is empty.
	q.cond.Broadcast()
}

func (q *schedulingQueue) pushActiveLocked(qp *queuedPod) {
	qp.state = inActive
	heap.Push(&q.active, qp)
	q.cond.Broadcast()
}

// requeueLocked moves an unschedulable pod to backoff or, when its backoff
// is over, to the active queue.
func (q *schedulingQueue) requeueLocked(qp *queuedPod) {
	q.pushBackoffLocked(qp, qp.consecutiveErrors > 0)
}

// MoveAllToActiveOrBackoff retries the unschedulable pods that event may
// help, except those skip rejects.
func (q *schedulingQueue) MoveAllToActiveOrBackoff(event clusterEvent, skip func(*corev1.Pod) bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.moveRequestCycle = q.schedulingCycle
	for _, qp := range q.pods {
		if qp.state != inUnschedulable || (skip != nil && skip(qp.pod)) || !interested(qp.unschedulablePlugins, event) {
			continue
		}
		q.requeueLocked(qp)
	}
}

func interested(plugins sets.Set[string], event clusterEvent) bool {
	if len(plugins) == 0 {
		return true
	}
	for p := range plugins {
		if e, ok := pluginEvents[p]; !ok || e&event != 0 {
			return true
		}
	}
	return false
}

// flushBackoffCompleted moves the pods whose backoff is over to the active
// queue.
func (q *schedulingQueue) flushBackoffCompleted() {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := q.clock.Now()
	for _, qp := range q.pods {
		if qp.state == inBackoff && !qp.backoffExpiry.After(now) {
			q.pushActiveLocked(qp)
		}
	}
}

// flushUnschedulableLeftover retries the pods that have waited in the
// unschedulable pool for longer than maxInUnschedulable.
func (q *schedulingQueue) flushUnschedulableLeftover() {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := q.clock.Now()
	for _, qp := range q.pods {
		if qp.state == inUnschedulable && now.Sub(qp.timestamp) > q.maxInUnschedulable {
			q.requeueLocked(qp)
		}
	}
}

// Close wakes Pop up for good.
func (q *schedulingQueue) Close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	q.cond.Broadcast()
}

// counts returns how many pods are active, backing off, unschedulable and in
// flight; for tests and logs.
func (q *schedulingQueue) counts() (active, backoff, unschedulable, flight int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, qp := range q.pods {
		switch qp.state {
		case inActive:
			active++
		case inBackoff:
			backoff++
		case inUnschedulable:
			unschedulable++
		case inFlight:
			flight++
		}
	}
	return
}

// stateOf returns the sub-queue a pod is in, 0 if none.
func (q *schedulingQueue) stateOf(uid types.UID) queueState {
	q.mu.Lock()
	defer q.mu.Unlock()
	if qp, ok := q.pods[uid]; ok {
		return qp.state
	}
	return 0
}
