package cloud

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	cloudprovider "k8s.io/cloud-provider"
	nodecontroller "k8s.io/cloud-provider/controllers/node"
	nodelifecyclecontroller "k8s.io/cloud-provider/controllers/nodelifecycle"
	routecontroller "k8s.io/cloud-provider/controllers/route"
	servicecontroller "k8s.io/cloud-provider/controllers/service"
	controllersmetrics "k8s.io/component-base/metrics/prometheus/controllers"
	"k8s.io/klog/v2"

	// The route controller reads the CloudControllerManagerWatchBasedRoutesReconciliation
	// gate in New and panics if it was never registered.
	_ "k8s.io/controller-manager/pkg/features/register"
)

// Controllers runs the upstream cloud controllers against one cloud provider.
type Controllers struct {
	cfg       Config
	provider  cloudprovider.Interface
	clientFor func(string) (kubernetes.Interface, error)
	factory   informers.SharedInformerFactory

	// runs are the constructed controllers, in start order.
	runs []namedRun
	// skipped says why an enabled controller is not running.
	skipped map[string]string

	ready   chan struct{}
	started sync.Once
}

type namedRun struct {
	name string
	run  func(ctx context.Context, metrics *controllersmetrics.ControllerManagerMetrics)
}

// New validates cfg and constructs the enabled controllers, which registers
// their informers and event handlers on factory; start the factory after New
// (Run also starts it). clientFor returns the client of a controller identity
// (NodeControllerClientName, ServiceControllerClientName,
// RouteControllerClientName); the factory's own client only needs to list
// and watch Nodes and Services.
//
// As cloud-controller-manager does, a controller the provider cannot serve is
// skipped rather than failing New (Skipped says which and why). A provider
// that implements cloudprovider.InformerUser gets the factory here, before it
// starts.
func New(cfg Config, provider cloudprovider.Interface, clientFor func(serviceAccountName string) (kubernetes.Interface, error), factory informers.SharedInformerFactory) (*Controllers, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if provider == nil {
		return nil, errors.New("cloud controllers: no cloud provider")
	}
	if clientFor == nil || factory == nil {
		return nil, errors.New("cloud controllers: a client source and an informer factory are required")
	}
	cfg = cfg.withDefaults()
	c := &Controllers{
		cfg:       cfg,
		provider:  provider,
		clientFor: clientFor,
		factory:   factory,
		skipped:   map[string]string{},
		ready:     make(chan struct{}),
	}
	if iu, ok := provider.(cloudprovider.InformerUser); ok {
		iu.SetInformers(factory)
	}

	clients := map[string]kubernetes.Interface{}
	client := func(name string) (kubernetes.Interface, error) {
		if cl, ok := clients[name]; ok {
			return cl, nil
		}
		cl, err := clientFor(name)
		if err != nil {
			return nil, fmt.Errorf("client %q: %w", name, err)
		}
		if cl == nil {
			return nil, fmt.Errorf("client %q: clientFor returned nil", name)
		}
		clients[name] = cl
		return cl, nil
	}
	nodes := factory.Core().V1().Nodes()
	_, instances := provider.Instances()
	_, instancesV2 := provider.InstancesV2()

	if cfg.enabled(CloudNodeController) {
		if !instances && !instancesV2 {
			c.skipped[CloudNodeController] = "the cloud provider does not support instances"
		} else {
			cl, err := client(NodeControllerClientName)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", CloudNodeController, err)
			}
			cnc, err := nodecontroller.NewCloudNodeController(nodes, cl, provider,
				cfg.NodeStatusUpdateFrequency, cfg.ConcurrentNodeSyncs, cfg.ConcurrentNodeStatusUpdates)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", CloudNodeController, err)
			}
			c.runs = append(c.runs, namedRun{CloudNodeController, cnc.RunWithContext})
		}
	}

	if cfg.enabled(CloudNodeLifecycleController) {
		if !instances && !instancesV2 {
			c.skipped[CloudNodeLifecycleController] = "the cloud provider does not support instances"
		} else {
			cl, err := client(NodeControllerClientName)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", CloudNodeLifecycleController, err)
			}
			cnlc, err := nodelifecyclecontroller.NewCloudNodeLifecycleController(nodes, cl, provider,
				cfg.NodeMonitorPeriod, int(cfg.ConcurrentNodeLifecycleSyncs))
			if err != nil {
				return nil, fmt.Errorf("%s: %w", CloudNodeLifecycleController, err)
			}
			// Its Run does not wait for the node cache; Run below only calls
			// it once the caches have synced, so its first pass sees every node.
			c.runs = append(c.runs, namedRun{CloudNodeLifecycleController, cnlc.Run})
		}
	}

	if cfg.enabled(ServiceLBController) {
		if _, ok := provider.LoadBalancer(); !ok {
			c.skipped[ServiceLBController] = "the cloud provider does not support load balancers"
		} else {
			cl, err := client(ServiceControllerClientName)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", ServiceLBController, err)
			}
			// The feature gate argument is unused in v0.37.2.
			sc, err := servicecontroller.New(provider, cl, factory.Core().V1().Services(), nodes, cfg.ClusterName, nil)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", ServiceLBController, err)
			}
			workers := int(cfg.ConcurrentServiceSyncs)
			c.runs = append(c.runs, namedRun{ServiceLBController, func(ctx context.Context, m *controllersmetrics.ControllerManagerMetrics) {
				sc.Run(ctx, workers, m)
			}})
		}
	}

	if cfg.enabled(NodeRouteController) {
		routes, ok := provider.Routes()
		cidrs, _ := parseClusterCIDRs(cfg.ClusterCIDRs) // validated above
		switch {
		case !cfg.ConfigureCloudRoutes:
			c.skipped[NodeRouteController] = "--configure-cloud-routes is false"
		case len(cidrs) == 0:
			// Upstream's New would klog.Fatal: never hand it an empty list.
			c.skipped[NodeRouteController] = "no --cluster-cidr"
		case !ok:
			c.skipped[NodeRouteController] = "the cloud provider does not support routes"
		default:
			cl, err := client(RouteControllerClientName)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", NodeRouteController, err)
			}
			rc, err := routecontroller.New(routes, cl, nodes, cfg.ClusterName, cidrs)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", NodeRouteController, err)
			}
			period := cfg.RouteReconciliationPeriod
			c.runs = append(c.runs, namedRun{NodeRouteController, func(ctx context.Context, m *controllersmetrics.ControllerManagerMetrics) {
				rc.Run(ctx, period, m)
			}})
		}
	}
	return c, nil
}

