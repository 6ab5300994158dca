package authorization

import (
	"context"
	"fmt"

	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/k1s-dev/k1s/apiserver/apis/authorization/validation"
)

// NewStorage returns the storage of authorization.k8s.io/v1, answering with authz and
// ruleResolver.
func NewStorage(authz authorizer.UnconditionalAuthorizer, ruleResolver authorizer.RuleResolver) map[string]rest.Storage {
	return map[string]rest.Storage{
		"subjectaccessreviews":      &SubjectAccessReviewREST{authz},
		"selfsubjectaccessreviews":  &SelfSubjectAccessReviewREST{authz},
		"localsubjectaccessreviews": &LocalSubjectAccessReviewREST{authz},
		"selfsubjectrulesreviews":   &SelfSubjectRulesReviewREST{ruleResolver},
	}
}

func statusFrom(decision authorizer.Decision, reason string, evaluationErr error, attrs authorizer.AttributesRecord) authorizationv1.SubjectAccessReviewStatus {
	return authorizationv1.SubjectAccessReviewStatus{
		Allowed:         decision == authorizer.DecisionAllow,
		Denied:          decision == authorizer.DecisionDeny,
		Reason:          reason,
		EvaluationError: BuildEvaluationError(evaluationErr, attrs),
	}
}

// answer is what the three access reviews share once their subject is known: admission's
// create validation of the review, then the authorizer's decision as a review status.
func answer(ctx context.Context, authz authorizer.UnconditionalAuthorizer, review runtime.Object, createValidation rest.ValidateObjectFunc, attrs authorizer.AttributesRecord) (authorizationv1.SubjectAccessReviewStatus, error) {
	if createValidation != nil {
		if err := createValidation(ctx, review.DeepCopyObject()); err != nil {
			return authorizationv1.SubjectAccessReviewStatus{}, err
		}
	}
	decision, reason, err := authz.Authorize(ctx, attrs)
	return statusFrom(decision, reason, err, attrs), nil
}

// SubjectAccessReviewREST answers SubjectAccessReviews.
type SubjectAccessReviewREST struct {
	authorizer authorizer.UnconditionalAuthorizer
}

var (
	_ rest.Creater              = &SubjectAccessReviewREST{}
	_ rest.Scoper               = &SubjectAccessReviewREST{}
	_ rest.SingularNameProvider = &SubjectAccessReviewREST{}
)

func (r *SubjectAccessReviewREST) NamespaceScoped() bool   { return false }
func (r *SubjectAccessReviewREST) New() runtime.Object     { return &authorizationv1.SubjectAccessReview{} }
func (r *SubjectAccessReviewREST) Destroy()                {}
func (r *SubjectAccessReviewREST) GetSingularName() string { return "subjectaccessreview" }

// Create answers whether the review's subject may do what it asks.
func (r *SubjectAccessReviewREST) Create(ctx context.Context, obj runtime.Object, createValidation rest.ValidateObjectFunc, _ *metav1.CreateOptions) (runtime.Object, error) {
	sar, ok := obj.(*authorizationv1.SubjectAccessReview)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("not a SubjectAccessReview: %#v", obj))
	}
	if errs := validation.ValidateSubjectAccessReview(sar); len(errs) > 0 {
		return nil, apierrors.NewInvalid(authorizationv1.SchemeGroupVersion.WithKind("SubjectAccessReview").GroupKind(), "", errs)
	}
	status, err := answer(ctx, r.authorizer, obj, createValidation, AuthorizationAttributesFrom(sar.Spec))
	if err != nil {
		return nil, err
	}
	sar.Status = status
	return sar, nil
}

// LocalSubjectAccessReviewREST answers LocalSubjectAccessReviews, which are namespaced.
type LocalSubjectAccessReviewREST struct {
	authorizer authorizer.UnconditionalAuthorizer
}

var (
	_ rest.Creater              = &LocalSubjectAccessReviewREST{}
	_ rest.Scoper               = &LocalSubjectAccessReviewREST{}
	_ rest.SingularNameProvider = &LocalSubjectAccessReviewREST{}
)

func (r *LocalSubjectAccessReviewREST) NamespaceScoped() bool { return true }
func (r *LocalSubjectAccessReviewREST) New() runtime.Object {
	return &authorizationv1.LocalSubjectAccessReview{}
}
func (r *LocalSubjectAccessReviewREST) Destroy()                {}
func (r *LocalSubjectAccessReviewREST) GetSingularName() string { return "localsubjectaccessreview" }

// Create answers whether the review's subject may do what it asks in the namespace of
// the request.
func (r *LocalSubjectAccessReviewREST) Create(ctx context.Context, obj runtime.Object, createValidation rest.ValidateObjectFunc, _ *metav1.CreateOptions) (runtime.Object, error) {
	sar, ok := obj.(*authorizationv1.LocalSubjectAccessReview)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("not a LocalSubjectAccessReview: %#v", obj))
	}
	if errs := validation.ValidateLocalSubjectAccessReview(sar); len(errs) > 0 {
		return nil, apierrors.NewInvalid(authorizationv1.SchemeGroupVersion.WithKind("LocalSubjectAccessReview").GroupKind(), "", errs)
	}
	namespace := genericapirequest.NamespaceValue(ctx)
	if len(namespace) == 0 {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("namespace is required on this type: %v", namespace))
	}
	if namespace != sar.Namespace {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("spec.resourceAttributes.namespace must match namespace: %v", namespace))
	}
	status, err := answer(ctx, r.authorizer, obj, createValidation, AuthorizationAttributesFrom(sar.Spec))
	if err != nil {
		return nil, err
	}
	sar.Status = status
	return sar, nil
}

