package kubeletlite

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"
)

// Kubelet is one simulated node: it registers its Node, renews its Lease,
// reports NodeStatus and runs the pods bound to it on a simulated runtime.
//
// All API work happens on the single goroutine of Run; the informers only mark
// work and wake it. The injection methods are safe to call from any goroutine.
type Kubelet struct {
	cfg           Config
	client        Client
	clock         clock.WithTicker
	recorder      record.EventRecorder
	nodeName      string
	hostname      string
	renewInterval time.Duration

	// mu guards the injected state and the dirty set below.
	mu        sync.Mutex
	readyOK   bool
	readyWhy  string
	readyMsg  string
	pressure  map[corev1.NodeConditionType]bool
	paused    bool
	resumed   bool
	dirtyPods map[string]struct{}

	wake           chan struct{}
	registered     chan struct{}
	registeredOnce sync.Once
	done           chan struct{}
	started        atomic.Bool

	// randFloat returns values in [0,1) for jitter and the report delay. Seeded
	// per node name, so runs are reproducible yet nodes spread out. Tests may
	// replace it before Run.
	randFloat func() float64
	// onIdle, when set (tests), is called each time the loop is about to block.
	onIdle func()

	// Everything below is owned by the Run goroutine.
	nodeLister      *lastNode
	podIndexer      cache.Indexer
	podWatch        *podWatch
	nextStatusSync  time.Time
	nextLeaseSync   time.Time
	registerBackoff time.Duration
	leaseBackoff    time.Duration

	registrationCompleted      bool
	lastStatusReportTime       time.Time
	delayAfterNodeStatusChange time.Duration
	podCIDRs                   string
	knownNodeUID               types.UID
	latestLease                *coordinationv1.Lease

	pods podManager

	// logs are the simulated containers' logs, written by the Run goroutine
	// and read by the kubelet API.
	logs *logStore
	// apiPods is the pod watch's indexer once it exists (a cache.Indexer),
	// for the kubelet API's goroutines.
	apiPods   atomic.Value
	startedAt time.Time
	// api is the kubelet API's state once it is served.
	api *apiServer
	// procs are the running processes of the process runtime, for the
	// kubelet API.
	procs procRegistry
}

// New validates cfg, fills in defaults and returns a Kubelet ready to Run.
func New(cfg Config) (*Kubelet, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid kubelet-lite configuration: %w", err)
	}
	cfg = cfg.withDefaults()
	h := fnv.New64a()
	_, _ = h.Write([]byte(cfg.NodeName))
	rng := rand.New(rand.NewPCG(h.Sum64(), 0x6b31732d6b75626c))
	k := &Kubelet{
		cfg:           cfg,
		client:        cfg.Client,
		clock:         cfg.Clock,
		recorder:      cfg.Recorder,
		nodeName:      cfg.NodeName,
		hostname:      cfg.NodeName,
		renewInterval: time.Duration(float64(time.Duration(cfg.NodeLeaseDurationSeconds)*time.Second) * nodeLeaseRenewIntervalFraction),
		readyOK:       true,
		pressure:      map[corev1.NodeConditionType]bool{},
		dirtyPods:     map[string]struct{}{},
		wake:          make(chan struct{}, 1),
		registered:    make(chan struct{}),
		done:          make(chan struct{}),
		randFloat:     rng.Float64,
	}
	k.pods = newPodManager(k)
	k.logs = newLogStore()
	return k, nil
}

// NodeName returns the (normalised) name of the Node this kubelet runs.
func (k *Kubelet) NodeName() string { return k.nodeName }

// Registered is closed once the Node exists and this kubelet has written its
// status to it (by creating it, or by patching an existing one).
func (k *Kubelet) Registered() <-chan struct{} { return k.registered }

// Done is closed when Run has returned.
func (k *Kubelet) Done() <-chan struct{} { return k.done }

// WaitRegistered blocks until the Node is registered, ctx ends, or Run returns
// first.
func (k *Kubelet) WaitRegistered(ctx context.Context) error {
	select {
	case <-k.registered:
		return nil
	case <-k.done:
		select {
		case <-k.registered:
			return nil
		default:
		}
		return fmt.Errorf("kubelet %q stopped before its node registered", k.nodeName)
	case <-ctx.Done():
		return fmt.Errorf("waiting for node %q to register: %w", k.nodeName, ctx.Err())
	}
}

// SetReady sets what the Ready condition reports from the next status sync on.
// ready=true reports True/KubeletReady; false reports False with reason (default
// KubeletNotReady) and message (default "container runtime is down"), as a
// kubelet whose runtime check fails does.
func (k *Kubelet) SetReady(ready bool, reason, message string) {
	k.mu.Lock()
	k.readyOK = ready
	k.readyWhy, k.readyMsg = reason, message
	k.mu.Unlock()
	k.nudge()
}

