package cluster

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/record"

	"github.com/k1s-dev/k1s/apiserver"
	"github.com/k1s-dev/k1s/controllers/deployment"
	"github.com/k1s-dev/k1s/controllers/disruption"
	"github.com/k1s-dev/k1s/controllers/endpoint"
	"github.com/k1s-dev/k1s/controllers/endpointslice"
	"github.com/k1s-dev/k1s/controllers/garbagecollector"
	"github.com/k1s-dev/k1s/controllers/job"
	"github.com/k1s-dev/k1s/controllers/namespace"
	"github.com/k1s-dev/k1s/controllers/nodeipam"
	"github.com/k1s-dev/k1s/controllers/nodelifecycle"
	"github.com/k1s-dev/k1s/controllers/replicaset"
	"github.com/k1s-dev/k1s/controllers/scheduler"
	"github.com/k1s-dev/k1s/controllers/tainteviction"
	"github.com/k1s-dev/k1s/pki"
)

// controllerSpec is one controller of the controller-manager stage.
type controllerSpec struct {
	// name is upstream's controller name; client the kube-system service account it
	// writes as (--use-service-account-credentials).
	name, client string
	// enabled reports whether the cluster's configuration turns the controller on.
	enabled func(*Cluster) bool
	build   func(c *Cluster, client kubernetes.Interface, factory informers.SharedInformerFactory) (component, error)
}

// kubeControllers are the controllers of the kube-controller-manager stage.
var kubeControllers = []controllerSpec{
	{
		name: nodelifecycle.ControllerName, client: nodelifecycle.ClientName,
		build: func(c *Cluster, client kubernetes.Interface, factory informers.SharedInformerFactory) (component, error) {
			nlc, err := nodelifecycle.New(c.cfg.NodeLifecycle, client, factory, nil)
			c.nlc.Store(nlc)
			return nlc, err
		},
	},
	{
		name: tainteviction.ControllerName, client: tainteviction.ClientName,
		build: func(_ *Cluster, client kubernetes.Interface, factory informers.SharedInformerFactory) (component, error) {
			return tainteviction.New(tainteviction.Config{}, client, factory, nil)
		},
	},
	{
		name: nodeipam.ControllerName, client: nodeipam.ClientName,
		enabled: func(c *Cluster) bool { return c.cfg.ClusterCIDR != "" },
		build: func(c *Cluster, client kubernetes.Interface, factory informers.SharedInformerFactory) (component, error) {
			return nodeipam.New(nodeipam.Config{
				ClusterCIDRs:         strings.Split(c.cfg.ClusterCIDR, ","),
				NodeCIDRMaskSizeIPv4: c.cfg.NodeCIDRMaskSize,
				ServiceCIDR:          c.serviceCIDR(),
			}, client, factory, nil)
		},
	},
	{
		name: replicaset.ControllerName, client: replicaset.ClientName,
		build: func(_ *Cluster, client kubernetes.Interface, factory informers.SharedInformerFactory) (component, error) {
			return replicaset.New(replicaset.Config{}, client, factory, nil)
		},
	},
	{
		name: deployment.ControllerName, client: deployment.ClientName,
		build: func(_ *Cluster, client kubernetes.Interface, factory informers.SharedInformerFactory) (component, error) {
			return deployment.New(deployment.Config{}, client, factory, nil)
		},
	},
	{
		name: disruption.ControllerName, client: disruption.ClientName,
		build: func(_ *Cluster, client kubernetes.Interface, factory informers.SharedInformerFactory) (component, error) {
			return disruption.New(disruption.Config{}, client, factory, nil)
		},
	},
	{
		name: job.ControllerName, client: job.ClientName,
		build: func(c *Cluster, client kubernetes.Interface, factory informers.SharedInformerFactory) (component, error) {
			return job.New(c.cfg.Job, client, factory, nil)
		},
	},
	{
		name: namespace.ControllerName, client: namespace.ClientName,
		build: func(c *Cluster, client kubernetes.Interface, factory informers.SharedInformerFactory) (component, error) {
			cfg, err := c.serviceAccountConfig(namespace.ClientName)
			if err != nil {
				return nil, err
			}
			metadataClient, err := metadata.NewForConfig(cfg)
			if err != nil {
				return nil, err
			}
			return namespace.New(namespace.Config{}, client, metadataClient, factory, nil)
		},
	},
	{
		name: endpoint.ControllerName, client: endpoint.ClientName,
		build: func(_ *Cluster, client kubernetes.Interface, factory informers.SharedInformerFactory) (component, error) {
			return endpoint.New(endpoint.Config{}, client, factory, nil)
		},
	},
	{
		name: endpointslice.ControllerName, client: endpointslice.ClientName,
		build: func(_ *Cluster, client kubernetes.Interface, factory informers.SharedInformerFactory) (component, error) {
			return endpointslice.New(endpointslice.Config{}, client, factory, nil)
		},
	},
	{
		name: garbagecollector.ControllerName, client: garbagecollector.ClientName,
		build: func(c *Cluster, client kubernetes.Interface, _ informers.SharedInformerFactory) (component, error) {
			return c.newGarbageCollector(client)
		},
	},
}

