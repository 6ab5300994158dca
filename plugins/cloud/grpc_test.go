package cloud

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/go-plugin"
	corev1 "k8s.io/api/core/v1"
	cloudprovider "k8s.io/cloud-provider"
	"k8s.io/klog/v2"
	"k8s.io/klog/v2/ktesting"
	testingclock "k8s.io/utils/clock/testing"
)

// fakeProvider records what reached the plugin side and answers with canned
// values, so the tests can check both directions of every call.
type fakeProvider struct {
	name                      string
	noV2, noLB, noRoutes      bool
	err                       error // returned by every method when set
	blockUntilCancelled       bool
	metadata                  *cloudprovider.InstanceMetadata
	lbStatus                  *corev1.LoadBalancerStatus
	routes                    []*cloudprovider.Route
	mu                        sync.Mutex
	calls                     []string
	nodes                     []*corev1.Node
	services                  []*corev1.Service
	clusterNames              []string
	gotRoutes                 []*cloudprovider.Route
	nameHints                 []string
	deadlines                 []time.Time
	cancelled                 chan error
	inits                     int
	lbNodes                   [][]*corev1.Node
	getLoadBalancerExistsResp bool
}

var (
	_ cloudprovider.Interface    = (*fakeProvider)(nil)
	_ cloudprovider.InstancesV2  = (*fakeProvider)(nil)
	_ cloudprovider.LoadBalancer = (*fakeProvider)(nil)
	_ cloudprovider.Routes       = (*fakeProvider)(nil)
)

func (f *fakeProvider) record(ctx context.Context, call string) error {
	f.mu.Lock()
	f.calls = append(f.calls, call)
	if d, ok := ctx.Deadline(); ok {
		f.deadlines = append(f.deadlines, d)
	}
	f.mu.Unlock()
	if f.blockUntilCancelled {
		<-ctx.Done()
		f.cancelled <- ctx.Err()
		return ctx.Err()
	}
	return f.err
}

func (f *fakeProvider) Initialize(cloudprovider.ControllerClientBuilder, <-chan struct{}) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.inits++
}
func (f *fakeProvider) LoadBalancer() (cloudprovider.LoadBalancer, bool) { return f, !f.noLB }
func (f *fakeProvider) Instances() (cloudprovider.Instances, bool)       { return nil, false }
func (f *fakeProvider) InstancesV2() (cloudprovider.InstancesV2, bool)   { return f, !f.noV2 }
func (f *fakeProvider) Zones() (cloudprovider.Zones, bool)               { return nil, false }
func (f *fakeProvider) Clusters() (cloudprovider.Clusters, bool)         { return nil, false }
func (f *fakeProvider) Routes() (cloudprovider.Routes, bool)             { return f, !f.noRoutes }
func (f *fakeProvider) ProviderName() string                             { return f.name }
func (f *fakeProvider) HasClusterID() bool                               { return true }

func (f *fakeProvider) InstanceExists(ctx context.Context, node *corev1.Node) (bool, error) {
	f.mu.Lock()
	f.nodes = append(f.nodes, node)
	f.mu.Unlock()
	return node.Name == "exists", f.record(ctx, "InstanceExists")
}

func (f *fakeProvider) InstanceShutdown(ctx context.Context, node *corev1.Node) (bool, error) {
	f.mu.Lock()
	f.nodes = append(f.nodes, node)
	f.mu.Unlock()
	return node.Name == "shutdown", f.record(ctx, "InstanceShutdown")
}

func (f *fakeProvider) InstanceMetadata(ctx context.Context, node *corev1.Node) (*cloudprovider.InstanceMetadata, error) {
	f.mu.Lock()
	f.nodes = append(f.nodes, node)
	f.mu.Unlock()
	if err := f.record(ctx, "InstanceMetadata"); err != nil {
		return nil, err
	}
	return f.metadata, nil
}

