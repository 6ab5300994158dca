package kubeproxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
)

// serviceIndex indexes EndpointSlices by "<namespace>/<kubernetes.io/service-name>",
// so that finding a Service's slices on every accepted connection costs a map
// lookup, not a scan of the namespace.
const serviceIndex = "k1s.dev/kube-proxy-service"

// keyKind tells the queue's two kinds of keys apart.
type keyKind uint8

const (
	kindService keyKind = iota
	kindNode
)

// queueKey is a Service ("<namespace>/<name>") or a Node (its name) to sync.
type queueKey struct {
	kind keyKind
	name string
}

// servicePort is one TCP port with a nodePort of a Service, what a connection to
// that node port is for.
type servicePort struct {
	service  types.NamespacedName
	name     string // the port's name, matched against the EndpointSlices' ports
	port     int32  // the Service's port, named in the echo line
	nodePort int32
	local    bool // externalTrafficPolicy: Local
	// healthCheck marks the Service's healthCheckNodePort, which answers load
	// balancers' HTTP health checks instead of carrying traffic.
	healthCheck bool
	// next is the round-robin position, shared by the versions of one Service port
	// so that an unrelated update of the Service does not restart the rotation.
	next *atomic.Uint64
}

// Proxy is kube-proxy-lite for every node of the process. Create it with New,
// then Run it.
type Proxy struct {
	cfg      Config
	services corelisters.ServiceLister
	nodes    corelisters.NodeLister
	slices   cache.Indexer
	synced   []cache.InformerSynced
	queue    workqueue.TypedRateLimitingInterface[queueKey]
	ready    chan struct{}

	// mu guards the listener state. The worker holds it to change that state; the
	// connections hold it for reading to find their Service port.
	mu sync.RWMutex
	// nodeIPs are the nodes that have listeners, with the address they listen on.
	nodeIPs map[string]netip.Addr
	// ports maps each node port to its Service port; svcPorts lists the node ports
	// each Service owns.
	ports    map[int32]*servicePort
	svcPorts map[types.NamespacedName]map[int32]*servicePort
	// listeners are by node, then node port.
	listeners map[string]map[int32]*listener
	stopped   bool

	// wg counts the accept loops and the connections.
	wg sync.WaitGroup
}

// New builds the proxy on the factory's Service, EndpointSlice and Node informers.
// It must be called before the factory is started, since it adds an index to the
// EndpointSlice informer. The client is not used for writing: kube-proxy-lite only
// reads.
func New(cfg Config, client kubernetes.Interface, factory informers.SharedInformerFactory) (*Proxy, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("kube-proxy: %w", err)
	}
	if client == nil || factory == nil {
		return nil, errors.New("kube-proxy: a client and an informer factory are required")
	}
	cfg = cfg.withDefaults()
	p := &Proxy{
		cfg: cfg,
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.DefaultTypedControllerRateLimiter[queueKey](),
			workqueue.TypedRateLimitingQueueConfig[queueKey]{Name: "kube-proxy", Clock: cfg.Clock},
		),
		ready:     make(chan struct{}),
		nodeIPs:   map[string]netip.Addr{},
		ports:     map[int32]*servicePort{},
		svcPorts:  map[types.NamespacedName]map[int32]*servicePort{},
		listeners: map[string]map[int32]*listener{},
	}

	svcInformer := factory.Core().V1().Services()
	p.services = svcInformer.Lister()
	if _, err := svcInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    p.enqueueService,
		UpdateFunc: func(_, obj any) { p.enqueueService(obj) },
		DeleteFunc: p.enqueueService,
	}); err != nil {
		return nil, fmt.Errorf("kube-proxy: watching services: %w", err)
	}

	nodeInformer := factory.Core().V1().Nodes()
	p.nodes = nodeInformer.Lister()
	if _, err := nodeInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: p.enqueueNode,
		// Nodes post status every few seconds; only a new address matters here.
		UpdateFunc: func(old, obj any) {
			if internalIP(old.(*corev1.Node)) != internalIP(obj.(*corev1.Node)) {
				p.enqueueNode(obj)
			}
		},
		DeleteFunc: p.enqueueNode,
	}); err != nil {
		return nil, fmt.Errorf("kube-proxy: watching nodes: %w", err)
	}

	// Slices need no event handler: endpoints are looked up when a connection
	// arrives, so the listeners never depend on them.
	sliceInformer := factory.Discovery().V1().EndpointSlices().Informer()
	if err := sliceInformer.AddIndexers(cache.Indexers{serviceIndex: sliceServiceKey}); err != nil {
		return nil, fmt.Errorf("kube-proxy: indexing endpointslices: %w", err)
	}
	p.slices = sliceInformer.GetIndexer()

	p.synced = []cache.InformerSynced{
		svcInformer.Informer().HasSynced,
		nodeInformer.Informer().HasSynced,
		sliceInformer.HasSynced,
	}
	return p, nil
}

