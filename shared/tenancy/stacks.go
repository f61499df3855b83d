package tenancy

import "strings"

// SiloStackName is the Pulumi stack of a silo tenant: the platform stack's
// name with "-tenant-<id>" appended. A fully qualified platform stack
// ("org/tenantforge/dev") gives a fully qualified tenant stack
// ("org/tenantforge/dev-tenant-acme"). This is the one rule: tenantctl
// names the stacks with it and the deployer's IAM role is scoped to the
// resource names it leads to.
func SiloStackName(platformStack, tenantID string) string {
	return platformStack + SiloStackInfix + tenantID
}

// SiloStackInfix separates the platform stack's name from the tenant id in
// a silo tenant's stack name.
const SiloStackInfix = "-tenant-"

// ShortStackName is the last segment of a stack name ("dev" of
// "org/tenantforge/dev").
func ShortStackName(stack string) string {
	return stack[strings.LastIndex(stack, "/")+1:]
}
