package cloud

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	cloudprovider "k8s.io/cloud-provider"
	"k8s.io/utils/ptr"

	pb "github.com/k1s-dev/k1s/plugins/cloud/internal/proto"
)

func testNode(name string) *corev1.Node {
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name:              name,
			UID:               types.UID("uid-" + name),
			ResourceVersion:   "42",
			Labels:            map[string]string{"node.kubernetes.io/instance-type": "small"},
			Annotations:       map[string]string{"alpha.kubernetes.io/provided-node-ip": "127.0.0.2"},
			CreationTimestamp: metav1.Unix(1700000000, 0),
		},
		Spec: corev1.NodeSpec{
			ProviderID: "local://" + name,
			PodCIDRs:   []string{"10.244.1.0/24"},
			Taints: []corev1.Taint{{
				Key: "node.cloudprovider.kubernetes.io/uninitialized", Value: "true", Effect: corev1.TaintEffectNoSchedule,
			}},
		},
		Status: corev1.NodeStatus{
			Capacity:  corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2")},
			Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "127.0.0.2"}, {Type: corev1.NodeHostName, Address: name}},
			Conditions: []corev1.NodeCondition{{
				Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady",
				LastHeartbeatTime: metav1.Unix(1700000100, 0),
			}},
		},
	}
}

func testService() *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{
			Name: "web", Namespace: "default", UID: "6a1b2c3d-0000-4000-8000-000000000001",
			Finalizers: []string{"service.kubernetes.io/load-balancer-cleanup"},
		},
		Spec: corev1.ServiceSpec{
			Type:                  corev1.ServiceTypeLoadBalancer,
			Selector:              map[string]string{"app": "web"},
			ExternalTrafficPolicy: corev1.ServiceExternalTrafficPolicyLocal,
			HealthCheckNodePort:   31000,
			LoadBalancerClass:     ptr.To("k1s.dev/local"),
			IPFamilies:            []corev1.IPFamily{corev1.IPv4Protocol},
			Ports: []corev1.ServicePort{{
				Name: "http", Protocol: corev1.ProtocolTCP, Port: 80,
				TargetPort: intstr.FromString("http"), NodePort: 30080, AppProtocol: ptr.To("http"),
			}},
		},
	}
}

func testLoadBalancerStatus() *corev1.LoadBalancerStatus {
	return &corev1.LoadBalancerStatus{Ingress: []corev1.LoadBalancerIngress{
		{
			IP:     "127.0.1.1",
			IPMode: ptr.To(corev1.LoadBalancerIPModeVIP),
			Ports: []corev1.PortStatus{
				{Port: 80, Protocol: corev1.ProtocolTCP},
				{Port: 443, Protocol: corev1.ProtocolTCP, Error: ptr.To("PortConflict")},
			},
		},
		{Hostname: "web.lb.k1s.local", IP: "::1"},
	}}
}

// wire sends a message through its protobuf encoding, as gRPC would, so the
// round trips below also cover presence of optional fields.
func wire[M proto.Message](t *testing.T, m M) M {
	t.Helper()
	data, err := proto.Marshal(m)
	if err != nil {
		t.Fatalf("marshal %T: %v", m, err)
	}
	out := m.ProtoReflect().New().Interface().(M)
	if err := proto.Unmarshal(data, out); err != nil {
		t.Fatalf("unmarshal %T: %v", m, err)
	}
	return out
}

func TestNodeRoundTrip(t *testing.T) {
	for name, node := range map[string]*corev1.Node{
		"full":  testNode("n1"),
		"empty": {},
		"nil":   nil,
	} {
		t.Run(name, func(t *testing.T) {
			data, err := encodeNode(node)
			if err != nil {
				t.Fatal(err)
			}
			if (data == nil) != (node == nil) {
				t.Fatalf("presence lost: node nil=%v, data nil=%v", node == nil, data == nil)
			}
			req := wire(t, &pb.InstanceMetadataRequest{Node: data})
			got, err := decodeNode(req.GetNode())
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(node, got); diff != "" {
				t.Errorf("node changed on the wire (-sent +got):\n%s", diff)
			}
		})
	}
}