func sliceServiceKey(obj any) ([]string, error) {
	slice, ok := obj.(*discoveryv1.EndpointSlice)
	if !ok {
		return nil, nil
	}
	name := slice.Labels[discoveryv1.LabelServiceName]
	if name == "" {
		return nil, nil
	}
	return []string{slice.Namespace + "/" + name}, nil
}

// Ready is closed once the caches are synced and the listeners of the Services and
// active nodes that existed then are open (or failed and are being retried).
func (p *Proxy) Ready() <-chan struct{} { return p.ready }

// NodeChanged tells the proxy that NodeActive's answer for a node may have
// changed, so that its listeners are opened or closed now rather than at the next
// resync. It does not block.
func (p *Proxy) NodeChanged(nodeName string) {
	p.queue.Add(queueKey{kind: kindNode, name: nodeName})
}

// Run serves until ctx is done, then closes every listener and connection and
// returns once they are gone.
func (p *Proxy) Run(ctx context.Context) error {
	defer utilruntime.HandleCrashWithContext(ctx)
	logger := klog.FromContext(ctx)
	defer p.shutdown()

	logger.Info("Starting kube-proxy-lite")
	defer logger.Info("Shutting down kube-proxy-lite")
	// client-go's WaitForCacheSync polls every 100 ms, a tenth of a cluster's whole
	// start-up; the caches of a fresh cluster sync in a few milliseconds.
	if err := wait.PollUntilContextCancel(ctx, 5*time.Millisecond, true, func(context.Context) (bool, error) {
		for _, synced := range p.synced {
			if !synced() {
				return false, nil
			}
		}
		return true, nil
	}); err != nil {
		return fmt.Errorf("kube-proxy: waiting for caches: %w", err)
	}
	logger.V(2).Info("Caches are synced")

	// One pass over everything before Ready, so that a caller waiting on Ready finds
	// the node ports of existing Services open. Services first: a node then opens
	// all its ports in one go.
	svcs, err := p.services.List(labels.Everything())
	if err != nil {
		return fmt.Errorf("kube-proxy: listing services: %w", err)
	}
	for _, svc := range svcs {
		p.sync(ctx, queueKey{kind: kindService, name: svc.Namespace + "/" + svc.Name})
	}
	nodes, err := p.nodes.List(labels.Everything())
	if err != nil {
		return fmt.Errorf("kube-proxy: listing nodes: %w", err)
	}
	for _, node := range nodes {
		p.sync(ctx, queueKey{kind: kindNode, name: node.Name})
	}
	close(p.ready)

	// One worker: every sync changes the same listener state under one lock, so
	// more workers would only wait for each other.
	var workers sync.WaitGroup
	workers.Go(func() {
		for p.processNextItem(ctx) {
		}
	})
	ticker := p.cfg.Clock.NewTicker(p.cfg.SyncPeriod)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			p.queue.ShutDown()
			workers.Wait()
			return nil
		case <-ticker.C():
			p.resync()
		}
	}
}

func (p *Proxy) processNextItem(ctx context.Context) bool {
	key, shutdown := p.queue.Get()
	if shutdown {
		return false
	}
	defer p.queue.Done(key)
	p.sync(ctx, key)
	return true
}

// sync syncs one key; a failure is retried with backoff.
func (p *Proxy) sync(ctx context.Context, key queueKey) {
	var err error
	switch key.kind {
	case kindService:
		err = p.syncService(ctx, key.name)
	case kindNode:
		err = p.syncNode(ctx, key.name)
	}
	if err == nil {
		p.queue.Forget(key)
		return
	}
	klog.FromContext(ctx).Error(err, "Sync failed; retrying", "key", key.name, "requeues", p.queue.NumRequeues(key))
	p.queue.AddRateLimited(key)
}

