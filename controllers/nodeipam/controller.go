package nodeipam

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"

	"github.com/k1s-dev/k1s/controllers/internal/controllerutil"
)

// Event reasons the controller records, as upstream records them: Normal
// events on the Node, message "Node <name> status is now: <reason>".
const (
	// EventCIDRNotAvailable: no free subnet is left in a cluster CIDR. k1s
	// also records it for a node whose spec.podCIDRs lie outside the cluster
	// CIDRs (upstream fails or retries there without an event).
	EventCIDRNotAvailable = "CIDRNotAvailable"
	// EventCIDRAssignmentFailed: the PATCH of spec.podCIDRs failed
	// cidrUpdateRetries times in a row.
	EventCIDRAssignmentFailed = "CIDRAssignmentFailed"
)

const (
	// cidrUpdateWorkers is upstream's number of allocation workers.
	cidrUpdateWorkers = 30
	// cidrUpdateRetries is how many times one sync tries the PATCH.
	cidrUpdateRetries = 3
)

// Controller is the node IPAM controller: it gives every Node one pod CIDR
// per cluster CIDR. Create it with New and start it with Run.
type Controller struct {
	client       kubernetes.Interface
	clusterCIDRs []*net.IPNet
	serviceCIDRs []*net.IPNet
	// cidrSets[i] tracks the node subnets of clusterCIDRs[i].
	cidrSets []*cidrSet

	// broadcaster is the caller's, or nil: then Run starts one of its own.
	broadcaster record.EventBroadcaster
	recorder    record.EventRecorder

	nodeLister corelisters.NodeLister
	nodeSynced cache.InformerSynced
	queue      workqueue.TypedRateLimitingInterface[string]

	// occupyLock makes a node deletion that races with the start-up pass
	// release its CIDRs only after the pass has occupied them.
	occupyLock sync.Mutex
	// outOfRange remembers, per node name, the podCIDRs already reported as
	// outside the cluster CIDRs, so that heartbeats do not repeat the event.
	outOfRange sync.Map

	started atomic.Bool
	ready   chan struct{}
}

// New returns a node IPAM controller. It validates cfg and registers a Node
// event handler with factory: start the factory after New, before or after
// Run.
//
// client should carry the controller's identity (ClientName). Events go
// through broadcaster, with source EventSourceComponent; with a nil
// broadcaster Run starts one that writes through client and stops it on
// return.
func New(cfg Config, client kubernetes.Interface, factory informers.SharedInformerFactory, broadcaster record.EventBroadcaster) (*Controller, error) {
	p, err := cfg.parse()
	if err != nil {
		return nil, fmt.Errorf("invalid node IPAM controller configuration: %w", err)
	}
	if client == nil {
		return nil, errors.New("--kubeconfig: a Kubernetes client is required")
	}
	if factory == nil {
		return nil, errors.New("an informer factory is required")
	}
	if cfg.Clock == nil {
		cfg.Clock = DefaultConfig().Clock
	}

	c := &Controller{
		client:       client,
		clusterCIDRs: p.clusterCIDRs,
		serviceCIDRs: p.serviceCIDRs,
		broadcaster:  broadcaster,
		recorder:     controllerutil.NopRecorder{},
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "cidrallocator_node", Clock: cfg.Clock},
		),
		ready: make(chan struct{}),
	}
	if broadcaster != nil {
		c.recorder = broadcaster.NewRecorder(scheme.Scheme, corev1.EventSource{Component: EventSourceComponent})
	}
	for i, cidr := range p.clusterCIDRs {
		set, err := newCIDRSet(cidr, p.maskSizes[i])
		if err != nil {
			return nil, fmt.Errorf("--cluster-cidr %s: %w", cidr, err)
		}
		c.cidrSets = append(c.cidrSets, set)
	}
	// Upstream filters the service ranges out before it occupies the nodes'
	// CIDRs; the order does not matter, occupying is idempotent.
	for _, svc := range p.serviceCIDRs {
		c.filterOutServiceRange(svc)
	}

	nodeInformer := factory.Core().V1().Nodes()
	if _, err := nodeInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj any) {
			if node, ok := obj.(*corev1.Node); ok {
				c.queue.Add(node.Name)
			}
		},
		UpdateFunc: func(_, newObj any) {
			if node, ok := newObj.(*corev1.Node); ok {
				c.queue.Add(node.Name)
			}
		},
		// Node has no finalizer, so a deletion shows up only here (upstream
		// releases here too, not in the worker).
		DeleteFunc: func(obj any) {
			if node, ok := controllerutil.FromTombstone[*corev1.Node](obj); ok {
				c.nodeDeleted(node)
			}
		},
	}); err != nil {
		return nil, fmt.Errorf("adding node event handler: %w", err)
	}
	c.nodeLister = nodeInformer.Lister()
	c.nodeSynced = nodeInformer.Informer().HasSynced
	return c, nil
}

