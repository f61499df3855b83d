package apidef

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantforge/tenantforge/shared/tenancy"
)

func values() map[string]string {
	return map[string]string{
		"fn:products":   "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:p/invocations",
		"fn:orders":     "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:o/invocations",
		"authorizer":    "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:a/invocations",
		"authorizerTtl": "60",
	}
}

// The definition and the permission table describe the same application
// routes: a route in one and not the other would be unreachable or unguarded.
func TestApplicationRoutesMatchThePermissionTable(t *testing.T) {
	routes, err := Routes(Application)
	require.NoError(t, err)
	var fromDef, fromTable []string
	for _, r := range routes {
		fromDef = append(fromDef, r.Method+" "+r.Path)
		assert.Contains(t, []string{"products", "orders"}, r.Service, "%s %s has no function", r.Method, r.Path)
		assert.True(t, strings.HasPrefix(r.Path, "/"+r.Service), "%s %s is served by %s", r.Method, r.Path, r.Service)
	}
	for _, r := range tenancy.Routes {
		if strings.HasPrefix(r.Path, "/products") || strings.HasPrefix(r.Path, "/orders") {
			fromTable = append(fromTable, r.Method+" "+r.Path)
		}
	}
	assert.ElementsMatch(t, fromTable, fromDef)
	assert.Len(t, routes, 10)
}

func TestRenderFillsEveryPlaceholder(t *testing.T) {
	body, err := Render(Application, values())
	require.NoError(t, err)
	assert.NotContains(t, body, "${", "an unfilled placeholder would reach API Gateway")
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &doc))
	assert.Equal(t, "AUTHORIZER", doc["x-amazon-apigateway-api-key-source"], "the authorizer names each tenant's API key")
	assert.Equal(t, "all", doc["x-amazon-apigateway-request-validator"])
	auth := doc["components"].(map[string]any)["securitySchemes"].(map[string]any)["tenantAuthorizer"].(map[string]any)["x-amazon-apigateway-authorizer"].(map[string]any)
	assert.Equal(t, float64(60), auth["authorizerResultTtlInSeconds"], "numbers stay numbers")
	assert.Equal(t, values()["authorizer"], auth["authorizerUri"])
	get := doc["paths"].(map[string]any)["/orders/{orderId}"].(map[string]any)["get"].(map[string]any)
	assert.Equal(t, values()["fn:orders"], get["x-amazon-apigateway-integration"].(map[string]any)["uri"])
	assert.NotContains(t, doc, "x-tenantforge-integrations")
}

func TestRenderRefusesMissingOrUnusedValues(t *testing.T) {
	v := values()
	delete(v, "fn:orders")
	_, err := Render(Application, v)
	assert.ErrorContains(t, err, "no value for [fn:orders]")
	v = values()
	v["fn:invoices"] = "x"
	_, err = Render(Application, v)
	assert.ErrorContains(t, err, `"fn:invoices" is used by no route`)
	_, err = Render([]byte("just: text"), values())
	assert.Error(t, err)
}

// The platform API is the control plane plus the application: together
// they hold the public routes of the permission table and every route of
// the products and orders services.
func TestPlatformDefinitionMergesControlPlaneAndApplication(t *testing.T) {
	merged, err := Merge(Application, ControlPlane)
	require.NoError(t, err)
	routes, err := Routes(merged)
	require.NoError(t, err)
	var got []string
	for _, r := range routes {
		got = append(got, r.Method+" "+r.Path+" "+r.Service)
	}
	assert.Contains(t, got, "POST /registrations registration")
	assert.Contains(t, got, "GET /tenant-config/{tenantName} registration")
	assert.Contains(t, got, "POST /tenants/{tenantId}/suspend tenants")
	assert.Contains(t, got, "GET /tenants/{tenantId}/usage tenants")
	assert.Contains(t, got, "PATCH /tenants/{tenantId} tenants", "SystemAdmins change tiers and names through the tenants function")
	assert.Contains(t, got, "DELETE /tenants/{tenantId} tenants", "SystemAdmins offboard through the tenants function")
	assert.Len(t, routes, 26)
	for _, r := range tenancy.Routes {
		if strings.HasPrefix(r.Path, "/users") {
			assert.Contains(t, got, r.Method+" "+r.Path+" users", "users route %s %s must be served by the users function", r.Method, r.Path)
		}
	}
	for _, r := range tenancy.Routes {
		if r.Public {
			assert.Contains(t, got, r.Method+" "+r.Path+" registration", "public route %s %s must be on the platform API", r.Method, r.Path)
		}
	}
	v := values()
	v["fn:registration"] = "arn:reg"
	v["fn:tenants"] = "arn:tenants"
	v["fn:users"] = "arn:users"
	body, err := Render(merged, v)
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &doc))
	post := doc["paths"].(map[string]any)["/registrations"].(map[string]any)["post"].(map[string]any)
	assert.Equal(t, []any{}, post["security"], "registration is public: no authorizer, no API key")
	assert.Contains(t, doc["components"].(map[string]any)["schemas"], "Registration")
	list := doc["paths"].(map[string]any)["/tenants"].(map[string]any)["get"].(map[string]any)
	assert.Equal(t, []any{map[string]any{"tenantAuthorizer": []any{}}}, list["security"], "tenant routes need a token, not an API key")

	_, err = Merge(Application, Application)
	assert.ErrorContains(t, err, "defined twice")
}

// The platform API serves exactly the permission table: a route the table
// lists but the API lacks would be a 403 from API Gateway, and a route the
// API serves but the table lacks would be allowed to nobody by the
// authorizer (or, if public, to everybody without its review).
func TestPlatformAPIServesExactlyThePermissionTable(t *testing.T) {
	merged, err := Merge(Application, ControlPlane)
	require.NoError(t, err)
	routes, err := Routes(merged)
	require.NoError(t, err)
	var served, table []string
	for _, r := range routes {
		served = append(served, r.Method+" "+r.Path)
	}
	for _, r := range tenancy.Routes {
		table = append(table, r.Method+" "+r.Path)
	}
	assert.ElementsMatch(t, table, served, "the platform API and the permission table disagree")
}
