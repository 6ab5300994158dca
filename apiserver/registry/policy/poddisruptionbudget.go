// Package policy holds the registry of policy/v1: poddisruptionbudgets and their status.
// The rules are upstream's pkg/registry/policy/poddisruptionbudget. The eviction
// subresource that consults these budgets lives with pods, in the core registry.
package policy

import (
	"context"

	policyv1 "k8s.io/api/policy/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/registry/rest"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	policyvalidation "github.com/k1s-dev/k1s/apiserver/apis/policy/validation"
	"github.com/k1s-dev/k1s/apiserver/registry"
)

// NewStorage returns the storage of policy/v1.
func NewStorage(optsGetter generic.RESTOptionsGetter) (map[string]rest.Storage, error) {
	pdbs, err := registry.NewStore(optsGetter, registry.StoreSpec[*policyv1.PodDisruptionBudget]{
		Resource:   policyv1.Resource("poddisruptionbudgets"),
		Singular:   "poddisruptionbudget",
		ShortNames: []string{"pdb"},
		New:        func() *policyv1.PodDisruptionBudget { return &policyv1.PodDisruptionBudget{} },
		NewList:    func() runtime.Object { return &policyv1.PodDisruptionBudgetList{} },
		Strategy:   PodDisruptionBudgetStrategy,
	})
	if err != nil {
		return nil, err
	}
	return map[string]rest.Storage{
		"poddisruptionbudgets":        pdbs,
		"poddisruptionbudgets/status": registry.NewStatusREST(pdbs, PodDisruptionBudgetStatusStrategy),
	}, nil
}

func resetFields(path string) map[fieldpath.APIVersion]*fieldpath.Set {
	return map[fieldpath.APIVersion]*fieldpath.Set{"policy/v1": fieldpath.NewSet(fieldpath.MakePathOrDie(path))}
}

// PodDisruptionBudgetStrategy is upstream's strategy. Updates need a resourceVersion:
// the eviction subresource decrements status.disruptionsAllowed under that
// precondition, and a blind write could hand out the same disruption twice.
var PodDisruptionBudgetStrategy = &registry.Strategy[*policyv1.PodDisruptionBudget]{
	Namespaced: true,
	PrepareForCreate: func(_ context.Context, pdb *policyv1.PodDisruptionBudget) {
		pdb.Status = policyv1.PodDisruptionBudgetStatus{}
		pdb.Generation = 1
		dropDisabledFields(pdb, nil)
	},
	PrepareForUpdate: func(_ context.Context, pdb, old *policyv1.PodDisruptionBudget) {
		pdb.Status = old.Status
		if !apiequality.Semantic.DeepEqual(old.Spec, pdb.Spec) {
			pdb.Generation = old.Generation + 1
		}
		dropDisabledFields(pdb, old)
	},
	Validate: func(_ context.Context, pdb *policyv1.PodDisruptionBudget) field.ErrorList {
		return policyvalidation.ValidatePodDisruptionBudget(pdb, policyvalidation.PodDisruptionBudgetValidationOptions{})
	},
	ValidateUpdate: func(_ context.Context, pdb, old *policyv1.PodDisruptionBudget) field.ErrorList {
		opts := policyvalidation.PodDisruptionBudgetValidationOptions{
			AllowInvalidLabelValueInSelector: hasInvalidLabelValueInLabelSelector(old),
		}
		return policyvalidation.ValidatePodDisruptionBudget(pdb, opts)
	},
	ResetFields: resetFields("status"),
}

// PodDisruptionBudgetStatusStrategy is upstream's status strategy; like the main one it
// requires a resourceVersion.
var PodDisruptionBudgetStatusStrategy = &registry.Strategy[*policyv1.PodDisruptionBudget]{
	Namespaced: true,
	PrepareForUpdate: func(_ context.Context, pdb, old *policyv1.PodDisruptionBudget) {
		pdb.Spec = old.Spec
	},
	ValidateUpdate: func(_ context.Context, pdb, old *policyv1.PodDisruptionBudget) field.ErrorList {
		return policyvalidation.ValidatePodDisruptionBudgetStatusUpdate(pdb.Status, old.Status, field.NewPath("status"))
	},
	ResetFields: resetFields("spec"),
}

// pdbV1beta1Label is the label key upstream's policy/v1beta1 conversion uses to express
// v1beta1's "empty selector matches nothing" in v1 terms.
const pdbV1beta1Label = "pdb.kubernetes.io/deprecated-v1beta1-empty-selector-match"

// nonV1beta1MatchNoneSelector is that conversion's match-nothing selector.
var nonV1beta1MatchNoneSelector = &metav1.LabelSelector{
	MatchExpressions: []metav1.LabelSelectorRequirement{{Key: pdbV1beta1Label, Operator: metav1.LabelSelectorOpExists}},
}

// dropDisabledFields keeps the v1beta1 marker label out of user selectors, as upstream
// does: it may only appear as the whole match-nothing selector. An unchanged selector
// is left alone so that stored objects stay updatable.
func dropDisabledFields(pdb, old *policyv1.PodDisruptionBudget) {
	if old != nil && apiequality.Semantic.DeepEqual(old.Spec.Selector, pdb.Spec.Selector) {
		return
	}
	if pdb.Spec.Selector == nil || apiequality.Semantic.DeepEqual(pdb.Spec.Selector, nonV1beta1MatchNoneSelector) ||
		apiequality.Semantic.DeepEqual(pdb.Spec.Selector, &metav1.LabelSelector{}) {
		return
	}
	trimmed := pdb.Spec.Selector.MatchExpressions[:0]
	for _, exp := range pdb.Spec.Selector.MatchExpressions {
		if exp.Key != pdbV1beta1Label {
			trimmed = append(trimmed, exp)
		}
	}
	pdb.Spec.Selector.MatchExpressions = trimmed
}

func hasInvalidLabelValueInLabelSelector(pdb *policyv1.PodDisruptionBudget) bool {
	if pdb.Spec.Selector == nil {
		return false
	}
	opts := metav1validation.LabelSelectorValidationOptions{AllowInvalidLabelValueInSelector: false}
	return len(metav1validation.ValidateLabelSelector(pdb.Spec.Selector, opts, nil)) > 0
}
