// Package discovery holds the registry of discovery.k8s.io: endpointslices.
package discovery

import (
	"context"

	discoveryv1 "k8s.io/api/discovery/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/k1s-dev/k1s/apiserver/apis/discovery/validation"
	"github.com/k1s-dev/k1s/apiserver/registry"
)

// NewStorage returns the storage of discovery.k8s.io/v1.
func NewStorage(optsGetter generic.RESTOptionsGetter) (map[string]rest.Storage, error) {
	store, err := registry.NewStore(optsGetter, registry.StoreSpec[*discoveryv1.EndpointSlice]{
		Resource: discoveryv1.Resource("endpointslices"),
		Singular: "endpointslice",
		New:      func() *discoveryv1.EndpointSlice { return &discoveryv1.EndpointSlice{} },
		NewList:  func() runtime.Object { return &discoveryv1.EndpointSliceList{} },
		Strategy: &registry.Strategy[*discoveryv1.EndpointSlice]{
			Namespaced: true,
			PrepareForCreate: func(_ context.Context, slice *discoveryv1.EndpointSlice) {
				slice.Generation = 1
			},
			PrepareForUpdate: func(_ context.Context, slice, old *discoveryv1.EndpointSlice) {
				// Upstream bumps generation on any change but metadata.
				if !apiequality.Semantic.DeepEqual(slice.Endpoints, old.Endpoints) ||
					!apiequality.Semantic.DeepEqual(slice.Ports, old.Ports) ||
					slice.AddressType != old.AddressType {
					slice.Generation = old.Generation + 1
				}
			},
			Validate: func(_ context.Context, slice *discoveryv1.EndpointSlice) field.ErrorList {
				return validation.ValidateEndpointSlice(slice, nil)
			},
			ValidateUpdate: func(_ context.Context, slice, old *discoveryv1.EndpointSlice) field.ErrorList {
				return validation.ValidateEndpointSliceUpdate(slice, old)
			},
			AllowUnconditionalUpdate: true,
		},
	})
	if err != nil {
		return nil, err
	}
	return map[string]rest.Storage{"endpointslices": store}, nil
}