// Ready is closed once Run has synced the Node cache, occupied the CIDRs the
// nodes already have and started its workers: from then on no CIDR in use is
// handed out again.
func (c *Controller) Ready() <-chan struct{} { return c.ready }

// Run runs the controller until ctx is done and returns nil then; it returns
// an error only if called twice.
func (c *Controller) Run(ctx context.Context) error {
	if !c.started.CompareAndSwap(false, true) {
		return errors.New("node IPAM controller: Run may be called only once")
	}
	defer utilruntime.HandleCrashWithContext(ctx)
	logger := klog.FromContext(ctx).WithName(ControllerName)
	ctx = klog.NewContext(ctx, logger)

	// Without a caller's broadcaster (and unless a test swapped the recorder),
	// events go through a broadcaster of our own, on our own client.
	if _, nop := c.recorder.(controllerutil.NopRecorder); c.broadcaster == nil && nop {
		recorder, stop := controllerutil.StartOwnedBroadcaster(ctx, c.client, EventSourceComponent)
		defer stop()
		c.recorder = recorder
	}

	logger.Info("Starting range CIDR allocator", "clusterCIDRs", c.clusterCIDRs, "serviceCIDRs", c.serviceCIDRs)
	var wg sync.WaitGroup
	defer func() {
		logger.Info("Shutting down range CIDR allocator")
		c.queue.ShutDown()
		wg.Wait()
	}()

	if !cache.WaitForNamedCacheSyncWithContext(ctx, c.nodeSynced) {
		return nil
	}
	// Upstream LISTs the nodes in its constructor (polling up to 10 min for
	// the apiserver); the synced cache is that LIST. Workers start only after
	// this pass, so no allocation can take a CIDR a node already holds.
	if err := c.occupyExisting(ctx); err != nil {
		return err
	}

	for range cidrUpdateWorkers {
		wg.Go(func() { c.runWorker(ctx) })
	}
	close(c.ready)
	<-ctx.Done()
	return nil
}

// occupyExisting marks every podCIDR that nodes already have as used.
func (c *Controller) occupyExisting(ctx context.Context) error {
	c.occupyLock.Lock()
	defer c.occupyLock.Unlock()
	nodes, err := c.nodeLister.List(labels.Everything())
	if err != nil {
		return fmt.Errorf("listing nodes: %w", err)
	}
	logger := klog.FromContext(ctx)
	for _, node := range nodes {
		if len(node.Spec.PodCIDRs) == 0 {
			continue
		}
		logger.V(4).Info("Node has CIDR, occupying it in CIDR map", "node", klog.KObj(node), "podCIDRs", node.Spec.PodCIDRs)
		c.occupyNode(ctx, node)
	}
	return nil
}

func (c *Controller) runWorker(ctx context.Context) {
	for c.processNextItem(ctx) {
	}
}

func (c *Controller) processNextItem(ctx context.Context) bool {
	name, shutdown := c.queue.Get()
	if shutdown {
		return false
	}
	defer c.queue.Done(name)
	if err := c.syncNode(ctx, name); err != nil {
		klog.FromContext(ctx).Error(err, "Error syncing node, requeuing", "node", klog.KRef("", name))
		c.queue.AddRateLimited(name)
		return true
	}
	c.queue.Forget(name)
	return true
}

// syncNode gives the node its pod CIDRs, or occupies the ones it has. An error
// requeues the node with back-off.
func (c *Controller) syncNode(ctx context.Context, name string) error {
	node, err := c.nodeLister.Get(name)
	if err != nil {
		if apierrors.IsNotFound(err) {
			// Released by the delete handler.
			return nil
		}
		return err
	}
	if !node.DeletionTimestamp.IsZero() {
		klog.FromContext(ctx).V(3).Info("Node is being deleted", "node", klog.KObj(node))
		return nil
	}
	if len(node.Spec.PodCIDRs) > 0 {
		c.occupyNode(ctx, node)
		return nil
	}
	return c.allocate(ctx, node)
}

