package scheduler

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"

	"github.com/k1s-dev/k1s/controllers/internal/controllerutil"
)

// Event reasons of the scheduler, as upstream records them.
const (
	// EventScheduled (Normal): "Successfully assigned <ns>/<pod> to <node>".
	EventScheduled = "Scheduled"
	// EventFailedScheduling (Warning): the FitError or the error message.
	EventFailedScheduling = "FailedScheduling"
)

// noteLengthLimit is validation.NoteLengthLimit: event messages are cut to it.
const noteLengthLimit = 1024

// binder performs the binding of pod to node; the default POSTs pods/binding.
type binder func(ctx context.Context, pod *corev1.Pod, node string) error

// Scheduler assigns pending pods to nodes. Create it with New and start it
// with Run.
type Scheduler struct {
	schedulerName string
	client        kubernetes.Interface
	clock         clock.WithTicker

	// broadcaster is the caller's, or nil: then Run starts one of its own.
	broadcaster record.EventBroadcaster
	recorder    record.EventRecorder

	cache *schedulerCache
	queue *schedulingQueue
	algo  *algorithm
	bind  binder

	podLister corelisters.PodLister
	synced    []cache.InformerSynced

	// async tracks binding and status-update goroutines so that Run waits
	// for them before returning.
	async sync.WaitGroup
	// apiSlots bounds the API calls those goroutines have in flight (see
	// maxAPICallsInFlight).
	apiSlots chan struct{}
	started  atomic.Bool
	ready    chan struct{}
}

// New returns a scheduler. It validates cfg, fills in defaults, and
// registers on factory the informers it needs: pods and nodes, and the
// services, replication controllers, replica sets and stateful sets that
// decide which pods a pod is spread from. Start the factory after New.
//
// client should carry the scheduler's identity (ClientName). Events go
// through broadcaster with source component cfg.SchedulerName; with a nil
// broadcaster Run starts one that writes through client.
func New(cfg Config, client kubernetes.Interface, factory informers.SharedInformerFactory, broadcaster record.EventBroadcaster) (*Scheduler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid scheduler configuration: %w", err)
	}
	if client == nil {
		return nil, errors.New("--kubeconfig: a Kubernetes client is required")
	}
	if factory == nil {
		return nil, errors.New("an informer factory is required")
	}
	cfg = cfg.withDefaults()

	s := &Scheduler{
		schedulerName: cfg.SchedulerName,
		client:        client,
		clock:         cfg.Clock,
		broadcaster:   broadcaster,
		recorder:      controllerutil.NopRecorder{},
		cache:         newSchedulerCache(),
		queue: newSchedulingQueue(cfg.Clock, time.Duration(cfg.PodInitialBackoffSeconds)*time.Second,
			time.Duration(cfg.PodMaxBackoffSeconds)*time.Second, cfg.PodMaxInUnschedulablePodsDuration),
		ready: make(chan struct{}),
	}
	if broadcaster != nil {
		s.recorder = broadcaster.NewRecorder(scheme.Scheme, corev1.EventSource{Component: cfg.SchedulerName})
	}
	s.bind = s.bindPod
	s.apiSlots = make(chan struct{}, maxAPICallsInFlight)

	core, apps := factory.Core().V1(), factory.Apps().V1()
	// Upstream also spreads by ReplicationController and StatefulSet; k1s serves
	// neither, and an informer on a resource that is not served never syncs.
	owners := ownerListers{
		services:    core.Services().Lister(),
		replicaSets: apps.ReplicaSets().Lister(),
	}
	s.algo = &algorithm{cache: s.cache, owners: owners, parallelism: int(cfg.Parallelism),
		percentageOfNodesToScore: cfg.PercentageOfNodesToScore, rand: cfg.Rand}

	podReg, err := core.Pods().Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj any) {
			if pod, ok := obj.(*corev1.Pod); ok {
				s.onPodAdd(pod)
			}
		},
		UpdateFunc: func(oldObj, newObj any) {
			oldPod, ok1 := oldObj.(*corev1.Pod)
			newPod, ok2 := newObj.(*corev1.Pod)
			if ok1 && ok2 {
				s.onPodUpdate(oldPod, newPod)
			}
		},
		DeleteFunc: func(obj any) {
			if pod, ok := controllerutil.FromTombstone[*corev1.Pod](obj); ok {
				s.onPodDelete(pod)
			}
		},
	})
	if err != nil {
		return nil, fmt.Errorf("adding pod event handler: %w", err)
	}
	nodeReg, err := core.Nodes().Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj any) {
			if node, ok := obj.(*corev1.Node); ok {
				s.onNodeAdd(node)
			}
		},
		UpdateFunc: func(oldObj, newObj any) {
			oldNode, ok1 := oldObj.(*corev1.Node)
			newNode, ok2 := newObj.(*corev1.Node)
			if ok1 && ok2 {
				s.onNodeUpdate(oldNode, newNode)
			}
		},
		DeleteFunc: func(obj any) {
			if node, ok := controllerutil.FromTombstone[*corev1.Node](obj); ok {
				s.cache.RemoveNode(node.Name)
			}
		},
	})
	if err != nil {
		return nil, fmt.Errorf("adding node event handler: %w", err)
	}
	s.podLister = core.Pods().Lister()
	s.synced = []cache.InformerSynced{
		podReg.HasSynced, nodeReg.HasSynced,
		core.Services().Informer().HasSynced,
		apps.ReplicaSets().Informer().HasSynced,
	}
	return s, nil
}

// Ready is closed once Run has synced its caches and started scheduling.
func (s *Scheduler) Ready() <-chan struct{} { return s.ready }

