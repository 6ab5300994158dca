// Package coordination holds the registry of coordination.k8s.io: leases, which kubelets
// renew as their heartbeat and controllers use for leader election.
package coordination

import (
	"context"

	coordinationv1 "k8s.io/api/coordination/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/k1s-dev/k1s/apiserver/apis/coordination/validation"
	"github.com/k1s-dev/k1s/apiserver/registry"
)

// NewStorage returns the storage of coordination.k8s.io/v1.
func NewStorage(optsGetter generic.RESTOptionsGetter) (map[string]rest.Storage, error) {
	store, err := registry.NewStore(optsGetter, registry.StoreSpec[*coordinationv1.Lease]{
		Resource: coordinationv1.Resource("leases"),
		Singular: "lease",
		New:      func() *coordinationv1.Lease { return &coordinationv1.Lease{} },
		NewList:  func() runtime.Object { return &coordinationv1.LeaseList{} },
		Strategy: &registry.Strategy[*coordinationv1.Lease]{
			Namespaced: true,
			Validate: func(_ context.Context, lease *coordinationv1.Lease) field.ErrorList {
				return validation.ValidateLease(lease)
			},
			ValidateUpdate: func(_ context.Context, lease, old *coordinationv1.Lease) field.ErrorList {
				return validation.ValidateLeaseUpdate(lease, old)
			},
			AllowUnconditionalUpdate: true,
		},
	})
	if err != nil {
		return nil, err
	}
	return map[string]rest.Storage{"leases": store}, nil
}
