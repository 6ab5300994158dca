package rbac

import (
	"context"
	"fmt"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/klog/v2/ktesting"

	rbacv1helpers "github.com/k1s-dev/k1s/apiserver/apis/rbac/v1"
)

func newRule(verbs, apiGroups, resources, nonResourceURLs string) rbacv1.PolicyRule {
	split := func(s string) []string {
		if s == "" {
			return nil
		}
		return strings.Split(s, ",")
	}
	rule := rbacv1.PolicyRule{Verbs: split(verbs), Resources: split(resources), NonResourceURLs: split(nonResourceURLs)}
	if len(rule.Resources) > 0 {
		rule.APIGroups = strings.Split(apiGroups, ",") // "" is the core group
	}
	return rule
}

func newClusterRole(name string, rules ...rbacv1.PolicyRule) *rbacv1.ClusterRole {
	return &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: rules}
}

func newRole(namespace, name string, rules ...rbacv1.PolicyRule) *rbacv1.Role {
	return &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}, Rules: rules}
}

// subjects parses "User:alice", "Group:devs", "ServiceAccount:ns/name" (or "ServiceAccount:name").
func subjects(specs ...string) []rbacv1.Subject {
	var out []rbacv1.Subject
	for _, s := range specs {
		kind, name, _ := strings.Cut(s, ":")
		subject := rbacv1.Subject{Kind: kind, Name: name}
		switch kind {
		case rbacv1.ServiceAccountKind:
			if ns, n, ok := strings.Cut(name, "/"); ok {
				subject.Namespace, subject.Name = ns, n
			}
		case rbacv1.UserKind, rbacv1.GroupKind:
			subject.APIGroup = rbacv1.GroupName
		default:
			panic(fmt.Sprintf("invalid kind %s", kind))
		}
		out = append(out, subject)
	}
	return out
}

func newClusterRoleBinding(name, roleName string, subjectSpecs ...string) *rbacv1.ClusterRoleBinding {
	return &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: roleName},
		Subjects:   subjects(subjectSpecs...),
	}
}

func newRoleBinding(namespace, name, roleKind, roleName string, subjectSpecs ...string) *rbacv1.RoleBinding {
	return &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: roleKind, Name: roleName},
		Subjects:   subjects(subjectSpecs...),
	}
}

func resourceAttrs(userName, groups, verb, resource, subresource, namespace, apiGroup string) authorizer.AttributesRecord {
	var g []string
	if groups != "" {
		g = strings.Split(groups, ",")
	}
	return authorizer.AttributesRecord{
		User: &user.DefaultInfo{Name: userName, Groups: g}, Verb: verb, Resource: resource, Subresource: subresource,
		Namespace: namespace, APIGroup: apiGroup, ResourceRequest: true,
	}
}

func pathAttrs(userName, group, verb, path string) authorizer.AttributesRecord {
	u := &user.DefaultInfo{Name: userName}
	if group != "" {
		u.Groups = []string{group}
	}
	return authorizer.AttributesRecord{User: u, Verb: verb, Path: path}
}