func (f *fakeProvider) lbCall(ctx context.Context, call, clusterName string, svc *corev1.Service, nodes []*corev1.Node) error {
	f.mu.Lock()
	f.clusterNames = append(f.clusterNames, clusterName)
	f.services = append(f.services, svc)
	if nodes != nil {
		f.lbNodes = append(f.lbNodes, nodes)
	}
	f.mu.Unlock()
	return f.record(ctx, call)
}

func (f *fakeProvider) GetLoadBalancer(ctx context.Context, clusterName string, svc *corev1.Service) (*corev1.LoadBalancerStatus, bool, error) {
	if err := f.lbCall(ctx, "GetLoadBalancer", clusterName, svc, nil); err != nil {
		return nil, false, err
	}
	return f.lbStatus, f.getLoadBalancerExistsResp, nil
}

func (f *fakeProvider) GetLoadBalancerName(ctx context.Context, clusterName string, svc *corev1.Service) string {
	_ = f.lbCall(ctx, "GetLoadBalancerName", clusterName, svc, nil)
	return "lb-" + svc.Name
}

func (f *fakeProvider) EnsureLoadBalancer(ctx context.Context, clusterName string, svc *corev1.Service, nodes []*corev1.Node) (*corev1.LoadBalancerStatus, error) {
	if err := f.lbCall(ctx, "EnsureLoadBalancer", clusterName, svc, nodes); err != nil {
		return nil, err
	}
	return f.lbStatus, nil
}

func (f *fakeProvider) UpdateLoadBalancer(ctx context.Context, clusterName string, svc *corev1.Service, nodes []*corev1.Node) error {
	return f.lbCall(ctx, "UpdateLoadBalancer", clusterName, svc, nodes)
}

func (f *fakeProvider) EnsureLoadBalancerDeleted(ctx context.Context, clusterName string, svc *corev1.Service) error {
	return f.lbCall(ctx, "EnsureLoadBalancerDeleted", clusterName, svc, nil)
}

func (f *fakeProvider) ListRoutes(ctx context.Context, clusterName string) ([]*cloudprovider.Route, error) {
	f.mu.Lock()
	f.clusterNames = append(f.clusterNames, clusterName)
	f.mu.Unlock()
	if err := f.record(ctx, "ListRoutes"); err != nil {
		return nil, err
	}
	return f.routes, nil
}

func (f *fakeProvider) CreateRoute(ctx context.Context, clusterName, nameHint string, route *cloudprovider.Route) error {
	f.mu.Lock()
	f.clusterNames = append(f.clusterNames, clusterName)
	f.nameHints = append(f.nameHints, nameHint)
	f.gotRoutes = append(f.gotRoutes, route)
	f.mu.Unlock()
	return f.record(ctx, "CreateRoute")
}

func (f *fakeProvider) DeleteRoute(ctx context.Context, clusterName string, route *cloudprovider.Route) error {
	f.mu.Lock()
	f.clusterNames = append(f.clusterNames, clusterName)
	f.gotRoutes = append(f.gotRoutes, route)
	f.mu.Unlock()
	return f.record(ctx, "DeleteRoute")
}

// memPlugin serves providers in memory with plugin.TestPluginGRPCConn, one
// "process" per launch; crash simulates the process dying.
type memPlugin struct {
	t        *testing.T
	provider *fakeProvider
	launches atomic.Int32
	// failLaunches makes that many launches after the first fail.
	failLaunches atomic.Int32

	mu     sync.Mutex
	exited chan struct{}
	stop   func()
}

func (m *memPlugin) launch(context.Context) (*session, error) {
	n := m.launches.Add(1)
	if n > 1 && m.failLaunches.Load() > 0 {
		m.failLaunches.Add(-1)
		return nil, errors.New("simulated start failure")
	}
	gc, gs := plugin.TestPluginGRPCConn(m.t, false, plugin.PluginSet{
		PluginName: &grpcPlugin{provider: m.provider, logger: klog.Background()},
	})
	raw, err := gc.Dispense(PluginName)
	if err != nil {
		return nil, err
	}
	s := raw.(*session)
	exited := make(chan struct{})
	s.exited = exited
	var once sync.Once
	stop := func() {
		once.Do(func() {
			_ = gc.Conn.Close()
			gs.Stop()
		})
	}
	s.kill = stop
	s.pid = int(n)
	m.mu.Lock()
	m.exited, m.stop = exited, stop
	m.mu.Unlock()
	return s, nil
}

