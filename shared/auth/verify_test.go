package auth

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantforge/tenantforge/shared/auth/authtest"
	"github.com/tenantforge/tenantforge/shared/tenancy"
)

var now = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

func newIssuer(t *testing.T) (*authtest.Issuer, *Verifier) {
	t.Helper()
	is, err := authtest.NewIssuer("web-client")
	require.NoError(t, err)
	t.Cleanup(is.Close)
	v, err := NewVerifier(VerifierConfig{
		Issuer: is.URL, ClientIDs: []string{"web-client"}, Leeway: 5 * time.Second,
		Now: func() time.Time { return now },
	}, NewKeySet(is.JWKSURL(), time.Minute))
	require.NoError(t, err)
	return is, v
}

func sign(t *testing.T, is *authtest.Issuer, edit func(authtest.Claims)) string {
	t.Helper()
	c := is.Default(now)
	if edit != nil {
		edit(c)
	}
	tok, err := is.Sign(c)
	require.NoError(t, err)
	return tok
}

func TestValidTokenGivesTheIdentity(t *testing.T) {
	is, v := newIssuer(t)
	id, err := v.Verify(context.Background(), sign(t, is, nil))
	require.NoError(t, err)
	assert.Equal(t, &Identity{
		UserID: "5f1c2a9e-0000-4000-8000-000000000001", Username: "5f1c2a9e-0000-4000-8000-000000000001",
		Email: "user@acme.example", TenantID: "acme", Tier: "basic", Role: tenancy.RoleTenantUser,
		Expires: now.Add(time.Hour),
	}, id)
}

func TestSystemAdminBelongsToNoTenant(t *testing.T) {
	is, v := newIssuer(t)
	admin := sign(t, is, func(c authtest.Claims) {
		c["custom:role"], c["custom:tenant_id"] = "SystemAdmin", tenancy.SystemTenantID
		delete(c, "custom:tenant_tier")
	})
	id, err := v.Verify(context.Background(), admin)
	require.NoError(t, err)
	assert.Equal(t, tenancy.RoleSystemAdmin, id.Role)

	posing := sign(t, is, func(c authtest.Claims) { c["custom:role"] = "SystemAdmin" })
	_, err = v.Verify(context.Background(), posing)
	assert.ErrorIs(t, err, ErrMissingClaims, "a SystemAdmin token that names a tenant is malformed")
}

