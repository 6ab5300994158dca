package authentication

import (
	"context"
	"fmt"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/authentication/authenticator"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"
)

// NewStorage returns the storage of authentication.k8s.io/v1. TokenReviews use the
// request authenticator that authenticator returns and apiAudiences (--api-audiences).
func NewStorage(authenticator func() authenticator.Request, apiAudiences []string) map[string]rest.Storage {
	return map[string]rest.Storage{
		"selfsubjectreviews": &SelfSubjectReviewREST{},
		"tokenreviews":       NewTokenReviewREST(authenticator, apiAudiences),
	}
}

// SelfSubjectReviewREST answers SelfSubjectReviews.
type SelfSubjectReviewREST struct{}

var (
	_ rest.Creater              = &SelfSubjectReviewREST{}
	_ rest.Scoper               = &SelfSubjectReviewREST{}
	_ rest.SingularNameProvider = &SelfSubjectReviewREST{}
)

func (r *SelfSubjectReviewREST) NamespaceScoped() bool   { return false }
func (r *SelfSubjectReviewREST) New() runtime.Object     { return &authenticationv1.SelfSubjectReview{} }
func (r *SelfSubjectReviewREST) GetSingularName() string { return "selfsubjectreview" }

// Destroy does nothing: nothing is stored.
func (r *SelfSubjectReviewREST) Destroy() {}

// Create returns who the request is from.
func (r *SelfSubjectReviewREST) Create(ctx context.Context, obj runtime.Object, createValidation rest.ValidateObjectFunc, _ *metav1.CreateOptions) (runtime.Object, error) {
	if createValidation != nil {
		if err := createValidation(ctx, obj.DeepCopyObject()); err != nil {
			return nil, err
		}
	}
	if _, ok := obj.(*authenticationv1.SelfSubjectReview); !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("not a SelfSubjectReview: %#v", obj))
	}
	u, ok := genericapirequest.UserFrom(ctx)
	if !ok {
		return nil, apierrors.NewBadRequest("no user present on request")
	}
	extra := u.GetExtra()
	review := &authenticationv1.SelfSubjectReview{
		ObjectMeta: metav1.ObjectMeta{CreationTimestamp: metav1.NewTime(time.Now())},
		Status: authenticationv1.SelfSubjectReviewStatus{
			UserInfo: authenticationv1.UserInfo{
				Username: u.GetName(),
				UID:      u.GetUID(),
				Groups:   u.GetGroups(),
				Extra:    make(map[string]authenticationv1.ExtraValue, len(extra)),
			},
		},
	}
	for key, values := range extra {
		review.Status.UserInfo.Extra[key] = values
	}
	return review, nil
}
