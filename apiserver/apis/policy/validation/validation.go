package validation

import (
	policyv1 "k8s.io/api/policy/v1"
	unversionedvalidation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation/field"

	appsvalidation "github.com/k1s-dev/k1s/apiserver/apis/apps/validation"
	corevalidation "github.com/k1s-dev/k1s/apiserver/apis/core/validation"
)

var supportedUnhealthyPodEvictionPolicies = sets.New(
	string(policyv1.IfHealthyBudget),
	string(policyv1.AlwaysAllow),
)

// PodDisruptionBudgetValidationOptions are the options of spec validation.
type PodDisruptionBudgetValidationOptions struct {
	// AllowInvalidLabelValueInSelector keeps stored budgets whose selector newer
	// validation rejects updatable.
	AllowInvalidLabelValueInSelector bool
}

// ValidatePodDisruptionBudget validates a PodDisruptionBudget. Its metadata is left to
// the generic registry's checks, as upstream does.
func ValidatePodDisruptionBudget(pdb *policyv1.PodDisruptionBudget, opts PodDisruptionBudgetValidationOptions) field.ErrorList {
	return ValidatePodDisruptionBudgetSpec(pdb.Spec, opts, field.NewPath("spec"))
}

// ValidatePodDisruptionBudgetSpec validates a PodDisruptionBudgetSpec.
func ValidatePodDisruptionBudgetSpec(spec policyv1.PodDisruptionBudgetSpec, opts PodDisruptionBudgetValidationOptions, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}

	if spec.MinAvailable != nil && spec.MaxUnavailable != nil {
		allErrs = append(allErrs, field.Invalid(fldPath, spec, "minAvailable and maxUnavailable cannot be both set"))
	}
	if spec.MinAvailable != nil {
		allErrs = append(allErrs, appsvalidation.ValidatePositiveIntOrPercent(*spec.MinAvailable, fldPath.Child("minAvailable"))...)
		allErrs = append(allErrs, appsvalidation.IsNotMoreThan100Percent(*spec.MinAvailable, fldPath.Child("minAvailable"))...)
	}
	if spec.MaxUnavailable != nil {
		allErrs = append(allErrs, appsvalidation.ValidatePositiveIntOrPercent(*spec.MaxUnavailable, fldPath.Child("maxUnavailable"))...)
		allErrs = append(allErrs, appsvalidation.IsNotMoreThan100Percent(*spec.MaxUnavailable, fldPath.Child("maxUnavailable"))...)
	}

	labelSelectorValidationOptions := unversionedvalidation.LabelSelectorValidationOptions{AllowInvalidLabelValueInSelector: opts.AllowInvalidLabelValueInSelector}
	allErrs = append(allErrs, unversionedvalidation.ValidateLabelSelector(spec.Selector, labelSelectorValidationOptions, fldPath.Child("selector"))...)

	if spec.UnhealthyPodEvictionPolicy != nil && !supportedUnhealthyPodEvictionPolicies.Has(string(*spec.UnhealthyPodEvictionPolicy)) {
		allErrs = append(allErrs, field.NotSupported(fldPath.Child("unhealthyPodEvictionPolicy"), *spec.UnhealthyPodEvictionPolicy, sets.List(supportedUnhealthyPodEvictionPolicies)))
	}
	return allErrs
}

// ValidatePodDisruptionBudgetStatusUpdate validates a PodDisruptionBudgetStatus.
func ValidatePodDisruptionBudgetStatusUpdate(status, oldStatus policyv1.PodDisruptionBudgetStatus, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	allErrs = append(allErrs, unversionedvalidation.ValidateConditions(status.Conditions, fldPath.Child("conditions"))...)
	allErrs = append(allErrs, corevalidation.ValidateNonnegativeField(int64(status.DisruptionsAllowed), fldPath.Child("disruptionsAllowed"))...)
	allErrs = append(allErrs, corevalidation.ValidateNonnegativeField(int64(status.CurrentHealthy), fldPath.Child("currentHealthy"))...)
	allErrs = append(allErrs, corevalidation.ValidateNonnegativeField(int64(status.DesiredHealthy), fldPath.Child("desiredHealthy"))...)
	allErrs = append(allErrs, corevalidation.ValidateNonnegativeField(int64(status.ExpectedPods), fldPath.Child("expectedPods"))...)
	return allErrs
}
