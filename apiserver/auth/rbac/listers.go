package rbac

import (
	"context"
	"errors"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/labels"
	rbacinformers "k8s.io/client-go/informers/rbac/v1"
	rbaclisters "k8s.io/client-go/listers/rbac/v1"
)

// NewFromInformers returns an RBAC authorizer reading through the listers of informers.
// It registers the four informers with their factory, so call it before the factory is
// started.
func NewFromInformers(informers rbacinformers.Interface) *RBACAuthorizer {
	return New(
		&RoleGetterFromLister{Lister: informers.Roles().Lister()},
		&RoleBindingListerFromLister{Lister: informers.RoleBindings().Lister()},
		&ClusterRoleGetterFromLister{Lister: informers.ClusterRoles().Lister()},
		&ClusterRoleBindingListerFromLister{Lister: informers.ClusterRoleBindings().Lister()},
	)
}

// RoleGetterFromLister adapts a RoleLister.
type RoleGetterFromLister struct {
	Lister rbaclisters.RoleLister
}

func (g *RoleGetterFromLister) GetRole(_ context.Context, namespace, name string) (*rbacv1.Role, error) {
	return g.Lister.Roles(namespace).Get(name)
}

// RoleBindingListerFromLister adapts a RoleBindingLister.
type RoleBindingListerFromLister struct {
	Lister rbaclisters.RoleBindingLister
}

func (l *RoleBindingListerFromLister) ListRoleBindings(_ context.Context, namespace string) ([]*rbacv1.RoleBinding, error) {
	return l.Lister.RoleBindings(namespace).List(labels.Everything())
}

// ClusterRoleGetterFromLister adapts a ClusterRoleLister.
type ClusterRoleGetterFromLister struct {
	Lister rbaclisters.ClusterRoleLister
}

func (g *ClusterRoleGetterFromLister) GetClusterRole(_ context.Context, name string) (*rbacv1.ClusterRole, error) {
	return g.Lister.Get(name)
}

// ClusterRoleBindingListerFromLister adapts a ClusterRoleBindingLister.
type ClusterRoleBindingListerFromLister struct {
	Lister rbaclisters.ClusterRoleBindingLister
}

func (l *ClusterRoleBindingListerFromLister) ListClusterRoleBindings(context.Context) ([]*rbacv1.ClusterRoleBinding, error) {
	return l.Lister.List(labels.Everything())
}

// StaticRoles resolves from fixed lists of objects; tests use it.
type StaticRoles struct {
	Roles               []*rbacv1.Role
	RoleBindings        []*rbacv1.RoleBinding
	ClusterRoles        []*rbacv1.ClusterRole
	ClusterRoleBindings []*rbacv1.ClusterRoleBinding
}

// NewStaticRuleResolver returns a rule resolver over fixed lists of objects.
func NewStaticRuleResolver(roles []*rbacv1.Role, roleBindings []*rbacv1.RoleBinding, clusterRoles []*rbacv1.ClusterRole, clusterRoleBindings []*rbacv1.ClusterRoleBinding) *DefaultRuleResolver {
	r := &StaticRoles{Roles: roles, RoleBindings: roleBindings, ClusterRoles: clusterRoles, ClusterRoleBindings: clusterRoleBindings}
	return NewDefaultRuleResolver(r, r, r, r)
}

func (r *StaticRoles) GetRole(_ context.Context, namespace, name string) (*rbacv1.Role, error) {
	if len(namespace) == 0 {
		return nil, errors.New("must provide namespace when getting role")
	}
	for _, role := range r.Roles {
		if role.Namespace == namespace && role.Name == name {
			return role, nil
		}
	}
	return nil, errors.New("role not found")
}

func (r *StaticRoles) GetClusterRole(_ context.Context, name string) (*rbacv1.ClusterRole, error) {
	for _, clusterRole := range r.ClusterRoles {
		if clusterRole.Name == name {
			return clusterRole, nil
		}
	}
	return nil, errors.New("clusterrole not found")
}

func (r *StaticRoles) ListRoleBindings(_ context.Context, namespace string) ([]*rbacv1.RoleBinding, error) {
	if len(namespace) == 0 {
		return nil, errors.New("must provide namespace when listing role bindings")
	}
	var roleBindings []*rbacv1.RoleBinding
	for _, roleBinding := range r.RoleBindings {
		if roleBinding.Namespace == namespace {
			roleBindings = append(roleBindings, roleBinding)
		}
	}
	return roleBindings, nil
}

func (r *StaticRoles) ListClusterRoleBindings(context.Context) ([]*rbacv1.ClusterRoleBinding, error) {
	return r.ClusterRoleBindings, nil
}
