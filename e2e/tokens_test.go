package e2e

// End-to-end tests of the token authenticators and what hangs off them: service account
// tokens from the TokenRequest API (used as bearer tokens, bound to pods and secrets,
// invalidated with what they are bound to), bootstrap tokens, TokenReview, anonymous
// requests, the ServiceAccount admission plugin, and the default service account and
// kube-root-ca.crt every namespace gets.

import (
	"bytes"
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/utils/ptr"

	"github.com/k1s-dev/k1s/cluster"
	"github.com/k1s-dev/k1s/e2e/framework"
	"github.com/k1s-dev/k1s/kubectlcmd"
)

// tokenConfig is a client configuration that authenticates with token alone (no client
// certificate); an empty token makes it anonymous.
func tokenConfig(c *framework.Cluster, token string) *rest.Config {
	admin := c.RESTConfig()
	return &rest.Config{
		Host:            admin.Host,
		TLSClientConfig: rest.TLSClientConfig{CAData: admin.TLSClientConfig.CAData},
		BearerToken:     token,
	}
}

func tokenClient(t *testing.T, c *framework.Cluster, token string) kubernetes.Interface {
	t.Helper()
	client, err := kubernetes.NewForConfig(tokenConfig(c, token))
	if err != nil {
		t.Fatal(err)
	}
	return client
}

// tokenKubectl runs kubectl with a kubeconfig holding only token.
func tokenKubectl(t *testing.T, c *framework.Cluster, token string, args ...string) string {
	t.Helper()
	cfg := tokenConfig(c, token)
	kubeconfig := clientcmdapi.NewConfig()
	kubeconfig.Clusters["k1s"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.TLSClientConfig.CAData}
	kubeconfig.AuthInfos["token"] = &clientcmdapi.AuthInfo{Token: token}
	kubeconfig.Contexts["k1s"] = &clientcmdapi.Context{Cluster: "k1s", AuthInfo: "token"}
	kubeconfig.CurrentContext = "k1s"
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*kubeconfig, path); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if err := kubectlcmd.Run(path, args, strings.NewReader(""), &out, &errOut); err != nil {
		t.Fatalf("kubectl %s: %v\n%s%s", strings.Join(args, " "), err, out.String(), errOut.String())
	}
	return out.String()
}

