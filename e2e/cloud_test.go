package e2e

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/watch"
	cloudproviderapi "k8s.io/cloud-provider/api"
	servicehelpers "k8s.io/cloud-provider/service/helpers"

	"github.com/k1s-dev/k1s/cluster"
	"github.com/k1s-dev/k1s/e2e/framework"
	"github.com/k1s-dev/k1s/plugins/local"
)

// startLocalCloud starts a cluster on the built-in local cloud with nodes spread over
// zones, fast kubelets and the fast node lifecycle of the node lifecycle tests, so a
// stopped kubelet's Node is not Ready within a few seconds.
func startLocalCloud(t *testing.T, nodes int, zones ...string) *framework.Cluster {
	t.Helper()
	return framework.Start(t, localCloudConfig(nodes, zones...))
}

func localCloudConfig(nodes int, zones ...string) cluster.Config {
	return cluster.Config{
		CloudProvider: local.ProviderName,
		Nodes:         nodes,
		Zones:         zones,
		NodeDefaults:  fastNode(""),
		NodeLifecycle: fastNodeLifecycle(),
	}
}

// waitNodeInitialized waits until the cloud node controller has initialised a Node from
// its VM: provider ID, topology and instance-type labels, addresses, and the
// uninitialized taint gone.
func waitNodeInitialized(t *testing.T, c *framework.Cluster, name, zone string) *corev1.Node {
	t.Helper()
	ip := c.Node(name).IP.String()
	var node *corev1.Node
	framework.Eventually(t, 30*time.Second, "node "+name+" to be initialised by the cloud", func(ctx context.Context) (bool, error) {
		n, err := c.Client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		node = n
		return n.Spec.ProviderID != "" && !hasTaint(n, cloudproviderapi.TaintExternalCloudProvider, corev1.TaintEffectNoSchedule), nil
	})
	if want := "local://" + name; node.Spec.ProviderID != want {
		t.Errorf("node %s: spec.providerID = %q, want %q", name, node.Spec.ProviderID, want)
	}
	for key, want := range map[string]string{
		corev1.LabelTopologyZone:       zone,
		corev1.LabelTopologyRegion:     local.DefaultRegion,
		corev1.LabelInstanceTypeStable: local.DefaultInstanceType,
	} {
		if got := node.Labels[key]; got != want {
			t.Errorf("node %s: label %s = %q, want %q", name, key, got, want)
		}
	}
	wantAddrs := []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: ip}, {Type: corev1.NodeHostName, Address: name}}
	if !slices.Equal(node.Status.Addresses, wantAddrs) {
		t.Errorf("node %s: addresses %v, want %v", name, node.Status.Addresses, wantAddrs)
	}
	return node
}

