package infra

import (
	"errors"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/dynamodb"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/tenantforge/tenantforge/shared/tenancy"
)

// SharedServices are the platform's shared backend: the tenant registry, the
// pooled application data table and the tenant lifecycle event bus.
type SharedServices struct {
	pulumi.ResourceState

	RegistryTableName pulumi.StringOutput `pulumi:"registryTableName"`
	RegistryTableArn  pulumi.StringOutput `pulumi:"registryTableArn"`
	PooledTableName   pulumi.StringOutput `pulumi:"pooledTableName"`
	PooledTableArn    pulumi.StringOutput `pulumi:"pooledTableArn"`
	EventBusName      pulumi.StringOutput `pulumi:"eventBusName"`
	EventBusArn       pulumi.StringOutput `pulumi:"eventBusArn"`
}

// SharedServicesArgs configures SharedServices.
type SharedServicesArgs struct {
	Namer              Namer
	DeletionProtection bool
}

// NewSharedServices registers the shared services of the platform stack.
func NewSharedServices(ctx *pulumi.Context, name string, args *SharedServicesArgs, opts ...pulumi.ResourceOption) (*SharedServices, error) {
	if args == nil {
		return nil, errors.New("shared services: args are required")
	}
	c := &SharedServices{}
	if err := ctx.RegisterComponentResource("tenantforge:shared:SharedServices", name, c, opts...); err != nil {
		return nil, err
	}
	registry, err := dynamodb.NewTable(ctx, name+"-registry", &dynamodb.TableArgs{
		Name:        pulumi.String(args.Namer.Name("registry", MaxDynamoTableName)),
		BillingMode: pulumi.String("PAY_PER_REQUEST"),
		HashKey:     pulumi.String(tenancy.RegistryPartitionKey),
		Attributes: dynamodb.TableAttributeArray{
			dynamodb.TableAttributeArgs{Name: pulumi.String(tenancy.RegistryPartitionKey), Type: pulumi.String("S")},
			dynamodb.TableAttributeArgs{Name: pulumi.String(tenancy.TenantUsersIndexKey), Type: pulumi.String("S")},
			dynamodb.TableAttributeArgs{Name: pulumi.String(tenancy.TenantUsersIndexSortKey), Type: pulumi.String("S")},
		},
		// A tenant's users, in username order (Cognito cannot list them by
		// tenant); only user items carry the index's keys.
		GlobalSecondaryIndexes: dynamodb.TableGlobalSecondaryIndexArray{
			dynamodb.TableGlobalSecondaryIndexArgs{
				Name:           pulumi.String(tenancy.TenantUsersIndex),
				HashKey:        pulumi.String(tenancy.TenantUsersIndexKey),
				RangeKey:       pulumi.String(tenancy.TenantUsersIndexSortKey),
				ProjectionType: pulumi.String("ALL"),
			},
		},
		PointInTimeRecovery:       &dynamodb.TablePointInTimeRecoveryArgs{Enabled: pulumi.Bool(true)},
		ServerSideEncryption:      &dynamodb.TableServerSideEncryptionArgs{Enabled: pulumi.Bool(true)},
		DeletionProtectionEnabled: pulumi.Bool(args.DeletionProtection),
	}, pulumi.Parent(c))
	if err != nil {
		return nil, err
	}
	pooled, err := NewDataStore(ctx, name+"-pooled", &DataStoreArgs{
		TableName:          args.Namer.Name("pooled-data", MaxDynamoTableName),
		Tenancy:            DeploymentPool,
		DeletionProtection: args.DeletionProtection,
	}, pulumi.Parent(c))
	if err != nil {
		return nil, err
	}
	bus, err := cloudwatch.NewEventBus(ctx, name+"-events", &cloudwatch.EventBusArgs{
		Name:        pulumi.String(args.Namer.Name("tenant-events", MaxEventBusName)),
		Description: pulumi.String("Tenant lifecycle events: TenantRegistered, TenantProvisioningRequested, TenantProvisioned, ..."),
	}, pulumi.Parent(c))
	if err != nil {
		return nil, err
	}
	c.RegistryTableName, c.RegistryTableArn = registry.Name, registry.Arn
	c.PooledTableName, c.PooledTableArn = pooled.TableName, pooled.TableArn
	c.EventBusName, c.EventBusArn = bus.Name, bus.Arn
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{
		"registryTableName": c.RegistryTableName, "registryTableArn": c.RegistryTableArn,
		"pooledTableName": c.PooledTableName, "pooledTableArn": c.PooledTableArn,
		"eventBusName": c.EventBusName, "eventBusArn": c.EventBusArn,
	}); err != nil {
		return nil, err
	}
	return c, nil
}
