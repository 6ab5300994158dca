package authentication

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	authenticationv1 "k8s.io/api/authentication/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/authentication/authenticator"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/klog/v2"
)

var badAuthenticatorAuds = apierrors.NewInternalError(errors.New("error validating audiences"))

// TokenReviewREST answers TokenReviews: whether a bearer token authenticates with this
// server, and as whom.
type TokenReviewREST struct {
	// authenticator returns the server's request authenticator; it is read per request
	// because the generic server completes it (adding its loopback token) after the
	// storage is built.
	authenticator func() authenticator.Request
	apiAudiences  []string
}

var (
	_ rest.Creater              = &TokenReviewREST{}
	_ rest.Scoper               = &TokenReviewREST{}
	_ rest.SingularNameProvider = &TokenReviewREST{}
)

// NewTokenReviewREST reviews tokens with the authenticator that authenticator returns;
// a review naming no audiences asks for apiAudiences.
func NewTokenReviewREST(authenticator func() authenticator.Request, apiAudiences []string) *TokenReviewREST {
	return &TokenReviewREST{authenticator: authenticator, apiAudiences: apiAudiences}
}

func (r *TokenReviewREST) NamespaceScoped() bool   { return false }
func (r *TokenReviewREST) New() runtime.Object     { return &authenticationv1.TokenReview{} }
func (r *TokenReviewREST) GetSingularName() string { return "tokenreview" }

// Destroy does nothing: nothing is stored.
func (r *TokenReviewREST) Destroy() {}

// Create reviews the token. A token that does not authenticate is not an error: the
// review says so in its status.
func (r *TokenReviewREST) Create(ctx context.Context, obj runtime.Object, createValidation rest.ValidateObjectFunc, _ *metav1.CreateOptions) (runtime.Object, error) {
	tokenReview, ok := obj.(*authenticationv1.TokenReview)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("not a TokenReview: %#v", obj))
	}
	if namespace := genericapirequest.NamespaceValue(ctx); namespace != "" {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("namespace is not allowed on this type: %v", namespace))
	}
	if tokenReview.Spec.Token == "" {
		return nil, apierrors.NewBadRequest("token is required for TokenReview in authentication")
	}
	if createValidation != nil {
		if err := createValidation(ctx, obj.DeepCopyObject()); err != nil {
			return nil, err
		}
	}
	authn := r.authenticator()
	if authn == nil {
		return tokenReview, nil
	}

	// A request that carries nothing but the token: client certificates and anonymous
	// access play no part.
	fakeReq := &http.Request{Header: http.Header{}}
	fakeReq.Header.Add("Authorization", "Bearer "+tokenReview.Spec.Token)
	auds := tokenReview.Spec.Audiences
	if len(auds) == 0 {
		auds = r.apiAudiences
	}
	if len(auds) > 0 {
		fakeReq = fakeReq.WithContext(authenticator.WithAudiences(ctx, auds))
	} else {
		fakeReq = fakeReq.WithContext(ctx)
	}

	resp, ok, err := authn.AuthenticateRequest(fakeReq)
	tokenReview.Status.Authenticated = ok
	if err != nil {
		tokenReview.Status.Error = err.Error()
	}
	// An authenticator that accepts a token for none of the asked audiences is broken:
	// answering "authenticated" would hand the token to the wrong audience.
	if len(auds) > 0 && resp != nil && len(authenticator.Audiences(auds).Intersect(resp.Audiences)) == 0 {
		klog.FromContext(ctx).Error(nil, "Error validating audience", "want", auds, "got", resp.Audiences)
		return nil, badAuthenticatorAuds
	}
	if resp != nil && resp.User != nil {
		tokenReview.Status.User = authenticationv1.UserInfo{
			Username: resp.User.GetName(),
			UID:      resp.User.GetUID(),
			Groups:   resp.User.GetGroups(),
			Extra:    map[string]authenticationv1.ExtraValue{},
		}
		for k, v := range resp.User.GetExtra() {
			tokenReview.Status.User.Extra[k] = v
		}
		tokenReview.Status.Audiences = resp.Audiences
	}
	return tokenReview, nil
}
