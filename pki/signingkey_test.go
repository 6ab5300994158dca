package pki

import (
	"crypto"
	"os"
	"path/filepath"
	"testing"

	"k8s.io/client-go/util/keyutil"
)

func TestEnsureSigningKey(t *testing.T) {
	dir := t.TempDir()
	keyFile, pubFile := filepath.Join(dir, "sa.key"), filepath.Join(dir, "sa.pub")
	if err := EnsureSigningKey(keyFile, pubFile); err != nil {
		t.Fatal(err)
	}
	first, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if info, _ := os.Stat(keyFile); info.Mode().Perm() != 0o600 {
		t.Errorf("key mode %v, want 0600", info.Mode().Perm())
	}
	os.Remove(pubFile)
	if err := EnsureSigningKey(keyFile, pubFile); err != nil {
		t.Fatal(err)
	}
	second, _ := os.ReadFile(keyFile)
	if string(first) != string(second) {
		t.Error("an existing key was replaced")
	}
	key, err := keyutil.PrivateKeyFromFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	pubs, err := keyutil.PublicKeysFromFile(pubFile)
	if err != nil || len(pubs) != 1 {
		t.Fatalf("public keys %v %v", pubs, err)
	}
	if !pubs[0].(interface{ Equal(crypto.PublicKey) bool }).Equal(key.(crypto.Signer).Public()) {
		t.Error("sa.pub does not hold sa.key's public key")
	}
}
