package infra

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// ControlPlane is tenant management on the platform stack: the
// registration function behind POST /registrations and GET
// /tenant-config/{tenantName}, the tenants function behind the
// SystemAdmin's tenant routes and the users function behind /users.
type ControlPlane struct {
	pulumi.ResourceState

	// Functions serve the control plane's routes, by service name.
	Functions map[string]*Function
}

// ControlPlaneArgs configures the ControlPlane.
type ControlPlaneArgs struct {
	Namer             Namer
	Packages          map[string]string
	Partition, Region string
	RegistryTable     pulumi.StringInput
	RegistryTableArn  pulumi.StringOutput
	UserPoolID        pulumi.StringInput
	UserPoolArn       pulumi.StringOutput
	ClientID          pulumi.StringInput
	EventBusName      pulumi.StringInput
	EventBusArn       pulumi.StringOutput
	// PooledTable is the pooled data table an offboarding purges.
	PooledTable      pulumi.StringInput
	PooledTableArn   pulumi.StringOutput
	Tiers            map[string]Tier
	CacheSeconds     int
	Functions        FunctionsConfig
	LogRetentionDays int
}

// TenantsTimeoutSeconds is the tenants function's timeout: as long as API
// Gateway waits, because an offboarding purges pooled items for about 20 s
// per request before it answers 202 and resumes on the next.
const TenantsTimeoutSeconds = 29

// ControlPlaneServices are the control plane's functions (lambdas/<name>).
var ControlPlaneServices = []string{"registration", "tenants", "users"}

// NewControlPlane registers the control plane's functions.
func NewControlPlane(ctx *pulumi.Context, name string, args *ControlPlaneArgs, opts ...pulumi.ResourceOption) (*ControlPlane, error) {
	if args == nil || args.Region == "" || args.Partition == "" {
		return nil, errors.New("control plane: args with Region and Partition are required")
	}
	deployments := map[string]string{}
	for tier, t := range args.Tiers {
		deployments[tier] = t.Deployment
	}
	tiersJSON, err := json.Marshal(deployments)
	if err != nil {
		return nil, err
	}
	c := &ControlPlane{Functions: map[string]*Function{}}
	if err := ctx.RegisterComponentResource("tenantforge:controlplane:ControlPlane", name, c, opts...); err != nil {
		return nil, err
	}
	policy := pulumi.All(args.RegistryTableArn, args.UserPoolArn, args.EventBusArn).ApplyT(func(v []any) (string, error) {
		return RegistrationPolicy(RegistrationResources{
			Partition: args.Partition, Region: args.Region,
			RegistryTableArn: v[0].(string), UserPoolArn: v[1].(string), EventBusArn: v[2].(string),
		}).JSON()
	}).(pulumi.StringOutput)
	fn, err := NewFunction(ctx, name+"-registration", &FunctionArgs{
		Name:             args.Namer.Name("registration", MaxLambdaName),
		Description:      "Tenant sign-up and the public tenant configuration",
		ZipPath:          args.Packages["registration"],
		MemoryMB:         args.Functions.MemoryMB,
		TimeoutSeconds:   args.Functions.TimeoutSeconds,
		LogRetentionDays: args.LogRetentionDays,
		Environment: pulumi.StringMap{
			"REGISTRY_TABLE":       args.RegistryTable,
			"USER_POOL_ID":         args.UserPoolID,
			"APP_CLIENT_ID":        args.ClientID,
			"EVENT_BUS":            args.EventBusName,
			"TIER_DEPLOYMENTS":     pulumi.String(tiersJSON),
			"CONFIG_CACHE_SECONDS": pulumi.String(fmt.Sprint(args.CacheSeconds)),
		},
		Policies: map[string]pulumi.StringInput{"control-plane": policy},
	}, pulumi.Parent(c))
	if err != nil {
		return nil, err
	}
	c.Functions["registration"] = fn
	tenantsPolicy := pulumi.All(args.RegistryTableArn, args.UserPoolArn, args.EventBusArn, args.PooledTableArn).ApplyT(func(v []any) (string, error) {
		return TenantsPolicy(TenantsResources{
			Partition: args.Partition, Region: args.Region,
			RegistryTableArn: v[0].(string), UserPoolArn: v[1].(string), EventBusArn: v[2].(string), PooledTableArn: v[3].(string),
		}).JSON()
	}).(pulumi.StringOutput)
	tenants, err := NewFunction(ctx, name+"-tenants", &FunctionArgs{
		Name:             args.Namer.Name("tenants", MaxLambdaName),
		Description:      "Tenants for SystemAdmins: list, get, suspend, activate, change, offboard",
		ZipPath:          args.Packages["tenants"],
		MemoryMB:         args.Functions.MemoryMB,
		TimeoutSeconds:   TenantsTimeoutSeconds,
		LogRetentionDays: args.LogRetentionDays,
		Environment: pulumi.StringMap{
			"REGISTRY_TABLE":   args.RegistryTable,
			"USER_POOL_ID":     args.UserPoolID,
			"POOLED_TABLE":     args.PooledTable,
			"EVENT_BUS":        args.EventBusName,
			"TIER_DEPLOYMENTS": pulumi.String(tiersJSON),
		},
		Policies: map[string]pulumi.StringInput{"control-plane": tenantsPolicy},
	}, pulumi.Parent(c))
	if err != nil {
		return nil, err
	}
	c.Functions["tenants"] = tenants
	usersPolicy := pulumi.All(args.RegistryTableArn, args.UserPoolArn).ApplyT(func(v []any) (string, error) {
		return UsersPolicy(v[0].(string), v[1].(string)).JSON()
	}).(pulumi.StringOutput)
	users, err := NewFunction(ctx, name+"-users", &FunctionArgs{
		Name:             args.Namer.Name("users", MaxLambdaName),
		Description:      "A tenant's users for its TenantAdmins (and SystemAdmins): list, create, role, disable, enable, delete",
		ZipPath:          args.Packages["users"],
		MemoryMB:         args.Functions.MemoryMB,
		TimeoutSeconds:   args.Functions.TimeoutSeconds,
		LogRetentionDays: args.LogRetentionDays,
		Environment:      pulumi.StringMap{"REGISTRY_TABLE": args.RegistryTable, "USER_POOL_ID": args.UserPoolID},
		Policies:         map[string]pulumi.StringInput{"control-plane": usersPolicy},
	}, pulumi.Parent(c))
	if err != nil {
		return nil, err
	}
	c.Functions["users"] = users
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{
		"registrationArn": fn.FunctionArn, "tenantsArn": tenants.FunctionArn, "usersArn": users.FunctionArn,
	}); err != nil {
		return nil, err
	}
	return c, nil
}
