package x509cache

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authentication/group"
	x509request "k8s.io/apiserver/pkg/authentication/request/x509"
	"k8s.io/apiserver/pkg/authentication/user"
	clocktesting "k8s.io/utils/clock/testing"
)

// now is a whole second, as certificate validity is, and real time: the upstream
// authenticator verifies at time.Now().
var now = time.Now().Truncate(time.Second)

var serial atomic.Int64

type certKey struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

// newCert creates a certificate for cn valid in [notBefore, notAfter], signed by parent
// (self-signed if nil); isCA makes it a CA.
func newCert(t testing.TB, parent *certKey, cn string, orgs []string, notBefore, notAfter time.Time, isCA bool) *certKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial.Add(1)),
		Subject:      pkix.Name{CommonName: cn, Organization: orgs},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if isCA {
		tmpl.IsCA = true
		tmpl.BasicConstraintsValid = true
		tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature
		tmpl.ExtKeyUsage = nil
	}
	signer, signerKey := tmpl, key
	if parent != nil {
		signer, signerKey = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, &key.PublicKey, signerKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &certKey{cert: cert, key: key}
}

func newCA(t testing.TB, notAfter time.Time) *certKey {
	return newCert(t, nil, "ca", nil, now.Add(-time.Hour), notAfter, true)
}

func newLeaf(t testing.TB, parent *certKey, cn string, notBefore, notAfter time.Time) *certKey {
	return newCert(t, parent, cn, []string{"system:nodes"}, notBefore, notAfter, false)
}

func pool(cas ...*certKey) *x509.CertPool {
	p := x509.NewCertPool()
	for _, ca := range cas {
		p.AddCert(ca.cert)
	}
	return p
}

// options is a VerifyOptionFunc whose roots the test can swap, as a CA reload does.
type options struct {
	mu    sync.Mutex
	roots *x509.CertPool
	ok    bool
}

func newOptions(roots *x509.CertPool) *options { return &options{roots: roots, ok: true} }

func (o *options) set(roots *x509.CertPool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.roots = roots
}

func (o *options) verifyOptions() (x509.VerifyOptions, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.ok {
		return x509.VerifyOptions{}, false
	}
	return x509.VerifyOptions{Roots: o.roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}, true
}

// counting counts the calls to an authenticator.
type counting struct {
	calls    atomic.Int64
	delegate authenticator.Request
}

func (c *counting) AuthenticateRequest(req *http.Request) (*authenticator.Response, bool, error) {
	c.calls.Add(1)
	return c.delegate.AuthenticateRequest(req)
}

// fixed is a delegate with a fixed answer.
type fixed struct {
	resp *authenticator.Response
	ok   bool
	err  error
}

func (f fixed) AuthenticateRequest(*http.Request) (*authenticator.Response, bool, error) {
	return f.resp, f.ok, f.err
}

var fixedUser = &authenticator.Response{User: &user.DefaultInfo{Name: "fixed", Groups: []string{"g"}, Extra: map[string][]string{"k": {"v"}}}}

func request(certs ...*certKey) *http.Request {
	req := httptest.NewRequest(http.MethodGet, "/api", nil)
	req.TLS = &tls.ConnectionState{}
	for _, c := range certs {
		req.TLS.PeerCertificates = append(req.TLS.PeerCertificates, c.cert)
	}
	return req
}

// setup returns the cache over the upstream authenticator (through a call counter) with
// roots opts and a fake clock at now.
func setup(opts *options) (*Authenticator, *counting, *clocktesting.FakePassiveClock) {
	delegate := &counting{delegate: x509request.NewDynamic(opts.verifyOptions, x509request.CommonNameUserConversion)}
	clk := clocktesting.NewFakePassiveClock(now)
	return New(delegate, opts.verifyOptions, clk), delegate, clk
}