// Run schedules pods until ctx is done and returns nil then; it returns an
// error only if called twice. Bindings in flight are waited for.
func (s *Scheduler) Run(ctx context.Context) error {
	if !s.started.CompareAndSwap(false, true) {
		return errors.New("scheduler: Run may be called only once")
	}
	defer utilruntime.HandleCrashWithContext(ctx)
	logger := klog.FromContext(ctx).WithName("scheduler")
	ctx = klog.NewContext(ctx, logger)
	logger.Info("Starting scheduler", "schedulerName", s.schedulerName)

	// Without a caller's broadcaster (and unless a test swapped the recorder),
	// events go through a broadcaster of our own, on our own client.
	if _, nop := s.recorder.(controllerutil.NopRecorder); s.broadcaster == nil && nop {
		recorder, stop := controllerutil.StartOwnedBroadcaster(ctx, s.client, s.schedulerName)
		defer stop()
		s.recorder = recorder
	}

	var wg sync.WaitGroup
	defer func() {
		logger.Info("Shutting down scheduler")
		s.queue.Close()
		wg.Wait()
		s.async.Wait()
	}()
	if !cache.WaitForNamedCacheSyncWithContext(ctx, s.synced...) {
		return nil
	}

	wg.Go(func() {
		<-ctx.Done()
		s.queue.Close()
	})
	wg.Go(func() {
		controllerutil.Until(ctx, s.clock, backoffOrderingWindow, func(context.Context) { s.queue.flushBackoffCompleted() })
	})
	wg.Go(func() {
		controllerutil.Until(ctx, s.clock, unschedulableFlushPeriod, func(context.Context) { s.queue.flushUnschedulableLeftover() })
	})
	close(s.ready)
	for s.scheduleOne(ctx) {
	}
	return nil
}

// responsible reports whether pod is a pending pod this scheduler places.
func (s *Scheduler) responsible(pod *corev1.Pod) bool {
	return pod.Spec.NodeName == "" && pod.Spec.SchedulerName == s.schedulerName &&
		pod.DeletionTimestamp == nil && !terminal(pod)
}

func terminal(pod *corev1.Pod) bool {
	return pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed
}

// counted reports whether a bound pod takes resources on its node. Upstream's
// scheduler watches pods with a field selector excluding terminal ones, so a
// pod that terminates is, for it, deleted.
func counted(pod *corev1.Pod) bool {
	return pod.Spec.NodeName != "" && !terminal(pod)
}

func (s *Scheduler) onPodAdd(pod *corev1.Pod) {
	switch {
	case counted(pod):
		s.cache.AddPod(pod)
		s.queue.Delete(pod.UID)
	case s.responsible(pod) && !s.cache.IsAssumed(pod.UID):
		s.queue.Add(pod)
	}
}

func (s *Scheduler) onPodUpdate(oldPod, newPod *corev1.Pod) {
	switch {
	case counted(newPod):
		// Bound now (confirming an assumption) or still bound.
		s.queue.Delete(newPod.UID)
		scaledDown := counted(oldPod) && scaledDown(oldPod, newPod)
		s.cache.UpdatePod(newPod)
		if scaledDown {
			s.queue.MoveAllToActiveOrBackoff(eventAssignedPodScaleDown, nil)
		}
	case newPod.Spec.NodeName != "":
		// Bound and terminated: its resources are free.
		s.queue.Delete(newPod.UID)
		if s.cache.podNode(newPod.UID) != "" {
			s.cache.RemovePod(newPod)
			s.queue.MoveAllToActiveOrBackoff(eventAssignedPodDelete, nil)
		}
	case s.responsible(newPod):
		if s.cache.IsAssumed(newPod.UID) {
			// Our own binding is in flight; the informer will show it bound.
			return
		}
		s.queue.Update(oldPod, newPod)
	default:
		// Being deleted, terminal, or handed to another scheduler.
		s.queue.Delete(newPod.UID)
	}
}

func scaledDown(oldPod, newPod *corev1.Pod) bool {
	o, n := podRequests(oldPod), podRequests(newPod)
	return n.milliCPU < o.milliCPU || n.memory < o.memory || n.ephemeralStorage < o.ephemeralStorage
}

func (s *Scheduler) onPodDelete(pod *corev1.Pod) {
	s.queue.Delete(pod.UID)
	// A bound pod, or one whose binding we have assumed: either way it held
	// resources the cache counted.
	if s.cache.podNode(pod.UID) != "" {
		s.cache.RemovePod(pod)
		s.queue.MoveAllToActiveOrBackoff(eventAssignedPodDelete, nil)
	}
}

func (s *Scheduler) onNodeAdd(node *corev1.Node) {
	s.cache.AddNode(node)
	s.queue.MoveAllToActiveOrBackoff(eventNodeAdd, nil)
}

func (s *Scheduler) onNodeUpdate(oldNode, newNode *corev1.Node) {
	s.cache.AddNode(newNode)
	var event clusterEvent
	if !apiequality.Semantic.DeepEqual(oldNode.Status.Allocatable, newNode.Status.Allocatable) {
		event |= eventNodeAllocatable
	}
	if !apiequality.Semantic.DeepEqual(oldNode.Labels, newNode.Labels) {
		event |= eventNodeLabel
	}
	if oldNode.Spec.Unschedulable != newNode.Spec.Unschedulable || !apiequality.Semantic.DeepEqual(oldNode.Spec.Taints, newNode.Spec.Taints) {
		event |= eventNodeTaint
	}
	if event != 0 {
		s.queue.MoveAllToActiveOrBackoff(event, nil)
	}
}