// Every way a token can be bad must be refused with its own reason, never
// accepted and never a server error.
func TestBadTokensAreRefused(t *testing.T) {
	is, v := newIssuer(t)
	valid := sign(t, is, nil)
	parts := strings.Split(valid, ".")

	otherKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	pubDER, err := x509.MarshalPKIXPublicKey(&is.PrivateKey().PublicKey)
	require.NoError(t, err)
	hsWithPublicKey, err := authtest.SignWith(is.Default(now), jwa.HS256(), pubDER, "key-1")
	require.NoError(t, err)
	forged, err := authtest.SignWith(is.Default(now), jwa.RS256(), otherKey, "key-1")
	require.NoError(t, err)
	unknownKid, err := authtest.SignWith(is.Default(now), jwa.RS256(), otherKey, "key-9")
	require.NoError(t, err)
	noneHeader := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","kid":"key-1"}`))
	tampered := strings.Replace(parts[1], parts[1][:8], base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"x"`))[:8], 1)

	cases := map[string]struct {
		token string
		want  error
	}{
		"empty":                           {"", ErrNoToken},
		"garbage":                         {"not-a-token", ErrMalformed},
		"garbage with dots":               {"a.b.c", ErrMalformed},
		"alg none":                        {noneHeader + "." + parts[1] + ".", ErrAlgorithm},
		"HS256 keyed with the public key": {hsWithPublicKey, ErrAlgorithm},
		"signed by another key":           {forged, ErrSignature},
		"unknown kid":                     {unknownKid, ErrUnknownKey},
		"tampered payload":                {parts[0] + "." + tampered + "." + parts[2], ErrSignature},
		"signature removed":               {parts[0] + "." + parts[1] + ".", ErrMalformed},
		"expired":                         {sign(t, is, func(c authtest.Claims) { c["exp"] = now.Add(-time.Minute).Unix() }), ErrExpired},
		"not yet valid":                   {sign(t, is, func(c authtest.Claims) { c["nbf"] = now.Add(time.Minute).Unix() }), ErrNotYetValid},
		"no exp":                          {sign(t, is, func(c authtest.Claims) { delete(c, "exp") }), ErrMalformed},
		"wrong issuer":                    {sign(t, is, func(c authtest.Claims) { c["iss"] = "https://cognito-idp.eu-west-1.amazonaws.com/other" }), ErrIssuer},
		"wrong audience":                  {sign(t, is, func(c authtest.Claims) { c["aud"] = "other-client" }), ErrAudience},
		"access token":                    {sign(t, is, func(c authtest.Claims) { c["token_use"] = "access"; delete(c, "aud"); c["client_id"] = "web-client" }), ErrAudience},
		"no token_use":                    {sign(t, is, func(c authtest.Claims) { delete(c, "token_use") }), ErrTokenUse},
		"no tenant":                       {sign(t, is, func(c authtest.Claims) { delete(c, "custom:tenant_id") }), ErrMissingClaims},
		"malformed tenant":                {sign(t, is, func(c authtest.Claims) { c["custom:tenant_id"] = "ACME; DROP" }), ErrMissingClaims},
		"no role":                         {sign(t, is, func(c authtest.Claims) { delete(c, "custom:role") }), ErrMissingClaims},
		"unknown role":                    {sign(t, is, func(c authtest.Claims) { c["custom:role"] = "Owner" }), ErrMissingClaims},
		"no tier":                         {sign(t, is, func(c authtest.Claims) { delete(c, "custom:tenant_tier") }), ErrMissingClaims},
		"no sub":                          {sign(t, is, func(c authtest.Claims) { delete(c, "sub") }), ErrMissingClaims},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			id, err := v.Verify(context.Background(), tc.token)
			require.Error(t, err, "a bad token was accepted: %s", name)
			assert.Nil(t, id)
			assert.ErrorIs(t, err, tc.want)
		})
	}
}

func TestLeewayToleratesSmallSkew(t *testing.T) {
	is, v := newIssuer(t)
	_, err := v.Verify(context.Background(), sign(t, is, func(c authtest.Claims) { c["exp"] = now.Add(-3 * time.Second).Unix() }))
	assert.NoError(t, err, "3 s past exp is within the 5 s leeway")
}

func TestBearerToken(t *testing.T) {
	tok, err := BearerToken("Bearer abc.def.ghi")
	require.NoError(t, err)
	assert.Equal(t, "abc.def.ghi", tok)
	tok, err = BearerToken("bearer  abc.def.ghi ")
	require.NoError(t, err)
	assert.Equal(t, "abc.def.ghi", tok)
	for _, h := range []string{"Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "abc.def.ghi", "Token abc"} {
		_, err := BearerToken(h)
		assert.ErrorIs(t, err, ErrMalformed, h)
	}
	_, err = BearerToken("")
	assert.ErrorIs(t, err, ErrNoToken)
}

func TestKeyRotationRefreshesOnceAndIsRateLimited(t *testing.T) {
	is, v := newIssuer(t)
	_, err := v.Verify(context.Background(), sign(t, is, nil))
	require.NoError(t, err)
	assert.Equal(t, 1, is.JWKSHits())
	for range 5 {
		_, err := v.Verify(context.Background(), sign(t, is, nil))
		require.NoError(t, err)
	}
	assert.Equal(t, 1, is.JWKSHits(), "a warm key set must not refetch the JWKS")

	// Cognito publishes a new key: tokens with its kid arrive. The first one
	// refreshes the JWKS (one fetch); later unknown kids within a minute do not.
	require.NoError(t, is.Rotate("key-2"))
	v.keys.now = func() time.Time { return time.Now().Add(2 * time.Minute) }
	_, err = v.Verify(context.Background(), sign(t, is, nil))
	require.NoError(t, err, "a token signed with a newly published key must verify after one refresh")
	assert.Equal(t, 2, is.JWKSHits())
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	for i := range 20 {
		bogus, err := authtest.SignWith(is.Default(now), jwa.RS256(), other, "bogus-"+string(rune('a'+i)))
		require.NoError(t, err)
		_, err = v.Verify(context.Background(), bogus)
		assert.ErrorIs(t, err, ErrUnknownKey)
	}
	assert.Equal(t, 2, is.JWKSHits(), "unknown key ids must not trigger a fetch each: the refresh is rate-limited")
}