// newGarbageCollector builds the garbage collector on metadata informers, as the
// generic-garbage-collector service account. Its REST mapper has a discovery client
// of its own: resetting the mapper must not drop the cache the collector compares
// discovery against.
func (c *Cluster) newGarbageCollector(client kubernetes.Interface) (component, error) {
	cfg, err := c.serviceAccountConfig(garbagecollector.ClientName)
	if err != nil {
		return nil, err
	}
	metadataClient, err := metadata.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	mapperDiscovery, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, err
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(mapperDiscovery))
	gcDiscovery, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, err
	}
	broadcaster := record.NewBroadcaster()
	broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: client.CoreV1().Events("")})
	gc, err := garbagecollector.New(garbagecollector.Config{}, metadataClient, mapper, gcDiscovery, broadcaster)
	if err != nil {
		broadcaster.Shutdown()
		return nil, err
	}
	return &withShutdown{component: gc, shutdown: broadcaster.Shutdown}, nil
}

// withShutdown runs shutdown when the component's Run returns.
type withShutdown struct {
	component
	shutdown func()
}

func (w *withShutdown) Run(ctx context.Context) error {
	defer w.shutdown()
	return w.component.Run(ctx)
}

// startControllers starts the controller-manager stage: the controllers read through
// shared informers as system:kube-controller-manager and write as their own service
// accounts, as kube-controller-manager does with --use-service-account-credentials. It
// returns once their caches are synced (or another control plane is seen leading).
func (c *Cluster) startControllers(ctx context.Context) error {
	kcmConfig, err := c.identityConfig("kube-controller-manager", "system:kube-controller-manager")
	if err != nil {
		return err
	}
	kcmClient, err := kubernetes.NewForConfig(kcmConfig)
	if err != nil {
		return err
	}
	s := &stage{name: "kube-controller-manager", client: kcmClient}
	clients := map[string]kubernetes.Interface{}
	s.rebuild = func() error {
		factory := newInformerFactory(kcmClient, 12*time.Hour)
		components := map[string]component{}
		for _, spec := range kubeControllers {
			if !c.controllerEnabled(spec.name) || (spec.enabled != nil && !spec.enabled(c)) {
				continue
			}
			client, ok := clients[spec.client]
			if !ok {
				cfg, err := c.serviceAccountConfig(spec.client)
				if err != nil {
					return err
				}
				if client, err = kubernetes.NewForConfig(cfg); err != nil {
					return err
				}
				clients[spec.client] = client
			}
			comp, err := spec.build(c, client, factory)
			if err != nil {
				return fmt.Errorf("%s: %w", spec.name, err)
			}
			components[spec.name] = comp
		}
		s.factories, s.components = []informers.SharedInformerFactory{factory}, components
		return nil
	}
	if err := s.rebuild(); err != nil {
		return err
	}
	c.kcm = s
	return c.startStage(ctx, s)
}

