package rbac

import (
	"context"
	"errors"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"

	rbacv1helpers "github.com/k1s-dev/k1s/apiserver/apis/rbac/v1"
	rbacauth "github.com/k1s-dev/k1s/apiserver/auth/rbac"
	"github.com/k1s-dev/k1s/apiserver/registry"
)

// guard decides whether a write of a role or binding escalates privileges.
type guard interface {
	// unrestricted reports whether the request's user may write any object of this
	// resource, so that no per-object check is needed.
	unrestricted(ctx context.Context) bool
	// check returns an error when writing obj (replacing old, nil on create) would
	// grant permissions the request's user does not hold.
	check(ctx context.Context, obj, old runtime.Object) error
}

// PolicyBasedStore is a role or binding store that refuses privilege escalation on create
// and update (patch and apply included). Everything else is the store's.
type PolicyBasedStore struct {
	*registry.Store
	guard guard
}

var (
	_ rest.StandardStorage     = &PolicyBasedStore{}
	_ rest.ResetFieldsStrategy = &PolicyBasedStore{}
)

// Create implements rest.Creater.
func (s *PolicyBasedStore) Create(ctx context.Context, obj runtime.Object, createValidation rest.ValidateObjectFunc, options *metav1.CreateOptions) (runtime.Object, error) {
	if !s.guard.unrestricted(ctx) {
		if err := s.guard.check(ctx, obj, nil); err != nil {
			return nil, err
		}
	}
	return s.Store.Create(ctx, obj, createValidation, options)
}

// Update implements rest.Updater. The check runs on the object the update produces
// (after patches are applied), unless the update only touches what the garbage
// collector changes.
func (s *PolicyBasedStore) Update(ctx context.Context, name string, objInfo rest.UpdatedObjectInfo, createValidation rest.ValidateObjectFunc, updateValidation rest.ValidateObjectUpdateFunc, forceAllowCreate bool, options *metav1.UpdateOptions) (runtime.Object, bool, error) {
	if s.guard.unrestricted(ctx) {
		return s.Store.Update(ctx, name, objInfo, createValidation, updateValidation, forceAllowCreate, options)
	}
	checked := rest.WrapUpdatedObjectInfo(objInfo, func(ctx context.Context, obj, old runtime.Object) (runtime.Object, error) {
		if IsOnlyMutatingGCFields(obj, old) {
			return obj, nil
		}
		if err := s.guard.check(ctx, obj, old); err != nil {
			return nil, err
		}
		return obj, nil
	})
	return s.Store.Update(ctx, name, checked, createValidation, updateValidation, forceAllowCreate, options)
}

// roleGuard: a Role may only grant what its author holds in its namespace.
type roleGuard struct {
	authz    authorizer.UnconditionalAuthorizer
	resolver rbacauth.AuthorizationRuleResolver
}

func (g roleGuard) unrestricted(ctx context.Context) bool {
	return EscalationAllowed(ctx) || RoleEscalationAuthorized(ctx, g.authz)
}

func (g roleGuard) check(ctx context.Context, obj, _ runtime.Object) error {
	role := obj.(*rbacv1.Role)
	if err := rbacauth.ConfirmNoEscalation(ctx, g.resolver, role.Rules); err != nil {
		return apierrors.NewForbidden(rbacv1.Resource("roles"), role.Name, err)
	}
	return nil
}

// clusterRoleGuard: a ClusterRole may only grant what its author holds cluster-wide, and
// only a holder of every permission may use an aggregationRule (it can gather anything).
type clusterRoleGuard struct {
	authz    authorizer.UnconditionalAuthorizer
	resolver rbacauth.AuthorizationRuleResolver
}

var fullAuthority = []rbacv1.PolicyRule{
	rbacv1helpers.NewRule("*").Groups("*").Resources("*").RuleOrDie(),
	rbacv1helpers.NewRule("*").URLs("*").RuleOrDie(),
}

func (g clusterRoleGuard) unrestricted(ctx context.Context) bool {
	return EscalationAllowed(ctx) || RoleEscalationAuthorized(ctx, g.authz)
}

func (g clusterRoleGuard) check(ctx context.Context, obj, old runtime.Object) error {
	role := obj.(*rbacv1.ClusterRole)
	if err := rbacauth.ConfirmNoEscalation(ctx, g.resolver, role.Rules); err != nil {
		return apierrors.NewForbidden(rbacv1.Resource("clusterroles"), role.Name, err)
	}
	aggregated := hasAggregationRule(role)
	if old != nil {
		// Changing or dropping an aggregation rule could stop tightening a role, too.
		aggregated = aggregated || hasAggregationRule(old.(*rbacv1.ClusterRole))
	}
	if aggregated {
		if err := rbacauth.ConfirmNoEscalation(ctx, g.resolver, fullAuthority); err != nil {
			return apierrors.NewForbidden(rbacv1.Resource("clusterroles"), role.Name, errors.New("must have cluster-admin privileges to use the aggregationRule"))
		}
	}
	return nil
}

func hasAggregationRule(role *rbacv1.ClusterRole) bool {
	return role.AggregationRule != nil && len(role.AggregationRule.ClusterRoleSelectors) > 0
}

// roleBindingGuard: a RoleBinding may only bind a role its author may "bind" in the
// binding's namespace, or whose permissions its author holds there.
type roleBindingGuard struct {
	authz    authorizer.UnconditionalAuthorizer
	resolver rbacauth.AuthorizationRuleResolver
}

func (g roleBindingGuard) unrestricted(ctx context.Context) bool {
	return EscalationAllowed(ctx)
}

func (g roleBindingGuard) check(ctx context.Context, obj, _ runtime.Object) error {
	// The namespace comes from the URL: the object's may still be empty here.
	namespace, ok := genericapirequest.NamespaceFrom(ctx)
	if !ok {
		return apierrors.NewBadRequest("namespace is required")
	}
	binding := obj.(*rbacv1.RoleBinding)
	return confirmBinding(ctx, g.authz, g.resolver, rbacv1.Resource("rolebindings"), binding.Name, binding.RoleRef, namespace)
}

// clusterRoleBindingGuard: a ClusterRoleBinding may only bind a ClusterRole its author may
// "bind" cluster-wide, or whose permissions its author holds cluster-wide.
type clusterRoleBindingGuard struct {
	authz    authorizer.UnconditionalAuthorizer
	resolver rbacauth.AuthorizationRuleResolver
}

func (g clusterRoleBindingGuard) unrestricted(ctx context.Context) bool {
	return EscalationAllowed(ctx)
}

func (g clusterRoleBindingGuard) check(ctx context.Context, obj, _ runtime.Object) error {
	binding := obj.(*rbacv1.ClusterRoleBinding)
	return confirmBinding(ctx, g.authz, g.resolver, rbacv1.Resource("clusterrolebindings"), binding.Name, binding.RoleRef, metav1.NamespaceNone)
}
