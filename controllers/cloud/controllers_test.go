package cloud

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	cloudprovider "k8s.io/cloud-provider"
	cloudproviderapi "k8s.io/cloud-provider/api"
	"k8s.io/klog/v2/ktesting"

	"github.com/k1s-dev/k1s/controllers/internal/controllertest"
	"github.com/k1s-dev/k1s/plugins/local"
)

// fastConfig has periods short enough for tests; every other field is
// upstream's default.
func fastConfig() Config {
	cfg := DefaultConfig()
	cfg.NodeMonitorPeriod = 20 * time.Millisecond
	cfg.NodeStatusUpdateFrequency = 100 * time.Millisecond
	cfg.RouteReconciliationPeriod = 50 * time.Millisecond
	return cfg
}

type harness struct {
	client *fake.Clientset
	ctrl   *Controllers
	cloud  *local.Cloud

	mu    sync.Mutex
	asked []string
}

func (h *harness) clientNames() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.asked)
}

// newHarness builds the controllers over a fake clientset holding objects and
// a local cloud on a temporary dir, without running them.
func newHarness(t *testing.T, cfg Config, provider cloudprovider.Interface, objects ...runtime.Object) *harness {
	t.Helper()
	h := &harness{client: fake.NewClientset(objects...)}
	if provider == nil {
		c, err := local.New(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		h.cloud, provider = c, c
	}
	factory := informers.NewSharedInformerFactory(h.client, 0)
	ctrl, err := New(cfg, provider, func(name string) (kubernetes.Interface, error) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.asked = append(h.asked, name)
		return h.client, nil
	}, factory)
	if err != nil {
		t.Fatal(err)
	}
	h.ctrl = ctrl
	return h
}

// run runs the controllers until the test ends and waits until they are ready.
func (h *harness) run(t *testing.T) {
	t.Helper()
	_, ctx := ktesting.NewTestContext(t)
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- h.ctrl.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	select {
	case <-h.ctrl.Ready():
	case err := <-done:
		t.Fatalf("Run returned before ready: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("controllers not ready after 10s")
	}
}

func (h *harness) node(t *testing.T, name string) (*corev1.Node, bool) {
	t.Helper()
	n, err := h.client.CoreV1().Nodes().Get(context.Background(), name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, false
	}
	if err != nil {
		t.Fatal(err)
	}
	return n, true
}

func hasTaint(n *corev1.Node, key string, effect corev1.TaintEffect) bool {
	return slices.ContainsFunc(n.Spec.Taints, func(t corev1.Taint) bool { return t.Key == key && t.Effect == effect })
}

func newNode(name string, ready corev1.ConditionStatus, taints ...corev1.Taint) *corev1.Node {
	n := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, UID: types.UID("uid-" + name)},
		Spec:       corev1.NodeSpec{Taints: taints},
	}
	if ready != "" {
		n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: ready}}
	}
	return n
}

var uninitializedTaint = corev1.Taint{Key: cloudproviderapi.TaintExternalCloudProvider, Value: "true", Effect: corev1.TaintEffectNoSchedule}

