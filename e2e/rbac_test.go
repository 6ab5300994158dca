package e2e

// End-to-end tests of RBAC and the authorization APIs: users authenticated by client
// certificates get only what roles bound to them grant, cannot grant themselves more
// (escalate/bind), kubectl's auth commands work, and the bootstrap policy is created,
// aggregated and reconciled across restarts.

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/k1s-dev/k1s/cluster"
	"github.com/k1s-dev/k1s/e2e/framework"
	"github.com/k1s-dev/k1s/kubectlcmd"
	"github.com/k1s-dev/k1s/pki"
)

// rbacUserClient returns a client authenticated as user (in groups) by a client
// certificate signed by the cluster CA.
func rbacUserClient(t *testing.T, c *framework.Cluster, user string, groups ...string) kubernetes.Interface {
	t.Helper()
	kp, err := c.CA().EnsureClient(t.TempDir(), user, pki.ClientSpec{CommonName: user, Organizations: groups})
	if err != nil {
		t.Fatal(err)
	}
	cfg := c.RESTConfig()
	cfg.TLSClientConfig = rest.TLSClientConfig{CAData: cfg.TLSClientConfig.CAData, CertFile: kp.CertFile, KeyFile: kp.KeyFile}
	return kubernetes.NewForConfigOrDie(cfg)
}

func rbacCreateNamespaces(t *testing.T, c *framework.Cluster, names ...string) {
	t.Helper()
	for _, name := range names {
		if _, err := c.Client.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

func rbacUserSubject(name string) []rbacv1.Subject {
	return []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: name}}
}

// rbacBind binds roleKind/roleName to user in namespace, as the admin.
func rbacBind(t *testing.T, c *framework.Cluster, namespace, name, roleKind, roleName, user string) {
	t.Helper()
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: roleKind, Name: roleName},
		Subjects:   rbacUserSubject(user),
	}
	if _, err := c.Client.RbacV1().RoleBindings(namespace).Create(context.Background(), binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// rbacGrant creates a Role in namespace with rules and binds it to user, as the admin.
func rbacGrant(t *testing.T, c *framework.Cluster, namespace, name, user string, rules ...rbacv1.PolicyRule) {
	t.Helper()
	role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace}, Rules: rules}
	if _, err := c.Client.RbacV1().Roles(namespace).Create(context.Background(), role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	rbacBind(t, c, namespace, name, "Role", name, user)
}

// rbacEventuallyAllowed waits until call succeeds: the authorizer reads bindings through
// informers, so a new binding takes effect a moment after it is written.
func rbacEventuallyAllowed(t *testing.T, what string, call func(ctx context.Context) error) {
	t.Helper()
	framework.Eventually(t, 30*time.Second, what, func(ctx context.Context) (bool, error) {
		if err := call(ctx); err != nil {
			return false, err
		}
		return true, nil
	})
}

func rbacExpectForbidden(t *testing.T, err error, message string) {
	t.Helper()
	if !apierrors.IsForbidden(err) {
		t.Fatalf("expected 403 Forbidden, got %v", err)
	}
	if message != "" && !strings.Contains(err.Error(), message) {
		t.Fatalf("expected the error to contain %q, got %q", message, err.Error())
	}
}

