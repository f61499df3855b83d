package tests

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantforge/tenantforge/infra"
	"github.com/tenantforge/tenantforge/internal/mockcloud"
)

// The authorizer's role may write its own logs and traces and read tenant
// records: a leaked authorizer credential must not reach any tenant data.
func TestAuthorizerRoleIsExactlyLogsTracesAndRegistryRead(t *testing.T) {
	rec := run(t, "dev", stackConfig(t, "dev"), nil)
	role := find(t, rec, typeRole, "authorizer-fn-role")
	trust, err := role.PolicyInput("assumeRolePolicy")
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
		"Effect": "Allow", "Principal": map[string]any{"Service": "lambda.amazonaws.com"}, "Action": []any{"sts:AssumeRole"},
	}}}, trust)

	base, err := find(t, rec, typeRolePol, "authorizer-fn-base").PolicyInput("policy")
	require.NoError(t, err)
	assert.Equal(t, []any{
		map[string]any{"Sid": "OwnLogs", "Effect": "Allow", "Action": []any{"logs:CreateLogStream", "logs:PutLogEvents"},
			"Resource": []any{"arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/tenantforge-dev-authorizer:*"}},
		map[string]any{"Sid": "Tracing", "Effect": "Allow", "Action": []any{"xray:PutTraceSegments", "xray:PutTelemetryRecords"}, "Resource": []any{"*"}},
	}, base["Statement"])

	registry, err := find(t, rec, typeRolePol, "authorizer-fn-registry").PolicyInput("policy")
	require.NoError(t, err)
	assert.Equal(t, []any{map[string]any{"Sid": "ReadTenants", "Effect": "Allow", "Action": []any{"dynamodb:GetItem"},
		"Resource": []any{"arn:aws:dynamodb:eu-west-1:123456789012:table/tenantforge-dev-registry"}}}, registry["Statement"],
		"the authorizer reads tenant records and nothing else: not the pooled data table")
	assert.Len(t, policiesOf(rec, role), 2, "the authorizer's role has exactly its two policies")
}

func TestAuthorizerFunction(t *testing.T) {
	rec := run(t, "dev", stackConfig(t, "dev"), nil)
	fn := find(t, rec, typeLambda, "authorizer-fn")
	pool := find(t, rec, typeUserPool, "identity-users")
	client := find(t, rec, typeClient, "identity-web")
	assert.Equal(t, "tenantforge-dev-authorizer", fn.Input("name"))
	assert.Equal(t, "provided.al2023", fn.Input("runtime"))
	assert.Equal(t, "bootstrap", fn.Input("handler"))
	assert.Equal(t, []any{"arm64"}, fn.Input("architectures"))
	assert.Equal(t, map[string]any{"mode": "Active"}, fn.Input("tracingConfig"))
	assert.Equal(t, map[string]any{"logFormat": "JSON", "logGroup": "/aws/lambda/tenantforge-dev-authorizer"}, fn.Input("loggingConfig"))
	assert.Equal(t, map[string]any{"variables": map[string]any{
		"ISSUER_URL":           "https://cognito-idp.eu-west-1.amazonaws.com/" + pool.ID,
		"CLIENT_IDS":           client.ID,
		"REGISTRY_TABLE":       "tenantforge-dev-registry",
		"DECISION_TTL_SECONDS": "60",
	}}, fn.Input("environment"))
	assert.Equal(t, map[string]any{"archive": packages.Dir + "/authorizer.zip"}, fn.Input("code"), "the function ships the package `make build` wrote")
	assert.Equal(t, find(t, rec, typeRole, "authorizer-fn-role").Output("arn"), fn.Input("role"))
	logs := find(t, rec, typeLogGroup, "authorizer-fn-logs")
	assert.Equal(t, float64(14), logs.Input("retentionInDays"), "retention comes from logRetentionDays")
	assert.Contains(t, fn.Dependencies, find(t, rec, typeRolePol, "authorizer-fn-registry").URN,
		"the function must wait for its role's policies, or its first invocations fail")
	assert.Equal(t, fn.Output("arn"), rec.Outputs[infra.OutAuthorizerArn])
}

// policiesOf returns the inline policies attached to a role.
func policiesOf(rec *mockcloud.Recording, role *mockcloud.Resource) []*mockcloud.Resource {
	var out []*mockcloud.Resource
	for _, p := range rec.OfType(typeRolePol) {
		if p.Input("role") == role.Input("name") {
			out = append(out, p)
		}
	}
	return out
}
