package kubeproxy

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/klog/v2/ktesting"
	testingclock "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"
)

const ns = "default"

// harness runs a Proxy on a fake clientset. Nodes get random addresses in
// 127.100.0.0-127.199.255.255, away from the addresses k1s clusters hand out
// (127.0.1.1 upwards), so tests of other packages running at the same time do
// not collide with these listeners.
type harness struct {
	t      *testing.T
	ctx    context.Context
	client *fake.Clientset
	proxy  *Proxy
	clock  *testingclock.FakeClock
	done   chan error
	cancel context.CancelFunc

	mu     sync.Mutex
	active map[string]bool
}

func newHarness(t *testing.T, active []string, objs ...runtime.Object) *harness {
	t.Helper()
	_, ctx := ktesting.NewTestContext(t)
	ctx, cancel := context.WithCancel(ctx)
	h := &harness{
		t: t, ctx: ctx, cancel: cancel,
		client: fake.NewClientset(objs...),
		clock:  testingclock.NewFakeClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)),
		done:   make(chan error, 1),
		active: map[string]bool{},
	}
	for _, n := range active {
		h.active[n] = true
	}
	factory := informers.NewSharedInformerFactory(h.client, 0)
	p, err := New(Config{NodeActive: h.isActive, Clock: h.clock}, h.client, factory)
	if err != nil {
		t.Fatal(err)
	}
	h.proxy = p
	factory.Start(ctx.Done())
	go func() { h.done <- p.Run(ctx) }()
	t.Cleanup(func() {
		h.stop()
		factory.Shutdown()
	})
	select {
	case <-p.Ready():
	case err := <-h.done:
		t.Fatalf("Run returned before Ready: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("proxy not ready after 30s")
	}
	return h
}

// stop cancels Run and waits for it; idempotent.
func (h *harness) stop() {
	h.cancel()
	if h.done == nil {
		return
	}
	select {
	case err := <-h.done:
		if err != nil {
			h.t.Errorf("Run: %v", err)
		}
	case <-time.After(30 * time.Second):
		h.t.Error("Run did not return 30s after its context was cancelled")
	}
	h.done = nil
}

func (h *harness) isActive(node string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.active[node]
}

// setActive changes NodeActive's answer; notify also calls NodeChanged.
func (h *harness) setActive(node string, active, notify bool) {
	h.mu.Lock()
	h.active[node] = active
	h.mu.Unlock()
	if notify {
		h.proxy.NodeChanged(node)
	}
}

func randomIP() string {
	return fmt.Sprintf("127.%d.%d.%d", 100+rand.IntN(100), rand.IntN(256), 1+rand.IntN(254))
}

// freePort is a port nothing listens on at ip.
func freePort(t *testing.T, ip string) int32 {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return int32(ln.Addr().(*net.TCPAddr).Port)
}

func addr(ip string, port int32) string { return net.JoinHostPort(ip, strconv.Itoa(int(port))) }

func node(name, ip string) *corev1.Node {
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Status: corev1.NodeStatus{Addresses: []corev1.NodeAddress{
			{Type: corev1.NodeHostName, Address: name},
			{Type: corev1.NodeInternalIP, Address: ip},
		}},
	}
}

func service(name string, nodePort int32, mutate ...func(*corev1.Service)) *corev1.Service {
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: corev1.ServiceSpec{
			Type:                  corev1.ServiceTypeNodePort,
			ExternalTrafficPolicy: corev1.ServiceExternalTrafficPolicyCluster,
			Ports: []corev1.ServicePort{{
				Name: "http", Protocol: corev1.ProtocolTCP, Port: 80, TargetPort: intstr.FromInt32(8080), NodePort: nodePort,
			}},
		},
	}
	for _, m := range mutate {
		m(svc)
	}
	return svc
}

func localPolicy(svc *corev1.Service) {
	svc.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
}

type ep struct {
	ip, pod, node string
	ready         *bool
}

