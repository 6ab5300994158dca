package bootstrappolicy

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"sigs.k8s.io/yaml"

	rbacv1helpers "github.com/k1s-dev/k1s/apiserver/apis/rbac/v1"
	"github.com/k1s-dev/k1s/apiserver/apis/rbac/validation"
)

// The upstream-*.yaml files are k8s.io/kubernetes v1.37.2's golden files
// (plugin/pkg/auth/authorizer/rbac/bootstrappolicy/testdata), generated with the default
// feature gates. Every object k1s ports must equal upstream's.

func loadUpstream[T any](t *testing.T, name string) map[string]T {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		metav1.TypeMeta `json:",inline"`
		Items           []T `json:"items"`
	}
	if err := yaml.Unmarshal(data, &list); err != nil {
		t.Fatalf("parsing %s: %v", name, err)
	}
	out := map[string]T{}
	for _, item := range list.Items {
		name, err := getName(any(&item))
		if err != nil {
			t.Fatal(err)
		}
		out[name] = item
	}
	return out
}

func getName(obj any) (string, error) {
	switch o := obj.(type) {
	case *rbacv1.ClusterRole:
		return o.Name, nil
	case *rbacv1.ClusterRoleBinding:
		return o.Name, nil
	}
	return "", nil
}

// k1sOnly are bootstrap objects upstream does not have; k1sOnlyBindings are
// bindings of upstream roles that upstream does not bind.
var (
	k1sOnly         = sets.New(CloudControllerManager)
	k1sOnlyBindings = k1sOnly.Clone().Insert(KubeletAPIAdmin)
)

func TestClusterRolesMatchUpstream(t *testing.T) {
	upstream := loadUpstream[rbacv1.ClusterRole](t, "upstream-cluster-roles.yaml")
	for k, v := range loadUpstream[rbacv1.ClusterRole](t, "upstream-controller-roles.yaml") {
		upstream[k] = v
	}
	for _, role := range AllClusterRoles() {
		if k1sOnly.Has(role.Name) {
			continue
		}
		t.Run(role.Name, func(t *testing.T) {
			want, ok := upstream[role.Name]
			if !ok {
				t.Fatalf("upstream has no ClusterRole %q", role.Name)
			}
			want.APIVersion, want.Kind = "", ""
			if diff := cmp.Diff(want, role); diff != "" {
				t.Errorf("differs from upstream (-upstream +k1s):\n%s", diff)
			}
		})
	}
}

func TestClusterRoleBindingsMatchUpstream(t *testing.T) {
	upstream := loadUpstream[rbacv1.ClusterRoleBinding](t, "upstream-cluster-role-bindings.yaml")
	for k, v := range loadUpstream[rbacv1.ClusterRoleBinding](t, "upstream-controller-role-bindings.yaml") {
		upstream[k] = v
	}
	for _, binding := range AllClusterRoleBindings() {
		if k1sOnlyBindings.Has(binding.Name) {
			continue
		}
		t.Run(binding.Name, func(t *testing.T) {
			want, ok := upstream[binding.Name]
			if !ok {
				t.Fatalf("upstream has no ClusterRoleBinding %q", binding.Name)
			}
			want.APIVersion, want.Kind = "", ""
			if diff := cmp.Diff(want, binding); diff != "" {
				t.Errorf("differs from upstream (-upstream +k1s):\n%s", diff)
			}
		})
	}
}

// TestRequiredObjects pins the set k1s promises (the security issue's list).
func TestRequiredObjects(t *testing.T) {
	roles := sets.New[string]()
	for _, r := range AllClusterRoles() {
		roles.Insert(r.Name)
	}
	for _, name := range []string{
		"cluster-admin", "admin", "edit", "view",
		"system:aggregate-to-admin", "system:aggregate-to-edit", "system:aggregate-to-view",
		"system:basic-user", "system:discovery", "system:public-info-viewer", "system:node", "system:node-bootstrapper",
		"system:kube-scheduler", "system:kube-controller-manager", "system:cloud-controller-manager",
		"system:monitoring", "system:node-proxier",
		"system:controller:node-controller", "system:controller:route-controller", "system:controller:service-controller",
	} {
		if !roles.Has(name) {
			t.Errorf("missing ClusterRole %s", name)
		}
	}

	bindings := map[string][]rbacv1.Subject{}
	for _, b := range AllClusterRoleBindings() {
		if b.RoleRef.Name != b.Name {
			t.Errorf("binding %s binds %s", b.Name, b.RoleRef.Name)
		}
		bindings[b.Name] = b.Subjects
	}
	group := func(name string) rbacv1.Subject {
		return rbacv1.Subject{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: name}
	}
	userSubject := func(name string) rbacv1.Subject {
		return rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: name}
	}
	for name, want := range map[string][]rbacv1.Subject{
		"cluster-admin":                   {group("system:masters")},
		"system:basic-user":               {group("system:authenticated")},
		"system:discovery":                {group("system:authenticated")},
		"system:public-info-viewer":       {group("system:authenticated"), group("system:unauthenticated")},
		"system:kube-scheduler":           {userSubject("system:kube-scheduler")},
		"system:kube-controller-manager":  {userSubject("system:kube-controller-manager")},
		"system:cloud-controller-manager": {userSubject("system:cloud-controller-manager")},
		"system:kubelet-api-admin":        {userSubject("kube-apiserver-kubelet-client")},
		"system:node":                     nil,
		"system:controller:node-controller": {
			{Kind: rbacv1.ServiceAccountKind, Namespace: "kube-system", Name: "node-controller"},
		},
	} {
		got, ok := bindings[name]
		if !ok {
			t.Errorf("missing ClusterRoleBinding %s", name)
			continue
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("subjects of %s (-want +got):\n%s", name, diff)
		}
	}
}