func TestCloudNodeControllerInitializesNode(t *testing.T) {
	cfg := fastConfig()
	cfg.Controllers = []string{CloudNodeController}
	// The kubelet registered with --cloud-provider=external: tainted, no
	// provider ID, only its hostname as address.
	n := newNode("n1", corev1.ConditionTrue, uninitializedTaint)
	n.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeHostName, Address: "n1"}}
	h := newHarness(t, cfg, nil, n)
	if _, err := h.cloud.VMs().Create(local.VM{
		Name: "n1", InstanceType: "k1s.medium", Zone: "zone-a", Region: "region-1",
		Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "127.0.1.5"}},
	}); err != nil {
		t.Fatal(err)
	}
	h.run(t)

	var got *corev1.Node
	controllertest.Eventually(t, func() bool {
		got, _ = h.node(t, "n1")
		return got != nil && !hasTaint(got, cloudproviderapi.TaintExternalCloudProvider, corev1.TaintEffectNoSchedule) &&
			len(got.Status.Addresses) == 2
	}, "node n1 initialised by the cloud node controller")

	if got.Spec.ProviderID != "local://n1" {
		t.Errorf("spec.providerID = %q, want local://n1", got.Spec.ProviderID)
	}
	wantLabels := map[string]string{
		corev1.LabelInstanceTypeStable:      "k1s.medium",
		corev1.LabelInstanceType:            "k1s.medium",
		corev1.LabelTopologyZone:            "zone-a",
		corev1.LabelFailureDomainBetaZone:   "zone-a",
		corev1.LabelTopologyRegion:          "region-1",
		corev1.LabelFailureDomainBetaRegion: "region-1",
	}
	if diff := cmp.Diff(wantLabels, got.Labels); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}
	wantAddrs := []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "127.0.1.5"}, {Type: corev1.NodeHostName, Address: "n1"}}
	if diff := cmp.Diff(wantAddrs, got.Status.Addresses); diff != "" {
		t.Errorf("addresses (-want +got):\n%s", diff)
	}
	if names := h.clientNames(); !slices.Equal(names, []string{NodeControllerClientName}) {
		t.Errorf("clients asked for %v, want [%s]", names, NodeControllerClientName)
	}
}

func TestCloudNodeLifecycleControllerDeletesAndTaints(t *testing.T) {
	cfg := fastConfig()
	cfg.Controllers = []string{CloudNodeLifecycleController}
	shutdownTaint := corev1.Taint{Key: cloudproviderapi.TaintNodeShutdown, Effect: corev1.TaintEffectNoSchedule}
	h := newHarness(t, cfg, nil,
		newNode("gone", corev1.ConditionUnknown),             // its VM is deleted below
		newNode("down", corev1.ConditionFalse),               // its VM is shut down below
		newNode("running", corev1.ConditionUnknown),          // not Ready, but its VM runs
		newNode("back", corev1.ConditionTrue, shutdownTaint), // Ready again: the taint goes
	)
	vms := h.cloud.VMs()
	for _, name := range []string{"gone", "down", "running", "back"} {
		if _, err := vms.Create(local.VM{Name: name}); err != nil {
			t.Fatal(err)
		}
	}
	if err := vms.Delete("gone"); err != nil {
		t.Fatal(err)
	}
	if err := vms.SetState("down", local.VMShutdown); err != nil {
		t.Fatal(err)
	}
	h.run(t)

	controllertest.Eventually(t, func() bool { _, ok := h.node(t, "gone"); return !ok },
		"the Node of the deleted VM is deleted")
	controllertest.Eventually(t, func() bool {
		n, ok := h.node(t, "down")
		return ok && hasTaint(n, cloudproviderapi.TaintNodeShutdown, corev1.TaintEffectNoSchedule)
	}, "the Node of the shut-down VM gets the shutdown taint")
	controllertest.Eventually(t, func() bool {
		n, ok := h.node(t, "back")
		return ok && !hasTaint(n, cloudproviderapi.TaintNodeShutdown, corev1.TaintEffectNoSchedule)
	}, "the Ready Node loses the shutdown taint")
	// Both taint writes come from monitor passes that also looked at
	// "running", whose VM exists and runs: it is kept and never tainted.
	n, ok := h.node(t, "running")
	if !ok {
		t.Fatal("the Node of a running VM was deleted")
	}
	if len(n.Spec.Taints) != 0 {
		t.Errorf("the Node of a running VM got taints %v", n.Spec.Taints)
	}
	if _, ok := h.node(t, "down"); !ok {
		t.Error("the Node of a shut-down VM was deleted")
	}
}

