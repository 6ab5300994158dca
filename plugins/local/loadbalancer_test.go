package local

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2/ktesting"
)

// echoServer answers each line with "<name>:<line>", standing in for one
// node's NodePort.
type echoServer struct {
	name string
	ln   net.Listener
	wg   sync.WaitGroup
}

func startEcho(t *testing.T, name, addr string) (*echoServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &echoServer{name: name, ln: ln}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer c.Close()
				r := bufio.NewScanner(c)
				for r.Scan() {
					fmt.Fprintf(c, "%s:%s\n", s.name, r.Text())
				}
			}()
		}
	}()
	t.Cleanup(s.close)
	return s, nil
}

func (s *echoServer) close() { s.ln.Close(); s.wg.Wait() }

// startEchoPair starts two echo servers on two loopback addresses and the
// same port, as two nodes serve one NodePort.
func startEchoPair(t *testing.T) (ip1, ip2 string, port int32, s1, s2 *echoServer) {
	ip1, ip2 = "127.77.0.1", "127.77.0.2"
	for range 20 {
		a, err := startEcho(t, "node1", ip1+":0")
		if err != nil {
			t.Fatal(err)
		}
		p := a.ln.Addr().(*net.TCPAddr).Port
		b, err := startEcho(t, "node2", net.JoinHostPort(ip2, strconv.Itoa(p)))
		if err != nil {
			a.close() // the port is taken on ip2; try another
			continue
		}
		return ip1, ip2, int32(p), a, b
	}
	t.Fatal("no port free on both echo addresses")
	return
}

func lbNode(name, ip string) *corev1.Node {
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Status:     corev1.NodeStatus{Addresses: []corev1.NodeAddress{{Type: corev1.NodeHostName, Address: name}, {Type: corev1.NodeInternalIP, Address: ip}}},
	}
}

func lbService(name string, port, nodePort int32) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name, UID: "1b4e28ba-2fa1-11d2-883f-0016d3cca427"},
		Spec: corev1.ServiceSpec{
			Type:  corev1.ServiceTypeLoadBalancer,
			Ports: []corev1.ServicePort{{Name: "echo", Protocol: corev1.ProtocolTCP, Port: port, NodePort: nodePort}},
		},
	}
}

// ask dials addr, sends one line and returns the answer; "" when the load
// balancer closed the connection without one.
func ask(t *testing.T, addr, line string) string {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dialing the load balancer %s: %v", addr, err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := fmt.Fprintln(c, line); err != nil {
		// The proxy may close before we write when no backend accepts.
		return ""
	}
	got, err := bufio.NewReader(c).ReadString('\n')
	if errors.Is(err, io.EOF) && got == "" {
		return ""
	}
	if err != nil {
		var ne *net.OpError
		if errors.As(err, &ne) && strings.Contains(err.Error(), "reset") {
			return ""
		}
		t.Fatalf("reading from the load balancer: %v", err)
	}
	return strings.TrimSuffix(got, "\n")
}

func TestLoadBalancerForwardsToNodePorts(t *testing.T) {
	_, ctx := ktesting.NewTestContext(t)
	ip1, ip2, nodePort, echo1, _ := startEchoPair(t)
	c := newTestCloud(t)
	svc := lbService("echo", 30081, nodePort)
	n1, n2 := lbNode("n1", ip1), lbNode("n2", ip2)

	if _, exists, err := c.GetLoadBalancer(ctx, "k", svc); exists || err != nil {
		t.Fatalf("GetLoadBalancer before Ensure = %v, %v", exists, err)
	}
	st, err := c.EnsureLoadBalancer(ctx, "k", svc, []*corev1.Node{n1, n2})
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Ingress) != 1 || len(st.Ingress[0].Ports) != 1 || st.Ingress[0].Ports[0].Port != 30081 ||
		st.Ingress[0].IPMode == nil || *st.Ingress[0].IPMode != corev1.LoadBalancerIPModeProxy {
		t.Fatalf("unexpected status %+v", st)
	}
	ip, err := netip.ParseAddr(st.Ingress[0].IP)
	if err != nil || !LoadBalancerPrefix.Contains(ip) {
		t.Fatalf("ingress IP %q is not in %s", st.Ingress[0].IP, LoadBalancerPrefix)
	}
	addr := net.JoinHostPort(ip.String(), "30081")

	// Round robin over the two nodes, in the order given.
	for i, want := range []string{"node1:a", "node2:b", "node1:c", "node2:d"} {
		if got := ask(t, addr, want[len(want)-1:]); got != want {
			t.Errorf("connection %d answered %q, want %q", i, got, want)
		}
	}

	// Ensure is idempotent: same address, listeners kept.
	st2, err := c.EnsureLoadBalancer(ctx, "k", svc, []*corev1.Node{n1, n2})
	if err != nil || st2.Ingress[0].IP != ip.String() {
		t.Fatalf("second Ensure = %+v, %v", st2, err)
	}
	if got, exists, err := c.GetLoadBalancer(ctx, "k", svc); !exists || err != nil || got.Ingress[0].IP != ip.String() {
		t.Fatalf("GetLoadBalancer = %+v, %v, %v", got, exists, err)
	}

	// Down to one backend.
	if err := c.UpdateLoadBalancer(ctx, "k", svc, []*corev1.Node{n2}); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if got := ask(t, addr, "x"); got != "node2:x" {
			t.Errorf("after Update to n2, connection %d answered %q", i, got)
		}
	}

	// A backend that refuses is skipped.
	if err := c.UpdateLoadBalancer(ctx, "k", svc, []*corev1.Node{n1, n2}); err != nil {
		t.Fatal(err)
	}
	echo1.close()
	for i := range 3 {
		if got := ask(t, addr, "y"); got != "node2:y" {
			t.Errorf("with node1 down, connection %d answered %q", i, got)
		}
	}
	// No backend at all: the connection is closed.
	if err := c.UpdateLoadBalancer(ctx, "k", svc, []*corev1.Node{n1}); err != nil {
		t.Fatal(err)
	}
	if got := ask(t, addr, "z"); got != "" {
		t.Errorf("with every backend down the load balancer answered %q", got)
	}

	// Deleted: the port is closed and free again.
	if err := c.EnsureLoadBalancerDeleted(ctx, "k", svc); err != nil {
		t.Fatal(err)
	}
	if conn, err := net.DialTimeout("tcp", addr, 2*time.Second); err == nil {
		conn.Close()
		t.Error("the load balancer still accepts connections after EnsureLoadBalancerDeleted")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Errorf("the load balancer's port is not free after EnsureLoadBalancerDeleted: %v", err)
	} else {
		ln.Close()
	}
	if _, exists, err := c.GetLoadBalancer(ctx, "k", svc); exists || err != nil {
		t.Errorf("GetLoadBalancer after delete = %v, %v", exists, err)
	}
	if err := c.EnsureLoadBalancerDeleted(ctx, "k", svc); err != nil {
		t.Errorf("deleting a deleted load balancer: %v", err)
	}
}

