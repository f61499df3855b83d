package tenancy

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRoleMatrix(t *testing.T) {
	// Each row: route, then whether SystemAdmin, TenantAdmin, TenantUser may call it.
	matrix := []struct {
		method, path     string
		sys, admin, user bool
	}{
		{"GET", "/tenants", true, false, false},
		{"GET", "/tenants/{tenantId}", true, true, false},
		{"PATCH", "/tenants/{tenantId}", true, false, false},
		{"POST", "/tenants/{tenantId}/suspend", true, false, false},
		{"DELETE", "/tenants/{tenantId}", true, false, false},
		{"GET", "/users", true, true, false},
		{"POST", "/users", true, true, false},
		{"DELETE", "/users/{username}", true, true, false},
		{"GET", "/products", false, true, true},
		{"POST", "/products", false, true, false},
		{"PUT", "/products/{productId}", false, true, false},
		{"GET", "/orders", false, true, true},
		{"POST", "/orders", false, true, true},
		{"DELETE", "/orders/{orderId}", false, true, true},
	}
	for _, m := range matrix {
		var route *Route
		for i := range Routes {
			if Routes[i].Method == m.method && Routes[i].Path == m.path {
				route = &Routes[i]
			}
		}
		if !assert.NotNil(t, route, "%s %s is missing from the permission table", m.method, m.path) {
			continue
		}
		assert.Equal(t, m.sys, route.Allows(RoleSystemAdmin), "SystemAdmin on %s %s (a SystemAdmin must never reach tenant business data)", m.method, m.path)
		assert.Equal(t, m.admin, route.Allows(RoleTenantAdmin), "TenantAdmin on %s %s", m.method, m.path)
		assert.Equal(t, m.user, route.Allows(RoleTenantUser), "TenantUser on %s %s", m.method, m.path)
	}
}

func TestEveryRouteIsUniqueAndGuarded(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Routes {
		k := r.Method + " " + r.Path
		assert.False(t, seen[k], "%s is in the table twice", k)
		seen[k] = true
		assert.True(t, r.Public != (len(r.Roles) > 0), "%s must be either public or limited to roles", k)
	}
	assert.Len(t, Routes, 26, "every route of DESIGN.md §3 and GET /tenants/{tenantId}/usage (issue 9), once")
	for _, r := range RoutesFor(RoleSystemAdmin) {
		assert.False(t, strings.HasPrefix(r.Path, "/products") || strings.HasPrefix(r.Path, "/orders"),
			"SystemAdmin may call %s %s: operators must not read tenant business data", r.Method, r.Path)
	}
}

func TestMatch(t *testing.T) {
	r, params, ok := Match("GET", "/tenants/acme")
	assert.True(t, ok)
	assert.Equal(t, "/tenants/{tenantId}", r.Path)
	assert.Equal(t, map[string]string{"tenantId": "acme"}, params)

	r, _, ok = Match("POST", "/tenants/acme/suspend")
	assert.True(t, ok)
	assert.Equal(t, "/tenants/{tenantId}/suspend", r.Path)

	for _, bad := range [][2]string{{"GET", "/tenants/acme/"}, {"GET", "/tenants//"}, {"PUT", "/tenants/acme"}, {"GET", "/nowhere"}, {"GET", "/products/a/b"}} {
		_, _, ok := Match(bad[0], bad[1])
		assert.False(t, ok, "%s %s must not match a route", bad[0], bad[1])
	}
}

func TestAllowed(t *testing.T) {
	assert.True(t, Allowed("GET", "/products", RoleTenantUser))
	assert.False(t, Allowed("POST", "/products", RoleTenantUser))
	assert.False(t, Allowed("GET", "/products", RoleSystemAdmin))
	assert.False(t, Allowed("GET", "/unknown", RoleTenantAdmin))
}

// The one path matcher the router and the local gateway share: parameters
// take any non-empty segment, literals only themselves. Not proven: which
// route wins when several match (each caller orders its routes).
func TestPathParams(t *testing.T) {
	params, ok := PathParams(Segments("/tenants/{tenantId}/usage"), Segments("/tenants/acme/usage"))
	assert.True(t, ok)
	assert.Equal(t, map[string]string{"tenantId": "acme"}, params, "a handler would get the wrong tenant id")
	for _, path := range []string{"/tenants//usage", "/tenants/acme", "/tenants/acme/usage/x", "/tenant/acme/usage"} {
		_, ok := PathParams(Segments("/tenants/{tenantId}/usage"), Segments(path))
		assert.False(t, ok, "%s must not reach the usage route", path)
	}
}
