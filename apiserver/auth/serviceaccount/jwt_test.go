package serviceaccount

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/klog/v2/ktesting"
	clocktesting "k8s.io/utils/clock/testing"
)

const testIssuer = "https://kubernetes.default.svc.cluster.local"

// fakeGetter holds the objects tokens may name.
type fakeGetter struct {
	serviceAccounts map[string]*corev1.ServiceAccount
	pods            map[string]*corev1.Pod
	secrets         map[string]*corev1.Secret
	nodes           map[string]*corev1.Node
}

func get[T any](m map[string]*T, resource, ns, name string) (*T, error) {
	key := name
	if ns != "" {
		key = ns + "/" + name
	}
	if obj, ok := m[key]; ok {
		return obj, nil
	}
	return nil, apierrors.NewNotFound(corev1.Resource(resource), name)
}

func (f *fakeGetter) GetServiceAccount(_ context.Context, ns, name string) (*corev1.ServiceAccount, error) {
	return get(f.serviceAccounts, "serviceaccounts", ns, name)
}
func (f *fakeGetter) GetPod(_ context.Context, ns, name string) (*corev1.Pod, error) {
	return get(f.pods, "pods", ns, name)
}
func (f *fakeGetter) GetSecret(_ context.Context, ns, name string) (*corev1.Secret, error) {
	return get(f.secrets, "secrets", ns, name)
}
func (f *fakeGetter) GetNode(_ context.Context, name string) (*corev1.Node, error) {
	return get(f.nodes, "nodes", "", name)
}

func meta(ns, name, uid string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Namespace: ns, Name: name, UID: types.UID(uid)}
}

var (
	testSA     = &corev1.ServiceAccount{ObjectMeta: meta("ns", "robot", "sa-uid")}
	testPod    = &corev1.Pod{ObjectMeta: meta("ns", "web", "pod-uid"), Spec: corev1.PodSpec{ServiceAccountName: "robot", NodeName: "node-1"}}
	testSecret = &corev1.Secret{ObjectMeta: meta("ns", "s", "secret-uid")}
	testNode   = &corev1.Node{ObjectMeta: meta("", "node-1", "node-uid")}
)

func newGetter() *fakeGetter {
	return &fakeGetter{
		serviceAccounts: map[string]*corev1.ServiceAccount{"ns/robot": testSA},
		pods:            map[string]*corev1.Pod{"ns/web": testPod},
		secrets:         map[string]*corev1.Secret{"ns/s": testSecret},
		nodes:           map[string]*corev1.Node{"node-1": testNode},
	}
}

func ecKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// issue signs a token for testSA bound to the given objects at issuedAt.
func issue(t *testing.T, key any, issuer string, issuedAt time.Time, expirationSeconds int64, auds []string, pod *corev1.Pod, secret *corev1.Secret, node *corev1.Node) string {
	t.Helper()
	gen, err := JWTTokenGenerator(issuer, key)
	if err != nil {
		t.Fatal(err)
	}
	sc, pc, err := Claims(testSA, pod, secret, node, issuedAt, expirationSeconds, 0, auds)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := gen.GenerateToken(context.Background(), sc, pc)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestTokenRoundTrip(t *testing.T) {
	issuedAt := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	key, otherKey := ecKey(t), ecKey(t)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	apiAuds := authenticator.Audiences{testIssuer}
	saUser := func(extra map[string][]string) *user.DefaultInfo {
		return &user.DefaultInfo{
			Name:   "system:serviceaccount:ns:robot",
			UID:    "sa-uid",
			Groups: []string{"system:serviceaccounts", "system:serviceaccounts:ns"},
			Extra:  extra,
		}
	}

	tests := []struct {
		name string
		// signKey signs the token; the authenticator verifies with key unless verifyKeys is set.
		signKey    any
		verifyKeys []any
		issuer     string
		auds       []string
		pod        *corev1.Pod
		secret     *corev1.Secret
		node       *corev1.Node
		// at is how long after issuing the token is presented.
		at time.Duration
		// requestAuds are the audiences of the request (TokenReview); none means the apiserver's.
		requestAuds authenticator.Audiences
		mutate      func(*fakeGetter)
		wantUser    *user.DefaultInfo
		wantErr     string
		// wantIgnored means no opinion: not our token.
		wantIgnored bool
	}{
		{name: "unbound", wantUser: saUser(nil)},
		{name: "rsa key", signKey: rsaKey, verifyKeys: []any{&rsaKey.PublicKey}, wantUser: saUser(nil)},
		{name: "key rotation: second of two keys", verifyKeys: []any{&otherKey.PublicKey, &key.PublicKey}, wantUser: saUser(nil)},
		{
			name:     "bound to a pod on a node",
			pod:      testPod,
			node:     testNode,
			wantUser: saUser(map[string][]string{"authentication.kubernetes.io/pod-name": {"web"}, "authentication.kubernetes.io/pod-uid": {"pod-uid"}, "authentication.kubernetes.io/node-name": {"node-1"}, "authentication.kubernetes.io/node-uid": {"node-uid"}}),
		},
		{name: "bound to a secret", secret: testSecret, wantUser: saUser(nil)},
		{
			name:     "bound to a node",
			node:     testNode,
			wantUser: saUser(map[string][]string{"authentication.kubernetes.io/node-name": {"node-1"}, "authentication.kubernetes.io/node-uid": {"node-uid"}}),
		},
		{name: "valid just before expiry", at: 600*time.Second - time.Second, wantUser: saUser(nil)},
		{name: "within the leeway after expiry", at: 600*time.Second + 59*time.Second, wantUser: saUser(nil)},
		{name: "expired", at: 600*time.Second + 61*time.Second, wantErr: "service account token has expired"},
		{name: "not valid yet", at: -2 * time.Minute, wantErr: "service account token is not valid yet"},
		{name: "wrong key", verifyKeys: []any{&otherKey.PublicKey}, wantErr: "invalid signature, no keys found"},
		{name: "other issuer is not ours", issuer: "https://example.com", wantIgnored: true},
		{name: "wrong audience", auds: []string{"vault"}, wantErr: `token audiences ["vault"] is invalid for the target audiences ["` + testIssuer + `"]`},
		{name: "audience asked by a TokenReview", auds: []string{"vault"}, requestAuds: authenticator.Audiences{"vault"}, wantUser: saUser(nil)},
		{
			name:    "service account deleted",
			mutate:  func(g *fakeGetter) { delete(g.serviceAccounts, "ns/robot") },
			wantErr: `serviceaccounts "robot" not found`,
		},
		{
			name: "service account recreated",
			mutate: func(g *fakeGetter) {
				g.serviceAccounts["ns/robot"] = &corev1.ServiceAccount{ObjectMeta: meta("ns", "robot", "new-uid")}
			},
			wantErr: "service account UID (new-uid) does not match claim (sa-uid)",
		},
		{
			name: "service account deleted a while ago, still terminating",
			mutate: func(g *fakeGetter) {
				sa := testSA.DeepCopy()
				sa.DeletionTimestamp = &metav1.Time{Time: issuedAt.Add(-time.Hour)}
				g.serviceAccounts["ns/robot"] = sa
			},
			wantErr: "service account ns/robot has been deleted",
		},
		{
			name:    "bound pod deleted",
			pod:     testPod,
			mutate:  func(g *fakeGetter) { delete(g.pods, "ns/web") },
			wantErr: "service account token has been invalidated",
		},
		{
			name: "bound pod recreated",
			pod:  testPod,
			mutate: func(g *fakeGetter) {
				g.pods["ns/web"] = &corev1.Pod{ObjectMeta: meta("ns", "web", "other")}
			},
			wantErr: "pod UID (other) does not match service account pod ref claim (pod-uid)",
		},
		{
			name:    "bound secret deleted",
			secret:  testSecret,
			mutate:  func(g *fakeGetter) { delete(g.secrets, "ns/s") },
			wantErr: "service account token has been invalidated",
		},
		{
			name:   "bound secret recreated",
			secret: testSecret,
			mutate: func(g *fakeGetter) {
				g.secrets["ns/s"] = &corev1.Secret{ObjectMeta: meta("ns", "s", "other")}
			},
			wantErr: "secret UID (other) does not match service account secret ref claim (secret-uid)",
		},
		{
			name:    "bound node deleted",
			node:    testNode,
			mutate:  func(g *fakeGetter) { delete(g.nodes, "node-1") },
			wantErr: "service account token has been invalidated",
		},
		{
			name:     "pod-bound token does not depend on the node",
			pod:      testPod,
			node:     testNode,
			mutate:   func(g *fakeGetter) { delete(g.nodes, "node-1") },
			wantUser: saUser(map[string][]string{"authentication.kubernetes.io/pod-name": {"web"}, "authentication.kubernetes.io/pod-uid": {"pod-uid"}, "authentication.kubernetes.io/node-name": {"node-1"}, "authentication.kubernetes.io/node-uid": {"node-uid"}}),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, ctx := ktesting.NewTestContext(t)
			signKey := tc.signKey
			if signKey == nil {
				signKey = key
			}
			verifyKeys := tc.verifyKeys
			if verifyKeys == nil {
				verifyKeys = []any{&key.PublicKey}
			}
			issuer := tc.issuer
			if issuer == "" {
				issuer = testIssuer
			}
			auds := tc.auds
			if auds == nil {
				auds = []string{testIssuer}
			}
			tok := issue(t, signKey, issuer, issuedAt, 600, auds, tc.pod, tc.secret, tc.node)

			getter := newGetter()
			if tc.mutate != nil {
				tc.mutate(getter)
			}
			keys, err := NewPublicKeys(verifyKeys)
			if err != nil {
				t.Fatal(err)
			}
			a := NewAuthenticator([]string{testIssuer}, keys, apiAuds, NewValidator(getter, clocktesting.NewFakePassiveClock(issuedAt.Add(tc.at))))
			if tc.requestAuds != nil {
				ctx = authenticator.WithAudiences(ctx, tc.requestAuds)
			}
			resp, ok, err := a.AuthenticateToken(ctx, tok)
			switch {
			case tc.wantIgnored:
				if ok || err != nil {
					t.Fatalf("got %v %v, want no opinion", ok, err)
				}
			case tc.wantErr != "":
				if ok || err == nil || err.Error() != tc.wantErr {
					t.Fatalf("got ok=%v err=%v, want error %q", ok, err, tc.wantErr)
				}
			default:
				if !ok || err != nil {
					t.Fatalf("got ok=%v err=%v, want authenticated", ok, err)
				}
				got := resp.User.(*user.DefaultInfo)
				credentialID := got.Extra["authentication.kubernetes.io/credential-id"]
				if len(credentialID) != 1 || !strings.HasPrefix(credentialID[0], "JTI=") {
					t.Errorf("credential id %q, want JTI=<uuid>", credentialID)
				}
				delete(got.Extra, "authentication.kubernetes.io/credential-id")
				if len(got.Extra) == 0 {
					got.Extra = nil
				}
				if diff := cmp.Diff(tc.wantUser, got); diff != "" {
					t.Errorf("user (-want +got):\n%s", diff)
				}
			}
		})
	}
}