// setupFixed is setup with a delegate that always succeeds, so that expiry is decided by
// the cache alone (the upstream authenticator verifies at the real time).
func setupFixed(opts *options) (*Authenticator, *counting, *clocktesting.FakePassiveClock) {
	delegate := &counting{delegate: fixed{resp: fixedUser, ok: true}}
	clk := clocktesting.NewFakePassiveClock(now)
	return New(delegate, opts.verifyOptions, clk), delegate, clk
}

// expect authenticates req and checks the outcome and the delegate's call count.
func expect(t *testing.T, a authenticator.Request, req *http.Request, delegate *counting, wantName string, wantCalls int64) *authenticator.Response {
	t.Helper()
	resp, ok, err := a.AuthenticateRequest(req)
	if wantName == "" {
		if ok || resp != nil {
			t.Errorf("authenticated as %v, want not", resp)
		}
	} else {
		if err != nil || !ok || resp.User.GetName() != wantName {
			t.Errorf("got (%v, %v, %v), want user %q", resp, ok, err, wantName)
		}
	}
	if got := delegate.calls.Load(); got != wantCalls {
		t.Errorf("delegate called %d times, want %d", got, wantCalls)
	}
	return resp
}

func TestHitDoesNotCallDelegate(t *testing.T) {
	ca := newCA(t, now.Add(24*time.Hour))
	leaf := newLeaf(t, ca, "system:node:a", now.Add(-time.Hour), now.Add(time.Hour))
	a, delegate, _ := setup(newOptions(pool(ca)))

	first := expect(t, a, request(leaf), delegate, "system:node:a", 1)
	for range 3 {
		resp := expect(t, a, request(leaf), delegate, "system:node:a", 1)
		if resp == first {
			t.Fatal("hit returned the response of the miss")
		}
		want := first.User.(*user.DefaultInfo)
		got := resp.User.(*user.DefaultInfo)
		if got.Name != want.Name || fmt.Sprint(got.Groups) != fmt.Sprint(want.Groups) || fmt.Sprint(got.Extra) != fmt.Sprint(want.Extra) {
			t.Errorf("hit returned %+v, miss %+v", got, want)
		}
	}
}

func TestResponsesAreCopies(t *testing.T) {
	ca := newCA(t, now.Add(24*time.Hour))
	leaf := newLeaf(t, ca, "system:node:a", now.Add(-time.Hour), now.Add(time.Hour))
	opts := newOptions(pool(ca))
	a, delegate, _ := setup(opts)
	// As the server has it: the group adder shares the extra map of what it wraps.
	authn := group.NewAuthenticatedGroupAdder(a)

	for i := range 3 {
		resp, ok, err := authn.AuthenticateRequest(request(leaf))
		if err != nil || !ok {
			t.Fatalf("got (%v, %v, %v)", resp, ok, err)
		}
		info := resp.User.(*user.DefaultInfo)
		if want := "[system:nodes system:authenticated]"; fmt.Sprint(info.Groups) != want {
			t.Errorf("request %d: groups %v, want %s", i, info.Groups, want)
		}
		if len(info.Extra) != 1 || len(info.Extra[user.CredentialIDKey]) != 1 {
			t.Errorf("request %d: extra %v", i, info.Extra)
		}
		info.Extra["mutated"] = []string{"x"}
		info.Extra[user.CredentialIDKey][0] = "mutated"
		info.Groups[0] = "mutated"
		resp.Audiences = append(resp.Audiences, "mutated")
	}
	if got := delegate.calls.Load(); got != 1 {
		t.Errorf("delegate called %d times, want 1", got)
	}
}

func TestDifferentCertsMiss(t *testing.T) {
	ca := newCA(t, now.Add(24*time.Hour))
	a1 := newLeaf(t, ca, "system:node:a", now.Add(-time.Hour), now.Add(time.Hour))
	a2 := newLeaf(t, ca, "system:node:a", now.Add(-time.Hour), now.Add(time.Hour)) // same name, other cert
	b := newLeaf(t, ca, "system:node:b", now.Add(-time.Hour), now.Add(time.Hour))
	a, delegate, _ := setup(newOptions(pool(ca)))

	expect(t, a, request(a1), delegate, "system:node:a", 1)
	expect(t, a, request(a2), delegate, "system:node:a", 2)
	expect(t, a, request(b), delegate, "system:node:b", 3)
	expect(t, a, request(a1), delegate, "system:node:a", 3)
	expect(t, a, request(a2), delegate, "system:node:a", 3)
	expect(t, a, request(b), delegate, "system:node:b", 3)
}

