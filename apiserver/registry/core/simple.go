// Package core holds the registries of the core (legacy, "") API group: the rules each
// resource follows on create, update and delete, and its stores.
package core

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/k1s-dev/k1s/apiserver/apis/core/validation"
	"github.com/k1s-dev/k1s/apiserver/registry"
)

// newConfigMaps serves configmaps; their content is opaque to the apiserver beyond key
// syntax, size and immutability.
func newConfigMaps(optsGetter generic.RESTOptionsGetter) (map[string]rest.Storage, error) {
	store, err := registry.NewStore(optsGetter, registry.StoreSpec[*corev1.ConfigMap]{
		Resource:   corev1.Resource("configmaps"),
		ShortNames: []string{"cm"},
		Singular:   "configmap",
		New:        func() *corev1.ConfigMap { return &corev1.ConfigMap{} },
		NewList:    func() runtime.Object { return &corev1.ConfigMapList{} },
		Strategy:   configMapStrategy,
	})
	if err != nil {
		return nil, err
	}
	return map[string]rest.Storage{"configmaps": store}, nil
}

// newSecrets serves secrets. Field selector "type" is upstream's.
func newSecrets(optsGetter generic.RESTOptionsGetter) (map[string]rest.Storage, error) {
	store, err := registry.NewStore(optsGetter, registry.StoreSpec[*corev1.Secret]{
		Resource: corev1.Resource("secrets"),
		Singular: "secret",
		New:      func() *corev1.Secret { return &corev1.Secret{} },
		NewList:  func() runtime.Object { return &corev1.SecretList{} },
		Strategy: secretStrategy,
		SelectableFields: func(obj *corev1.Secret) fields.Set {
			return fields.Set{"type": string(obj.Type)}
		},
	})
	if err != nil {
		return nil, err
	}
	return map[string]rest.Storage{"secrets": store}, nil
}

// mergeStringData folds the write-only stringData into data, as upstream's conversion
// does: stringData is never stored or returned.
func mergeStringData(secret *corev1.Secret) {
	if len(secret.StringData) == 0 {
		return
	}
	if secret.Data == nil {
		secret.Data = make(map[string][]byte, len(secret.StringData))
	}
	for k, v := range secret.StringData {
		secret.Data[k] = []byte(v)
	}
	secret.StringData = nil
}

// newServiceAccounts serves serviceaccounts; NewStorage adds the token subresource.
func newServiceAccounts(optsGetter generic.RESTOptionsGetter) (map[string]rest.Storage, error) {
	store, err := registry.NewStore(optsGetter, registry.StoreSpec[*corev1.ServiceAccount]{
		Resource:   corev1.Resource("serviceaccounts"),
		ShortNames: []string{"sa"},
		Singular:   "serviceaccount",
		New:        func() *corev1.ServiceAccount { return &corev1.ServiceAccount{} },
		NewList:    func() runtime.Object { return &corev1.ServiceAccountList{} },
		Strategy:   serviceAccountStrategy,
	})
	if err != nil {
		return nil, err
	}
	return map[string]rest.Storage{"serviceaccounts": store}, nil
}

// cleanSecretReferences keeps only the name of each secret reference, as upstream does:
// the other ObjectReference fields are meaningless there.
func cleanSecretReferences(sa *corev1.ServiceAccount) {
	for i, s := range sa.Secrets {
		sa.Secrets[i] = corev1.ObjectReference{Name: s.Name}
	}
}

// newEndpoints serves endpoints; PUT may create them, as the endpoints controller expects.
func newEndpoints(optsGetter generic.RESTOptionsGetter) (map[string]rest.Storage, error) {
	store, err := registry.NewStore(optsGetter, registry.StoreSpec[*corev1.Endpoints]{
		Resource:   corev1.Resource("endpoints"),
		ShortNames: []string{"ep"},
		Singular:   "endpoints",
		New:        func() *corev1.Endpoints { return &corev1.Endpoints{} },
		NewList:    func() runtime.Object { return &corev1.EndpointsList{} },
		Strategy:   endpointsStrategy,
	})
	if err != nil {
		return nil, err
	}
	return map[string]rest.Storage{"endpoints": store}, nil
}

var configMapStrategy = &registry.Strategy[*corev1.ConfigMap]{
	Namespaced: true,
	Validate: func(_ context.Context, obj *corev1.ConfigMap) field.ErrorList {
		return validation.ValidateConfigMap(obj)
	},
	ValidateUpdate: func(_ context.Context, obj, old *corev1.ConfigMap) field.ErrorList {
		return validation.ValidateConfigMapUpdate(obj, old)
	},
	AllowUnconditionalUpdate: true,
}

var secretStrategy = &registry.Strategy[*corev1.Secret]{
	Namespaced: true,
	PrepareForCreate: func(_ context.Context, secret *corev1.Secret) {
		mergeStringData(secret)
	},
	PrepareForUpdate: func(_ context.Context, secret, _ *corev1.Secret) {
		mergeStringData(secret)
	},
	Validate: func(_ context.Context, obj *corev1.Secret) field.ErrorList {
		return validation.ValidateSecret(obj)
	},
	ValidateUpdate: func(_ context.Context, obj, old *corev1.Secret) field.ErrorList {
		return validation.ValidateSecretUpdate(obj, old)
	},
	AllowUnconditionalUpdate: true,
}

var serviceAccountStrategy = &registry.Strategy[*corev1.ServiceAccount]{
	Namespaced: true,
	PrepareForCreate: func(_ context.Context, obj *corev1.ServiceAccount) {
		cleanSecretReferences(obj)
	},
	PrepareForUpdate: func(_ context.Context, obj, _ *corev1.ServiceAccount) {
		cleanSecretReferences(obj)
	},
	Validate: func(_ context.Context, obj *corev1.ServiceAccount) field.ErrorList {
		return validation.ValidateServiceAccount(obj)
	},
	ValidateUpdate: func(_ context.Context, obj, old *corev1.ServiceAccount) field.ErrorList {
		return validation.ValidateServiceAccountUpdate(obj, old)
	},
	AllowUnconditionalUpdate: true,
}

var endpointsStrategy = &registry.Strategy[*corev1.Endpoints]{
	Namespaced: true,
	Validate: func(_ context.Context, obj *corev1.Endpoints) field.ErrorList {
		return validation.ValidateEndpointsCreate(obj)
	},
	ValidateUpdate: func(_ context.Context, obj, old *corev1.Endpoints) field.ErrorList {
		return validation.ValidateEndpointsUpdate(obj, old)
	},
	AllowCreateOnUpdate:      true,
	AllowUnconditionalUpdate: true,
}
