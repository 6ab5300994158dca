package bootstraptoken

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/klog/v2/ktesting"
	clocktesting "k8s.io/utils/clock/testing"
)

const (
	tokenID     = "abc123"
	tokenSecret = "0123456789abcdef"
	token       = tokenID + "." + tokenSecret
)

var now = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func bootstrapSecret(mutate func(*corev1.Secret)) *corev1.Secret {
	s := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: metav1.NamespaceSystem, Name: "bootstrap-token-" + tokenID},
		Type:       "bootstrap.kubernetes.io/token",
		Data: map[string][]byte{
			"token-id":                       []byte(tokenID),
			"token-secret":                   []byte(tokenSecret),
			"usage-bootstrap-authentication": []byte("true"),
		},
	}
	if mutate != nil {
		mutate(s)
	}
	return s
}

func TestAuthenticateToken(t *testing.T) {
	tests := []struct {
		name     string
		secret   *corev1.Secret
		token    string
		wantUser *user.DefaultInfo
	}{
		{
			name:     "valid",
			secret:   bootstrapSecret(nil),
			token:    token,
			wantUser: &user.DefaultInfo{Name: "system:bootstrap:" + tokenID, Groups: []string{"system:bootstrappers"}},
		},
		{
			name: "valid with extra groups and future expiration",
			secret: bootstrapSecret(func(s *corev1.Secret) {
				s.Data["auth-extra-groups"] = []byte("system:bootstrappers:kubeadm:default-node-token,system:bootstrappers:b")
				s.Data["expiration"] = []byte(now.Add(time.Hour).Format(time.RFC3339))
			}),
			token: token,
			wantUser: &user.DefaultInfo{Name: "system:bootstrap:" + tokenID, Groups: []string{
				"system:bootstrappers", "system:bootstrappers:b", "system:bootstrappers:kubeadm:default-node-token",
			}},
		},
		{name: "no secret", token: token},
		{name: "not a bootstrap token", secret: bootstrapSecret(nil), token: "foo"},
		{name: "upper case", secret: bootstrapSecret(nil), token: "ABC123.0123456789ABCDEF"},
		{name: "wrong secret", secret: bootstrapSecret(nil), token: tokenID + ".0123456789abcdee"},
		{
			name:   "wrong type",
			secret: bootstrapSecret(func(s *corev1.Secret) { s.Type = corev1.SecretTypeOpaque }),
			token:  token,
		},
		{
			name:   "token-id mismatch",
			secret: bootstrapSecret(func(s *corev1.Secret) { s.Data["token-id"] = []byte("zzz999") }),
			token:  token,
		},
		{
			name:   "expired",
			secret: bootstrapSecret(func(s *corev1.Secret) { s.Data["expiration"] = []byte(now.Add(-time.Second).Format(time.RFC3339)) }),
			token:  token,
		},
		{
			name:   "unparseable expiration counts as expired",
			secret: bootstrapSecret(func(s *corev1.Secret) { s.Data["expiration"] = []byte("tomorrow") }),
			token:  token,
		},
		{
			name:   "not for authentication",
			secret: bootstrapSecret(func(s *corev1.Secret) { delete(s.Data, "usage-bootstrap-authentication") }),
			token:  token,
		},
		{
			name:   "usage not exactly true",
			secret: bootstrapSecret(func(s *corev1.Secret) { s.Data["usage-bootstrap-authentication"] = []byte("yes") }),
			token:  token,
		},
		{
			name:   "extra group outside system:bootstrappers",
			secret: bootstrapSecret(func(s *corev1.Secret) { s.Data["auth-extra-groups"] = []byte("system:masters") }),
			token:  token,
		},
		{
			name: "being deleted",
			secret: bootstrapSecret(func(s *corev1.Secret) {
				ts := metav1.NewTime(now)
				s.DeletionTimestamp = &ts
			}),
			token: token,
		},
		{
			name: "secret in another namespace",
			secret: bootstrapSecret(func(s *corev1.Secret) {
				s.Namespace = metav1.NamespaceDefault
			}),
			token: token,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, ctx := ktesting.NewTestContext(t)
			factory := informers.NewSharedInformerFactory(fake.NewClientset(), 0)
			secrets := factory.Core().V1().Secrets()
			if tc.secret != nil {
				if err := secrets.Informer().GetIndexer().Add(tc.secret); err != nil {
					t.Fatal(err)
				}
			}
			a := New(secrets.Lister().Secrets(metav1.NamespaceSystem), clocktesting.NewFakePassiveClock(now))
			resp, ok, err := a.AuthenticateToken(ctx, tc.token)
			if err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			if tc.wantUser == nil {
				if ok || resp != nil {
					t.Fatalf("authenticated as %+v, want not authenticated", resp)
				}
				return
			}
			if !ok {
				t.Fatal("not authenticated")
			}
			if diff := cmp.Diff(tc.wantUser, resp.User); diff != "" {
				t.Errorf("user (-want +got):\n%s", diff)
			}
		})
	}
}