func TestServiceControllerEnsuresLoadBalancer(t *testing.T) {
	// One node serving the NodePort with an echo server.
	ln, err := net.Listen("tcp", "127.77.1.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				s := bufio.NewScanner(c)
				for s.Scan() {
					fmt.Fprintf(c, "echo:%s\n", s.Text())
				}
			}()
		}
	}()
	nodePort := int32(ln.Addr().(*net.TCPAddr).Port)

	cfg := fastConfig()
	cfg.Controllers = []string{ServiceLBController}
	n := newNode("n1", corev1.ConditionTrue)
	n.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "127.77.1.1"}}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web", UID: "svc-uid-1"},
		Spec: corev1.ServiceSpec{
			Type:  corev1.ServiceTypeLoadBalancer,
			Ports: []corev1.ServicePort{{Protocol: corev1.ProtocolTCP, Port: 30090, NodePort: nodePort}},
		},
	}
	// The Service is created once the controller runs: upstream's service
	// controller writes its cache entry's state without its lock
	// (processServiceCreateOrUpdate) while the node worker reads it (syncNodes), a
	// data race the race detector reports when the start-up node sync and the
	// service sync overlap.
	h := newHarness(t, cfg, nil, n)
	h.run(t)

	ctx := context.Background()
	if _, err := h.client.CoreV1().Services("default").Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var got *corev1.Service
	controllertest.Eventually(t, func() bool {
		got, err = h.client.CoreV1().Services("default").Get(ctx, "web", metav1.GetOptions{})
		return err == nil && len(got.Status.LoadBalancer.Ingress) == 1
	}, "service default/web gets a load balancer")
	if !slices.Contains(got.Finalizers, "service.kubernetes.io/load-balancer-cleanup") {
		t.Errorf("finalizers = %v, want the load balancer cleanup finalizer", got.Finalizers)
	}
	addr := net.JoinHostPort(got.Status.LoadBalancer.Ingress[0].IP, strconv.Itoa(30090))
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dialing the load balancer %s: %v", addr, err)
	}
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintln(conn, "hi")
	line, err := bufio.NewReader(conn).ReadString('\n')
	conn.Close()
	if err != nil || line != "echo:hi\n" {
		t.Fatalf("through the load balancer: %q, %v", line, err)
	}

	// No longer a LoadBalancer: the controller deletes the load balancer
	// and drops the finalizer.
	got.Spec.Type = corev1.ServiceTypeClusterIP
	if _, err := h.client.CoreV1().Services("default").Update(ctx, got, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	controllertest.Eventually(t, func() bool {
		s, err := h.client.CoreV1().Services("default").Get(ctx, "web", metav1.GetOptions{})
		return err == nil && len(s.Finalizers) == 0
	}, "the finalizer is removed once the load balancer is deleted")
	if c, err := net.DialTimeout("tcp", addr, 2*time.Second); err == nil {
		c.Close()
		t.Error("the load balancer still listens after the service stopped being a LoadBalancer")
	}
	if names := h.clientNames(); !slices.Equal(names, []string{ServiceControllerClientName}) {
		t.Errorf("clients asked for %v, want [%s]", names, ServiceControllerClientName)
	}
}

func TestRouteControllerCreatesRoutes(t *testing.T) {
	cfg := fastConfig()
	cfg.Controllers = []string{NodeRouteController}
	cfg.ClusterCIDRs = []string{"10.244.0.0/16"}
	n := newNode("n1", corev1.ConditionTrue)
	n.Spec.PodCIDR, n.Spec.PodCIDRs = "10.244.3.0/24", []string{"10.244.3.0/24"}
	n.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "127.0.1.3"}}
	h := newHarness(t, cfg, nil, n)
	if _, err := h.cloud.VMs().Create(local.VM{Name: "n1"}); err != nil {
		t.Fatal(err)
	}
	h.run(t)

	controllertest.Eventually(t, func() bool {
		got, _ := h.node(t, "n1")
		for _, c := range got.Status.Conditions {
			if c.Type == corev1.NodeNetworkUnavailable {
				return c.Status == corev1.ConditionFalse && c.Reason == "RouteCreated"
			}
		}
		return false
	}, "NetworkUnavailable=False/RouteCreated on n1")
	routes, err := h.cloud.ListRoutes(context.Background(), DefaultClusterName)
	if err != nil {
		t.Fatal(err)
	}
	if len(routes) != 1 || routes[0].TargetNode != "n1" || routes[0].DestinationCIDR != "10.244.3.0/24" {
		t.Errorf("routes of cluster %q = %+v", DefaultClusterName, routes)
	}
	if names := h.clientNames(); !slices.Equal(names, []string{RouteControllerClientName}) {
		t.Errorf("clients asked for %v, want [%s]", names, RouteControllerClientName)
	}
}

