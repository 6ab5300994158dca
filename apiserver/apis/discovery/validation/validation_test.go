package validation

import (
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"
)

type wantErr struct {
	typ   field.ErrorType
	field string
}

func checkErrs(t *testing.T, errs field.ErrorList, want []wantErr) {
	t.Helper()
	if len(errs) != len(want) {
		t.Fatalf("got %d errors, want %d:\n%v", len(errs), len(want), errs.ToAggregate())
	}
	for i := range want {
		if errs[i].Type != want[i].typ || errs[i].Field != want[i].field {
			t.Errorf("error %d: got %s at %q, want %s at %q (%v)", i, errs[i].Type, errs[i].Field, want[i].typ, want[i].field, errs[i])
		}
	}
}

// slice returns a valid, defaulted EndpointSlice as the EndpointSlice
// controller writes it, after applying mutate.
func slice(mutate func(*discoveryv1.EndpointSlice)) *discoveryv1.EndpointSlice {
	s := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			Name:      "web-abc12",
			Namespace: "default",
			Labels: map[string]string{
				"endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
				"kubernetes.io/service-name":             "web",
			},
		},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports: []discoveryv1.EndpointPort{{
			Name:     ptr.To("http"),
			Protocol: ptr.To(corev1.ProtocolTCP),
			Port:     ptr.To[int32](8080),
		}},
		Endpoints: []discoveryv1.Endpoint{{
			Addresses:  []string{"10.1.2.3"},
			Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true), Serving: ptr.To(true), Terminating: ptr.To(false)},
			Hostname:   ptr.To("valid-123"),
			NodeName:   ptr.To("node-1"),
			Zone:       ptr.To("us-east-1a"),
			TargetRef:  &corev1.ObjectReference{Kind: "Pod", Namespace: "default", Name: "web-0"},
			Hints: &discoveryv1.EndpointHints{
				ForZones: []discoveryv1.ForZone{{Name: "us-east-1a"}},
				ForNodes: []discoveryv1.ForNode{{Name: "node-1"}},
			},
		}},
	}
	if mutate != nil {
		mutate(s)
	}
	return s
}

func ports(n int) []discoveryv1.EndpointPort {
	ps := []discoveryv1.EndpointPort{}
	for i := 0; i < n; i++ {
		ps = append(ps, discoveryv1.EndpointPort{Name: ptr.To(fmt.Sprintf("http-%d", i)), Protocol: ptr.To(corev1.ProtocolTCP)})
	}
	return ps
}

func endpoints(n int) []discoveryv1.Endpoint {
	eps := []discoveryv1.Endpoint{}
	for i := 0; i < n; i++ {
		eps = append(eps, discoveryv1.Endpoint{Addresses: []string{fmt.Sprintf("10.1.2.%d", i%255+1)}})
	}
	return eps
}

func addresses(n int) []string {
	as := []string{}
	for i := 0; i < n; i++ {
		as = append(as, fmt.Sprintf("10.1.2.%d", i%255+1))
	}
	return as
}

func topology(n int) map[string]string {
	t := map[string]string{}
	for i := 0; i < n; i++ {
		t[fmt.Sprintf("topology-%d", i)] = "example"
	}
	return t
}

