package pki

import (
	"crypto/x509"
	"net"
	"testing"
)

func TestIssueServing(t *testing.T) {
	ca, err := LoadOrCreateCA(t.TempDir(), "ca", "test-ca")
	if err != nil {
		t.Fatal(err)
	}
	other, err := LoadOrCreateCA(t.TempDir(), "ca", "other-ca")
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.IssueServing(ServingSpec{CommonName: "node-1", DNSNames: []string{"node-1"}, IPs: []net.IP{net.ParseIP("127.0.1.9")}})
	if err != nil {
		t.Fatal(err)
	}
	leaf := cert.Leaf
	if leaf == nil || len(cert.Certificate) != 1 || cert.PrivateKey == nil {
		t.Fatalf("incomplete certificate %+v", cert)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	for _, name := range []string{"node-1", "127.0.1.9"} {
		if _, err := leaf.Verify(x509.VerifyOptions{DNSName: name, Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
			t.Errorf("verifying for %s: %v", name, err)
		}
	}
	if _, err := leaf.Verify(x509.VerifyOptions{DNSName: "127.0.1.10", Roots: pool}); err == nil {
		t.Error("the certificate verifies for an address it does not name")
	}
	otherPool := x509.NewCertPool()
	otherPool.AddCert(other.Cert)
	if _, err := leaf.Verify(x509.VerifyOptions{DNSName: "node-1", Roots: otherPool}); err == nil {
		t.Error("the certificate verifies against another CA")
	}
}