// noLoadBalancer is a cloud without load balancers or routes.
type noLoadBalancer struct{ *local.Cloud }

func (noLoadBalancer) LoadBalancer() (cloudprovider.LoadBalancer, bool) { return nil, false }
func (noLoadBalancer) Routes() (cloudprovider.Routes, bool)             { return nil, false }

func TestNewSelectsControllers(t *testing.T) {
	all := []string{CloudNodeController, CloudNodeLifecycleController, ServiceLBController, NodeRouteController}
	tests := []struct {
		name        string
		cfg         Config
		limited     bool
		wantRunning []string
		wantSkipped []string
		wantClients []string
	}{
		{
			name:        "defaults without a cluster CIDR",
			cfg:         DefaultConfig(),
			wantRunning: all[:3],
			wantSkipped: []string{NodeRouteController},
			wantClients: []string{NodeControllerClientName, ServiceControllerClientName},
		},
		{
			name:        "defaults with a cluster CIDR",
			cfg:         Config{ConfigureCloudRoutes: true, ClusterCIDRs: []string{"10.244.0.0/16", "fd00:10:244::/56"}},
			wantRunning: all,
			wantClients: []string{NodeControllerClientName, ServiceControllerClientName, RouteControllerClientName},
		},
		{
			name:        "routes not configured",
			cfg:         Config{ClusterCIDRs: []string{"10.244.0.0/16"}},
			wantRunning: all[:3],
			wantSkipped: []string{NodeRouteController},
			wantClients: []string{NodeControllerClientName, ServiceControllerClientName},
		},
		{
			name:        "one disabled",
			cfg:         Config{Controllers: []string{"*", "-" + ServiceLBController}},
			wantRunning: all[:2],
			wantSkipped: []string{NodeRouteController},
			wantClients: []string{NodeControllerClientName},
		},
		{
			name:        "cloud without load balancers and routes",
			cfg:         Config{ConfigureCloudRoutes: true, ClusterCIDRs: []string{"10.244.0.0/16"}},
			limited:     true,
			wantRunning: all[:2],
			wantSkipped: []string{ServiceLBController, NodeRouteController},
			wantClients: []string{NodeControllerClientName},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var provider cloudprovider.Interface
			if tc.limited {
				c, err := local.New(t.TempDir())
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				provider = noLoadBalancer{c}
			}
			h := newHarness(t, tc.cfg, provider)
			if diff := cmp.Diff(tc.wantRunning, h.ctrl.Running()); diff != "" {
				t.Errorf("running (-want +got):\n%s", diff)
			}
			var skipped []string
			for name := range h.ctrl.Skipped() {
				skipped = append(skipped, name)
			}
			slices.Sort(skipped)
			want := slices.Clone(tc.wantSkipped)
			slices.Sort(want)
			if diff := cmp.Diff(want, skipped); diff != "" {
				t.Errorf("skipped (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantClients, h.clientNames()); diff != "" {
				t.Errorf("clients asked for (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNewRejects(t *testing.T) {
	c, err := local.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	client := fake.NewClientset()
	factory := informers.NewSharedInformerFactory(client, 0)
	clientFor := func(string) (kubernetes.Interface, error) { return client, nil }
	if _, err := New(Config{}, nil, clientFor, factory); err == nil {
		t.Error("nil provider: want an error")
	}
	if _, err := New(Config{}, c, nil, factory); err == nil {
		t.Error("nil clientFor: want an error")
	}
	if _, err := New(Config{Controllers: []string{"bogus"}}, c, clientFor, factory); err == nil {
		t.Error("unknown controller: want an error")
	}
	failing := func(string) (kubernetes.Interface, error) { return nil, fmt.Errorf("no identity") }
	if _, err := New(Config{}, c, failing, factory); err == nil {
		t.Error("clientFor failing: want an error")
	}
}

func TestRunTwiceFails(t *testing.T) {
	h := newHarness(t, fastConfig(), nil)
	h.run(t)
	if err := h.ctrl.Run(context.Background()); err == nil {
		t.Error("second Run: want an error")
	}
}
