package apiserver

import (
	"strings"
	"testing"
	"time"
)

func TestValidateServiceAccounts(t *testing.T) {
	valid := func() Config {
		c := Defaults()
		c.ServiceAccountSigningKeyFile = "sa.key"
		c.ServiceAccountKeyFiles = []string{"sa.pub"}
		return c
	}
	tests := []struct {
		name    string
		mutate  func(*Config)
		wantErr string
	}{
		{name: "defaults with keys"},
		{name: "no issuer", mutate: func(c *Config) { c.ServiceAccountIssuers = nil }, wantErr: "--service-account-issuer is a required flag"},
		{name: "empty issuer", mutate: func(c *Config) { c.ServiceAccountIssuers = []string{""} }, wantErr: "should not be an empty string"},
		{name: "duplicate issuer", mutate: func(c *Config) { c.ServiceAccountIssuers = []string{"a", "a"} }, wantErr: `"a" is already specified`},
		{name: "bad URL", mutate: func(c *Config) { c.ServiceAccountIssuers = []string{"https://a b:x"} }, wantErr: "was not a valid URL"},
		{name: "no signing key", mutate: func(c *Config) { c.ServiceAccountSigningKeyFile = "" }, wantErr: "--service-account-signing-key-file"},
		{name: "no verification keys", mutate: func(c *Config) { c.ServiceAccountKeyFiles = nil }, wantErr: "--service-account-key-file must be set"},
		{name: "max expiration too short", mutate: func(c *Config) { c.ServiceAccountMaxTokenExpiration = time.Minute }, wantErr: "--service-account-max-token-expiration"},
		{name: "max expiration", mutate: func(c *Config) { c.ServiceAccountMaxTokenExpiration = 2 * time.Hour }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := valid()
			if tc.mutate != nil {
				tc.mutate(&c)
			}
			errs := c.validateServiceAccounts()
			if tc.wantErr == "" {
				if len(errs) != 0 {
					t.Fatalf("unexpected errors %v", errs)
				}
				return
			}
			if len(errs) != 1 || !strings.Contains(errs[0].Error(), tc.wantErr) {
				t.Errorf("got %v, want one error containing %q", errs, tc.wantErr)
			}
		})
	}
}