// SetPressure sets the MemoryPressure, DiskPressure or PIDPressure condition
// reported from the next status sync on.
func (k *Kubelet) SetPressure(conditionType corev1.NodeConditionType, pressure bool) error {
	switch conditionType {
	case corev1.NodeMemoryPressure, corev1.NodeDiskPressure, corev1.NodePIDPressure:
	default:
		return fmt.Errorf("SetPressure: %q is not a pressure condition", conditionType)
	}
	k.mu.Lock()
	k.pressure[conditionType] = pressure
	k.mu.Unlock()
	k.nudge()
	return nil
}

// PauseHeartbeats simulates a network partition between this node and the
// control plane while the process keeps running: no lease renewals, no node
// status, no pod status and no pod deletions reach the apiserver until
// ResumeHeartbeats. Pods keep running in the simulated runtime. This is the
// failure the node lifecycle controller detects.
func (k *Kubelet) PauseHeartbeats() {
	k.mu.Lock()
	k.paused = true
	k.mu.Unlock()
	k.nudge()
}

// ResumeHeartbeats ends PauseHeartbeats; the lease and the node status are
// written right away, then on their usual schedule.
func (k *Kubelet) ResumeHeartbeats() {
	k.mu.Lock()
	if k.paused {
		k.paused = false
		k.resumed = true
	}
	k.mu.Unlock()
	k.nudge()
}

// HeartbeatsPaused reports whether PauseHeartbeats is in effect.
func (k *Kubelet) HeartbeatsPaused() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.paused
}

func (k *Kubelet) isPaused() bool { return k.HeartbeatsPaused() }

// nudge wakes the loop without blocking; one pending wake-up is enough since a
// pass looks at everything that changed.
func (k *Kubelet) nudge() {
	select {
	case k.wake <- struct{}{}:
	default:
	}
}

func (k *Kubelet) markRegistered() {
	k.registeredOnce.Do(func() { close(k.registered) })
}

// jitter returns d plus up to 4% (wait.Jitter with factor 0.04), so that 1,000
// nodes started together do not renew in lock step.
func (k *Kubelet) jitter(d time.Duration) time.Duration {
	return d + time.Duration(k.randFloat()*heartbeatJitterFactor*float64(d))
}

// Run runs the kubelet until ctx is done. It returns nil on cancellation; it
// may be called once.
func (k *Kubelet) Run(ctx context.Context) error {
	if !k.started.CompareAndSwap(false, true) {
		return errors.New("kubelet-lite: Run may be called only once")
	}
	defer close(k.done)
	logger := klog.LoggerWithValues(klog.FromContext(ctx), "node", k.nodeName)
	ctx = klog.NewContext(ctx, logger)
	k.startedAt = k.clock.Now()
	stopAPI, err := k.serveAPI(ctx)
	if err != nil {
		return err
	}
	defer stopAPI()
	logger.Info("Starting kubelet-lite", "registerNode", k.cfg.RegisterNode, "nodeStatusUpdateFrequency", k.cfg.NodeStatusUpdateFrequency,
		"nodeStatusReportFrequency", k.cfg.NodeStatusReportFrequency, "leaseRenewInterval", k.renewInterval)
	if !k.cfg.RegisterNode {
		logger.Info("Node registration is disabled (--register-node=false); waiting for an administrator to create the Node")
	}
	k.nodeEvent(corev1.EventTypeNormal, "Starting", "Starting kubelet.")

	// The kubelet keeps the Node as the apiserver last returned it (on register, GET and
	// every status PATCH) instead of watching it: a watch per node costs a server-side
	// watcher, a stream and half a dozen goroutines, which for 1,000 nodes is most of
	// the memory of the process. Spec changes (pod CIDR, taints) arrive with the next
	// status sync; a deleted Node shows as NotFound on the next PATCH and the kubelet
	// registers again.
	k.nodeLister = &lastNode{}
	defer func() {
		k.podWatch.stop()
	}()
	// Runs first on the way out: no process outlives its kubelet.
	defer k.pods.stopAllProcesses(ctx)

	now := k.clock.Now()
	k.nextStatusSync, k.nextLeaseSync = now, now
	for {
		k.syncOnce(ctx)
		if k.onIdle != nil {
			k.onIdle()
		}
		next := k.nextWakeup()
		wait := next.Sub(k.clock.Now())
		if wait <= 0 {
			// Something became due while we were busy (slow API calls).
			select {
			case <-ctx.Done():
				logger.Info("Stopping kubelet-lite")
				return nil
			default:
				continue
			}
		}
		timer := k.clock.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			logger.Info("Stopping kubelet-lite")
			return nil
		case <-k.wake:
		case <-timer.C():
		case ev, ok := <-k.podWatch.events():
			k.podWatch.handle(ctx, ev, ok)
			k.podWatch.drain(ctx, maxPodEventsPerPass)
		}
		timer.Stop()
	}
}

