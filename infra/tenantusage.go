package infra

import (
	"errors"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/dynamodb"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/tenantforge/tenantforge/shared/billing"
	"github.com/tenantforge/tenantforge/shared/obs"
)

// CostAllocationTagKey is the tag every silo tenant resource carries
// (DefaultTags) and Cost Explorer groups silo cost by.
const CostAllocationTagKey = "tenant-id"

// UsageSchedule runs the usage function daily at 02:30 UTC, when Cost
// Explorer has the previous day's cost.
const UsageSchedule = "cron(30 2 * * ? *)"

// TenantUsage is per-tenant cost attribution: the tenant-usage table and the
// scheduled function (lambdas/usage) that fills it daily with each
// tenant's usage and estimated cost.
type TenantUsage struct {
	pulumi.ResourceState

	TableName pulumi.StringOutput `pulumi:"tableName"`
	TableArn  pulumi.StringOutput `pulumi:"tableArn"`
	// Function is the usage function.
	Function *Function
}

// TenantUsageArgs configures TenantUsage.
type TenantUsageArgs struct {
	Namer   Namer
	ZipPath string
	// Namespace is the per-tenant metrics' namespace the function reads.
	Namespace          string
	RetentionDays      int
	LogRetentionDays   int
	DeletionProtection bool
}

// NewTenantUsage registers the table, the function and its schedule.
func NewTenantUsage(ctx *pulumi.Context, name string, args *TenantUsageArgs, opts ...pulumi.ResourceOption) (*TenantUsage, error) {
	if args == nil {
		return nil, errors.New("tenant usage: args are required")
	}
	if args.Namespace == "" || args.RetentionDays < 1 || args.ZipPath == "" {
		return nil, fmt.Errorf("tenant usage %s: Namespace, RetentionDays and ZipPath are required", name)
	}
	c := &TenantUsage{}
	if err := ctx.RegisterComponentResource("tenantforge:obs:TenantUsage", name, c, opts...); err != nil {
		return nil, err
	}
	table, err := dynamodb.NewTable(ctx, name+"-table", &dynamodb.TableArgs{
		Name:        pulumi.String(UsageTableName(args.Namer)),
		BillingMode: pulumi.String("PAY_PER_REQUEST"),
		HashKey:     pulumi.String(billing.PartitionKey),
		RangeKey:    pulumi.String(billing.SortKey),
		Attributes: dynamodb.TableAttributeArray{
			dynamodb.TableAttributeArgs{Name: pulumi.String(billing.PartitionKey), Type: pulumi.String("S")},
			dynamodb.TableAttributeArgs{Name: pulumi.String(billing.SortKey), Type: pulumi.String("S")},
		},
		Ttl:                       &dynamodb.TableTtlArgs{AttributeName: pulumi.String(billing.TTLAttribute), Enabled: pulumi.Bool(true)},
		PointInTimeRecovery:       &dynamodb.TablePointInTimeRecoveryArgs{Enabled: pulumi.Bool(true)},
		ServerSideEncryption:      &dynamodb.TableServerSideEncryptionArgs{Enabled: pulumi.Bool(true)},
		DeletionProtectionEnabled: pulumi.Bool(args.DeletionProtection),
	}, pulumi.Parent(c))
	if err != nil {
		return nil, err
	}
	policy := table.Arn.ApplyT(func(arn string) (string, error) { return UsageFunctionPolicy(arn).JSON() }).(pulumi.StringOutput)
	fn, err := NewFunction(ctx, name+"-fn", &FunctionArgs{
		Name:             args.Namer.Name("usage", MaxLambdaName),
		Description:      "Daily per-tenant usage and estimated cost into the tenant-usage table",
		ZipPath:          args.ZipPath,
		MemoryMB:         256,
		TimeoutSeconds:   300,
		LogRetentionDays: args.LogRetentionDays,
		Environment: pulumi.StringMap{
			"USAGE_TABLE":          table.Name,
			obs.EnvNamespace:       pulumi.String(args.Namespace),
			"COST_TAG_KEY":         pulumi.String(CostAllocationTagKey),
			"USAGE_RETENTION_DAYS": pulumi.String(fmt.Sprint(args.RetentionDays)),
		},
		Policies: map[string]pulumi.StringInput{"usage": policy},
	}, pulumi.Parent(c))
	if err != nil {
		return nil, err
	}
	rule, err := cloudwatch.NewEventRule(ctx, name+"-daily", &cloudwatch.EventRuleArgs{
		Name:               pulumi.String(args.Namer.Name("usage-daily", 64)),
		Description:        pulumi.String("Computes yesterday's usage and estimated cost per tenant"),
		ScheduleExpression: pulumi.String(UsageSchedule),
	}, pulumi.Parent(c))
	if err != nil {
		return nil, err
	}
	permission, err := lambda.NewPermission(ctx, name+"-invoke", &lambda.PermissionArgs{
		Action:    pulumi.String("lambda:InvokeFunction"),
		Function:  fn.FunctionName,
		Principal: pulumi.String("events.amazonaws.com"),
		SourceArn: rule.Arn,
	}, pulumi.Parent(c))
	if err != nil {
		return nil, err
	}
	if _, err := cloudwatch.NewEventTarget(ctx, name+"-target", &cloudwatch.EventTargetArgs{
		Rule: rule.Name,
		Arn:  fn.FunctionArn,
	}, pulumi.Parent(c), pulumi.DependsOn([]pulumi.Resource{permission})); err != nil {
		return nil, err
	}
	c.TableName, c.TableArn, c.Function = table.Name, table.Arn, fn
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{"tableName": c.TableName, "tableArn": c.TableArn}); err != nil {
		return nil, err
	}
	return c, nil
}

// UsageFunctionPolicy lets the usage function read the per-tenant metrics
// and the account's cost (neither action supports resource-level
// permissions) and write the tenant-usage table; nothing else.
func UsageFunctionPolicy(usageTableArn string) PolicyDocument {
	return NewPolicy(
		Statement{Sid: "ReadUsageMetrics", Effect: "Allow", Action: []string{"cloudwatch:GetMetricData", "cloudwatch:ListMetrics"}, Resource: []string{"*"}},
		Statement{Sid: "ReadCost", Effect: "Allow", Action: []string{"ce:GetCostAndUsage"}, Resource: []string{"*"}},
		Statement{Sid: "WriteUsage", Effect: "Allow", Action: []string{"dynamodb:PutItem"}, Resource: []string{usageTableArn}},
	)
}

// UsageReadPolicy lets the tenants function read the usage records.
func UsageReadPolicy(usageTableArn string) PolicyDocument {
	return NewPolicy(Statement{Sid: "ReadUsage", Effect: "Allow", Action: []string{"dynamodb:Query"}, Resource: []string{usageTableArn}})
}

// UsageTableName is the usage records table's physical name. It must not
// start with the tenant stacks' prefix (<project>-<stack>-tenant-), which
// the tenant deployer may change.
func UsageTableName(n Namer) string { return n.Name("usage-records", MaxDynamoTableName) }
