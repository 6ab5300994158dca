package v1

import (
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// RegisterDefaults adds the defaulting functions of rbac/v1 to scheme, as upstream's
// generated zz_generated.defaults.go does.
func RegisterDefaults(scheme *runtime.Scheme) error {
	scheme.AddTypeDefaultingFunc(&rbacv1.ClusterRoleBinding{}, func(obj any) { SetObjectDefaults_ClusterRoleBinding(obj.(*rbacv1.ClusterRoleBinding)) })
	scheme.AddTypeDefaultingFunc(&rbacv1.ClusterRoleBindingList{}, func(obj any) {
		SetObjectDefaults_ClusterRoleBindingList(obj.(*rbacv1.ClusterRoleBindingList))
	})
	scheme.AddTypeDefaultingFunc(&rbacv1.RoleBinding{}, func(obj any) { SetObjectDefaults_RoleBinding(obj.(*rbacv1.RoleBinding)) })
	scheme.AddTypeDefaultingFunc(&rbacv1.RoleBindingList{}, func(obj any) { SetObjectDefaults_RoleBindingList(obj.(*rbacv1.RoleBindingList)) })
	return nil
}

// SetDefaults_ClusterRoleBinding defaults roleRef.apiGroup to rbac.authorization.k8s.io.
func SetDefaults_ClusterRoleBinding(obj *rbacv1.ClusterRoleBinding) {
	if len(obj.RoleRef.APIGroup) == 0 {
		obj.RoleRef.APIGroup = rbacv1.GroupName
	}
}

// SetDefaults_RoleBinding defaults roleRef.apiGroup to rbac.authorization.k8s.io.
func SetDefaults_RoleBinding(obj *rbacv1.RoleBinding) {
	if len(obj.RoleRef.APIGroup) == 0 {
		obj.RoleRef.APIGroup = rbacv1.GroupName
	}
}

// SetDefaults_Subject defaults a subject's apiGroup: "" for service accounts,
// rbac.authorization.k8s.io for users and groups.
func SetDefaults_Subject(obj *rbacv1.Subject) {
	if len(obj.APIGroup) == 0 {
		switch obj.Kind {
		case rbacv1.ServiceAccountKind:
			obj.APIGroup = ""
		case rbacv1.UserKind, rbacv1.GroupKind:
			obj.APIGroup = rbacv1.GroupName
		}
	}
}

func SetObjectDefaults_ClusterRoleBinding(in *rbacv1.ClusterRoleBinding) {
	SetDefaults_ClusterRoleBinding(in)
	for i := range in.Subjects {
		SetDefaults_Subject(&in.Subjects[i])
	}
}

func SetObjectDefaults_ClusterRoleBindingList(in *rbacv1.ClusterRoleBindingList) {
	for i := range in.Items {
		SetObjectDefaults_ClusterRoleBinding(&in.Items[i])
	}
}

func SetObjectDefaults_RoleBinding(in *rbacv1.RoleBinding) {
	SetDefaults_RoleBinding(in)
	for i := range in.Subjects {
		SetDefaults_Subject(&in.Subjects[i])
	}
}

func SetObjectDefaults_RoleBindingList(in *rbacv1.RoleBindingList) {
	for i := range in.Items {
		SetObjectDefaults_RoleBinding(&in.Items[i])
	}
}
