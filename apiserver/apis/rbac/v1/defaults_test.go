package v1

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

func TestDefaults(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := RegisterDefaults(scheme); err != nil {
		t.Fatal(err)
	}
	subjectsIn := []rbacv1.Subject{
		{Kind: rbacv1.UserKind, Name: "alice"},
		{Kind: rbacv1.GroupKind, Name: "devs"},
		{Kind: rbacv1.ServiceAccountKind, Name: "sa", Namespace: "ns"},
		{Kind: rbacv1.UserKind, Name: "bob", APIGroup: "other.example.com"}, // kept: validation rejects it
		{Kind: "Robot", Name: "r"},
	}
	subjectsOut := []rbacv1.Subject{
		{Kind: rbacv1.UserKind, Name: "alice", APIGroup: rbacv1.GroupName},
		{Kind: rbacv1.GroupKind, Name: "devs", APIGroup: rbacv1.GroupName},
		{Kind: rbacv1.ServiceAccountKind, Name: "sa", Namespace: "ns"},
		{Kind: rbacv1.UserKind, Name: "bob", APIGroup: "other.example.com"},
		{Kind: "Robot", Name: "r"},
	}
	ref := rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "view"}
	for _, tc := range []struct {
		name    string
		in, out runtime.Object
	}{
		{"RoleBinding",
			&rbacv1.RoleBinding{RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "view"}, Subjects: subjectsIn},
			&rbacv1.RoleBinding{RoleRef: ref, Subjects: subjectsOut}},
		{"ClusterRoleBinding",
			&rbacv1.ClusterRoleBinding{RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "view"}, Subjects: subjectsIn},
			&rbacv1.ClusterRoleBinding{RoleRef: ref, Subjects: subjectsOut}},
		{"RoleBindingList",
			&rbacv1.RoleBindingList{Items: []rbacv1.RoleBinding{{RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "view"}}}},
			&rbacv1.RoleBindingList{Items: []rbacv1.RoleBinding{{RoleRef: ref}}}},
		{"ClusterRoleBindingList",
			&rbacv1.ClusterRoleBindingList{Items: []rbacv1.ClusterRoleBinding{{RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "view"}}}},
			&rbacv1.ClusterRoleBindingList{Items: []rbacv1.ClusterRoleBinding{{RoleRef: ref}}}},
		{"explicit API group kept",
			&rbacv1.RoleBinding{RoleRef: rbacv1.RoleRef{APIGroup: "other", Kind: "Role", Name: "r"}},
			&rbacv1.RoleBinding{RoleRef: rbacv1.RoleRef{APIGroup: "other", Kind: "Role", Name: "r"}}},
		{"roles have no defaults", &rbacv1.ClusterRole{}, &rbacv1.ClusterRole{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.in.DeepCopyObject()
			scheme.Default(got)
			if diff := cmp.Diff(tc.out, got); diff != "" {
				t.Errorf("defaulted (-want +got):\n%s", diff)
			}
		})
	}
}
