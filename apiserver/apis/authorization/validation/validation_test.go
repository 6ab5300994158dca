package validation

import (
	"testing"

	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func fields(errs field.ErrorList) []string {
	var out []string
	for _, e := range errs {
		out = append(out, string(e.Type)+" "+e.Field)
	}
	return out
}

func expect(t *testing.T, errs field.ErrorList, want ...string) {
	t.Helper()
	got := fields(errs)
	if len(got) != len(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
}

var (
	podsAttrs = &authorizationv1.ResourceAttributes{Verb: "list", Resource: "pods", Namespace: "ns"}
	pathAttrs = &authorizationv1.NonResourceAttributes{Verb: "get", Path: "/healthz"}
)

func TestValidateSubjectAccessReview(t *testing.T) {
	for name, tc := range map[string]struct {
		sar  authorizationv1.SubjectAccessReview
		want []string
	}{
		"resource":     {sar: authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{User: "alice", ResourceAttributes: podsAttrs}}},
		"non-resource": {sar: authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{Groups: []string{"g"}, NonResourceAttributes: pathAttrs}}},
		"neither":      {sar: authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{User: "alice"}}, want: []string{"FieldValueInvalid spec"}},
		"both": {
			sar:  authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{User: "alice", ResourceAttributes: podsAttrs, NonResourceAttributes: pathAttrs}},
			want: []string{"FieldValueInvalid spec"},
		},
		"no user or group": {sar: authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{ResourceAttributes: podsAttrs}}, want: []string{"FieldValueInvalid spec.user"}},
		"metadata": {
			sar:  authorizationv1.SubjectAccessReview{ObjectMeta: metav1.ObjectMeta{Name: "x"}, Spec: authorizationv1.SubjectAccessReviewSpec{User: "alice", ResourceAttributes: podsAttrs}},
			want: []string{"FieldValueInvalid metadata"},
		},
		"field selector without requirements": {
			sar: authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{User: "alice", ResourceAttributes: &authorizationv1.ResourceAttributes{
				Verb: "list", Resource: "pods", FieldSelector: &authorizationv1.FieldSelectorAttributes{},
			}}},
			want: []string{"FieldValueRequired spec.resourceAttributes.fieldSelector.requirements"},
		},
		"label selector with both forms": {
			sar: authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{User: "alice", ResourceAttributes: &authorizationv1.ResourceAttributes{
				Verb: "list", Resource: "pods", LabelSelector: &authorizationv1.LabelSelectorAttributes{
					RawSelector:  "a=b",
					Requirements: []metav1.LabelSelectorRequirement{{Key: "a", Operator: metav1.LabelSelectorOpExists}},
				},
			}}},
			want: []string{"FieldValueInvalid spec.resourceAttributes.labelSelector.rawSelector"},
		},
	} {
		t.Run(name, func(t *testing.T) { expect(t, ValidateSubjectAccessReview(&tc.sar), tc.want...) })
	}
}

func TestValidateSelfSubjectAccessReview(t *testing.T) {
	expect(t, ValidateSelfSubjectAccessReview(&authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: podsAttrs}}))
	expect(t, ValidateSelfSubjectAccessReview(&authorizationv1.SelfSubjectAccessReview{}), "FieldValueInvalid spec")
	expect(t, ValidateSelfSubjectAccessReview(&authorizationv1.SelfSubjectAccessReview{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns"}, Spec: authorizationv1.SelfSubjectAccessReviewSpec{NonResourceAttributes: pathAttrs},
	}), "FieldValueInvalid metadata")
}

func TestValidateLocalSubjectAccessReview(t *testing.T) {
	for name, tc := range map[string]struct {
		sar  authorizationv1.LocalSubjectAccessReview
		want []string
	}{
		"valid": {sar: authorizationv1.LocalSubjectAccessReview{ObjectMeta: metav1.ObjectMeta{Namespace: "ns"}, Spec: authorizationv1.SubjectAccessReviewSpec{User: "alice", ResourceAttributes: podsAttrs}}},
		"namespace mismatch": {
			sar:  authorizationv1.LocalSubjectAccessReview{ObjectMeta: metav1.ObjectMeta{Namespace: "other"}, Spec: authorizationv1.SubjectAccessReviewSpec{User: "alice", ResourceAttributes: podsAttrs}},
			want: []string{"FieldValueInvalid spec.resourceAttributes.namespace"},
		},
		"non-resource": {
			sar:  authorizationv1.LocalSubjectAccessReview{ObjectMeta: metav1.ObjectMeta{Namespace: "ns"}, Spec: authorizationv1.SubjectAccessReviewSpec{User: "alice", NonResourceAttributes: pathAttrs}},
			want: []string{"FieldValueInvalid spec.nonResourceAttributes"},
		},
		"name set": {
			sar:  authorizationv1.LocalSubjectAccessReview{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "x"}, Spec: authorizationv1.SubjectAccessReviewSpec{User: "alice", ResourceAttributes: podsAttrs}},
			want: []string{"FieldValueInvalid metadata"},
		},
	} {
		t.Run(name, func(t *testing.T) { expect(t, ValidateLocalSubjectAccessReview(&tc.sar), tc.want...) })
	}
}
