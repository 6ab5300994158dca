package rbac

import (
	"slices"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/klog/v2/ktesting"

	rbacv1helpers "github.com/k1s-dev/k1s/apiserver/apis/rbac/v1"
)

func testPolicy() Policy {
	annotations := map[string]string{rbacv1.AutoUpdateAnnotationKey: "true"}
	meta := func(name string, labels map[string]string) metav1.ObjectMeta {
		return metav1.ObjectMeta{Name: name, Labels: labels, Annotations: annotations}
	}
	toView := map[string]string{"aggregate-to-view": "true"}
	return Policy{
		ClusterRoles: []rbacv1.ClusterRole{
			{ObjectMeta: meta("view", nil), AggregationRule: &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{{MatchLabels: toView}}}},
			{ObjectMeta: meta("pods-view", toView), Rules: []rbacv1.PolicyRule{rbacv1helpers.NewRule("get", "list").Groups("").Resources("pods").RuleOrDie()}},
			{ObjectMeta: meta("basic", nil), Rules: []rbacv1.PolicyRule{rbacv1helpers.NewRule("create").Groups("authorization.k8s.io").Resources("selfsubjectrulesreviews").RuleOrDie()}},
		},
		ClusterRoleBindings: []rbacv1.ClusterRoleBinding{
			rbacv1helpers.NewClusterBinding("basic").Groups("system:authenticated").BindingOrDie(),
		},
	}
}

func hasRule(rules []rbacv1.PolicyRule, resource, verb string) bool {
	return slices.ContainsFunc(rules, func(r rbacv1.PolicyRule) bool {
		return slices.Contains(r.Resources, resource) && slices.Contains(r.Verbs, verb)
	})
}

func TestEnsurePolicy(t *testing.T) {
	_, ctx := ktesting.NewTestContext(t)
	client := fake.NewClientset()
	policy := testPolicy()

	// First start: everything is created and view aggregated.
	if err := EnsurePolicy(ctx, client, policy); err != nil {
		t.Fatal(err)
	}
	get := func(name string) *rbacv1.ClusterRole {
		t.Helper()
		r, err := client.RbacV1().ClusterRoles().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if view := get("view"); !hasRule(view.Rules, "pods", "list") {
		t.Fatalf("view not aggregated: %v", view.Rules)
	}

	// Users change things: drop a bootstrap rule, add their own, add a subject, opt a
	// role out of reconciliation.
	pods := get("pods-view")
	pods.Rules = nil
	if _, err := client.RbacV1().ClusterRoles().Update(ctx, pods, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	basic := get("basic")
	basic.Rules = append(basic.Rules, rbacv1helpers.NewRule("get").Groups("").Resources("configmaps").RuleOrDie())
	if _, err := client.RbacV1().ClusterRoles().Update(ctx, basic, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	binding, err := client.RbacV1().ClusterRoleBindings().Get(ctx, "basic", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	binding.Subjects = append(binding.Subjects, rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "alice"})
	if _, err := client.RbacV1().ClusterRoleBindings().Update(ctx, binding, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}

	// The next start adds back what is missing and removes nothing.
	if err := EnsurePolicy(ctx, client, policy); err != nil {
		t.Fatal(err)
	}
	if pods := get("pods-view"); !hasRule(pods.Rules, "pods", "list") {
		t.Errorf("pods-view not repaired: %v", pods.Rules)
	}
	if view := get("view"); !hasRule(view.Rules, "pods", "list") {
		t.Errorf("view not re-aggregated: %v", view.Rules)
	}
	if basic := get("basic"); !hasRule(basic.Rules, "configmaps", "get") || !hasRule(basic.Rules, "selfsubjectrulesreviews", "create") {
		t.Errorf("basic: %v", basic.Rules)
	}
	binding, err = client.RbacV1().ClusterRoleBindings().Get(ctx, "basic", metav1.GetOptions{})
	if err != nil || len(binding.Subjects) != 2 {
		t.Errorf("binding subjects: %v %v", err, binding.Subjects)
	}

	// autoupdate=false opts out.
	pods = get("pods-view")
	pods.Annotations[rbacv1.AutoUpdateAnnotationKey] = "false"
	pods.Rules = nil
	if _, err := client.RbacV1().ClusterRoles().Update(ctx, pods, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := EnsurePolicy(ctx, client, policy); err != nil {
		t.Fatal(err)
	}
	if pods := get("pods-view"); len(pods.Rules) != 0 {
		t.Errorf("a protected role was reconciled: %v", pods.Rules)
	}
}

func TestBootstrapPolicyIsComplete(t *testing.T) {
	p := BootstrapPolicy()
	if len(p.ClusterRoles) == 0 || len(p.ClusterRoleBindings) == 0 {
		t.Fatal("empty bootstrap policy")
	}
	names := map[string]bool{}
	for _, r := range p.ClusterRoles {
		names[r.Name] = true
	}
	for _, b := range p.ClusterRoleBindings {
		if !names[b.RoleRef.Name] {
			t.Errorf("binding %s refers to %s, which is not bootstrapped", b.Name, b.RoleRef.Name)
		}
	}
}