func slice(name, svc string, eps ...ep) *discoveryv1.EndpointSlice {
	s := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: ns, Name: name,
			Labels: map[string]string{discoveryv1.LabelServiceName: svc},
		},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("http"), Protocol: ptr.To(corev1.ProtocolTCP), Port: ptr.To[int32](8080)}},
	}
	for _, e := range eps {
		s.Endpoints = append(s.Endpoints, discoveryv1.Endpoint{
			Addresses:  []string{e.ip},
			Conditions: discoveryv1.EndpointConditions{Ready: e.ready},
			NodeName:   ptr.To(e.node),
			TargetRef:  &corev1.ObjectReference{Kind: "Pod", Namespace: ns, Name: e.pod},
		})
	}
	return s
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	err := wait.PollUntilContextTimeout(context.Background(), 5*time.Millisecond, 20*time.Second, true, func(context.Context) (bool, error) {
		return cond(), nil
	})
	if err != nil {
		t.Fatalf("timed out waiting for %s", what)
	}
}

// echoLine connects, reads the proxy's line, and checks that what it sends comes
// back. It returns the line without its newline.
func echoLine(t *testing.T, address string) string {
	t.Helper()
	conn, err := net.DialTimeout("tcp", address, 5*time.Second)
	if err != nil {
		t.Fatalf("dialing %s: %v", address, err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(conn)
	line, err := r.ReadString('\n')
	if err != nil {
		t.Fatalf("reading the first line from %s: %v (got %q)", address, err, line)
	}
	const msg = "ping 1 2 3\n"
	if _, err := io.WriteString(conn, msg); err != nil {
		t.Fatal(err)
	}
	back, err := r.ReadString('\n')
	if err != nil || back != msg {
		t.Fatalf("echo from %s: got %q, %v; want %q", address, back, err, msg)
	}
	return strings.TrimSuffix(line, "\n")
}

// refused reports whether nothing listens at address.
func refused(address string) bool {
	conn, err := net.DialTimeout("tcp", address, 5*time.Second)
	if err != nil {
		return true
	}
	conn.Close()
	return false
}

// expectClosedByProxy checks that the proxy accepts a connection and closes it
// without sending anything (with a reset, which may reach the client before its
// dial returns), as opposed to nothing listening.
func expectClosedByProxy(t *testing.T, address string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", address, 5*time.Second)
	if errors.Is(err, syscall.ECONNRESET) {
		return // the reset overtook the end of the handshake
	}
	if err != nil {
		t.Fatalf("dialing %s: %v (want the proxy to accept and close)", address, err)
	}
	defer conn.Close()
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, err := conn.Read(make([]byte, 64))
	var ne net.Error
	if n != 0 || err == nil || errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("reading from %s: got %d bytes, %v; want the connection closed", address, n, err)
	}
}

func wantLine(svc string, port int32, pod, podIP, node string) string {
	return fmt.Sprintf("k1s: %s/%s port %d -> pod %s/%s (%s:8080) on node %s", ns, svc, port, ns, pod, podIP, node)
}

// TestNodePortServesReadyPods: the node ports of existing objects are open when
// Ready closes, on active nodes only; connections get the echo line of a ready
// endpoint, round robin, and their bytes back.
func TestNodePortServesReadyPods(t *testing.T) {
	ip1, ip2, ip3 := randomIP(), randomIP(), randomIP()
	port := freePort(t, ip1)
	h := newHarness(t, []string{"n1", "n2"},
		node("n1", ip1), node("n2", ip2), node("n3", ip3),
		service("web", port),
		slice("web-a", "web",
			ep{ip: "10.0.0.1", pod: "web-1", node: "n1", ready: ptr.To(true)},
			ep{ip: "10.0.0.2", pod: "web-2", node: "n2", ready: ptr.To(false)},
		),
		slice("web-b", "web",
			ep{ip: "10.0.0.3", pod: "web-3", node: "n2"}, // unset ready counts as ready
			ep{ip: "10.0.0.1", pod: "web-1", node: "n1", ready: ptr.To(false)},
		),
	)
	_ = h

	// No polling: Ready promises the listeners of objects that existed.
	got := []string{echoLine(t, addr(ip1, port)), echoLine(t, addr(ip2, port)), echoLine(t, addr(ip1, port))}
	want := []string{
		wantLine("web", 80, "web-1", "10.0.0.1", "n1"),
		wantLine("web", 80, "web-3", "10.0.0.3", "n2"),
		wantLine("web", 80, "web-1", "10.0.0.1", "n1"),
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("connection %d: got %q, want %q", i, got[i], want[i])
		}
	}
	if !refused(addr(ip3, port)) {
		t.Errorf("inactive node n3 answers on %s", addr(ip3, port))
	}
}

