package tainteviction

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"
)

// Port of pkg/controller/tainteviction/timed_workers.go.

// workArgs is the pod a timed worker deletes.
type workArgs struct {
	Object types.NamespacedName
}

func (w *workArgs) key() string { return w.Object.String() }

// timedWorker runs a function no earlier than FireAt.
type timedWorker struct {
	WorkItem  *workArgs
	CreatedAt time.Time
	FireAt    time.Time
	Timer     clock.Timer
	cancelled atomic.Bool
}

type workFunc func(ctx context.Context, fireAt time.Time, args *workArgs) error

// createWorker starts a timer that runs f at fireAt, or runs f at once (and
// returns nil) if fireAt is not after createdAt.
func createWorker(ctx context.Context, wg *sync.WaitGroup, args *workArgs, createdAt, fireAt time.Time, f workFunc, clk clock.WithDelayedExecution) *timedWorker {
	delay := fireAt.Sub(createdAt)
	logger := klog.FromContext(ctx)
	w := &timedWorker{WorkItem: args, CreatedAt: createdAt, FireAt: fireAt}
	// The cancelled flag makes Cancel final: once it returns, f either never
	// runs or runs in a goroutine already counted in wg. (A fake clock calls
	// AfterFunc callbacks with its lock held, so the callback only starts a
	// goroutine.)
	wrapper := func() {
		wg.Go(func() {
			if w.cancelled.Load() {
				return
			}
			if err := f(ctx, fireAt, args); err != nil {
				logger.Error(err, "TaintEvictionController: timed worker failed")
			}
		})
	}
	if delay <= 0 {
		wrapper()
		return nil
	}
	w.Timer = clk.AfterFunc(delay, wrapper)
	return w
}

// Cancel stops the worker if it has not fired.
func (w *timedWorker) Cancel() {
	if w != nil {
		w.cancelled.Store(true)
		w.Timer.Stop()
	}
}

// timedWorkerQueue keeps the workers that have not finished, by pod key. An
// entry is nil while work that needed no timer runs.
type timedWorkerQueue struct {
	sync.Mutex
	workers  map[string]*timedWorker
	workerWG sync.WaitGroup
	workFunc workFunc
	clock    clock.WithDelayedExecution
}

func newTimedWorkerQueue(f workFunc, clk clock.WithDelayedExecution) *timedWorkerQueue {
	return &timedWorkerQueue{workers: map[string]*timedWorker{}, workFunc: f, clock: clk}
}

func (q *timedWorkerQueue) wrappedWorkFunc(key string) workFunc {
	return func(ctx context.Context, fireAt time.Time, args *workArgs) error {
		logger := klog.FromContext(ctx)
		logger.V(4).Info("Firing worker", "item", key, "firedTime", fireAt)
		err := q.workFunc(ctx, fireAt, args)
		q.Lock()
		defer q.Unlock()
		logger.V(4).Info("Worker finished, removing", "item", key, "err", err)
		delete(q.workers, key)
		return err
	}
}

// AddWork schedules args at fireAt unless work for the same pod exists.
func (q *timedWorkerQueue) AddWork(ctx context.Context, args *workArgs, createdAt, fireAt time.Time) {
	key := args.key()
	logger := klog.FromContext(ctx)
	q.Lock()
	defer q.Unlock()
	if _, exists := q.workers[key]; exists {
		logger.V(4).Info("Trying to add already existing work, skipping", "item", key, "createTime", createdAt, "firedTime", fireAt)
		return
	}
	logger.V(4).Info("Adding TimedWorkerQueue item and to be fired at firedTime", "item", key, "createTime", createdAt, "firedTime", fireAt)
	q.workers[key] = createWorker(ctx, &q.workerWG, args, createdAt, fireAt, q.wrappedWorkFunc(key), q.clock)
}

// CancelWork removes the pod's scheduled work; it reports whether a pending
// timer was cancelled.
func (q *timedWorkerQueue) CancelWork(logger klog.Logger, key string) bool {
	q.Lock()
	defer q.Unlock()
	w, found := q.workers[key]
	if !found {
		return false
	}
	logger.V(4).Info("Cancelling TimedWorkerQueue item", "item", key)
	delete(q.workers, key)
	if w == nil {
		return false
	}
	w.Cancel()
	return true
}

// GetWorkerUnsafe returns the pod's worker; it may fire at any time after.
func (q *timedWorkerQueue) GetWorkerUnsafe(key string) *timedWorker {
	q.Lock()
	defer q.Unlock()
	return q.workers[key]
}

// CancelAndWait cancels every worker and waits for running ones to finish.
func (q *timedWorkerQueue) CancelAndWait() {
	defer q.workerWG.Wait()
	q.Lock()
	defer q.Unlock()
	for _, w := range q.workers {
		w.Cancel()
	}
	q.workers = map[string]*timedWorker{}
}
