package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantforge/tenantforge/internal/localdynamo"
	"github.com/tenantforge/tenantforge/shared/auth/authtest"
	"github.com/tenantforge/tenantforge/shared/obs"
	"github.com/tenantforge/tenantforge/shared/obs/obstest"
	"github.com/tenantforge/tenantforge/shared/registry"
	"github.com/tenantforge/tenantforge/shared/tenancy"
)

// memRegistry is an in-memory TenantLookup that counts reads.
type memRegistry struct {
	mu      sync.Mutex
	tenants map[string]Tenant
	reads   int
	fail    error
}

func (r *memRegistry) Tenant(_ context.Context, id string) (*Tenant, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reads++
	if r.fail != nil {
		return nil, r.fail
	}
	t, ok := r.tenants[id]
	if !ok {
		return nil, ErrTenantNotFound
	}
	return &t, nil
}

func (r *memRegistry) set(t Tenant) { r.mu.Lock(); r.tenants[t.ID] = t; r.mu.Unlock() }

const methodArn = "arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/GET/products"

type fixture struct {
	issuer *authtest.Issuer
	reg    *memRegistry
	clock  *time.Time
	auth   *Authorizer
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	is, err := authtest.NewIssuer("web-client")
	require.NoError(t, err)
	t.Cleanup(is.Close)
	clock := now
	f := &fixture{issuer: is, clock: &clock, reg: &memRegistry{tenants: map[string]Tenant{
		"acme":   {ID: "acme", Name: "acme", Tier: "basic", Status: StatusActive, APIKeyValue: "key-acme-000000000000000001"},
		"globex": {ID: "globex", Name: "globex", Tier: "premium", Status: StatusActive, APIKeyValue: "key-globex-0000000000000002"},
	}}}
	nowFn := func() time.Time { return *f.clock }
	v, err := NewVerifier(VerifierConfig{Issuer: is.URL, ClientIDs: []string{"web-client"}, Leeway: 5 * time.Second, Now: nowFn}, NewKeySet(is.JWKSURL(), time.Minute))
	require.NoError(t, err)
	f.auth = NewAuthorizer(v, NewCachedTenants(f.reg, 10*time.Second, nowFn), 60*time.Second)
	return f
}

func (f *fixture) request(t *testing.T, edit func(authtest.Claims)) events.APIGatewayCustomAuthorizerRequestTypeRequest {
	c := f.issuer.Default(now)
	if edit != nil {
		edit(c)
	}
	tok, err := f.issuer.Sign(c)
	require.NoError(t, err)
	return events.APIGatewayCustomAuthorizerRequestTypeRequest{MethodArn: methodArn, Headers: map[string]string{"Authorization": "Bearer " + tok}}
}

func TestTenantUserGetsItsRoutesContextAndAPIKey(t *testing.T) {
	f := newFixture(t)
	resp, err := f.auth.Handle(context.Background(), f.request(t, nil))
	require.NoError(t, err)
	p := "arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/"
	assert.Equal(t, events.APIGatewayCustomAuthorizerPolicy{Version: "2012-10-17", Statement: []events.IAMPolicyStatement{{
		Action: []string{"execute-api:Invoke"}, Effect: "Allow",
		Resource: []string{p + "GET/products", p + "GET/products/*", p + "GET/orders", p + "POST/orders", p + "GET/orders/*", p + "PUT/orders/*", p + "DELETE/orders/*"},
	}}}, resp.PolicyDocument, "a TenantUser may read products and manage orders, nothing else")
	assert.Equal(t, map[string]any{"tenantId": "acme", "tier": "basic", "role": "TenantUser", "userId": "5f1c2a9e-0000-4000-8000-000000000001"}, resp.Context)
	assert.Equal(t, "key-acme-000000000000000001", resp.UsageIdentifierKey, "the tenant's API key meters it against its tier's usage plan")
	assert.Equal(t, "5f1c2a9e-0000-4000-8000-000000000001", resp.PrincipalID)
}

func TestTenantAdminPolicyIsPinnedToItsTenant(t *testing.T) {
	f := newFixture(t)
	resp, err := f.auth.Handle(context.Background(), f.request(t, func(c authtest.Claims) { c["custom:role"] = "TenantAdmin" }))
	require.NoError(t, err)
	res := resp.PolicyDocument.Statement[0].Resource
	p := "arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/"
	assert.Contains(t, res, p+"GET/tenants/acme")
	assert.NotContains(t, res, p+"GET/tenants/*", "a TenantAdmin must not be allowed to read other tenants' records")
	assert.NotContains(t, res, p+"GET/tenants")
	assert.Contains(t, res, p+"POST/users")
	assert.Contains(t, res, p+"DELETE/products/*")
}

