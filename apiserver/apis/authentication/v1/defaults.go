package v1

import (
	authenticationv1 "k8s.io/api/authentication/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// DefaultTokenExpirationSeconds is the lifetime of a requested token that names none.
const DefaultTokenExpirationSeconds int64 = 60 * 60

// RegisterDefaults adds the defaulting functions of authentication/v1 to scheme, as
// upstream's generated zz_generated.defaults.go does.
func RegisterDefaults(scheme *runtime.Scheme) error {
	scheme.AddTypeDefaultingFunc(&authenticationv1.TokenRequest{}, func(obj any) {
		SetDefaults_TokenRequestSpec(&obj.(*authenticationv1.TokenRequest).Spec)
	})
	return nil
}

// SetDefaults_TokenRequestSpec defaults expirationSeconds to an hour.
func SetDefaults_TokenRequestSpec(obj *authenticationv1.TokenRequestSpec) {
	if obj.ExpirationSeconds == nil {
		hour := DefaultTokenExpirationSeconds
		obj.ExpirationSeconds = &hour
	}
}
