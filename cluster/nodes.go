package cluster

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apiserver/pkg/server/dynamiccertificates"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"

	"github.com/k1s-dev/k1s/apiserver"
	kubeletlite "github.com/k1s-dev/k1s/kubelet-lite"
	"github.com/k1s-dev/k1s/pki"
)

// NodeOptions describe a node added to the cluster.
type NodeOptions struct {
	// Zone and Region set topology.kubernetes.io/zone and /region (until a cloud plugin
	// labels nodes itself).
	Zone, Region string
	// Labels are --node-labels; Taints are --register-with-taints.
	Labels map[string]string
	Taints []corev1.Taint
	// Capacity overrides the simulated machine's capacity (cpu, memory, pods,
	// ephemeral-storage); KubeReserved and SystemReserved reduce allocatable.
	Capacity, KubeReserved, SystemReserved corev1.ResourceList
	// NodeStatusUpdateFrequency and NodeLeaseDurationSeconds override the kubelet's
	// defaults (10 s, 40 s) for demos and tests that want faster heartbeats.
	NodeStatusUpdateFrequency time.Duration
	NodeLeaseDurationSeconds  int32
	// KubeletPort is the kubelet API's --port on the node's address. 0 picks a
	// free port (the Node reports it in status.daemonEndpoints): k1s processes on
	// one machine hand out the same loopback addresses, so a fixed 10250 would
	// collide between two clusters.
	KubeletPort int32
	// KubeletServingCA issues the kubelet's serving certificate (for the node name
	// and IP) instead of the cluster CA; tests of the apiserver's verification use
	// another CA.
	KubeletServingCA *pki.CA
	// Runtime is the node's container runtime: "sim" (default: nothing runs) or
	// "process" (containers run as host processes, NOT isolated, under
	// <data-dir>/pods/<node>/).
	Runtime string
}

// Node is a node of the cluster: a kubelet-lite with its own identity and address.
type Node struct {
	Name    string
	IP      netip.Addr
	Kubelet *kubeletlite.Kubelet
	cancel  context.CancelFunc
}

// nodes is the cluster's set of running kubelets.
type nodes struct {
	mu     sync.Mutex
	byName map[string]*Node
	wg     sync.WaitGroup
	// clientCA verifies client certificates on every kubelet API; one value is
	// shared by all kubelets.
	clientCA dynamiccertificates.CAContentProvider
}

// maxRegistering bounds how many kubelets register at the same time during Start.
const maxRegistering = 250

// NodeName is the name of the n-th node (1-based) that Config.Nodes starts.
func NodeName(n int) string { return fmt.Sprintf("k1s-node-%d", n) }

