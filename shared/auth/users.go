package auth

import (
	"context"
	"errors"
	"strings"

	"github.com/tenantforge/tenantforge/shared/registry"
	"github.com/tenantforge/tenantforge/shared/tenancy"
)

// ErrUserNotFound is returned by a UserLookup for a user its tenant's
// index does not have (deleted, or never a user of that tenant).
var ErrUserNotFound = errors.New("user not found")

// User is what the authorizer needs of a user's entry in its tenant's
// user index: the role its admin gave it now, and whether it is disabled.
type User struct {
	Role     tenancy.Role
	Disabled bool
}

// UserLookup reads a tenant's user from the user index.
type UserLookup interface {
	User(ctx context.Context, tenantID, username string) (*User, error)
}

// RegistryUsers is the registry's user index as the authorizer reads it.
type RegistryUsers struct{ Store *registry.Store }

// User reads the index entry; an unindexed user is ErrUserNotFound.
func (r RegistryUsers) User(ctx context.Context, tenantID, username string) (*User, error) {
	e, err := r.Store.GetUser(ctx, tenantID, strings.ToLower(username))
	if errors.Is(err, registry.ErrUserNotFound) {
		return nil, ErrUserNotFound
	}
	if err != nil {
		return nil, err
	}
	return &User{Role: tenancy.Role(e.Role), Disabled: e.Disabled}, nil
}

// CheckUsers makes the authorizer consult the tenant's user index for
// every decision about a tenant's user: a user its admin deleted or
// disabled is refused, and a changed role applies, within the decision
// TTL, although the ID token it holds stays valid for up to an hour
// (Cognito's global sign-out revokes refresh and access tokens, not ID
// tokens already issued).
func (a *Authorizer) CheckUsers(users UserLookup) *Authorizer {
	a.users = users
	return a
}

// checkUser applies the user's index entry to an allowed decision.
func (a *Authorizer) checkUser(ctx context.Context, d *Decision) error {
	id := d.Identity
	u, err := a.users.User(ctx, id.TenantID, id.Email)
	switch {
	case errors.Is(err, ErrUserNotFound):
		d.Allow, d.Reason, d.Routes = false, "user is not a user of the tenant any more", nil
	case err != nil:
		return err
	case u.Disabled:
		d.Allow, d.Reason, d.Routes = false, "user is disabled", nil
	case u.Role != id.Role:
		if u.Role != tenancy.RoleTenantAdmin && u.Role != tenancy.RoleTenantUser {
			// The index never grants more than a tenant role.
			d.Allow, d.Reason, d.Routes = false, "user has no tenant role", nil
			return nil
		}
		// The index, not the token, is the truth about the role (as the
		// registry is about the tier).
		id.Role = u.Role
		d.Routes = tenancy.RoutesFor(u.Role)
	}
	return nil
}
