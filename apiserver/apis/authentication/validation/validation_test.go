package validation

import (
	"strings"
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"
	"k8s.io/utils/ptr"
)

func TestValidateTokenRequest(t *testing.T) {
	tests := []struct {
		name    string
		spec    authenticationv1.TokenRequestSpec
		wantErr string
	}{
		{name: "minimum", spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](600)}},
		{name: "maximum", spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](1 << 32)}},
		{
			name:    "too short",
			spec:    authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](599)},
			wantErr: "spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 10 minutes",
		},
		{
			name:    "too long",
			spec:    authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](1<<32 + 1)},
			wantErr: "spec.expirationSeconds: Invalid value: 4294967297: may not specify a duration larger than 2^32 seconds",
		},
		{
			name: "attestations",
			spec: authenticationv1.TokenRequestSpec{
				ExpirationSeconds: ptr.To[int64](600),
				Attestations:      map[string]authenticationv1.AttestationValue{"admissionReviewAPIGroups": {"*"}},
			},
			wantErr: "attestations may only be specified with a webhook bound object reference",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			errs := ValidateTokenRequest(&authenticationv1.TokenRequest{Spec: tc.spec})
			if tc.wantErr == "" {
				if len(errs) != 0 {
					t.Fatalf("unexpected errors %v", errs)
				}
				return
			}
			if len(errs) != 1 {
				t.Fatalf("got %v, want one error %q", errs, tc.wantErr)
			}
			if got := errs[0].Error(); !strings.Contains(got, tc.wantErr) {
				t.Errorf("got %q, want %q", got, tc.wantErr)
			}
		})
	}
}