func createServiceAccount(t *testing.T, c *framework.Cluster, namespace, name string) *corev1.ServiceAccount {
	t.Helper()
	sa, err := c.Client.CoreV1().ServiceAccounts(namespace).Create(context.Background(),
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return sa
}

func requestToken(t *testing.T, c *framework.Cluster, namespace, name string, spec authenticationv1.TokenRequestSpec) *authenticationv1.TokenRequest {
	t.Helper()
	tr, err := c.Client.CoreV1().ServiceAccounts(namespace).CreateToken(context.Background(), name,
		&authenticationv1.TokenRequest{Spec: spec}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("requesting a token for %s/%s: %v", namespace, name, err)
	}
	return tr
}

// eventuallyUnauthorized waits until call fails with 401: the authenticator sees
// deletions through informers, a moment after they happen.
func eventuallyUnauthorized(t *testing.T, what string, call func(ctx context.Context) error) {
	t.Helper()
	framework.Eventually(t, 30*time.Second, what, func(ctx context.Context) (bool, error) {
		err := call(ctx)
		if apierrors.IsUnauthorized(err) {
			return true, nil
		}
		return false, err
	})
}

func TestServiceAccountTokens(t *testing.T) {
	t.Parallel()
	c := framework.Start(t, cluster.Config{EtcdUnsafeNoFsync: true})
	ctx := context.Background()
	rbacCreateNamespaces(t, c, "team-a", "team-b")
	sa := createServiceAccount(t, c, "team-a", "robot")
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "robot-view", Namespace: "team-a"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "view"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: "robot", Namespace: "team-a"}},
	}
	if _, err := c.Client.RbacV1().RoleBindings("team-a").Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	before := time.Now()
	tr := requestToken(t, c, "team-a", "robot", authenticationv1.TokenRequestSpec{})
	if tr.Status.Token == "" {
		t.Fatal("no token issued")
	}
	if got := ptr.Deref(tr.Spec.ExpirationSeconds, 0); got != 3600 {
		t.Errorf("expirationSeconds defaulted to %d, want 3600", got)
	}
	if !slices.Equal(tr.Spec.Audiences, []string{"https://kubernetes.default.svc.cluster.local"}) {
		t.Errorf("audiences %v, want the issuer", tr.Spec.Audiences)
	}
	if exp := tr.Status.ExpirationTimestamp.Time; exp.Before(before.Add(time.Hour-time.Minute)) || exp.After(time.Now().Add(time.Hour+time.Minute)) {
		t.Errorf("expiration %v, want an hour from now", exp)
	}
	if tr.UID != sa.UID || tr.Name != "robot" || tr.Namespace != "team-a" {
		t.Errorf("token request metadata %+v, want the service account's", tr.ObjectMeta)
	}

	robot := tokenClient(t, c, tr.Status.Token)
	rbacEventuallyAllowed(t, "robot listing pods in team-a", func(ctx context.Context) error {
		_, err := robot.CoreV1().Pods("team-a").List(ctx, metav1.ListOptions{})
		return err
	})
	_, err := robot.CoreV1().Secrets("team-b").List(ctx, metav1.ListOptions{})
	rbacExpectForbidden(t, err, `secrets is forbidden: User "system:serviceaccount:team-a:robot" cannot list resource "secrets" in API group "" in the namespace "team-b"`)

	whoami := tokenKubectl(t, c, tr.Status.Token, "auth", "whoami")
	for _, want := range []string{"system:serviceaccount:team-a:robot", "system:serviceaccounts", "system:serviceaccounts:team-a", "system:authenticated", "authentication.kubernetes.io/credential-id", "JTI="} {
		if !strings.Contains(whoami, want) {
			t.Errorf("whoami lacks %q:\n%s", want, whoami)
		}
	}
	review, err := robot.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := review.Status.UserInfo; got.UID != string(sa.UID) || !slices.Equal(got.Groups, []string{"system:serviceaccounts", "system:serviceaccounts:team-a", "system:authenticated"}) {
		t.Errorf("user info %+v", got)
	}

	// kubectl create token asks the same API.
	kubectlToken := strings.TrimSpace(c.Kubectl(t, "create", "token", "robot", "-n", "team-a", "--duration=10m"))
	if out := tokenKubectl(t, c, kubectlToken, "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"); out != "system:serviceaccount:team-a:robot" {
		t.Errorf("whoami with the token of kubectl create token printed %q", out)
	}

	// Too short a lifetime is refused; the minimum is 10 minutes.
	_, err = c.Client.CoreV1().ServiceAccounts("team-a").CreateToken(ctx, "robot",
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](599)}}, metav1.CreateOptions{})
	if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "may not specify a duration less than 10 minutes") {
		t.Errorf("599 s token: %v, want 422", err)
	}
	short := requestToken(t, c, "team-a", "robot", authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](600)})
	if short.Status.Token == "" {
		t.Error("no 600 s token")
	}
	// Tokens for missing service accounts are not issued.
	_, err = c.Client.CoreV1().ServiceAccounts("team-a").CreateToken(ctx, "ghost", &authenticationv1.TokenRequest{}, metav1.CreateOptions{})
	if !apierrors.IsNotFound(err) {
		t.Errorf("token for a missing service account: %v, want 404", err)
	}

	// A token for another audience is not accepted here.
	vault := requestToken(t, c, "team-a", "robot", authenticationv1.TokenRequestSpec{Audiences: []string{"vault"}})
	_, err = tokenClient(t, c, vault.Status.Token).CoreV1().Pods("team-a").List(ctx, metav1.ListOptions{})
	if !apierrors.IsUnauthorized(err) {
		t.Errorf("token for audience vault used here: %v, want 401", err)
	}

	// TokenReview, as a webhook authenticator of another server would ask.
	tokenReview := func(token string, audiences ...string) authenticationv1.TokenReviewStatus {
		t.Helper()
		r, err := c.Client.AuthenticationV1().TokenReviews().Create(ctx, &authenticationv1.TokenReview{
			Spec: authenticationv1.TokenReviewSpec{Token: token, Audiences: audiences},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return r.Status
	}
	if got := tokenReview(tr.Status.Token); !got.Authenticated || got.User.Username != "system:serviceaccount:team-a:robot" ||
		!slices.Equal(got.Audiences, []string{"https://kubernetes.default.svc.cluster.local"}) {
		t.Errorf("review of a valid token: %+v", got)
	}
	if got := tokenReview("not-a-token"); got.Authenticated || got.Error == "" {
		t.Errorf("review of an invalid token: %+v", got)
	}
	if got := tokenReview(vault.Status.Token, "vault"); !got.Authenticated || !slices.Equal(got.Audiences, []string{"vault"}) {
		t.Errorf("review of a vault token for vault: %+v", got)
	}
	if got := tokenReview(vault.Status.Token); got.Authenticated {
		t.Errorf("review of a vault token for the apiserver: %+v", got)
	}

	// Deleting the service account invalidates its tokens.
	if err := c.Client.CoreV1().ServiceAccounts("team-a").Delete(ctx, "robot", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventuallyUnauthorized(t, "the deleted service account's token to be refused", func(ctx context.Context) error {
		_, err := robot.CoreV1().Pods("team-a").List(ctx, metav1.ListOptions{})
		return err
	})
	// A new service account of the same name does not revive them.
	createServiceAccount(t, c, "team-a", "robot")
	_, err = robot.CoreV1().Pods("team-a").List(ctx, metav1.ListOptions{})
	if !apierrors.IsUnauthorized(err) {
		t.Errorf("token of the recreated service account's predecessor: %v, want 401", err)
	}
	if got := tokenReview(tr.Status.Token); got.Authenticated {
		t.Errorf("review of the deleted service account's token: %+v", got)
	}
}

func TestServiceAccountTokenBinding(t *testing.T) {
	t.Parallel()
	c := framework.Start(t, cluster.Config{EtcdUnsafeNoFsync: true})
	ctx := context.Background()
	rbacCreateNamespaces(t, c, "apps")
	createServiceAccount(t, c, "apps", "robot")
	pod, err := c.Client.CoreV1().Pods("apps").Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec:       corev1.PodSpec{ServiceAccountName: "robot", Containers: []corev1.Container{{Name: "c", Image: "busybox"}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	podRef := &authenticationv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: "web", UID: pod.UID}
	podToken := requestToken(t, c, "apps", "robot", authenticationv1.TokenRequestSpec{BoundObjectRef: podRef}).Status.Token

	whoami := tokenKubectl(t, c, podToken, "auth", "whoami", "-o", "jsonpath={.status.userInfo.extra}")
	for _, want := range []string{`"authentication.kubernetes.io/pod-name":["web"]`, `"authentication.kubernetes.io/pod-uid":["` + string(pod.UID) + `"]`} {
		if !strings.Contains(whoami, want) {
			t.Errorf("whoami extra lacks %s: %s", want, whoami)
		}
	}

	// Binding errors: another pod's UID, another service account's pod, unsupported kinds.
	_, err = c.Client.CoreV1().ServiceAccounts("apps").CreateToken(ctx, "robot", &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{
		BoundObjectRef: &authenticationv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: "web", UID: types.UID("other")},
	}}, metav1.CreateOptions{})
	if !apierrors.IsConflict(err) {
		t.Errorf("token bound to a stale pod UID: %v, want 409", err)
	}
	createServiceAccount(t, c, "apps", "other")
	_, err = c.Client.CoreV1().ServiceAccounts("apps").CreateToken(ctx, "other", &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{BoundObjectRef: podRef}}, metav1.CreateOptions{})
	if !apierrors.IsBadRequest(err) || !strings.Contains(err.Error(), "cannot bind token for serviceaccount \"other\" to pod running with different serviceaccount name.") {
		t.Errorf("token bound to another service account's pod: %v, want 400", err)
	}
	_, err = c.Client.CoreV1().ServiceAccounts("apps").CreateToken(ctx, "robot", &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{
		BoundObjectRef: &authenticationv1.BoundObjectReference{Kind: "ConfigMap", APIVersion: "v1", Name: "kube-root-ca.crt"},
	}}, metav1.CreateOptions{})
	if !apierrors.IsBadRequest(err) || !strings.Contains(err.Error(), "cannot bind token to object of type /v1, Kind=ConfigMap") {
		t.Errorf("token bound to a configmap: %v, want 400", err)
	}

	// A token bound to a secret dies with the secret.
	secret, err := c.Client.CoreV1().Secrets("apps").Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "s"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	secretToken := requestToken(t, c, "apps", "robot", authenticationv1.TokenRequestSpec{
		BoundObjectRef: &authenticationv1.BoundObjectReference{Kind: "Secret", APIVersion: "v1", Name: "s", UID: secret.UID},
	}).Status.Token
	secretClient := tokenClient(t, c, secretToken)
	selfReview := func(client kubernetes.Interface) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			_, err := client.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
			return err
		}
	}
	if err := selfReview(secretClient)(ctx); err != nil {
		t.Fatalf("secret-bound token: %v", err)
	}
	if err := c.Client.CoreV1().Secrets("apps").Delete(ctx, "s", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventuallyUnauthorized(t, "the deleted secret's token to be refused", selfReview(secretClient))

	// A token bound to a pod dies with the pod.
	podClient := tokenClient(t, c, podToken)
	if err := selfReview(podClient)(ctx); err != nil {
		t.Fatalf("pod-bound token: %v", err)
	}
	if err := c.Client.CoreV1().Pods("apps").Delete(ctx, "web", metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)}); err != nil {
		t.Fatal(err)
	}
	eventuallyUnauthorized(t, "the deleted pod's token to be refused", selfReview(podClient))
}