func TestLoadBalancerSurvivesRestart(t *testing.T) {
	_, ctx := ktesting.NewTestContext(t)
	ip1, _, nodePort, _, _ := startEchoPair(t)
	dir := t.TempDir()
	svc := lbService("restart", 30082, nodePort)
	nodes := []*corev1.Node{lbNode("n1", ip1)}

	c1, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	st1, err := c1.EnsureLoadBalancer(ctx, "k", svc, nodes)
	if err != nil {
		t.Fatal(err)
	}
	c1.Close()
	addr := net.JoinHostPort(st1.Ingress[0].IP, "30082")
	if conn, err := net.DialTimeout("tcp", addr, 2*time.Second); err == nil {
		conn.Close()
		t.Fatal("Close left the listener open")
	}
	if _, err := c1.EnsureLoadBalancer(ctx, "k", svc, nodes); err == nil {
		t.Error("Ensure on a closed cloud: want an error")
	}

	c2, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if st, exists, err := c2.GetLoadBalancer(ctx, "k", svc); !exists || err != nil || st.Ingress[0].IP != st1.Ingress[0].IP {
		t.Fatalf("GetLoadBalancer after restart = %+v, %v, %v", st, exists, err)
	}
	// The service controller ensures again after a restart: same address,
	// listening again.
	st2, err := c2.EnsureLoadBalancer(ctx, "k", svc, nodes)
	if err != nil {
		t.Fatal(err)
	}
	if st2.Ingress[0].IP != st1.Ingress[0].IP {
		t.Errorf("address changed across a restart: %s -> %s", st1.Ingress[0].IP, st2.Ingress[0].IP)
	}
	if got := ask(t, addr, "again"); got != "node1:again" {
		t.Errorf("after restart the load balancer answered %q", got)
	}
}

func TestLoadBalancerRejectsWhatItCannotServe(t *testing.T) {
	_, ctx := ktesting.NewTestContext(t)
	c := newTestCloud(t)
	udp := lbService("dns", 30053, 31053)
	udp.Spec.Ports[0].Protocol = corev1.ProtocolUDP
	_, err := c.EnsureLoadBalancer(ctx, "k", udp, nil)
	if err == nil || !strings.Contains(err.Error(), "protocol UDP is not supported by the local cloud") {
		t.Errorf("UDP port: got %v", err)
	}
	noNodePort := lbService("nnp", 30054, 0)
	if _, err := c.EnsureLoadBalancer(ctx, "k", noNodePort, nil); err == nil {
		t.Error("port without a node port: want an error")
	}
	for _, svc := range []*corev1.Service{udp, noNodePort} {
		if _, exists, _ := c.GetLoadBalancer(ctx, "k", svc); exists {
			t.Errorf("a refused service %s got a load balancer record", svc.Name)
		}
	}
}

func TestLoadBalancerName(t *testing.T) {
	c := newTestCloud(t)
	if got, want := c.GetLoadBalancerName(context.Background(), "k", lbService("x", 1, 1)), "a1b4e28ba2fa111d2883f0016d3cca42"; got != want {
		t.Errorf("GetLoadBalancerName = %q, want %q", got, want)
	}
}

func TestAllocateIP(t *testing.T) {
	a1, err := allocateIP("default/web", nil)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := allocateIP("default/web", nil); again != a1 {
		t.Errorf("allocation is not deterministic: %s then %s", a1, again)
	}
	if !LoadBalancerPrefix.Contains(a1) {
		t.Errorf("%s is outside %s", a1, LoadBalancerPrefix)
	}
	// Taken: the next free address.
	a2, err := allocateIP("default/web", []lbRecord{{IP: a1.String()}})
	if err != nil {
		t.Fatal(err)
	}
	if a2 == a1 || !LoadBalancerPrefix.Contains(a2) {
		t.Errorf("with %s taken got %s", a1, a2)
	}
	// Never a .0 or .255 address, whatever the hash says.
	for i := range 2000 {
		a, err := allocateIP(fmt.Sprintf("ns/svc-%d", i), nil)
		if err != nil {
			t.Fatal(err)
		}
		if b := a.As4()[3]; b == 0 || b == 255 {
			t.Fatalf("allocated %s", a)
		}
	}
}
