package pki

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"fmt"

	"k8s.io/client-go/util/keyutil"
)

// EnsureSigningKey makes keyFile hold a private key, creating an ECDSA P-256 key when
// there is none, and pubFile its public key, as kubeadm's sa.key and sa.pub (the
// service account token signing key). An existing key is kept: replacing it would
// invalidate every issued token.
func EnsureSigningKey(keyFile, pubFile string) error {
	var key crypto.Signer
	if fileExists(keyFile) {
		loaded, err := keyutil.PrivateKeyFromFile(keyFile)
		if err != nil {
			return fmt.Errorf("loading signing key: %w", err)
		}
		signer, ok := loaded.(crypto.Signer)
		if !ok {
			return fmt.Errorf("signing key %s is not a private key", keyFile)
		}
		key = signer
	} else {
		generated, err := newKey()
		if err != nil {
			return err
		}
		keyPEM, err := keyutil.MarshalPrivateKeyToPEM(generated)
		if err != nil {
			return fmt.Errorf("encoding signing key: %w", err)
		}
		if err := writeFileAtomic(keyFile, keyPEM, 0o600); err != nil {
			return err
		}
		key = generated
	}
	der, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return fmt.Errorf("encoding public key: %w", err)
	}
	// Rewritten from the key each time (a no-op when unchanged), so it can never disagree.
	return writeFileAtomic(pubFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o644)
}
