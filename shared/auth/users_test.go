package auth

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantforge/tenantforge/internal/localdynamo"
	"github.com/tenantforge/tenantforge/shared/auth/authtest"
	"github.com/tenantforge/tenantforge/shared/registry"
	"github.com/tenantforge/tenantforge/shared/tenancy"
)

// The tenant's user index is read for every decision about a tenant user:
// the ID token a user holds stays valid for up to an hour after its admin
// deletes, disables or demotes it; the index entry does not. Read from the
// real registry. (It does not prove the TTL; see
// TestSuspensionTakesEffectWithinTheTTL, which applies alike.)
func TestUserIndexDecidesOverTheToken(t *testing.T) {
	ctx := context.Background()
	local := localdynamo.Start(nil)
	defer local.Close()
	require.NoError(t, local.CreateRegistryTable(ctx, "registry"))
	store := registry.New(local.Client, "registry")
	f := newFixture(t)
	f.auth.CheckUsers(RegistryUsers{Store: store})
	admin := func(c authtest.Claims) { c["custom:role"] = "TenantAdmin" }
	save := func(role tenancy.Role, disabled bool) {
		require.NoError(t, store.SaveUser(ctx, &registry.UserEntry{TenantID: "acme", Username: "user@acme.example", Role: string(role), Disabled: disabled}))
	}
	decide := func(edit func(authtest.Claims)) *Decision {
		t.Helper()
		*f.clock = f.clock.Add(2 * time.Minute) // past the cached decision
		d, err := f.auth.Decide(ctx, f.request(t, edit).Headers["Authorization"])
		require.NoError(t, err)
		return d
	}

	d := decide(nil)
	assert.False(t, d.Allow, "a user missing from its tenant's index (deleted by its admin) still reaches the API with the token it had")
	assert.Empty(t, d.Response(methodArn).UsageIdentifierKey)

	save(tenancy.RoleTenantUser, false)
	d = decide(nil)
	assert.True(t, d.Allow, "an indexed, enabled user must be let in")
	assert.Equal(t, tenancy.RoleTenantUser, d.Identity.Role)

	save(tenancy.RoleTenantUser, true)
	assert.False(t, decide(nil).Allow, "a user its admin disabled still reaches the API with the token it had")

	save(tenancy.RoleTenantUser, false)
	d = decide(admin)
	assert.True(t, d.Allow)
	assert.Equal(t, tenancy.RoleTenantUser, d.Identity.Role, "a demoted admin keeps admin rights with the token it had")
	assert.Equal(t, "TenantUser", d.Response(methodArn).Context["role"], "the handlers must see the role of the index")
	for _, r := range d.Routes {
		assert.NotEqual(t, "/users", r.Path, "a demoted admin keeps the users routes")
	}

	save(tenancy.RoleTenantAdmin, false)
	d = decide(nil)
	assert.Equal(t, tenancy.RoleTenantAdmin, d.Identity.Role, "a promotion applies before the user signs in again")

	save(tenancy.RoleSystemAdmin, false)
	assert.False(t, decide(nil).Allow, "a tenant user's index entry must never grant SystemAdmin")

	other := func(c authtest.Claims) { c["email"] = "USER@acme.example" }
	save(tenancy.RoleTenantUser, false)
	assert.True(t, decide(other).Allow, "the index is keyed by the lower-case email, as the users routes write it")
}

func TestUserIndexFailureIsNotTheCallersFault(t *testing.T) {
	f := newFixture(t)
	f.auth.CheckUsers(failingUsers{})
	_, err := f.auth.Handle(context.Background(), f.request(t, nil))
	require.Error(t, err)
	assert.NotErrorIs(t, err, ErrUnauthorized, "a registry outage is not the caller's fault (500, not 401)")
}

type failingUsers struct{}

func (failingUsers) User(context.Context, string, string) (*User, error) {
	return nil, errors.New("throttled")
}