func TestServiceAccountAdmission(t *testing.T) {
	t.Parallel()
	c := framework.Start(t, cluster.Config{EtcdUnsafeNoFsync: true})
	ctx := context.Background()

	// A new namespace gets a default service account and the cluster CA.
	rbacCreateNamespaces(t, c, "fresh")
	framework.Eventually(t, 30*time.Second, "default service account and kube-root-ca.crt in fresh", func(ctx context.Context) (bool, error) {
		if _, err := c.Client.CoreV1().ServiceAccounts("fresh").Get(ctx, "default", metav1.GetOptions{}); err != nil {
			return false, err
		}
		cm, err := c.Client.CoreV1().ConfigMaps("fresh").Get(ctx, "kube-root-ca.crt", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		if cm.Data["ca.crt"] != string(c.CA().CertPEM()) {
			t.Fatalf("kube-root-ca.crt holds %q, want the cluster CA", cm.Data["ca.crt"])
		}
		return true, nil
	})
	for _, ns := range []string{metav1.NamespaceDefault, metav1.NamespaceSystem} {
		if _, err := c.Client.CoreV1().ConfigMaps(ns).Get(ctx, "kube-root-ca.crt", metav1.GetOptions{}); err != nil {
			t.Errorf("kube-root-ca.crt in %s: %v", ns, err)
		}
	}

	// A pod created right away, without a service account, gets the default one and
	// its token volume in every container.
	pod, err := c.Client.CoreV1().Pods("fresh").Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "p"},
		Spec: corev1.PodSpec{
			InitContainers: []corev1.Container{{Name: "init", Image: "busybox"}},
			Containers:     []corev1.Container{{Name: "c", Image: "busybox"}},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if pod.Spec.ServiceAccountName != "default" {
		t.Errorf("serviceAccountName %q, want default", pod.Spec.ServiceAccountName)
	}
	if len(pod.Spec.Volumes) != 1 || !strings.HasPrefix(pod.Spec.Volumes[0].Name, "kube-api-access-") || len(pod.Spec.Volumes[0].Name) != len("kube-api-access-")+5 {
		t.Fatalf("volumes %+v, want one kube-api-access-<5 random>", pod.Spec.Volumes)
	}
	projected := pod.Spec.Volumes[0].Projected
	if projected == nil || len(projected.Sources) != 3 ||
		projected.Sources[0].ServiceAccountToken == nil || ptr.Deref(projected.Sources[0].ServiceAccountToken.ExpirationSeconds, 0) != 3607 ||
		projected.Sources[1].ConfigMap == nil || projected.Sources[1].ConfigMap.Name != "kube-root-ca.crt" ||
		projected.Sources[2].DownwardAPI == nil || projected.Sources[2].DownwardAPI.Items[0].FieldRef.FieldPath != "metadata.namespace" {
		t.Errorf("token volume %+v", projected)
	}
	for _, container := range append(pod.Spec.InitContainers, pod.Spec.Containers...) {
		want := corev1.VolumeMount{Name: pod.Spec.Volumes[0].Name, ReadOnly: true, MountPath: "/var/run/secrets/kubernetes.io/serviceaccount"}
		if !slices.ContainsFunc(container.VolumeMounts, func(m corev1.VolumeMount) bool { return apiequality.Semantic.DeepEqual(m, want) }) {
			t.Errorf("container %s mounts %+v, want %+v", container.Name, container.VolumeMounts, want)
		}
	}

	// Opting out: no volume.
	optOut, err := c.Client.CoreV1().Pods("fresh").Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "no-token"},
		Spec: corev1.PodSpec{
			AutomountServiceAccountToken: ptr.To(false),
			Containers:                   []corev1.Container{{Name: "c", Image: "busybox"}},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(optOut.Spec.Volumes) != 0 || len(optOut.Spec.Containers[0].VolumeMounts) != 0 {
		t.Errorf("opted-out pod got %+v", optOut.Spec.Volumes)
	}

	// A missing service account is refused with upstream's message.
	_, err = c.Client.CoreV1().Pods("fresh").Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "ghostly"},
		Spec:       corev1.PodSpec{ServiceAccountName: "ghost", Containers: []corev1.Container{{Name: "c", Image: "busybox"}}},
	}, metav1.CreateOptions{})
	rbacExpectForbidden(t, err, `pods "ghostly" is forbidden: error looking up service account fresh/ghost: serviceaccount "ghost" not found`)
}

