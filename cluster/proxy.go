package cluster

import (
	"context"
	"fmt"

	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"

	"github.com/k1s-dev/k1s/kubeproxy"
)

// proxyStage is the cluster's kube-proxy-lite: one proxy for every node of this
// process, run as a stage of its own.
type proxyStage struct {
	*stage
	proxy *kubeproxy.Proxy
}

// startProxy starts kube-proxy-lite as system:kube-proxy (bound to
// system:node-proxier). Upstream runs kube-proxy on every node without leader
// election, each instance serving its own node; here one instance serves this
// process's nodes, and two control planes on one etcd each serve their own, so it
// is not elected either.
func (c *Cluster) startProxy(ctx context.Context) error {
	cfg, err := c.identityConfig("kube-proxy", kubeproxy.UserName)
	if err != nil {
		return err
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	factory := newInformerFactory(client, 0)
	p, err := kubeproxy.New(kubeproxy.Config{NodeActive: c.nodeActive}, client, factory)
	if err != nil {
		return fmt.Errorf("kube-proxy: %w", err)
	}
	c.proxy = &proxyStage{
		stage: &stage{
			name: "kube-proxy", client: client, unelected: true,
			factories:  []informers.SharedInformerFactory{factory},
			components: map[string]component{"kube-proxy-lite": p},
		},
		proxy: p,
	}
	return c.startStage(ctx, c.proxy.stage)
}

// nodeActive tells kube-proxy-lite which nodes it serves: those whose kubelet runs in
// this cluster and heartbeats. A node stopped with StopNode stands for a failed
// machine, so its node ports go dark too, as a load balancer in front would see.
func (c *Cluster) nodeActive(name string) bool {
	n := c.Node(name)
	if n == nil {
		return false
	}
	select {
	case <-n.Kubelet.Done():
		return false
	default:
	}
	return !n.Kubelet.HeartbeatsPaused()
}

// nodeChanged tells kube-proxy-lite that nodeActive's answer for a node may have
// changed, so that its node ports open or close now rather than at the next resync.
func (c *Cluster) nodeChanged(name string) {
	if c.proxy != nil {
		c.proxy.proxy.NodeChanged(name)
	}
}

func (c *Cluster) stopProxy() {
	if c.proxy != nil {
		c.proxy.stop()
	}
}