func TestSystemAdminHasNoTenantAndNoBusinessData(t *testing.T) {
	f := newFixture(t)
	resp, err := f.auth.Handle(context.Background(), f.request(t, func(c authtest.Claims) {
		c["custom:role"], c["custom:tenant_id"] = "SystemAdmin", tenancy.SystemTenantID
		delete(c, "custom:tenant_tier")
	}))
	require.NoError(t, err)
	assert.Empty(t, resp.UsageIdentifierKey)
	for _, r := range resp.PolicyDocument.Statement[0].Resource {
		assert.NotContains(t, r, "/products")
		assert.NotContains(t, r, "/orders")
	}
	assert.Contains(t, resp.PolicyDocument.Statement[0].Resource, "arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/POST/tenants/*/suspend")
	assert.Zero(t, f.reg.reads, "SystemAdmins belong to no tenant: nothing to look up")
}

func TestSuspendedOrUnknownTenantIsDeniedEverything(t *testing.T) {
	f := newFixture(t)
	f.reg.set(Tenant{ID: "acme", Tier: "basic", Status: StatusSuspended, APIKeyValue: "k"})
	for name, req := range map[string]events.APIGatewayCustomAuthorizerRequestTypeRequest{
		"suspended": f.request(t, nil),
		"unknown":   f.request(t, func(c authtest.Claims) { c["custom:tenant_id"] = "initech" }),
	} {
		resp, err := f.auth.Handle(context.Background(), req)
		require.NoError(t, err, name)
		assert.Equal(t, []events.IAMPolicyStatement{{Action: []string{"execute-api:Invoke"}, Effect: "Deny",
			Resource: []string{"arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/*"}}}, resp.PolicyDocument.Statement,
			"%s tenant: every route must answer 403", name)
		assert.Empty(t, resp.UsageIdentifierKey)
	}
}

func TestBadTokensAre401AndRegistryFailuresAreNot(t *testing.T) {
	f := newFixture(t)
	for name, headers := range map[string]map[string]string{
		"no header":    {},
		"wrong scheme": {"Authorization": "Basic dXNlcjpwYXNz"},
		"garbage":      {"Authorization": "Bearer garbage"},
	} {
		_, err := f.auth.Handle(context.Background(), events.APIGatewayCustomAuthorizerRequestTypeRequest{MethodArn: methodArn, Headers: headers})
		assert.Equal(t, "Unauthorized", err.Error(), "%s: API Gateway answers 401 only for the exact error Unauthorized", name)
	}
	f.reg.fail = errors.New("throttled")
	_, err := f.auth.Handle(context.Background(), f.request(t, nil))
	require.Error(t, err)
	assert.NotErrorIs(t, err, ErrUnauthorized, "a registry outage is not the caller's fault")
}

func TestSuspensionTakesEffectWithinTheTTL(t *testing.T) {
	f := newFixture(t)
	req := f.request(t, nil)
	resp, err := f.auth.Handle(context.Background(), req)
	require.NoError(t, err)
	assert.Equal(t, "Allow", resp.PolicyDocument.Statement[0].Effect)
	assert.Equal(t, 1, f.reg.reads)

	f.reg.set(Tenant{ID: "acme", Tier: "basic", Status: StatusSuspended})
	*f.clock = now.Add(30 * time.Second)
	resp, err = f.auth.Handle(context.Background(), req)
	require.NoError(t, err)
	assert.Equal(t, "Allow", resp.PolicyDocument.Statement[0].Effect, "within the TTL the cached decision stands")
	assert.Equal(t, 1, f.reg.reads, "a cached decision costs no registry read")

	*f.clock = now.Add(61 * time.Second)
	resp, err = f.auth.Handle(context.Background(), req)
	require.NoError(t, err)
	assert.Equal(t, "Deny", resp.PolicyDocument.Statement[0].Effect, "after the 60 s TTL a suspended tenant must be refused")
}

func TestTenantCacheNeverExtendsTheTTL(t *testing.T) {
	f := newFixture(t)
	// A second user of acme at +55 s reuses the tenant record read at +50 s;
	// its decision must expire at +110 s at the latest (read time + TTL).
	*f.clock = now.Add(50 * time.Second)
	_, err := f.auth.Decide(context.Background(), f.request(t, nil).Headers["Authorization"])
	require.NoError(t, err)
	*f.clock = now.Add(55 * time.Second)
	d, err := f.auth.Decide(context.Background(), f.request(t, func(c authtest.Claims) { c["sub"] = "other-user" }).Headers["Authorization"])
	require.NoError(t, err)
	assert.Equal(t, 1, f.reg.reads)
	assert.Equal(t, now.Add(110*time.Second), d.expires)
}

func TestRegistryTierWinsOverTheTokens(t *testing.T) {
	f := newFixture(t)
	f.reg.set(Tenant{ID: "acme", Tier: "premium", Status: StatusActive, APIKeyValue: "k"})
	resp, err := f.auth.Handle(context.Background(), f.request(t, nil))
	require.NoError(t, err)
	assert.Equal(t, "premium", resp.Context["tier"], "after a tier change the registry's tier applies at once")
}

