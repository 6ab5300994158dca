package v1

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"
)

func TestRuleBuilder(t *testing.T) {
	got := NewRule("watch", "get", "get").Groups("apps", "").Resources("pods", "deployments").Names("b", "a").RuleOrDie()
	want := rbacv1.PolicyRule{Verbs: []string{"get", "watch"}, APIGroups: []string{"", "apps"}, Resources: []string{"deployments", "pods"}, ResourceNames: []string{"a", "b"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rule (-want +got):\n%s", diff)
	}
	for name, b := range map[string]*PolicyRuleBuilder{
		"no verbs":              NewRule().Groups("").Resources("pods"),
		"no groups":             NewRule("get").Resources("pods"),
		"neither kind":          NewRule("get").Groups(""),
		"URLs and resources":    NewRule("get").Groups("").Resources("pods").URLs("/x"),
		"URLs and group":        NewRule("get").Groups("").URLs("/x"),
		"URLs and names":        NewRule("get").Names("n").URLs("/x"),
		"resource-less names":   NewRule("get").Groups("").Names("n"),
		"everything but a verb": NewRule().URLs("/x"),
	} {
		if _, err := b.Rule(); err == nil {
			t.Errorf("%s: expected an error", name)
		}
	}
}

func TestClusterBindingBuilder(t *testing.T) {
	got := NewClusterBinding("view").Groups("g").Users("u").SAs("ns", "sa").BindingOrDie()
	if got.Name != "view" || got.RoleRef != (rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "view"}) {
		t.Errorf("binding %+v", got)
	}
	want := []rbacv1.Subject{
		{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: "g"},
		{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "u"},
		{Kind: rbacv1.ServiceAccountKind, Namespace: "ns", Name: "sa"},
	}
	if diff := cmp.Diff(want, got.Subjects); diff != "" {
		t.Errorf("subjects (-want +got):\n%s", diff)
	}
	defer func() {
		if recover() == nil {
			t.Error("a binding without subjects did not panic")
		}
	}()
	NewClusterBinding("x").BindingOrDie()
}

func TestCompactString(t *testing.T) {
	for _, tc := range []struct {
		rule rbacv1.PolicyRule
		want string
	}{
		{NewRule("get").Groups("").Resources("pods").RuleOrDie(), `{APIGroups:[""], Resources:["pods"], Verbs:["get"]}`},
		{NewRule("get", "list").Groups("").Resources("pods").Names("p").RuleOrDie(), `{APIGroups:[""], Resources:["pods"], ResourceNames:["p"], Verbs:["get" "list"]}`},
		{NewRule("get").URLs("/healthz").RuleOrDie(), `{NonResourceURLs:["/healthz"], Verbs:["get"]}`},
		{rbacv1.PolicyRule{}, `{}`},
	} {
		if got := CompactString(tc.rule); got != tc.want {
			t.Errorf("got %s, want %s", got, tc.want)
		}
	}
}

func TestMatchers(t *testing.T) {
	rule := &rbacv1.PolicyRule{
		Verbs: []string{"get"}, APIGroups: []string{"apps"}, Resources: []string{"deployments", "*/scale", "pods/status"},
		ResourceNames: []string{"d"}, NonResourceURLs: []string{"/logs/*", "/healthz"},
	}
	checks := []struct {
		name string
		got  bool
		want bool
	}{
		{"verb", VerbMatches(rule, "get"), true},
		{"other verb", VerbMatches(rule, "list"), false},
		{"star verb", VerbMatches(&rbacv1.PolicyRule{Verbs: []string{"*"}}, "escalate"), true},
		{"group", APIGroupMatches(rule, "apps"), true},
		{"core group", APIGroupMatches(rule, ""), false},
		{"star group", APIGroupMatches(&rbacv1.PolicyRule{APIGroups: []string{"*"}}, ""), true},
		{"resource", ResourceMatches(rule, "deployments", ""), true},
		{"subresource of a listed resource", ResourceMatches(rule, "deployments/status", "status"), false},
		{"listed subresource", ResourceMatches(rule, "pods/status", "status"), true},
		{"*/scale", ResourceMatches(rule, "replicasets/scale", "scale"), true},
		{"*/scale is not a resource", ResourceMatches(rule, "scale", ""), false},
		{"*/scale does not match */escale", ResourceMatches(rule, "replicasets/escale", "escale"), false},
		{"star resource covers subresources", ResourceMatches(&rbacv1.PolicyRule{Resources: []string{"*"}}, "pods/log", "log"), true},
		{"name", ResourceNameMatches(rule, "d"), true},
		{"other name", ResourceNameMatches(rule, "e"), false},
		{"no names means all", ResourceNameMatches(&rbacv1.PolicyRule{}, "e"), true},
		{"URL", NonResourceURLMatches(rule, "/healthz"), true},
		{"URL prefix", NonResourceURLMatches(rule, "/logs/kube-apiserver.log"), true},
		{"prefix itself", NonResourceURLMatches(rule, "/logs"), false},
		{"exact URL only", NonResourceURLMatches(rule, "/healthz/etcd"), false},
		{"star URL", NonResourceURLMatches(&rbacv1.PolicyRule{NonResourceURLs: []string{"*"}}, "/anything"), true},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
}