func TestRBACUserAccess(t *testing.T) {
	t.Parallel()
	c := framework.Start(t, cluster.Config{EtcdUnsafeNoFsync: true})
	ctx := context.Background()
	alice := rbacUserClient(t, c, "alice")
	rbacCreateNamespaces(t, c, "team-a", "team-b")

	// Without bindings alice may only learn about herself.
	_, err := alice.CoreV1().Pods(metav1.NamespaceDefault).List(ctx, metav1.ListOptions{})
	rbacExpectForbidden(t, err, `pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "default"`)
	if err.Error() != `pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "default"` {
		t.Errorf("unexpected message %q", err.Error())
	}
	review, err := alice.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("alice may review herself (system:basic-user): %v", err)
	}
	if got := review.Status.UserInfo; got.Username != "alice" || !slices.Equal(got.Groups, []string{"system:authenticated"}) {
		t.Errorf("alice's SelfSubjectReview: %+v", got)
	}

	// view in team-a: pods there, but not secrets, and nothing in team-b.
	rbacBind(t, c, "team-a", "alice-view", "ClusterRole", "view", "alice")
	rbacEventuallyAllowed(t, "alice listing pods in team-a", func(ctx context.Context) error {
		_, err := alice.CoreV1().Pods("team-a").List(ctx, metav1.ListOptions{})
		return err
	})
	_, err = alice.CoreV1().Secrets("team-a").List(ctx, metav1.ListOptions{})
	rbacExpectForbidden(t, err, `secrets is forbidden: User "alice" cannot list resource "secrets" in API group "" in the namespace "team-a"`)
	_, err = alice.CoreV1().Pods("team-b").List(ctx, metav1.ListOptions{})
	rbacExpectForbidden(t, err, `pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "team-b"`)
	_, err = alice.CoreV1().Pods("team-a").Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "p"},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}},
	}, metav1.CreateOptions{})
	rbacExpectForbidden(t, err, `pods is forbidden: User "alice" cannot create resource "pods" in API group "" in the namespace "team-a"`)

	// The admin asks the authorizer about alice.
	sar, err := c.Client.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
		User: "alice", ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: "team-a", Verb: "list", Resource: "pods"},
	}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := `RBAC: allowed by RoleBinding "alice-view/team-a" of ClusterRole "view" to User "alice"`; !sar.Status.Allowed || sar.Status.Reason != want {
		t.Errorf("SubjectAccessReview status %+v, want allowed with reason %q", sar.Status, want)
	}
	lsar, err := c.Client.AuthorizationV1().LocalSubjectAccessReviews("team-b").Create(ctx, &authorizationv1.LocalSubjectAccessReview{
		ObjectMeta: metav1.ObjectMeta{Namespace: "team-b"},
		Spec: authorizationv1.SubjectAccessReviewSpec{
			User: "alice", ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: "team-b", Verb: "list", Resource: "pods"},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if lsar.Status.Allowed || lsar.Status.Denied {
		t.Errorf("LocalSubjectAccessReview in team-b: %+v, want no opinion", lsar.Status)
	}
	ssar, err := alice.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{
		ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: "team-a", Verb: "watch", Resource: "pods"},
	}}, metav1.CreateOptions{})
	if err != nil || !ssar.Status.Allowed {
		t.Errorf("alice's SelfSubjectAccessReview for watching pods in team-a: %v %+v", err, ssar)
	}

	// kubectl, as the admin impersonating alice.
	if out := c.Kubectl(t, "auth", "can-i", "list", "pods", "--as=alice", "-n", "team-a"); out != "yes\n" {
		t.Errorf("can-i list pods in team-a printed %q", out)
	}
	r := c.KubectlIn(t, "", "auth", "can-i", "list", "pods", "--as=alice", "-n", "team-b")
	var exitErr *kubectlcmd.ExitError
	if !errors.As(r.Err, &exitErr) || exitErr.Code != 1 || r.Stdout != "no\n" {
		t.Errorf("can-i list pods in team-b: stdout %q, err %v; want \"no\" and exit code 1", r.Stdout, r.Err)
	}
	list := c.Kubectl(t, "auth", "can-i", "--list", "--as=alice", "-n", "team-a")
	for _, want := range []string{"Resources", "Non-Resource URLs", "Verbs", "selfsubjectaccessreviews.authorization.k8s.io", "pods ", "deployments.apps", "/version"} {
		if !strings.Contains(list, want) {
			t.Errorf("can-i --list lacks %q:\n%s", want, list)
		}
	}
	if strings.Contains(list, "secrets") {
		t.Errorf("can-i --list shows secrets, which view does not grant:\n%s", list)
	}

	whoami := c.Kubectl(t, "auth", "whoami")
	for _, want := range []string{"Username", "kubernetes-admin", "Groups", "system:masters", "system:authenticated"} {
		if !strings.Contains(whoami, want) {
			t.Errorf("whoami lacks %q:\n%s", want, whoami)
		}
	}
	if out := c.Kubectl(t, "auth", "whoami", "--as=alice", "-o", "jsonpath={.status.userInfo.username}"); out != "alice" {
		t.Errorf("whoami as alice printed %q", out)
	}
}

