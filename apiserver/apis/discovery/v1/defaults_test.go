package v1

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
)

func TestDefaults(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := RegisterDefaults(scheme); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		in   runtime.Object
		want runtime.Object
	}{{
		name: "no ports",
		in:   &discoveryv1.EndpointSlice{AddressType: discoveryv1.AddressTypeIPv4},
		want: &discoveryv1.EndpointSlice{AddressType: discoveryv1.AddressTypeIPv4},
	}, {
		name: "port name and protocol",
		in: &discoveryv1.EndpointSlice{Ports: []discoveryv1.EndpointPort{
			{Port: ptr.To[int32](80)},
			{Name: ptr.To("dns"), Protocol: ptr.To(corev1.ProtocolUDP), Port: ptr.To[int32](53)},
		}},
		want: &discoveryv1.EndpointSlice{Ports: []discoveryv1.EndpointPort{
			{Name: ptr.To(""), Protocol: ptr.To(corev1.ProtocolTCP), Port: ptr.To[int32](80)},
			{Name: ptr.To("dns"), Protocol: ptr.To(corev1.ProtocolUDP), Port: ptr.To[int32](53)},
		}},
	}, {
		name: "list",
		in:   &discoveryv1.EndpointSliceList{Items: []discoveryv1.EndpointSlice{{Ports: []discoveryv1.EndpointPort{{}}}}},
		want: &discoveryv1.EndpointSliceList{Items: []discoveryv1.EndpointSlice{{Ports: []discoveryv1.EndpointPort{
			{Name: ptr.To(""), Protocol: ptr.To(corev1.ProtocolTCP)},
		}}}},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.in.DeepCopyObject()
			scheme.Default(got)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("unexpected defaulting result (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("defaulted ports do not share pointers", func(t *testing.T) {
		s := &discoveryv1.EndpointSlice{Ports: []discoveryv1.EndpointPort{{}, {}}}
		SetObjectDefaults_EndpointSlice(s)
		*s.Ports[0].Name = "changed"
		*s.Ports[0].Protocol = corev1.ProtocolUDP
		if *s.Ports[1].Name != "" || *s.Ports[1].Protocol != corev1.ProtocolTCP {
			t.Errorf("second port changed with the first: %v %v", *s.Ports[1].Name, *s.Ports[1].Protocol)
		}
	})
}
