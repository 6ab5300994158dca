package pki

import (
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"testing"

	"k8s.io/client-go/util/cert"
)

func TestCAAndCertificates(t *testing.T) {
	dir := t.TempDir()
	ca, err := LoadOrCreateCA(dir, "ca", "test-ca")
	if err != nil {
		t.Fatal(err)
	}
	again, err := LoadOrCreateCA(dir, "ca", "test-ca")
	if err != nil {
		t.Fatal(err)
	}
	if !ca.Cert.Equal(again.Cert) {
		t.Fatal("loading the CA again gave a different certificate")
	}

	spec := ServingSpec{CommonName: "kube-apiserver", DNSNames: []string{"localhost"}, IPs: []net.IP{net.ParseIP("127.0.0.1")}}
	kp, err := ca.EnsureServing(dir, "apiserver", spec)
	if err != nil {
		t.Fatal(err)
	}
	first, _ := os.ReadFile(kp.CertFile)
	if _, err := ca.EnsureServing(dir, "apiserver", spec); err != nil {
		t.Fatal(err)
	}
	if same, _ := os.ReadFile(kp.CertFile); string(same) != string(first) {
		t.Error("an unchanged serving certificate was reissued")
	}
	spec.IPs = append(spec.IPs, net.ParseIP("10.96.0.1"))
	if _, err := ca.EnsureServing(dir, "apiserver", spec); err != nil {
		t.Fatal(err)
	}
	if changed, _ := os.ReadFile(kp.CertFile); string(changed) == string(first) {
		t.Error("a serving certificate was not reissued for a new IP")
	}

	client, err := ca.EnsureClient(dir, "admin", ClientSpec{CommonName: "kubernetes-admin", Organizations: []string{"system:masters"}})
	if err != nil {
		t.Fatal(err)
	}
	certPEM, _, err := client.Load()
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca.CertPEM())
	cert := mustParse(t, certPEM)
	if _, err := cert.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("client certificate does not verify against the CA: %v", err)
	}
	if cert.Subject.CommonName != "kubernetes-admin" || cert.Subject.Organization[0] != "system:masters" {
		t.Errorf("client subject %v", cert.Subject)
	}
	if info, _ := os.Stat(client.KeyFile); info.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", info.Mode().Perm())
	}
}

func TestHalfPresentCAIsAnError(t *testing.T) {
	dir := t.TempDir()
	if _, err := LoadOrCreateCA(dir, "ca", "x"); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(dir, "ca.key"))
	if _, err := LoadOrCreateCA(dir, "ca", "x"); err == nil {
		t.Fatal("a CA certificate without its key was silently replaced")
	}
}

func mustParse(t *testing.T, pemBytes []byte) *x509.Certificate {
	t.Helper()
	certs, err := parseCerts(pemBytes)
	if err != nil || len(certs) == 0 {
		t.Fatalf("parsing certificate: %v", err)
	}
	return certs[0]
}

func parseCerts(pemBytes []byte) ([]*x509.Certificate, error) {
	return cert.ParseCertsPEM(pemBytes)
}