func TestIntermediates(t *testing.T) {
	root := newCA(t, now.Add(24*time.Hour))
	inter := newCert(t, root, "intermediate", nil, now.Add(-time.Hour), now.Add(24*time.Hour), true)
	otherInter := newCert(t, root, "intermediate", nil, now.Add(-time.Hour), now.Add(24*time.Hour), true)
	leaf := newLeaf(t, inter, "system:node:a", now.Add(-time.Hour), now.Add(time.Hour))
	a, delegate, _ := setup(newOptions(pool(root)))

	expect(t, a, request(leaf, inter), delegate, "system:node:a", 1)
	expect(t, a, request(leaf, inter), delegate, "system:node:a", 1)
	// The same leaf with other intermediates is another key; without its issuer, it fails.
	expect(t, a, request(leaf, inter, otherInter), delegate, "system:node:a", 2)
	expect(t, a, request(leaf, inter, otherInter), delegate, "system:node:a", 2)
	expect(t, a, request(leaf), delegate, "", 3)
	expect(t, a, request(leaf), delegate, "", 4)
}

func TestRootsChangeMisses(t *testing.T) {
	ca := newCA(t, now.Add(24*time.Hour))
	otherCA := newCA(t, now.Add(24*time.Hour))
	leaf := newLeaf(t, ca, "system:node:a", now.Add(-time.Hour), now.Add(time.Hour))
	opts := newOptions(pool(ca))
	a, delegate, _ := setup(opts)

	expect(t, a, request(leaf), delegate, "system:node:a", 1)
	expect(t, a, request(leaf), delegate, "system:node:a", 1)
	// A reload with the same content is a new pool: one miss, then hits.
	opts.set(pool(ca, otherCA))
	expect(t, a, request(leaf), delegate, "system:node:a", 2)
	expect(t, a, request(leaf), delegate, "system:node:a", 2)
	// Rotated to a CA that did not sign the leaf: refused, every time.
	opts.set(pool(otherCA))
	for i := range int64(2) {
		if resp, ok, err := a.AuthenticateRequest(request(leaf)); err == nil || ok || resp != nil {
			t.Errorf("got (%v, %v, %v), want an error", resp, ok, err)
		}
		if got := delegate.calls.Load(); got != 3+i {
			t.Errorf("delegate called %d times, want %d", got, 3+i)
		}
	}
}

func TestExpiresAtTTL(t *testing.T) {
	ca := newCA(t, now.Add(24*time.Hour))
	leaf := newLeaf(t, ca, "system:node:a", now.Add(-time.Hour), now.Add(time.Hour))
	a, delegate, clk := setupFixed(newOptions(pool(ca)))

	expect(t, a, request(leaf), delegate, "fixed", 1)
	clk.SetTime(now.Add(TTL - time.Nanosecond))
	expect(t, a, request(leaf), delegate, "fixed", 1)
	clk.SetTime(now.Add(TTL))
	expect(t, a, request(leaf), delegate, "fixed", 2)
	// Cached anew, for another TTL.
	clk.SetTime(now.Add(2*TTL - time.Nanosecond))
	expect(t, a, request(leaf), delegate, "fixed", 2)
	clk.SetTime(now.Add(2 * TTL))
	expect(t, a, request(leaf), delegate, "fixed", 3)
}

