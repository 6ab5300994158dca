package v1

import (
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
)

func TestDefaults(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := RegisterDefaults(scheme); err != nil {
		t.Fatal(err)
	}
	unset := &authenticationv1.TokenRequest{}
	scheme.Default(unset)
	if got := ptr.Deref(unset.Spec.ExpirationSeconds, 0); got != 3600 {
		t.Errorf("default expirationSeconds %d, want 3600", got)
	}
	set := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](600)}}
	scheme.Default(set)
	if got := *set.Spec.ExpirationSeconds; got != 600 {
		t.Errorf("expirationSeconds %d was changed, want 600", got)
	}
}
