package cluster

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/klog/v2"

	cloudctl "github.com/k1s-dev/k1s/controllers/cloud"
	kubeletlite "github.com/k1s-dev/k1s/kubelet-lite"
	"github.com/k1s-dev/k1s/loopback"
	"github.com/k1s-dev/k1s/plugins/builtin"
	"github.com/k1s-dev/k1s/plugins/cloud"
	"github.com/k1s-dev/k1s/plugins/local"
)

// cloudControllerManagerUser is the identity of the cloud-controller-manager stage's
// informers and leader election, bound by the bootstrap policy to the ClusterRole of
// the same name.
const cloudControllerManagerUser = "system:cloud-controller-manager"

// cloudRuntime is the cluster's cloud: the plugin process, the cloud-controller-manager
// stage running upstream's cloud controllers against it and, for the local cloud, the
// VM inventory the cluster keeps in step with its nodes.
type cloudRuntime struct {
	name   string
	client *cloud.Client
	stage  *stage
	// vms is the local cloud's inventory in <data-dir>/cloud; nil for any other
	// provider, whose machines are the plugin's business.
	vms *local.VMStore

	// power serialises ShutdownVM, StartVM and DeleteVM: each stops or starts a
	// kubelet after changing the VM, and two of them interleaving on one node could
	// leave a running kubelet on a shut-down VM.
	power sync.Mutex

	mu sync.Mutex
	// machines are the local VMs this process booted, by node name. A VM owns its
	// node's loopback address for as long as it exists, across ShutdownVM and StartVM,
	// as a cloud keeps a stopped instance's private IP: the Node's addresses and the
	// kubelet's provided-node-ip must keep agreeing with the VM.
	machines map[string]*machine
}

type machine struct {
	ip   netip.Addr
	opts NodeOptions
}

// cloudCommand resolves Config.CloudProvider to the plugin command: a built-in
// provider re-executes this binary, any other is <PluginDir>/k1s-cloud-NAME.
func (c *Config) cloudCommand() (func() *exec.Cmd, error) {
	command, err := cloud.ResolveCommand(cloud.CommandConfig{Name: c.CloudProvider, PluginDir: c.PluginDir, Builtins: builtin.Names})
	if err != nil {
		return nil, err
	}
	if slices.Contains(builtin.Names, c.CloudProvider) && !builtin.Armed() {
		// Re-executed without MaybeServe, the binary would run its program (or, for a
		// test binary, its tests) again instead of serving the plugin.
		return nil, fmt.Errorf("--cloud-provider %q is built in, but this binary does not serve built-in plugins: call builtin.MaybeServe() first in main (or TestMain)", c.CloudProvider)
	}
	return command, nil
}

// validateCloud checks the cloud settings, including that the plugin exists, so that
// a misspelt provider fails before anything starts.
func (c *Config) validateCloud() error {
	if c.CloudProvider == "" {
		return nil
	}
	_, err := c.cloudCommand()
	return err
}

// startCloud starts the cloud provider's plugin process and the cloud-controller-manager
// stage, when Config.CloudProvider names one. For the local cloud it first boots a VM
// for each node Start is about to add.
func (c *Cluster) startCloud(ctx context.Context) error {
	if c.cfg.CloudProvider == "" {
		return nil
	}
	command, err := c.cfg.cloudCommand()
	if err != nil {
		return err
	}
	cr := &cloudRuntime{name: c.cfg.CloudProvider, machines: map[string]*machine{}}
	c.cloud = cr // from here on Stop releases what it holds
	if cr.name == local.ProviderName {
		dir := filepath.Join(c.dataDir, "cloud")
		if cr.vms, err = local.OpenVMStore(dir); err != nil {
			return err
		}
		if err := c.bootInitialVMs(); err != nil {
			return err
		}
		resolved := command
		command = func() *exec.Cmd {
			cmd := resolved()
			// go-plugin appends the host's environment after this: a host that sets
			// the variable itself overrides the data dir, on purpose or not.
			cmd.Env = append(cmd.Env, builtin.LocalDirEnv+"="+dir)
			return cmd
		}
	}
	client, err := cloud.NewClient(cloud.ClientConfig{Name: cr.name, Command: command})
	if err != nil {
		return err
	}
	// The client restarts a crashed plugin until Close, so it must outlive Start's
	// context (a caller's start-up deadline), not stop with it.
	pluginCtx := klog.NewContext(context.WithoutCancel(ctx), klog.Background().WithName("cloud-plugin"))
	if err := client.Start(pluginCtx); err != nil {
		return fmt.Errorf("cloud provider %q: %w", cr.name, err)
	}
	cr.client = client
	return c.startCloudControllerManager(ctx, cr)
}

