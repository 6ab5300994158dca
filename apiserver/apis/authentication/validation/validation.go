package validation

import (
	authenticationv1 "k8s.io/api/authentication/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"
)

// MinTokenAgeSec is the shortest lifetime a token may be requested for: 10 minutes.
const MinTokenAgeSec = 10 * 60

// ValidateTokenRequest validates a (defaulted) TokenRequest.
func ValidateTokenRequest(tr *authenticationv1.TokenRequest) field.ErrorList {
	allErrs := field.ErrorList{}
	specPath := field.NewPath("spec")
	exp := ptr.Deref(tr.Spec.ExpirationSeconds, 0)
	if exp < MinTokenAgeSec {
		allErrs = append(allErrs, field.Invalid(specPath.Child("expirationSeconds"), exp, "may not specify a duration less than 10 minutes"))
	}
	if exp > 1<<32 {
		allErrs = append(allErrs, field.Invalid(specPath.Child("expirationSeconds"), exp, "may not specify a duration larger than 2^32 seconds"))
	}
	if len(tr.Spec.Attestations) != 0 {
		return field.ErrorList{field.Invalid(specPath.Child("attestations"), tr.Spec.Attestations, "attestations may only be specified with a webhook bound object reference")}
	}
	return allErrs
}
