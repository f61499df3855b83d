package auth

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/tenantforge/tenantforge/shared/tenancy"
)

func TestResourcePathPinsOwnTenant(t *testing.T) {
	r, _, _ := tenancy.Match("GET", "/tenants/acme")
	assert.Equal(t, "tenants/acme", resourcePath(r, &Identity{Role: tenancy.RoleTenantAdmin, TenantID: "acme"}),
		"a TenantAdmin's policy must only allow its own tenant")
	assert.Equal(t, "tenants/*", resourcePath(r, &Identity{Role: tenancy.RoleSystemAdmin, TenantID: tenancy.SystemTenantID}))
	p, _, _ := tenancy.Match("PUT", "/products/p-1")
	assert.Equal(t, "products/*", resourcePath(p, &Identity{Role: tenancy.RoleTenantAdmin, TenantID: "acme"}))
}