// Running returns the names of the controllers Run starts, in start order.
func (c *Controllers) Running() []string {
	var out []string
	for _, r := range c.runs {
		out = append(out, r.name)
	}
	return out
}

// Skipped returns the enabled controllers that do not run, with the reason.
func (c *Controllers) Skipped() map[string]string {
	out := make(map[string]string, len(c.skipped))
	for k, v := range c.skipped {
		out[k] = v
	}
	return out
}

// Ready is closed once Run has initialised the provider, the informer caches
// have synced and every controller has been started.
func (c *Controllers) Ready() <-chan struct{} { return c.ready }

// Run initialises the provider (cloudprovider.Interface.Initialize, with a
// client builder over clientFor), starts the informer factory, waits for its
// caches, starts the controllers and blocks until ctx is done. It returns nil
// on cancellation and an error if the caches never synced or Run was called
// twice (the upstream controllers shut their queues down when they stop and
// cannot run again).
//
// Upstream's Run functions leave worker goroutines that stop on their own
// shortly after ctx is done; Run returns once the Run functions themselves
// have returned.
func (c *Controllers) Run(ctx context.Context) error {
	first := false
	c.started.Do(func() { first = true })
	if !first {
		return errors.New("cloud controllers: Run called twice")
	}
	logger := klog.FromContext(ctx)
	c.provider.Initialize(clientBuilder{clientFor: c.clientFor}, ctx.Done())

	c.factory.Start(ctx.Done())
	for typ, ok := range c.factory.WaitForCacheSync(ctx.Done()) {
		if !ok {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("cloud controllers: informer cache of %v did not sync", typ)
		}
	}

	metrics := controllersmetrics.NewControllerManagerMetrics(ManagerName)
	var wg sync.WaitGroup
	for _, r := range c.runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.run(klog.NewContext(ctx, logger.WithName(r.name)), metrics)
		}()
		logger.V(2).Info("Started cloud controller", "controller", r.name)
	}
	for name, why := range c.skipped {
		logger.Info("Cloud controller not started", "controller", name, "reason", why)
	}
	close(c.ready)
	<-ctx.Done()
	wg.Wait()
	return nil
}

// clientBuilder lets a provider's Initialize build clients from the host's
// identities. The host hands out clients, not REST configs, so Config fails.
type clientBuilder struct {
	clientFor func(string) (kubernetes.Interface, error)
}

var _ cloudprovider.ControllerClientBuilder = clientBuilder{}

func (b clientBuilder) Config(name string) (*rest.Config, error) {
	return nil, fmt.Errorf("cloud controllers: no REST config for %q: k1s gives cloud providers clients, not configs", name)
}

func (b clientBuilder) ConfigOrDie(name string) *rest.Config {
	cfg, err := b.Config(name)
	if err != nil {
		// Upstream's builder exits the process here; a panic at least names
		// the caller.
		panic(err)
	}
	return cfg
}

func (b clientBuilder) Client(name string) (kubernetes.Interface, error) {
	cl, err := b.clientFor(name)
	if err != nil {
		return nil, fmt.Errorf("cloud controllers: client %q: %w", name, err)
	}
	return cl, nil
}

func (b clientBuilder) ClientOrDie(name string) kubernetes.Interface {
	cl, err := b.Client(name)
	if err != nil {
		panic(err)
	}
	return cl
}
