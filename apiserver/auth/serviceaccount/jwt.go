package serviceaccount

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	jose "gopkg.in/go-jose/go-jose.v2"
	"gopkg.in/go-jose/go-jose.v2/jwt"

	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/apiserver/pkg/authentication/authenticator"
	apiserverserviceaccount "k8s.io/apiserver/pkg/authentication/serviceaccount"
)

// TokenGenerator signs tokens for service accounts.
type TokenGenerator interface {
	// GenerateToken signs a token with claims and privateClaims (serialized at the root of
	// the payload). Public claims take precedence over private ones of the same name.
	GenerateToken(ctx context.Context, claims *jwt.Claims, privateClaims any) (string, error)
}

// JWTTokenGenerator returns a TokenGenerator that signs with privateKey (an
// *ecdsa.PrivateKey on P-256, P-384 or P-521, or an *rsa.PrivateKey) as issuer iss.
func JWTTokenGenerator(iss string, privateKey any) (TokenGenerator, error) {
	var alg jose.SignatureAlgorithm
	var public any
	switch pk := privateKey.(type) {
	case *rsa.PrivateKey:
		alg, public = jose.RS256, &pk.PublicKey
	case *ecdsa.PrivateKey:
		switch pk.Curve {
		case elliptic.P256():
			alg = jose.ES256
		case elliptic.P384():
			alg = jose.ES384
		case elliptic.P521():
			alg = jose.ES512
		default:
			return nil, errors.New("unknown private key curve, must be 256, 384, or 521")
		}
		public = &pk.PublicKey
	default:
		return nil, fmt.Errorf("unknown private key type %T, must be *rsa.PrivateKey or *ecdsa.PrivateKey", privateKey)
	}
	keyID, err := keyIDFromPublicKey(public)
	if err != nil {
		return nil, fmt.Errorf("failed to derive keyID: %w", err)
	}
	// Wrapping the key in a JWK puts the key ID in every token's header, so that a
	// verifier holding several keys (rotation) tries the right one first.
	signer, err := jose.NewSigner(jose.SigningKey{
		Algorithm: alg,
		Key:       &jose.JSONWebKey{Algorithm: string(alg), Key: privateKey, KeyID: keyID, Use: "sig"},
	}, nil)
	if err != nil {
		return nil, fmt.Errorf("failed to create signer: %w", err)
	}
	return &jwtTokenGenerator{iss: iss, signer: signer}, nil
}

// keyIDFromPublicKey derives a key ID non-reversibly from a public key (the unpadded
// base64url SHA-256 of its PKIX DER), as upstream does, so that the ID never reveals the
// key itself.
func keyIDFromPublicKey(publicKey any) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(publicKey)
	if err != nil {
		return "", fmt.Errorf("failed to serialize public key to DER format: %w", err)
	}
	hasher := crypto.SHA256.New()
	hasher.Write(der)
	return base64.RawURLEncoding.EncodeToString(hasher.Sum(nil)), nil
}

type jwtTokenGenerator struct {
	iss    string
	signer jose.Signer
}

func (j *jwtTokenGenerator) GenerateToken(_ context.Context, claims *jwt.Claims, privateClaims any) (string, error) {
	// Claims are applied in reverse precedence: the issuer always wins.
	return jwt.Signed(j.signer).
		Claims(privateClaims).
		Claims(claims).
		Claims(&jwt.Claims{Issuer: j.iss}).
		CompactSerialize()
}

// PublicKey is a verification key and its key ID.
type PublicKey struct {
	KeyID     string
	PublicKey any
}

// PublicKeys holds the keys tokens are verified with, by key ID.
type PublicKeys struct {
	all  []PublicKey
	byID map[string][]PublicKey
}

// NewPublicKeys indexes keys (public keys, or private keys whose public half is used) by
// their derived key IDs.
func NewPublicKeys(keys []any) (*PublicKeys, error) {
	p := &PublicKeys{byID: map[string][]PublicKey{}}
	for _, key := range keys {
		if private, ok := key.(interface{ Public() crypto.PublicKey }); ok {
			key = private.Public()
		}
		keyID, err := keyIDFromPublicKey(key)
		if err != nil {
			return nil, err
		}
		pk := PublicKey{KeyID: keyID, PublicKey: key}
		p.byID[keyID] = append(p.byID[keyID], pk)
		p.all = append(p.all, pk)
	}
	return p, nil
}

