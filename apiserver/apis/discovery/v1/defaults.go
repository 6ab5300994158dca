package v1

import (
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
)

// RegisterDefaults adds defaulters functions to the given scheme.
// Public to allow building arbitrary schemes.
// All defaulters are covering - they call all nested defaulters.
func RegisterDefaults(scheme *runtime.Scheme) error {
	scheme.AddTypeDefaultingFunc(&discoveryv1.EndpointSlice{}, func(obj interface{}) { SetObjectDefaults_EndpointSlice(obj.(*discoveryv1.EndpointSlice)) })
	scheme.AddTypeDefaultingFunc(&discoveryv1.EndpointSliceList{}, func(obj interface{}) { SetObjectDefaults_EndpointSliceList(obj.(*discoveryv1.EndpointSliceList)) })
	return nil
}

// SetDefaults_EndpointPort allocates fresh values where upstream points every
// defaulted port at two shared package variables; the stored result is the
// same, but a later in-place edit of one port cannot leak into the others.
func SetDefaults_EndpointPort(obj *discoveryv1.EndpointPort) {
	if obj.Name == nil {
		obj.Name = ptr.To("")
	}

	if obj.Protocol == nil {
		obj.Protocol = ptr.To(corev1.ProtocolTCP)
	}
}

func SetObjectDefaults_EndpointSlice(in *discoveryv1.EndpointSlice) {
	for i := range in.Ports {
		SetDefaults_EndpointPort(&in.Ports[i])
	}
}

func SetObjectDefaults_EndpointSliceList(in *discoveryv1.EndpointSliceList) {
	for i := range in.Items {
		SetObjectDefaults_EndpointSlice(&in.Items[i])
	}
}