func TestExpiresAtNotAfter(t *testing.T) {
	tests := []struct {
		name      string
		caExpiry  time.Time
		leafStart time.Time
		leafEnd   time.Time
		end       time.Time // the last instant of validity
	}{
		{name: "leaf", caExpiry: now.Add(24 * time.Hour), leafStart: now.Add(-time.Hour), leafEnd: now.Add(2 * time.Minute), end: now.Add(2 * time.Minute)},
		{name: "root", caExpiry: now.Add(3 * time.Minute), leafStart: now.Add(-time.Hour), leafEnd: now.Add(time.Hour), end: now.Add(3 * time.Minute)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ca := newCA(t, tt.caExpiry)
			leaf := newLeaf(t, ca, "system:node:a", tt.leafStart, tt.leafEnd)
			a, delegate, clk := setupFixed(newOptions(pool(ca)))

			expect(t, a, request(leaf), delegate, "fixed", 1)
			clk.SetTime(tt.end) // crypto/x509 still accepts NotAfter itself
			expect(t, a, request(leaf), delegate, "fixed", 1)
			clk.SetTime(tt.end.Add(time.Nanosecond))
			expect(t, a, request(leaf), delegate, "fixed", 2)
			// Expired: whatever the delegate says is not cached.
			expect(t, a, request(leaf), delegate, "fixed", 3)
		})
	}
}

func TestNotBefore(t *testing.T) {
	ca := newCA(t, now.Add(24*time.Hour))
	leaf := newLeaf(t, ca, "system:node:a", now.Add(-time.Minute), now.Add(time.Hour))
	a, delegate, clk := setupFixed(newOptions(pool(ca)))

	// Not yet valid: not cached.
	clk.SetTime(now.Add(-2 * time.Minute))
	expect(t, a, request(leaf), delegate, "fixed", 1)
	expect(t, a, request(leaf), delegate, "fixed", 2)
	clk.SetTime(now)
	expect(t, a, request(leaf), delegate, "fixed", 3)
	expect(t, a, request(leaf), delegate, "fixed", 3)
	// The clock stepping back before NotBefore misses.
	clk.SetTime(now.Add(-time.Minute - time.Nanosecond))
	expect(t, a, request(leaf), delegate, "fixed", 4)
}

func TestFailuresNotCached(t *testing.T) {
	ca := newCA(t, now.Add(24*time.Hour))
	leaf := newLeaf(t, ca, "system:node:a", now.Add(-time.Hour), now.Add(time.Hour))
	opts := newOptions(pool(ca))
	tests := []struct {
		name     string
		delegate fixed
	}{
		{name: "error", delegate: fixed{err: errors.New("refused")}},
		{name: "no opinion", delegate: fixed{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			delegate := &counting{delegate: tt.delegate}
			a := New(delegate, opts.verifyOptions, clocktesting.NewFakePassiveClock(now))
			for i := range int64(3) {
				resp, ok, err := a.AuthenticateRequest(request(leaf))
				if ok || resp != nil || !errors.Is(err, tt.delegate.err) {
					t.Errorf("got (%v, %v, %v), want (nil, false, %v)", resp, ok, err, tt.delegate.err)
				}
				if got := delegate.calls.Load(); got != i+1 {
					t.Errorf("delegate called %d times, want %d", got, i+1)
				}
			}
		})
	}

	t.Run("untrusted", func(t *testing.T) {
		untrusted := newLeaf(t, newCA(t, now.Add(24*time.Hour)), "system:node:a", now.Add(-time.Hour), now.Add(time.Hour))
		a, delegate, _ := setup(opts)
		expect(t, a, request(untrusted), delegate, "", 1)
		expect(t, a, request(untrusted), delegate, "", 2)
	})
}

func TestPassThrough(t *testing.T) {
	ca := newCA(t, now.Add(24*time.Hour))
	leaf := newLeaf(t, ca, "system:node:a", now.Add(-time.Hour), now.Add(time.Hour))

	t.Run("no TLS", func(t *testing.T) {
		a, delegate, _ := setupFixed(newOptions(pool(ca)))
		req := request()
		req.TLS = nil
		expect(t, a, req, delegate, "fixed", 1)
		expect(t, a, req, delegate, "fixed", 2)
	})
	t.Run("no peer certificates", func(t *testing.T) {
		a, delegate, _ := setupFixed(newOptions(pool(ca)))
		expect(t, a, request(), delegate, "fixed", 1)
		expect(t, a, request(), delegate, "fixed", 2)
	})
	t.Run("upstream, no peer certificates", func(t *testing.T) {
		a, delegate, _ := setup(newOptions(pool(ca)))
		expect(t, a, request(), delegate, "", 1)
		expect(t, a, request(), delegate, "", 2)
	})
	t.Run("no verify options", func(t *testing.T) {
		opts := newOptions(pool(ca))
		opts.ok = false
		a, delegate, _ := setup(opts)
		expect(t, a, request(leaf), delegate, "", 1)
		expect(t, a, request(leaf), delegate, "", 2)
	})
}