// syncOnce does whatever is due: node status (and registration), lease, pods.
func (k *Kubelet) syncOnce(ctx context.Context) {
	k.mu.Lock()
	resumed := k.resumed
	k.resumed = false
	k.mu.Unlock()
	now := k.clock.Now()
	if resumed {
		k.nextStatusSync, k.nextLeaseSync = now, now
		k.pods.markAllForSync()
	}
	if !now.Before(k.nextStatusSync) {
		k.nextStatusSync = k.clock.Now().Add(k.syncNodeStatus(ctx))
	}
	// Re-read the clock: registration may just have made the lease due.
	if !k.clock.Now().Before(k.nextLeaseSync) {
		k.nextLeaseSync = k.clock.Now().Add(k.syncLease(ctx))
	}
	if k.isRegistered() {
		k.ensurePodWatch(ctx)
	}
	k.pods.sync(ctx)
}

func (k *Kubelet) nextWakeup() time.Time {
	next := k.nextStatusSync
	if k.nextLeaseSync.Before(next) {
		next = k.nextLeaseSync
	}
	if t := k.pods.nextEvent(k.isPaused()); !t.IsZero() && t.Before(next) {
		next = t
	}
	if t := k.podWatch.nextRetry(); !t.IsZero() && t.Before(next) {
		next = t
	}
	return next
}

func (k *Kubelet) isRegistered() bool {
	select {
	case <-k.registered:
		return true
	default:
		return false
	}
}

// maxPodEventsPerPass bounds how many waiting pod events the loop applies before
// it syncs the pods they changed.
const maxPodEventsPerPass = 100

// ensurePodWatch lists and watches pods once the Node exists, as upstream waits
// for its own Node before it watches pods, and opens the watch again when it
// ended. The field selector spec.nodeName=<node> is what the Node authorizer
// allows and what keeps 1,000 kubelets from each receiving every pod.
func (k *Kubelet) ensurePodWatch(ctx context.Context) {
	if k.podWatch == nil {
		k.podWatch = newPodWatch(k, k.podChanged)
		k.podIndexer = k.podWatch.indexer
		k.apiPods.Store(k.podIndexer)
	}
	k.podWatch.sync(ctx)
	// Events that came while the loop was busy: a loop that is always behind never
	// waits on the watch's channel.
	k.podWatch.drain(ctx, maxPodEventsPerPass)
}

func (k *Kubelet) podChanged(obj any) {
	key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
	if err != nil {
		return
	}
	k.mu.Lock()
	k.dirtyPods[key] = struct{}{}
	k.mu.Unlock()
	k.nudge()
}

func (k *Kubelet) takeDirtyPods() map[string]struct{} {
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.dirtyPods) == 0 {
		return nil
	}
	d := k.dirtyPods
	k.dirtyPods = map[string]struct{}{}
	return d
}

// event records an event when a recorder was configured.
func (k *Kubelet) event(obj runtime.Object, eventType, reason, messageFmt string, args ...any) {
	if k.recorder == nil || obj == nil {
		return
	}
	k.recorder.Eventf(obj, eventType, reason, messageFmt, args...)
}

func (k *Kubelet) nodeRef() *corev1.ObjectReference {
	return &corev1.ObjectReference{Kind: "Node", Name: k.nodeName, UID: k.knownNodeUID}
}

func (k *Kubelet) nodeEvent(eventType, reason, messageFmt string, args ...any) {
	k.event(k.nodeRef(), eventType, reason, messageFmt, args...)
}

// lastNode is the kubelet's own Node as the apiserver last returned it.
type lastNode struct {
	mu   sync.Mutex
	node *corev1.Node
}

// Get returns the remembered Node, or NotFound before there is one. Callers must not
// modify the result, as with a lister.
func (l *lastNode) Get(name string) (*corev1.Node, error) {
	if l == nil {
		return nil, apierrors.NewNotFound(corev1.Resource("nodes"), name)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.node == nil || l.node.Name != name {
		return nil, apierrors.NewNotFound(corev1.Resource("nodes"), name)
	}
	return l.node, nil
}

func (l *lastNode) set(n *corev1.Node) {
	if l == nil || n == nil {
		return
	}
	// managedFields are a large part of a Node and the kubelet never reads them;
	// 1,000 kubelets keep 1,000 Nodes.
	n.ManagedFields = nil
	l.mu.Lock()
	l.node = n
	l.mu.Unlock()
}

func (l *lastNode) forget() {
	if l == nil {
		return
	}
	l.mu.Lock()
	l.node = nil
	l.mu.Unlock()
}
