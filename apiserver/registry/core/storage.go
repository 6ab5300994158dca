package core

import (
	"fmt"
	"maps"

	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/registry/rest"
	policyclient "k8s.io/client-go/kubernetes/typed/policy/v1"
)

// NewStorage returns the storage of every served core/v1 resource and subresource, keyed
// as the API installer wants ("pods", "pods/status", ...). tokens, when not nil, adds
// serviceaccounts/token; pdbs, when not nil, adds pods/eviction, which reads and
// decrements PodDisruptionBudgets through it.
func NewStorage(optsGetter generic.RESTOptionsGetter, alloc *Allocators, tokens *TokenRequestOptions, pdbs policyclient.PodDisruptionBudgetsGetter) (map[string]rest.Storage, error) {
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
	if tokens != nil {
		// The token subresource reads the service account and the objects a token is
		// bound to through their stores, as upstream's does.
		all["serviceaccounts/token"] = newTokenREST(all["serviceaccounts"].(rest.Getter), all["pods"].(rest.Getter),
			all["secrets"].(rest.Getter), all["nodes"].(rest.Getter), *tokens)
	}
	if pdbs != nil {
		all["pods/eviction"] = newEvictionREST(all["pods"].(podStore), all["pods/status"].(rest.Updater), pdbs)
	}
	return all, nil
}
