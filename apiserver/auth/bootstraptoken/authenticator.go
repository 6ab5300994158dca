package bootstraptoken

import (
	"context"
	"crypto/subtle"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authentication/user"
	corelisters "k8s.io/client-go/listers/core/v1"
	bootstrapapi "k8s.io/cluster-bootstrap/token/api"
	bootstrapsecretutil "k8s.io/cluster-bootstrap/util/secrets"
	bootstraptokenutil "k8s.io/cluster-bootstrap/util/tokens"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"
)

// TokenAuthenticator authenticates bootstrap tokens against their secrets.
type TokenAuthenticator struct {
	lister corelisters.SecretNamespaceLister
	clock  clock.PassiveClock
}

var _ authenticator.Token = &TokenAuthenticator{}

// New returns the authenticator; lister must be for the kube-system namespace. clock
// decides expiry; nil means the real clock.
func New(lister corelisters.SecretNamespaceLister, clk clock.PassiveClock) *TokenAuthenticator {
	if clk == nil {
		clk = clock.RealClock{}
	}
	return &TokenAuthenticator{lister: lister, clock: clk}
}

// AuthenticateToken matches token against the secret bootstrap-token-<id>. Any mismatch
// (no such secret, wrong type, wrong secret, expired, not meant for authentication, bad
// extra groups) is "not authenticated" without an error, as upstream: the request then
// fails as any other with an unknown bearer token, and nothing is told about which check
// failed. The reasons are logged at V(3).
func (t *TokenAuthenticator) AuthenticateToken(ctx context.Context, token string) (*authenticator.Response, bool, error) {
	tokenID, tokenSecret, err := bootstraptokenutil.ParseToken(token)
	if err != nil {
		// Not a bootstrap token: someone else's.
		return nil, false, nil
	}
	logger := klog.FromContext(ctx)
	secretName := bootstrapapi.BootstrapTokenSecretPrefix + tokenID
	secret, err := t.lister.Get(secretName)
	if err != nil {
		if apierrors.IsNotFound(err) {
			logger.V(3).Info("No secret to match bootstrap bearer token", "secret", secretName)
			return nil, false, nil
		}
		return nil, false, err
	}
	tokenErrorf := func(msg string, keysAndValues ...any) {
		logger.V(3).Info("Bootstrap secret matching bearer token "+msg, append([]any{"secret", klog.KObj(secret)}, keysAndValues...)...)
	}
	if secret.DeletionTimestamp != nil {
		tokenErrorf("is deleted and awaiting removal")
		return nil, false, nil
	}
	if secret.Type != bootstrapapi.SecretTypeBootstrapToken || secret.Data == nil {
		tokenErrorf("has invalid type", "expected", bootstrapapi.SecretTypeBootstrapToken)
		return nil, false, nil
	}
	// Constant time, so the secret cannot be guessed byte by byte from response times.
	ts := bootstrapsecretutil.GetData(secret, bootstrapapi.BootstrapTokenSecretKey)
	if subtle.ConstantTimeCompare([]byte(ts), []byte(tokenSecret)) != 1 {
		tokenErrorf("has invalid value for key", "key", bootstrapapi.BootstrapTokenSecretKey)
		return nil, false, nil
	}
	id := bootstrapsecretutil.GetData(secret, bootstrapapi.BootstrapTokenIDKey)
	if id != tokenID {
		tokenErrorf("has invalid value for key", "key", bootstrapapi.BootstrapTokenIDKey)
		return nil, false, nil
	}
	if bootstrapsecretutil.HasExpired(secret, t.clock.Now()) {
		tokenErrorf("has expired")
		return nil, false, nil
	}
	if bootstrapsecretutil.GetData(secret, bootstrapapi.BootstrapTokenUsageAuthentication) != "true" {
		tokenErrorf("is not marked for authentication", "key", bootstrapapi.BootstrapTokenUsageAuthentication)
		return nil, false, nil
	}
	groups, err := bootstrapsecretutil.GetGroups(secret)
	if err != nil {
		tokenErrorf("has invalid value for key", "key", bootstrapapi.BootstrapTokenExtraGroupsKey, "err", err)
		return nil, false, nil
	}
	return &authenticator.Response{
		User: &user.DefaultInfo{Name: bootstrapapi.BootstrapUserPrefix + id, Groups: groups},
	}, true, nil
}
