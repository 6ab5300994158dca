package rbac

import (
	"context"

	rbacv1 "k8s.io/api/rbac/v1"
	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/k1s-dev/k1s/apiserver/apis/rbac/validation"
	rbacauth "github.com/k1s-dev/k1s/apiserver/auth/rbac"
	"github.com/k1s-dev/k1s/apiserver/registry"
)

// NewStorage returns the storage of rbac.authorization.k8s.io/v1. authz is the server's
// authorizer, asked whether a user may "escalate" or "bind".
func NewStorage(optsGetter generic.RESTOptionsGetter, authz authorizer.UnconditionalAuthorizer) (map[string]rest.Storage, error) {
	roles, err := registry.NewStore(optsGetter, registry.StoreSpec[*rbacv1.Role]{
		Resource: rbacv1.Resource("roles"),
		Singular: "role",
		New:      func() *rbacv1.Role { return &rbacv1.Role{} },
		NewList:  func() runtime.Object { return &rbacv1.RoleList{} },
		Strategy: &registry.Strategy[*rbacv1.Role]{
			Namespaced: true,
			Validate: func(_ context.Context, role *rbacv1.Role) field.ErrorList {
				return validation.ValidateRole(role)
			},
			ValidateUpdate: func(_ context.Context, role, old *rbacv1.Role) field.ErrorList {
				return validation.ValidateRoleUpdate(role, old)
			},
			AllowCreateOnUpdate:      true,
			AllowUnconditionalUpdate: true,
		},
	})
	if err != nil {
		return nil, err
	}
	clusterRoles, err := registry.NewStore(optsGetter, registry.StoreSpec[*rbacv1.ClusterRole]{
		Resource: rbacv1.Resource("clusterroles"),
		Singular: "clusterrole",
		New:      func() *rbacv1.ClusterRole { return &rbacv1.ClusterRole{} },
		NewList:  func() runtime.Object { return &rbacv1.ClusterRoleList{} },
		Strategy: &registry.Strategy[*rbacv1.ClusterRole]{
			Validate: func(_ context.Context, role *rbacv1.ClusterRole) field.ErrorList {
				return validation.ValidateClusterRole(role, validation.ClusterRoleValidationOptions{})
			},
			ValidateUpdate: func(_ context.Context, role, old *rbacv1.ClusterRole) field.ErrorList {
				opts := validation.ClusterRoleValidationOptions{AllowInvalidLabelValueInSelector: validation.HasInvalidLabelValueInAggregationRule(old)}
				return validation.ValidateClusterRoleUpdate(role, old, opts)
			},
			AllowCreateOnUpdate:      true,
			AllowUnconditionalUpdate: true,
		},
	})
	if err != nil {
		return nil, err
	}
	roleBindings, err := registry.NewStore(optsGetter, registry.StoreSpec[*rbacv1.RoleBinding]{
		Resource: rbacv1.Resource("rolebindings"),
		Singular: "rolebinding",
		New:      func() *rbacv1.RoleBinding { return &rbacv1.RoleBinding{} },
		NewList:  func() runtime.Object { return &rbacv1.RoleBindingList{} },
		Strategy: &registry.Strategy[*rbacv1.RoleBinding]{
			Namespaced: true,
			Validate: func(_ context.Context, binding *rbacv1.RoleBinding) field.ErrorList {
				return validation.ValidateRoleBinding(binding)
			},
			ValidateUpdate: func(_ context.Context, binding, old *rbacv1.RoleBinding) field.ErrorList {
				return validation.ValidateRoleBindingUpdate(binding, old)
			},
			AllowCreateOnUpdate:      true,
			AllowUnconditionalUpdate: true,
		},
	})
	if err != nil {
		return nil, err
	}
	clusterRoleBindings, err := registry.NewStore(optsGetter, registry.StoreSpec[*rbacv1.ClusterRoleBinding]{
		Resource: rbacv1.Resource("clusterrolebindings"),
		Singular: "clusterrolebinding",
		New:      func() *rbacv1.ClusterRoleBinding { return &rbacv1.ClusterRoleBinding{} },
		NewList:  func() runtime.Object { return &rbacv1.ClusterRoleBindingList{} },
		Strategy: &registry.Strategy[*rbacv1.ClusterRoleBinding]{
			Validate: func(_ context.Context, binding *rbacv1.ClusterRoleBinding) field.ErrorList {
				return validation.ValidateClusterRoleBinding(binding)
			},
			ValidateUpdate: func(_ context.Context, binding, old *rbacv1.ClusterRoleBinding) field.ErrorList {
				return validation.ValidateClusterRoleBindingUpdate(binding, old)
			},
			AllowCreateOnUpdate:      true,
			AllowUnconditionalUpdate: true,
		},
	})
	if err != nil {
		return nil, err
	}

	resolver := rbacauth.NewDefaultRuleResolver(
		storeReader{roles.Store}, storeReader{roleBindings.Store}, storeReader{clusterRoles.Store}, storeReader{clusterRoleBindings.Store})
	return map[string]rest.Storage{
		"roles":               &PolicyBasedStore{Store: roles, guard: roleGuard{authz, resolver}},
		"clusterroles":        &PolicyBasedStore{Store: clusterRoles, guard: clusterRoleGuard{authz, resolver}},
		"rolebindings":        &PolicyBasedStore{Store: roleBindings, guard: roleBindingGuard{authz, resolver}},
		"clusterrolebindings": &PolicyBasedStore{Store: clusterRoleBindings, guard: clusterRoleBindingGuard{authz, resolver}},
	}, nil
}

// storeReader reads roles and bindings from a store, for the escalation checks.
type storeReader struct {
	store interface {
		rest.Getter
		rest.Lister
	}
}

func (s storeReader) GetRole(ctx context.Context, namespace, name string) (*rbacv1.Role, error) {
	obj, err := s.store.Get(genericapirequest.WithNamespace(ctx, namespace), name, &metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	return obj.(*rbacv1.Role), nil
}

func (s storeReader) GetClusterRole(ctx context.Context, name string) (*rbacv1.ClusterRole, error) {
	obj, err := s.store.Get(genericapirequest.WithNamespace(ctx, metav1.NamespaceNone), name, &metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	return obj.(*rbacv1.ClusterRole), nil
}

func (s storeReader) ListRoleBindings(ctx context.Context, namespace string) ([]*rbacv1.RoleBinding, error) {
	obj, err := s.store.List(genericapirequest.WithNamespace(ctx, namespace), &metainternalversion.ListOptions{})
	if err != nil {
		return nil, err
	}
	list := obj.(*rbacv1.RoleBindingList)
	out := make([]*rbacv1.RoleBinding, len(list.Items))
	for i := range list.Items {
		out[i] = &list.Items[i]
	}
	return out, nil
}

func (s storeReader) ListClusterRoleBindings(ctx context.Context) ([]*rbacv1.ClusterRoleBinding, error) {
	obj, err := s.store.List(genericapirequest.WithNamespace(ctx, metav1.NamespaceNone), &metainternalversion.ListOptions{})
	if err != nil {
		return nil, err
	}
	list := obj.(*rbacv1.ClusterRoleBindingList)
	out := make([]*rbacv1.ClusterRoleBinding, len(list.Items))
	for i := range list.Items {
		out[i] = &list.Items[i]
	}
	return out, nil
}