// TestTokenFormat checks what clients see when they decode a token: upstream's header
// and claim names.
func TestTokenFormat(t *testing.T) {
	key := ecKey(t)
	issuedAt := time.Unix(1_800_000_000, 0)
	tok := issue(t, key, testIssuer, issuedAt, 3600, []string{testIssuer}, testPod, nil, testNode)
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a compact JWS: %q", tok)
	}
	decode := func(s string) map[string]any {
		raw, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]any{}
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	header := decode(parts[0])
	kid, _ := keyIDFromPublicKey(&key.PublicKey)
	if diff := cmp.Diff(map[string]any{"alg": "ES256", "kid": kid}, header); diff != "" {
		t.Errorf("header (-want +got):\n%s", diff)
	}
	payload := decode(parts[1])
	jti, _ := payload["jti"].(string)
	if len(jti) != 36 {
		t.Errorf("jti %q, want a UUID", jti)
	}
	delete(payload, "jti")
	want := map[string]any{
		"iss": testIssuer,
		"sub": "system:serviceaccount:ns:robot",
		"aud": []any{testIssuer},
		"iat": float64(1_800_000_000),
		"nbf": float64(1_800_000_000),
		"exp": float64(1_800_003_600),
		"kubernetes.io": map[string]any{
			"namespace":      "ns",
			"serviceaccount": map[string]any{"name": "robot", "uid": "sa-uid"},
			"pod":            map[string]any{"name": "web", "uid": "pod-uid"},
			"node":           map[string]any{"name": "node-1", "uid": "node-uid"},
		},
	}
	if diff := cmp.Diff(want, payload); diff != "" {
		t.Errorf("payload (-want +got):\n%s", diff)
	}
}

func TestClaimsRejectsTwoBindings(t *testing.T) {
	if _, _, err := Claims(testSA, testPod, testSecret, nil, time.Now(), 600, 0, nil); err == nil {
		t.Error("a token bound to a pod and a secret was accepted")
	}
}

func TestJWTTokenGeneratorKeyTypes(t *testing.T) {
	p224, err := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []any{p224, "not a key"} {
		if _, err := JWTTokenGenerator(testIssuer, key); err == nil {
			t.Errorf("%T accepted", key)
		}
	}
}