func TestBounded(t *testing.T) {
	ca := newCA(t, now.Add(24*time.Hour))
	a, delegate, _ := setupFixed(newOptions(pool(ca)))
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	var first *certKey
	for i := range Size + 1 {
		// One key for all, so that only signing costs.
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial.Add(1)),
			Subject:      pkix.Name{CommonName: fmt.Sprintf("system:node:%d", i)},
			NotBefore:    now.Add(-time.Hour),
			NotAfter:     now.Add(time.Hour),
			ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
		if err != nil {
			t.Fatal(err)
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		ck := &certKey{cert: cert}
		if first == nil {
			first = ck
		}
		if _, ok, err := a.AuthenticateRequest(request(ck)); !ok || err != nil {
			t.Fatalf("certificate %d: got (%v, %v)", i, ok, err)
		}
	}
	if got := a.cache.Len(); got != Size {
		t.Errorf("cache holds %d entries, want %d", got, Size)
	}
	// The least recently used was evicted.
	expect(t, a, request(first), delegate, "fixed", Size+2)
}

func TestConcurrent(t *testing.T) {
	ca := newCA(t, now.Add(24*time.Hour))
	var leaves []*certKey
	for i := range 4 {
		leaves = append(leaves, newLeaf(t, ca, fmt.Sprintf("system:node:%d", i), now.Add(-time.Hour), now.Add(time.Hour)))
	}
	opts := newOptions(pool(ca))
	a, _, _ := setup(opts)
	authn := group.NewAuthenticatedGroupAdder(a)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				if g == 0 && i%50 == 0 {
					opts.set(pool(ca))
				}
				leaf := leaves[(g+i)%len(leaves)]
				resp, ok, err := authn.AuthenticateRequest(request(leaf))
				if err != nil || !ok || resp.User.GetName() != leaf.cert.Subject.CommonName {
					t.Errorf("got (%v, %v, %v), want %s", resp, ok, err, leaf.cert.Subject.CommonName)
					return
				}
				resp.User.GetExtra()["mutated"] = nil
			}
		})
	}
	wg.Wait()
}

// BenchmarkX509Authenticate compares the upstream authenticator with the cached one for
// the same request (a kubelet's leaf certificate signed by the cluster CA).
func BenchmarkX509Authenticate(b *testing.B) {
	ca := newCA(b, now.Add(24*time.Hour))
	leaf := newLeaf(b, ca, "system:node:a", now.Add(-time.Hour), now.Add(time.Hour))
	opts := newOptions(pool(ca))
	upstream := x509request.NewDynamic(opts.verifyOptions, x509request.CommonNameUserConversion)
	req := request(leaf)
	run := func(b *testing.B, a authenticator.Request) {
		b.ReportAllocs()
		for b.Loop() {
			if _, ok, err := a.AuthenticateRequest(req); !ok || err != nil {
				b.Fatalf("got (%v, %v)", ok, err)
			}
		}
	}
	b.Run("upstream", func(b *testing.B) { run(b, upstream) })
	b.Run("cached", func(b *testing.B) { run(b, New(upstream, opts.verifyOptions, nil)) })
	b.Run("cached-parallel", func(b *testing.B) {
		a := New(upstream, opts.verifyOptions, nil)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, ok, err := a.AuthenticateRequest(req); !ok || err != nil {
					b.Errorf("got (%v, %v)", ok, err)
					return
				}
			}
		})
	})
}
