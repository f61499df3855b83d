package auth

import (
	"context"
	"errors"

	"github.com/tenantforge/tenantforge/shared/registry"
)

// RegistryTenants is the tenant registry as the authorizer reads it.
type RegistryTenants struct{ Store *registry.Store }

// Tenant reads a tenant's record; an unknown tenant is ErrTenantNotFound.
func (r RegistryTenants) Tenant(ctx context.Context, id string) (*Tenant, error) {
	rec, err := r.Store.Get(ctx, id)
	if errors.Is(err, registry.ErrNotFound) {
		return nil, ErrTenantNotFound
	}
	if err != nil {
		return nil, err
	}
	return &Tenant{ID: rec.TenantID, Name: rec.Name, Tier: rec.Tier, Status: rec.Status, APIKeyValue: rec.APIKeyValue}, nil
}