// SelfSubjectAccessReviewREST answers SelfSubjectAccessReviews: the subject is the
// requesting user.
type SelfSubjectAccessReviewREST struct {
	authorizer authorizer.UnconditionalAuthorizer
}

var (
	_ rest.Creater              = &SelfSubjectAccessReviewREST{}
	_ rest.Scoper               = &SelfSubjectAccessReviewREST{}
	_ rest.SingularNameProvider = &SelfSubjectAccessReviewREST{}
)

func (r *SelfSubjectAccessReviewREST) NamespaceScoped() bool { return false }
func (r *SelfSubjectAccessReviewREST) New() runtime.Object {
	return &authorizationv1.SelfSubjectAccessReview{}
}
func (r *SelfSubjectAccessReviewREST) Destroy()                {}
func (r *SelfSubjectAccessReviewREST) GetSingularName() string { return "selfsubjectaccessreview" }

// Create answers whether the requesting user may do what the review asks.
func (r *SelfSubjectAccessReviewREST) Create(ctx context.Context, obj runtime.Object, createValidation rest.ValidateObjectFunc, _ *metav1.CreateOptions) (runtime.Object, error) {
	sar, ok := obj.(*authorizationv1.SelfSubjectAccessReview)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("not a SelfSubjectAccessReview: %#v", obj))
	}
	if errs := validation.ValidateSelfSubjectAccessReview(sar); len(errs) > 0 {
		return nil, apierrors.NewInvalid(authorizationv1.SchemeGroupVersion.WithKind("SelfSubjectAccessReview").GroupKind(), "", errs)
	}
	u, ok := genericapirequest.UserFrom(ctx)
	if !ok {
		return nil, apierrors.NewBadRequest("no user present on request")
	}
	var attrs authorizer.AttributesRecord
	if sar.Spec.ResourceAttributes != nil {
		attrs = ResourceAttributesFrom(u, *sar.Spec.ResourceAttributes)
	} else {
		attrs = NonResourceAttributesFrom(u, *sar.Spec.NonResourceAttributes)
	}
	status, err := answer(ctx, r.authorizer, obj, createValidation, attrs)
	if err != nil {
		return nil, err
	}
	sar.Status = status
	return sar, nil
}

// SelfSubjectRulesReviewREST answers SelfSubjectRulesReviews: the rules the requesting
// user holds in a namespace.
type SelfSubjectRulesReviewREST struct {
	ruleResolver authorizer.RuleResolver
}

var (
	_ rest.Creater              = &SelfSubjectRulesReviewREST{}
	_ rest.Scoper               = &SelfSubjectRulesReviewREST{}
	_ rest.SingularNameProvider = &SelfSubjectRulesReviewREST{}
)

func (r *SelfSubjectRulesReviewREST) NamespaceScoped() bool { return false }
func (r *SelfSubjectRulesReviewREST) New() runtime.Object {
	return &authorizationv1.SelfSubjectRulesReview{}
}
func (r *SelfSubjectRulesReviewREST) Destroy()                {}
func (r *SelfSubjectRulesReviewREST) GetSingularName() string { return "selfsubjectrulesreview" }

// Create lists the rules the requesting user holds in spec.namespace.
func (r *SelfSubjectRulesReviewREST) Create(ctx context.Context, obj runtime.Object, createValidation rest.ValidateObjectFunc, _ *metav1.CreateOptions) (runtime.Object, error) {
	review, ok := obj.(*authorizationv1.SelfSubjectRulesReview)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("not a SelfSubjectRulesReview: %#v", obj))
	}
	u, ok := genericapirequest.UserFrom(ctx)
	if !ok {
		return nil, apierrors.NewBadRequest("no user present on request")
	}
	namespace := review.Spec.Namespace
	if namespace == "" {
		return nil, apierrors.NewBadRequest("no namespace on request")
	}
	if createValidation != nil {
		if err := createValidation(ctx, obj.DeepCopyObject()); err != nil {
			return nil, err
		}
	}

	resourceInfo, nonResourceInfo, incomplete, err := r.ruleResolver.RulesFor(ctx, u, namespace)
	ret := &authorizationv1.SelfSubjectRulesReview{
		Status: authorizationv1.SubjectRulesReviewStatus{
			ResourceRules:    make([]authorizationv1.ResourceRule, len(resourceInfo)),
			NonResourceRules: make([]authorizationv1.NonResourceRule, len(nonResourceInfo)),
			Incomplete:       incomplete,
		},
	}
	for i, info := range resourceInfo {
		ret.Status.ResourceRules[i] = authorizationv1.ResourceRule{
			Verbs: info.GetVerbs(), APIGroups: info.GetAPIGroups(), Resources: info.GetResources(), ResourceNames: info.GetResourceNames(),
		}
	}
	for i, info := range nonResourceInfo {
		ret.Status.NonResourceRules[i] = authorizationv1.NonResourceRule{Verbs: info.GetVerbs(), NonResourceURLs: info.GetNonResourceURLs()}
	}
	if err != nil {
		ret.Status.EvaluationError = err.Error()
	}
	return ret, nil
}