func TestAuthorizer(t *testing.T) {
	for _, tc := range []struct {
		name                string
		roles               []*rbacv1.Role
		roleBindings        []*rbacv1.RoleBinding
		clusterRoles        []*rbacv1.ClusterRole
		clusterRoleBindings []*rbacv1.ClusterRoleBinding
		shouldPass          []authorizer.AttributesRecord
		shouldFail          []authorizer.AttributesRecord
	}{{
		name:         "cluster role bound in a namespace",
		clusterRoles: []*rbacv1.ClusterRole{newClusterRole("admin", newRule("*", "*", "*", "*"))},
		roleBindings: []*rbacv1.RoleBinding{newRoleBinding("ns1", "admin", "ClusterRole", "admin", "User:admin", "Group:admins")},
		shouldPass: []authorizer.AttributesRecord{
			resourceAttrs("admin", "", "get", "Pods", "", "ns1", ""),
			resourceAttrs("admin", "", "watch", "Pods", "", "ns1", ""),
			resourceAttrs("admin", "group1", "watch", "Foobar", "", "ns1", ""),
			resourceAttrs("joe", "admins", "watch", "Foobar", "", "ns1", ""),
			resourceAttrs("joe", "group1,admins", "watch", "Foobar", "", "ns1", ""),
		},
		shouldFail: []authorizer.AttributesRecord{
			resourceAttrs("admin", "", "GET", "Pods", "", "ns2", ""),
			resourceAttrs("admin", "", "GET", "Nodes", "", "", ""),
			resourceAttrs("admin", "admins", "GET", "Pods", "", "ns2", ""),
			resourceAttrs("admin", "admins", "GET", "Nodes", "", "", ""),
		},
	}, {
		name: "non-resource URLs",
		clusterRoles: []*rbacv1.ClusterRole{
			newClusterRole("non-resource-url-getter", newRule("get", "", "", "/apis")),
			newClusterRole("non-resource-url", newRule("*", "", "", "/apis")),
			newClusterRole("non-resource-url-prefix", newRule("get", "", "", "/apis/*")),
		},
		clusterRoleBindings: []*rbacv1.ClusterRoleBinding{
			newClusterRoleBinding("getter", "non-resource-url-getter", "User:foo", "Group:bar"),
			newClusterRoleBinding("all", "non-resource-url", "User:admin", "Group:admin"),
			newClusterRoleBinding("prefix", "non-resource-url-prefix", "User:prefixed", "Group:prefixed"),
		},
		shouldPass: []authorizer.AttributesRecord{
			pathAttrs("foo", "", "get", "/apis"),
			pathAttrs("", "bar", "get", "/apis"),
			pathAttrs("admin", "", "get", "/apis"),
			pathAttrs("", "admin", "get", "/apis"),
			pathAttrs("admin", "", "watch", "/apis"),
			pathAttrs("", "admin", "watch", "/apis"),
			pathAttrs("prefixed", "", "get", "/apis/v1"),
			pathAttrs("", "prefixed", "get", "/apis/v1"),
			pathAttrs("prefixed", "", "get", "/apis/v1/foobar"),
		},
		shouldFail: []authorizer.AttributesRecord{
			pathAttrs("foo", "", "watch", "/apis"), // wrong verb
			pathAttrs("", "bar", "watch", "/apis"),
			pathAttrs("foo", "", "get", "/api/v1"), // wrong path
			pathAttrs("admin", "", "get", "/api/v1"),
			pathAttrs("prefixed", "", "get", "/api/v1"), // not covered by the prefix
			pathAttrs("prefixed", "", "get", "/apis"),   // "/apis/*" needs the slash
		},
	}, {
		name:         "a resource does not cover its subresources",
		clusterRoles: []*rbacv1.ClusterRole{newClusterRole("admin", newRule("*", "*", "pods", ""))},
		roleBindings: []*rbacv1.RoleBinding{newRoleBinding("ns1", "admin", "ClusterRole", "admin", "User:admin")},
		shouldPass:   []authorizer.AttributesRecord{resourceAttrs("admin", "", "get", "pods", "", "ns1", "")},
		shouldFail:   []authorizer.AttributesRecord{resourceAttrs("admin", "", "get", "pods", "status", "ns1", "")},
	}, {
		name:         "subresources and */subresource",
		clusterRoles: []*rbacv1.ClusterRole{newClusterRole("admin", newRule("*", "*", "pods/status", ""), newRule("*", "*", "*/scale", ""))},
		roleBindings: []*rbacv1.RoleBinding{newRoleBinding("ns1", "admin", "ClusterRole", "admin", "User:admin")},
		shouldPass: []authorizer.AttributesRecord{
			resourceAttrs("admin", "", "get", "pods", "status", "ns1", ""),
			resourceAttrs("admin", "", "get", "pods", "scale", "ns1", ""),
			resourceAttrs("admin", "", "get", "deployments", "scale", "ns1", ""),
			resourceAttrs("admin", "", "get", "anything", "scale", "ns1", ""),
		},
		shouldFail: []authorizer.AttributesRecord{
			resourceAttrs("admin", "", "get", "pods", "", "ns1", ""),
			resourceAttrs("admin", "", "get", "pods", "scalez", "ns1", ""),
		},
	}, {
		name:         "roles only apply in their namespace; cluster bindings everywhere",
		roles:        []*rbacv1.Role{newRole("ns1", "reader", newRule("get,list", "", "pods", ""))},
		roleBindings: []*rbacv1.RoleBinding{newRoleBinding("ns1", "read", "Role", "reader", "User:alice", "ServiceAccount:robot")},
		clusterRoles: []*rbacv1.ClusterRole{newClusterRole("node-reader", newRule("get", "", "nodes", ""))},
		clusterRoleBindings: []*rbacv1.ClusterRoleBinding{
			newClusterRoleBinding("nodes", "node-reader", "ServiceAccount:kube-system/robot"),
		},
		shouldPass: []authorizer.AttributesRecord{
			resourceAttrs("alice", "", "list", "pods", "", "ns1", ""),
			// An unqualified service account subject is in the binding's namespace.
			resourceAttrs("system:serviceaccount:ns1:robot", "", "get", "pods", "", "ns1", ""),
			resourceAttrs("system:serviceaccount:kube-system:robot", "", "get", "nodes", "", "", ""),
			resourceAttrs("system:serviceaccount:kube-system:robot", "", "get", "nodes", "", "ns1", ""),
		},
		shouldFail: []authorizer.AttributesRecord{
			resourceAttrs("alice", "", "list", "pods", "", "ns2", ""),
			resourceAttrs("alice", "", "list", "pods", "", "", ""),
			resourceAttrs("alice", "", "delete", "pods", "", "ns1", ""),
			resourceAttrs("alice", "", "list", "pods", "", "ns1", "apps"),
			resourceAttrs("system:serviceaccount:ns2:robot", "", "get", "pods", "", "ns1", ""),
			resourceAttrs("system:serviceaccount:ns1:robot", "", "get", "nodes", "", "", ""),
		},
	}, {
		name: "resource names",
		clusterRoles: []*rbacv1.ClusterRole{newClusterRole("one-lease",
			rbacv1helpers.NewRule("get", "update").Groups("coordination.k8s.io").Resources("leases").Names("kube-scheduler").RuleOrDie())},
		clusterRoleBindings: []*rbacv1.ClusterRoleBinding{newClusterRoleBinding("b", "one-lease", "User:sched")},
		shouldPass: []authorizer.AttributesRecord{
			{User: &user.DefaultInfo{Name: "sched"}, Verb: "get", APIGroup: "coordination.k8s.io", Resource: "leases", Name: "kube-scheduler", Namespace: "kube-system", ResourceRequest: true},
		},
		shouldFail: []authorizer.AttributesRecord{
			{User: &user.DefaultInfo{Name: "sched"}, Verb: "get", APIGroup: "coordination.k8s.io", Resource: "leases", Name: "other", Namespace: "kube-system", ResourceRequest: true},
			{User: &user.DefaultInfo{Name: "sched"}, Verb: "list", APIGroup: "coordination.k8s.io", Resource: "leases", Namespace: "kube-system", ResourceRequest: true},
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			_, ctx := ktesting.NewTestContext(t)
			a := &RBACAuthorizer{NewStaticRuleResolver(tc.roles, tc.roleBindings, tc.clusterRoles, tc.clusterRoleBindings)}
			for _, attr := range tc.shouldPass {
				if decision, reason, _ := a.Authorize(ctx, attr); decision != authorizer.DecisionAllow {
					t.Errorf("incorrectly restricted %#v (%s)", attr, reason)
				}
			}
			for _, attr := range tc.shouldFail {
				if decision, _, _ := a.Authorize(ctx, attr); decision != authorizer.DecisionNoOpinion {
					t.Errorf("incorrectly passed %#v: %v", attr, decision)
				}
			}
		})
	}
}

