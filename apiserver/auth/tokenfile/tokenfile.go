// Package tokenfile authenticates the bearer tokens of a static token file,
// kube-apiserver's --token-auth-file: a CSV file of
// token,user name,user uid,"group1,group2" records.
//
// kube-apiserver reads the file once at start. This authenticator re-reads it
// when it changes, so that k1s can give a node added to a running cluster its
// own token (and take a removed node's token back) without a restart:
//   - a token it does not know makes it look at the file again at once, since
//     the token may have been added a moment ago;
//   - a token it knows is checked against a file at most RecheckInterval old,
//     so a removed token stops working within that interval.
//
// A file that cannot be read or parsed on a reload leaves the tokens of the
// last good one in force (and is logged); at start it is an error, as upstream.
package tokenfile

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/apiserver/pkg/authentication/authenticator"
	upstream "k8s.io/apiserver/pkg/authentication/token/tokenfile"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"
)

// RecheckInterval is how old the file a known token is checked against may be.
const RecheckInterval = time.Second

// Authenticator is an authenticator.Token over a static token file.
type Authenticator struct {
	path  string
	clock clock.PassiveClock

	// mu serialises reloads; readers only load state.
	mu    sync.Mutex
	state atomic.Pointer[fileState]
}

var _ authenticator.Token = &Authenticator{}

// fileState is one parse of the file and when the file was last compared
// with it.
type fileState struct {
	tokens *upstream.TokenAuthenticator
	info   os.FileInfo
	// missing: the file could not be found at the last check.
	missing   bool
	checkedAt time.Time
}

// New reads the token file at path. clk may be nil (the real clock).
func New(path string, clk clock.PassiveClock) (*Authenticator, error) {
	if clk == nil {
		clk = clock.RealClock{}
	}
	a := &Authenticator{path: path, clock: clk}
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("reading --token-auth-file: %w", err)
	}
	tokens, err := upstream.NewCSV(path)
	if err != nil {
		return nil, fmt.Errorf("reading --token-auth-file %s: %w", path, err)
	}
	a.state.Store(&fileState{tokens: tokens, info: info, checkedAt: clk.Now()})
	return a, nil
}

// AuthenticateToken implements authenticator.Token.
func (a *Authenticator) AuthenticateToken(ctx context.Context, token string) (*authenticator.Response, bool, error) {
	s := a.state.Load()
	if a.clock.Since(s.checkedAt) >= RecheckInterval {
		s = a.reload(ctx, s)
	}
	if resp, ok, err := s.tokens.AuthenticateToken(ctx, token); ok || err != nil {
		return resp, ok, err
	}
	if fresh := a.reload(ctx, s); fresh.tokens != s.tokens {
		return fresh.tokens.AuthenticateToken(ctx, token)
	}
	return nil, false, nil
}

// reload compares the file with seen and parses it again when it changed
// (another inode, size or modification time). It returns the current state.
func (a *Authenticator) reload(ctx context.Context, seen *fileState) *fileState {
	info, statErr := os.Stat(a.path)
	if seen.matches(info, statErr) {
		// Unchanged. Note when that was checked, at most every tenth of the
		// interval: unknown tokens (service account JWTs come here first) need not
		// each allocate a state. A concurrent reload may have stored a newer state
		// meanwhile: keep it.
		if a.clock.Since(seen.checkedAt) >= RecheckInterval/10 {
			a.state.CompareAndSwap(seen, &fileState{tokens: seen.tokens, info: seen.info, missing: seen.missing, checkedAt: a.clock.Now()})
		}
		return a.state.Load()
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	// Compare again with what is current now: another caller may have parsed the
	// file meanwhile, or only noted that an older version of it was unchanged.
	cur := a.state.Load()
	info, statErr = os.Stat(a.path)
	next := &fileState{tokens: cur.tokens, info: cur.info, missing: cur.missing, checkedAt: a.clock.Now()}
	switch {
	case cur.matches(info, statErr):
	case statErr != nil:
		next.missing = true
		klog.FromContext(ctx).Error(statErr, "Keeping the tokens of the last good --token-auth-file", "path", a.path)
	default:
		next.missing = false
		if tokens, err := upstream.NewCSV(a.path); err != nil {
			// Remember the bad file, so that it is parsed again only once it changes.
			next.info = info
			klog.FromContext(ctx).Error(err, "Keeping the tokens of the last good --token-auth-file", "path", a.path)
		} else {
			next.tokens, next.info = tokens, info
		}
	}
	a.state.Store(next)
	return next
}

// matches reports whether the file as just looked at (info or statErr) is the
// one s was made from.
func (s *fileState) matches(info os.FileInfo, statErr error) bool {
	if statErr != nil {
		return s.missing
	}
	return !s.missing && sameFile(info, s.info)
}

func sameFile(a, b os.FileInfo) bool {
	return os.SameFile(a, b) && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime())
}
