package cluster

import (
	"bytes"
	"crypto/rand"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/k1s-dev/k1s/pki"
)

// nodeTokens are the kubelets' credentials: a bearer token per node for user
// system:node:<name> in group system:nodes, kept in the apiserver's
// --token-auth-file (pki/node-tokens.csv), which the apiserver follows as it
// changes.
//
// Tokens rather than client certificates because a kubelet's certificate is
// its TLS connection: 1,000 kubelets with certificates are 1,000 TLS and HTTP/2
// connections, each with buffers, header tables and three goroutines on the two
// ends, which was a third of the memory of a 1,000-node cluster. Kubelets with
// tokens share one transport and a handful of HTTP/2 connections, and each
// request still carries its own node's identity, which the Node authorizer and
// NodeRestriction check. A kubelet with a token is a configuration upstream
// supports; DESIGN.md's identities are "client certificate or token".
//
// Tokens survive restarts with the data dir, as certificates do; a removed
// node's token is taken out of the file, so it stops working.
type nodeTokens struct {
	path string

	mu     sync.Mutex
	byNode map[string]string
}

// nodeUserPrefix is the Node authorizer's user name prefix.
const nodeUserPrefix = "system:node:"

// loadNodeTokens reads the token file at path, creating it empty if missing.
func loadNodeTokens(path string) (*nodeTokens, error) {
	t := &nodeTokens{path: path, byNode: map[string]string{}}
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return t, t.writeLocked()
	case err != nil:
		return nil, fmt.Errorf("reading the node tokens: %w", err)
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	records, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("reading the node tokens %s: %w", path, err)
	}
	for _, rec := range records {
		if len(rec) >= 2 && rec[0] != "" && strings.HasPrefix(rec[1], nodeUserPrefix) {
			t.byNode[strings.TrimPrefix(rec[1], nodeUserPrefix)] = rec[0]
		}
	}
	return t, nil
}

// ensure gives every named node a token, writing the file once for all those
// that had none, and returns the tokens of names.
func (t *nodeTokens) ensure(names ...string) (map[string]string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[string]string, len(names))
	added := false
	for _, name := range names {
		tok, ok := t.byNode[name]
		if !ok {
			b := make([]byte, 32)
			if _, err := rand.Read(b); err != nil {
				return nil, fmt.Errorf("generating the token of node %s: %w", name, err)
			}
			tok = hex.EncodeToString(b)
			t.byNode[name] = tok
			added = true
		}
		out[name] = tok
	}
	if added {
		if err := t.writeLocked(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// revoke takes the node's token out of the file.
func (t *nodeTokens) revoke(name string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.byNode[name]; !ok {
		return nil
	}
	delete(t.byNode, name)
	return t.writeLocked()
}

// writeLocked writes the file whole (kube-apiserver's static token format:
// token,user,uid,"groups"), replacing it atomically so the apiserver never reads
// half of it.
func (t *nodeTokens) writeLocked() error {
	names := make([]string, 0, len(t.byNode))
	for name := range t.byNode {
		names = append(names, name)
	}
	slices.Sort(names)
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	for _, name := range names {
		// No uid, as a certificate's identity has none.
		if err := w.Write([]string{t.byNode[name], nodeUserPrefix + name, "", "system:nodes"}); err != nil {
			return err
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	if err := pki.WriteFileAtomic(t.path, buf.Bytes(), 0o600); err != nil {
		return fmt.Errorf("writing the node tokens: %w", err)
	}
	return nil
}