// TestCloudNodes: nodes of a local-cloud cluster register tainted uninitialized and are
// initialised from their VMs; a shut-down VM's Node gets the shutdown taint and loses
// it when the VM starts again; a deleted VM's Node is deleted by the cloud.
func TestCloudNodes(t *testing.T) {
	t.Parallel()
	c := startLocalCloud(t, 3, "zone-a", "zone-b")
	ctx := context.Background()
	for i, zone := range []string{"zone-a", "zone-b", "zone-a"} {
		waitNodeInitialized(t, c, cluster.NodeName(i+1), zone)
	}

	// A node added later: watched from before it exists, its first version carries
	// the uninitialized taint and no cloud data.
	w, err := c.Client.CoreV1().Nodes().Watch(ctx, metav1.ListOptions{FieldSelector: "metadata.name=cloud-added"})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	if _, err := c.AddNode(ctx, "cloud-added", fastNode("zone-c")); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-w.ResultChan():
		n, ok := ev.Object.(*corev1.Node)
		if ev.Type != watch.Added || !ok {
			t.Fatalf("first watch event of node cloud-added: %s %T", ev.Type, ev.Object)
		}
		if !hasTaint(n, cloudproviderapi.TaintExternalCloudProvider, corev1.TaintEffectNoSchedule) || n.Spec.ProviderID != "" || n.Labels[corev1.LabelTopologyZone] != "" {
			t.Errorf("node cloud-added registered with taints %v, provider ID %q, zone %q; want the uninitialized taint and no cloud data",
				n.Spec.Taints, n.Spec.ProviderID, n.Labels[corev1.LabelTopologyZone])
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no watch event for node cloud-added")
	}
	waitNodeInitialized(t, c, "cloud-added", "zone-c")

	vms, err := c.CloudVMs()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, vm := range vms {
		names = append(names, vm.Name)
		if vm.State != local.VMRunning || vm.Addresses[0].Address != c.Node(vm.Name).IP.String() {
			t.Errorf("vm %s: state %s, addresses %v; want running on the node's address %s", vm.Name, vm.State, vm.Addresses, c.Node(vm.Name).IP)
		}
	}
	if want := []string{"cloud-added", "k1s-node-1", "k1s-node-2", "k1s-node-3"}; !slices.Equal(names, want) {
		t.Errorf("VMs %v, want %v", names, want)
	}

	// Shut down: the kubelet stops, the Node turns not Ready and gets the shutdown taint.
	before := c.Node("k1s-node-2").IP
	if err := c.ShutdownVM("k1s-node-2"); err != nil {
		t.Fatal(err)
	}
	framework.Eventually(t, 30*time.Second, "node k1s-node-2 to get the shutdown taint", func(ctx context.Context) (bool, error) {
		n, err := c.Client.CoreV1().Nodes().Get(ctx, "k1s-node-2", metav1.GetOptions{})
		return err == nil && readyStatus(n) != corev1.ConditionTrue && hasTaint(n, cloudproviderapi.TaintNodeShutdown, corev1.TaintEffectNoSchedule), err
	})
	if err := c.StartVM("k1s-node-2"); err != nil {
		t.Fatal(err)
	}
	framework.Eventually(t, 30*time.Second, "node k1s-node-2 to be Ready without the shutdown taint", func(ctx context.Context) (bool, error) {
		n, err := c.Client.CoreV1().Nodes().Get(ctx, "k1s-node-2", metav1.GetOptions{})
		return err == nil && readyStatus(n) == corev1.ConditionTrue && !hasTaint(n, cloudproviderapi.TaintNodeShutdown, corev1.TaintEffectNoSchedule), err
	})
	if after := c.Node("k1s-node-2").IP; after != before {
		t.Errorf("node k1s-node-2 came back on %s, want its VM's address %s", after, before)
	}

	// Delete: the kubelet stops and the cloud node lifecycle controller deletes the Node.
	if err := c.DeleteVM("k1s-node-3"); err != nil {
		t.Fatal(err)
	}
	framework.Eventually(t, 30*time.Second, "node k1s-node-3 to be deleted", func(ctx context.Context) (bool, error) {
		_, err := c.Client.CoreV1().Nodes().Get(ctx, "k1s-node-3", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		return false, err
	})
	if err := c.DeleteVM("k1s-node-3"); !errors.Is(err, local.ErrVMNotFound) {
		t.Errorf("deleting vm k1s-node-3 twice: %v, want %v", err, local.ErrVMNotFound)
	}

	// Removing a node deletes its VM.
	if err := c.RemoveNode(ctx, "cloud-added"); err != nil {
		t.Fatal(err)
	}
	vms, err = c.CloudVMs()
	if err != nil {
		t.Fatal(err)
	}
	names = names[:0]
	for _, vm := range vms {
		names = append(names, vm.Name)
	}
	if want := []string{"k1s-node-1", "k1s-node-2"}; !slices.Equal(names, want) {
		t.Errorf("VMs after deleting k1s-node-3 and removing cloud-added: %v, want %v", names, want)
	}
	if got := c.NodeNames(); !slices.Equal(got, []string{"k1s-node-1", "k1s-node-2"}) {
		t.Errorf("running nodes %v, want k1s-node-1 and k1s-node-2", got)
	}
}

func loadBalancerService(name string) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: metav1.NamespaceDefault},
		Spec: corev1.ServiceSpec{
			Type:     corev1.ServiceTypeLoadBalancer,
			Selector: map[string]string{"app": name},
			Ports:    []corev1.ServicePort{{Name: "http", Port: 8080, TargetPort: intstr.FromInt32(8080), Protocol: corev1.ProtocolTCP}},
		},
	}
}

