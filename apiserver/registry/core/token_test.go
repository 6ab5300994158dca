package core

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/utils/ptr"

	"github.com/k1s-dev/k1s/apiserver/auth/serviceaccount"
)

// getter serves objects by name, as a store does for the namespace in the context.
type getter map[string]runtime.Object

func (g getter) Get(_ context.Context, name string, _ *metav1.GetOptions) (runtime.Object, error) {
	if obj, ok := g[name]; ok {
		return obj.DeepCopyObject(), nil
	}
	return nil, apierrors.NewNotFound(corev1.Resource("things"), name)
}

func newTestTokenREST(t *testing.T, opts TokenRequestOptions) *TokenREST {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	opts.Issuer, err = serviceaccount.JWTTokenGenerator("https://issuer", key)
	if err != nil {
		t.Fatal(err)
	}
	meta := func(name, uid string) metav1.ObjectMeta {
		return metav1.ObjectMeta{Namespace: "ns", Name: name, UID: types.UID(uid)}
	}
	r := newTokenREST(
		getter{"robot": &corev1.ServiceAccount{ObjectMeta: meta("robot", "sa-uid")}},
		getter{
			"web":      &corev1.Pod{ObjectMeta: meta("web", "pod-uid"), Spec: corev1.PodSpec{ServiceAccountName: "robot", NodeName: "node-1"}},
			"orphan":   &corev1.Pod{ObjectMeta: meta("orphan", "orphan-uid"), Spec: corev1.PodSpec{ServiceAccountName: "robot", NodeName: "gone"}},
			"other-sa": &corev1.Pod{ObjectMeta: meta("other-sa", "o-uid"), Spec: corev1.PodSpec{ServiceAccountName: "default"}},
		},
		getter{"s": &corev1.Secret{ObjectMeta: meta("s", "secret-uid")}},
		getter{"node-1": &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "node-1", UID: "node-uid"}}},
		opts,
	)
	r.now = func() time.Time { return time.Unix(1_800_000_000, 0) }
	return r
}

