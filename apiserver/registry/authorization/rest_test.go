package authorization

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
)

type recordingAuthorizer struct {
	decision authorizer.Decision
	reason   string
	err      error
	attrs    authorizer.Attributes
}

func (a *recordingAuthorizer) Authorize(_ context.Context, attrs authorizer.Attributes) (authorizer.Decision, string, error) {
	a.attrs = attrs
	return a.decision, a.reason, a.err
}

func TestSubjectAccessReview(t *testing.T) {
	for _, tc := range []struct {
		name       string
		authz      *recordingAuthorizer
		spec       authorizationv1.SubjectAccessReviewSpec
		wantStatus authorizationv1.SubjectAccessReviewStatus
		wantAttrs  authorizer.AttributesRecord
		wantErr    func(error) bool
	}{{
		name:  "allowed resource request",
		authz: &recordingAuthorizer{decision: authorizer.DecisionAllow, reason: "because"},
		spec: authorizationv1.SubjectAccessReviewSpec{User: "alice", Groups: []string{"g"}, Extra: map[string]authorizationv1.ExtraValue{"k": {"v"}},
			ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: "ns", Verb: "get", Group: "apps", Resource: "deployments", Subresource: "scale", Name: "d"}},
		wantStatus: authorizationv1.SubjectAccessReviewStatus{Allowed: true, Reason: "because"},
		wantAttrs: authorizer.AttributesRecord{
			User: &user.DefaultInfo{Name: "alice", Groups: []string{"g"}, Extra: map[string][]string{"k": {"v"}}},
			Verb: "get", Namespace: "ns", APIGroup: "apps", APIVersion: "*", Resource: "deployments", Subresource: "scale", Name: "d", ResourceRequest: true,
		},
	}, {
		name:       "denied non-resource request with an error",
		authz:      &recordingAuthorizer{decision: authorizer.DecisionDeny, err: errors.New("boom")},
		spec:       authorizationv1.SubjectAccessReviewSpec{User: "alice", NonResourceAttributes: &authorizationv1.NonResourceAttributes{Verb: "get", Path: "/healthz"}},
		wantStatus: authorizationv1.SubjectAccessReviewStatus{Denied: true, EvaluationError: "boom"},
		wantAttrs:  authorizer.AttributesRecord{User: &user.DefaultInfo{Name: "alice"}, Verb: "get", Path: "/healthz"},
	}, {
		name:    "invalid",
		authz:   &recordingAuthorizer{},
		spec:    authorizationv1.SubjectAccessReviewSpec{User: "alice"},
		wantErr: apierrors.IsInvalid,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			r := &SubjectAccessReviewREST{tc.authz}
			obj, err := r.Create(context.Background(), &authorizationv1.SubjectAccessReview{Spec: tc.spec}, nil, &metav1.CreateOptions{})
			if tc.wantErr != nil {
				if !tc.wantErr(err) {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.wantStatus, obj.(*authorizationv1.SubjectAccessReview).Status); diff != "" {
				t.Errorf("status (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantAttrs, tc.authz.attrs); diff != "" {
				t.Errorf("attributes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLocalSubjectAccessReviewNamespace(t *testing.T) {
	authz := &recordingAuthorizer{decision: authorizer.DecisionAllow}
	r := &LocalSubjectAccessReviewREST{authz}
	review := func(ns string) *authorizationv1.LocalSubjectAccessReview {
		return &authorizationv1.LocalSubjectAccessReview{ObjectMeta: metav1.ObjectMeta{Namespace: ns}, Spec: authorizationv1.SubjectAccessReviewSpec{
			User: "alice", ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: ns, Verb: "list", Resource: "pods"},
		}}
	}
	ctx := genericapirequest.WithNamespace(context.Background(), "ns1")
	if obj, err := r.Create(ctx, review("ns1"), nil, &metav1.CreateOptions{}); err != nil || !obj.(*authorizationv1.LocalSubjectAccessReview).Status.Allowed {
		t.Errorf("matching namespace: %v %v", obj, err)
	}
	if _, err := r.Create(ctx, review("ns2"), nil, &metav1.CreateOptions{}); !apierrors.IsBadRequest(err) {
		t.Errorf("namespace mismatch: %v", err)
	}
}

func TestSelfSubjectAccessReview(t *testing.T) {
	authz := &recordingAuthorizer{decision: authorizer.DecisionAllow}
	r := &SelfSubjectAccessReviewREST{authz}
	review := &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{
		ResourceAttributes: &authorizationv1.ResourceAttributes{Verb: "list", Resource: "pods", Namespace: "ns1"},
	}}
	if _, err := r.Create(context.Background(), review.DeepCopy(), nil, &metav1.CreateOptions{}); !apierrors.IsBadRequest(err) {
		t.Errorf("without a user: %v", err)
	}
	alice := &user.DefaultInfo{Name: "alice"}
	obj, err := r.Create(genericapirequest.WithUser(context.Background(), alice), review.DeepCopy(), nil, &metav1.CreateOptions{})
	if err != nil || !obj.(*authorizationv1.SelfSubjectAccessReview).Status.Allowed {
		t.Fatalf("%v %v", obj, err)
	}
	if authz.attrs.GetUser() != alice {
		t.Errorf("asked about %v, not the requesting user", authz.attrs.GetUser())
	}
}

type fixedRules struct{}

func (fixedRules) RulesFor(context.Context, user.Info, string) ([]authorizer.ResourceRuleInfo, []authorizer.NonResourceRuleInfo, bool, error) {
	return []authorizer.ResourceRuleInfo{&authorizer.DefaultResourceRuleInfo{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"pods"}}},
		[]authorizer.NonResourceRuleInfo{&authorizer.DefaultNonResourceRuleInfo{Verbs: []string{"get"}, NonResourceURLs: []string{"/healthz"}}},
		false, errors.New("partial")
}

func TestSelfSubjectRulesReview(t *testing.T) {
	r := &SelfSubjectRulesReviewREST{fixedRules{}}
	ctx := genericapirequest.WithUser(context.Background(), &user.DefaultInfo{Name: "alice"})
	if _, err := r.Create(ctx, &authorizationv1.SelfSubjectRulesReview{}, nil, &metav1.CreateOptions{}); !apierrors.IsBadRequest(err) {
		t.Errorf("without a namespace: %v", err)
	}
	obj, err := r.Create(ctx, &authorizationv1.SelfSubjectRulesReview{Spec: authorizationv1.SelfSubjectRulesReviewSpec{Namespace: "ns1"}}, nil, &metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := authorizationv1.SubjectRulesReviewStatus{
		ResourceRules:    []authorizationv1.ResourceRule{{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"pods"}}},
		NonResourceRules: []authorizationv1.NonResourceRule{{Verbs: []string{"get"}, NonResourceURLs: []string{"/healthz"}}},
		EvaluationError:  "partial",
	}
	if diff := cmp.Diff(want, obj.(*authorizationv1.SelfSubjectRulesReview).Status); diff != "" {
		t.Errorf("status (-want +got):\n%s", diff)
	}
}

func TestResourceAttributesSelectors(t *testing.T) {
	attrs := ResourceAttributesFrom(&user.DefaultInfo{Name: "a"}, authorizationv1.ResourceAttributes{
		Verb: "list", Resource: "pods",
		LabelSelector: &authorizationv1.LabelSelectorAttributes{RawSelector: "app=web"},
		FieldSelector: &authorizationv1.FieldSelectorAttributes{Requirements: []metav1.FieldSelectorRequirement{
			{Key: "spec.nodeName", Operator: metav1.FieldSelectorOpIn, Values: []string{"n1"}},
			{Key: "x", Operator: metav1.FieldSelectorOpExists},
		}},
	})
	if labels, err := attrs.GetLabelSelector(); err != nil || len(labels) != 1 {
		t.Errorf("label selector: %v %v", labels, err)
	}
	fields, err := attrs.GetFieldSelector()
	if err == nil || len(fields) != 1 || fields[0].Field != "spec.nodeName" {
		t.Errorf("field selector: %v %v", fields, err)
	}
	if got, want := BuildEvaluationError(nil, attrs), "spec.resourceAttributes.fieldSelector partially ignored due to parse error"; got != want {
		t.Errorf("evaluation error %q, want %q", got, want)
	}
}
