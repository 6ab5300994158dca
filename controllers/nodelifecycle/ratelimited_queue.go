package nodelifecycle

import (
	"container/heap"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/client-go/util/flowcontrol"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"
)

// Port of pkg/controller/nodelifecycle/scheduler/rate_limited_queue.go, with the
// clock injected instead of a package-level time.Now.

const (
	// nodeHealthUpdateRetry is how many times a node health update is tried
	// (every retrySleepTime) before the node is skipped for this pass.
	nodeHealthUpdateRetry = 5
	// nodeEvictionPeriod is how often the zone tainting queues are drained.
	nodeEvictionPeriod = 100 * time.Millisecond
	// evictionRateLimiterBurst is the burst of every zone's token bucket.
	evictionRateLimiterBurst = 1
)

// timedValue is a value that should be processed at a designated time.
type timedValue struct {
	Value string
	// UID identifies the object the value was queued for (the Node's UID).
	UID       any
	AddedAt   time.Time
	ProcessAt time.Time
}

// timedQueue is a heap with the lowest ProcessAt first.
type timedQueue []*timedValue

func (h timedQueue) Len() int           { return len(h) }
func (h timedQueue) Less(i, j int) bool { return h[i].ProcessAt.Before(h[j].ProcessAt) }
func (h timedQueue) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }

func (h *timedQueue) Push(x any) { *h = append(*h, x.(*timedValue)) }

func (h *timedQueue) Pop() any {
	old := *h
	n := len(old)
	x := old[n-1]
	*h = old[:n-1]
	return x
}

// uniqueQueue is a FIFO queue that accepts a value only once until it is
// removed with Remove (RemoveFromQueue takes it out but keeps it in the set, so
// a processed node is not queued again until it becomes healthy).
type uniqueQueue struct {
	lock  sync.Mutex
	queue timedQueue
	set   sets.Set[string]
}

func (q *uniqueQueue) Add(value timedValue) bool {
	q.lock.Lock()
	defer q.lock.Unlock()
	if q.set.Has(value.Value) {
		return false
	}
	heap.Push(&q.queue, &value)
	q.set.Insert(value.Value)
	return true
}

func (q *uniqueQueue) Replace(value timedValue) bool {
	q.lock.Lock()
	defer q.lock.Unlock()
	for i := range q.queue {
		if q.queue[i].Value != value.Value {
			continue
		}
		heap.Remove(&q.queue, i)
		heap.Push(&q.queue, &value)
		return true
	}
	return false
}

func (q *uniqueQueue) RemoveFromQueue(value string) bool {
	q.lock.Lock()
	defer q.lock.Unlock()
	if !q.set.Has(value) {
		return false
	}
	for i, v := range q.queue {
		if v.Value == value {
			heap.Remove(&q.queue, i)
			return true
		}
	}
	return false
}

func (q *uniqueQueue) Remove(value string) bool {
	q.lock.Lock()
	defer q.lock.Unlock()
	if !q.set.Has(value) {
		return false
	}
	q.set.Delete(value)
	for i, v := range q.queue {
		if v.Value == value {
			heap.Remove(&q.queue, i)
			return true
		}
	}
	return true
}

func (q *uniqueQueue) Head() (timedValue, bool) {
	q.lock.Lock()
	defer q.lock.Unlock()
	if len(q.queue) == 0 {
		return timedValue{}, false
	}
	return *q.queue[0], true
}

// rateLimitedTimedQueue is a unique-item queue ordered by the time an item
// should next be processed, drained under a token-bucket rate limiter.
type rateLimitedTimedQueue struct {
	clock       clock.PassiveClock
	queue       uniqueQueue
	limiterLock sync.Mutex
	limiter     flowcontrol.PassiveRateLimiter
}

func newRateLimitedTimedQueue(clk clock.PassiveClock, qps float32) *rateLimitedTimedQueue {
	return &rateLimitedTimedQueue{
		clock:   clk,
		queue:   uniqueQueue{set: sets.New[string]()},
		limiter: newLimiter(clk, qps),
	}
}

func newLimiter(clk clock.PassiveClock, qps float32) flowcontrol.PassiveRateLimiter {
	if qps <= 0 {
		return neverLimiter{}
	}
	return flowcontrol.NewTokenBucketPassiveRateLimiterWithClock(qps, evictionRateLimiterBurst, clk)
}

// neverLimiter accepts nothing. Unlike flowcontrol.NewFakeNeverRateLimiter it
// reports a QPS of 0, so that swapping back to a rate of 1/s is not mistaken
// for "no change".
type neverLimiter struct{}

func (neverLimiter) TryAccept() bool { return false }
func (neverLimiter) Stop()           {}
func (neverLimiter) QPS() float32    { return 0 }

// actionFunc processes one value; it returns false and a minimum wait if the
// value must be retried.
type actionFunc func(timedValue) (bool, time.Duration)

// Try processes the queue while the limiter accepts and the head is due. A
// value for which fn succeeds leaves the queue but stays in its set, so it is
// processed once until Remove is called for it.
func (q *rateLimitedTimedQueue) Try(logger klog.Logger, fn actionFunc) {
	val, ok := q.queue.Head()
	q.limiterLock.Lock()
	defer q.limiterLock.Unlock()
	for ok {
		if !q.limiter.TryAccept() {
			logger.V(10).Info("Try rate limited", "value", val.Value)
			break
		}
		now := q.clock.Now()
		if now.Before(val.ProcessAt) {
			break
		}
		if ok, wait := fn(val); !ok {
			val.ProcessAt = now.Add(wait + 1)
			q.queue.Replace(val)
		} else {
			q.queue.RemoveFromQueue(val.Value)
		}
		val, ok = q.queue.Head()
	}
}

// Add queues value unless it was queued before and not removed since.
func (q *rateLimitedTimedQueue) Add(value string, uid any) bool {
	now := q.clock.Now()
	return q.queue.Add(timedValue{Value: value, UID: uid, AddedAt: now, ProcessAt: now})
}

// Remove takes value out, so that it may be queued again.
func (q *rateLimitedTimedQueue) Remove(value string) bool {
	return q.queue.Remove(value)
}

// SwapLimiter replaces the limiter if newQPS differs from the current rate. A
// new limiter starts without its token if the old one was exhausted, so that a
// rate change does not let an extra node through (right for burst 1).
func (q *rateLimitedTimedQueue) SwapLimiter(newQPS float32) {
	q.limiterLock.Lock()
	defer q.limiterLock.Unlock()
	if q.limiter.QPS() == newQPS {
		return
	}
	nl := newLimiter(q.clock, newQPS)
	if newQPS > 0 && !q.limiter.TryAccept() {
		nl.TryAccept()
	}
	q.limiter.Stop()
	q.limiter = nl
}

// QPS returns the current rate.
func (q *rateLimitedTimedQueue) QPS() float32 {
	q.limiterLock.Lock()
	defer q.limiterLock.Unlock()
	return q.limiter.QPS()
}
