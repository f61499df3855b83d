package infra

import (
	"errors"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/tenantforge/tenantforge/shared/obs"
	"github.com/tenantforge/tenantforge/shared/tenancy"
)

// AppFunctions are the application's services: every tenant group runs
// one function of each (lambdas/<name>).
var AppFunctions = []string{"products", "orders"}

// TenantGroup is a group of the application functions. The pool group, on
// the platform stack, serves every pooled tenant and has no data
// permissions of its own: its functions reach the pooled table only
// through per-tenant STS sessions of the tenant access role it creates. A
// silo group, on a silo tenant's stack, has its own table and functions
// whose roles reach only that table.
type TenantGroup struct {
	pulumi.ResourceState

	TableName pulumi.StringOutput `pulumi:"tableName"`
	TableArn  pulumi.StringOutput `pulumi:"tableArn"`
	// TenantRoleArn is the tenant access role (pool groups only).
	TenantRoleArn pulumi.StringOutput `pulumi:"tenantRoleArn"`
	// Releases describe the safe release of each function (see Release).
	Releases pulumi.MapOutput `pulumi:"releases"`
	// Functions are the group's functions by service name.
	Functions map[string]*Function
}

// TenantGroupArgs configures a TenantGroup.
type TenantGroupArgs struct {
	Namer Namer
	// Deployment is "pool" or "silo".
	Deployment string
	// TenantID is the silo group's tenant.
	TenantID string
	// Packages are the functions' zips by service name (Artifacts.LambdaZip).
	Packages map[string]string
	// LayerArn is the shared layer every function attaches.
	LayerArn pulumi.StringInput
	// PooledTableName and PooledTableArn are the pooled table (pool only).
	PooledTableName pulumi.StringOutput
	PooledTableArn  pulumi.StringOutput
	// AccountID and Partition locate the tenant access role (pool only).
	AccountID string
	Partition string
	Functions FunctionsConfig
	// ReservedConcurrency caps each function of a silo group (0: none).
	ReservedConcurrency int
	LogRetentionDays    int
	// DeletionProtection guards a silo group's table.
	DeletionProtection bool
	// DeploymentConfig is the CodeDeploy configuration that releases new
	// versions of the functions (cicd.canary).
	DeploymentConfig string
	// MetricsNamespace is where the functions' usage extension publishes
	// the per-tenant metrics (observability.namespace).
	MetricsNamespace string
	// PermissionsBoundary caps a silo group's roles (PlatformRef).
	PermissionsBoundary pulumi.StringInput
}