func TestRBACEscalation(t *testing.T) {
	t.Parallel()
	c := framework.Start(t, cluster.Config{EtcdUnsafeNoFsync: true})
	ctx := context.Background()
	alice := rbacUserClient(t, c, "alice", "developers")
	rbacCreateNamespaces(t, c, "team-a")

	// alice may view and manage roles and bindings in team-a, nothing more.
	rbacBind(t, c, "team-a", "alice-view", "ClusterRole", "view", "alice")
	rbacGrant(t, c, "team-a", "rbac-writer", "alice", rbacv1.PolicyRule{
		Verbs: []string{"create", "update", "get"}, APIGroups: []string{rbacv1.GroupName}, Resources: []string{"roles", "rolebindings"},
	})
	toClusterAdmin := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "bob-admin", Namespace: "team-a"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
		Subjects:   rbacUserSubject("bob"),
	}
	toView := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "bob-view", Namespace: "team-a"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "view"},
		Subjects:   rbacUserSubject("bob"),
	}

	// Binding what she holds is fine; binding cluster-admin is an escalation.
	rbacEventuallyAllowed(t, "alice binding view in team-a", func(ctx context.Context) error {
		_, err := alice.RbacV1().RoleBindings("team-a").Create(ctx, toView, metav1.CreateOptions{})
		return err
	})
	_, err := alice.RbacV1().RoleBindings("team-a").Create(ctx, toClusterAdmin, metav1.CreateOptions{})
	rbacExpectForbidden(t, err, `rolebindings.rbac.authorization.k8s.io "bob-admin" is forbidden: user "alice" (groups=["developers" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:`)
	// Nor may she point an existing binding at it: roleRef is immutable.
	updated := toView.DeepCopy()
	updated.RoleRef.Name = "cluster-admin"
	_, err = alice.RbacV1().RoleBindings("team-a").Update(ctx, updated, metav1.UpdateOptions{})
	if err == nil {
		t.Fatal("changing a binding's roleRef succeeded")
	}

	// Roles: no more than she holds, unless she may escalate.
	secretsReader := &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: "secrets-reader", Namespace: "team-a"},
		Rules:      []rbacv1.PolicyRule{{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"secrets"}}},
	}
	_, err = alice.RbacV1().Roles("team-a").Create(ctx, secretsReader, metav1.CreateOptions{})
	rbacExpectForbidden(t, err, `{APIGroups:[""], Resources:["secrets"], Verbs:["get"]}`)
	podsReader := &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: "pods-reader", Namespace: "team-a"},
		Rules:      []rbacv1.PolicyRule{{Verbs: []string{"get", "list"}, APIGroups: []string{""}, Resources: []string{"pods"}}},
	}
	if _, err := alice.RbacV1().Roles("team-a").Create(ctx, podsReader, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating a role within her rights: %v", err)
	}

	// "bind" on cluster-admin in team-a lets her bind it there.
	rbacGrant(t, c, "team-a", "bind-cluster-admin", "alice", rbacv1.PolicyRule{
		Verbs: []string{"bind"}, APIGroups: []string{rbacv1.GroupName}, Resources: []string{"clusterroles"}, ResourceNames: []string{"cluster-admin"},
	})
	rbacEventuallyAllowed(t, "alice binding cluster-admin with the bind verb", func(ctx context.Context) error {
		_, err := alice.RbacV1().RoleBindings("team-a").Create(ctx, toClusterAdmin, metav1.CreateOptions{})
		return err
	})

	// "escalate" on roles lets her write any rules into roles.
	rbacGrant(t, c, "team-a", "escalate-roles", "alice", rbacv1.PolicyRule{
		Verbs: []string{"escalate"}, APIGroups: []string{rbacv1.GroupName}, Resources: []string{"roles"},
	})
	rbacEventuallyAllowed(t, "alice creating a role with the escalate verb", func(ctx context.Context) error {
		_, err := alice.RbacV1().Roles("team-a").Create(ctx, secretsReader, metav1.CreateOptions{})
		return err
	})

	// Cluster-wide she holds nothing, so no ClusterRoleBinding of anything but the
	// discovery roles all authenticated users hold.
	_, err = alice.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "alice-admin"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
		Subjects:   rbacUserSubject("alice"),
	}, metav1.CreateOptions{})
	rbacExpectForbidden(t, err, `clusterrolebindings.rbac.authorization.k8s.io is forbidden: User "alice" cannot create resource "clusterrolebindings"`)
}