func TestAuthorizeReasons(t *testing.T) {
	clusterRoles := []*rbacv1.ClusterRole{newClusterRole("view", newRule("get,list", "", "pods", ""))}
	resolver := NewStaticRuleResolver(nil,
		[]*rbacv1.RoleBinding{
			newRoleBinding("ns1", "alice-view", "ClusterRole", "view", "User:alice"),
			newRoleBinding("ns1", "sa-view", "ClusterRole", "view", "ServiceAccount:robot"),
			newRoleBinding("ns1", "dangling", "Role", "missing", "User:bob"),
		},
		clusterRoles,
		[]*rbacv1.ClusterRoleBinding{newClusterRoleBinding("devs-view", "view", "Group:devs")},
	)
	a := &RBACAuthorizer{resolver}
	for _, tc := range []struct {
		name     string
		attrs    authorizer.AttributesRecord
		decision authorizer.Decision
		reason   string
	}{{
		name:     "cluster role binding",
		attrs:    resourceAttrs("carol", "devs", "list", "pods", "", "ns1", ""),
		decision: authorizer.DecisionAllow,
		reason:   `RBAC: allowed by ClusterRoleBinding "devs-view" of ClusterRole "view" to Group "devs"`,
	}, {
		name:     "role binding",
		attrs:    resourceAttrs("alice", "", "list", "pods", "", "ns1", ""),
		decision: authorizer.DecisionAllow,
		reason:   `RBAC: allowed by RoleBinding "alice-view/ns1" of ClusterRole "view" to User "alice"`,
	}, {
		name:     "service account in the binding's namespace",
		attrs:    resourceAttrs("system:serviceaccount:ns1:robot", "", "get", "pods", "", "ns1", ""),
		decision: authorizer.DecisionAllow,
		reason:   `RBAC: allowed by RoleBinding "sa-view/ns1" of ClusterRole "view" to ServiceAccount "robot/ns1"`,
	}, {
		name:     "no rule",
		attrs:    resourceAttrs("alice", "", "delete", "pods", "", "ns1", ""),
		decision: authorizer.DecisionNoOpinion,
	}, {
		name:     "resolution errors are the reason",
		attrs:    resourceAttrs("bob", "", "get", "pods", "", "ns1", ""),
		decision: authorizer.DecisionNoOpinion,
		reason:   "RBAC: role not found",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			_, ctx := ktesting.NewTestContext(t)
			decision, reason, err := a.Authorize(ctx, tc.attrs)
			if err != nil {
				t.Fatal(err)
			}
			if decision != tc.decision || reason != tc.reason {
				t.Errorf("got %v %q, want %v %q", decision, reason, tc.decision, tc.reason)
			}
		})
	}
}