// waitLoadBalancer waits for a Service's load balancer ingress and returns its address.
func waitLoadBalancer(t *testing.T, c *framework.Cluster, name string) string {
	t.Helper()
	var svc *corev1.Service
	framework.Eventually(t, 60*time.Second, "service "+name+" to get a load balancer", func(ctx context.Context) (bool, error) {
		s, err := c.Client.CoreV1().Services(metav1.NamespaceDefault).Get(ctx, name, metav1.GetOptions{})
		svc = s
		return err == nil && len(s.Status.LoadBalancer.Ingress) > 0, err
	})
	ip, err := netip.ParseAddr(svc.Status.LoadBalancer.Ingress[0].IP)
	if err != nil || !local.LoadBalancerPrefix.Contains(ip) {
		t.Fatalf("service %s: ingress %v, want an IP in %s", name, svc.Status.LoadBalancer.Ingress, local.LoadBalancerPrefix)
	}
	if !slices.Contains(svc.Finalizers, servicehelpers.LoadBalancerCleanupFinalizer) {
		t.Errorf("service %s: finalizers %v, want %s", name, svc.Finalizers, servicehelpers.LoadBalancerCleanupFinalizer)
	}
	return net.JoinHostPort(ip.String(), "8080")
}

// checkListenerAccepts dials a load balancer: it accepts, and with no backend behind
// the node ports it closes the connection.
func checkListenerAccepts(t *testing.T, addr string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dialing the load balancer %s: %v", addr, err)
	}
	defer conn.Close()
	_ = conn.SetReadDeadline(time.Now().Add(15 * time.Second))
	if _, err := conn.Read(make([]byte, 1)); !errors.Is(err, io.EOF) && !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("reading from the load balancer %s with no backend: %v, want the connection closed", addr, err)
	}
}

