package tests

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantforge/tenantforge/infra"
	"github.com/tenantforge/tenantforge/internal/mockcloud"
)

func statements(t *testing.T, r *mockcloud.Resource) []any {
	t.Helper()
	doc, err := r.PolicyInput("policy")
	require.NoError(t, err)
	return doc["Statement"].([]any)
}

// The pool group's functions can start tenant sessions and write their logs;
// they cannot read or write a single item on their own.
func TestPoolFunctionsHaveNoDataPermissions(t *testing.T) {
	rec := run(t, "dev", stackConfig(t, "dev"), nil)
	access := find(t, rec, typeRole, "pool-access-role")
	for _, fn := range infra.AppFunctions {
		role := find(t, rec, typeRole, "pool-"+fn+"-role")
		pols := policiesOf(rec, role)
		require.Len(t, pols, 2, "%s: logs and the tenant session, nothing more", fn)
		assert.Equal(t, []any{map[string]any{
			"Sid": "AssumeTenantRole", "Effect": "Allow", "Action": []any{"sts:AssumeRole", "sts:TagSession"},
			"Resource": []any{access.Output("arn")},
		}}, statements(t, find(t, rec, typeRolePol, "pool-"+fn+"-assume-tenant-role")))
		for _, p := range pols {
			assert.NotContains(t, p.Input("policy"), "dynamodb:", "pool function %s must have no DynamoDB permission of its own", fn)
		}
		lambda := find(t, rec, typeLambda, "pool-"+fn)
		assert.Equal(t, map[string]any{"variables": map[string]any{
			"TENANCY":         "pool",
			"TABLE_NAME":      "tenantforge-dev-pooled-data",
			"TENANT_ROLE_ARN": access.Output("arn"),
		}}, lambda.Input("environment"), "the computed tenant role ARN must be the role's real ARN")
		assert.Equal(t, "tenantforge-dev-pool-"+fn, lambda.Input("name"))
		assert.Nil(t, lambda.Input("reservedConcurrentExecutions"), "the pool group shares the account's concurrency")
		assert.Equal(t, float64(256), lambda.Input("memorySize"))
		assert.Equal(t, float64(10), lambda.Input("timeout"))
	}
}

func TestTenantAccessRoleTrustsOnlyThePoolFunctions(t *testing.T) {
	rec := run(t, "dev", stackConfig(t, "dev"), nil)
	access := find(t, rec, typeRole, "pool-access-role")
	trust, err := access.PolicyInput("assumeRolePolicy")
	require.NoError(t, err)
	assert.Equal(t, []any{map[string]any{
		"Sid": "PooledFunctionsWithTenantTag", "Effect": "Allow",
		"Principal": map[string]any{"AWS": []any{
			find(t, rec, typeRole, "pool-products-role").Output("arn"),
			find(t, rec, typeRole, "pool-orders-role").Output("arn"),
		}},
		"Action": []any{"sts:AssumeRole", "sts:TagSession"},
		"Condition": map[string]any{
			"StringLike":                map[string]any{"aws:RequestTag/tenant_id": "?*"},
			"ForAllValues:StringEquals": map[string]any{"aws:TagKeys": []any{"tenant_id"}},
		},
	}}, trust["Statement"], "only the pool functions may assume the tenant role, and only with the tenant tag")
	data := statements(t, find(t, rec, typeRolePol, "pool-access-data"))
	require.Len(t, data, 1)
	pooled := rec.Outputs[infra.OutPooledTableArn].(string)
	assert.Equal(t, []any{pooled, pooled + "/index/*"}, data[0].(map[string]any)["Resource"], "only the pooled table")
	assert.Equal(t, map[string]any{"ForAllValues:StringEquals": map[string]any{"dynamodb:LeadingKeys": []any{"${aws:PrincipalTag/tenant_id}"}}},
		data[0].(map[string]any)["Condition"])
	assert.Equal(t, access.Output("arn"), rec.Outputs[infra.OutTenantRoleArn])
}

func TestSiloGroupOwnsItsTableAndConcurrency(t *testing.T) {
	rec := run(t, "dev-tenant-example", stackConfig(t, "dev-tenant-example"), platformOutputs(t))
	table := find(t, rec, typeTable, "silo-data-table")
	for _, fn := range infra.AppFunctions {
		role := find(t, rec, typeRole, "silo-"+fn+"-role")
		require.Len(t, policiesOf(rec, role), 2)
		assert.Equal(t, []any{map[string]any{
			"Sid": "OwnTenantTable", "Effect": "Allow",
			"Action":   []any{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Query", "dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem"},
			"Resource": []any{table.Output("arn"), table.Output("arn").(string) + "/index/*"},
		}}, statements(t, find(t, rec, typeRolePol, "silo-"+fn+"-own-table")), "a silo function reaches its own table and no other")
		lambda := find(t, rec, typeLambda, "silo-"+fn)
		assert.Equal(t, float64(20), lambda.Input("reservedConcurrentExecutions"), "reserved concurrency comes from the platinum tier")
		assert.Equal(t, map[string]any{"variables": map[string]any{
			"TENANCY": "silo", "TENANT_ID": "example", "TABLE_NAME": "tenantforge-dev-tenant-example-data",
		}}, lambda.Input("environment"))
	}
	for _, r := range rec.Resources {
		if tags, ok := r.Output("tagsAll").(map[string]any); ok {
			assert.Equal(t, "example", tags["tenant-id"], "%s %s must carry the tenant-id tag for cost attribution", r.Type, r.Name)
		}
	}
}

// Pooled tenants are data, not infrastructure; a silo tenant is one stack
// of a fixed, small set of resources, none billed by the hour.
func TestTenantsCostNoStandingInfrastructure(t *testing.T) {
	refs := platformOutputs(t)
	a := run(t, "dev-tenant-example", stackConfig(t, "dev-tenant-example"), refs)
	b := run(t, "dev-tenant-globex", stackConfig(t, "dev-tenant-example", "tenant", `{"id":"globex","name":"globex","tier":"platinum"}`), refs)
	assert.Equal(t, a.CountByType(), b.CountByType(), "every silo tenant stack must have the same resource set")
	assert.Len(t, a.Resources, 41, "a silo tenant stack is small") // 29, plus the live aliases and their release (12)
	hourly := []string{"aws:ec2/natGateway", "aws:ec2/instance", "aws:rds/", "aws:elasticache/", "aws:opensearch/", "aws:lb/", "aws:alb/",
		"aws:kinesis/", "aws:ec2/vpcEndpoint", "aws:apigateway/vpcLink", "awsx:ec2:Vpc", "aws:ec2/eip"}
	for _, r := range a.Resources {
		for _, h := range hourly {
			assert.False(t, strings.HasPrefix(r.Type, h), "%s %s is billed by the hour", r.Type, r.Name)
		}
		if r.Type == typeTable {
			assert.Equal(t, "PAY_PER_REQUEST", r.Input("billingMode"))
		}
	}
	// Pooled tenants are not part of any stack's configuration: signing one
	// up changes no resource (TestPlatformStackResourceSet pins the set).
}