func knownController(name string) bool {
	for _, spec := range kubeControllers {
		if spec.name == name {
			return true
		}
	}
	return false
}

// controllerEnabled applies --controllers: an explicit "name" or "-name" decides,
// else "*" turns the controller on.
func (c *Cluster) controllerEnabled(name string) bool {
	list := c.cfg.Controllers
	if list == nil {
		list = []string{"*"}
	}
	star := false
	for _, entry := range list {
		switch entry {
		case name:
			return true
		case "-" + name:
			return false
		case "*":
			star = true
		}
	}
	return star
}

// NodeLifecycleZoneStates returns the zone states the node lifecycle controller
// computed in its last monitor pass, keyed by zone key (region + ":\x00:" + zone; ""
// for nodes without topology labels). Nil before the controllers started.
func (c *Cluster) NodeLifecycleZoneStates() map[string]nodelifecycle.ZoneState {
	nlc := c.nlc.Load()
	if nlc == nil {
		return nil
	}
	return nlc.ZoneStates()
}

// serviceCIDR is the service range the IPAM controller keeps pod CIDRs out of.
func (c *Cluster) serviceCIDR() string {
	if c.cfg.ServiceClusterIPRange != "" {
		return c.cfg.ServiceClusterIPRange
	}
	return apiserver.Defaults().ServiceClusterIPRange
}

func (c *Cluster) stopControllers() {
	c.scheduler.stop()
	c.kcm.stop()
}

// identityConfig is a client configuration for a control-plane user with its own client
// certificate signed by the cluster CA.
func (c *Cluster) identityConfig(file, user string, groups ...string) (*rest.Config, error) {
	kp, err := c.ca.EnsureClient(filepath.Join(c.dataDir, "pki"), file, pki.ClientSpec{CommonName: user, Organizations: groups})
	if err != nil {
		return nil, fmt.Errorf("issuing the client certificate of %s: %w", user, err)
	}
	certPEM, keyPEM, err := kp.Load()
	if err != nil {
		return nil, err
	}
	return &rest.Config{
		Host:            c.restConfig.Host,
		TLSClientConfig: rest.TLSClientConfig{CAData: c.ca.CertPEM(), CertData: certPEM, KeyData: keyPEM},
		ContentConfig:   rest.ContentConfig{ContentType: "application/vnd.kubernetes.protobuf"},
		UserAgent:       strings.TrimPrefix(user, "system:"),
		// Not client-go's process-wide default handler: the in-process kubectl
		// points that at its own stderr, where components' warnings (such as
		// "v1 Endpoints is deprecated") must not appear.
		WarningHandlerWithContext: rest.WarningLogger{},
		QPS:                       -1,
		Burst:                     -1,
	}, nil
}

// serviceAccountConfig is the identity of a controller's service account in kube-system
// (system:serviceaccount:kube-system:<name>), which the bootstrap policy binds to
// system:controller:<name>. k1s presents it as a client certificate rather than a token.
func (c *Cluster) serviceAccountConfig(name string) (*rest.Config, error) {
	return c.identityConfig("controller-"+name, "system:serviceaccount:kube-system:"+name,
		"system:serviceaccounts", "system:serviceaccounts:kube-system")
}

// startScheduler starts the scheduler stage: the scheduler as system:kube-scheduler,
// under its own leader election lease (kube-system/kube-scheduler).
func (c *Cluster) startScheduler(ctx context.Context) error {
	cfg, err := c.identityConfig("kube-scheduler", scheduler.ClientName)
	if err != nil {
		return err
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	s := &stage{name: "kube-scheduler", client: client}
	s.rebuild = func() error {
		factory := newInformerFactory(client, 0)
		sched, err := scheduler.New(scheduler.Config{}, client, factory, nil)
		if err != nil {
			return fmt.Errorf("scheduler: %w", err)
		}
		s.factories, s.components = []informers.SharedInformerFactory{factory}, map[string]component{scheduler.DefaultSchedulerName: sched}
		return nil
	}
	if err := s.rebuild(); err != nil {
		return err
	}
	c.scheduler = s
	return c.startStage(ctx, s)
}