// resync queues every node whose listeners no longer match NodeActive: the safety
// net for a change nobody reported with NodeChanged.
func (p *Proxy) resync() {
	nodes, err := p.nodes.List(labels.Everything())
	if err != nil {
		return
	}
	seen := make(map[string]bool, len(nodes))
	for _, node := range nodes {
		seen[node.Name] = true
		var want netip.Addr
		if p.cfg.NodeActive(node.Name) {
			want = internalIP(node)
		}
		p.mu.RLock()
		have := p.nodeIPs[node.Name] // invalid when the node has no listeners
		p.mu.RUnlock()
		if have != want {
			p.NodeChanged(node.Name)
		}
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	for name := range p.nodeIPs {
		if !seen[name] {
			p.NodeChanged(name)
		}
	}
}

func (p *Proxy) enqueueService(obj any) {
	key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
	if err != nil {
		utilruntime.HandleError(err)
		return
	}
	p.queue.Add(queueKey{kind: kindService, name: key})
}

func (p *Proxy) enqueueNode(obj any) {
	key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
	if err != nil {
		utilruntime.HandleError(err)
		return
	}
	p.queue.Add(queueKey{kind: kindNode, name: key})
}

// syncService brings the node ports of one Service in step with its spec: closes
// the listeners of ports it dropped, and opens its ports on every active node.
func (p *Proxy) syncService(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil // not a key we queued; retrying cannot help
	}
	nn := types.NamespacedName{Namespace: ns, Name: name}
	svc, err := p.services.Services(ns).Get(name)
	if err != nil && !apierrors.IsNotFound(err) {
		return err
	}

	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return nil
	}
	old := p.svcPorts[nn]
	want := servicePorts(svc)
	for nodePort := range old {
		if _, ok := want[nodePort]; !ok {
			p.closePort(ctx, nodePort)
		}
	}

	var errs []error
	owned := map[int32]*servicePort{}
	for nodePort, sp := range want {
		if cur := p.ports[nodePort]; cur != nil && cur.service != nn {
			// The apiserver keeps node ports unique, so another Service holds this
			// one only until its own update, which may still be queued.
			errs = append(errs, fmt.Errorf("node port %d of service %s is still held by service %s", nodePort, nn, cur.service))
			continue
		}
		if prev := old[nodePort]; prev != nil && prev.name == sp.name && prev.healthCheck == sp.healthCheck {
			sp.next = prev.next
		}
		p.ports[nodePort] = sp
		owned[nodePort] = sp
	}
	if len(owned) == 0 {
		delete(p.svcPorts, nn)
	} else {
		p.svcPorts[nn] = owned
	}
	for node, ip := range p.nodeIPs {
		for nodePort := range owned {
			if err := p.ensureListener(ctx, node, ip, nodePort); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// servicePorts are the node ports kube-proxy serves for a Service (nil: none):
// TCP ports with a nodePort, of a Service of type NodePort or LoadBalancer that
// no other proxy claims. As upstream, a LoadBalancer Service with
// allocateLoadBalancerNodePorts false is served on whatever node ports it still
// has (usually none). A LoadBalancer Service with externalTrafficPolicy Local also
// gets its healthCheckNodePort, so that a load balancer in front sends traffic only
// to the nodes that have an endpoint.
func servicePorts(svc *corev1.Service) map[int32]*servicePort {
	if svc == nil || svc.Spec.Type != corev1.ServiceTypeNodePort && svc.Spec.Type != corev1.ServiceTypeLoadBalancer {
		return nil
	}
	if _, ok := svc.Labels[LabelServiceProxyName]; ok {
		return nil
	}
	ports := map[int32]*servicePort{}
	for _, port := range svc.Spec.Ports {
		if port.NodePort == 0 || port.Protocol != corev1.ProtocolTCP && port.Protocol != "" {
			continue
		}
		ports[port.NodePort] = &servicePort{
			service:  types.NamespacedName{Namespace: svc.Namespace, Name: svc.Name},
			name:     port.Name,
			port:     port.Port,
			nodePort: port.NodePort,
			local:    svc.Spec.ExternalTrafficPolicy == corev1.ServiceExternalTrafficPolicyLocal,
			next:     new(atomic.Uint64),
		}
	}
	hc := svc.Spec.HealthCheckNodePort
	if svc.Spec.Type == corev1.ServiceTypeLoadBalancer && svc.Spec.ExternalTrafficPolicy == corev1.ServiceExternalTrafficPolicyLocal && hc != 0 && ports[hc] == nil {
		ports[hc] = &servicePort{
			service:     types.NamespacedName{Namespace: svc.Namespace, Name: svc.Name},
			nodePort:    hc,
			local:       true,
			healthCheck: true,
			next:        new(atomic.Uint64),
		}
	}
	return ports
}

// syncNode opens every node port on a node that is active and has an InternalIP,
// and closes them on one that is not (or whose address changed).
func (p *Proxy) syncNode(ctx context.Context, name string) error {
	node, err := p.nodes.Get(name)
	if err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	var ip netip.Addr
	// NodeActive is called without p.mu held: it may take the caller's own locks.
	if node != nil && p.cfg.NodeActive(name) {
		ip = internalIP(node)
	}

	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return nil
	}
	if cur, ok := p.nodeIPs[name]; ok && cur != ip {
		p.closeNode(ctx, name)
	}
	if !ip.IsValid() {
		return nil
	}
	p.nodeIPs[name] = ip
	var errs []error
	for nodePort := range p.ports {
		if err := p.ensureListener(ctx, name, ip, nodePort); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// internalIP is the node's first InternalIP address, the one its node ports are
// reached on.
func internalIP(node *corev1.Node) netip.Addr {
	for _, addr := range node.Status.Addresses {
		if addr.Type != corev1.NodeInternalIP {
			continue
		}
		if ip, err := netip.ParseAddr(addr.Address); err == nil {
			return ip.Unmap()
		}
	}
	return netip.Addr{}
}

// ensureListener opens nodePort on a node unless it is open. p.mu must be held.
func (p *Proxy) ensureListener(ctx context.Context, node string, ip netip.Addr, nodePort int32) error {
	byPort := p.listeners[node]
	if byPort[nodePort] != nil {
		return nil
	}
	addr := net.JoinHostPort(ip.String(), strconv.Itoa(int(nodePort)))
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("listening on %s for node %s: %w", addr, node, err)
	}
	if byPort == nil {
		byPort = map[int32]*listener{}
		p.listeners[node] = byPort
	}
	l := &listener{node: node, nodePort: nodePort, ln: ln, conns: map[net.Conn]struct{}{}}
	byPort[nodePort] = l
	klog.FromContext(ctx).V(2).Info("Opened node port", "node", node, "address", addr, "service", p.ports[nodePort].service)
	p.wg.Go(func() { p.acceptLoop(ctx, l) })
	return nil
}

// closePort closes a node port on every node. p.mu must be held.
func (p *Proxy) closePort(ctx context.Context, nodePort int32) {
	if sp := p.ports[nodePort]; sp != nil {
		delete(p.svcPorts[sp.service], nodePort)
	}
	delete(p.ports, nodePort)
	for node, byPort := range p.listeners {
		if l := byPort[nodePort]; l != nil {
			l.close()
			delete(byPort, nodePort)
			klog.FromContext(ctx).V(2).Info("Closed node port", "node", node, "nodePort", nodePort)
		}
	}
}

// closeNode closes every listener of a node. p.mu must be held.
func (p *Proxy) closeNode(ctx context.Context, node string) {
	for _, l := range p.listeners[node] {
		l.close()
	}
	if n := len(p.listeners[node]); n > 0 {
		klog.FromContext(ctx).V(2).Info("Closed the node ports of a node", "node", node, "count", n)
	}
	delete(p.listeners, node)
	delete(p.nodeIPs, node)
}

// shutdown closes every listener and waits for the accept loops and connections.
func (p *Proxy) shutdown() {
	p.queue.ShutDown()
	p.mu.Lock()
	p.stopped = true
	for _, byPort := range p.listeners {
		for _, l := range byPort {
			l.close()
		}
	}
	p.listeners = map[string]map[int32]*listener{}
	p.nodeIPs = map[string]netip.Addr{}
	p.mu.Unlock()
	p.wg.Wait()
}
