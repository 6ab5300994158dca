package x509cache

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"net/http"
	"slices"
	"time"

	"k8s.io/apiserver/pkg/authentication/authenticator"
	x509request "k8s.io/apiserver/pkg/authentication/request/x509"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/utils/clock"
	"k8s.io/utils/lru"
)

const (
	// TTL is the longest a success is cached. The verification result itself cannot go
	// stale within the certificates' validity (they are keyed, the roots are keyed, and
	// entries end at the earliest NotAfter of the verified chains); Kubernetes has no
	// revocation of client certificates to wait for. So the TTL only bounds what the
	// cache cannot see (such as a changed user conversion) and how long a gone client's
	// entry is kept alive. Five minutes keeps the misses of a kubelet (which makes a
	// request every few seconds) well below one in a hundred; upstream's 10 s token cache
	// TTL is for tokens whose backing objects can be deleted at any time, which
	// certificates have no equivalent of.
	TTL = 5 * time.Minute
	// Size bounds the number of cached chains: a thousand kubelets plus the control
	// plane's and the users' certificates, with room for rotation.
	Size = 4096
)

// Authenticator wraps the x509 request authenticator and caches its successes.
type Authenticator struct {
	delegate      authenticator.Request
	verifyOptions x509request.VerifyOptionFunc
	clock         clock.PassiveClock
	cache         *lru.Cache
}

var _ authenticator.Request = &Authenticator{}

// New wraps delegate, which must be an x509 authenticator built on verifyOptions (as
// x509.NewDynamic(verifyOptions, conversion) is). verifyOptions' Roots (and Intermediates,
// when set) pools are part of the cache key, so a reload of the CA, which returns new
// pools, misses the cache; the other options (key usages, DNS name) must not change.
// clock decides expiry; nil means the real clock.
func New(delegate authenticator.Request, verifyOptions x509request.VerifyOptionFunc, clk clock.PassiveClock) *Authenticator {
	if clk == nil {
		clk = clock.RealClock{}
	}
	return &Authenticator{delegate: delegate, verifyOptions: verifyOptions, clock: clk, cache: lru.New(Size)}
}

// cacheKey identifies a presented chain under a set of verify options. The pools are
// held by pointer: the key keeps them alive while the entry exists, so their addresses
// cannot be reused by a later CA reload.
type cacheKey struct {
	digest        [sha256.Size]byte
	roots         *x509.CertPool
	intermediates *x509.CertPool
}

// cacheEntry is a success, valid from notBefore (included) until notAfter (excluded).
type cacheEntry struct {
	resp      *authenticator.Response
	notBefore time.Time
	notAfter  time.Time
}

// AuthenticateRequest returns the cached result for the request's client certificates if
// there is a current one, and otherwise asks the delegate, caching its success.
func (a *Authenticator) AuthenticateRequest(req *http.Request) (*authenticator.Response, bool, error) {
	if req.TLS == nil || len(req.TLS.PeerCertificates) == 0 {
		return a.delegate.AuthenticateRequest(req)
	}
	// The options are read once, before the delegate reads them: the entry is keyed by the
	// pools it is verified against below, so a CA reload in between at worst stores an
	// entry no later request finds.
	opts, ok := a.verifyOptions()
	if !ok || !opts.CurrentTime.IsZero() {
		// No CA (the delegate has no opinion), or verification at a fixed time, which
		// the clock cannot bound.
		return a.delegate.AuthenticateRequest(req)
	}
	certs := req.TLS.PeerCertificates
	key := cacheKey{digest: chainDigest(certs), roots: opts.Roots, intermediates: opts.Intermediates}

	now := a.clock.Now()
	if v, found := a.cache.Get(key); found {
		e := v.(*cacheEntry)
		if !now.Before(e.notBefore) && now.Before(e.notAfter) {
			return copyResponse(e.resp), true, nil
		}
		a.cache.Remove(key)
	}

	resp, ok, err := a.delegate.AuthenticateRequest(req)
	if err != nil || !ok || resp == nil {
		return resp, ok, err
	}
	// The delegate does not say which chains it verified, nor until when they are valid
	// (the root is not among the peer certificates): verify again, once per miss, with
	// the very options of the key.
	notBefore, notAfter, valid := validity(certs, opts, now)
	if valid {
		if limit := now.Add(TTL); limit.Before(notAfter) {
			notAfter = limit
		}
		a.cache.Add(key, &cacheEntry{resp: copyResponse(resp), notBefore: notBefore, notAfter: notAfter})
	}
	return resp, ok, err
}

// chainDigest is the sha256 of the raw certificates, each prefixed by its length.
func chainDigest(certs []*x509.Certificate) [sha256.Size]byte {
	if len(certs) == 1 {
		return sha256.Sum256(certs[0].Raw)
	}
	h := sha256.New()
	var n [4]byte
	for _, c := range certs {
		binary.BigEndian.PutUint32(n[:], uint32(len(c.Raw)))
		h.Write(n[:])
		h.Write(c.Raw)
	}
	var d [sha256.Size]byte
	h.Sum(d[:0])
	return d
}

// validity verifies certs (leaf first, then the intermediates the client sent) as the
// upstream authenticator does, at now, and returns the window in which every certificate
// of every verified chain is valid: from the latest NotBefore (included) until the
// earliest NotAfter, which crypto/x509 still accepts, so notAfter is returned one
// nanosecond later, as an exclusive bound.
func validity(certs []*x509.Certificate, opts x509.VerifyOptions, now time.Time) (notBefore, notAfter time.Time, ok bool) {
	if opts.Intermediates == nil && len(certs) > 1 {
		opts.Intermediates = x509.NewCertPool()
		for _, c := range certs[1:] {
			opts.Intermediates.AddCert(c)
		}
	}
	opts.CurrentTime = now
	chains, err := certs[0].Verify(opts)
	if err != nil || len(chains) == 0 {
		return time.Time{}, time.Time{}, false
	}
	first := true
	for _, chain := range chains {
		for _, c := range chain {
			if first || c.NotBefore.After(notBefore) {
				notBefore = c.NotBefore
			}
			if first || c.NotAfter.Before(notAfter) {
				notAfter = c.NotAfter
			}
			first = false
		}
	}
	return notBefore, notAfter.Add(time.Nanosecond), true
}

// copyResponse is a deep copy of r, so that no caller can change a cached entry: the
// authenticated group adder copies the groups but shares the extra map.
func copyResponse(r *authenticator.Response) *authenticator.Response {
	out := &authenticator.Response{Audiences: slices.Clone(r.Audiences)}
	if r.User != nil {
		var extra map[string][]string
		if e := r.User.GetExtra(); e != nil {
			extra = make(map[string][]string, len(e))
			for k, v := range e {
				extra[k] = slices.Clone(v)
			}
		}
		out.User = &user.DefaultInfo{
			Name:   r.User.GetName(),
			UID:    r.User.GetUID(),
			Groups: slices.Clone(r.User.GetGroups()),
			Extra:  extra,
		}
	}
	return out
}