// NewTenantGroup registers the group.
func NewTenantGroup(ctx *pulumi.Context, name string, args *TenantGroupArgs, opts ...pulumi.ResourceOption) (*TenantGroup, error) {
	if args == nil || args.LayerArn == nil {
		return nil, errors.New("tenant group: args with the shared layer's ARN are required")
	}
	for _, fn := range AppFunctions {
		if args.Packages[fn] == "" {
			return nil, fmt.Errorf("tenant group %s: no package for function %q", name, fn)
		}
	}
	switch args.Deployment {
	case DeploymentPool:
		if args.AccountID == "" || args.Partition == "" {
			return nil, fmt.Errorf("tenant group %s: a pool group needs AccountID and Partition", name)
		}
	case DeploymentSilo:
		if !tenancy.ValidSlug(args.TenantID) {
			return nil, fmt.Errorf("tenant group %s: a silo group needs a valid TenantID", name)
		}
	default:
		return nil, fmt.Errorf("tenant group %s: Deployment must be pool or silo", name)
	}
	c := &TenantGroup{Functions: map[string]*Function{}}
	if err := ctx.RegisterComponentResource("tenantforge:app:TenantGroup", name, c, opts...); err != nil {
		return nil, err
	}
	env := pulumi.StringMap{"TENANCY": pulumi.String(args.Deployment)}
	if args.MetricsNamespace != "" {
		env[obs.EnvNamespace] = pulumi.String(args.MetricsNamespace)
	}
	policies := map[string]pulumi.StringInput{}
	if args.Deployment == DeploymentPool {
		c.TableName, c.TableArn = args.PooledTableName, args.PooledTableArn
		roleName := args.Namer.Name("tenant-access", MaxIAMRoleName)
		roleArn := fmt.Sprintf("arn:%s:iam::%s:role/%s", args.Partition, args.AccountID, roleName)
		assume, err := AssumeTenantRolePolicy(roleArn).JSON()
		if err != nil {
			return nil, err
		}
		env["TENANT_ROLE_ARN"] = pulumi.String(roleArn)
		policies["assume-tenant-role"] = pulumi.String(assume)
		if err := c.addFunctions(ctx, name, args, env, policies); err != nil {
			return nil, err
		}
		var trusted pulumi.StringArray
		for _, fn := range AppFunctions {
			trusted = append(trusted, c.Functions[fn].RoleArn)
		}
		access, err := NewTenantAccess(ctx, name+"-access", &TenantAccessArgs{
			RoleName:        roleName,
			TrustedRoleArns: trusted,
			TableArns:       pulumi.StringArray{args.PooledTableArn},
		}, pulumi.Parent(c))
		if err != nil {
			return nil, err
		}
		c.TenantRoleArn = access.RoleArn
	} else {
		data, err := NewDataStore(ctx, name+"-data", &DataStoreArgs{
			TableName:          args.Namer.Name("data", MaxDynamoTableName),
			Tenancy:            DeploymentSilo,
			DeletionProtection: args.DeletionProtection,
		}, pulumi.Parent(c))
		if err != nil {
			return nil, err
		}
		c.TableName, c.TableArn = data.TableName, data.TableArn
		env["TENANT_ID"] = pulumi.String(args.TenantID)
		policies["own-table"] = data.TableArn.ApplyT(func(arn string) (string, error) { return SiloDataPolicy(arn).JSON() }).(pulumi.StringOutput)
		if err := c.addFunctions(ctx, name, args, env, policies); err != nil {
			return nil, err
		}
		c.TenantRoleArn = pulumi.String("").ToStringOutput()
	}
	release, err := NewRelease(ctx, name+"-release", &ReleaseArgs{
		Namer:            args.Namer,
		Role:             args.Deployment,
		Functions:        c.Functions,
		DeploymentConfig: args.DeploymentConfig,
		TimeoutSeconds:   args.Functions.TimeoutSeconds,
		// Every role of a silo stack carries the boundary, CodeDeploy's too.
		PermissionsBoundary: args.PermissionsBoundary,
	}, pulumi.Parent(c))
	if err != nil {
		return nil, err
	}
	c.Releases = release.Releases
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{"tableName": c.TableName, "tableArn": c.TableArn, "tenantRoleArn": c.TenantRoleArn, "releases": c.Releases}); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *TenantGroup) addFunctions(ctx *pulumi.Context, name string, args *TenantGroupArgs, env pulumi.StringMap, policies map[string]pulumi.StringInput) error {
	for _, fn := range AppFunctions {
		fnEnv := pulumi.StringMap{"TABLE_NAME": c.TableName}
		for k, v := range env {
			fnEnv[k] = v
		}
		reserved := 0
		if args.Deployment == DeploymentSilo {
			reserved = args.ReservedConcurrency
		}
		f, err := NewFunction(ctx, name+"-"+fn, &FunctionArgs{
			Name:                args.Namer.Name(args.Deployment+"-"+fn, MaxLambdaName),
			Description:         fmt.Sprintf("The %s service of the %s group", fn, args.Deployment),
			ZipPath:             args.Packages[fn],
			Environment:         fnEnv,
			MemoryMB:            args.Functions.MemoryMB,
			TimeoutSeconds:      args.Functions.TimeoutSeconds,
			ReservedConcurrency: reserved,
			LogRetentionDays:    args.LogRetentionDays,
			Policies:            policies,
			Layers:              pulumi.StringArray{args.LayerArn},
			Alias:               LiveAlias,
			PermissionsBoundary: args.PermissionsBoundary,
		}, pulumi.Parent(c))
		if err != nil {
			return err
		}
		c.Functions[fn] = f
	}
	return nil
}
