package validation

import (
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/validate/content"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	unversionedvalidation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	corevalidation "github.com/k1s-dev/k1s/apiserver/apis/core/validation"
)

// ValidateRBACName is the minimal name check of roles and bindings: any name usable as a
// path segment. Role names such as "system:node" are therefore legal.
func ValidateRBACName(name string, prefix bool) []string {
	return content.IsPathSegmentName(name)
}

// ValidateRole validates a Role.
func ValidateRole(role *rbacv1.Role) field.ErrorList {
	allErrs := corevalidation.ValidateObjectMeta(&role.ObjectMeta, true, ValidateRBACName, field.NewPath("metadata"))
	for i, rule := range role.Rules {
		allErrs = append(allErrs, ValidatePolicyRule(rule, true, field.NewPath("rules").Index(i))...)
	}
	return allErrs
}

// ValidateRoleUpdate validates an update of a Role.
func ValidateRoleUpdate(role, oldRole *rbacv1.Role) field.ErrorList {
	allErrs := ValidateRole(role)
	allErrs = append(allErrs, corevalidation.ValidateObjectMetaUpdate(&role.ObjectMeta, &oldRole.ObjectMeta, field.NewPath("metadata"))...)
	return allErrs
}

// ClusterRoleValidationOptions relax ClusterRole validation for objects stored before a
// check was tightened.
type ClusterRoleValidationOptions struct {
	// AllowInvalidLabelValueInSelector keeps accepting aggregation selectors with label
	// values that are no longer valid, when the stored object already has them.
	AllowInvalidLabelValueInSelector bool
}

// ValidateClusterRole validates a ClusterRole, including its aggregationRule.
func ValidateClusterRole(role *rbacv1.ClusterRole, opts ClusterRoleValidationOptions) field.ErrorList {
	allErrs := corevalidation.ValidateObjectMeta(&role.ObjectMeta, false, ValidateRBACName, field.NewPath("metadata"))
	for i, rule := range role.Rules {
		allErrs = append(allErrs, ValidatePolicyRule(rule, false, field.NewPath("rules").Index(i))...)
	}

	if role.AggregationRule != nil {
		if len(role.AggregationRule.ClusterRoleSelectors) == 0 {
			allErrs = append(allErrs, field.Required(field.NewPath("aggregationRule", "clusterRoleSelectors"), "at least one clusterRoleSelector required if aggregationRule is non-nil"))
		}
		selectorOpts := unversionedvalidation.LabelSelectorValidationOptions{AllowInvalidLabelValueInSelector: opts.AllowInvalidLabelValueInSelector}
		for i, selector := range role.AggregationRule.ClusterRoleSelectors {
			fieldPath := field.NewPath("aggregationRule", "clusterRoleSelectors").Index(i)
			allErrs = append(allErrs, unversionedvalidation.ValidateLabelSelector(&selector, selectorOpts, fieldPath)...)
			if _, err := metav1.LabelSelectorAsSelector(&selector); err != nil {
				allErrs = append(allErrs, field.Invalid(fieldPath, selector, "invalid label selector."))
			}
		}
	}
	return allErrs
}

// ValidateClusterRoleUpdate validates an update of a ClusterRole.
func ValidateClusterRoleUpdate(role, oldRole *rbacv1.ClusterRole, opts ClusterRoleValidationOptions) field.ErrorList {
	allErrs := ValidateClusterRole(role, opts)
	allErrs = append(allErrs, corevalidation.ValidateObjectMetaUpdate(&role.ObjectMeta, &oldRole.ObjectMeta, field.NewPath("metadata"))...)
	return allErrs
}

// HasInvalidLabelValueInAggregationRule reports whether a stored ClusterRole's aggregation
// selectors use label values that current validation rejects; an update of such an
// object keeps accepting them (see ClusterRoleValidationOptions).
func HasInvalidLabelValueInAggregationRule(role *rbacv1.ClusterRole) bool {
	if role.AggregationRule == nil {
		return false
	}
	opts := unversionedvalidation.LabelSelectorValidationOptions{AllowInvalidLabelValueInSelector: false}
	for _, selector := range role.AggregationRule.ClusterRoleSelectors {
		if len(unversionedvalidation.ValidateLabelSelector(&selector, opts, nil)) > 0 {
			return true
		}
	}
	return false
}

// ValidatePolicyRule validates one rule. Namespaced rules (of a Role) may not name
// non-resource URLs; a rule is either about resources or about non-resource URLs.
func ValidatePolicyRule(rule rbacv1.PolicyRule, isNamespaced bool, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	if len(rule.Verbs) == 0 {
		allErrs = append(allErrs, field.Required(fldPath.Child("verbs"), "verbs must contain at least one value"))
	}

	if len(rule.NonResourceURLs) > 0 {
		if isNamespaced {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("nonResourceURLs"), rule.NonResourceURLs, "namespaced rules cannot apply to non-resource URLs"))
		}
		if len(rule.APIGroups) > 0 || len(rule.Resources) > 0 || len(rule.ResourceNames) > 0 {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("nonResourceURLs"), rule.NonResourceURLs, "rules cannot apply to both regular resources and non-resource URLs"))
		}
		return allErrs
	}

	if len(rule.APIGroups) == 0 {
		allErrs = append(allErrs, field.Required(fldPath.Child("apiGroups"), "resource rules must supply at least one api group"))
	}
	if len(rule.Resources) == 0 {
		allErrs = append(allErrs, field.Required(fldPath.Child("resources"), "resource rules must supply at least one resource"))
	}
	return allErrs
}