// TestCloudLoadBalancer: a LoadBalancer Service gets a real listener on a 127.100.x.y
// address and the cleanup finalizer; deleting it frees both. A killed plugin process is
// restarted and the controllers go on working through the new one. With cloud routes,
// the route controller reports each node's pod CIDR route on the Node.
func TestCloudLoadBalancer(t *testing.T) {
	t.Parallel()
	cfg := localCloudConfig(2)
	cfg.ClusterCIDR, cfg.ConfigureCloudRoutes = "10.244.0.0/16", true
	c := framework.Start(t, cfg)
	ctx := context.Background()
	for _, name := range c.NodeNames() {
		framework.Eventually(t, 30*time.Second, "a cloud route for node "+name, func(ctx context.Context) (bool, error) {
			n, err := c.Client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			cond := nodeCondition(n, corev1.NodeNetworkUnavailable)
			return cond != nil && cond.Status == corev1.ConditionFalse && cond.Reason == "RouteCreated", nil
		})
	}
	services := c.Client.CoreV1().Services(metav1.NamespaceDefault)

	if _, err := services.Create(ctx, loadBalancerService("cloud-lb-first"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	first := waitLoadBalancer(t, c, "cloud-lb-first")
	checkListenerAccepts(t, first)
	if err := services.Delete(ctx, "cloud-lb-first", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	framework.Eventually(t, 30*time.Second, "service cloud-lb-first to be gone (finalizer removed)", func(ctx context.Context) (bool, error) {
		_, err := services.Get(ctx, "cloud-lb-first", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		return false, err
	})
	framework.Eventually(t, 10*time.Second, "the listener of cloud-lb-first to close", func(context.Context) (bool, error) {
		conn, err := net.DialTimeout("tcp", first, time.Second)
		if err == nil {
			conn.Close()
			return false, nil
		}
		if errors.Is(err, syscall.ECONNREFUSED) {
			return true, nil
		}
		return false, err
	})

	pid := c.CloudPluginPID()
	if pid == 0 {
		t.Fatal("no cloud plugin process")
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	framework.Eventually(t, 30*time.Second, "the cloud plugin to be restarted", func(context.Context) (bool, error) {
		now := c.CloudPluginPID()
		return c.CloudPluginRestarts() == 1 && now != 0 && now != pid, nil
	})
	if _, err := services.Create(ctx, loadBalancerService("cloud-lb-second"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	checkListenerAccepts(t, waitLoadBalancer(t, c, "cloud-lb-second"))
}

// TestCloudProviderMissing: a provider that is neither built in nor a plugin binary
// fails Start at once, naming what it looked for.
func TestCloudProviderMissing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tests := []struct {
		name string
		cfg  cluster.Config
		want []string
	}{
		{"plugin dir without the binary", cluster.Config{CloudProvider: "nosuch", PluginDir: dir},
			[]string{`--cloud-provider "nosuch"`, dir + "/k1s-cloud-nosuch", "built-in: local"}},
		{"no plugin dir", cluster.Config{CloudProvider: "nosuch"},
			[]string{`--cloud-provider "nosuch" is not built in`, "--plugin-dir is not set"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			c, err := cluster.Start(ctx, tt.cfg)
			if err == nil {
				c.Stop()
				t.Fatal("Start succeeded")
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Start error %q does not contain %q", err, want)
				}
			}
		})
	}
}

// TestCloudLoadBalancerReachesPod: a connection to a LoadBalancer Service's ingress
// goes through the local cloud's balancer to a node's NodePort, where kube-proxy-lite
// answers for a ready pod of the Service. When the node whose kubelet serves the
// connection stops, the balancer's backends follow the node set and connections
// still reach the pod through the other node.
func TestCloudLoadBalancerReachesPod(t *testing.T) {
	t.Parallel()
	c := startLocalCloud(t, 2, "a", "b")
	ctx := testContext(t)
	for i, zone := range []string{"a", "b"} {
		waitNodeInitialized(t, c, cluster.NodeName(i+1), zone)
	}
	const name = "cloud-lb-echo"
	pod := simplePod(name, cluster.NodeName(1), nil)
	pod.Labels = map[string]string{"app": name}
	pod.Spec.Containers[0].Ports = []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}}
	if _, err := c.Client.CoreV1().Pods(metav1.NamespaceDefault).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Client.CoreV1().Services(metav1.NamespaceDefault).Create(ctx, loadBalancerService(name), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	addr := waitLoadBalancer(t, c, name)
	want := proxyResult{line: "k1s: default/" + name + " port 8080 -> pod default/" + name}
	var got proxyResult
	framework.Eventually(t, 60*time.Second, "a connection through the load balancer to reach the pod", func(ctx context.Context) (bool, error) {
		r, err := dialNodePort(ctx, addr)
		if err != nil {
			return false, err
		}
		got = r
		return strings.HasPrefix(r.line, want.line), nil
	})
	if !strings.Contains(got.line, "on node "+cluster.NodeName(1)) {
		t.Errorf("the balancer's answer %q does not name the pod's node", got.line)
	}

	// Node 2 stops: its NodePort listener closes (connections in flight at that
	// moment are cut, as a failing machine cuts them) and the balancer, which skips
	// refused backends, keeps answering through node 1.
	if err := c.StopNode(cluster.NodeName(2)); err != nil {
		t.Fatal(err)
	}
	framework.Eventually(t, 30*time.Second, "node 2's node port to refuse", func(ctx context.Context) (bool, error) {
		r, err := dialNodePort(ctx, net.JoinHostPort(c.Node(cluster.NodeName(2)).IP.String(), nodePortOf(t, c, name)))
		return err == nil && r.refused, nil
	})
	for range 5 {
		r, err := dialNodePort(ctx, addr)
		if err != nil || !strings.HasPrefix(r.line, want.line) {
			t.Fatalf("through the balancer with node 2 stopped: %+v, %v", r, err)
		}
	}
}

func nodePortOf(t *testing.T, c *framework.Cluster, name string) string {
	t.Helper()
	svc, err := c.Client.CoreV1().Services(metav1.NamespaceDefault).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return strconv.Itoa(int(svc.Spec.Ports[0].NodePort))
}