// occupyNode marks node's podCIDRs used. A CIDR outside its cluster CIDR (the
// cluster CIDRs changed since it was assigned) cannot be tracked: it is
// logged and reported with CIDRNotAvailable once per node and CIDR list, and
// not retried, since spec.podCIDRs is immutable. Upstream instead fails its
// constructor (at start) or retries forever (later), with no event.
func (c *Controller) occupyNode(ctx context.Context, node *corev1.Node) {
	var errs []error
	for idx, s := range node.Spec.PodCIDRs {
		cidr, err := c.nodeCIDR(node, idx, s)
		if err == nil {
			err = c.cidrSets[idx].occupy(cidr)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("failed to mark cidr %s at index %d as occupied for node %s: %w", s, idx, node.Name, err))
		}
	}
	if len(errs) == 0 {
		c.outOfRange.Delete(node.Name)
		return
	}
	key := strings.Join(node.Spec.PodCIDRs, ",")
	if prev, loaded := c.outOfRange.Swap(node.Name, key); loaded && prev == key {
		return
	}
	klog.FromContext(ctx).Error(errors.Join(errs...), "Node has pod CIDRs outside the cluster CIDRs", "node", klog.KObj(node), "podCIDRs", node.Spec.PodCIDRs, "clusterCIDRs", c.clusterCIDRs)
	recordNodeStatusChange(ctx, c.recorder, node, EventCIDRNotAvailable)
}

// nodeCIDR parses node.Spec.PodCIDRs[idx]; there must be a cluster CIDR at idx.
func (c *Controller) nodeCIDR(node *corev1.Node, idx int, s string) (*net.IPNet, error) {
	cidr, err := parseCIDR(s)
	if err != nil {
		return nil, fmt.Errorf("failed to parse CIDR %s on node %s: %w", s, node.Name, err)
	}
	// A dual-stack node in a cluster that went back to single-stack.
	if idx >= len(c.cidrSets) {
		return nil, fmt.Errorf("node %s has an allocated cidr %s at index %d that does not exist in the cluster cidrs configuration", node.Name, s, idx)
	}
	return cidr, nil
}

// allocate takes one free subnet of each cluster CIDR and writes them to the
// node.
func (c *Controller) allocate(ctx context.Context, node *corev1.Node) error {
	allocated := make([]*net.IPNet, 0, len(c.cidrSets))
	for idx, set := range c.cidrSets {
		cidr, err := set.allocateNext()
		if err != nil {
			// Upstream keeps the subnets already taken from the other
			// families (a leak per retry); k1s gives them back.
			c.releaseAllocated(ctx, allocated)
			recordNodeStatusChange(ctx, c.recorder, node, EventCIDRNotAvailable)
			return fmt.Errorf("failed to allocate cidr from cluster cidr at idx:%v: %w", idx, err)
		}
		allocated = append(allocated, cidr)
	}
	return c.updateCIDRsAllocation(ctx, node.Name, allocated)
}

func (c *Controller) releaseAllocated(ctx context.Context, allocated []*net.IPNet) {
	for idx, cidr := range allocated {
		if err := c.cidrSets[idx].release(cidr); err != nil {
			klog.FromContext(ctx).Error(err, "Error when releasing CIDR", "index", idx, "CIDR", cidr)
		}
	}
}

// nodeDeleted releases the node's CIDRs and, since that frees room, requeues
// the nodes still waiting for one (upstream leaves them to their back-off).
func (c *Controller) nodeDeleted(node *corev1.Node) {
	c.occupyLock.Lock()
	defer c.occupyLock.Unlock()
	c.outOfRange.Delete(node.Name)
	if len(node.Spec.PodCIDRs) == 0 {
		return
	}
	logger := klog.Background().WithName(ControllerName)
	var errs []error
	for idx, s := range node.Spec.PodCIDRs {
		cidr, err := c.nodeCIDR(node, idx, s)
		if err == nil {
			logger.V(4).Info("Release CIDR for node", "CIDR", s, "node", klog.KObj(node))
			err = c.cidrSets[idx].release(cidr)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		logger.Error(errors.Join(errs...), "Error while processing CIDR release", "node", klog.KObj(node))
	}
	nodes, err := c.nodeLister.List(labels.Everything())
	if err != nil {
		return
	}
	for _, n := range nodes {
		if len(n.Spec.PodCIDRs) == 0 && n.DeletionTimestamp.IsZero() {
			c.queue.Add(n.Name)
		}
	}
}

// filterOutServiceRange marks the node subnets a service CIDR overlaps used in
// every cluster CIDR it overlaps, so that they are never handed out.
func (c *Controller) filterOutServiceRange(serviceCIDR *net.IPNet) {
	for idx, cidr := range c.clusterCIDRs {
		if !cidr.Contains(serviceCIDR.IP.Mask(cidr.Mask)) && !serviceCIDR.Contains(cidr.IP.Mask(serviceCIDR.Mask)) {
			continue
		}
		if err := c.cidrSets[idx].occupy(serviceCIDR); err != nil {
			klog.Background().WithName(ControllerName).Error(err, "Error filtering out service cidr out cluster cidr", "CIDR", cidr, "index", idx, "serviceCIDR", serviceCIDR)
		}
	}
}