// ValidateRoleBinding validates a RoleBinding: it may reference a Role or a ClusterRole.
func ValidateRoleBinding(roleBinding *rbacv1.RoleBinding) field.ErrorList {
	allErrs := corevalidation.ValidateObjectMeta(&roleBinding.ObjectMeta, true, ValidateRBACName, field.NewPath("metadata"))
	allErrs = append(allErrs, validateRoleRef(roleBinding.RoleRef, []string{"Role", "ClusterRole"})...)
	subjectsPath := field.NewPath("subjects")
	for i, subject := range roleBinding.Subjects {
		allErrs = append(allErrs, ValidateRoleBindingSubject(subject, true, subjectsPath.Index(i))...)
	}
	return allErrs
}

// ValidateRoleBindingUpdate validates an update of a RoleBinding; roleRef is immutable.
func ValidateRoleBindingUpdate(roleBinding, oldRoleBinding *rbacv1.RoleBinding) field.ErrorList {
	allErrs := ValidateRoleBinding(roleBinding)
	allErrs = append(allErrs, corevalidation.ValidateObjectMetaUpdate(&roleBinding.ObjectMeta, &oldRoleBinding.ObjectMeta, field.NewPath("metadata"))...)
	allErrs = append(allErrs, apimachineryvalidation.ValidateImmutableField(roleBinding.RoleRef, oldRoleBinding.RoleRef, field.NewPath("roleRef")).WithOrigin("immutable")...)
	return allErrs
}

// ValidateClusterRoleBinding validates a ClusterRoleBinding: it may reference only a
// ClusterRole, and service account subjects need a namespace.
func ValidateClusterRoleBinding(roleBinding *rbacv1.ClusterRoleBinding) field.ErrorList {
	allErrs := corevalidation.ValidateObjectMeta(&roleBinding.ObjectMeta, false, ValidateRBACName, field.NewPath("metadata"))
	allErrs = append(allErrs, validateRoleRef(roleBinding.RoleRef, []string{"ClusterRole"})...)
	subjectsPath := field.NewPath("subjects")
	for i, subject := range roleBinding.Subjects {
		allErrs = append(allErrs, ValidateRoleBindingSubject(subject, false, subjectsPath.Index(i))...)
	}
	return allErrs
}

// ValidateClusterRoleBindingUpdate validates an update of a ClusterRoleBinding; roleRef is
// immutable.
func ValidateClusterRoleBindingUpdate(roleBinding, oldRoleBinding *rbacv1.ClusterRoleBinding) field.ErrorList {
	allErrs := ValidateClusterRoleBinding(roleBinding)
	allErrs = append(allErrs, corevalidation.ValidateObjectMetaUpdate(&roleBinding.ObjectMeta, &oldRoleBinding.ObjectMeta, field.NewPath("metadata"))...)
	allErrs = append(allErrs, apimachineryvalidation.ValidateImmutableField(roleBinding.RoleRef, oldRoleBinding.RoleRef, field.NewPath("roleRef")).WithOrigin("immutable")...)
	return allErrs
}

func validateRoleRef(roleRef rbacv1.RoleRef, kinds []string) field.ErrorList {
	allErrs := field.ErrorList{}
	// Upstream restricts roleRef to its own group for now; other groups may one day
	// provide roles through the binding machinery.
	if roleRef.APIGroup != rbacv1.GroupName {
		allErrs = append(allErrs, field.NotSupported(field.NewPath("roleRef", "apiGroup"), roleRef.APIGroup, []string{rbacv1.GroupName}))
	}
	supported := false
	for _, k := range kinds {
		supported = supported || roleRef.Kind == k
	}
	if !supported {
		allErrs = append(allErrs, field.NotSupported(field.NewPath("roleRef", "kind"), roleRef.Kind, kinds))
	}
	if len(roleRef.Name) == 0 {
		allErrs = append(allErrs, field.Required(field.NewPath("roleRef", "name"), ""))
	} else {
		for _, msg := range ValidateRBACName(roleRef.Name, false) {
			allErrs = append(allErrs, field.Invalid(field.NewPath("roleRef", "name"), roleRef.Name, msg))
		}
	}
	return allErrs
}

// ValidateRoleBindingSubject validates one subject of a binding. Service accounts of a
// ClusterRoleBinding must name their namespace; users and groups must be in the RBAC
// API group, service accounts in the core group.
func ValidateRoleBindingSubject(subject rbacv1.Subject, isNamespaced bool, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	if len(subject.Name) == 0 {
		allErrs = append(allErrs, field.Required(fldPath.Child("name"), ""))
	}

	switch subject.Kind {
	case rbacv1.ServiceAccountKind:
		if len(subject.Name) > 0 {
			for _, msg := range apimachineryvalidation.ValidateServiceAccountName(subject.Name, false) {
				allErrs = append(allErrs, field.Invalid(fldPath.Child("name"), subject.Name, msg))
			}
		}
		if len(subject.APIGroup) > 0 {
			allErrs = append(allErrs, field.NotSupported(fldPath.Child("apiGroup"), subject.APIGroup, []string{""}))
		}
		if !isNamespaced && len(subject.Namespace) == 0 {
			allErrs = append(allErrs, field.Required(fldPath.Child("namespace"), ""))
		}
	case rbacv1.UserKind, rbacv1.GroupKind:
		if subject.APIGroup != rbacv1.GroupName {
			allErrs = append(allErrs, field.NotSupported(fldPath.Child("apiGroup"), subject.APIGroup, []string{rbacv1.GroupName}))
		}
	default:
		allErrs = append(allErrs, field.NotSupported(fldPath.Child("kind"), subject.Kind, []string{rbacv1.ServiceAccountKind, rbacv1.UserKind, rbacv1.GroupKind}))
	}
	return allErrs
}