// claims decodes a token's payload (its signature is the serviceaccount package's
// business).
func claims(t *testing.T, token string) map[string]any {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[1])
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]any{}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestTokenREST(t *testing.T) {
	defaults := TokenRequestOptions{APIAudiences: []string{"api"}, ExtendExpiration: true, MaxExtendedExpiration: 365 * 24 * time.Hour}
	ref := func(kind, name, uid string) *authenticationv1.BoundObjectReference {
		return &authenticationv1.BoundObjectReference{Kind: kind, APIVersion: "v1", Name: name, UID: types.UID(uid)}
	}
	tests := []struct {
		name    string
		opts    *TokenRequestOptions
		sa      string
		req     authenticationv1.TokenRequest
		wantErr func(error) bool
		// wantK8s are the "kubernetes.io" claims; wantExp the exp claim after issuing.
		wantK8s     map[string]any
		wantExp     int64
		wantAuds    []any
		wantStatusS int64
	}{
		{
			name:        "unbound, default audiences",
			req:         authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](3600)}},
			wantK8s:     map[string]any{"namespace": "ns", "serviceaccount": map[string]any{"name": "robot", "uid": "sa-uid"}},
			wantExp:     3600,
			wantAuds:    []any{"api"},
			wantStatusS: 3600,
		},
		{
			name: "bound to a pod, with its node",
			req:  authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](600), BoundObjectRef: ref("Pod", "web", "pod-uid")}},
			wantK8s: map[string]any{"namespace": "ns", "serviceaccount": map[string]any{"name": "robot", "uid": "sa-uid"},
				"pod": map[string]any{"name": "web", "uid": "pod-uid"}, "node": map[string]any{"name": "node-1", "uid": "node-uid"}},
			wantExp: 600, wantAuds: []any{"api"}, wantStatusS: 600,
		},
		{
			name: "bound to a pod whose node is gone: the node is named without a UID",
			req:  authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](600), BoundObjectRef: ref("Pod", "orphan", "")}},
			wantK8s: map[string]any{"namespace": "ns", "serviceaccount": map[string]any{"name": "robot", "uid": "sa-uid"},
				"pod": map[string]any{"name": "orphan", "uid": "orphan-uid"}, "node": map[string]any{"name": "gone"}},
			wantExp: 600, wantAuds: []any{"api"}, wantStatusS: 600,
		},
		{
			name: "projected volume token is extended and warns after its hour",
			req:  authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](3607), BoundObjectRef: ref("Pod", "web", "")}},
			wantK8s: map[string]any{"namespace": "ns", "serviceaccount": map[string]any{"name": "robot", "uid": "sa-uid"},
				"pod": map[string]any{"name": "web", "uid": "pod-uid"}, "node": map[string]any{"name": "node-1", "uid": "node-uid"},
				"warnafter": float64(1_800_003_607)},
			wantExp: 365 * 24 * 3600, wantAuds: []any{"api"}, wantStatusS: 3607,
		},
		{
			name: "no extension for other audiences",
			req: authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](3607), Audiences: []string{"vault"},
				BoundObjectRef: ref("Pod", "web", "")}},
			wantK8s: map[string]any{"namespace": "ns", "serviceaccount": map[string]any{"name": "robot", "uid": "sa-uid"},
				"pod": map[string]any{"name": "web", "uid": "pod-uid"}, "node": map[string]any{"name": "node-1", "uid": "node-uid"}},
			wantExp: 3607, wantAuds: []any{"vault"}, wantStatusS: 3607,
		},
		{
			name: "bound to a secret",
			req:  authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](600), BoundObjectRef: ref("Secret", "s", "secret-uid")}},
			wantK8s: map[string]any{"namespace": "ns", "serviceaccount": map[string]any{"name": "robot", "uid": "sa-uid"},
				"secret": map[string]any{"name": "s", "uid": "secret-uid"}},
			wantExp: 600, wantAuds: []any{"api"}, wantStatusS: 600,
		},
		{
			name: "bound to a node",
			req:  authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](600), BoundObjectRef: ref("Node", "node-1", "")}},
			wantK8s: map[string]any{"namespace": "ns", "serviceaccount": map[string]any{"name": "robot", "uid": "sa-uid"},
				"node": map[string]any{"name": "node-1", "uid": "node-uid"}},
			wantExp: 600, wantAuds: []any{"api"}, wantStatusS: 600,
		},
		{
			name:        "capped by --service-account-max-token-expiration",
			opts:        &TokenRequestOptions{APIAudiences: []string{"api"}, MaxExpiration: time.Hour},
			req:         authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](7200)}},
			wantK8s:     map[string]any{"namespace": "ns", "serviceaccount": map[string]any{"name": "robot", "uid": "sa-uid"}},
			wantExp:     3600,
			wantAuds:    []any{"api"},
			wantStatusS: 3600,
		},
		{name: "missing service account", sa: "ghost", req: authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](600)}}, wantErr: apierrors.IsNotFound},
		{name: "too short", req: authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](599)}}, wantErr: apierrors.IsInvalid},
		{
			name:    "name mismatch",
			req:     authenticationv1.TokenRequest{ObjectMeta: metav1.ObjectMeta{Name: "other"}, Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](600)}},
			wantErr: apierrors.IsInvalid,
		},
		{
			name:    "service account UID mismatch",
			req:     authenticationv1.TokenRequest{ObjectMeta: metav1.ObjectMeta{UID: "old"}, Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](600)}},
			wantErr: apierrors.IsConflict,
		},
		{
			name:    "bound object UID mismatch",
			req:     authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](600), BoundObjectRef: ref("Pod", "web", "old")}},
			wantErr: apierrors.IsConflict,
		},
		{
			name:    "pod of another service account",
			req:     authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](600), BoundObjectRef: ref("Pod", "other-sa", "")}},
			wantErr: apierrors.IsBadRequest,
		},
		{
			name:    "missing pod",
			req:     authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](600), BoundObjectRef: ref("Pod", "gone", "")}},
			wantErr: apierrors.IsNotFound,
		},
		{
			name:    "unsupported kind",
			req:     authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](600), BoundObjectRef: ref("ConfigMap", "c", "")}},
			wantErr: apierrors.IsBadRequest,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := defaults
			if tc.opts != nil {
				opts = *tc.opts
			}
			r := newTestTokenREST(t, opts)
			sa := tc.sa
			if sa == "" {
				sa = "robot"
			}
			ctx := genericapirequest.WithNamespace(context.Background(), "ns")
			obj, err := r.Create(ctx, sa, tc.req.DeepCopy(), rest.ValidateAllObjectFunc, &metav1.CreateOptions{})
			if tc.wantErr != nil {
				if !tc.wantErr(err) {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			out := obj.(*authenticationv1.TokenRequest)
			if out.Name != "robot" || out.Namespace != "ns" || out.UID != "sa-uid" {
				t.Errorf("metadata %+v", out.ObjectMeta)
			}
			if got := out.Status.ExpirationTimestamp.Unix() - 1_800_000_000; got != tc.wantStatusS {
				t.Errorf("status expiration in %d s, want %d", got, tc.wantStatusS)
			}
			c := claims(t, out.Status.Token)
			if got := int64(c["exp"].(float64)) - 1_800_000_000; got != tc.wantExp {
				t.Errorf("exp in %d s, want %d", got, tc.wantExp)
			}
			if got, _ := json.Marshal(c["aud"]); string(got) != mustJSON(t, tc.wantAuds) {
				t.Errorf("aud %s, want %s", got, mustJSON(t, tc.wantAuds))
			}
			if got, want := mustJSON(t, c["kubernetes.io"]), mustJSON(t, tc.wantK8s); got != want {
				t.Errorf("kubernetes.io claims\n got %s\nwant %s", got, want)
			}
		})
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestTokenRESTRunsValidatingAdmission: createValidation (NodeRestriction) can refuse.
func TestTokenRESTRunsValidatingAdmission(t *testing.T) {
	r := newTestTokenREST(t, TokenRequestOptions{APIAudiences: []string{"api"}})
	ctx := genericapirequest.WithNamespace(context.Background(), "ns")
	refuse := func(context.Context, runtime.Object) error {
		return apierrors.NewForbidden(corev1.Resource("serviceaccounts/token"), "robot", errors.New("no"))
	}
	_, err := r.Create(ctx, "robot", &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](600)}}, refuse, &metav1.CreateOptions{})
	if !apierrors.IsForbidden(err) {
		t.Errorf("got %v, want the admission error", err)
	}
}
