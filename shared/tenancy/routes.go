package tenancy

import (
	"slices"
	"strings"
)

// Route is one row of the permission table: a method and path template of
// the HTTP API and who may call it.
type Route struct {
	Method string
	// Path is the template as API Gateway knows it: "/tenants/{tenantId}".
	Path string
	// Public routes need no token.
	Public bool
	// Roles may call the route.
	Roles []Role
	// OwnTenant pins the {tenantId} path parameter to the caller's tenant for
	// every role but SystemAdmin, in the authorizer's policy itself.
	OwnTenant bool
}

var (
	systemAdmin  = []Role{RoleSystemAdmin}
	tenantAdmins = []Role{RoleSystemAdmin, RoleTenantAdmin}
	usersAdmins  = []Role{RoleTenantAdmin, RoleSystemAdmin}
	appAdmin     = []Role{RoleTenantAdmin}
	appUsers     = []Role{RoleTenantAdmin, RoleTenantUser}
)

// Routes is the permission table of the whole HTTP API (DESIGN.md §3). The
// authorizer builds its policies from it, the local gateway and the tests
// read it. SystemAdmins operate tenants and never reach tenant business
// data (products, orders); TenantUsers read products and manage orders;
// TenantAdmins manage their own tenant's users and data.
var Routes = []Route{
	{Method: "POST", Path: "/registrations", Public: true},
	{Method: "GET", Path: "/tenant-config/{tenantName}", Public: true},

	{Method: "GET", Path: "/tenants", Roles: systemAdmin},
	{Method: "GET", Path: "/tenants/{tenantId}", Roles: tenantAdmins, OwnTenant: true},
	{Method: "PATCH", Path: "/tenants/{tenantId}", Roles: systemAdmin},
	{Method: "DELETE", Path: "/tenants/{tenantId}", Roles: systemAdmin},
	{Method: "POST", Path: "/tenants/{tenantId}/suspend", Roles: systemAdmin},
	{Method: "POST", Path: "/tenants/{tenantId}/activate", Roles: systemAdmin},
	{Method: "GET", Path: "/tenants/{tenantId}/usage", Roles: systemAdmin},

	{Method: "GET", Path: "/users", Roles: usersAdmins},
	{Method: "POST", Path: "/users", Roles: usersAdmins},
	{Method: "GET", Path: "/users/{username}", Roles: usersAdmins},
	{Method: "PATCH", Path: "/users/{username}", Roles: usersAdmins},
	{Method: "DELETE", Path: "/users/{username}", Roles: usersAdmins},
	{Method: "POST", Path: "/users/{username}/disable", Roles: usersAdmins},
	{Method: "POST", Path: "/users/{username}/enable", Roles: usersAdmins},

	{Method: "GET", Path: "/products", Roles: appUsers},
	{Method: "POST", Path: "/products", Roles: appAdmin},
	{Method: "GET", Path: "/products/{productId}", Roles: appUsers},
	{Method: "PUT", Path: "/products/{productId}", Roles: appAdmin},
	{Method: "DELETE", Path: "/products/{productId}", Roles: appAdmin},

	{Method: "GET", Path: "/orders", Roles: appUsers},
	{Method: "POST", Path: "/orders", Roles: appUsers},
	{Method: "GET", Path: "/orders/{orderId}", Roles: appUsers},
	{Method: "PUT", Path: "/orders/{orderId}", Roles: appUsers},
	{Method: "DELETE", Path: "/orders/{orderId}", Roles: appUsers},
}

// Allows reports whether role may call the route.
func (r Route) Allows(role Role) bool {
	return r.Public || slices.Contains(r.Roles, role)
}

// RoutesFor returns the routes a role may call that need a token.
func RoutesFor(role Role) []Route {
	var out []Route
	for _, r := range Routes {
		if !r.Public && r.Allows(role) {
			out = append(out, r)
		}
	}
	return out
}

// Match finds the route of a concrete request path and its path
// parameters. Trailing slashes are not the same path, as in API Gateway.
func Match(method, path string) (Route, map[string]string, bool) {
	segs := Segments(path)
	for _, r := range Routes {
		if r.Method != method {
			continue
		}
		if params, ok := PathParams(Segments(r.Path), segs); ok && path == "/"+strings.Join(segs, "/") {
			return r, params, true
		}
	}
	return Route{}, nil, false
}

// Segments splits a path or route template at its slashes, ignoring a
// leading and trailing one.
func Segments(path string) []string { return strings.Split(strings.Trim(path, "/"), "/") }

// PathParams matches a request path's segments against a route template's
// ({name} segments are parameters and match any non-empty segment) and
// returns the parameters. The API's router, the authorizer's tests and the
// local API Gateway all match paths with it.
func PathParams(template, segs []string) (map[string]string, bool) {
	if len(template) != len(segs) {
		return nil, false
	}
	params := map[string]string{}
	for i, t := range template {
		if strings.HasPrefix(t, "{") && strings.HasSuffix(t, "}") {
			if segs[i] == "" {
				return nil, false
			}
			params[t[1:len(t)-1]] = segs[i]
			continue
		}
		if t != segs[i] {
			return nil, false
		}
	}
	return params, true
}

// Allowed reports whether role may call the route with this method and
// path template. Unknown routes are allowed to nobody.
func Allowed(method, path string, role Role) bool {
	for _, r := range Routes {
		if r.Method == method && r.Path == path {
			return r.Allows(role)
		}
	}
	return false
}