func TestServiceRoundTrip(t *testing.T) {
	svc := testService()
	data, err := encodeService(svc)
	if err != nil {
		t.Fatal(err)
	}
	req := wire(t, &pb.EnsureLoadBalancerRequest{Service: data})
	got, err := decodeService(req.GetService())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(svc, got); diff != "" {
		t.Errorf("service changed on the wire (-sent +got):\n%s", diff)
	}
}

func TestLoadBalancerStatusRoundTrip(t *testing.T) {
	for name, st := range map[string]*corev1.LoadBalancerStatus{
		"ingress IPs and ports": testLoadBalancerStatus(),
		// An empty status encodes to zero bytes; it must not come back nil,
		// the service controller treats nil from EnsureLoadBalancer as an error.
		"empty": {},
		"nil":   nil,
	} {
		t.Run(name, func(t *testing.T) {
			data, err := encodeLoadBalancerStatus(st)
			if err != nil {
				t.Fatal(err)
			}
			resp := wire(t, &pb.EnsureLoadBalancerResponse{Status: data})
			got, err := decodeLoadBalancerStatus(resp.GetStatus())
			if err != nil {
				t.Fatal(err)
			}
			if (got == nil) != (st == nil) {
				t.Fatalf("presence lost: sent nil=%v, got nil=%v", st == nil, got == nil)
			}
			if diff := cmp.Diff(st, got); diff != "" {
				t.Errorf("status changed on the wire (-sent +got):\n%s", diff)
			}
		})
	}
}

func TestNodesRoundTrip(t *testing.T) {
	nodes := []*corev1.Node{testNode("a"), nil, {}, testNode("b")}
	data, err := encodeNodes(nodes)
	if err != nil {
		t.Fatal(err)
	}
	req := wire(t, &pb.UpdateLoadBalancerRequest{Nodes: data})
	got, err := decodeNodes(req.GetNodes())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(nodes, got); diff != "" {
		t.Errorf("nodes changed on the wire (-sent +got):\n%s", diff)
	}
}

func TestDecodeGarbage(t *testing.T) {
	if _, err := decodeNode([]byte{0xff, 0xff, 0xff}); err == nil {
		t.Error("decodeNode accepted garbage")
	}
	if _, err := decodeNodes([][]byte{{0xff, 0xff}}); err == nil {
		t.Error("decodeNodes accepted garbage")
	}
}

func TestMetadataRoundTrip(t *testing.T) {
	for name, md := range map[string]*cloudprovider.InstanceMetadata{
		"full": {
			ProviderID:       "local://n1",
			InstanceType:     "small",
			NodeAddresses:    []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "127.0.0.2"}, {Type: corev1.NodeHostName, Address: "n1"}},
			Zone:             "zone-a",
			Region:           "region-1",
			AdditionalLabels: map[string]string{"k1s.dev/pool": "default"},
		},
		"empty": {},
		"nil":   nil,
	} {
		t.Run(name, func(t *testing.T) {
			resp := wire(t, &pb.InstanceMetadataResponse{Metadata: encodeMetadata(md)})
			if diff := cmp.Diff(md, decodeMetadata(resp.GetMetadata())); diff != "" {
				t.Errorf("metadata changed on the wire (-sent +got):\n%s", diff)
			}
		})
	}
}

func TestRoutesRoundTrip(t *testing.T) {
	routes := []*cloudprovider.Route{
		{
			Name: "r1", TargetNode: "n1", EnableNodeAddresses: true,
			TargetNodeAddresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "127.0.0.2"}},
			DestinationCIDR:     "10.244.1.0/24",
		},
		{Name: "r2", DestinationCIDR: "10.244.2.0/24", Blackhole: true},
	}
	resp := wire(t, &pb.ListRoutesResponse{Routes: encodeRoutes(routes)})
	if diff := cmp.Diff(routes, decodeRoutes(resp.GetRoutes())); diff != "" {
		t.Errorf("routes changed on the wire (-sent +got):\n%s", diff)
	}
	// nil entries cannot be represented and are dropped rather than crashing.
	if got := encodeRoutes([]*cloudprovider.Route{nil, routes[1]}); len(got) != 1 || got[0].GetName() != "r2" {
		t.Errorf("encodeRoutes with a nil entry = %v, want just r2", got)
	}
	if got := decodeRoute(encodeRoute(nil)); got != nil {
		t.Errorf("nil route came back as %v", got)
	}
}
