package rbac

import (
	"context"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"

	rbacv1helpers "github.com/k1s-dev/k1s/apiserver/apis/rbac/v1"
	rbacauth "github.com/k1s-dev/k1s/apiserver/auth/rbac"
)

// The policy of these tests: alice may view pods and services in ns1 (ClusterRole
// "view"), everybody may get /healthz, and "root" is bound to cluster-admin.
func testResolver() *rbacauth.DefaultRuleResolver {
	return rbacauth.NewStaticRuleResolver(
		[]*rbacv1.Role{{
			ObjectMeta: metav1.ObjectMeta{Namespace: "ns1", Name: "secrets-reader"},
			Rules:      []rbacv1.PolicyRule{rbacv1helpers.NewRule("get").Groups("").Resources("secrets").RuleOrDie()},
		}},
		[]*rbacv1.RoleBinding{{
			ObjectMeta: metav1.ObjectMeta{Namespace: "ns1", Name: "alice-view"},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "view"},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "alice"}},
		}},
		[]*rbacv1.ClusterRole{
			{ObjectMeta: metav1.ObjectMeta{Name: "view"}, Rules: []rbacv1.PolicyRule{rbacv1helpers.NewRule("get", "list", "watch").Groups("").Resources("pods", "services").RuleOrDie()}},
			{ObjectMeta: metav1.ObjectMeta{Name: "health"}, Rules: []rbacv1.PolicyRule{rbacv1helpers.NewRule("get").URLs("/healthz").RuleOrDie()}},
			{ObjectMeta: metav1.ObjectMeta{Name: "cluster-admin"}, Rules: fullAuthority},
		},
		[]*rbacv1.ClusterRoleBinding{
			{
				ObjectMeta: metav1.ObjectMeta{Name: "health"},
				RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "health"},
				Subjects:   []rbacv1.Subject{{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: user.AllAuthenticated}},
			},
			{
				ObjectMeta: metav1.ObjectMeta{Name: "root"},
				RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
				Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "root"}},
			},
		},
	)
}

// fakeAuthorizer allows exactly the verb/resource/name/namespace tuples it lists and
// records what it was asked.
type fakeAuthorizer struct {
	allow map[string]bool
	asked []string
}

func attrKey(a authorizer.Attributes) string {
	return strings.Join([]string{a.GetUser().GetName(), a.GetVerb(), a.GetAPIGroup(), a.GetResource(), a.GetName(), a.GetNamespace()}, " ")
}

func (f *fakeAuthorizer) Authorize(_ context.Context, a authorizer.Attributes) (authorizer.Decision, string, error) {
	key := attrKey(a)
	f.asked = append(f.asked, key)
	if f.allow[key] {
		return authorizer.DecisionAllow, "", nil
	}
	return authorizer.DecisionNoOpinion, "", nil
}

func userContext(name, namespace string, groups ...string) context.Context {
	ctx := genericapirequest.WithUser(context.Background(), &user.DefaultInfo{Name: name, Groups: append(groups, user.AllAuthenticated)})
	if namespace != "" {
		ctx = genericapirequest.WithNamespace(ctx, namespace)
	}
	return ctx
}

func withRequest(ctx context.Context, resource, namespace, name string) context.Context {
	return genericapirequest.WithRequestInfo(ctx, &genericapirequest.RequestInfo{
		IsResourceRequest: true, APIGroup: rbacv1.GroupName, APIVersion: "v1", Resource: resource, Namespace: namespace, Name: name, Verb: "create",
	})
}

