package auth

import (
	"strings"

	"github.com/tenantforge/tenantforge/shared/tenancy"
)

// resourcePath is the route's path in an execute-api ARN for a caller:
// path parameters become "*", except {tenantId} on OwnTenant routes for
// anyone but a SystemAdmin, which becomes the caller's own tenant id.
func resourcePath(r tenancy.Route, id *Identity) string {
	segs := strings.Split(strings.Trim(r.Path, "/"), "/")
	for i, s := range segs {
		if !strings.HasPrefix(s, "{") {
			continue
		}
		if s == "{tenantId}" && r.OwnTenant && id.Role != tenancy.RoleSystemAdmin {
			segs[i] = id.TenantID
		} else {
			segs[i] = "*"
		}
	}
	return strings.Join(segs, "/")
}
