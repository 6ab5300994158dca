// Package pki creates and loads the certificates of a k1s cluster: the cluster CA, serving
// certificates and client certificates, kept as PEM files in the cluster's data dir so a
// restarted cluster keeps its identity and existing kubeconfigs keep working.
//
// Keys are ECDSA P-256: generating one costs microseconds, where RSA-2048 costs tens of
// milliseconds per key and would be most of k1s's start-up budget.
//
// This package is a leaf: it must not import anything else of k1s.
package pki

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"time"

	"k8s.io/client-go/util/cert"
	"k8s.io/client-go/util/keyutil"
)

const (
	// caValidity is how long a generated CA is valid; upstream kubeadm uses ten years.
	caValidity = 10 * 365 * 24 * time.Hour
	// leafValidity is how long generated leaf certificates are valid; kubeadm uses one year.
	leafValidity = 365 * 24 * time.Hour
	// renewBefore makes a leaf certificate be reissued when it expires sooner than this.
	renewBefore = 30 * 24 * time.Hour
)

// CA is a certificate authority that signs the cluster's certificates.
type CA struct {
	Cert *x509.Certificate
	Key  crypto.Signer
	// CertFile is the PEM file of Cert, used as the client CA and in kubeconfigs.
	CertFile string
}

// CertPEM returns the CA certificate PEM-encoded.
func (ca *CA) CertPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: cert.CertificateBlockType, Bytes: ca.Cert.Raw})
}

// KeyPair names the files of an issued certificate and its key.
type KeyPair struct {
	CertFile string
	KeyFile  string
}

// Load reads the pair's PEM contents.
func (kp KeyPair) Load() (certPEM, keyPEM []byte, err error) {
	certPEM, err = os.ReadFile(kp.CertFile)
	if err != nil {
		return nil, nil, err
	}
	keyPEM, err = os.ReadFile(kp.KeyFile)
	if err != nil {
		return nil, nil, err
	}
	return certPEM, keyPEM, nil
}

// LoadOrCreateCA loads dir/name.crt and dir/name.key, creating a new self-signed CA with the
// given common name when neither exists. Having only one of the two files is an error: a
// half-present CA must not be silently replaced, or every issued credential would break.
func LoadOrCreateCA(dir, name, commonName string) (*CA, error) {
	certFile, keyFile := filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	certExists, keyExists := fileExists(certFile), fileExists(keyFile)
	switch {
	case certExists && keyExists:
		certs, err := cert.CertsFromFile(certFile)
		if err != nil {
			return nil, fmt.Errorf("loading CA certificate: %w", err)
		}
		key, err := keyutil.PrivateKeyFromFile(keyFile)
		if err != nil {
			return nil, fmt.Errorf("loading CA key: %w", err)
		}
		signer, ok := key.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("CA key %s is not a signing key", keyFile)
		}
		return &CA{Cert: certs[0], Key: signer, CertFile: certFile}, nil
	case certExists || keyExists:
		return nil, fmt.Errorf("CA %s: only one of %s and %s exists; remove it or restore the other", name, certFile, keyFile)
	}

	key, err := newKey()
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          newSerial(),
		Subject:               pkix.Name{CommonName: commonName},
		NotBefore:             now.Add(-time.Minute),
		NotAfter:              now.Add(caValidity),
		KeyUsage:              x509.KeyUsageKeyEncipherment | x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("creating CA certificate: %w", err)
	}
	caCert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	if err := writePair(certFile, keyFile, caCert, key); err != nil {
		return nil, err
	}
	return &CA{Cert: caCert, Key: key, CertFile: certFile}, nil
}

// ServingSpec describes a serving certificate.
type ServingSpec struct {
	CommonName string
	DNSNames   []string
	IPs        []net.IP
}

// ClientSpec describes a client certificate: the apiserver maps CommonName to the user name
// and Organizations to groups.
type ClientSpec struct {
	CommonName    string
	Organizations []string
}