// crash makes the current "process" die: its server stops and go-plugin's
// exit signal fires.
func (m *memPlugin) crash() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.stop()
	close(m.exited)
}

func startMemClient(t *testing.T, p *fakeProvider, clk *testingclock.FakeClock) (*Client, *memPlugin) {
	t.Helper()
	_, ctx := ktesting.NewTestContext(t)
	cfg := ClientConfig{Name: "mem", Command: func() *exec.Cmd { return nil }}
	if clk != nil {
		cfg.Clock = clk
	}
	c, err := NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m := &memPlugin{t: t, provider: p}
	c.launch = m.launch
	if err := c.Start(ctx); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(c.Close)
	return c, m
}

func TestAdapterCallsEveryMethod(t *testing.T) {
	_, ctx := ktesting.NewTestContext(t)
	md := &cloudprovider.InstanceMetadata{
		ProviderID: "mem://n1", InstanceType: "small", Zone: "z", Region: "r",
		NodeAddresses:    []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "127.0.0.2"}},
		AdditionalLabels: map[string]string{"k1s.dev/pool": "a"},
	}
	routes := []*cloudprovider.Route{{Name: "r1", TargetNode: "n1", DestinationCIDR: "10.244.1.0/24"}}
	p := &fakeProvider{name: "mem", metadata: md, lbStatus: testLoadBalancerStatus(), routes: routes, getLoadBalancerExistsResp: true}
	c, _ := startMemClient(t, p, nil)
	cloud := c.Provider()

	if got := cloud.ProviderName(); got != "mem" {
		t.Errorf("ProviderName = %q, want mem", got)
	}
	if !cloud.HasClusterID() {
		t.Error("HasClusterID = false, want true")
	}
	for name, ok := range map[string]bool{
		"Instances": second(cloud.Instances()), "Zones": second(cloud.Zones()), "Clusters": second(cloud.Clusters()),
	} {
		if ok {
			t.Errorf("%s() supported, want unsupported", name)
		}
	}
	cloud.Initialize(nil, nil)
	if p.inits != 1 {
		t.Errorf("provider Initialize ran %d times, want 1", p.inits)
	}

	v2, ok := cloud.InstancesV2()
	if !ok {
		t.Fatal("InstancesV2 unsupported")
	}
	node := testNode("exists")
	if exists, err := v2.InstanceExists(ctx, node); err != nil || !exists {
		t.Errorf("InstanceExists = %v, %v; want true, nil", exists, err)
	}
	if down, err := v2.InstanceShutdown(ctx, testNode("shutdown")); err != nil || !down {
		t.Errorf("InstanceShutdown = %v, %v; want true, nil", down, err)
	}
	gotMD, err := v2.InstanceMetadata(ctx, node)
	if err != nil {
		t.Fatalf("InstanceMetadata: %v", err)
	}
	if diff := cmp.Diff(md, gotMD); diff != "" {
		t.Errorf("InstanceMetadata (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(node, p.nodes[0]); diff != "" {
		t.Errorf("node as the provider saw it (-sent +got):\n%s", diff)
	}

	lb, ok := cloud.LoadBalancer()
	if !ok {
		t.Fatal("LoadBalancer unsupported")
	}
	svc := testService()
	nodes := []*corev1.Node{testNode("a"), testNode("b")}
	st, exists, err := lb.GetLoadBalancer(ctx, "k1s", svc)
	if err != nil || !exists {
		t.Errorf("GetLoadBalancer = _, %v, %v; want exists", exists, err)
	}
	if diff := cmp.Diff(testLoadBalancerStatus(), st); diff != "" {
		t.Errorf("GetLoadBalancer status (-want +got):\n%s", diff)
	}
	if name := lb.GetLoadBalancerName(ctx, "k1s", svc); name != "lb-web" {
		t.Errorf("GetLoadBalancerName = %q, want lb-web", name)
	}
	st, err = lb.EnsureLoadBalancer(ctx, "k1s", svc, nodes)
	if err != nil {
		t.Fatalf("EnsureLoadBalancer: %v", err)
	}
	if diff := cmp.Diff(testLoadBalancerStatus(), st); diff != "" {
		t.Errorf("EnsureLoadBalancer status (-want +got):\n%s", diff)
	}
	if err := lb.UpdateLoadBalancer(ctx, "k1s", svc, nodes[:1]); err != nil {
		t.Errorf("UpdateLoadBalancer: %v", err)
	}
	if err := lb.EnsureLoadBalancerDeleted(ctx, "k1s", svc); err != nil {
		t.Errorf("EnsureLoadBalancerDeleted: %v", err)
	}
	if diff := cmp.Diff(svc, p.services[2]); diff != "" {
		t.Errorf("service as the provider saw it (-sent +got):\n%s", diff)
	}
	if diff := cmp.Diff([][]*corev1.Node{nodes, nodes[:1]}, p.lbNodes); diff != "" {
		t.Errorf("nodes as the provider saw them (-sent +got):\n%s", diff)
	}

	r, ok := cloud.Routes()
	if !ok {
		t.Fatal("Routes unsupported")
	}
	gotRoutes, err := r.ListRoutes(ctx, "k1s")
	if err != nil {
		t.Fatalf("ListRoutes: %v", err)
	}
	if diff := cmp.Diff(routes, gotRoutes); diff != "" {
		t.Errorf("ListRoutes (-want +got):\n%s", diff)
	}
	route := &cloudprovider.Route{TargetNode: "n2", DestinationCIDR: "10.244.2.0/24",
		TargetNodeAddresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "127.0.0.3"}}}
	if err := r.CreateRoute(ctx, "k1s", "uid-n2", route); err != nil {
		t.Errorf("CreateRoute: %v", err)
	}
	if err := r.DeleteRoute(ctx, "k1s", route); err != nil {
		t.Errorf("DeleteRoute: %v", err)
	}
	if diff := cmp.Diff([]*cloudprovider.Route{route, route}, p.gotRoutes); diff != "" {
		t.Errorf("routes as the provider saw them (-sent +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"uid-n2"}, p.nameHints); diff != "" {
		t.Errorf("name hints (-want +got):\n%s", diff)
	}

	wantCalls := []string{"InstanceExists", "InstanceShutdown", "InstanceMetadata",
		"GetLoadBalancer", "GetLoadBalancerName", "EnsureLoadBalancer", "UpdateLoadBalancer", "EnsureLoadBalancerDeleted",
		"ListRoutes", "CreateRoute", "DeleteRoute"}
	if diff := cmp.Diff(wantCalls, p.calls); diff != "" {
		t.Errorf("calls reaching the provider (-want +got):\n%s", diff)
	}
	for i, cn := range p.clusterNames {
		if cn != "k1s" {
			t.Errorf("call %d got cluster name %q, want k1s", i, cn)
		}
	}
}