// startCloudControllerManager starts the cloud-controller-manager stage: upstream's
// cloud controllers, reading through informers as system:cloud-controller-manager and
// writing as their kube-system service accounts (node-controller, service-controller,
// route-controller), under the Lease kube-system/cloud-controller-manager.
func (c *Cluster) startCloudControllerManager(ctx context.Context, cr *cloudRuntime) error {
	ccmConfig, err := c.identityConfig("cloud-controller-manager", cloudControllerManagerUser)
	if err != nil {
		return err
	}
	ccmClient, err := kubernetes.NewForConfig(ccmConfig)
	if err != nil {
		return err
	}
	factory := newInformerFactory(ccmClient, 12*time.Hour)
	clientFor := func(name string) (kubernetes.Interface, error) {
		cfg, err := c.serviceAccountConfig(name)
		if err != nil {
			return nil, err
		}
		return kubernetes.NewForConfig(cfg)
	}
	cfg := cloudctl.Config{
		ConfigureCloudRoutes: c.cfg.ConfigureCloudRoutes,
		// One --node-monitor-period for both node lifecycle controllers, as k1s has one
		// flag for what upstream sets on two binaries.
		NodeMonitorPeriod: c.cfg.NodeLifecycle.NodeMonitorPeriod,
	}
	if c.cfg.ClusterCIDR != "" {
		cfg.ClusterCIDRs = strings.Split(c.cfg.ClusterCIDR, ",")
	}
	controllers, err := cloudctl.New(cfg, cr.client.Provider(), clientFor, factory)
	if err != nil {
		return fmt.Errorf("cloud controllers: %w", err)
	}
	cr.stage = &stage{
		name:       "cloud-controller-manager",
		client:     ccmClient,
		factories:  []informers.SharedInformerFactory{factory},
		components: map[string]component{"cloud-controllers": controllers},
	}
	return c.startStage(ctx, cr.stage)
}

// stopCloud stops the cloud-controller-manager stage, then the plugin. It runs after
// the kubelets stopped, so the node addresses the VMs held can be handed back.
func (c *Cluster) stopCloud() {
	cr := c.cloud
	if cr == nil {
		return
	}
	cr.stage.stop()
	if cr.client != nil {
		cr.client.Close()
	}
	cr.mu.Lock()
	defer cr.mu.Unlock()
	for name, m := range cr.machines {
		loopback.Process.Release(m.ip)
		delete(cr.machines, name)
	}
}

// initialNodeOptions are the options of the n-th node (1-based) Start adds.
func (c *Cluster) initialNodeOptions(n int) NodeOptions {
	opts := c.cfg.NodeDefaults
	if len(c.cfg.Zones) > 0 {
		opts.Zone = c.cfg.Zones[(n-1)%len(c.cfg.Zones)]
	}
	return opts
}

// bootInitialVMs gives each node Start adds its address and VM in one write of the
// inventory (one write per node is quadratic in the node count). VMs left by an
// earlier run on the same data dir are replaced: the machines boot again, running, on
// the addresses of this process.
func (c *Cluster) bootInitialVMs() error {
	cr := c.cloud
	vms := make([]local.VM, 0, c.cfg.Nodes)
	machines := make(map[string]*machine, c.cfg.Nodes)
	release := func() {
		for _, m := range machines {
			loopback.Process.Release(m.ip)
		}
	}
	for i := 1; i <= c.cfg.Nodes; i++ {
		ip, err := loopback.Process.Allocate()
		if err != nil {
			release()
			return err
		}
		name, opts := NodeName(i), c.initialNodeOptions(i)
		machines[name] = &machine{ip: ip, opts: opts}
		vms = append(vms, vmFor(name, opts, ip))
	}
	if _, err := cr.vms.PutMany(vms); err != nil {
		release()
		return fmt.Errorf("booting the VMs of the local cloud: %w", err)
	}
	cr.mu.Lock()
	defer cr.mu.Unlock()
	for name, m := range machines {
		cr.machines[name] = m
	}
	return nil
}