// EnsureServing returns dir/name.{crt,key}, issuing a new certificate when there is none,
// when it expires soon, or when it does not cover exactly the requested names.
func (ca *CA) EnsureServing(dir, name string, spec ServingSpec) (KeyPair, error) {
	kp := KeyPair{CertFile: filepath.Join(dir, name+".crt"), KeyFile: filepath.Join(dir, name+".key")}
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: spec.CommonName},
		DNSNames:    spec.DNSNames,
		IPAddresses: spec.IPs,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	return kp, ca.ensure(kp, tmpl, func(existing *x509.Certificate) bool {
		return slices.Equal(existing.DNSNames, spec.DNSNames) && slices.EqualFunc(existing.IPAddresses, spec.IPs, net.IP.Equal)
	})
}

// EnsureClient returns dir/name.{crt,key}, issuing a new client certificate when there is
// none, when it expires soon, or when its subject differs from spec.
func (ca *CA) EnsureClient(dir, name string, spec ClientSpec) (KeyPair, error) {
	kp := KeyPair{CertFile: filepath.Join(dir, name+".crt"), KeyFile: filepath.Join(dir, name+".key")}
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: spec.CommonName, Organization: spec.Organizations},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	return kp, ca.ensure(kp, tmpl, func(existing *x509.Certificate) bool {
		return existing.Subject.CommonName == spec.CommonName && slices.Equal(existing.Subject.Organization, spec.Organizations)
	})
}

func (ca *CA) ensure(kp KeyPair, tmpl *x509.Certificate, matches func(*x509.Certificate) bool) error {
	if certs, err := cert.CertsFromFile(kp.CertFile); err == nil && fileExists(kp.KeyFile) {
		existing := certs[0]
		if matches(existing) && time.Until(existing.NotAfter) > renewBefore && existing.CheckSignatureFrom(ca.Cert) == nil {
			return nil
		}
	}
	key, err := newKey()
	if err != nil {
		return err
	}
	now := time.Now()
	tmpl.SerialNumber = newSerial()
	tmpl.NotBefore = now.Add(-time.Minute)
	tmpl.NotAfter = now.Add(leafValidity)
	tmpl.KeyUsage = x509.KeyUsageKeyEncipherment | x509.KeyUsageDigitalSignature
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		return fmt.Errorf("issuing certificate %s: %w", kp.CertFile, err)
	}
	issued, err := x509.ParseCertificate(der)
	if err != nil {
		return err
	}
	return writePair(kp.CertFile, kp.KeyFile, issued, key)
}

func newKey() (*ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generating key: %w", err)
	}
	return key, nil
}

func newSerial() *big.Int {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		// crypto/rand never fails on supported platforms (Go 1.24+ crashes the program instead).
		panic(err)
	}
	return serial
}

func writePair(certFile, keyFile string, c *x509.Certificate, key crypto.Signer) error {
	keyPEM, err := keyutil.MarshalPrivateKeyToPEM(key)
	if err != nil {
		return fmt.Errorf("encoding key: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(certFile), 0o700); err != nil {
		return err
	}
	// The key goes first so that a crash in between never leaves a certificate whose key
	// is missing.
	if err := writeFileAtomic(keyFile, keyPEM, 0o600); err != nil {
		return err
	}
	return writeFileAtomic(certFile, pem.EncodeToMemory(&pem.Block{Type: cert.CertificateBlockType, Bytes: c.Raw}), 0o644)
}

// writeFileAtomic writes through a temp file and a rename, so readers never see a partial file.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	if existing, err := os.ReadFile(path); err == nil && bytes.Equal(existing, data) {
		return nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// WriteFileAtomic is writeFileAtomic for other packages writing credentials (kubeconfigs).
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	return writeFileAtomic(path, data, perm)
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return !errors.Is(err, os.ErrNotExist)
}