func TestBootstrapTokens(t *testing.T) {
	t.Parallel()
	c := framework.Start(t, cluster.Config{EtcdUnsafeNoFsync: true})
	ctx := context.Background()
	secret := func(id, expiration string) *corev1.Secret {
		s := &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: "bootstrap-token-" + id, Namespace: metav1.NamespaceSystem},
			Type:       "bootstrap.kubernetes.io/token",
			StringData: map[string]string{
				"token-id":                       id,
				"token-secret":                   "0123456789abcdef",
				"usage-bootstrap-authentication": "true",
				"auth-extra-groups":              "system:bootstrappers:kubeadm:default-node-token",
			},
		}
		if expiration != "" {
			s.StringData["expiration"] = expiration
		}
		return s
	}
	for _, s := range []*corev1.Secret{
		secret("abc123", time.Now().Add(time.Hour).Format(time.RFC3339)),
		secret("old456", time.Now().Add(-time.Minute).Format(time.RFC3339)),
	} {
		if _, err := c.Client.CoreV1().Secrets(metav1.NamespaceSystem).Create(ctx, s, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	valid := tokenClient(t, c, "abc123.0123456789abcdef")
	var review *authenticationv1.SelfSubjectReview
	rbacEventuallyAllowed(t, "the bootstrap token to authenticate", func(ctx context.Context) error {
		var err error
		review, err = valid.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
		return err
	})
	if got := review.Status.UserInfo; got.Username != "system:bootstrap:abc123" ||
		!slices.Equal(got.Groups, []string{"system:bootstrappers", "system:bootstrappers:kubeadm:default-node-token", "system:authenticated"}) {
		t.Errorf("bootstrap user %+v", got)
	}
	whoami := tokenKubectl(t, c, "abc123.0123456789abcdef", "auth", "whoami")
	for _, want := range []string{"system:bootstrap:abc123", "system:bootstrappers", "system:authenticated"} {
		if !strings.Contains(whoami, want) {
			t.Errorf("whoami lacks %q:\n%s", want, whoami)
		}
	}

	for token, why := range map[string]string{
		"abc123.0123456789abcdee": "wrong secret",
		"old456.0123456789abcdef": "expired",
		"zzz999.0123456789abcdef": "no such token",
	} {
		_, err := tokenClient(t, c, token).AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
		if !apierrors.IsUnauthorized(err) {
			t.Errorf("%s bootstrap token: %v, want 401", why, err)
		}
	}

	// Deleting the secret revokes the token.
	if err := c.Client.CoreV1().Secrets(metav1.NamespaceSystem).Delete(ctx, "bootstrap-token-abc123", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventuallyUnauthorized(t, "the deleted bootstrap token to be refused", func(ctx context.Context) error {
		_, err := valid.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
		return err
	})
}

func TestAnonymousRequests(t *testing.T) {
	t.Parallel()
	c := framework.Start(t, cluster.Config{EtcdUnsafeNoFsync: true})
	ctx := context.Background()
	anonymous := tokenClient(t, c, "")

	// Anonymous requests reach the public health and version endpoints...
	for _, path := range []string{"/healthz", "/livez", "/readyz", "/version"} {
		body, err := anonymous.Discovery().RESTClient().Get().AbsPath(path).DoRaw(ctx)
		if err != nil {
			t.Errorf("anonymous GET %s: %v %s", path, err, body)
		}
	}
	if v, err := anonymous.Discovery().ServerVersion(); err != nil || !strings.HasPrefix(v.GitVersion, "v1.37.") {
		t.Errorf("anonymous version: %v %v", v, err)
	}
	// ...and nothing else: 401, not 403.
	_, err := anonymous.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
	if !apierrors.IsUnauthorized(err) {
		t.Errorf("anonymous list of pods: %v, want 401", err)
	}
	for _, path := range []string{"/api", "/apis", "/metrics", "/healthz/ping", "/openapi/v2"} {
		result := anonymous.Discovery().RESTClient().Get().AbsPath(path).Do(ctx)
		var code int
		result.StatusCode(&code)
		if code != 401 {
			t.Errorf("anonymous GET %s: status %d, want 401", path, code)
		}
	}
	// A bad token is refused even where anonymous requests are allowed.
	bad := tokenClient(t, c, "abc123.0123456789abcdef")
	if _, err := bad.Discovery().RESTClient().Get().AbsPath("/healthz").DoRaw(ctx); !apierrors.IsUnauthorized(err) {
		t.Errorf("GET /healthz with a bad token: %v, want 401", err)
	}
}
