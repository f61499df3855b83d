package tests

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantforge/tenantforge/infra"
)

const (
	typeRestAPI    = "aws:apigateway/restApi:RestApi"
	typeDeployment = "aws:apigateway/deployment:Deployment"
	typeStage      = "aws:apigateway/stage:Stage"
	typeMethodSet  = "aws:apigateway/methodSettings:MethodSettings"
	typeUsagePlan  = "aws:apigateway/usagePlan:UsagePlan"
	typePermission = "aws:lambda/permission:Permission"
	typeAccount    = "aws:apigateway/account:Account"
	typeAlias      = "aws:lambda/alias:Alias"
)

func TestPlatformAPIIsBuiltFromTheDefinition(t *testing.T) {
	rec := run(t, "dev", stackConfig(t, "dev"), nil)
	rest := find(t, rec, typeRestAPI, "platform-api-rest")
	body := rest.Input("body").(string)
	assert.NotContains(t, body, "${", "an unfilled placeholder would reach API Gateway")
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &doc))
	assert.Equal(t, "AUTHORIZER", doc["x-amazon-apigateway-api-key-source"])
	paths := doc["paths"].(map[string]any)
	integration := func(path, method string) string {
		return paths[path].(map[string]any)[method].(map[string]any)["x-amazon-apigateway-integration"].(map[string]any)["uri"].(string)
	}
	assert.Equal(t, find(t, rec, typeAlias, "pool-products-live").Output("invokeArn"), integration("/products/{productId}", "put"),
		"the API must invoke the live alias, or CodeDeploy's traffic shifting and rollback would not reach callers")
	assert.Equal(t, find(t, rec, typeAlias, "pool-orders-live").Output("invokeArn"), integration("/orders", "post"))
	authz := doc["components"].(map[string]any)["securitySchemes"].(map[string]any)["tenantAuthorizer"].(map[string]any)["x-amazon-apigateway-authorizer"].(map[string]any)
	assert.Equal(t, find(t, rec, typeLambda, "authorizer-fn").Output("invokeArn"), authz["authorizerUri"])
	assert.Equal(t, float64(60), authz["authorizerResultTtlInSeconds"], "API Gateway's decision cache follows identity.authorizerCacheSeconds")

	sum := sha256.Sum256([]byte(body))
	assert.Equal(t, map[string]any{"definition": hex.EncodeToString(sum[:])}, find(t, rec, typeDeployment, "platform-api-deployment").Input("triggers"),
		"a changed definition must redeploy the stage")

	stage := find(t, rec, typeStage, "platform-api-stage")
	assert.Equal(t, "api", stage.Input("stageName"), "CloudFront sends /api/* here")
	assert.Equal(t, true, stage.Input("xrayTracingEnabled"))
	logs := find(t, rec, typeLogGroup, "platform-api-access-logs")
	assert.Equal(t, map[string]any{"destinationArn": logs.Output("arn"), "format": infra.AccessLogFormat}, stage.Input("accessLogSettings"))
	var line map[string]any
	require.NoError(t, json.Unmarshal([]byte(infra.AccessLogFormat), &line), "the access log format must be JSON")
	assert.Equal(t, "$context.authorizer.tenantId", line["tenantId"])
	assert.Equal(t, rec.Outputs[infra.OutAPIURL], stage.Output("invokeUrl"))

	settings := find(t, rec, typeMethodSet, "platform-api-defaults")
	assert.Equal(t, map[string]any{"metricsEnabled": true, "throttlingRateLimit": float64(400), "throttlingBurstLimit": float64(800)}, settings.Input("settings"),
		"the stage ceiling is twice the largest pooled tier (premium)")
	assert.Len(t, rec.OfType(typeAccount), 1, "the platform stack sets API Gateway's CloudWatch role")
}

