package local

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"net"
	"net/netip"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	cloudprovider "k8s.io/cloud-provider"
	"k8s.io/klog/v2"
)

const loadBalancersFile = "loadbalancers.json"

// LoadBalancerPrefix is the range load balancer addresses come from. Node
// addresses are handed out from 127.0.1.1 upwards (package loopback), so they
// reach this range only after some 25,000 nodes.
var LoadBalancerPrefix = netip.MustParsePrefix("127.100.0.0/16")

// lbRecord is a load balancer as stored in <dir>/loadbalancers.json. The
// address survives a restart of the plugin, so a Service keeps its ingress IP.
type lbRecord struct {
	// Service is "<namespace>/<name>".
	Service string   `json:"service"`
	Name    string   `json:"name"`
	IP      string   `json:"ip"`
	Ports   []lbPort `json:"ports"`
}

type lbPort struct {
	Port     int32           `json:"port"`
	Protocol corev1.Protocol `json:"protocol"`
	NodePort int32           `json:"nodePort"`
}

type lbDocument struct {
	LoadBalancers []lbRecord `json:"loadBalancers"`
}

// loadBalancers owns the load balancer records and this process's listeners.
type loadBalancers struct {
	file jsonFile

	// mu serialises whole operations (record and listeners together): the
	// service controller calls rarely, and a Delete must not interleave with
	// an Ensure of the same service and leave an orphan listener behind.
	mu      sync.Mutex
	running map[string]*runningLB
	closed  bool
}

// runningLB is the set of listeners of one load balancer, by service port.
type runningLB struct {
	ip      netip.Addr
	proxies map[int32]*proxy
}

func newLoadBalancers(dir string) (*loadBalancers, error) {
	l := &loadBalancers{file: jsonFile{path: filepath.Join(dir, loadBalancersFile)}, running: map[string]*runningLB{}}
	var doc lbDocument
	if err := l.file.read(&doc); err != nil {
		return nil, err
	}
	return l, nil
}

func serviceKey(svc *corev1.Service) string { return svc.Namespace + "/" + svc.Name }

// GetLoadBalancer implements cloudprovider.LoadBalancer from the records, so
// a restarted plugin still reports (and can delete) load balancers it has not
// ensured again yet.
func (c *Cloud) GetLoadBalancer(_ context.Context, _ string, service *corev1.Service) (*corev1.LoadBalancerStatus, bool, error) {
	var doc lbDocument
	if err := c.lbs.file.read(&doc); err != nil {
		return nil, false, err
	}
	i := slices.IndexFunc(doc.LoadBalancers, func(r lbRecord) bool { return r.Service == serviceKey(service) })
	if i < 0 {
		return nil, false, nil
	}
	return doc.LoadBalancers[i].status(), true, nil
}

// GetLoadBalancerName implements cloudprovider.LoadBalancer.
func (c *Cloud) GetLoadBalancerName(_ context.Context, _ string, service *corev1.Service) string {
	return cloudprovider.DefaultLoadBalancerName(service)
}

