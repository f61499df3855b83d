package controlplane

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"

	lambdaevents "github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantforge/tenantforge/shared/billing"
	"github.com/tenantforge/tenantforge/shared/httpx"
	"github.com/tenantforge/tenantforge/shared/registry"
	"github.com/tenantforge/tenantforge/shared/tenancy"
)

func call(t *testing.T, r *httpx.Router, tenant, role, method, resource, path string) (int, map[string]any) {
	t.Helper()
	params := map[string]string{}
	if strings.Contains(resource, "{tenantId}") {
		params["tenantId"] = strings.Split(path, "/")[2]
	}
	resp, err := r.Serve(context.Background(), lambdaevents.APIGatewayProxyRequest{
		HTTPMethod: method, Resource: resource, Path: path, PathParameters: params,
		RequestContext: lambdaevents.APIGatewayProxyRequestContext{Authorizer: map[string]any{"tenantId": tenant, "role": role}},
	})
	require.NoError(t, err)
	var out map[string]any
	require.NoError(t, json.Unmarshal([]byte(resp.Body), &out), resp.Body)
	return resp.StatusCode, out
}

func TestTenantsRoutes(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	acme, err := f.reg.Register(ctx, reg("acme", "admin@acme.example", "basic"))
	require.NoError(t, err)
	globex, err := f.reg.Register(ctx, reg("globex", "admin@globex.example", "basic"))
	require.NoError(t, err)
	r := (&Tenants{Registry: f.store, Users: f.dir.Directory.(*CognitoDirectory)}).Router(slog.New(slog.NewJSONHandler(io.Discard, nil)))
	sys := tenancy.SystemTenantID

	status, list := call(t, r, sys, "SystemAdmin", "GET", "/tenants", "/tenants")
	require.Equal(t, 200, status, list)
	assert.Len(t, list["items"], 2)
	assert.NotContains(t, list["items"].([]any)[0], "apiKeyValue", "API keys are never shown")
	assert.NotContains(t, list["items"].([]any)[0], "adminEmail")

	status, own := call(t, r, acme.TenantID, "TenantAdmin", "GET", "/tenants/{tenantId}", "/tenants/"+acme.TenantID)
	assert.Equal(t, 200, status)
	assert.Equal(t, "acme", own["tenantName"])
	status, _ = call(t, r, acme.TenantID, "TenantAdmin", "GET", "/tenants/{tenantId}", "/tenants/"+globex.TenantID)
	assert.Equal(t, 404, status, "a TenantAdmin must not read another tenant's record")
	status, _ = call(t, r, acme.TenantID, "TenantUser", "GET", "/tenants", "/tenants")
	assert.Equal(t, 403, status)
	status, _ = call(t, r, acme.TenantID, "TenantAdmin", "POST", "/tenants/{tenantId}/suspend", "/tenants/"+acme.TenantID+"/suspend")
	assert.Equal(t, 403, status, "only a SystemAdmin suspends")

	status, body := call(t, r, sys, "SystemAdmin", "POST", "/tenants/{tenantId}/suspend", "/tenants/"+acme.TenantID+"/suspend")
	require.Equal(t, 200, status, body)
	assert.Equal(t, "suspended", body["status"])
	// cognito-local does not refuse disabled users at sign-in (Cognito
	// does), so the users' Enabled flag is what is checked here.
	assert.False(t, f.enabled(t, "admin@acme.example"), "a suspended tenant's users must be disabled")
	assert.True(t, f.enabled(t, "admin@globex.example"), "other tenants are untouched")

	status, body = call(t, r, sys, "SystemAdmin", "POST", "/tenants/{tenantId}/activate", "/tenants/"+acme.TenantID+"/activate")
	require.Equal(t, 200, status, body)
	assert.Equal(t, "active", body["status"])
	assert.True(t, f.enabled(t, "admin@acme.example"))
	require.NoError(t, f.signIn(t, "admin@acme.example"))

	status, _ = call(t, r, sys, "SystemAdmin", "GET", "/tenants/{tenantId}", "/tenants/t000000000000")
	assert.Equal(t, 404, status)
	status, _ = call(t, r, sys, "SystemAdmin", "POST", "/tenants/{tenantId}/suspend", "/tenants/t000000000000/suspend")
	assert.Equal(t, 404, status)
}

func (f *fixture) enabled(t *testing.T, email string) bool {
	t.Helper()
	u, err := f.cip.AdminGetUser(context.Background(), &cip.AdminGetUserInput{UserPoolId: aws.String(f.pool.ID), Username: aws.String(email)})
	require.NoError(t, err)
	return u.Enabled
}

type usageRecords map[string][]billing.Record

func (u usageRecords) List(_ context.Context, tenantID string, days int) ([]billing.Record, error) {
	recs := u[tenantID]
	return recs[:min(days, len(recs))], nil
}