func TestEscalationAllowed(t *testing.T) {
	for _, tc := range []struct {
		name string
		ctx  context.Context
		want bool
	}{
		{"no user", context.Background(), false},
		{"plain user", userContext("alice", ""), false},
		{"system:masters", userContext("admin", "", user.SystemPrivilegedGroup), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := EscalationAllowed(tc.ctx); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestRoleEscalationAuthorized(t *testing.T) {
	authz := &fakeAuthorizer{allow: map[string]bool{
		"alice escalate rbac.authorization.k8s.io roles  ns1":       true,
		"bob escalate rbac.authorization.k8s.io clusterroles edit ": true,
	}}
	for _, tc := range []struct {
		name string
		ctx  context.Context
		want bool
	}{
		{"escalate on roles in ns1", withRequest(userContext("alice", "ns1"), "roles", "ns1", ""), true},
		{"not in ns2", withRequest(userContext("alice", "ns2"), "roles", "ns2", ""), false},
		{"escalate on one clusterrole", withRequest(userContext("bob", ""), "clusterroles", "", "edit"), true},
		{"not on another", withRequest(userContext("bob", ""), "clusterroles", "", "admin"), false},
		{"not a role resource", withRequest(userContext("alice", "ns1"), "rolebindings", "ns1", ""), false},
		{"no request info", userContext("alice", "ns1"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := RoleEscalationAuthorized(tc.ctx, authz); got != tc.want {
				t.Errorf("got %v, want %v (asked %v)", got, tc.want, authz.asked)
			}
		})
	}
	if RoleEscalationAuthorized(withRequest(userContext("alice", "ns1"), "roles", "ns1", ""), nil) {
		t.Error("a nil authorizer authorized escalation")
	}
}

func TestBindingAuthorized(t *testing.T) {
	authz := &fakeAuthorizer{allow: map[string]bool{
		"alice bind rbac.authorization.k8s.io clusterroles admin ns1": true,
		"alice bind rbac.authorization.k8s.io roles reader ns1":       true,
		"bob bind rbac.authorization.k8s.io clusterroles view ":       true,
	}}
	ref := func(kind, name string) rbacv1.RoleRef {
		return rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: kind, Name: name}
	}
	for _, tc := range []struct {
		name      string
		user      string
		roleRef   rbacv1.RoleRef
		namespace string
		want      bool
	}{
		{"cluster role in its namespace", "alice", ref("ClusterRole", "admin"), "ns1", true},
		{"cluster role elsewhere", "alice", ref("ClusterRole", "admin"), "ns2", false},
		{"cluster role cluster-wide", "alice", ref("ClusterRole", "admin"), "", false},
		{"role", "alice", ref("Role", "reader"), "ns1", true},
		{"other role", "alice", ref("Role", "writer"), "ns1", false},
		{"cluster-wide bind", "bob", ref("ClusterRole", "view"), "", true},
		{"unknown kind", "alice", ref("Other", "admin"), "ns1", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := BindingAuthorized(userContext(tc.user, tc.namespace), tc.roleRef, tc.namespace, authz); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func role(namespace, name string, rules ...rbacv1.PolicyRule) *rbacv1.Role {
	return &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}, Rules: rules}
}

func expectCheck(t *testing.T, err error, forbidden string) {
	t.Helper()
	if forbidden == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), forbidden) {
		t.Fatalf("expected Forbidden containing %q, got %v", forbidden, err)
	}
}

func TestRoleGuard(t *testing.T) {
	g := roleGuard{authz: &fakeAuthorizer{}, resolver: testResolver()}
	getPods := rbacv1helpers.NewRule("get").Groups("").Resources("pods").RuleOrDie()
	deletePods := rbacv1helpers.NewRule("delete").Groups("").Resources("pods").RuleOrDie()
	for _, tc := range []struct {
		name      string
		ctx       context.Context
		role      *rbacv1.Role
		forbidden string
	}{
		{"within her rights", userContext("alice", "ns1"), role("ns1", "r", getPods), ""},
		{"more verbs", userContext("alice", "ns1"), role("ns1", "r", deletePods),
			`roles.rbac.authorization.k8s.io "r" is forbidden: user "alice" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:` + "\n" +
				`{APIGroups:[""], Resources:["pods"], Verbs:["delete"]}`},
		{"another namespace", userContext("alice", "ns2"), role("ns2", "r", getPods), `{APIGroups:[""], Resources:["pods"], Verbs:["get"]}`},
		{"cluster-admin", userContext("root", "ns2"), role("ns2", "r", deletePods), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			expectCheck(t, g.check(tc.ctx, tc.role, nil), tc.forbidden)
		})
	}
}

func TestClusterRoleGuard(t *testing.T) {
	g := clusterRoleGuard{authz: &fakeAuthorizer{}, resolver: testResolver()}
	health := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "h"}, Rules: []rbacv1.PolicyRule{rbacv1helpers.NewRule("get").URLs("/healthz").RuleOrDie()}}
	aggregated := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "agg"}, AggregationRule: &rbacv1.AggregationRule{
		ClusterRoleSelectors: []metav1.LabelSelector{{MatchLabels: map[string]string{"a": "b"}}},
	}}
	for _, tc := range []struct {
		name      string
		ctx       context.Context
		role, old *rbacv1.ClusterRole
		forbidden string
	}{
		{"rules she holds cluster-wide", userContext("alice", ""), health, nil, ""},
		{"namespaced rights do not count", userContext("alice", ""), &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "c"},
			Rules: []rbacv1.PolicyRule{rbacv1helpers.NewRule("get").Groups("").Resources("pods").RuleOrDie()}}, nil, "not currently held"},
		{"aggregation rule needs everything", userContext("alice", ""), aggregated, nil, "must have cluster-admin privileges to use the aggregationRule"},
		{"dropping an aggregation rule too", userContext("alice", ""), health, aggregated, "must have cluster-admin privileges to use the aggregationRule"},
		{"cluster-admin may aggregate", userContext("root", ""), aggregated, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var old runtime.Object
			if tc.old != nil {
				old = tc.old
			}
			expectCheck(t, g.check(tc.ctx, tc.role, old), tc.forbidden)
		})
	}
}