func TestObjectsAreValidAndMarked(t *testing.T) {
	names := sets.New[string]()
	for _, role := range AllClusterRoles() {
		if names.Has(role.Name) {
			t.Errorf("ClusterRole %s defined twice", role.Name)
		}
		names.Insert(role.Name)
		if errs := validation.ValidateClusterRole(&role, validation.ClusterRoleValidationOptions{}); len(errs) > 0 {
			t.Errorf("ClusterRole %s is invalid: %v", role.Name, errs)
		}
		if role.Labels["kubernetes.io/bootstrapping"] != "rbac-defaults" || role.Annotations[rbacv1.AutoUpdateAnnotationKey] != "true" {
			t.Errorf("ClusterRole %s lacks the bootstrap label or annotation: %v %v", role.Name, role.Labels, role.Annotations)
		}
	}
	for _, binding := range AllClusterRoleBindings() {
		if !names.Has(binding.RoleRef.Name) {
			t.Errorf("ClusterRoleBinding %s binds the unknown ClusterRole %s", binding.Name, binding.RoleRef.Name)
		}
		if errs := validation.ValidateClusterRoleBinding(&binding); len(errs) > 0 {
			t.Errorf("ClusterRoleBinding %s is invalid: %v", binding.Name, errs)
		}
		if binding.Labels["kubernetes.io/bootstrapping"] != "rbac-defaults" || binding.Annotations[rbacv1.AutoUpdateAnnotationKey] != "true" {
			t.Errorf("ClusterRoleBinding %s lacks the bootstrap label or annotation", binding.Name)
		}
	}
}

func TestCloudControllerManagerRole(t *testing.T) {
	var role *rbacv1.ClusterRole
	for _, r := range ClusterRoles() {
		if r.Name == CloudControllerManager {
			role = &r
		}
	}
	if role == nil {
		t.Fatal("no cloud controller manager role")
	}
	// SPEC 8.1's documented role, plus services/status and the leader-election lease.
	for _, want := range []rbacv1.PolicyRule{
		rbacv1helpers.NewRule("create", "patch", "update").Groups("").Resources("events").RuleOrDie(),
		rbacv1helpers.NewRule("*").Groups("").Resources("nodes").RuleOrDie(),
		rbacv1helpers.NewRule("patch").Groups("").Resources("nodes/status").RuleOrDie(),
		rbacv1helpers.NewRule("list", "patch", "update", "watch").Groups("").Resources("services").RuleOrDie(),
		rbacv1helpers.NewRule("patch", "update").Groups("").Resources("services/status").RuleOrDie(),
		rbacv1helpers.NewRule("create").Groups("").Resources("serviceaccounts").RuleOrDie(),
		rbacv1helpers.NewRule("get", "list", "update", "watch").Groups("").Resources("persistentvolumes").RuleOrDie(),
		rbacv1helpers.NewRule("create", "get", "list", "watch", "update").Groups("").Resources("endpoints").RuleOrDie(),
		rbacv1helpers.NewRule("create").Groups("coordination.k8s.io").Resources("leases").RuleOrDie(),
		rbacv1helpers.NewRule("get", "update").Groups("coordination.k8s.io").Resources("leases").Names("cloud-controller-manager").RuleOrDie(),
	} {
		covered := slices.ContainsFunc(role.Rules, func(r rbacv1.PolicyRule) bool {
			return sets.New(r.APIGroups...).IsSuperset(sets.New(want.APIGroups...)) &&
				sets.New(r.Resources...).Equal(sets.New(want.Resources...)) &&
				sets.New(r.Verbs...).IsSuperset(sets.New(want.Verbs...)) &&
				sets.New(r.ResourceNames...).Equal(sets.New(want.ResourceNames...))
		})
		if !covered {
			t.Errorf("rule %s not granted", rbacv1helpers.CompactString(want))
		}
	}
}
