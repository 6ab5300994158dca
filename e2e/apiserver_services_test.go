package e2e

import (
	"net/netip"
	"net/url"
	"strconv"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	"github.com/k1s-dev/k1s/e2e/framework"
)

var serviceCIDR = netip.MustParsePrefix("10.96.0.0/12")

// expectClusterIP fails unless svc has a single IPv4 cluster IP from the service range.
func expectClusterIP(t testing.TB, svc *corev1.Service) netip.Addr {
	t.Helper()
	ip, err := netip.ParseAddr(svc.Spec.ClusterIP)
	if err != nil || !serviceCIDR.Contains(ip) {
		t.Fatalf("service %s: clusterIP %q is not in %s", svc.Name, svc.Spec.ClusterIP, serviceCIDR)
	}
	if len(svc.Spec.ClusterIPs) != 1 || svc.Spec.ClusterIPs[0] != svc.Spec.ClusterIP {
		t.Fatalf("service %s: clusterIPs %v, clusterIP %s", svc.Name, svc.Spec.ClusterIPs, svc.Spec.ClusterIP)
	}
	if len(svc.Spec.IPFamilies) != 1 || svc.Spec.IPFamilies[0] != corev1.IPv4Protocol ||
		svc.Spec.IPFamilyPolicy == nil || *svc.Spec.IPFamilyPolicy != corev1.IPFamilyPolicySingleStack {
		t.Fatalf("service %s: ipFamilies %v policy %v", svc.Name, svc.Spec.IPFamilies, svc.Spec.IPFamilyPolicy)
	}
	return ip
}

// expectNodePorts fails unless every port of svc has a node port in 30000-32767.
func expectNodePorts(t testing.TB, svc *corev1.Service) []int32 {
	t.Helper()
	var ports []int32
	for _, p := range svc.Spec.Ports {
		if p.NodePort < 30000 || p.NodePort > 32767 {
			t.Fatalf("service %s port %d: nodePort %d not in 30000-32767", svc.Name, p.Port, p.NodePort)
		}
		ports = append(ports, p.NodePort)
	}
	return ports
}

func newNodePortService(ns, name string) *corev1.Service {
	svc := newService(ns, name)
	svc.Spec.Type = corev1.ServiceTypeNodePort
	svc.Spec.Ports = append(svc.Spec.Ports, corev1.ServicePort{Name: "metrics", Port: 9090})
	return svc
}