func TestBindingGuards(t *testing.T) {
	authz := &fakeAuthorizer{allow: map[string]bool{"alice bind rbac.authorization.k8s.io clusterroles cluster-admin ns1": true}}
	resolver := testResolver()
	rg := roleBindingGuard{authz: authz, resolver: resolver}
	crg := clusterRoleBindingGuard{authz: authz, resolver: resolver}
	binding := func(kind, name string) *rbacv1.RoleBinding {
		return &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "b"}, RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: kind, Name: name}}
	}
	for _, tc := range []struct {
		name      string
		ctx       context.Context
		binding   *rbacv1.RoleBinding
		forbidden string
	}{
		{"a role whose rights she holds", userContext("alice", "ns1"), binding("ClusterRole", "view"), ""},
		{"a role she may bind", userContext("alice", "ns1"), binding("ClusterRole", "cluster-admin"), ""},
		{"a role she neither holds nor may bind", userContext("alice", "ns1"), binding("Role", "secrets-reader"),
			`rolebindings.rbac.authorization.k8s.io "b" is forbidden: user "alice" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:` + "\n" +
				`{APIGroups:[""], Resources:["secrets"], Verbs:["get"]}`},
		{"bind is per namespace", userContext("alice", "ns2"), binding("ClusterRole", "cluster-admin"), "not currently held"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			expectCheck(t, rg.check(tc.ctx, tc.binding, nil), tc.forbidden)
		})
	}

	// A missing role is reported as such, not as an escalation.
	err := rg.check(userContext("alice", "ns1"), binding("Role", "missing"), nil)
	if err == nil || apierrors.IsForbidden(err) {
		t.Errorf("binding a missing role: %v", err)
	}
	// The namespace comes from the request.
	if err := rg.check(userContext("alice", ""), binding("ClusterRole", "view"), nil); !apierrors.IsBadRequest(err) {
		t.Errorf("binding without a namespace: %v", err)
	}

	clusterBinding := func(name string) *rbacv1.ClusterRoleBinding {
		return &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "cb"}, RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: name}}
	}
	expectCheck(t, crg.check(userContext("alice", ""), clusterBinding("health"), nil), "")
	expectCheck(t, crg.check(userContext("alice", ""), clusterBinding("view"), nil), `clusterrolebindings.rbac.authorization.k8s.io "cb" is forbidden`)
	expectCheck(t, crg.check(userContext("root", ""), clusterBinding("cluster-admin"), nil), "")
}

func TestGuardsUnrestricted(t *testing.T) {
	authz := &fakeAuthorizer{allow: map[string]bool{"alice escalate rbac.authorization.k8s.io roles  ns1": true}}
	resolver := testResolver()
	masters := userContext("admin", "ns1", user.SystemPrivilegedGroup)
	alice := withRequest(userContext("alice", "ns1"), "roles", "ns1", "")
	for _, tc := range []struct {
		name  string
		guard guard
		ctx   context.Context
		want  bool
	}{
		{"masters write roles", roleGuard{authz, resolver}, masters, true},
		{"masters write bindings", roleBindingGuard{authz, resolver}, masters, true},
		{"masters write cluster bindings", clusterRoleBindingGuard{authz, resolver}, masters, true},
		{"escalate lets alice write roles", roleGuard{authz, resolver}, alice, true},
		{"escalate does not cover bindings", roleBindingGuard{authz, resolver}, alice, false},
		{"alice otherwise", clusterRoleGuard{authz, resolver}, withRequest(userContext("alice", ""), "clusterroles", "", "x"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.guard.unrestricted(tc.ctx); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestIsOnlyMutatingGCFields(t *testing.T) {
	base := &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "r", Labels: map[string]string{"a": "b"}},
		Rules:      []rbacv1.PolicyRule{rbacv1helpers.NewRule("get").Groups("").Resources("pods").RuleOrDie()},
	}
	for _, tc := range []struct {
		name   string
		mutate func(*rbacv1.ClusterRole)
		want   bool
	}{
		{"nothing", func(*rbacv1.ClusterRole) {}, true},
		{"finalizers", func(r *rbacv1.ClusterRole) { r.Finalizers = []string{"f"} }, true},
		{"owner references", func(r *rbacv1.ClusterRole) {
			r.OwnerReferences = []metav1.OwnerReference{{APIVersion: "v1", Kind: "ConfigMap", Name: "c", UID: "u"}}
		}, true},
		{"managed fields", func(r *rbacv1.ClusterRole) { r.ManagedFields = []metav1.ManagedFieldsEntry{{Manager: "m"}} }, true},
		{"labels", func(r *rbacv1.ClusterRole) { r.Labels = nil }, false},
		{"rules", func(r *rbacv1.ClusterRole) { r.Rules = append(r.Rules, fullAuthority...) }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			obj := base.DeepCopy()
			tc.mutate(obj)
			if got := IsOnlyMutatingGCFields(obj, base); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	if IsOnlyMutatingGCFields(base, nil) {
		t.Error("a create (no old object) counted as a GC-only change")
	}
	var nilRole *rbacv1.ClusterRole
	if IsOnlyMutatingGCFields(base, nilRole) {
		t.Error("a nil old object counted as a GC-only change")
	}
}