func TestTenantUsageIsForSystemAdminsOnly(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	acme, err := f.reg.Register(ctx, reg("acme", "admin@acme.example", "basic"))
	require.NoError(t, err)
	usage := usageRecords{acme.TenantID: {
		{TenantID: acme.TenantID, Day: "2026-12-01", Requests: 40, EstimatedCostUSD: 0.12, CostBasis: billing.BasisPoolShare, PoolShare: 0.4},
		{TenantID: acme.TenantID, Day: "2026-11-30", Requests: 10, EstimatedCostUSD: 0.03, CostBasis: billing.BasisPoolShare},
	}}
	r := (&Tenants{Registry: f.store, Users: f.dir.Directory.(*CognitoDirectory), Usage: usage}).Router(slog.New(slog.NewJSONHandler(io.Discard, nil)))
	path := "/tenants/" + acme.TenantID + "/usage"

	status, body := call(t, r, tenancy.SystemTenantID, "SystemAdmin", "GET", "/tenants/{tenantId}/usage", path)
	require.Equal(t, 200, status, body)
	assert.Equal(t, acme.TenantID, body["tenantId"])
	days := body["days"].([]any)
	require.Len(t, days, 2)
	assert.Equal(t, map[string]any{"day": "2026-12-01", "requests": 40.0, "itemsWritten": 0.0, "readCapacityUnits": 0.0, "writeCapacityUnits": 0.0,
		"estimatedCostUsd": 0.12, "costBasis": "pool-share", "poolShare": 0.4, "computedAt": ""}, days[0])

	status, _ = call(t, r, acme.TenantID, "TenantAdmin", "GET", "/tenants/{tenantId}/usage", path)
	assert.Equal(t, 403, status, "a TenantAdmin must not read the platform's cost attribution")
	status, _ = call(t, r, tenancy.SystemTenantID, "SystemAdmin", "GET", "/tenants/{tenantId}/usage", "/tenants/nobody/usage")
	assert.Equal(t, 404, status, "an unknown tenant has no usage, not an empty one")

	resp, err := r.Serve(ctx, lambdaevents.APIGatewayProxyRequest{HTTPMethod: "GET", Resource: "/tenants/{tenantId}/usage", Path: path,
		PathParameters: map[string]string{"tenantId": acme.TenantID}, QueryStringParameters: map[string]string{"days": "0"},
		RequestContext: lambdaevents.APIGatewayProxyRequestContext{Authorizer: map[string]any{"tenantId": tenancy.SystemTenantID, "role": "SystemAdmin"}}})
	require.NoError(t, err)
	assert.Equal(t, 400, resp.StatusCode)
	assert.Contains(t, resp.Body, "days")
}

// downRegistry is a registry table whose every call fails as the SDK
// fails when DynamoDB throttles or is unreachable.
type downRegistry struct{}

func (downRegistry) fail(op string) error {
	return &smithy.OperationError{ServiceID: "DynamoDB", OperationName: op, Err: errors.New("ProvisionedThroughputExceededException: rate of requests exceeds the allowed throughput")}
}
func (d downRegistry) Scan(context.Context, *dynamodb.ScanInput, ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error) {
	return nil, d.fail("Scan")
}
func (d downRegistry) GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	return nil, d.fail("GetItem")
}
func (d downRegistry) PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	return nil, d.fail("PutItem")
}
func (d downRegistry) DeleteItem(context.Context, *dynamodb.DeleteItemInput, ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	return nil, d.fail("DeleteItem")
}
func (d downRegistry) Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	return nil, d.fail("Query")
}
func (d downRegistry) TransactWriteItems(context.Context, *dynamodb.TransactWriteItemsInput, ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	return nil, d.fail("TransactWriteItems")
}

// A registry outage is a 503 the caller may retry on every tenants route,
// never a 500 that reads as a bug (and never a 404 that reads as "no such
// tenant").
func TestTenantsRoutesAnswer503WhenTheRegistryIsDown(t *testing.T) {
	r := (&Tenants{Registry: registry.New(downRegistry{}, "registry")}).Router(slog.New(slog.NewJSONHandler(io.Discard, nil)))
	sys := tenancy.SystemTenantID
	for _, tc := range []struct{ method, resource, path string }{
		{"GET", "/tenants", "/tenants"},
		{"GET", "/tenants/{tenantId}", "/tenants/tacme00000001"},
		{"POST", "/tenants/{tenantId}/suspend", "/tenants/tacme00000001/suspend"},
		{"POST", "/tenants/{tenantId}/activate", "/tenants/tacme00000001/activate"},
		{"DELETE", "/tenants/{tenantId}", "/tenants/tacme00000001"},
	} {
		status, body := call(t, r, sys, "SystemAdmin", tc.method, tc.resource, tc.path)
		assert.Equal(t, 503, status, "%s %s with the registry down answered %d %v: a retryable outage must be a 503", tc.method, tc.path, status, body)
		assert.Equal(t, "unavailable", code(body))
	}
}

// A tenant id or name longer than any tenant's (63 characters) is a 404
// without a registry read: DynamoDB refuses a key over 2 KB, which made
// GET /tenant-config/<5,000 characters> a 5xx.
// The registry here is down, so any read would answer 503.
func TestMalformedIdsAndNamesAre404WithoutARegistryRead(t *testing.T) {
	store := registry.New(downRegistry{}, "registry")
	tenants := (&Tenants{Registry: store}).Router(slog.New(slog.NewJSONHandler(io.Discard, nil)))
	public := (&Public{Registry: store}).Router(slog.New(slog.NewJSONHandler(io.Discard, nil)))
	long := strings.Repeat("a", 5000)
	for _, bad := range []string{long, strings.Repeat("b", 64)} {
		status, body := call(t, tenants, tenancy.SystemTenantID, "SystemAdmin", "GET", "/tenants/{tenantId}", "/tenants/"+bad)
		assert.Equal(t, 404, status, "GET /tenants/%.20s answered %d %v: a malformed id must be a 404, not a registry call", bad, status, body)
		resp, err := public.Serve(context.Background(), lambdaevents.APIGatewayProxyRequest{HTTPMethod: "GET", Resource: "/tenant-config/{tenantName}",
			Path: "/tenant-config/" + bad, PathParameters: map[string]string{"tenantName": bad}})
		require.NoError(t, err)
		assert.Equal(t, 404, resp.StatusCode, "GET /tenant-config/%.20s answered %d %s: a malformed name must be a 404, not a registry call", bad, resp.StatusCode, resp.Body)
	}
}