// startNodes starts Config.Nodes kubelets spread over Config.Zones, all at once, and
// waits until every Node is Ready.
func (c *Cluster) startNodes(ctx context.Context) error {
	names := make([]string, 0, c.cfg.Nodes)
	for i := 1; i <= c.cfg.Nodes; i++ {
		names = append(names, NodeName(i))
	}
	// The token file is written once for all of them, not once per node.
	if _, err := c.tokens.ensure(names...); err != nil {
		return err
	}
	// At most maxRegistering kubelets register at once: thousands of simultaneous Node
	// creates, lease creates and pod lists time out requests on a small machine,
	// while a bounded wave keeps the apiserver busy but responsive.
	registering := make(chan struct{}, maxRegistering)
	for i := 1; i <= c.cfg.Nodes; i++ {
		opts := c.initialNodeOptions(i)
		select {
		case registering <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		n, err := c.launchNode(NodeName(i), opts)
		if err != nil {
			return err
		}
		go func() {
			select {
			case <-n.Kubelet.Registered():
			case <-n.Kubelet.Done():
			}
			<-registering
		}()
	}
	return c.WaitForNodesReady(ctx, names...)
}

// AddNode starts a kubelet for a new node and returns once it registered its Node.
func (c *Cluster) AddNode(ctx context.Context, name string, opts NodeOptions) (*Node, error) {
	n, err := c.launchNode(name, opts)
	if err != nil {
		return nil, err
	}
	if err := n.Kubelet.WaitRegistered(ctx); err != nil {
		return nil, fmt.Errorf("waiting for node %s to register: %w", name, err)
	}
	return n, nil
}

// launchNode starts a kubelet for a new node without waiting for it.
func (c *Cluster) launchNode(name string, opts NodeOptions) (*Node, error) {
	c.nodes.mu.Lock()
	if _, ok := c.nodes.byName[name]; ok {
		c.nodes.mu.Unlock()
		return nil, fmt.Errorf("node %q already runs in this cluster", name)
	}
	c.nodes.byName[name] = nil // reserve the name
	c.nodes.mu.Unlock()
	n, err := c.startKubelet(name, opts)
	c.nodes.mu.Lock()
	if err != nil {
		delete(c.nodes.byName, name)
	} else {
		c.nodes.byName[name] = n
	}
	c.nodes.mu.Unlock()
	if err == nil {
		c.nodeChanged(name)
	}
	return n, err
}

func (c *Cluster) startKubelet(name string, opts NodeOptions) (*Node, error) {
	ip, err := c.nodeAddress(name, opts)
	if err != nil {
		return nil, err
	}
	clientCfg, err := c.nodeClientConfig(name)
	if err != nil {
		c.releaseNodeAddress(ip)
		return nil, err
	}
	client, err := kubeletlite.NewClient(clientCfg)
	if err != nil {
		c.releaseNodeAddress(ip)
		return nil, err
	}
	cfg := kubeletlite.NewConfig(name, client)
	cfg.NodeIP = net.IP(ip.AsSlice())
	if err := c.kubeletServing(&cfg, name, ip, opts); err != nil {
		c.releaseNodeAddress(ip)
		return nil, err
	}
	cfg.KubeletVersion = "v" + apiserver.KubernetesVersion
	cfg.RegisterWithTaints = opts.Taints
	cfg.Capacity, cfg.KubeReserved, cfg.SystemReserved = opts.Capacity, opts.KubeReserved, opts.SystemReserved
	cfg.NodeStatusUpdateFrequency = opts.NodeStatusUpdateFrequency
	cfg.NodeLeaseDurationSeconds = opts.NodeLeaseDurationSeconds
	cfg.Runtime = opts.Runtime
	if opts.Runtime == kubeletlite.RuntimeProcess {
		cfg.RootDirectory = filepath.Join(c.dataDir, "pods", name)
	}
	cfg.NodeLabels = map[string]string{}
	for k, v := range opts.Labels {
		cfg.NodeLabels[k] = v
	}
	if opts.Zone != "" {
		cfg.NodeLabels[corev1.LabelTopologyZone] = opts.Zone
		region := opts.Region
		if region == "" {
			region = "local"
		}
		cfg.NodeLabels[corev1.LabelTopologyRegion] = region
	}
	c.configureCloudKubelet(&cfg, opts)
	k, err := kubeletlite.New(cfg)
	if err != nil {
		cfg.KubeletListener.Close()
		c.releaseNodeAddress(ip)
		return nil, fmt.Errorf("node %s: %w", name, err)
	}
	ctx, cancel := context.WithCancel(klog.NewContext(context.Background(), klog.Background().WithValues("node", name)))
	n := &Node{Name: name, IP: ip, Kubelet: k, cancel: cancel}
	c.nodes.wg.Add(1)
	go func() {
		defer c.nodes.wg.Done()
		defer c.releaseNodeAddress(ip)
		defer c.nodeChanged(name) // its node ports close with it
		if err := k.Run(ctx); err != nil {
			klog.FromContext(ctx).Error(err, "Kubelet stopped")
		}
	}()
	return n, nil
}

// kubeletServing gives a kubelet its API: a serving certificate from the cluster CA
// for the node name and IP, the cluster CA for client certificates, and a listener
// on the node IP.
func (c *Cluster) kubeletServing(cfg *kubeletlite.Config, name string, ip netip.Addr, opts NodeOptions) error {
	ca := c.ca
	if opts.KubeletServingCA != nil {
		ca = opts.KubeletServingCA
	}
	// In memory, issued on every start: nothing pins a kubelet's serving certificate
	// (the apiserver verifies it through the CA), and files would cost 1,000 nodes
	// over a second of start-up.
	cert, err := ca.IssueServing(pki.ServingSpec{CommonName: name, DNSNames: []string{name}, IPs: []net.IP{net.IP(ip.AsSlice())}})
	if err != nil {
		return fmt.Errorf("issuing the serving certificate of node %s: %w", name, err)
	}
	c.nodes.mu.Lock()
	if c.nodes.clientCA == nil {
		ca, err := dynamiccertificates.NewStaticCAContent("k1s-ca", c.ca.CertPEM())
		if err != nil {
			c.nodes.mu.Unlock()
			return fmt.Errorf("loading the cluster CA for kubelets: %w", err)
		}
		c.nodes.clientCA = ca
	}
	cfg.ClientCA = c.nodes.clientCA
	c.nodes.mu.Unlock()
	ln, err := net.Listen("tcp", net.JoinHostPort(ip.String(), strconv.Itoa(int(opts.KubeletPort))))
	if err != nil {
		return fmt.Errorf("node %s: listening for the kubelet API: %w", name, err)
	}
	cfg.ServingCertificate, cfg.KubeletListener = &cert, ln
	return nil
}

// nodeClientConfig is the kubelet's own identity: a bearer token for
// system:node:<name> in group system:nodes, as the Node authorizer expects (see
// nodeTokens), over the transport all kubelets share.
func (c *Cluster) nodeClientConfig(name string) (*rest.Config, error) {
	tokens, err := c.tokens.ensure(name)
	if err != nil {
		return nil, err
	}
	c.kubeletTransportOnce.Do(func() {
		c.kubeletTransport, c.kubeletTransportErr = kubeletlite.NewTransport(&rest.Config{
			Host:            c.restConfig.Host,
			TLSClientConfig: rest.TLSClientConfig{CAData: c.ca.CertPEM()},
			// gzip state per watch stream costs ~70 KiB per kubelet and buys nothing on loopback.
			DisableCompression: true,
		})
	})
	if c.kubeletTransportErr != nil {
		return nil, fmt.Errorf("building the kubelets' transport: %w", c.kubeletTransportErr)
	}
	cfg := &rest.Config{
		Host:        c.restConfig.Host,
		BearerToken: tokens[name],
		Transport:   c.kubeletTransport,
		// Kubelets speak protobuf, as upstream's do: cheaper for thousands of nodes.
		ContentConfig: rest.ContentConfig{ContentType: "application/vnd.kubernetes.protobuf"},
		UserAgent:     "kubelet-lite/" + name,
		// See identityConfig: never the in-process kubectl's stderr.
		WarningHandlerWithContext: rest.WarningLogger{},
		QPS:                       -1,
		Burst:                     -1,
	}
	return cfg, nil
}

// NodeRESTConfig returns the credentials the kubelet of node name uses (making
// them if the node has none): its
// identity system:node:<name> (group system:nodes), as the Node authorizer and
// NodeRestriction see it. Tests use it to act as a node. The node need not run;
// the token stays valid until the node is removed.
func (c *Cluster) NodeRESTConfig(name string) (*rest.Config, error) {
	tokens, err := c.tokens.ensure(name)
	if err != nil {
		return nil, err
	}
	return &rest.Config{
		Host:            c.restConfig.Host,
		TLSClientConfig: rest.TLSClientConfig{CAData: c.ca.CertPEM()},
		BearerToken:     tokens[name],
		UserAgent:       "kubelet-lite/" + name,
	}, nil
}

// Node returns a running node, or nil.
func (c *Cluster) Node(name string) *Node {
	c.nodes.mu.Lock()
	defer c.nodes.mu.Unlock()
	return c.nodes.byName[name]
}

// NodeNames lists the running nodes, sorted.
func (c *Cluster) NodeNames() []string {
	c.nodes.mu.Lock()
	defer c.nodes.mu.Unlock()
	var names []string
	for name, n := range c.nodes.byName {
		if n != nil {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// StopNode stops a node's heartbeats: its kubelet keeps running but no longer renews its
// Lease or posts status, which is how the control plane sees a failed node.
func (c *Cluster) StopNode(name string) error {
	n := c.Node(name)
	if n == nil {
		return fmt.Errorf("no node %q in this cluster", name)
	}
	n.Kubelet.PauseHeartbeats()
	c.nodeChanged(name)
	return nil
}

// StartNode resumes a stopped node's heartbeats.
func (c *Cluster) StartNode(name string) error {
	n := c.Node(name)
	if n == nil {
		return fmt.Errorf("no node %q in this cluster", name)
	}
	n.Kubelet.ResumeHeartbeats()
	c.nodeChanged(name)
	return nil
}

// RemoveNode stops a node's kubelet and deletes its Node object.
func (c *Cluster) RemoveNode(ctx context.Context, name string) error {
	c.nodes.mu.Lock()
	n := c.nodes.byName[name]
	delete(c.nodes.byName, name)
	c.nodes.mu.Unlock()
	if n == nil {
		return fmt.Errorf("no node %q in this cluster", name)
	}
	n.cancel()
	<-n.Kubelet.Done()
	if err := c.forgetVM(name); err != nil {
		return fmt.Errorf("deleting the VM of node %s: %w", name, err)
	}
	client, err := kubernetes.NewForConfig(c.RESTConfig())
	if err != nil {
		return err
	}
	if err := client.CoreV1().Nodes().Delete(ctx, name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deleting node %s: %w", name, err)
	}
	// The node's credentials go with it.
	if err := c.tokens.revoke(name); err != nil {
		return fmt.Errorf("revoking the token of node %s: %w", name, err)
	}
	return nil
}

// WaitForNodesReady waits until each named Node reports Ready=True.
func (c *Cluster) WaitForNodesReady(ctx context.Context, names ...string) error {
	client, err := kubernetes.NewForConfig(c.RESTConfig())
	if err != nil {
		return err
	}
	pending := slices.Clone(names)
	// A minute and a half plus 20 ms per node: 5,000 nodes take longer than 3.
	timeout := 90*time.Second + time.Duration(len(names))*20*time.Millisecond
	return wait.PollUntilContextTimeout(ctx, 20*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		list, err := client.CoreV1().Nodes().List(ctx, metav1.ListOptions{ResourceVersion: "0"})
		if err != nil {
			return false, nil
		}
		ready := map[string]bool{}
		for _, n := range list.Items {
			for _, cond := range n.Status.Conditions {
				if cond.Type == corev1.NodeReady && cond.Status == corev1.ConditionTrue {
					ready[n.Name] = true
				}
			}
		}
		pending = slices.DeleteFunc(pending, func(n string) bool { return ready[n] })
		return len(pending) == 0, nil
	})
}

// stopNodes stops every kubelet and waits for them.
func (c *Cluster) stopNodes() {
	c.nodes.mu.Lock()
	for _, n := range c.nodes.byName {
		if n != nil {
			n.cancel()
		}
	}
	c.nodes.mu.Unlock()
	c.nodes.wg.Wait()
}
