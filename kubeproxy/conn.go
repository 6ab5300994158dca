package kubeproxy

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"sync"
	"time"

	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
)

// acceptRetryDelay is how long an accept loop waits after an error other than
// the listener closing (out of file descriptors, typically), as net/http does.
const acceptRetryDelay = 10 * time.Millisecond

// listener is one node port open on one node, and the connections it accepted.
type listener struct {
	node     string
	nodePort int32
	ln       net.Listener

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
}

// close closes the listener and its connections: a node that goes away, or a port
// that is no longer served, takes its connections with it.
func (l *listener) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return
	}
	l.closed = true
	l.ln.Close()
	for conn := range l.conns {
		conn.Close()
	}
}

// track records a connection; false means the listener closed meanwhile.
func (l *listener) track(conn net.Conn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false
	}
	l.conns[conn] = struct{}{}
	return true
}

func (l *listener) untrack(conn net.Conn) {
	l.mu.Lock()
	delete(l.conns, conn)
	l.mu.Unlock()
}

func (p *Proxy) acceptLoop(ctx context.Context, l *listener) {
	logger := klog.FromContext(ctx).WithValues("node", l.node, "nodePort", l.nodePort)
	for {
		conn, err := l.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			logger.Error(err, "Accepting a connection")
			select {
			case <-ctx.Done():
				return
			case <-p.cfg.Clock.After(acceptRetryDelay):
			}
			continue
		}
		if !l.track(conn) {
			conn.Close()
			return
		}
		p.wg.Go(func() {
			defer l.untrack(conn)
			defer conn.Close()
			p.serve(klog.NewContext(ctx, logger), l, conn)
		})
	}
}

// endpoint is one ready endpoint of a Service port.
type endpoint struct {
	ip       netip.Addr
	port     int32
	pod      string // "<namespace>/<name>" of the target, "" if none
	nodeName string
	ready    bool
}

// serve hands one accepted connection to an endpoint, or closes it when there is
// none.
func (p *Proxy) serve(ctx context.Context, l *listener, conn net.Conn) {
	logger := klog.FromContext(ctx)
	p.mu.RLock()
	sp := p.ports[l.nodePort]
	p.mu.RUnlock()
	if sp == nil {
		reject(conn)
		return
	}
	if sp.healthCheck {
		p.serveHealthCheck(ctx, l, sp, conn)
		return
	}
	eps := p.readyEndpoints(sp)
	if sp.local {
		eps = slices.DeleteFunc(eps, func(ep endpoint) bool { return ep.nodeName != l.node })
	}
	if len(eps) == 0 {
		logger.V(4).Info("No ready endpoint; rejecting the connection", "service", sp.service, "port", sp.name, "local", sp.local)
		reject(conn)
		return
	}
	ep := eps[(sp.next.Add(1)-1)%uint64(len(eps))]
	logger.V(4).Info("Connection", "client", conn.RemoteAddr(), "service", sp.service, "port", sp.name, "endpoint", ep.ip, "pod", ep.pod)

	// Simulated pods run no process; the proxy answers in the pod's place.
	pod, node := ep.pod, ep.nodeName
	if pod == "" {
		pod = "<none>"
	}
	if node == "" {
		node = "<none>"
	}
	hello := fmt.Sprintf("k1s: %s port %d -> pod %s (%s) on node %s\n",
		sp.service, sp.port, pod, net.JoinHostPort(ep.ip.String(), strconv.Itoa(int(ep.port))), node)
	if _, err := io.WriteString(conn, hello); err != nil {
		return
	}
	// The plain wrappers keep io.Copy off TCPConn's splice path, which would pair
	// the connection with itself.
	buf := make([]byte, 4<<10)
	_, _ = io.CopyBuffer(struct{ io.Writer }{conn}, struct{ io.Reader }{conn}, buf)
}

// reject closes a connection with a reset rather than an orderly close, the
// nearest a proxy that already accepted comes to kube-proxy's REJECT.
func reject(conn net.Conn) {
	if tcp, ok := conn.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	conn.Close()
}