// EnsureLoadBalancer implements cloudprovider.LoadBalancer: it records the
// load balancer (allocating its address on first use), opens one TCP listener
// per Service port on that address and points them at the nodes'
// InternalIP:NodePort. Calling it again reconciles ports and backends.
func (c *Cloud) EnsureLoadBalancer(ctx context.Context, clusterName string, service *corev1.Service, nodes []*corev1.Node) (*corev1.LoadBalancerStatus, error) {
	ports, err := lbPorts(service)
	if err != nil {
		return nil, err
	}
	l := c.lbs
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, errors.New("local cloud is closed")
	}
	key := serviceKey(service)
	var rec lbRecord
	var doc lbDocument
	err = l.file.update(&doc, func() error {
		i := slices.IndexFunc(doc.LoadBalancers, func(r lbRecord) bool { return r.Service == key })
		if i < 0 {
			ip, err := allocateIP(key, doc.LoadBalancers)
			if err != nil {
				return err
			}
			doc.LoadBalancers = append(doc.LoadBalancers, lbRecord{Service: key, IP: ip.String()})
			i = len(doc.LoadBalancers) - 1
		}
		doc.LoadBalancers[i].Name = c.GetLoadBalancerName(ctx, clusterName, service)
		doc.LoadBalancers[i].Ports = ports
		rec = doc.LoadBalancers[i]
		slices.SortFunc(doc.LoadBalancers, func(a, b lbRecord) int { return strings.Compare(a.Service, b.Service) })
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load balancer of service %s: %w", key, err)
	}
	ip, err := netip.ParseAddr(rec.IP)
	if err != nil {
		return nil, fmt.Errorf("load balancer of service %s: stored address: %w", key, err)
	}

	rl := l.running[key]
	if rl == nil || rl.ip != ip {
		if rl != nil {
			rl.close()
		}
		rl = &runningLB{ip: ip, proxies: map[int32]*proxy{}}
		l.running[key] = rl
	}
	logger := klog.FromContext(ctx).WithName("local-cloud").WithValues("service", key)
	wanted := map[int32]bool{}
	var errs []error
	for _, p := range ports {
		wanted[p.Port] = true
		backends := backendAddrs(nodes, p.NodePort)
		if px := rl.proxies[p.Port]; px != nil {
			px.setBackends(backends)
			continue
		}
		addr := netip.AddrPortFrom(ip, uint16(p.Port)).String()
		var lc net.ListenConfig
		ln, err := lc.Listen(ctx, "tcp", addr)
		if err != nil {
			err = fmt.Errorf("load balancer of service %s: %w", key, err)
			if p.Port < 1024 {
				err = fmt.Errorf("%w (ports below 1024 need CAP_NET_BIND_SERVICE or sysctl net.ipv4.ip_unprivileged_port_start)", err)
			}
			errs = append(errs, err)
			continue
		}
		px := newProxy(ln, logger.WithValues("listener", addr))
		px.setBackends(backends)
		rl.proxies[p.Port] = px
		logger.V(2).Info("Load balancer listening", "address", addr, "backends", backends)
	}
	for port, px := range rl.proxies {
		if !wanted[port] {
			px.close()
			delete(rl.proxies, port)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return rec.status(), nil
}

// UpdateLoadBalancer implements cloudprovider.LoadBalancer. It is Ensure
// without the status: that also covers a plugin restarted since the last
// Ensure, whose listeners are gone.
func (c *Cloud) UpdateLoadBalancer(ctx context.Context, clusterName string, service *corev1.Service, nodes []*corev1.Node) error {
	_, err := c.EnsureLoadBalancer(ctx, clusterName, service, nodes)
	return err
}

// EnsureLoadBalancerDeleted implements cloudprovider.LoadBalancer: it closes
// the listeners (and the connections they carry) and frees the address.
func (c *Cloud) EnsureLoadBalancerDeleted(_ context.Context, _ string, service *corev1.Service) error {
	l := c.lbs
	l.mu.Lock()
	defer l.mu.Unlock()
	key := serviceKey(service)
	if rl := l.running[key]; rl != nil {
		rl.close()
		delete(l.running, key)
	}
	var doc lbDocument
	err := l.file.update(&doc, func() error {
		doc.LoadBalancers = slices.DeleteFunc(doc.LoadBalancers, func(r lbRecord) bool { return r.Service == key })
		return nil
	})
	if err != nil {
		return fmt.Errorf("deleting load balancer of service %s: %w", key, err)
	}
	return nil
}

func (l *loadBalancers) closeAll() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	for key, rl := range l.running {
		rl.close()
		delete(l.running, key)
	}
}

func (rl *runningLB) close() {
	for _, px := range rl.proxies {
		px.close()
	}
}

func (r lbRecord) status() *corev1.LoadBalancerStatus {
	// The listener proxies every connection itself; "Proxy" tells kube-proxy
	// implementations not to short-circuit traffic to this IP.
	ipMode := corev1.LoadBalancerIPModeProxy
	ing := corev1.LoadBalancerIngress{IP: r.IP, IPMode: &ipMode}
	for _, p := range r.Ports {
		ing.Ports = append(ing.Ports, corev1.PortStatus{Port: p.Port, Protocol: p.Protocol})
	}
	return &corev1.LoadBalancerStatus{Ingress: []corev1.LoadBalancerIngress{ing}}
}

// lbPorts checks that the local cloud can serve every port of the Service.
func lbPorts(svc *corev1.Service) ([]lbPort, error) {
	if svc == nil {
		return nil, errors.New("local cloud: nil service")
	}
	var ports []lbPort
	for _, p := range svc.Spec.Ports {
		proto := p.Protocol
		if proto == "" {
			proto = corev1.ProtocolTCP
		}
		if proto != corev1.ProtocolTCP {
			return nil, fmt.Errorf("service %s port %d: protocol %s is not supported by the local cloud", serviceKey(svc), p.Port, proto)
		}
		if p.NodePort == 0 {
			// The load balancer forwards to node ports; without them
			// (spec.allocateLoadBalancerNodePorts=false) it has nowhere to go.
			return nil, fmt.Errorf("service %s port %d has no node port, which the local cloud forwards to", serviceKey(svc), p.Port)
		}
		ports = append(ports, lbPort{Port: p.Port, Protocol: proto, NodePort: p.NodePort})
	}
	if len(ports) == 0 {
		return nil, fmt.Errorf("service %s has no ports", serviceKey(svc))
	}
	return ports, nil
}

// backendAddrs returns InternalIP:nodePort of every node that has an
// InternalIP, in the order given.
func backendAddrs(nodes []*corev1.Node, nodePort int32) []string {
	var out []string
	for _, n := range nodes {
		if n == nil {
			continue
		}
		for _, a := range n.Status.Addresses {
			if a.Type == corev1.NodeInternalIP {
				out = append(out, net.JoinHostPort(a.Address, strconv.Itoa(int(nodePort))))
				break
			}
		}
	}
	return out
}

// allocateIP picks the address of a new load balancer: a hash of the service
// key chooses the starting point, so a service tends to get the same address
// in every cluster, and linear probing skips addresses in use and the .0 and
// .255 addresses that look like network and broadcast addresses.
func allocateIP(key string, used []lbRecord) (netip.Addr, error) {
	inUse := map[string]bool{}
	for _, r := range used {
		inUse[r.IP] = true
	}
	h := fnv.New32a()
	h.Write([]byte(key))
	size := uint32(1) << (32 - LoadBalancerPrefix.Bits())
	base := LoadBalancerPrefix.Addr().As4()
	baseN := uint32(base[0])<<24 | uint32(base[1])<<16 | uint32(base[2])<<8 | uint32(base[3])
	start := h.Sum32() % size
	for i := uint32(0); i < size; i++ {
		n := baseN + (start+i)%size
		if b := byte(n); b == 0 || b == 255 {
			continue
		}
		addr := netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})
		if !inUse[addr.String()] {
			return addr, nil
		}
	}
	return netip.Addr{}, fmt.Errorf("no free load balancer address left in %s", LoadBalancerPrefix)
}
