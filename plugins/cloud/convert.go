package cloud

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	cloudprovider "k8s.io/cloud-provider"

	pb "github.com/k1s-dev/k1s/plugins/cloud/internal/proto"
)

// Conversion between cloudprovider / k8s.io/api values and the generated wire
// types. It is the only code that sees both, so neither the adapter nor the
// server, nor anyone outside this package, depends on the generated code.
//
// Kubernetes objects use their own protobuf encoding (the one the apiserver
// speaks), which is lossless for every field and several times faster than
// JSON. A nil pointer travels as an unset optional field.

// k8sObject is what k8s.io/api's generated protobuf methods provide.
type k8sObject interface {
	Marshal() ([]byte, error)
	Unmarshal([]byte) error
}

func encodeObject[T any, P interface {
	*T
	k8sObject
}](obj P) ([]byte, error) {
	if obj == nil {
		return nil, nil
	}
	data, err := obj.Marshal()
	if err != nil {
		return nil, fmt.Errorf("encoding %T: %w", obj, err)
	}
	if data == nil {
		// Keep presence: a non-nil but empty object must not read back as nil.
		data = []byte{}
	}
	return data, nil
}

func decodeObject[T any, P interface {
	*T
	k8sObject
}](data []byte) (P, error) {
	if data == nil {
		return nil, nil
	}
	obj := P(new(T))
	if err := obj.Unmarshal(data); err != nil {
		return nil, fmt.Errorf("decoding %T: %w", obj, err)
	}
	return obj, nil
}

func encodeNode(node *corev1.Node) ([]byte, error) { return encodeObject(node) }

func decodeNode(data []byte) (*corev1.Node, error) { return decodeObject[corev1.Node](data) }

func encodeService(svc *corev1.Service) ([]byte, error) { return encodeObject(svc) }

func decodeService(data []byte) (*corev1.Service, error) {
	return decodeObject[corev1.Service](data)
}

func encodeLoadBalancerStatus(st *corev1.LoadBalancerStatus) ([]byte, error) {
	return encodeObject(st)
}

func decodeLoadBalancerStatus(data []byte) (*corev1.LoadBalancerStatus, error) {
	return decodeObject[corev1.LoadBalancerStatus](data)
}

// encodeNodes encodes a node list for a repeated bytes field, which has no
// per-entry presence: a nil entry becomes empty bytes. That is unambiguous
// because a non-nil Node always encodes to at least its (empty) ObjectMeta.
func encodeNodes(nodes []*corev1.Node) ([][]byte, error) {
	if nodes == nil {
		return nil, nil
	}
	out := make([][]byte, len(nodes))
	for i, n := range nodes {
		if n == nil {
			out[i] = []byte{}
			continue
		}
		data, err := encodeNode(n)
		if err != nil {
			return nil, fmt.Errorf("node %d: %w", i, err)
		}
		out[i] = data
	}
	return out, nil
}

func decodeNodes(data [][]byte) ([]*corev1.Node, error) {
	if data == nil {
		return nil, nil
	}
	out := make([]*corev1.Node, len(data))
	for i, d := range data {
		if len(d) == 0 {
			continue
		}
		n, err := decodeNode(d)
		if err != nil {
			return nil, fmt.Errorf("node %d: %w", i, err)
		}
		out[i] = n
	}
	return out, nil
}

func encodeAddresses(addrs []corev1.NodeAddress) []*pb.NodeAddress {
	if addrs == nil {
		return nil
	}
	out := make([]*pb.NodeAddress, len(addrs))
	for i, a := range addrs {
		out[i] = &pb.NodeAddress{Type: string(a.Type), Address: a.Address}
	}
	return out
}

func decodeAddresses(addrs []*pb.NodeAddress) []corev1.NodeAddress {
	if len(addrs) == 0 {
		// The wire does not tell nil from empty; the controllers only range
		// over addresses and compare with apiequality (nil == empty).
		return nil
	}
	out := make([]corev1.NodeAddress, len(addrs))
	for i, a := range addrs {
		out[i] = corev1.NodeAddress{Type: corev1.NodeAddressType(a.GetType()), Address: a.GetAddress()}
	}
	return out
}

func encodeMetadata(md *cloudprovider.InstanceMetadata) *pb.InstanceMetadata {
	if md == nil {
		return nil
	}
	return &pb.InstanceMetadata{
		ProviderId:       md.ProviderID,
		InstanceType:     md.InstanceType,
		NodeAddresses:    encodeAddresses(md.NodeAddresses),
		Zone:             md.Zone,
		Region:           md.Region,
		AdditionalLabels: md.AdditionalLabels,
	}
}

func decodeMetadata(md *pb.InstanceMetadata) *cloudprovider.InstanceMetadata {
	if md == nil {
		return nil
	}
	out := &cloudprovider.InstanceMetadata{
		ProviderID:    md.GetProviderId(),
		InstanceType:  md.GetInstanceType(),
		NodeAddresses: decodeAddresses(md.GetNodeAddresses()),
		Zone:          md.GetZone(),
		Region:        md.GetRegion(),
	}
	if len(md.GetAdditionalLabels()) > 0 {
		out.AdditionalLabels = md.GetAdditionalLabels()
	}
	return out
}

func encodeRoute(r *cloudprovider.Route) *pb.Route {
	if r == nil {
		return nil
	}
	return &pb.Route{
		Name:                r.Name,
		TargetNode:          string(r.TargetNode),
		EnableNodeAddresses: r.EnableNodeAddresses,
		TargetNodeAddresses: encodeAddresses(r.TargetNodeAddresses),
		DestinationCidr:     r.DestinationCIDR,
		Blackhole:           r.Blackhole,
	}
}

func decodeRoute(r *pb.Route) *cloudprovider.Route {
	if r == nil {
		return nil
	}
	return &cloudprovider.Route{
		Name:                r.GetName(),
		TargetNode:          types.NodeName(r.GetTargetNode()),
		EnableNodeAddresses: r.GetEnableNodeAddresses(),
		TargetNodeAddresses: decodeAddresses(r.GetTargetNodeAddresses()),
		DestinationCIDR:     r.GetDestinationCidr(),
		Blackhole:           r.GetBlackhole(),
	}
}

func encodeRoutes(routes []*cloudprovider.Route) []*pb.Route {
	if routes == nil {
		return nil
	}
	out := make([]*pb.Route, 0, len(routes))
	for _, r := range routes {
		if r == nil {
			// A repeated message field cannot hold nil; the route controller
			// dereferences every entry, so dropping one is the safe reading.
			continue
		}
		out = append(out, encodeRoute(r))
	}
	return out
}

func decodeRoutes(routes []*pb.Route) []*cloudprovider.Route {
	if len(routes) == 0 {
		return nil
	}
	out := make([]*cloudprovider.Route, len(routes))
	for i, r := range routes {
		out[i] = decodeRoute(r)
	}
	return out
}
