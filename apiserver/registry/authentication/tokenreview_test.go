package authentication

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	authenticationv1 "k8s.io/api/authentication/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authentication/request/bearertoken"
	"k8s.io/apiserver/pkg/authentication/user"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
)

// fakeTokens authenticates "good" for the audiences it is asked about, "other-aud" only
// for "vault", and errs on "bad".
var fakeTokens = authenticator.TokenFunc(func(ctx context.Context, token string) (*authenticator.Response, bool, error) {
	auds, _ := authenticator.AudiencesFrom(ctx)
	u := &user.DefaultInfo{Name: "robot", UID: "1", Groups: []string{"g"}, Extra: map[string][]string{"k": {"v"}}}
	switch token {
	case "good":
		return &authenticator.Response{User: u, Audiences: auds}, true, nil
	case "other-aud":
		return &authenticator.Response{User: u, Audiences: authenticator.Audiences{"vault"}.Intersect(auds)}, true, nil
	case "liar":
		return &authenticator.Response{User: u, Audiences: authenticator.Audiences{"elsewhere"}}, true, nil
	case "bad":
		return nil, false, errors.New("token has expired")
	}
	return nil, false, nil
})

func TestTokenReview(t *testing.T) {
	request := bearertoken.New(fakeTokens)
	r := NewTokenReviewREST(func() authenticator.Request { return request }, []string{"api"})
	tests := []struct {
		name    string
		spec    authenticationv1.TokenReviewSpec
		want    authenticationv1.TokenReviewStatus
		wantErr func(error) bool
	}{
		{
			name: "valid",
			spec: authenticationv1.TokenReviewSpec{Token: "good"},
			want: authenticationv1.TokenReviewStatus{
				Authenticated: true,
				User:          authenticationv1.UserInfo{Username: "robot", UID: "1", Groups: []string{"g"}, Extra: map[string]authenticationv1.ExtraValue{"k": {"v"}}},
				Audiences:     []string{"api"},
			},
		},
		{
			name: "asked audience",
			spec: authenticationv1.TokenReviewSpec{Token: "other-aud", Audiences: []string{"vault"}},
			want: authenticationv1.TokenReviewStatus{
				Authenticated: true,
				User:          authenticationv1.UserInfo{Username: "robot", UID: "1", Groups: []string{"g"}, Extra: map[string]authenticationv1.ExtraValue{"k": {"v"}}},
				Audiences:     []string{"vault"},
			},
		},
		{name: "invalid with a reason", spec: authenticationv1.TokenReviewSpec{Token: "bad"}, want: authenticationv1.TokenReviewStatus{Error: "token has expired"}},
		{name: "unknown", spec: authenticationv1.TokenReviewSpec{Token: "nobody"}, want: authenticationv1.TokenReviewStatus{Error: "invalid bearer token"}},
		{name: "no token", spec: authenticationv1.TokenReviewSpec{}, wantErr: apierrors.IsBadRequest},
		{name: "authenticator ignoring audiences", spec: authenticationv1.TokenReviewSpec{Token: "liar"}, wantErr: apierrors.IsInternalError},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			obj, err := r.Create(context.Background(), &authenticationv1.TokenReview{Spec: tc.spec}, nil, &metav1.CreateOptions{})
			if tc.wantErr != nil {
				if !tc.wantErr(err) {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, obj.(*authenticationv1.TokenReview).Status); diff != "" {
				t.Errorf("status (-want +got):\n%s", diff)
			}
		})
	}

	ctx := genericapirequest.WithNamespace(context.Background(), "ns")
	if _, err := r.Create(ctx, &authenticationv1.TokenReview{Spec: authenticationv1.TokenReviewSpec{Token: "good"}}, nil, &metav1.CreateOptions{}); !apierrors.IsBadRequest(err) || !strings.Contains(err.Error(), "namespace is not allowed") {
		t.Errorf("namespaced review: %v", err)
	}
}

// TestTokenReviewIgnoresOtherCredentials: only the token in the review counts.
func TestTokenReviewIgnoresOtherCredentials(t *testing.T) {
	anonymousToo := authenticator.RequestFunc(func(req *http.Request) (*authenticator.Response, bool, error) {
		if req.Header.Get("Authorization") != "Bearer good" {
			t.Errorf("authorization header %q", req.Header.Get("Authorization"))
		}
		if req.TLS != nil {
			t.Error("the review request carries TLS state")
		}
		return nil, false, nil
	})
	r := NewTokenReviewREST(func() authenticator.Request { return anonymousToo }, nil)
	obj, err := r.Create(context.Background(), &authenticationv1.TokenReview{Spec: authenticationv1.TokenReviewSpec{Token: "good"}}, nil, &metav1.CreateOptions{})
	if err != nil || obj.(*authenticationv1.TokenReview).Status.Authenticated {
		t.Errorf("got %+v %v", obj, err)
	}
}