func TestRulesFor(t *testing.T) {
	resolver := NewStaticRuleResolver(nil,
		[]*rbacv1.RoleBinding{newRoleBinding("ns1", "b", "ClusterRole", "mixed", "User:alice")},
		[]*rbacv1.ClusterRole{
			newClusterRole("mixed", newRule("get", "", "pods", ""), newRule("get", "", "", "/healthz")),
			newClusterRole("basic", newRule("create", "authorization.k8s.io", "selfsubjectrulesreviews", "")),
		},
		[]*rbacv1.ClusterRoleBinding{newClusterRoleBinding("basic", "basic", "Group:system:authenticated")},
	)
	a := &RBACAuthorizer{resolver}
	alice := &user.DefaultInfo{Name: "alice", Groups: []string{user.AllAuthenticated}}

	resourceRules, nonResourceRules, incomplete, err := a.RulesFor(context.Background(), alice, "ns1")
	if err != nil || incomplete {
		t.Fatalf("RulesFor: incomplete=%v err=%v", incomplete, err)
	}
	var got []string
	for _, r := range resourceRules {
		got = append(got, fmt.Sprint(r.GetVerbs(), r.GetAPIGroups(), r.GetResources(), r.GetResourceNames()))
	}
	for _, r := range nonResourceRules {
		got = append(got, fmt.Sprint(r.GetVerbs(), r.GetNonResourceURLs()))
	}
	want := []string{
		"[create] [authorization.k8s.io] [selfsubjectrulesreviews] []",
		"[get] [] [pods] []",
		"[get] [/healthz]",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	resourceRules, _, _, _ = a.RulesFor(context.Background(), alice, "ns2")
	if len(resourceRules) != 1 {
		t.Errorf("in another namespace only the cluster rule applies, got %d rules", len(resourceRules))
	}
}

type request struct {
	attrs    authorizer.AttributesRecord
	expected bool
}

func resourceRequest(verb, group, resource, subresource, name string) authorizer.AttributesRecord {
	return authorizer.AttributesRecord{ResourceRequest: true, Verb: verb, APIGroup: group, Resource: resource, Subresource: subresource, Name: name}
}

func nonResourceRequest(verb, path string) authorizer.AttributesRecord {
	return authorizer.AttributesRecord{Verb: verb, Path: path}
}

func TestRuleAllows(t *testing.T) {
	for _, tc := range []struct {
		name     string
		rule     rbacv1.PolicyRule
		requests []request
	}{{
		name: "star verb, exact match other",
		rule: rbacv1helpers.NewRule("*").Groups("group1").Resources("resource1").RuleOrDie(),
		requests: []request{
			{resourceRequest("verb1", "group1", "resource1", "", ""), true},
			{resourceRequest("verb1", "group2", "resource1", "", ""), false},
			{resourceRequest("verb1", "group1", "resource2", "", ""), false},
			{resourceRequest("verb2", "group1", "resource1", "", ""), true},
		},
	}, {
		name: "star group, exact match other",
		rule: rbacv1helpers.NewRule("verb1").Groups("*").Resources("resource1").RuleOrDie(),
		requests: []request{
			{resourceRequest("verb1", "group1", "resource1", "", ""), true},
			{resourceRequest("verb1", "group2", "resource1", "", ""), true},
			{resourceRequest("verb1", "group1", "resource2", "", ""), false},
			{resourceRequest("verb2", "group1", "resource1", "", ""), false},
		},
	}, {
		name: "star resource, exact match other",
		rule: rbacv1helpers.NewRule("verb1").Groups("group1").Resources("*").RuleOrDie(),
		requests: []request{
			{resourceRequest("verb1", "group1", "resource1", "", ""), true},
			{resourceRequest("verb1", "group2", "resource1", "", ""), false},
			{resourceRequest("verb1", "group1", "resource2", "", ""), true},
			{resourceRequest("verb1", "group1", "resource2", "status", ""), true},
			{resourceRequest("verb2", "group1", "resource1", "", ""), false},
		},
	}, {
		name: "tuple expansion",
		rule: rbacv1helpers.NewRule("verb1", "verb2").Groups("group1", "group2").Resources("resource1", "resource2").RuleOrDie(),
		requests: []request{
			{resourceRequest("verb1", "group1", "resource1", "", ""), true},
			{resourceRequest("verb1", "group2", "resource2", "", ""), true},
			{resourceRequest("verb2", "group1", "resource2", "", ""), true},
			{resourceRequest("verb2", "group2", "resource1", "", ""), true},
			{resourceRequest("verb3", "group2", "resource1", "", ""), false},
		},
	}, {
		name: "subresource expansion",
		rule: rbacv1helpers.NewRule("*").Groups("*").Resources("resource1/subresource1").RuleOrDie(),
		requests: []request{
			{resourceRequest("verb1", "group1", "resource1", "subresource1", ""), true},
			{resourceRequest("verb1", "group2", "resource1", "subresource2", ""), false},
			{resourceRequest("verb1", "group1", "resource2", "subresource1", ""), false},
			{resourceRequest("verb1", "group1", "resource1", "", ""), false},
		},
	}, {
		name: "resource names",
		rule: rbacv1helpers.NewRule("get").Groups("").Resources("configmaps").Names("a", "b").RuleOrDie(),
		requests: []request{
			{resourceRequest("get", "", "configmaps", "", "a"), true},
			{resourceRequest("get", "", "configmaps", "", "b"), true},
			{resourceRequest("get", "", "configmaps", "", "c"), false},
			// A request without a name (list, or create before the name is known) is not
			// covered by a rule restricted to names.
			{resourceRequest("get", "", "configmaps", "", ""), false},
		},
	}, {
		name: "non-resource rules never match resource requests",
		rule: rbacv1helpers.NewRule("*").URLs("*").RuleOrDie(),
		requests: []request{
			{resourceRequest("get", "", "pods", "", ""), false},
			{nonResourceRequest("get", "/anything"), true},
		},
	}, {
		name: "resource rules never match non-resource requests",
		rule: rbacv1helpers.NewRule("*").Groups("*").Resources("*").RuleOrDie(),
		requests: []request{
			{nonResourceRequest("get", "/healthz"), false},
			{resourceRequest("escalate", "rbac.authorization.k8s.io", "clusterroles", "", "admin"), true},
		},
	}, {
		name: "star nonresource subpath",
		rule: rbacv1helpers.NewRule("verb1").URLs("/foo/*").RuleOrDie(),
		requests: []request{
			{nonResourceRequest("verb1", "/foo"), false},
			{nonResourceRequest("verb1", "/foo/bar"), true},
			{nonResourceRequest("verb1", "/foo/bar/one"), true},
			{nonResourceRequest("verb1", "/notfoo"), false},
			{nonResourceRequest("verb1", "/notfoo/bar"), false},
		},
	}, {
		name: "non-star prefix wildcard",
		rule: rbacv1helpers.NewRule("get").URLs("/healthz*").RuleOrDie(),
		requests: []request{
			{nonResourceRequest("get", "/healthz"), true},
			{nonResourceRequest("get", "/healthz/etcd"), true},
			{nonResourceRequest("get", "/healthzz"), true},
			{nonResourceRequest("get", "/livez"), false},
		},
	}, {
		name: "star verb, exact nonresource",
		rule: rbacv1helpers.NewRule("*").URLs("/foo", "/foo/bar/one").RuleOrDie(),
		requests: []request{
			{nonResourceRequest("verb1", "/foo"), true},
			{nonResourceRequest("verb1", "/foo/bar"), false},
			{nonResourceRequest("verb2", "/foo/bar/one"), true},
			{nonResourceRequest("verb2", "/foo/baz/one"), false},
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			for _, r := range tc.requests {
				if got := RuleAllows(r.attrs, &tc.rule); got != r.expected {
					t.Errorf("expected %v, got %v for %#v", r.expected, got, r.attrs)
				}
			}
		})
	}
}