// rbacClusterRole gets a ClusterRole, failing the test on error.
func rbacClusterRole(t *testing.T, c *framework.Cluster, name string) *rbacv1.ClusterRole {
	t.Helper()
	role, err := c.Client.RbacV1().ClusterRoles().Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return role
}

func rbacHasRule(rules []rbacv1.PolicyRule, group, resource, verb string) bool {
	return slices.ContainsFunc(rules, func(r rbacv1.PolicyRule) bool {
		return slices.Contains(r.APIGroups, group) && slices.Contains(r.Resources, resource) && slices.Contains(r.Verbs, verb)
	})
}

// rbacRemoveRules drops the rules covering group/resource from a ClusterRole.
func rbacRemoveRules(t *testing.T, c *framework.Cluster, name, group, resource string) {
	t.Helper()
	role := rbacClusterRole(t, c, name)
	role.Rules = slices.DeleteFunc(role.Rules, func(r rbacv1.PolicyRule) bool {
		return slices.Contains(r.APIGroups, group) && slices.Contains(r.Resources, resource)
	})
	if _, err := c.Client.RbacV1().ClusterRoles().Update(context.Background(), role, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func TestRBACBootstrapPolicy(t *testing.T) {
	t.Parallel()
	dataDir := t.TempDir()
	c := framework.Start(t, cluster.Config{DataDir: dataDir, EtcdUnsafeNoFsync: true})
	ctx := context.Background()

	// The bootstrap roles exist as soon as the cluster is ready, aggregated ones filled.
	for _, name := range []string{"cluster-admin", "admin", "edit", "view", "system:basic-user", "system:discovery",
		"system:public-info-viewer", "system:node", "system:kube-scheduler", "system:kube-controller-manager",
		"system:cloud-controller-manager", "system:controller:node-controller"} {
		role := rbacClusterRole(t, c, name)
		if role.Labels["kubernetes.io/bootstrapping"] != "rbac-defaults" || role.Annotations[rbacv1.AutoUpdateAnnotationKey] != "true" {
			t.Errorf("ClusterRole %s: labels %v, annotations %v", name, role.Labels, role.Annotations)
		}
	}
	for _, name := range []string{"view", "edit", "admin"} {
		if role := rbacClusterRole(t, c, name); !rbacHasRule(role.Rules, "", "pods", "list") {
			t.Errorf("aggregated ClusterRole %s cannot list pods: %v", name, role.Rules)
		}
	}
	binding, err := c.Client.RbacV1().ClusterRoleBindings().Get(ctx, "cluster-admin", metav1.GetOptions{})
	if err != nil || len(binding.Subjects) != 1 || binding.Subjects[0].Name != "system:masters" {
		t.Fatalf("cluster-admin binding: %v %+v", err, binding)
	}

	// A ClusterRole labelled aggregate-to-view lends its rules to view (and so to edit
	// and admin).
	widgets := &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "widgets-view", Labels: map[string]string{"rbac.authorization.k8s.io/aggregate-to-view": "true"}},
		Rules:      []rbacv1.PolicyRule{{Verbs: []string{"get", "list", "watch"}, APIGroups: []string{"example.com"}, Resources: []string{"widgets"}}},
	}
	if _, err := c.Client.RbacV1().ClusterRoles().Create(ctx, widgets, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"view", "edit", "admin"} {
		framework.Eventually(t, 30*time.Second, name+" aggregating widgets-view", func(ctx context.Context) (bool, error) {
			role, err := c.Client.RbacV1().ClusterRoles().Get(ctx, name, metav1.GetOptions{})
			return err == nil && rbacHasRule(role.Rules, "example.com", "widgets", "list"), err
		})
	}

	// Damage the policy: drop pod rules from view's source and from view itself, drop a
	// binding, add a rule of our own, and opt one role out of reconciliation.
	rbacRemoveRules(t, c, "system:aggregate-to-view", "", "pods")
	framework.Eventually(t, 30*time.Second, "view losing the pod rules of its source", func(ctx context.Context) (bool, error) {
		role, err := c.Client.RbacV1().ClusterRoles().Get(ctx, "view", metav1.GetOptions{})
		return err == nil && !rbacHasRule(role.Rules, "", "pods", "list"), err
	})
	rbacRemoveRules(t, c, "view", "example.com", "widgets")
	if err := c.Client.RbacV1().ClusterRoleBindings().Delete(ctx, "system:discovery", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	basicUser := rbacClusterRole(t, c, "system:basic-user")
	basicUser.Rules = append(basicUser.Rules, rbacv1.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"configmaps"}, ResourceNames: []string{"cluster-info"}})
	if _, err := c.Client.RbacV1().ClusterRoles().Update(ctx, basicUser, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	bootstrapper := rbacClusterRole(t, c, "system:node-bootstrapper")
	bootstrapper.Annotations[rbacv1.AutoUpdateAnnotationKey] = "false"
	bootstrapper.Rules = nil
	if _, err := c.Client.RbacV1().ClusterRoles().Update(ctx, bootstrapper, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}

	// Restart on the same data dir: reconciliation repairs, and keeps what users added.
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	c = framework.Start(t, cluster.Config{DataDir: dataDir, EtcdUnsafeNoFsync: true})

	if role := rbacClusterRole(t, c, "system:aggregate-to-view"); !rbacHasRule(role.Rules, "", "pods", "list") {
		t.Errorf("system:aggregate-to-view did not get its pod rules back: %v", role.Rules)
	}
	if role := rbacClusterRole(t, c, "view"); !rbacHasRule(role.Rules, "", "pods", "list") || !rbacHasRule(role.Rules, "example.com", "widgets", "list") {
		t.Errorf("view was not repaired at ready: %v", role.Rules)
	}
	if _, err := c.Client.RbacV1().ClusterRoleBindings().Get(ctx, "system:discovery", metav1.GetOptions{}); err != nil {
		t.Errorf("system:discovery binding not recreated: %v", err)
	}
	if role := rbacClusterRole(t, c, "system:basic-user"); !rbacHasRule(role.Rules, "", "configmaps", "get") ||
		!rbacHasRule(role.Rules, "authorization.k8s.io", "selfsubjectaccessreviews", "create") {
		t.Errorf("system:basic-user lost a rule: %v", role.Rules)
	}
	if role := rbacClusterRole(t, c, "system:node-bootstrapper"); len(role.Rules) != 0 {
		t.Errorf("system:node-bootstrapper opted out of reconciliation but was reconciled: %v", role.Rules)
	}
}