func TestValidateEndpointSliceCreate(t *testing.T) {
	ep := func(mutate func(*discoveryv1.Endpoint)) func(*discoveryv1.EndpointSlice) {
		return func(s *discoveryv1.EndpointSlice) { mutate(&s.Endpoints[0]) }
	}
	for _, tc := range []struct {
		name  string
		slice *discoveryv1.EndpointSlice
		want  []wantErr
	}{
		// valid
		{name: "valid", slice: slice(nil)},
		{name: "valid ipv6", slice: slice(func(s *discoveryv1.EndpointSlice) {
			s.AddressType = discoveryv1.AddressTypeIPv6
			s.Endpoints[0].Addresses = []string{"2001:db8::1"}
		})},
		{name: "valid fqdn", slice: slice(func(s *discoveryv1.EndpointSlice) {
			s.AddressType = discoveryv1.AddressTypeFQDN
			s.Endpoints[0].Addresses = []string{"foo.example.com", "bar.example.com"}
		})},
		{name: "all protocols and app protocols", slice: slice(func(s *discoveryv1.EndpointSlice) {
			s.Ports = []discoveryv1.EndpointPort{
				{Name: ptr.To("tcp"), Protocol: ptr.To(corev1.ProtocolTCP), AppProtocol: ptr.To("http")},
				{Name: ptr.To("udp"), Protocol: ptr.To(corev1.ProtocolUDP), AppProtocol: ptr.To("example.com/custom")},
				{Name: ptr.To("sctp"), Protocol: ptr.To(corev1.ProtocolSCTP)},
			}
		})},
		{name: "empty port name", slice: slice(func(s *discoveryv1.EndpointSlice) { s.Ports[0].Name = ptr.To("") })},
		{name: "63 character port name", slice: slice(func(s *discoveryv1.EndpointSlice) { s.Ports[0].Name = ptr.To(strings.Repeat("a", 63)) })},
		{name: "no ports or endpoints", slice: slice(func(s *discoveryv1.EndpointSlice) { s.Ports = nil; s.Endpoints = nil })},
		{name: "max endpoints", slice: slice(func(s *discoveryv1.EndpointSlice) { s.Endpoints = endpoints(1000) })},
		{name: "max ports", slice: slice(func(s *discoveryv1.EndpointSlice) { s.Ports = ports(20000) })},
		{name: "max addresses", slice: slice(ep(func(e *discoveryv1.Endpoint) { e.Addresses = addresses(100) }))},
		{name: "max topology keys", slice: slice(ep(func(e *discoveryv1.Endpoint) { e.DeprecatedTopology = topology(16) }))},
		{name: "zone is not validated", slice: slice(ep(func(e *discoveryv1.Endpoint) { e.Zone = ptr.To("Not A Label Value!") }))},
		{name: "max hints", slice: slice(ep(func(e *discoveryv1.Endpoint) {
			e.Hints = &discoveryv1.EndpointHints{}
			for i := 0; i < 8; i++ {
				e.Hints.ForZones = append(e.Hints.ForZones, discoveryv1.ForZone{Name: fmt.Sprintf("zone-%d", i)})
				e.Hints.ForNodes = append(e.Hints.ForNodes, discoveryv1.ForNode{Name: fmt.Sprintf("node-%d", i)})
			}
		}))},

		// invalid
		{
			name:  "empty slice",
			slice: &discoveryv1.EndpointSlice{},
			want: []wantErr{
				{field.ErrorTypeRequired, "metadata.name"},
				{field.ErrorTypeRequired, "metadata.namespace"},
				{field.ErrorTypeRequired, "addressType"},
			},
		},
		{
			name: "bad metadata",
			slice: slice(func(s *discoveryv1.EndpointSlice) {
				s.Name = "*&^"
				s.Finalizers = []string{"not-standard", "orphan", "example.com/ok"}
			}),
			want: []wantErr{
				{field.ErrorTypeInvalid, "metadata.name"},
				{field.ErrorTypeInvalid, "metadata.finalizers[0]"},
			},
		},
		{
			name:  "unsupported address type",
			slice: slice(func(s *discoveryv1.EndpointSlice) { s.AddressType = "IP"; s.Endpoints = nil }),
			want:  []wantErr{{field.ErrorTypeNotSupported, "addressType"}},
		},
		{
			name:  "duplicate port name",
			slice: slice(func(s *discoveryv1.EndpointSlice) { s.Ports = append(s.Ports, s.Ports[0]) }),
			want:  []wantErr{{field.ErrorTypeDuplicate, "ports[1].name"}},
		},
		{
			name: "duplicate empty port name",
			slice: slice(func(s *discoveryv1.EndpointSlice) {
				s.Ports = []discoveryv1.EndpointPort{
					{Name: ptr.To(""), Protocol: ptr.To(corev1.ProtocolTCP)},
					{Name: nil, Protocol: ptr.To(corev1.ProtocolUDP)},
				}
			}),
			want: []wantErr{{field.ErrorTypeDuplicate, "ports[1].name"}},
		},
		{
			name:  "port name with caps",
			slice: slice(func(s *discoveryv1.EndpointSlice) { s.Ports[0].Name = ptr.To("aCapital") }),
			want:  []wantErr{{field.ErrorTypeInvalid, "ports[0].name"}},
		},
		{
			name:  "port name with bad chars",
			slice: slice(func(s *discoveryv1.EndpointSlice) { s.Ports[0].Name = ptr.To("almost_valid") }),
			want:  []wantErr{{field.ErrorTypeInvalid, "ports[0].name"}},
		},
		{
			name:  "port name too long",
			slice: slice(func(s *discoveryv1.EndpointSlice) { s.Ports[0].Name = ptr.To(strings.Repeat("a", 64)) }),
			want:  []wantErr{{field.ErrorTypeInvalid, "ports[0].name"}},
		},
		{
			name:  "missing port protocol",
			slice: slice(func(s *discoveryv1.EndpointSlice) { s.Ports[0].Protocol = nil }),
			want:  []wantErr{{field.ErrorTypeRequired, "ports[0].protocol"}},
		},
		{
			name:  "unsupported port protocol",
			slice: slice(func(s *discoveryv1.EndpointSlice) { s.Ports[0].Protocol = ptr.To(corev1.Protocol("foo")) }),
			want:  []wantErr{{field.ErrorTypeNotSupported, "ports[0].protocol"}},
		},
		{
			name:  "bad app protocol",
			slice: slice(func(s *discoveryv1.EndpointSlice) { s.Ports[0].AppProtocol = ptr.To("--") }),
			want:  []wantErr{{field.ErrorTypeInvalid, "ports[0].appProtocol"}},
		},
		{
			name:  "too many ports",
			slice: slice(func(s *discoveryv1.EndpointSlice) { s.Ports = ports(20001) }),
			want:  []wantErr{{field.ErrorTypeTooMany, "ports"}},
		},
		{
			name:  "too many endpoints",
			slice: slice(func(s *discoveryv1.EndpointSlice) { s.Endpoints = endpoints(1001) }),
			want:  []wantErr{{field.ErrorTypeTooMany, "endpoints"}},
		},
		{
			name:  "no endpoint addresses",
			slice: slice(ep(func(e *discoveryv1.Endpoint) { e.Addresses = nil })),
			want:  []wantErr{{field.ErrorTypeRequired, "endpoints[0].addresses"}},
		},
		{
			name:  "too many addresses",
			slice: slice(ep(func(e *discoveryv1.Endpoint) { e.Addresses = addresses(101) })),
			want:  []wantErr{{field.ErrorTypeTooMany, "endpoints[0].addresses"}},
		},
		{
			name:  "invalid ip",
			slice: slice(ep(func(e *discoveryv1.Endpoint) { e.Addresses = []string{"123.456.789.012"} })),
			want:  []wantErr{{field.ErrorTypeInvalid, "endpoints[0].addresses[0]"}},
		},
		{
			name:  "legacy ip with strict validation",
			slice: slice(ep(func(e *discoveryv1.Endpoint) { e.Addresses = []string{"012.034.056.078"} })),
			want:  []wantErr{{field.ErrorTypeInvalid, "endpoints[0].addresses[0]"}},
		},
		{
			name:  "ipv6 address in ipv4 slice",
			slice: slice(ep(func(e *discoveryv1.Endpoint) { e.Addresses = []string{"123.456.789.012", "2001:4860:4860::8888"} })),
			want:  []wantErr{{field.ErrorTypeInvalid, "endpoints[0].addresses[0]"}, {field.ErrorTypeInvalid, "endpoints[0].addresses"}},
		},
		{
			name: "ipv4 address in ipv6 slice",
			slice: slice(func(s *discoveryv1.EndpointSlice) {
				s.AddressType = discoveryv1.AddressTypeIPv6
				s.Endpoints[0].Addresses = []string{"10.1.2.3", "2001:4860:4860:defg"}
			}),
			want: []wantErr{{field.ErrorTypeInvalid, "endpoints[0].addresses"}, {field.ErrorTypeInvalid, "endpoints[0].addresses[1]"}},
		},
		{
			name: "non-canonical ipv6",
			slice: slice(func(s *discoveryv1.EndpointSlice) {
				s.AddressType = discoveryv1.AddressTypeIPv6
				s.Endpoints[0].Addresses = []string{"2001:DB8::1"}
			}),
			want: []wantErr{{field.ErrorTypeInvalid, "endpoints[0].addresses[0]"}},
		},
		{
			// k1s allows loopback endpoints (see validateEndpointIP).
			name:  "loopback ipv4 allowed",
			slice: slice(ep(func(e *discoveryv1.Endpoint) { e.Addresses = []string{"127.0.0.1"} })),
			want:  nil,
		},
		{
			name: "link-local ipv6",
			slice: slice(func(s *discoveryv1.EndpointSlice) {
				s.AddressType = discoveryv1.AddressTypeIPv6
				s.Endpoints[0].Addresses = []string{"fe80::9656:d028:8652:66b6"}
			}),
			want: []wantErr{{field.ErrorTypeInvalid, "endpoints[0].addresses[0]"}},
		},
		{
			name: "bad fqdns",
			slice: slice(func(s *discoveryv1.EndpointSlice) {
				s.AddressType = discoveryv1.AddressTypeFQDN
				s.Endpoints[0].Addresses = []string{"foo.*", "FOO.example.com", "underscores_are_bad.example.com", "*.example.com"}
			}),
			want: []wantErr{
				{field.ErrorTypeInvalid, "endpoints[0].addresses[0]"},
				{field.ErrorTypeInvalid, "endpoints[0].addresses[1]"},
				{field.ErrorTypeInvalid, "endpoints[0].addresses[2]"},
				{field.ErrorTypeInvalid, "endpoints[0].addresses[3]"},
			},
		},
		{
			name:  "bad node name",
			slice: slice(ep(func(e *discoveryv1.Endpoint) { e.NodeName = ptr.To("INVALID foo") })),
			want:  []wantErr{{field.ErrorTypeInvalid, "endpoints[0].nodeName"}},
		},
		{
			name:  "bad hostname",
			slice: slice(ep(func(e *discoveryv1.Endpoint) { e.Hostname = ptr.To("--INVALID") })),
			want:  []wantErr{{field.ErrorTypeInvalid, "endpoints[0].hostname"}},
		},
		{
			name:  "bad topology key",
			slice: slice(ep(func(e *discoveryv1.Endpoint) { e.DeprecatedTopology = map[string]string{"--INVALID": "example"} })),
			want:  []wantErr{{field.ErrorTypeInvalid, "endpoints[0].deprecatedTopology"}},
		},
		{
			name:  "too many topology keys",
			slice: slice(ep(func(e *discoveryv1.Endpoint) { e.DeprecatedTopology = topology(17) })),
			want:  []wantErr{{field.ErrorTypeTooMany, "endpoints[0].deprecatedTopology"}},
		},
		{
			name: "zone label in deprecated topology",
			slice: slice(ep(func(e *discoveryv1.Endpoint) {
				e.DeprecatedTopology = map[string]string{corev1.LabelTopologyZone: "zone1"}
			})),
			want: []wantErr{{field.ErrorTypeInternal, "endpoints[0].deprecatedTopology[topology.kubernetes.io/zone]"}},
		},
		{
			name:  "invalid zone hint",
			slice: slice(ep(func(e *discoveryv1.Endpoint) { e.Hints.ForZones = []discoveryv1.ForZone{{Name: "inv@lid"}} })),
			want:  []wantErr{{field.ErrorTypeInvalid, "endpoints[0].hints.forZones[0].name"}},
		},
		{
			name: "duplicate zone hint",
			slice: slice(ep(func(e *discoveryv1.Endpoint) {
				e.Hints.ForZones = []discoveryv1.ForZone{{Name: "zone-a"}, {Name: "zone-b"}, {Name: "zone-a"}}
			})),
			want: []wantErr{{field.ErrorTypeDuplicate, "endpoints[0].hints.forZones[2].name"}},
		},
		{
			name: "too many zone hints stops hint validation",
			slice: slice(ep(func(e *discoveryv1.Endpoint) {
				e.Hints.ForZones = nil
				for i := 0; i < 9; i++ {
					e.Hints.ForZones = append(e.Hints.ForZones, discoveryv1.ForZone{Name: fmt.Sprintf("zone-%d", i)})
				}
				e.Hints.ForNodes = []discoveryv1.ForNode{{Name: "INVALID"}}
			})),
			want: []wantErr{{field.ErrorTypeTooMany, "endpoints[0].hints.forZones"}},
		},
		{
			name: "invalid and duplicate node hints",
			slice: slice(ep(func(e *discoveryv1.Endpoint) {
				e.Hints.ForNodes = []discoveryv1.ForNode{{Name: "node-1"}, {Name: "node-1"}, {Name: "INVALID foo"}}
			})),
			want: []wantErr{
				{field.ErrorTypeDuplicate, "endpoints[0].hints.forNodes[1].name"},
				{field.ErrorTypeInvalid, "endpoints[0].hints.forNodes[2].name"},
			},
		},
		{
			name: "too many node hints",
			slice: slice(ep(func(e *discoveryv1.Endpoint) {
				e.Hints.ForNodes = nil
				for i := 0; i < 9; i++ {
					e.Hints.ForNodes = append(e.Hints.ForNodes, discoveryv1.ForNode{Name: fmt.Sprintf("node-%d", i)})
				}
			})),
			want: []wantErr{{field.ErrorTypeTooMany, "endpoints[0].hints.forNodes"}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkErrs(t, ValidateEndpointSliceCreate(tc.slice), tc.want)
		})
	}
}

