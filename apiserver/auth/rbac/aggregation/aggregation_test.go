package aggregation

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/klog/v2/ktesting"
)

func role(name string, labels map[string]string, rules ...rbacv1.PolicyRule) *rbacv1.ClusterRole {
	return &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}, Rules: rules}
}

func aggregated(name string, selectors ...map[string]string) *rbacv1.ClusterRole {
	r := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, AggregationRule: &rbacv1.AggregationRule{}}
	for _, s := range selectors {
		r.AggregationRule.ClusterRoleSelectors = append(r.AggregationRule.ClusterRoleSelectors, metav1.LabelSelector{MatchLabels: s})
	}
	return r
}

func rule(verb, resource string) rbacv1.PolicyRule {
	return rbacv1.PolicyRule{Verbs: []string{verb}, APIGroups: []string{""}, Resources: []string{resource}}
}

var (
	toView = map[string]string{"aggregate-to-view": "true"}
	toEdit = map[string]string{"aggregate-to-edit": "true"}
)

func TestAggregatedRules(t *testing.T) {
	for _, tc := range []struct {
		name string
		role *rbacv1.ClusterRole
		all  []*rbacv1.ClusterRole
		want []rbacv1.PolicyRule
	}{{
		name: "not aggregated",
		role: role("plain", nil, rule("get", "pods")),
		want: []rbacv1.PolicyRule{},
	}, {
		name: "no match",
		role: aggregated("view", toView),
		all:  []*rbacv1.ClusterRole{role("other", nil, rule("get", "pods"))},
		want: []rbacv1.PolicyRule{},
	}, {
		name: "matches in name order, de-duplicated",
		role: aggregated("view", toView),
		all: []*rbacv1.ClusterRole{
			role("b", toView, rule("get", "services"), rule("get", "pods")),
			role("a", toView, rule("get", "pods")),
			role("c", toEdit, rule("delete", "pods")),
		},
		want: []rbacv1.PolicyRule{rule("get", "pods"), rule("get", "services")},
	}, {
		name: "selectors in order, self excluded",
		role: func() *rbacv1.ClusterRole {
			r := aggregated("edit", toEdit, toView)
			r.Labels = toEdit
			return r
		}(),
		all: []*rbacv1.ClusterRole{
			role("edit", toEdit, rule("never", "self")),
			role("x", toView, rule("get", "pods")),
			role("y", toEdit, rule("delete", "pods")),
		},
		want: []rbacv1.PolicyRule{rule("delete", "pods"), rule("get", "pods")},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := AggregatedRules(tc.role, tc.all)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("rules (-want +got):\n%s", diff)
			}
		})
	}
}

func TestController(t *testing.T) {
	_, ctx := ktesting.NewTestContext(t)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	client := fake.NewClientset(aggregated("view", toView), role("pods-reader", toView, rule("get", "pods")))
	factory := informers.NewSharedInformerFactory(client, 0)
	c, err := New(factory.Rbac().V1().ClusterRoles(), client.RbacV1())
	if err != nil {
		t.Fatal(err)
	}
	factory.Start(ctx.Done())
	// Shutdown waits for the informers, which stop with ctx: cancel first.
	defer factory.Shutdown()
	defer cancel()
	go c.Run(ctx, 1)

	waitForRules := func(want ...rbacv1.PolicyRule) {
		t.Helper()
		var last []rbacv1.PolicyRule
		err := wait.PollUntilContextTimeout(ctx, 10*time.Millisecond, 10*time.Second, true, func(ctx context.Context) (bool, error) {
			view, err := client.RbacV1().ClusterRoles().Get(ctx, "view", metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			last = view.Rules
			return cmp.Equal(want, view.Rules), nil
		})
		if err != nil {
			t.Fatalf("view rules: got %v, want %v", last, want)
		}
	}
	waitForRules(rule("get", "pods"))

	if _, err := client.RbacV1().ClusterRoles().Create(ctx, role("services-reader", toView, rule("get", "services")), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitForRules(rule("get", "pods"), rule("get", "services"))

	if err := client.RbacV1().ClusterRoles().Delete(ctx, "pods-reader", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitForRules(rule("get", "services"))
}

func TestSyncAll(t *testing.T) {
	_, ctx := ktesting.NewTestContext(t)
	client := fake.NewClientset(aggregated("view", toView), role("pods-reader", toView, rule("get", "pods")))
	if err := SyncAll(ctx, client.RbacV1()); err != nil {
		t.Fatal(err)
	}
	view, err := client.RbacV1().ClusterRoles().Get(ctx, "view", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]rbacv1.PolicyRule{rule("get", "pods")}, view.Rules); diff != "" {
		t.Errorf("rules (-want +got):\n%s", diff)
	}
}