func second[T any](_ T, ok bool) bool { return ok }

func TestAdapterUnsupportedParts(t *testing.T) {
	_, ctx := ktesting.NewTestContext(t)
	p := &fakeProvider{name: "bare", noV2: true, noLB: true, noRoutes: true}
	c, _ := startMemClient(t, p, nil)
	cloud := c.Provider()
	if _, ok := cloud.InstancesV2(); ok {
		t.Error("InstancesV2 supported, want unsupported")
	}
	if _, ok := cloud.LoadBalancer(); ok {
		t.Error("LoadBalancer supported, want unsupported")
	}
	if _, ok := cloud.Routes(); ok {
		t.Error("Routes supported, want unsupported")
	}
	// Calling a part anyway gets NotImplemented, as a compiled-in provider
	// would answer.
	_, err := c.prov.InstanceExists(ctx, testNode("n1"))
	if !errors.Is(err, cloudprovider.NotImplemented) {
		t.Errorf("InstanceExists on a plugin without InstancesV2: %v, want NotImplemented", err)
	}
}

func TestAdapterErrorsKeepTheirMeaning(t *testing.T) {
	_, ctx := ktesting.NewTestContext(t)
	p := &fakeProvider{name: "mem", err: fmt.Errorf("vm gone: %w", cloudprovider.InstanceNotFound)}
	c, _ := startMemClient(t, p, nil)
	v2, _ := c.Provider().InstancesV2()
	_, err := v2.InstanceMetadata(ctx, testNode("n1"))
	if !errors.Is(err, cloudprovider.InstanceNotFound) || err.Error() != "vm gone: instance not found" {
		t.Errorf("InstanceMetadata error = %v, want the provider's InstanceNotFound", err)
	}
	p.err = cloudprovider.ImplementedElsewhere
	lb, _ := c.Provider().LoadBalancer()
	if _, err := lb.EnsureLoadBalancer(ctx, "k1s", testService(), nil); !errors.Is(err, cloudprovider.ImplementedElsewhere) {
		t.Errorf("EnsureLoadBalancer error = %v, want ImplementedElsewhere", err)
	}
}