func TestRegistryTenantsMapsTheRecord(t *testing.T) {
	local := localdynamo.Start(nil)
	defer local.Close()
	require.NoError(t, local.CreateRegistryTable(context.Background(), "registry"))
	store := registry.New(local.Client, "registry")
	require.NoError(t, store.Put(context.Background(), &registry.Record{TenantID: "acme", Name: "acme", Tier: "basic", Status: "active", APIKeyValue: "k", Version: 1}))
	got, err := RegistryTenants{Store: store}.Tenant(context.Background(), "acme")
	require.NoError(t, err)
	assert.Equal(t, &Tenant{ID: "acme", Name: "acme", Tier: "basic", Status: "active", APIKeyValue: "k"}, got)
	_, err = RegistryTenants{Store: store}.Tenant(context.Background(), "nobody")
	assert.ErrorIs(t, err, ErrTenantNotFound, "an unknown tenant is denied, not an outage")
}

// Every status but active is refused, read from the real registry record:
// once offboarding starts the tenant's remaining tokens open nothing, and a
// tombstone stays refused. (It does not prove the 60 s TTL; see
// TestSuspensionTakesEffectWithinTheTTL.)
func TestOnlyActiveTenantsAreAllowedByTheirRegistryRecord(t *testing.T) {
	local := localdynamo.Start(nil)
	defer local.Close()
	require.NoError(t, local.CreateRegistryTable(context.Background(), "registry"))
	store := registry.New(local.Client, "registry")
	f := newFixture(t)
	v, err := NewVerifier(VerifierConfig{Issuer: f.issuer.URL, ClientIDs: []string{"web-client"}, Leeway: 5 * time.Second, Now: func() time.Time { return now }},
		NewKeySet(f.issuer.JWKSURL(), time.Minute))
	require.NoError(t, err)
	for status, allowed := range map[string]bool{
		registry.StatusActive: true, registry.StatusSuspended: false, registry.StatusOffboarding: false,
		registry.StatusDeleted: false, registry.StatusProvisioning: false, registry.StatusRegistering: false,
	} {
		require.NoError(t, store.Put(context.Background(), &registry.Record{TenantID: "acme", Name: "acme", Tier: "basic", Status: status, APIKeyValue: "k", Version: 1}))
		a := NewAuthorizer(v, RegistryTenants{Store: store}, time.Minute)
		resp, err := a.Handle(context.Background(), f.request(t, nil))
		require.NoError(t, err)
		effect := resp.PolicyDocument.Statement[0].Effect
		if allowed {
			assert.Equal(t, "Allow", effect, "an active tenant must be let in")
		} else {
			assert.Equal(t, "Deny", effect, "a tenant that is %s must be refused on every route", status)
			assert.Empty(t, resp.UsageIdentifierKey, "a %s tenant must not be metered with its key", status)
		}
	}
}

// The stack's denial metric filter matches {$.decision = "deny" ||
// $.decision = "unauthorized"} on these lines (infra/observability.go).
func TestDecisionsAreLoggedWithoutTheToken(t *testing.T) {
	f := newFixture(t)
	var buf bytes.Buffer
	f.auth.Logger = obs.NewLogger(&buf)
	allowed := f.request(t, nil)
	_, err := f.auth.Handle(context.Background(), allowed)
	require.NoError(t, err)
	f.reg.set(Tenant{ID: "acme", Tier: "basic", Status: StatusSuspended, APIKeyValue: "k"})
	f.auth = NewAuthorizer(f.auth.verifier, NewCachedTenants(f.reg, 0, nil), 0)
	f.auth.Logger = obs.NewLogger(&buf)
	_, err = f.auth.Handle(context.Background(), f.request(t, nil))
	require.NoError(t, err)
	_, err = f.auth.Handle(context.Background(), events.APIGatewayCustomAuthorizerRequestTypeRequest{MethodArn: methodArn,
		Headers: map[string]string{"Authorization": "Bearer garbage.token.value"}})
	require.Error(t, err)

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	require.Len(t, lines, 3, "one line per authorization")
	var decisions []string
	for _, l := range lines {
		var doc map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &doc))
		decisions = append(decisions, doc["decision"].(string))
		assert.NotContains(t, l, strings.TrimPrefix(allowed.Headers["Authorization"], "Bearer "), "the caller's token reached the logs")
		assert.NotContains(t, l, "garbage.token.value")
	}
	assert.Equal(t, []string{"allow", "deny", "unauthorized"}, decisions)
	var deny map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[1]), &deny))
	assert.Equal(t, "acme", deny["tenant_id"])
	assert.Equal(t, "tenant is suspended", deny["reason"])
}

func TestDecisionsAreTracedWithTheTenant(t *testing.T) {
	f := newFixture(t)
	daemon := obstest.NewDaemon(t)
	f.auth.Tracer = obs.NewTracer(daemon.Addr())
	ctx := obs.WithTraceHeader(context.Background(), "Root=1-67891233-abcdef012345678912345678;Parent=53995c3f42cd8ad8;Sampled=1")
	_, err := f.auth.Handle(ctx, f.request(t, nil))
	require.NoError(t, err)
	seg := daemon.Next(t, "the authorizer sent no subsegment")
	assert.Equal(t, "authorizer", seg["name"])
	assert.Equal(t, map[string]any{"TenantId": "acme", "decision": "allow"}, seg["annotations"], "denials could not be traced to their tenant")
}