func TestValidateEndpointSliceUpdate(t *testing.T) {
	for _, tc := range []struct {
		name     string
		old, new *discoveryv1.EndpointSlice
		want     []wantErr
	}{
		{
			name: "valid and identical",
			old:  slice(nil),
			new:  slice(nil),
		},
		{
			name: "endpoints changed",
			old:  slice(nil),
			new:  slice(func(s *discoveryv1.EndpointSlice) { s.Endpoints = endpoints(3) }),
		},
		{
			name: "unchanged invalid endpoints are not revalidated",
			old:  slice(func(s *discoveryv1.EndpointSlice) { s.Endpoints[0].Addresses = []string{"10.1.2.04"} }),
			new:  slice(func(s *discoveryv1.EndpointSlice) { s.Endpoints[0].Addresses = []string{"10.1.2.04"} }),
		},
		{
			name: "changed endpoints are revalidated",
			old:  slice(nil),
			new:  slice(func(s *discoveryv1.EndpointSlice) { s.Endpoints[0].Addresses = []string{"10.1.2.03"} }),
			want: []wantErr{{field.ErrorTypeInvalid, "endpoints[0].addresses[0]"}},
		},
		{
			name: "invalid node name set",
			old:  slice(nil),
			new:  slice(func(s *discoveryv1.EndpointSlice) { s.Endpoints[0].NodeName = ptr.To("INVALID foo") }),
			want: []wantErr{{field.ErrorTypeInvalid, "endpoints[0].nodeName"}},
		},
		{
			name: "addressType is immutable",
			old:  slice(func(s *discoveryv1.EndpointSlice) { s.Endpoints = nil }),
			new:  slice(func(s *discoveryv1.EndpointSlice) { s.Endpoints = nil; s.AddressType = discoveryv1.AddressTypeFQDN }),
			want: []wantErr{{field.ErrorTypeInvalid, "addressType"}},
		},
		{
			name: "unsupported addressType stays unsupported",
			old:  slice(func(s *discoveryv1.EndpointSlice) { s.Endpoints = nil; s.AddressType = "IP" }),
			new:  slice(func(s *discoveryv1.EndpointSlice) { s.Endpoints = nil; s.AddressType = "IP" }),
			want: []wantErr{{field.ErrorTypeNotSupported, "addressType"}},
		},
		{
			name: "ports are always validated",
			old:  slice(nil),
			new:  slice(func(s *discoveryv1.EndpointSlice) { s.Ports[0].Protocol = ptr.To(corev1.Protocol("invalid")) }),
			want: []wantErr{{field.ErrorTypeNotSupported, "ports[0].protocol"}},
		},
		{
			name: "managed-by label may change",
			old:  slice(nil),
			new: slice(func(s *discoveryv1.EndpointSlice) {
				s.Labels["endpointslice.kubernetes.io/managed-by"] = "custom-controller.example.com"
			}),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkErrs(t, ValidateEndpointSliceUpdate(tc.new, tc.old), tc.want)
		})
	}
}