func TestAdapterPropagatesDeadlineAndCancellation(t *testing.T) {
	_, ctx := ktesting.NewTestContext(t)
	p := &fakeProvider{name: "mem", metadata: &cloudprovider.InstanceMetadata{ProviderID: "mem://n1"}}
	c, _ := startMemClient(t, p, nil)
	v2, _ := c.Provider().InstancesV2()

	deadline := time.Now().Add(time.Hour)
	dctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	if _, err := v2.InstanceMetadata(dctx, testNode("n1")); err != nil {
		t.Fatal(err)
	}
	if len(p.deadlines) != 1 || p.deadlines[0].Sub(deadline).Abs() > time.Second {
		t.Errorf("provider saw deadlines %v, want one near %v", p.deadlines, deadline)
	}

	p.blockUntilCancelled = true
	p.cancelled = make(chan error, 1)
	cctx, cancel := context.WithCancel(ctx)
	go func() {
		// Cancel once the call is in the provider.
		for {
			p.mu.Lock()
			n := len(p.calls)
			p.mu.Unlock()
			if n == 2 {
				cancel()
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	_, err := v2.InstanceExists(cctx, testNode("n1"))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled call returned %v, want context.Canceled", err)
	}
	if errors.Is(err, ErrPluginUnavailable) {
		t.Errorf("caller cancellation reads as ErrPluginUnavailable: %v", err)
	}
	select {
	case perr := <-p.cancelled:
		if !errors.Is(perr, context.Canceled) {
			t.Errorf("provider's context ended with %v, want context.Canceled", perr)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the provider's context was never cancelled")
	}
}

// waitFor polls cond; the restart machinery runs on its own goroutine.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestClientRestartsCrashedPluginWithBackoff(t *testing.T) {
	_, ctx := ktesting.NewTestContext(t)
	clk := testingclock.NewFakeClock(time.Unix(1700000000, 0))
	p := &fakeProvider{name: "mem", metadata: &cloudprovider.InstanceMetadata{ProviderID: "mem://n1"}}
	c, m := startMemClient(t, p, clk)
	cloud := c.Provider()
	cloud.Initialize(nil, nil)
	v2, _ := cloud.InstancesV2()
	if _, err := v2.InstanceMetadata(ctx, testNode("n1")); err != nil {
		t.Fatal(err)
	}

	// Two failed starts after the crash: the delays must be 1s, 2s, 4s.
	m.failLaunches.Store(2)
	m.crash()
	_, err := v2.InstanceMetadata(ctx, testNode("n1"))
	if !errors.Is(err, ErrPluginUnavailable) {
		t.Fatalf("call during the crash returned %v, want ErrPluginUnavailable", err)
	}
	if cloud.ProviderName() != "mem" {
		t.Errorf("ProviderName while down = %q, want the cached mem", cloud.ProviderName())
	}
	for i, delay := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second} {
		waitFor(t, fmt.Sprintf("restart timer %d", i), clk.HasWaiters)
		before := m.launches.Load()
		clk.Step(delay - time.Millisecond)
		time.Sleep(20 * time.Millisecond)
		if got := m.launches.Load(); got != before {
			t.Fatalf("attempt %d started before its %s backoff had passed", i, delay)
		}
		clk.Step(time.Millisecond)
		waitFor(t, fmt.Sprintf("attempt %d", i), func() bool { return m.launches.Load() == before+1 })
		if i < 2 {
			waitFor(t, "the failure to be reported", func() bool {
				_, err := c.current()
				return err != nil && errors.Is(err, ErrPluginUnavailable) && clk.HasWaiters()
			})
			if _, err := v2.InstanceMetadata(ctx, testNode("n1")); !errors.Is(err, ErrPluginUnavailable) {
				t.Errorf("call after failed attempt %d returned %v, want ErrPluginUnavailable", i, err)
			}
		}
	}
	waitFor(t, "the restart", func() bool { return c.Restarts() == 1 })
	if _, err := v2.InstanceMetadata(ctx, testNode("n1")); err != nil {
		t.Errorf("call after the restart: %v", err)
	}
	p.mu.Lock()
	inits := p.inits
	p.mu.Unlock()
	if inits != 2 {
		t.Errorf("provider initialized %d times, want 2 (once per process)", inits)
	}
}

func TestClientClose(t *testing.T) {
	_, ctx := ktesting.NewTestContext(t)
	p := &fakeProvider{name: "mem", metadata: &cloudprovider.InstanceMetadata{}}
	c, m := startMemClient(t, p, nil)
	c.Close()
	c.Close() // idempotent
	v2, _ := c.Provider().InstancesV2()
	if _, err := v2.InstanceMetadata(ctx, testNode("n1")); !errors.Is(err, ErrPluginUnavailable) {
		t.Errorf("call after Close returned %v, want ErrPluginUnavailable", err)
	}
	if got := m.launches.Load(); got != 1 {
		t.Errorf("%d launches, want 1: Close must not restart", got)
	}
	if err := c.Start(ctx); err == nil {
		t.Error("Start after Close succeeded, want an error")
	}
}

func TestClientConfigValidate(t *testing.T) {
	cmd := func() *exec.Cmd { return nil }
	for name, tc := range map[string]struct {
		cfg  ClientConfig
		want string
	}{
		"no name":         {ClientConfig{Command: cmd}, "Name"},
		"no command":      {ClientConfig{Name: "x"}, "Command"},
		"negative start":  {ClientConfig{Name: "x", Command: cmd, StartTimeout: -1}, "StartTimeout"},
		"inverted bounds": {ClientConfig{Name: "x", Command: cmd, MinRestartBackoff: time.Minute, MaxRestartBackoff: time.Second}, "MaxRestartBackoff"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := NewClient(tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("NewClient error = %v, want one naming %s", err, tc.want)
			}
		})
	}
	c, err := NewClient(ClientConfig{Name: "x", Command: cmd})
	if err != nil {
		t.Fatal(err)
	}
	if c.cfg.StartTimeout != DefaultStartTimeout || c.cfg.MinRestartBackoff != time.Second || c.cfg.MaxRestartBackoff != 30*time.Second {
		t.Errorf("defaults = %s, %s, %s", c.cfg.StartTimeout, c.cfg.MinRestartBackoff, c.cfg.MaxRestartBackoff)
	}
	if _, err := c.prov.InstanceMetadata(context.Background(), &corev1.Node{}); !errors.Is(err, ErrPluginUnavailable) {
		t.Errorf("call before Start = %v, want ErrPluginUnavailable", err)
	}
}
