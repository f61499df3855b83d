package auth

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tenantforge/tenantforge/shared/auth/authtest"
)

// benchFixture signs n distinct tokens of users of two tenants and returns
// an authorizer with a warm JWKS and an in-memory registry.
func benchFixture(b *testing.B, n int, ttl time.Duration) (*Authorizer, []string) {
	is, err := authtest.NewIssuer("web-client")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(is.Close)
	v, err := NewVerifier(VerifierConfig{Issuer: is.URL, ClientIDs: []string{"web-client"}, Leeway: 5 * time.Second}, NewKeySet(is.JWKSURL(), time.Minute))
	if err != nil {
		b.Fatal(err)
	}
	reg := &memRegistry{tenants: map[string]Tenant{
		"acme":   {ID: "acme", Tier: "basic", Status: StatusActive, APIKeyValue: "k1"},
		"globex": {ID: "globex", Tier: "premium", Status: StatusActive, APIKeyValue: "k2"},
	}}
	a := NewAuthorizer(v, NewCachedTenants(reg, 10*time.Second, nil), ttl)
	headers := make([]string, n)
	for i := range headers {
		c := is.Default(time.Now())
		c["sub"] = fmt.Sprintf("user-%d", i)
		if i%2 == 1 {
			c["custom:tenant_id"] = "globex"
		}
		tok, err := is.Sign(c)
		if err != nil {
			b.Fatal(err)
		}
		headers[i] = "Bearer " + tok
	}
	if _, err := a.Decide(context.Background(), headers[0]); err != nil { // warm the JWKS
		b.Fatal(err)
	}
	return a, headers
}

// BenchmarkDecideVerifying verifies every token's signature (no decision
// cache): the cost of a token the authorizer has not seen.
func BenchmarkDecideVerifying(b *testing.B) {
	a, headers := benchFixture(b, 256, 0)
	i := 0
	for b.Loop() {
		if _, err := a.Decide(context.Background(), headers[i%len(headers)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
