// Package auth verifies Cognito ID tokens and decides, from one declarative
// permission table, what the caller may do. The Lambda authorizer and the
// local gateway both use it.
package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/lestrrat-go/jwx/v3/jwt"

	"github.com/tenantforge/tenantforge/shared/tenancy"
)

// Reasons a token is refused. All of them mean 401 Unauthorized.
var (
	ErrNoToken       = errors.New("no bearer token")
	ErrMalformed     = errors.New("malformed token")
	ErrAlgorithm     = errors.New("token not signed with RS256")
	ErrSignature     = errors.New("token signature is not valid")
	ErrExpired       = errors.New("token expired")
	ErrNotYetValid   = errors.New("token not valid yet")
	ErrIssuer        = errors.New("token from another issuer")
	ErrAudience      = errors.New("token for another client")
	ErrTokenUse      = errors.New("not an ID token")
	ErrMissingClaims = errors.New("token lacks the tenant or role claims")
)

// Identity is what a verified token says about the caller.
type Identity struct {
	UserID   string // sub
	Username string // cognito:username
	Email    string
	TenantID string
	Tier     string
	Role     tenancy.Role
	Expires  time.Time
}

// VerifierConfig configures a Verifier.
type VerifierConfig struct {
	// Issuer is the user pool's issuer URL.
	Issuer string
	// ClientIDs are the app clients whose tokens are accepted (aud).
	ClientIDs []string
	// Leeway tolerates clock skew on exp, nbf and iat.
	Leeway time.Duration
	// Now is the clock; time.Now by default.
	Now func() time.Time
}

// Verifier verifies Cognito ID tokens: RS256 only, signed by a key of the
// issuer's JWKS, from the configured issuer and clients, an ID token, in
// its validity window, with well-formed tenant and role claims.
type Verifier struct {
	cfg  VerifierConfig
	keys *KeySet
}

// NewVerifier returns a Verifier that takes keys from keys.
func NewVerifier(cfg VerifierConfig, keys *KeySet) (*Verifier, error) {
	if cfg.Issuer == "" || len(cfg.ClientIDs) == 0 || keys == nil {
		return nil, errors.New("auth: a verifier needs an issuer, at least one client id and a key set")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Verifier{cfg: cfg, keys: keys}, nil
}

type clock func() time.Time

func (c clock) Now() time.Time { return c() }

// BearerToken extracts the token from an Authorization header value.
func BearerToken(header string) (string, error) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	if header == "" {
		return "", ErrNoToken
	}
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return "", fmt.Errorf("%w: use the Authorization header form \"Bearer <ID token>\"", ErrMalformed)
	}
	return strings.TrimSpace(token), nil
}

// Verify checks the token and returns the caller's identity. Errors wrap
// one of the Err* reasons.
func (v *Verifier) Verify(ctx context.Context, token string) (*Identity, error) {
	if token == "" {
		return nil, ErrNoToken
	}
	if strings.Count(token, ".") != 2 {
		return nil, ErrMalformed
	}
	provider := jws.KeyProviderFunc(func(ctx context.Context, sink jws.KeySink, sig *jws.Signature, _ *jws.Message) error {
		h := sig.ProtectedHeaders()
		alg, ok := h.Algorithm()
		if !ok || alg != jwa.RS256() {
			return ErrAlgorithm
		}
		kid, ok := h.KeyID()
		if !ok || kid == "" {
			return ErrUnknownKey
		}
		key, err := v.keys.Key(ctx, kid)
		if err != nil {
			return err
		}
		sink.Key(jwa.RS256(), key)
		return nil
	})
	tok, err := jwt.ParseString(token,
		jwt.WithContext(ctx),
		jwt.WithKeyProvider(provider),
		jwt.WithValidate(true),
		jwt.WithClock(clock(v.cfg.Now)),
		jwt.WithAcceptableSkew(v.cfg.Leeway),
		jwt.WithIssuer(v.cfg.Issuer),
	)
	if err != nil {
		return nil, classify(err)
	}
	aud, _ := tok.Audience()
	if !slices.ContainsFunc(aud, func(a string) bool { return slices.Contains(v.cfg.ClientIDs, a) }) {
		return nil, ErrAudience
	}
	if _, ok := tok.Expiration(); !ok {
		return nil, fmt.Errorf("%w: no exp claim", ErrMalformed)
	}
	var use string
	if err := tok.Get("token_use", &use); err != nil || use != "id" {
		return nil, ErrTokenUse
	}
	return identityOf(tok)
}

func identityOf(tok jwt.Token) (*Identity, error) {
	str := func(name string) string {
		var s string
		if err := tok.Get(name, &s); err != nil {
			return ""
		}
		return s
	}
	id := &Identity{
		Username: str("cognito:username"),
		Email:    str("email"),
		TenantID: str(tenancy.ClaimTenantID),
		Tier:     str(tenancy.ClaimTenantTier),
		Role:     tenancy.Role(str(tenancy.ClaimRole)),
	}
	id.UserID, _ = tok.Subject()
	id.Expires, _ = tok.Expiration()
	switch {
	case id.UserID == "":
		return nil, fmt.Errorf("%w: no sub", ErrMissingClaims)
	case !id.Role.Valid():
		return nil, fmt.Errorf("%w: custom:role %q", ErrMissingClaims, id.Role)
	case id.Role == tenancy.RoleSystemAdmin:
		if id.TenantID != tenancy.SystemTenantID {
			return nil, fmt.Errorf("%w: a SystemAdmin belongs to no tenant", ErrMissingClaims)
		}
	case !tenancy.ValidSlug(id.TenantID):
		return nil, fmt.Errorf("%w: custom:tenant_id %q", ErrMissingClaims, id.TenantID)
	case id.Tier == "":
		return nil, fmt.Errorf("%w: no custom:tenant_tier", ErrMissingClaims)
	}
	return id, nil
}

// classify maps the library's errors onto our reasons.
func classify(err error) error {
	for _, known := range []error{ErrAlgorithm, ErrUnknownKey, ErrNoToken} {
		if errors.Is(err, known) {
			return known
		}
	}
	switch {
	case errors.Is(err, jwt.TokenExpiredError()):
		return ErrExpired
	case errors.Is(err, jwt.TokenNotYetValidError()), errors.Is(err, jwt.InvalidIssuedAtError()):
		return ErrNotYetValid
	case errors.Is(err, jwt.InvalidIssuerError()):
		return ErrIssuer
	case errors.Is(err, jwt.InvalidAudienceError()):
		return ErrAudience
	case strings.Contains(err.Error(), "could not verify message"), strings.Contains(err.Error(), "verification"):
		return ErrSignature
	}
	if strings.Contains(err.Error(), "fetching the issuer's keys") {
		return err
	}
	return fmt.Errorf("%w: %v", ErrMalformed, err)
}
