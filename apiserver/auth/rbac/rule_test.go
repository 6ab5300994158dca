package rbac

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/authentication/user"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
)

func sortRules(rules []rbacv1.PolicyRule) {
	slices.SortFunc(rules, func(a, b rbacv1.PolicyRule) int { return strings.Compare(a.String(), b.String()) })
}

func TestDefaultRuleResolver(t *testing.T) {
	ruleReadPods := rbacv1.PolicyRule{Verbs: []string{"GET", "WATCH"}, APIGroups: []string{"v1"}, Resources: []string{"pods"}}
	ruleReadServices := rbacv1.PolicyRule{Verbs: []string{"GET", "WATCH"}, APIGroups: []string{"v1"}, Resources: []string{"services"}}
	ruleWriteNodes := rbacv1.PolicyRule{Verbs: []string{"PUT", "CREATE", "UPDATE"}, APIGroups: []string{"v1"}, Resources: []string{"nodes"}}
	ruleAdmin := rbacv1.PolicyRule{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}}

	resolver := NewStaticRuleResolver(
		[]*rbacv1.Role{{ObjectMeta: metav1.ObjectMeta{Namespace: "namespace1", Name: "readthings"}, Rules: []rbacv1.PolicyRule{ruleReadPods, ruleReadServices}}},
		[]*rbacv1.RoleBinding{{
			ObjectMeta: metav1.ObjectMeta{Namespace: "namespace1"},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, Name: "foobar"}, {Kind: rbacv1.GroupKind, Name: "group1"}},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "readthings"},
		}},
		[]*rbacv1.ClusterRole{
			{ObjectMeta: metav1.ObjectMeta{Name: "cluster-admin"}, Rules: []rbacv1.PolicyRule{ruleAdmin}},
			{ObjectMeta: metav1.ObjectMeta{Name: "write-nodes"}, Rules: []rbacv1.PolicyRule{ruleWriteNodes}},
		},
		[]*rbacv1.ClusterRoleBinding{{
			Subjects: []rbacv1.Subject{{Kind: rbacv1.UserKind, Name: "admin"}, {Kind: rbacv1.GroupKind, Name: "admin"}},
			RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
		}},
	)

	for _, tc := range []struct {
		name      string
		user      user.Info
		namespace string
		want      []rbacv1.PolicyRule
	}{
		{name: "role binding in its namespace", user: &user.DefaultInfo{Name: "foobar"}, namespace: "namespace1", want: []rbacv1.PolicyRule{ruleReadPods, ruleReadServices}},
		{name: "group subject", user: &user.DefaultInfo{Name: "x", Groups: []string{"group1"}}, namespace: "namespace1", want: []rbacv1.PolicyRule{ruleReadPods, ruleReadServices}},
		{name: "other namespace", user: &user.DefaultInfo{Name: "foobar"}, namespace: "namespace2"},
		{name: "cluster rules only without a namespace", user: &user.DefaultInfo{Name: "foobar", Groups: []string{"admin"}}, want: []rbacv1.PolicyRule{ruleAdmin}},
		{name: "nobody", user: &user.DefaultInfo{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rules, err := resolver.RulesFor(genericapirequest.NewContext(), tc.user, tc.namespace)
			if err != nil {
				t.Fatal(err)
			}
			sortRules(rules)
			sortRules(tc.want)
			if diff := cmp.Diff(tc.want, rules); diff != "" {
				t.Errorf("rules (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAppliesTo(t *testing.T) {
	for _, tc := range []struct {
		name      string
		subjects  []rbacv1.Subject
		user      user.Info
		namespace string
		appliesTo bool
		index     int
	}{
		{name: "single subject that matches username", subjects: []rbacv1.Subject{{Kind: rbacv1.UserKind, Name: "foobar"}}, user: &user.DefaultInfo{Name: "foobar"}, appliesTo: true},
		{name: "multiple subjects, one that matches username", subjects: []rbacv1.Subject{{Kind: rbacv1.UserKind, Name: "barfoo"}, {Kind: rbacv1.UserKind, Name: "foobar"}}, user: &user.DefaultInfo{Name: "foobar"}, appliesTo: true, index: 1},
		{name: "multiple subjects, none that match username", subjects: []rbacv1.Subject{{Kind: rbacv1.UserKind, Name: "barfoo"}, {Kind: rbacv1.UserKind, Name: "foobar"}}, user: &user.DefaultInfo{Name: "zimzam"}},
		{name: "multiple subjects, one that match group", subjects: []rbacv1.Subject{{Kind: rbacv1.UserKind, Name: "barfoo"}, {Kind: rbacv1.GroupKind, Name: "foobar"}}, user: &user.DefaultInfo{Name: "zimzam", Groups: []string{"foobar"}}, appliesTo: true, index: 1},
		{name: "group ignores namespace", subjects: []rbacv1.Subject{{Kind: rbacv1.UserKind, Name: "barfoo"}, {Kind: rbacv1.GroupKind, Name: "foobar"}}, user: &user.DefaultInfo{Name: "zimzam", Groups: []string{"foobar"}}, namespace: "namespace1", appliesTo: true, index: 1},
		{
			name:     "service account that matches",
			subjects: []rbacv1.Subject{{Kind: rbacv1.UserKind, Name: "barfoo"}, {Kind: rbacv1.GroupKind, Name: "foobar"}, {Kind: rbacv1.ServiceAccountKind, Namespace: "kube-system", Name: "default"}},
			user:     &user.DefaultInfo{Name: "system:serviceaccount:kube-system:default"}, namespace: "default", appliesTo: true, index: 2,
		},
		{name: "service account without namespace in a cluster binding", subjects: []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: "default"}}, user: &user.DefaultInfo{Name: "system:serviceaccount::default"}},
		{name: "* user subject name doesn't match all users", subjects: []rbacv1.Subject{{Kind: rbacv1.UserKind, Name: "*"}}, user: &user.DefaultInfo{Name: "foobar"}, namespace: "default"},
		{
			name:     "all authenticated and unauthenticated matches authenticated",
			subjects: []rbacv1.Subject{{Kind: rbacv1.GroupKind, Name: user.AllAuthenticated}, {Kind: rbacv1.GroupKind, Name: user.AllUnauthenticated}},
			user:     &user.DefaultInfo{Name: "foobar", Groups: []string{user.AllAuthenticated}}, namespace: "default", appliesTo: true,
		},
		{
			name:     "all authenticated and unauthenticated matches anonymous",
			subjects: []rbacv1.Subject{{Kind: rbacv1.GroupKind, Name: user.AllAuthenticated}, {Kind: rbacv1.GroupKind, Name: user.AllUnauthenticated}},
			user:     &user.DefaultInfo{Name: "system:anonymous", Groups: []string{user.AllUnauthenticated}}, namespace: "default", appliesTo: true, index: 1,
		},
		{name: "unknown kind", subjects: []rbacv1.Subject{{Kind: "Robot", Name: "foobar"}}, user: &user.DefaultInfo{Name: "foobar"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			index, got := appliesTo(tc.user, tc.subjects, tc.namespace)
			if got != tc.appliesTo || index != tc.index {
				t.Errorf("appliesTo = %d, %v; want %d, %v", index, got, tc.index, tc.appliesTo)
			}
		})
	}
}

func TestConfirmNoEscalation(t *testing.T) {
	resolver := NewStaticRuleResolver(
		nil,
		[]*rbacv1.RoleBinding{newRoleBinding("ns1", "alice-view", "ClusterRole", "view", "User:alice")},
		[]*rbacv1.ClusterRole{
			newClusterRole("view", newRule("get,list,watch", "", "pods,services", "")),
			newClusterRole("health", newRule("get", "", "", "/healthz,/livez")),
		},
		[]*rbacv1.ClusterRoleBinding{newClusterRoleBinding("health", "health", "Group:system:authenticated")},
	)
	alice := &user.DefaultInfo{Name: "alice", Groups: []string{"system:authenticated"}}
	for _, tc := range []struct {
		name      string
		namespace string
		rules     []rbacv1.PolicyRule
		wantErr   string
	}{
		{name: "no rules", namespace: "ns1"},
		{name: "subset", namespace: "ns1", rules: []rbacv1.PolicyRule{newRule("get,list", "", "pods", "")}},
		{name: "subset with names", namespace: "ns1", rules: []rbacv1.PolicyRule{{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"pods"}, ResourceNames: []string{"p"}}}},
		{name: "non-resource subset", namespace: "ns1", rules: []rbacv1.PolicyRule{newRule("get", "", "", "/healthz")}},
		{
			name: "more verbs", namespace: "ns1",
			rules:   []rbacv1.PolicyRule{newRule("get,delete,update", "", "pods", "")},
			wantErr: "user \"alice\" (groups=[\"system:authenticated\"]) is attempting to grant RBAC permissions not currently held:\n" + `{APIGroups:[""], Resources:["pods"], Verbs:["delete" "update"]}`,
		},
		{
			name: "not held in that namespace", namespace: "ns2",
			rules:   []rbacv1.PolicyRule{newRule("get", "", "pods,secrets", "")},
			wantErr: "user \"alice\" (groups=[\"system:authenticated\"]) is attempting to grant RBAC permissions not currently held:\n" + `{APIGroups:[""], Resources:["pods"], Verbs:["get"]}` + "\n" + `{APIGroups:[""], Resources:["secrets"], Verbs:["get"]}`,
		},
		{
			name: "star", namespace: "ns1",
			rules:   []rbacv1.PolicyRule{newRule("*", "*", "*", "")},
			wantErr: "user \"alice\" (groups=[\"system:authenticated\"]) is attempting to grant RBAC permissions not currently held:\n" + `{APIGroups:["*"], Resources:["*"], Verbs:["*"]}`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := genericapirequest.WithNamespace(genericapirequest.WithUser(context.Background(), alice), tc.namespace)
			err := ConfirmNoEscalation(ctx, resolver, tc.rules)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || err.Error() != tc.wantErr {
				t.Errorf("got error\n%v\nwant\n%s", err, tc.wantErr)
			}
		})
	}

	if err := ConfirmNoEscalation(context.Background(), resolver, nil); err == nil {
		t.Error("expected an error without a user")
	}
}

