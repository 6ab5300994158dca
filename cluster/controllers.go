package cluster

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"

	"github.com/k1s-dev/k1s/apiserver"
	"github.com/k1s-dev/k1s/controllers/nodeipam"
	"github.com/k1s-dev/k1s/controllers/nodelifecycle"
	"github.com/k1s-dev/k1s/controllers/tainteviction"
	"github.com/k1s-dev/k1s/pki"
)

// kubeControllerManager is the controller-manager stage: the node lifecycle, taint
// eviction and (with a cluster CIDR) node IPAM controllers, reading through shared informers as system:kube-controller-manager
// and writing with per-controller identities, as kube-controller-manager does with
// --use-service-account-credentials.
type kubeControllerManager struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	nlc    *nodelifecycle.Controller
}

// startControllers starts the controllers and waits until their caches are synced.
func (c *Cluster) startControllers(ctx context.Context) error {
	kcmConfig, err := c.identityConfig("kube-controller-manager", "system:kube-controller-manager")
	if err != nil {
		return err
	}
	kcmClient, err := kubernetes.NewForConfig(kcmConfig)
	if err != nil {
		return err
	}
	factory := informers.NewSharedInformerFactory(kcmClient, 12*time.Hour)

	// Upstream runs both with the node-controller service account's credentials.
	nodeCtlConfig, err := c.serviceAccountConfig(nodelifecycle.ClientName)
	if err != nil {
		return err
	}
	nodeCtlClient, err := kubernetes.NewForConfig(nodeCtlConfig)
	if err != nil {
		return err
	}
	nlc, err := nodelifecycle.New(c.cfg.NodeLifecycle, nodeCtlClient, factory, nil)
	if err != nil {
		return fmt.Errorf("node lifecycle controller: %w", err)
	}
	tec, err := tainteviction.New(tainteviction.Config{}, nodeCtlClient, factory, nil)
	if err != nil {
		return fmt.Errorf("taint eviction controller: %w", err)
	}
	controllers := map[string]controller{nodelifecycle.ControllerName: nlc, tainteviction.ControllerName: tec}
	if c.cfg.ClusterCIDR != "" {
		ipamCfg := nodeipam.Config{
			ClusterCIDRs:         strings.Split(c.cfg.ClusterCIDR, ","),
			NodeCIDRMaskSizeIPv4: c.cfg.NodeCIDRMaskSize,
			ServiceCIDR:          c.serviceCIDR(),
		}
		ipam, err := nodeipam.New(ipamCfg, nodeCtlClient, factory, nil)
		if err != nil {
			return fmt.Errorf("node IPAM controller: %w", err)
		}
		controllers[nodeipam.ControllerName] = ipam
	}

	runCtx, cancel := context.WithCancel(klog.NewContext(context.Background(), klog.Background().WithName("kube-controller-manager")))
	c.kcm = &kubeControllerManager{cancel: cancel, nlc: nlc}
	factory.Start(runCtx.Done())
	for name, ctl := range controllers {
		c.kcm.wg.Add(1)
		go func() {
			defer c.kcm.wg.Done()
			if err := ctl.Run(klog.NewContext(runCtx, klog.FromContext(runCtx).WithName(name))); err != nil {
				klog.FromContext(runCtx).Error(err, "Controller stopped", "controller", name)
			}
		}()
	}
	for _, ctl := range controllers {
		select {
		case <-ctl.Ready():
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// NodeLifecycleZoneStates returns the zone states the node lifecycle controller
// computed in its last monitor pass, keyed by zone key (region + ":\x00:" + zone; ""
// for nodes without topology labels). Nil before the controllers started.
func (c *Cluster) NodeLifecycleZoneStates() map[string]nodelifecycle.ZoneState {
	if c.kcm == nil || c.kcm.nlc == nil {
		return nil
	}
	return c.kcm.nlc.ZoneStates()
}

// controller is what the controller-manager stage runs.
type controller interface {
	Run(context.Context) error
	Ready() <-chan struct{}
}

// serviceCIDR is the service range the IPAM controller keeps pod CIDRs out of.
func (c *Cluster) serviceCIDR() string {
	if c.cfg.ServiceClusterIPRange != "" {
		return c.cfg.ServiceClusterIPRange
	}
	return apiserver.Defaults().ServiceClusterIPRange
}

func (c *Cluster) stopControllers() {
	if c.kcm == nil {
		return
	}
	c.kcm.cancel()
	c.kcm.wg.Wait()
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
		QPS:             -1,
		Burst:           -1,
	}, nil
}

// serviceAccountConfig is the identity of a controller's service account in kube-system
// (system:serviceaccount:kube-system:<name>), which the bootstrap policy binds to
// system:controller:<name>. k1s presents it as a client certificate rather than a token.
func (c *Cluster) serviceAccountConfig(name string) (*rest.Config, error) {
	return c.identityConfig("controller-"+name, "system:serviceaccount:kube-system:"+name,
		"system:serviceaccounts", "system:serviceaccounts:kube-system")
}
