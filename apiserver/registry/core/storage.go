package core

import (
	"fmt"
	"maps"

	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/registry/rest"
)

// NewStorage returns the storage of every served core/v1 resource and subresource, keyed
// as the API installer wants ("pods", "pods/status", ...).
func NewStorage(optsGetter generic.RESTOptionsGetter, alloc *Allocators) (map[string]rest.Storage, error) {
	all := map[string]rest.Storage{}
	for _, build := range []func(generic.RESTOptionsGetter) (map[string]rest.Storage, error){
		newNamespaces, newNodes, newPods, newConfigMaps, newSecrets, newServiceAccounts, newEndpoints, newEvents,
		func(g generic.RESTOptionsGetter) (map[string]rest.Storage, error) { return newServices(g, alloc) },
	} {
		storage, err := build(optsGetter)
		if err != nil {
			return nil, fmt.Errorf("building core storage: %w", err)
		}
		maps.Copy(all, storage)
	}
	return all, nil
}