// vmFor is the local VM behind a node: its zone and region are the node's options
// (region "local" by default, as for nodes without a cloud), its InternalIP the
// node's loopback address, its Hostname the node name.
func vmFor(name string, opts NodeOptions, ip netip.Addr) local.VM {
	region := opts.Region
	if region == "" {
		region = local.DefaultRegion
	}
	return local.VM{
		Name:   name,
		Zone:   opts.Zone,
		Region: region,
		Addresses: []corev1.NodeAddress{
			{Type: corev1.NodeInternalIP, Address: ip.String()},
			{Type: corev1.NodeHostName, Address: name},
		},
	}
}

// nodeAddress is the loopback address of a node about to start. In a local-cloud
// cluster the node's VM owns it: a VM booted earlier (by Start, or before ShutdownVM)
// keeps its address, and a new node gets a new VM first, so that the cloud knows the
// machine before its kubelet registers.
func (c *Cluster) nodeAddress(name string, opts NodeOptions) (netip.Addr, error) {
	cr := c.cloud
	if cr == nil || cr.vms == nil {
		return loopback.Process.Allocate()
	}
	cr.mu.Lock()
	defer cr.mu.Unlock()
	if m := cr.machines[name]; m != nil {
		return m.ip, nil
	}
	ip, err := loopback.Process.Allocate()
	if err != nil {
		return netip.Addr{}, err
	}
	if _, err := cr.vms.PutMany([]local.VM{vmFor(name, opts, ip)}); err != nil {
		loopback.Process.Release(ip)
		return netip.Addr{}, fmt.Errorf("creating the VM of node %s: %w", name, err)
	}
	cr.machines[name] = &machine{ip: ip, opts: opts}
	return ip, nil
}

// releaseNodeAddress hands a stopped kubelet's address back, unless a local VM owns
// it (the VM releases it when it is deleted, or when the cluster stops).
func (c *Cluster) releaseNodeAddress(ip netip.Addr) {
	if cr := c.cloud; cr != nil && cr.vms != nil {
		return
	}
	loopback.Process.Release(ip)
}

// configureCloudKubelet makes a kubelet of a cluster with a cloud register as upstream's
// do with an external cloud provider: tainted node.cloudprovider.kubernetes.io/
// uninitialized until the cloud node controller has initialised the Node, and without
// topology labels of its own, which the cloud sets from its instance metadata.
func (c *Cluster) configureCloudKubelet(cfg *kubeletlite.Config, opts NodeOptions) {
	if c.cloud == nil {
		return
	}
	cfg.CloudProvider = kubeletlite.CloudProviderExternal
	for _, key := range []string{corev1.LabelTopologyZone, corev1.LabelTopologyRegion} {
		if _, explicit := opts.Labels[key]; !explicit {
			delete(cfg.NodeLabels, key)
		}
	}
}

// forgetVM deletes a removed node's local VM and releases its address; the node's
// kubelet has stopped.
func (c *Cluster) forgetVM(name string) error {
	cr := c.cloud
	if cr == nil || cr.vms == nil {
		return nil
	}
	if err := cr.vms.Delete(name); err != nil && !errors.Is(err, local.ErrVMNotFound) {
		return err
	}
	cr.releaseMachine(name)
	return nil
}

func (cr *cloudRuntime) releaseMachine(name string) {
	cr.mu.Lock()
	defer cr.mu.Unlock()
	if m := cr.machines[name]; m != nil {
		loopback.Process.Release(m.ip)
		delete(cr.machines, name)
	}
}

// errNoLocalCloud is returned by the VM methods of a cluster without the local cloud.
var errNoLocalCloud = errors.New("VMs are managed by k1s only with --cloud-provider local")

