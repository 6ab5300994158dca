package apiserver

import (
	"net/http/httptest"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
)

func TestValidateKubeletClient(t *testing.T) {
	for _, tc := range []struct {
		name    string
		mutate  func(*Config)
		wantErr string
	}{
		{name: "defaults"},
		{name: "client pair", mutate: func(c *Config) { c.KubeletClientCertificate, c.KubeletClientKey = "c.crt", "c.key" }},
		{name: "certificate without key", mutate: func(c *Config) { c.KubeletClientCertificate = "c.crt" }, wantErr: "must be set together"},
		{name: "key without certificate", mutate: func(c *Config) { c.KubeletClientKey = "c.key" }, wantErr: "must be set together"},
		{name: "CA and insecure", mutate: func(c *Config) { c.KubeletCertificateAuthority, c.KubeletInsecureSkipTLSVerify = "ca.crt", true }, wantErr: "mutually exclusive"},
		{name: "address types", mutate: func(c *Config) { c.KubeletPreferredAddressTypes = []string{"InternalIP", "Hostname"} }},
		{name: "unknown address type", mutate: func(c *Config) { c.KubeletPreferredAddressTypes = []string{"LegacyHostIP"} }, wantErr: `unknown address type "LegacyHostIP"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Defaults()
			if tc.mutate != nil {
				tc.mutate(&c)
			}
			errs := c.validateKubeletClient()
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

// TestKubeletVerificationDefaultsToClusterCA: without --kubelet-certificate-authority,
// kubelets are verified with the client CA (the cluster CA), not left unverified as
// upstream leaves them.
func TestKubeletVerificationDefaultsToClusterCA(t *testing.T) {
	s := &Server{security: &security{}}
	cfg := Defaults()
	cfg.ClientCAFile = "/pki/ca.crt"
	cfg.KubeletClientCertificate, cfg.KubeletClientKey = "/pki/k.crt", "/pki/k.key"
	cfg.KubeletPreferredAddressTypes = []string{"ExternalIP"}
	got := s.connectOptions(cfg).Kubelet
	if got.CAFile != "/pki/ca.crt" || got.InsecureSkipTLSVerify || got.CertFile != "/pki/k.crt" || got.KeyFile != "/pki/k.key" ||
		len(got.PreferredAddressTypes) != 1 || got.PreferredAddressTypes[0] != corev1.NodeExternalIP {
		t.Errorf("default kubelet client config %+v", got)
	}
	cfg.KubeletCertificateAuthority = "/other/ca.crt"
	if got := s.connectOptions(cfg).Kubelet; got.CAFile != "/other/ca.crt" {
		t.Errorf("--kubelet-certificate-authority: CA file %q", got.CAFile)
	}
	cfg.KubeletCertificateAuthority, cfg.KubeletInsecureSkipTLSVerify = "", true
	if got := s.connectOptions(cfg).Kubelet; !got.InsecureSkipTLSVerify {
		t.Errorf("--kubelet-insecure-skip-tls-verify: %+v", got)
	}
}

func TestStreamsAreLongRunning(t *testing.T) {
	for _, tc := range []struct {
		verb, subresource string
		long              bool
	}{
		{"get", "log", true},
		{"create", "exec", true},
		{"get", "exec", true},
		{"create", "attach", true},
		{"create", "portforward", true},
		{"get", "proxy", true},
		{"proxy", "", true},
		{"watch", "", true},
		{"get", "", false},
		{"create", "eviction", false},
	} {
		info := &genericapirequest.RequestInfo{IsResourceRequest: true, Verb: tc.verb, Resource: "pods", Subresource: tc.subresource}
		r := httptest.NewRequest("GET", "/api/v1/namespaces/default/pods/p/"+tc.subresource, nil)
		if got := longRunningRequestCheck(r, info); got != tc.long {
			t.Errorf("%s pods/%s: long running %v, want %v", tc.verb, tc.subresource, got, tc.long)
		}
	}
}
