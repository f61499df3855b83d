// Package authtest is a stand-in token issuer for tests and benchmarks: an
// RSA key pair, its JWKS served over HTTP, and Cognito-shaped ID tokens
// signed with it. Tests against real Cognito tokens use cognito-local.
package authtest

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

// Issuer signs tokens and serves its JWKS.
type Issuer struct {
	URL      string // issuer (iss) and base of the JWKS URL
	ClientID string
	Server   *httptest.Server

	mu      sync.Mutex
	keys    map[string]*rsa.PrivateKey
	current string
	hits    int
}

// NewIssuer starts a JWKS server with one key, kid "key-1".
func NewIssuer(clientID string) (*Issuer, error) {
	is := &Issuer{ClientID: clientID, keys: map[string]*rsa.PrivateKey{}}
	if err := is.Rotate("key-1"); err != nil {
		return nil, err
	}
	is.Server = httptest.NewServer(http.HandlerFunc(is.serveJWKS))
	is.URL = is.Server.URL + "/eu-west-1_test"
	return is, nil
}

// JWKSURL is where the issuer publishes its keys.
func (is *Issuer) JWKSURL() string { return is.URL + "/.well-known/jwks.json" }

// Rotate adds a new signing key with the given id and signs with it from now on.
func (is *Issuer) Rotate(kid string) error {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	is.mu.Lock()
	defer is.mu.Unlock()
	is.keys[kid] = key
	is.current = kid
	return nil
}

// PrivateKey returns the current signing key.
func (is *Issuer) PrivateKey() *rsa.PrivateKey {
	is.mu.Lock()
	defer is.mu.Unlock()
	return is.keys[is.current]
}

// JWKSHits counts the JWKS requests served.
func (is *Issuer) JWKSHits() int {
	is.mu.Lock()
	defer is.mu.Unlock()
	return is.hits
}

func (is *Issuer) serveJWKS(w http.ResponseWriter, _ *http.Request) {
	is.mu.Lock()
	is.hits++
	set := jwk.NewSet()
	for kid, priv := range is.keys {
		pub, err := jwk.Import(priv.Public())
		if err != nil {
			is.mu.Unlock()
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		_ = pub.Set(jwk.KeyIDKey, kid)
		_ = pub.Set(jwk.AlgorithmKey, jwa.RS256())
		_ = pub.Set(jwk.KeyUsageKey, "sig")
		_ = set.AddKey(pub)
	}
	is.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(set)
}

// Claims are the claims of a token to sign; zero fields get Cognito-like
// defaults (Default).
type Claims map[string]any

// Default returns the claims of a valid ID token of a TenantUser of tenant
// "acme" on tier "basic", valid for an hour from now.
func (is *Issuer) Default(now time.Time) Claims {
	return Claims{
		"iss":                is.URL,
		"aud":                is.ClientID,
		"sub":                "5f1c2a9e-0000-4000-8000-000000000001",
		"cognito:username":   "5f1c2a9e-0000-4000-8000-000000000001",
		"email":              "user@acme.example",
		"token_use":          "id",
		"auth_time":          now.Unix(),
		"iat":                now.Unix(),
		"exp":                now.Add(time.Hour).Unix(),
		"custom:tenant_id":   "acme",
		"custom:tenant_tier": "basic",
		"custom:role":        "TenantUser",
	}
}

// Sign signs claims with the current key (RS256, kid in the header).
func (is *Issuer) Sign(claims Claims) (string, error) {
	is.mu.Lock()
	kid, priv := is.current, is.keys[is.current]
	is.mu.Unlock()
	return SignWith(claims, jwa.RS256(), priv, kid)
}

// SignWith signs claims with any algorithm and key, for forged tokens.
func SignWith(claims Claims, alg jwa.SignatureAlgorithm, key any, kid string) (string, error) {
	tok := jwt.New()
	tok.Options().Enable(jwt.FlattenAudience) // Cognito writes aud as a string
	for k, v := range claims {
		if err := tok.Set(k, v); err != nil {
			return "", err
		}
	}
	jkey, err := jwk.Import(key)
	if err != nil {
		return "", err
	}
	if kid != "" {
		if err := jkey.Set(jwk.KeyIDKey, kid); err != nil {
			return "", err
		}
	}
	signed, err := jwt.Sign(tok, jwt.WithKey(alg, jkey))
	if err != nil {
		return "", err
	}
	return string(signed), nil
}

// Close stops the JWKS server.
func (is *Issuer) Close() { is.Server.Close() }
