package rbac

import (
	"context"
	"reflect"

	rbacv1 "k8s.io/api/rbac/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"

	rbacauth "github.com/k1s-dev/k1s/apiserver/auth/rbac"
)

// EscalationAllowed reports whether the user of ctx is a member of system:masters. The
// apiserver's loopback client is one, so it may always write roles and bindings.
func EscalationAllowed(ctx context.Context) bool {
	u, ok := genericapirequest.UserFrom(ctx)
	if !ok {
		return false
	}
	for _, group := range u.GetGroups() {
		if group == user.SystemPrivilegedGroup {
			return true
		}
	}
	return false
}

var roleResources = map[schema.GroupResource]bool{
	rbacv1.Resource("clusterroles"): true,
	rbacv1.Resource("roles"):        true,
}

// RoleEscalationAuthorized reports whether the user of ctx may "escalate" the role the
// request is about, which lets them write any rules into it.
func RoleEscalationAuthorized(ctx context.Context, a authorizer.UnconditionalAuthorizer) bool {
	if a == nil {
		return false
	}
	u, ok := genericapirequest.UserFrom(ctx)
	if !ok {
		return false
	}
	requestInfo, ok := genericapirequest.RequestInfoFrom(ctx)
	if !ok || !requestInfo.IsResourceRequest {
		return false
	}
	requestResource := schema.GroupResource{Group: requestInfo.APIGroup, Resource: requestInfo.Resource}
	if !roleResources[requestResource] {
		return false
	}
	attrs := authorizer.AttributesRecord{
		User:            u,
		Verb:            "escalate",
		APIGroup:        requestInfo.APIGroup,
		APIVersion:      "*",
		Resource:        requestInfo.Resource,
		Name:            requestInfo.Name,
		Namespace:       requestInfo.Namespace,
		ResourceRequest: true,
	}
	decision, _, err := a.Authorize(ctx, attrs)
	if err != nil {
		utilruntime.HandleErrorWithContext(ctx, err, "Authorizing escalate", "user", u.GetName(), "resource", requestResource, "name", requestInfo.Name, "namespace", requestInfo.Namespace)
	}
	return decision == authorizer.DecisionAllow
}

// BindingAuthorized reports whether the user of ctx may "bind" roleRef in
// bindingNamespace ("" for a ClusterRoleBinding). Checking in the binding's namespace
// lets an admin delegate binding particular ClusterRoles in particular namespaces.
func BindingAuthorized(ctx context.Context, roleRef rbacv1.RoleRef, bindingNamespace string, a authorizer.UnconditionalAuthorizer) bool {
	if a == nil {
		return false
	}
	u, ok := genericapirequest.UserFrom(ctx)
	if !ok {
		return false
	}
	attrs := authorizer.AttributesRecord{
		User:            u,
		Verb:            "bind",
		Namespace:       bindingNamespace,
		ResourceRequest: true,
		// Defaulted and validated, so the roleRef's fields are final.
		APIGroup:   roleRef.APIGroup,
		APIVersion: "*",
		Name:       roleRef.Name,
	}
	switch roleRef.Kind {
	case "ClusterRole":
		attrs.Resource = "clusterroles"
	case "Role":
		attrs.Resource = "roles"
	default:
		return false
	}
	decision, _, err := a.Authorize(ctx, attrs)
	if err != nil {
		utilruntime.HandleErrorWithContext(ctx, err, "Authorizing bind", "user", u.GetName(), "roleRef", roleRef, "namespace", bindingNamespace)
	}
	return decision == authorizer.DecisionAllow
}

// confirmBinding allows a binding of roleRef when its author may bind that role or holds
// every permission the role grants.
func confirmBinding(ctx context.Context, a authorizer.UnconditionalAuthorizer, resolver rbacauth.AuthorizationRuleResolver, resource schema.GroupResource, name string, roleRef rbacv1.RoleRef, namespace string) error {
	if BindingAuthorized(ctx, roleRef, namespace, a) {
		return nil
	}
	rules, err := resolver.GetRoleReferenceRules(ctx, roleRef, namespace)
	if err != nil {
		return err
	}
	if err := rbacauth.ConfirmNoEscalation(ctx, resolver, rules); err != nil {
		return apierrors.NewForbidden(resource, name, err)
	}
	return nil
}

// IsOnlyMutatingGCFields reports whether obj differs from old only in what the garbage
// collector changes (owner references, finalizers), so such updates need no escalation
// check.
func IsOnlyMutatingGCFields(obj, old runtime.Object) bool {
	if old == nil || reflect.ValueOf(old).IsNil() {
		return false
	}
	copied := obj.DeepCopyObject()
	copiedMeta, err := meta.Accessor(copied)
	if err != nil {
		return false
	}
	oldMeta, err := meta.Accessor(old)
	if err != nil {
		return false
	}
	copiedMeta.SetOwnerReferences(oldMeta.GetOwnerReferences())
	copiedMeta.SetFinalizers(oldMeta.GetFinalizers())
	copiedMeta.SetSelfLink(oldMeta.GetSelfLink())
	copiedMeta.SetManagedFields(oldMeta.GetManagedFields())
	return apiequality.Semantic.DeepEqual(copied, old)
}