func (c *Cluster) localCloud() (*cloudRuntime, error) {
	cr := c.cloud
	if cr == nil {
		return nil, fmt.Errorf("this cluster runs no cloud provider: %w", errNoLocalCloud)
	}
	if cr.vms == nil {
		return nil, fmt.Errorf("the VMs of cloud provider %q belong to its plugin: %w", cr.name, errNoLocalCloud)
	}
	return cr, nil
}

// CloudVMs lists the local cloud's VMs, sorted by name.
func (c *Cluster) CloudVMs() ([]local.VM, error) {
	cr, err := c.localCloud()
	if err != nil {
		return nil, err
	}
	return cr.vms.List()
}

// ShutdownVM powers a local VM off: its state turns shutdown and its node's kubelet
// stops, as a powered-off machine stops heartbeating. Once the Node is not Ready the
// cloud node lifecycle controller taints it node.cloudprovider.kubernetes.io/shutdown.
func (c *Cluster) ShutdownVM(name string) error {
	cr, err := c.localCloud()
	if err != nil {
		return err
	}
	cr.power.Lock()
	defer cr.power.Unlock()
	if err := cr.vms.SetState(name, local.VMShutdown); err != nil {
		return err
	}
	// The node stays in the cluster's set (as the machine stays in the cloud), with
	// its kubelet stopped until StartVM.
	if n := c.Node(name); n != nil {
		n.cancel()
		<-n.Kubelet.Done()
	}
	return nil
}

// StartVM powers a local VM on: its state turns running and its node's kubelet starts
// again, on the same address. The Node turns Ready and loses the shutdown taint.
func (c *Cluster) StartVM(name string) error {
	cr, err := c.localCloud()
	if err != nil {
		return err
	}
	cr.power.Lock()
	defer cr.power.Unlock()
	if err := cr.vms.SetState(name, local.VMRunning); err != nil {
		return err
	}
	cr.mu.Lock()
	m := cr.machines[name]
	cr.mu.Unlock()
	if m == nil {
		// A VM left by an earlier run whose node this cluster did not start: there
		// is no kubelet to boot, only the power state.
		return nil
	}
	c.nodes.mu.Lock()
	if n, ok := c.nodes.byName[name]; ok {
		if n == nil || !isDone(n.Kubelet.Done()) {
			c.nodes.mu.Unlock()
			return nil // starting, or running already
		}
		delete(c.nodes.byName, name) // the stopped kubelet of ShutdownVM
	}
	c.nodes.mu.Unlock()
	if _, err := c.launchNode(name, m.opts); err != nil {
		return fmt.Errorf("starting the kubelet of vm %s: %w", name, err)
	}
	return nil
}

// DeleteVM deletes a local VM and stops its node's kubelet; the cloud node lifecycle
// controller deletes the Node once it is not Ready and the cloud no longer knows it.
func (c *Cluster) DeleteVM(name string) error {
	cr, err := c.localCloud()
	if err != nil {
		return err
	}
	cr.power.Lock()
	defer cr.power.Unlock()
	if err := cr.vms.Delete(name); err != nil {
		return err
	}
	c.nodes.mu.Lock()
	n := c.nodes.byName[name]
	if n != nil {
		delete(c.nodes.byName, name)
	}
	c.nodes.mu.Unlock()
	if n != nil {
		n.cancel()
		<-n.Kubelet.Done()
	}
	cr.releaseMachine(name)
	return nil
}

// CloudPluginRestarts is how many times the cloud plugin process was restarted after
// it exited; 0 without a cloud.
func (c *Cluster) CloudPluginRestarts() int {
	if c.cloud == nil || c.cloud.client == nil {
		return 0
	}
	return c.cloud.client.Restarts()
}

// CloudPluginPID is the process ID of the running cloud plugin, or 0 while none runs
// (no cloud, or restarting after a crash).
func (c *Cluster) CloudPluginPID() int {
	if c.cloud == nil || c.cloud.client == nil {
		return 0
	}
	return c.cloud.client.PID()
}

func isDone(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
