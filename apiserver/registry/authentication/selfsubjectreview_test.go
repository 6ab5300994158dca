package authentication

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	authenticationv1 "k8s.io/api/authentication/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/authentication/user"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
)

func TestSelfSubjectReview(t *testing.T) {
	r := &SelfSubjectReviewREST{}
	if _, err := r.Create(context.Background(), &authenticationv1.SelfSubjectReview{}, nil, &metav1.CreateOptions{}); !apierrors.IsBadRequest(err) {
		t.Errorf("without a user: %v", err)
	}
	u := &user.DefaultInfo{Name: "alice", UID: "1", Groups: []string{"devs", "system:authenticated"}, Extra: map[string][]string{"k": {"v"}}}
	obj, err := r.Create(genericapirequest.WithUser(context.Background(), u), &authenticationv1.SelfSubjectReview{}, nil, &metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := authenticationv1.UserInfo{Username: "alice", UID: "1", Groups: []string{"devs", "system:authenticated"}, Extra: map[string]authenticationv1.ExtraValue{"k": {"v"}}}
	review := obj.(*authenticationv1.SelfSubjectReview)
	if diff := cmp.Diff(want, review.Status.UserInfo); diff != "" {
		t.Errorf("user info (-want +got):\n%s", diff)
	}
	if review.CreationTimestamp.IsZero() {
		t.Error("no creation timestamp")
	}
}