func TestCompactRules(t *testing.T) {
	for _, tc := range []struct {
		name  string
		rules []rbacv1.PolicyRule
		want  []rbacv1.PolicyRule
	}{{
		name: "empty",
		want: []rbacv1.PolicyRule{},
	}, {
		name: "simple rules differing only in verbs merge",
		rules: []rbacv1.PolicyRule{
			{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"pods"}},
			{Verbs: []string{"list"}, APIGroups: []string{""}, Resources: []string{"pods"}},
			{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"pods"}, ResourceNames: []string{"p"}},
			{Verbs: []string{"update"}, APIGroups: []string{""}, Resources: []string{"pods"}, ResourceNames: []string{"p"}},
			{Verbs: []string{"get"}, APIGroups: []string{"apps"}, Resources: []string{"pods"}},
		},
		want: []rbacv1.PolicyRule{
			{Verbs: []string{"get", "list"}, APIGroups: []string{""}, Resources: []string{"pods"}},
			{Verbs: []string{"get", "update"}, APIGroups: []string{""}, Resources: []string{"pods"}, ResourceNames: []string{"p"}},
			{Verbs: []string{"get"}, APIGroups: []string{"apps"}, Resources: []string{"pods"}},
		},
	}, {
		name: "complex rules are kept",
		rules: []rbacv1.PolicyRule{
			{Verbs: []string{"get"}, APIGroups: []string{"", "apps"}, Resources: []string{"pods"}},
			{Verbs: []string{"get"}, NonResourceURLs: []string{"/healthz"}},
			{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"pods"}, ResourceNames: []string{"a", "b"}},
		},
		want: []rbacv1.PolicyRule{
			{Verbs: []string{"get"}, APIGroups: []string{"", "apps"}, Resources: []string{"pods"}},
			{Verbs: []string{"get"}, NonResourceURLs: []string{"/healthz"}},
			{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"pods"}, ResourceNames: []string{"a", "b"}},
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			var original []rbacv1.PolicyRule
			for i := range tc.rules {
				original = append(original, *tc.rules[i].DeepCopy())
			}
			got, err := CompactRules(tc.rules)
			if err != nil {
				t.Fatal(err)
			}
			sortRules(got)
			sortRules(tc.want)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("compacted (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(original, tc.rules); diff != "" {
				t.Errorf("input mutated (-before +after):\n%s", diff)
			}
		})
	}
}