// readyEndpoints lists the ready endpoints of a Service port from the Service's
// EndpointSlices, deduplicated by address and sorted so that the round robin
// visits them in a stable order. As upstream, an unset ready condition counts as
// ready, and a port is matched by name and protocol.
func (p *Proxy) readyEndpoints(sp *servicePort) []endpoint {
	objs, err := p.slices.ByIndex(serviceIndex, sp.service.Namespace+"/"+sp.service.Name)
	if err != nil {
		return nil
	}
	byAddr := map[netip.AddrPort]endpoint{}
	for _, obj := range objs {
		slice, ok := obj.(*discoveryv1.EndpointSlice)
		if !ok || slice.AddressType == discoveryv1.AddressTypeFQDN {
			continue
		}
		port, ok := slicePort(slice, sp.name)
		if !ok {
			continue
		}
		for _, e := range slice.Endpoints {
			if len(e.Addresses) == 0 {
				continue
			}
			ip, err := netip.ParseAddr(e.Addresses[0])
			if err != nil {
				continue
			}
			ep := endpoint{ip: ip.Unmap(), port: port, ready: e.Conditions.Ready == nil || *e.Conditions.Ready}
			if e.TargetRef != nil && e.TargetRef.Kind == "Pod" {
				ns := e.TargetRef.Namespace
				if ns == "" {
					ns = slice.Namespace
				}
				ep.pod = ns + "/" + e.TargetRef.Name
			}
			if e.NodeName != nil {
				ep.nodeName = *e.NodeName
			}
			key := netip.AddrPortFrom(ep.ip, uint16(port))
			// The same endpoint can sit in two slices while the controller moves
			// it; a ready copy wins.
			if cur, ok := byAddr[key]; !ok || ep.ready && !cur.ready {
				byAddr[key] = ep
			}
		}
	}
	eps := make([]endpoint, 0, len(byAddr))
	for _, ep := range byAddr {
		if ep.ready {
			eps = append(eps, ep)
		}
	}
	slices.SortFunc(eps, func(a, b endpoint) int {
		if c := a.ip.Compare(b.ip); c != 0 {
			return c
		}
		return int(a.port) - int(b.port)
	})
	return eps
}

// slicePort is the port number of the slice's port named name, for TCP.
func slicePort(slice *discoveryv1.EndpointSlice, name string) (int32, bool) {
	for _, port := range slice.Ports {
		var n string
		if port.Name != nil {
			n = *port.Name
		}
		if n != name || port.Port == nil {
			continue
		}
		if port.Protocol != nil && *port.Protocol != "TCP" {
			continue
		}
		return *port.Port, true
	}
	return 0, false
}

// healthCheckTimeout bounds a health check connection: a checker that stalls must
// not hold it open.
const healthCheckTimeout = 10 * time.Second

// healthCheckBody is upstream's health check answer (pkg/proxy/healthcheck).
type healthCheckBody struct {
	Service struct {
		Namespace string `json:"namespace"`
		Name      string `json:"name"`
	} `json:"service"`
	LocalEndpoints      int  `json:"localEndpoints"`
	ServiceProxyHealthy bool `json:"serviceProxyHealthy"`
}

// serveHealthCheck answers one HTTP request on a healthCheckNodePort as
// kube-proxy's service health server does: 200 when the node has a ready endpoint
// of the Service, else 503, with the count in the body and in
// X-Load-Balancing-Endpoint-Weight.
func (p *Proxy) serveHealthCheck(ctx context.Context, l *listener, sp *servicePort, conn net.Conn) {
	// Deadlines are wall-clock by nature; the injected clock cannot drive them.
	_ = conn.SetDeadline(time.Now().Add(healthCheckTimeout))
	req, err := http.ReadRequest(bufio.NewReader(conn))
	if err != nil {
		return
	}
	var body healthCheckBody
	body.Service.Namespace, body.Service.Name = sp.service.Namespace, sp.service.Name
	body.LocalEndpoints = p.localEndpoints(sp.service, l.node)
	body.ServiceProxyHealthy = true
	data, err := json.Marshal(body)
	if err != nil {
		return
	}
	status := http.StatusOK
	if body.LocalEndpoints == 0 {
		status = http.StatusServiceUnavailable
	}
	resp := &http.Response{
		StatusCode: status, ProtoMajor: 1, ProtoMinor: 1, Request: req, Close: true,
		Header: http.Header{
			"Content-Type":                     {"application/json"},
			"X-Content-Type-Options":           {"nosniff"},
			"X-Load-Balancing-Endpoint-Weight": {strconv.Itoa(body.LocalEndpoints)},
		},
		ContentLength: int64(len(data)),
		Body:          io.NopCloser(bytes.NewReader(data)),
	}
	if err := resp.Write(conn); err != nil {
		klog.FromContext(ctx).V(4).Info("Writing a health check answer", "err", err)
	}
}

// localEndpoints counts the distinct addresses of the Service's ready endpoints on
// a node, whatever their port.
func (p *Proxy) localEndpoints(service types.NamespacedName, node string) int {
	objs, err := p.slices.ByIndex(serviceIndex, service.Namespace+"/"+service.Name)
	if err != nil {
		return 0
	}
	seen := map[string]bool{}
	for _, obj := range objs {
		slice, ok := obj.(*discoveryv1.EndpointSlice)
		if !ok {
			continue
		}
		for _, e := range slice.Endpoints {
			if len(e.Addresses) == 0 || e.NodeName == nil || *e.NodeName != node || e.Conditions.Ready != nil && !*e.Conditions.Ready {
				continue
			}
			seen[e.Addresses[0]] = true
		}
	}
	return len(seen)
}