func TestUsagePlansPerTier(t *testing.T) {
	rec := run(t, "dev", stackConfig(t, "dev"), nil)
	plans := map[string]any{}
	for _, p := range rec.OfType(typeUsagePlan) {
		plans[p.Name] = []any{p.Input("throttleSettings"), p.Input("quotaSettings")}
		assert.Equal(t, []any{map[string]any{"apiId": find(t, rec, typeRestAPI, "platform-api-rest").ID, "stage": "api"}}, p.Input("apiStages"))
	}
	assert.Equal(t, map[string]any{
		"platform-api-plan-basic":    []any{map[string]any{"rateLimit": float64(10), "burstLimit": float64(20)}, map[string]any{"limit": float64(10000), "period": "DAY"}},
		"platform-api-plan-standard": []any{map[string]any{"rateLimit": float64(50), "burstLimit": float64(100)}, map[string]any{"limit": float64(100000), "period": "DAY"}},
		"platform-api-plan-premium":  []any{map[string]any{"rateLimit": float64(200), "burstLimit": float64(400)}, map[string]any{"limit": float64(1000000), "period": "DAY"}},
	}, plans, "one plan per pooled tier, with the tier's limits; silo tiers get theirs on the tenant's own API")
	ids := rec.Outputs[infra.OutUsagePlanIDs].(map[string]any)
	assert.Len(t, ids, 3)
}

func TestLambdaPermissionsAreScopedToTheAPI(t *testing.T) {
	rec := run(t, "dev", stackConfig(t, "dev"), nil)
	exec := find(t, rec, typeRestAPI, "platform-api-rest").Output("executionArn").(string)
	got := map[string]any{}
	for _, p := range rec.OfType(typePermission) {
		assert.Equal(t, "apigateway.amazonaws.com", p.Input("principal"))
		assert.Equal(t, "lambda:InvokeFunction", p.Input("action"))
		got[p.Input("function").(string)] = p.Input("sourceArn")
	}
	assert.Equal(t, map[string]any{
		"tenantforge-dev-pool-products": exec + "/api/*/*",
		"tenantforge-dev-pool-orders":   exec + "/api/*/*",
		"tenantforge-dev-registration":  exec + "/api/*/*",
		"tenantforge-dev-tenants":       exec + "/api/*/*",
		"tenantforge-dev-users":         exec + "/api/*/*",
		"tenantforge-dev-authorizer":    exec + "/authorizers/*",
	}, got, "only this API's stage may invoke the functions")
}

func TestSiloTenantHasItsOwnAPI(t *testing.T) {
	platform := platformOutputs(t)
	rec := run(t, "dev-tenant-example", stackConfig(t, "dev-tenant-example"), platform)
	rest := find(t, rec, typeRestAPI, "tenant-api-rest")
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(rest.Input("body").(string)), &doc))
	authz := doc["components"].(map[string]any)["securitySchemes"].(map[string]any)["tenantAuthorizer"].(map[string]any)["x-amazon-apigateway-authorizer"].(map[string]any)
	assert.Equal(t, platform["organization/tenantforge/dev"][infra.OutAuthorizerInvoke], authz["authorizerUri"], "the silo API uses the platform's authorizer")
	plans := rec.OfType(typeUsagePlan)
	require.Len(t, plans, 1, "a silo tenant's API has its tier's plan only")
	assert.Equal(t, map[string]any{"rateLimit": float64(1000), "burstLimit": float64(2000)}, plans[0].Input("throttleSettings"))
	assert.Empty(t, rec.OfType(typeAccount), "the account-wide CloudWatch role belongs to the platform stack")
	perm := find(t, rec, typePermission, "tenant-api-invoke-authorizer")
	assert.Equal(t, platform["organization/tenantforge/dev"][infra.OutAuthorizerName], perm.Input("function"))
	assert.Regexp(t, `^https://[0-9a-f]{10}\.execute-api\.eu-west-1\.amazonaws\.com/api$`, rec.Outputs[infra.OutAPIURL])
}