// Get returns the keys with keyID, or all keys when keyID is empty (tokens without a kid).
func (p *PublicKeys) Get(keyID string) []PublicKey {
	if keyID == "" {
		return p.all
	}
	return p.byID[keyID]
}

// Validator checks the claims of a token whose issuer and signature are verified, and
// returns who it is for.
type Validator interface {
	Validate(ctx context.Context, public *jwt.Claims, private *PrivateClaims) (*apiserverserviceaccount.ServiceAccountInfo, error)
}

// NewAuthenticator returns a token authenticator for JWTs issued by one of issuers and
// signed by one of keys. implicitAuds are the apiserver's own audiences (--api-audiences):
// a token must be meant for one of the audiences of the request (those, unless the
// request names others, as TokenReview may).
func NewAuthenticator(issuers []string, keys *PublicKeys, implicitAuds authenticator.Audiences, validator Validator) authenticator.Token {
	issuersMap := make(map[string]bool, len(issuers))
	for _, issuer := range issuers {
		issuersMap[issuer] = true
	}
	return &jwtTokenAuthenticator{issuers: issuersMap, keys: keys, implicitAuds: implicitAuds, validator: validator}
}

type jwtTokenAuthenticator struct {
	issuers      map[string]bool
	keys         *PublicKeys
	validator    Validator
	implicitAuds authenticator.Audiences
}

func (j *jwtTokenAuthenticator) AuthenticateToken(ctx context.Context, tokenData string) (*authenticator.Response, bool, error) {
	// Tokens of other issuers (bootstrap tokens, OIDC) are not ours: no opinion, no error.
	if !j.hasCorrectIssuer(tokenData) {
		return nil, false, nil
	}
	tok, err := jwt.ParseSigned(tokenData)
	if err != nil {
		return nil, false, nil
	}
	var kid string
	for _, header := range tok.Headers {
		if header.KeyID != "" {
			kid = header.KeyID
			break
		}
	}
	keys := j.keys.Get(kid)
	if len(keys) == 0 {
		return nil, false, errors.New("invalid signature, no keys found")
	}
	public, private := &jwt.Claims{}, &PrivateClaims{}
	var errs []error
	found := false
	for _, key := range keys {
		if err := tok.Claims(key.PublicKey, public, private); err != nil {
			errs = append(errs, err)
			continue
		}
		found = true
		break
	}
	if !found {
		return nil, false, utilerrors.NewAggregate(errs)
	}
	// The issuer was read before the signature was checked: check it again.
	if !j.issuers[public.Issuer] {
		return nil, false, fmt.Errorf("token issuer %q is invalid", public.Issuer)
	}

	tokenAudiences := authenticator.Audiences(public.Audience)
	if len(tokenAudiences) == 0 {
		// Only legacy tokens lack an audience; they are meant for the apiserver.
		tokenAudiences = j.implicitAuds
	}
	requestedAudiences, ok := authenticator.AudiencesFrom(ctx)
	if !ok {
		requestedAudiences = j.implicitAuds
	}
	auds := tokenAudiences.Intersect(requestedAudiences)
	if len(auds) == 0 && len(j.implicitAuds) != 0 {
		return nil, false, fmt.Errorf("token audiences %q is invalid for the target audiences %q", tokenAudiences, requestedAudiences)
	}

	sa, err := j.validator.Validate(ctx, public, private)
	if err != nil {
		return nil, false, err
	}
	return &authenticator.Response{User: sa.UserInfo(), Audiences: auds}, true, nil
}

// hasCorrectIssuer reports whether tokenData is a compact JWT whose (not yet verified)
// "iss" claim is one of ours; it keeps the authenticator quiet about tokens that are
// simply someone else's.
func (j *jwtTokenAuthenticator) hasCorrectIssuer(tokenData string) bool {
	if strings.HasPrefix(strings.TrimSpace(tokenData), "{") {
		return false
	}
	parts := strings.Split(tokenData, ".")
	if len(parts) != 3 {
		return false
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return false
	}
	claims := struct {
		// WARNING: this JWT is not verified. Do not trust these claims.
		Issuer string `json:"iss"`
	}{}
	if err := json.Unmarshal(payload, &claims); err != nil {
		return false
	}
	return j.issuers[claims.Issuer]
}
