// Package tenancy holds the names every part of tenantforge agrees on: the
// roles, the Cognito attributes that carry a user's tenant and role, and the
// rules for tenant ids and names. Infrastructure and handlers both import it;
// it imports nothing of Pulumi or AWS.
package tenancy

// Role is what a signed-in user may do.
type Role string

// The three roles. SystemAdmin operates the platform and never reads tenant
// business data; TenantAdmin manages its own tenant; TenantUser uses it.
const (
	RoleSystemAdmin Role = "SystemAdmin"
	RoleTenantAdmin Role = "TenantAdmin"
	RoleTenantUser  Role = "TenantUser"
)

// Roles lists the roles, most privileged first (Cognito group precedence).
var Roles = []Role{RoleSystemAdmin, RoleTenantAdmin, RoleTenantUser}

// Valid reports whether r is one of the three roles.
func (r Role) Valid() bool {
	return r == RoleSystemAdmin || r == RoleTenantAdmin || r == RoleTenantUser
}

// Cognito custom attributes (without and with the "custom:" prefix). App
// clients may read them but never write them, so a user cannot change
// their own tenant, tier or role.
const (
	AttrTenantID   = "tenant_id"
	AttrTenantTier = "tenant_tier"
	AttrRole       = "role"

	ClaimTenantID   = "custom:" + AttrTenantID
	ClaimTenantTier = "custom:" + AttrTenantTier
	ClaimRole       = "custom:" + AttrRole
)

// SystemTenantID is the tenant id of platform operators (SystemAdmins): it
// is not a slug a registration can take.
const SystemTenantID = "_system"

// ValidSlug reports whether s is a lowercase slug of 3 to 63 characters:
// letters, digits and inner hyphens. Tenant ids and names use it. (A loop,
// not a regexp: compiling one costs every function's cold start.)
func ValidSlug(s string) bool {
	if len(s) < 3 || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// Table shapes shared by the infrastructure that creates the tables and the
// code that reads them.
const (
	// RegistryPartitionKey is the tenant registry's only key. Tenant records
	// live under "TENANT#<id>", name reservations under "NAME#<name>".
	RegistryPartitionKey = "pk"
	// DataPartitionKey and DataSortKey key the application data tables:
	// the tenant id, then the item's kind and id ("PRODUCT#<id>").
	DataPartitionKey = "tenantId"
	DataSortKey      = "sk"
)

// Deployment models of a tier.
const (
	DeploymentPool = "pool"
	DeploymentSilo = "silo"
)

// The per-tenant user index in the registry table. Cognito cannot list a
// tenant's users (ListUsers does not filter on custom attributes), so each
// user of a tenant also has a registry item "USER#<tenantId>#<username>"
// that carries TenantUsersIndexKey = "USER#<tenantId>": the sparse global
// secondary index TenantUsersIndex lists one tenant's users in username
// order. Both the item's key and the index's partition key start with
// UserKeyPrefix, so one dynamodb:LeadingKeys condition confines a function
// to user items on the table and on the index alike.
const (
	UserKeyPrefix = "USER#"
	// TenantUsersIndex is the index's name.
	TenantUsersIndex = "tenant-users"
	// TenantUsersIndexKey is its partition key attribute: "USER#<tenantId>".
	TenantUsersIndexKey = "userTenant"
	// TenantUsersIndexSortKey is its sort key attribute: the username.
	TenantUsersIndexSortKey = "username"
)

// UserItemKey is the registry key of a tenant's user.
func UserItemKey(tenantID, username string) string {
	return UserKeyPrefix + tenantID + "#" + username
}

// TenantUsersKey is the index partition of a tenant's users.
func TenantUsersKey(tenantID string) string { return UserKeyPrefix + tenantID }
