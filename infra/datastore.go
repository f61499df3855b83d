package infra

import (
	"errors"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/dynamodb"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/tenantforge/tenantforge/shared/tenancy"
)

// DataStore is one application data table: the pooled table on the platform
// stack, shared by every pooled tenant, or a silo tenant's own table.
type DataStore struct {
	pulumi.ResourceState

	TableName pulumi.StringOutput `pulumi:"tableName"`
	TableArn  pulumi.StringOutput `pulumi:"tableArn"`
}

// DataStoreArgs configures a DataStore.
type DataStoreArgs struct {
	// TableName is the physical table name (from Namer).
	TableName string
	// Tenancy is "pool" or "silo"; it is tagged on the table for cost reports.
	Tenancy string
	// DeletionProtection guards the table against deletion (on outside dev).
	DeletionProtection bool
}

// NewDataStore registers the data table.
func NewDataStore(ctx *pulumi.Context, name string, args *DataStoreArgs, opts ...pulumi.ResourceOption) (*DataStore, error) {
	if args == nil {
		return nil, errors.New("datastore: args are required")
	}
	if args.TableName == "" || (args.Tenancy != DeploymentPool && args.Tenancy != DeploymentSilo) {
		return nil, errors.New("datastore: TableName and a Tenancy of pool or silo are required")
	}
	c := &DataStore{}
	if err := ctx.RegisterComponentResource("tenantforge:data:DataStore", name, c, opts...); err != nil {
		return nil, err
	}
	table, err := dynamodb.NewTable(ctx, name+"-table", &dynamodb.TableArgs{
		Name:        pulumi.String(args.TableName),
		BillingMode: pulumi.String("PAY_PER_REQUEST"),
		HashKey:     pulumi.String(tenancy.DataPartitionKey),
		RangeKey:    pulumi.String(tenancy.DataSortKey),
		Attributes: dynamodb.TableAttributeArray{
			dynamodb.TableAttributeArgs{Name: pulumi.String(tenancy.DataPartitionKey), Type: pulumi.String("S")},
			dynamodb.TableAttributeArgs{Name: pulumi.String(tenancy.DataSortKey), Type: pulumi.String("S")},
		},
		PointInTimeRecovery:       &dynamodb.TablePointInTimeRecoveryArgs{Enabled: pulumi.Bool(true)},
		ServerSideEncryption:      &dynamodb.TableServerSideEncryptionArgs{Enabled: pulumi.Bool(true)},
		DeletionProtectionEnabled: pulumi.Bool(args.DeletionProtection),
		Tags:                      pulumi.StringMap{"tenancy": pulumi.String(args.Tenancy)},
	}, pulumi.Parent(c))
	if err != nil {
		return nil, err
	}
	c.TableName = table.Name
	c.TableArn = table.Arn
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{"tableName": table.Name, "tableArn": table.Arn}); err != nil {
		return nil, err
	}
	return c, nil
}