// TestAPIServices checks service cluster IP and node port allocation.
func TestAPIServices(t *testing.T) {
	t.Parallel()
	c := startCluster(t)
	ns := createNamespace(t, c)
	services := c.Client.CoreV1().Services(ns)

	t.Run("kubernetes service", func(t *testing.T) {
		ctx := testContext(t)
		svc, err := c.Client.CoreV1().Services("default").Get(ctx, "kubernetes", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		u, err := url.Parse(c.RESTConfig().Host)
		if err != nil {
			t.Fatal(err)
		}
		apiPort, _ := strconv.Atoi(u.Port())
		if svc.Spec.ClusterIP != "10.96.0.1" || svc.Spec.Type != corev1.ServiceTypeClusterIP {
			t.Fatalf("kubernetes service: clusterIP %s type %s", svc.Spec.ClusterIP, svc.Spec.Type)
		}
		if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Port != 443 || svc.Spec.Ports[0].Name != "https" || svc.Spec.Ports[0].TargetPort.IntValue() != apiPort {
			t.Fatalf("kubernetes service ports %+v, apiserver port %d", svc.Spec.Ports, apiPort)
		}
		ep, err := c.Client.CoreV1().Endpoints("default").Get(ctx, "kubernetes", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(ep.Subsets) != 1 || len(ep.Subsets[0].Addresses) != 1 || ep.Subsets[0].Addresses[0].IP != u.Hostname() ||
			len(ep.Subsets[0].Ports) != 1 || int(ep.Subsets[0].Ports[0].Port) != apiPort {
			t.Fatalf("kubernetes endpoints %+v, apiserver at %s", ep.Subsets, u.Host)
		}
		slice, err := c.Client.DiscoveryV1().EndpointSlices("default").Get(ctx, "kubernetes", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if slice.Labels[discoveryv1.LabelServiceName] != "kubernetes" || slice.AddressType != discoveryv1.AddressTypeIPv4 ||
			len(slice.Endpoints) != 1 || slice.Endpoints[0].Addresses[0] != u.Hostname() ||
			len(slice.Ports) != 1 || int(*slice.Ports[0].Port) != apiPort {
			t.Fatalf("kubernetes endpointslice %+v", slice)
		}
		// Nobody else gets 10.96.0.1.
		svc2 := newService(ns, "wants-first-ip")
		svc2.Spec.ClusterIP = "10.96.0.1"
		_, err = services.Create(ctx, svc2, metav1.CreateOptions{})
		expectInvalidField(t, err, "spec.clusterIPs[0]")
	})

	t.Run("cluster IP", func(t *testing.T) {
		ctx := testContext(t)
		a, err := services.Create(ctx, newService(ns, "ip-a"), metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		b, err := services.Create(ctx, newService(ns, "ip-b"), metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if expectClusterIP(t, a) == expectClusterIP(t, b) {
			t.Fatalf("two services got %s", a.Spec.ClusterIP)
		}
		for _, p := range a.Spec.Ports {
			if p.NodePort != 0 {
				t.Fatalf("a ClusterIP service got node port %d", p.NodePort)
			}
		}

		// An already used IP is refused with the field path, and nothing is created.
		dup := newService(ns, "ip-dup")
		dup.Spec.ClusterIP = a.Spec.ClusterIP
		_, err = services.Create(ctx, dup, metav1.CreateOptions{})
		expectInvalidField(t, err, "spec.clusterIPs[0]")
		_, err = services.Get(ctx, "ip-dup", metav1.GetOptions{})
		expectNotFound(t, err)

		// An IP outside the range is refused too.
		outside := newService(ns, "ip-outside")
		outside.Spec.ClusterIP = "192.168.0.10"
		_, err = services.Create(ctx, outside, metav1.CreateOptions{})
		expectInvalidField(t, err, "spec.clusterIPs[0]")

		// A free IP may be requested.
		free := newService(ns, "ip-chosen")
		wanted := freeClusterIP(t, c)
		free.Spec.ClusterIP = wanted
		chosen, err := services.Create(ctx, free, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("requesting a free IP: %v", err)
		}
		if chosen.Spec.ClusterIP != wanted {
			t.Fatalf("requested %s, got %s", wanted, chosen.Spec.ClusterIP)
		}

		// The cluster IP is immutable; an update that leaves it out keeps it.
		other := freeClusterIP(t, c)
		chosen.Spec.ClusterIP, chosen.Spec.ClusterIPs = other, []string{other}
		_, err = services.Update(ctx, chosen, metav1.UpdateOptions{})
		expectStatus(t, err, 422, metav1.StatusReasonInvalid)
		replace := newService(ns, "ip-chosen")
		replace.Spec.SessionAffinity = corev1.ServiceAffinityClientIP
		replaced, err := services.Update(ctx, replace, metav1.UpdateOptions{})
		if err != nil {
			t.Fatalf("update without clusterIP: %v", err)
		}
		if replaced.Spec.ClusterIP != wanted {
			t.Fatalf("update without clusterIP changed it to %s", replaced.Spec.ClusterIP)
		}

		// Headless services get no IP.
		headless := newService(ns, "headless")
		headless.Spec.ClusterIP = corev1.ClusterIPNone
		h, err := services.Create(ctx, headless, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if h.Spec.ClusterIP != corev1.ClusterIPNone || len(h.Spec.ClusterIPs) != 1 || h.Spec.ClusterIPs[0] != corev1.ClusterIPNone {
			t.Fatalf("headless service: %v %v", h.Spec.ClusterIP, h.Spec.ClusterIPs)
		}
	})

	t.Run("node ports", func(t *testing.T) {
		ctx := testContext(t)
		np, err := services.Create(ctx, newNodePortService(ns, "np"), metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		expectClusterIP(t, np)
		ports := expectNodePorts(t, np)
		if ports[0] == ports[1] {
			t.Fatalf("two ports share node port %d", ports[0])
		}

		dup := newNodePortService(ns, "np-dup")
		dup.Spec.Ports = dup.Spec.Ports[:1]
		dup.Spec.Ports[0].NodePort = ports[1]
		_, err = services.Create(ctx, dup, metav1.CreateOptions{})
		expectInvalidField(t, err, "spec.ports[0].nodePort")

		outside := newNodePortService(ns, "np-outside")
		outside.Spec.Ports[1].NodePort = 8080
		_, err = services.Create(ctx, outside, metav1.CreateOptions{})
		expectInvalidField(t, err, "spec.ports[1].nodePort")

		// A refused request gives back what it allocated before failing: here the
		// requested cluster IP, which the next service can then have.
		partial := newNodePortService(ns, "np-partial")
		wanted := freeClusterIP(t, c)
		partial.Spec.ClusterIP = wanted
		partial.Spec.Ports[0].NodePort = ports[0]
		_, err = services.Create(ctx, partial, metav1.CreateOptions{})
		expectInvalidField(t, err, "spec.ports[0].nodePort")
		partial.Spec.Ports[0].NodePort = 0
		created, err := services.Create(ctx, partial, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("the IP of a refused service was not released: %v", err)
		}
		if created.Spec.ClusterIP != wanted {
			t.Fatalf("got %s", created.Spec.ClusterIP)
		}

		// Both ports of the first service are still taken.
		for _, p := range ports {
			again := newNodePortService(ns, "np-again")
			again.Spec.Ports = again.Spec.Ports[:1]
			again.Spec.Ports[0].NodePort = p
			_, err := services.Create(ctx, again, metav1.CreateOptions{})
			expectInvalidField(t, err, "spec.ports[0].nodePort")
		}
	})

	t.Run("delete frees IP and ports", func(t *testing.T) {
		ctx := testContext(t)
		old, err := services.Create(ctx, newNodePortService(ns, "freed"), metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if err := services.Delete(ctx, "freed", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		reuse := newNodePortService(ns, "reuses")
		reuse.Spec.ClusterIP = old.Spec.ClusterIP
		reuse.Spec.Ports[0].NodePort = old.Spec.Ports[0].NodePort
		reuse.Spec.Ports[1].NodePort = old.Spec.Ports[1].NodePort
		got, err := services.Create(ctx, reuse, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("requesting a deleted service's IP and ports: %v", err)
		}
		if got.Spec.ClusterIP != old.Spec.ClusterIP || got.Spec.Ports[0].NodePort != old.Spec.Ports[0].NodePort || got.Spec.Ports[1].NodePort != old.Spec.Ports[1].NodePort {
			t.Fatalf("got %s %v, requested %s %v", got.Spec.ClusterIP, got.Spec.Ports, old.Spec.ClusterIP, old.Spec.Ports)
		}
	})

	t.Run("load balancer", func(t *testing.T) {
		ctx := testContext(t)
		lb := newService(ns, "lb")
		lb.Spec.Type = corev1.ServiceTypeLoadBalancer
		created, err := services.Create(ctx, lb, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		expectClusterIP(t, created)
		expectNodePorts(t, created)
		if created.Spec.AllocateLoadBalancerNodePorts == nil || !*created.Spec.AllocateLoadBalancerNodePorts {
			t.Fatalf("allocateLoadBalancerNodePorts not defaulted to true")
		}
		if created.Spec.ExternalTrafficPolicy != corev1.ServiceExternalTrafficPolicyCluster || created.Spec.HealthCheckNodePort != 0 {
			t.Fatalf("externalTrafficPolicy %s healthCheckNodePort %d", created.Spec.ExternalTrafficPolicy, created.Spec.HealthCheckNodePort)
		}

		local := newService(ns, "lb-local")
		local.Spec.Type = corev1.ServiceTypeLoadBalancer
		local.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
		created, err = services.Create(ctx, local, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if hc := created.Spec.HealthCheckNodePort; hc < 30000 || hc > 32767 || hc == created.Spec.Ports[0].NodePort {
			t.Fatalf("healthCheckNodePort %d (node port %d)", hc, created.Spec.Ports[0].NodePort)
		}

		noPorts := newService(ns, "lb-no-node-ports")
		noPorts.Spec.Type = corev1.ServiceTypeLoadBalancer
		noPorts.Spec.AllocateLoadBalancerNodePorts = ptr.To(false)
		created, err = services.Create(ctx, noPorts, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if created.Spec.Ports[0].NodePort != 0 {
			t.Fatalf("allocateLoadBalancerNodePorts=false got node port %d", created.Spec.Ports[0].NodePort)
		}
	})

	t.Run("type changes", func(t *testing.T) {
		ctx := testContext(t)
		svc, err := services.Create(ctx, newNodePortService(ns, "switch"), metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ip := svc.Spec.ClusterIP
		ports := expectNodePorts(t, svc)

		// NodePort -> ClusterIP drops and frees the node ports, keeps the IP.
		svc.Spec.Type = corev1.ServiceTypeClusterIP
		svc, err = services.Update(ctx, svc, metav1.UpdateOptions{})
		if err != nil {
			t.Fatalf("NodePort -> ClusterIP: %v", err)
		}
		if svc.Spec.ClusterIP != ip || svc.Spec.Ports[0].NodePort != 0 || svc.Spec.Ports[1].NodePort != 0 {
			t.Fatalf("after NodePort -> ClusterIP: ip %s ports %+v", svc.Spec.ClusterIP, svc.Spec.Ports)
		}
		taker := newNodePortService(ns, "takes-freed-ports")
		taker.Spec.Ports[0].NodePort, taker.Spec.Ports[1].NodePort = ports[0], ports[1]
		if _, err := services.Create(ctx, taker, metav1.CreateOptions{}); err != nil {
			t.Fatalf("the ports freed by NodePort -> ClusterIP are still taken: %v", err)
		}

		// ClusterIP -> NodePort allocates new ports.
		svc.Spec.Type = corev1.ServiceTypeNodePort
		svc, err = services.Update(ctx, svc, metav1.UpdateOptions{})
		if err != nil {
			t.Fatalf("ClusterIP -> NodePort: %v", err)
		}
		newPorts := expectNodePorts(t, svc)
		for _, p := range newPorts {
			if p == ports[0] || p == ports[1] {
				t.Fatalf("ClusterIP -> NodePort got port %d, which another service holds", p)
			}
		}

		// -> ExternalName, as `kubectl patch` asks for it, drops and frees the cluster IP
		// and the node ports that the client left as they were.
		svc, err = services.Patch(ctx, "switch", types.MergePatchType, []byte(`{"spec":{"type":"ExternalName","externalName":"example.com"}}`), metav1.PatchOptions{})
		if err != nil {
			t.Fatalf("NodePort -> ExternalName: %v", err)
		}
		if svc.Spec.ClusterIP != "" || len(svc.Spec.ClusterIPs) != 0 || svc.Spec.Ports[0].NodePort != 0 || svc.Spec.ExternalTrafficPolicy != "" {
			t.Fatalf("ExternalName service keeps ip %q ports %+v", svc.Spec.ClusterIP, svc.Spec.Ports)
		}
		ipTaker := newService(ns, "takes-freed-ip")
		ipTaker.Spec.ClusterIP = ip
		if _, err := services.Create(ctx, ipTaker, metav1.CreateOptions{}); err != nil {
			t.Fatalf("the IP freed by -> ExternalName is still taken: %v", err)
		}
		portTaker := newNodePortService(ns, "takes-freed-ports-2")
		portTaker.Spec.Ports[0].NodePort, portTaker.Spec.Ports[1].NodePort = newPorts[0], newPorts[1]
		if _, err := services.Create(ctx, portTaker, metav1.CreateOptions{}); err != nil {
			t.Fatalf("the ports freed by -> ExternalName are still taken: %v", err)
		}
	})

	t.Run("dry run allocates nothing", func(t *testing.T) {
		ctx := testContext(t)
		dry := newNodePortService(ns, "dry")
		dry.Spec.ClusterIP = freeClusterIP(t, c)
		dry.Spec.Ports[0].NodePort = freeNodePort(t, c)
		if _, err := services.Create(ctx, dry, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}); err != nil {
			t.Fatalf("dry run: %v", err)
		}
		_, err := services.Get(ctx, "dry", metav1.GetOptions{})
		expectNotFound(t, err)
		if _, err := services.Create(ctx, dry, metav1.CreateOptions{}); err != nil {
			t.Fatalf("the dry run kept its allocations: %v", err)
		}
	})
}

// freeClusterIP returns an IP of the service range that no service of c holds. The
// allocator picks at random, so a fixed "free" IP could be taken by chance.
func freeClusterIP(t testing.TB, c *framework.Cluster) string {
	t.Helper()
	used := map[string]bool{}
	for _, svc := range listServices(t, c) {
		used[svc.Spec.ClusterIP] = true
	}
	for ip := netip.MustParseAddr("10.100.200.1"); ; ip = ip.Next() {
		if !used[ip.String()] {
			return ip.String()
		}
	}
}

// freeNodePort returns a node port that no service of c holds.
func freeNodePort(t testing.TB, c *framework.Cluster) int32 {
	t.Helper()
	used := map[int32]bool{}
	for _, svc := range listServices(t, c) {
		for _, p := range svc.Spec.Ports {
			used[p.NodePort] = true
		}
		used[svc.Spec.HealthCheckNodePort] = true
	}
	for p := int32(31000); ; p++ {
		if !used[p] {
			return p
		}
	}
}

func listServices(t testing.TB, c *framework.Cluster) []corev1.Service {
	t.Helper()
	list, err := c.Client.CoreV1().Services("").List(testContext(t), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return list.Items
}