// TestNoReadyEndpointClosesConnection: without a ready endpoint a connection is
// accepted and closed; it is served once an endpoint turns ready.
func TestNoReadyEndpointClosesConnection(t *testing.T) {
	ip := randomIP()
	port := freePort(t, ip)
	h := newHarness(t, []string{"n1"}, node("n1", ip), service("web", port))

	expectClosedByProxy(t, addr(ip, port))

	s, err := h.client.DiscoveryV1().EndpointSlices(ns).Create(h.ctx,
		slice("web-a", "web", ep{ip: "10.0.0.7", pod: "web-7", node: "n1", ready: ptr.To(false)}), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	expectClosedByProxy(t, addr(ip, port))

	s.Endpoints[0].Conditions.Ready = ptr.To(true)
	if _, err := h.client.DiscoveryV1().EndpointSlices(ns).Update(h.ctx, s, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	want := wantLine("web", 80, "web-7", "10.0.0.7", "n1")
	eventually(t, "the endpoint to be served", func() bool {
		conn, err := net.DialTimeout("tcp", addr(ip, port), 5*time.Second)
		if err != nil {
			return false
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
		line, _ := bufio.NewReader(conn).ReadString('\n')
		return line == want+"\n"
	})
}

// TestLocalPolicy: with externalTrafficPolicy Local a node serves only its own
// endpoints and closes connections when it has none.
func TestLocalPolicy(t *testing.T) {
	ip1, ip2 := randomIP(), randomIP()
	port := freePort(t, ip1)
	newHarness(t, []string{"n1", "n2"},
		node("n1", ip1), node("n2", ip2),
		service("web", port, localPolicy),
		slice("web-a", "web",
			ep{ip: "10.0.0.1", pod: "web-1", node: "n1", ready: ptr.To(true)},
			ep{ip: "10.0.0.2", pod: "web-2", node: "n2", ready: ptr.To(false)},
			ep{ip: "10.0.0.9", pod: "web-9", node: "elsewhere", ready: ptr.To(true)},
		),
	)
	for range 3 {
		if got, want := echoLine(t, addr(ip1, port)), wantLine("web", 80, "web-1", "10.0.0.1", "n1"); got != want {
			t.Errorf("n1: got %q, want %q", got, want)
		}
	}
	expectClosedByProxy(t, addr(ip2, port))
}

// TestServiceChangesMovePorts: a changed node port moves, a Service of another
// type or deleted frees its ports, and their open connections close.
func TestServiceChangesMovePorts(t *testing.T) {
	ip1, ip2 := randomIP(), randomIP()
	port, port2 := freePort(t, ip1), freePort(t, ip1)
	h := newHarness(t, []string{"n1", "n2"},
		node("n1", ip1), node("n2", ip2),
		service("web", port),
		slice("web-a", "web", ep{ip: "10.0.0.1", pod: "web-1", node: "n1", ready: ptr.To(true)}),
	)
	services := h.client.CoreV1().Services(ns)

	// An open connection, to see it closed with its port.
	conn, err := net.Dial("tcp", addr(ip2, port))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := bufio.NewReader(conn).ReadString('\n'); err != nil {
		t.Fatal(err)
	}

	svc := service("web", port2)
	if _, err := services.Update(h.ctx, svc, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the new node port open on both nodes", func() bool {
		return !refused(addr(ip1, port2)) && !refused(addr(ip2, port2))
	})
	for _, ip := range []string{ip1, ip2} {
		if !refused(addr(ip, port)) {
			t.Errorf("old node port %s still open", addr(ip, port))
		}
	}
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := conn.Read(make([]byte, 1)); err == nil {
		t.Errorf("connection to the old node port still open: read %d bytes", n)
	}
	echoLine(t, addr(ip2, port2))

	svc.Spec.Type = corev1.ServiceTypeClusterIP
	svc.Spec.Ports[0].NodePort = 0
	if _, err := services.Update(h.ctx, svc, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the node port freed after the switch to ClusterIP", func() bool { return refused(addr(ip1, port2)) })

	if _, err := services.Update(h.ctx, service("web", port), metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the node port back", func() bool { return !refused(addr(ip1, port)) })
	if err := services.Delete(h.ctx, "web", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	// Freed means another process can take the port.
	eventually(t, "the node port freed on both nodes after delete", func() bool {
		for _, ip := range []string{ip1, ip2} {
			ln, err := net.Listen("tcp", addr(ip, port))
			if err != nil {
				return false
			}
			ln.Close()
		}
		return true
	})
}

// TestNodeActivity: a node that stops being active, or is deleted, closes its
// listeners; it gets them back when active again; the periodic resync notices a
// change nobody reported.
func TestNodeActivity(t *testing.T) {
	ip1, ip2, ip3 := randomIP(), randomIP(), randomIP()
	port := freePort(t, ip1)
	h := newHarness(t, []string{"n1", "n2"},
		node("n1", ip1), node("n2", ip2),
		service("web", port),
		slice("web-a", "web", ep{ip: "10.0.0.1", pod: "web-1", node: "n1", ready: ptr.To(true)}),
	)

	h.setActive("n1", false, true)
	eventually(t, "n1's listener closed", func() bool { return refused(addr(ip1, port)) })
	echoLine(t, addr(ip2, port)) // n2 still serves, n1's pod included

	h.setActive("n1", true, true)
	eventually(t, "n1's listener back", func() bool { return !refused(addr(ip1, port)) })

	// Unreported: only the resync can notice. The ticker may not exist yet when
	// the clock first steps, so step on every poll.
	h.setActive("n2", false, false)
	eventually(t, "the resync to close n2's listener", func() bool {
		h.clock.Step(DefaultSyncPeriod)
		return refused(addr(ip2, port))
	})

	// A new active node gets the port; a deleted one loses it.
	h.setActive("n3", true, false)
	if _, err := h.client.CoreV1().Nodes().Create(h.ctx, node("n3", ip3), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the new node's listener", func() bool { return !refused(addr(ip3, port)) })
	if err := h.client.CoreV1().Nodes().Delete(h.ctx, "n3", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the deleted node's listener closed", func() bool { return refused(addr(ip3, port)) })
}

// TestHealthCheckNodePort: a LoadBalancer Service with externalTrafficPolicy Local
// answers load balancer health checks on its healthCheckNodePort: 200 on a node
// with a ready endpoint, 503 on one without, as upstream's service health server.
func TestHealthCheckNodePort(t *testing.T) {
	ip1, ip2 := randomIP(), randomIP()
	port, hc := freePort(t, ip1), freePort(t, ip1)
	newHarness(t, []string{"n1", "n2"},
		node("n1", ip1), node("n2", ip2),
		service("web", port, localPolicy, func(s *corev1.Service) {
			s.Spec.Type = corev1.ServiceTypeLoadBalancer
			s.Spec.HealthCheckNodePort = hc
		}),
		slice("web-a", "web",
			ep{ip: "10.0.0.1", pod: "web-1", node: "n1", ready: ptr.To(true)},
			ep{ip: "10.0.0.2", pod: "web-2", node: "n2", ready: ptr.To(false)},
		),
	)
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	for _, tc := range []struct {
		ip         string
		wantStatus int
		wantCount  int
	}{
		{ip: ip1, wantStatus: http.StatusOK, wantCount: 1},
		{ip: ip2, wantStatus: http.StatusServiceUnavailable, wantCount: 0},
	} {
		resp, err := client.Get("http://" + addr(tc.ip, hc) + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		var body healthCheckBody
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != tc.wantStatus || body.LocalEndpoints != tc.wantCount || body.Service.Name != "web" || !body.ServiceProxyHealthy ||
			resp.Header.Get("X-Load-Balancing-Endpoint-Weight") != strconv.Itoa(tc.wantCount) {
			t.Errorf("%s: status %d, body %+v, headers %v; want %d with %d local endpoints", tc.ip, resp.StatusCode, body, resp.Header, tc.wantStatus, tc.wantCount)
		}
	}
	// The traffic port itself is Local too.
	echoLine(t, addr(ip1, port))
	expectClosedByProxy(t, addr(ip2, port))
}

// TestShutdown: Run returns when its context ends, with every listener and
// connection closed.
func TestShutdown(t *testing.T) {
	ip := randomIP()
	port := freePort(t, ip)
	h := newHarness(t, []string{"n1"},
		node("n1", ip), service("web", port),
		slice("web-a", "web", ep{ip: "10.0.0.1", pod: "web-1", node: "n1", ready: ptr.To(true)}),
	)
	conn, err := net.Dial("tcp", addr(ip, port))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	r := bufio.NewReader(conn)
	if _, err := r.ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	h.stop() // waits for Run, which waits for the connections
	if !refused(addr(ip, port)) {
		t.Error("node port still open after Run returned")
	}
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := r.ReadByte(); err == nil {
		t.Error("connection still open after Run returned")
	}
}

func TestServicePorts(t *testing.T) {
	lb := func(svc *corev1.Service) { svc.Spec.Type = corev1.ServiceTypeLoadBalancer }
	for _, tc := range []struct {
		name      string
		svc       *corev1.Service
		wantPorts []int32
		wantLocal bool
	}{
		{name: "nodeport", svc: service("s", 30001), wantPorts: []int32{30001}},
		{name: "loadbalancer local", svc: service("s", 30002, lb, localPolicy), wantPorts: []int32{30002}, wantLocal: true},
		{name: "loadbalancer without node ports", svc: service("s", 0, lb, func(s *corev1.Service) {
			s.Spec.AllocateLoadBalancerNodePorts = ptr.To(false)
		})},
		{name: "clusterip", svc: service("s", 0, func(s *corev1.Service) { s.Spec.Type = corev1.ServiceTypeClusterIP })},
		{name: "udp", svc: service("s", 30003, func(s *corev1.Service) { s.Spec.Ports[0].Protocol = corev1.ProtocolUDP })},
		{name: "another proxy's", svc: service("s", 30004, func(s *corev1.Service) {
			s.Labels = map[string]string{LabelServiceProxyName: "other"}
		})},
		{name: "two ports", svc: service("s", 30005, func(s *corev1.Service) {
			s.Spec.Ports = append(s.Spec.Ports, corev1.ServicePort{Name: "https", Port: 443, NodePort: 30006})
		}), wantPorts: []int32{30005, 30006}},
		{name: "deleted", svc: nil},
		{name: "health check node port", svc: service("s", 30007, lb, localPolicy, func(s *corev1.Service) {
			s.Spec.HealthCheckNodePort = 30008
		}), wantPorts: []int32{30007, 30008}, wantLocal: true},
		{name: "health check node port of a Cluster service", svc: service("s", 30009, lb, func(s *corev1.Service) {
			s.Spec.HealthCheckNodePort = 30010
		}), wantPorts: []int32{30009}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := servicePorts(tc.svc)
			if len(got) != len(tc.wantPorts) {
				t.Fatalf("got %d ports, want %v", len(got), tc.wantPorts)
			}
			for _, p := range tc.wantPorts {
				sp := got[p]
				if sp == nil {
					t.Fatalf("node port %d missing", p)
				}
				if sp.local != tc.wantLocal || sp.nodePort != p || sp.service.Name != "s" || sp.healthCheck != (p == 30008) {
					t.Errorf("node port %d: %+v", p, sp)
				}
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	if err := (Config{}).Validate(); err == nil || !strings.Contains(err.Error(), "NodeActive") {
		t.Errorf("Config{} validated: %v", err)
	}
	cfg := Config{NodeActive: func(string) bool { return true }, SyncPeriod: -time.Second}
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "--sync-period") {
		t.Errorf("negative sync period validated: %v", err)
	}
	if _, err := New(Config{}, fake.NewClientset(), informers.NewSharedInformerFactory(fake.NewClientset(), 0)); err == nil {
		t.Error("New accepted an invalid config")
	}
}
