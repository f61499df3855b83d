package controlplane

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	miniserver "github.com/truora/minidyn/server"

	"github.com/tenantforge/tenantforge/shared/httpx"
	"github.com/tenantforge/tenantforge/shared/registry"
)

func publicRouter(f *fixture, clock *time.Time) *httpx.Router {
	p := &Public{
		Registrar: f.reg, Registry: f.store, PlatformAPIURL: "https://api.example/api", CacheTTL: time.Minute,
		Identity: Identity{UserPoolID: f.pool.ID, AppClientID: f.pool.ClientID, Region: "eu-west-1", Endpoint: "https://cognito-idp.eu-west-1.amazonaws.com/"},
		Now:      func() time.Time { return *clock },
	}
	return p.Router(slog.New(slog.NewJSONHandler(io.Discard, nil)))
}

func serve(t *testing.T, r *httpx.Router, method, resource, path, body string, params map[string]string) (int, map[string]any) {
	t.Helper()
	resp, err := r.Serve(context.Background(), lambdaevents.APIGatewayProxyRequest{
		HTTPMethod: method, Resource: resource, Path: path, Body: body, PathParameters: params,
		Headers: map[string]string{"Content-Type": "application/json"},
	})
	require.NoError(t, err)
	var out map[string]any
	require.NoError(t, json.Unmarshal([]byte(resp.Body), &out), resp.Body)
	return resp.StatusCode, out
}

func TestPublicRoutes(t *testing.T) {
	f := newFixture(t)
	clock := time.Now()
	r := publicRouter(f, &clock)

	status, body := serve(t, r, "GET", "/tenant-config/{tenantName}", "/tenant-config/acme", "", map[string]string{"tenantName": "acme"})
	assert.Equal(t, 404, status)
	assert.Equal(t, "not_found", body["error"].(map[string]any)["code"])

	status, body = serve(t, r, "POST", "/registrations", "/registrations",
		`{"tenantName":"acme","adminEmail":"admin@acme.example","adminPassword":"`+password+`","tier":"basic"}`, nil)
	require.Equal(t, 201, status, body)
	id := body["tenantId"].(string)
	assert.Equal(t, map[string]any{"tenantId": id, "tenantName": "acme", "tier": "basic", "status": "active"}, body)

	status, body = serve(t, r, "POST", "/registrations", "/registrations",
		`{"tenantName":"acme","adminEmail":"admin@acme.example","adminPassword":"`+password+`","tier":"basic"}`, nil)
	assert.Equal(t, 409, status)
	assert.Equal(t, "name_taken", body["error"].(map[string]any)["code"])

	status, body = serve(t, r, "POST", "/registrations", "/registrations", `{"tenantName":"B!","adminEmail":"x","adminPassword":"y","tier":"z"}`, nil)
	assert.Equal(t, 400, status)
	assert.Len(t, body["error"].(map[string]any)["fields"], 4, "every bad field is named")
	status, _ = serve(t, r, "POST", "/registrations", "/registrations", `{"tenantName":"acme2","isAdmin":true}`, nil)
	assert.Equal(t, 400, status)

	clock = clock.Add(10 * time.Second) // past the short negative cache
	status, body = serve(t, r, "GET", "/tenant-config/{tenantName}", "/tenant-config/acme", "", map[string]string{"tenantName": "acme"})
	require.Equal(t, 200, status, body)
	assert.Equal(t, map[string]any{
		"tenantId": id, "tenantName": "acme", "tier": "basic", "apiUrl": "https://api.example/api",
		"identity": map[string]any{"userPoolId": f.pool.ID, "appClientId": f.pool.ClientID, "region": "eu-west-1", "endpoint": "https://cognito-idp.eu-west-1.amazonaws.com/"},
	}, body, "only what a client needs to sign in")
	assert.NotContains(t, body, "apiKeyValue")
	assert.NotContains(t, body, "adminEmail")
}

func TestTenantConfigHidesUnfinishedTenantsAndCaches(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	require.NoError(t, f.store.Reserve(ctx, &registry.Record{TenantID: "t000000000001", Name: "halfway", Tier: "basic", Status: registry.StatusRegistering, Version: 1}))
	clock := time.Now()
	r := publicRouter(f, &clock)
	status, _ := serve(t, r, "GET", "/tenant-config/{tenantName}", "/tenant-config/halfway", "", map[string]string{"tenantName": "halfway"})
	assert.Equal(t, 404, status, "a tenant still registering looks like no tenant")

	_, err := f.reg.Register(ctx, reg("acme", "admin@acme.example", "basic"))
	require.NoError(t, err)
	status, _ = serve(t, r, "GET", "/tenant-config/{tenantName}", "/tenant-config/acme", "", map[string]string{"tenantName": "acme"})
	require.Equal(t, 200, status)
	f.db.EmulateFailure(miniserver.FailureConditionInternalServerError) // the registry is down: the cached answer still serves
	defer f.db.EmulateFailure(miniserver.FailureConditionNone)
	status, _ = serve(t, r, "GET", "/tenant-config/{tenantName}", "/tenant-config/acme", "", map[string]string{"tenantName": "acme"})
	assert.Equal(t, 200, status, "a cached configuration must not need the registry")
}

// A name looked up before its registration resolves as soon as this
// instance registers it, not when the cached 404 expires.
func TestRegistrationForgetsTheNamesCached404(t *testing.T) {
	f := newFixture(t)
	clock := time.Now()
	r := publicRouter(f, &clock)
	status, _ := serve(t, r, "GET", "/tenant-config/{tenantName}", "/tenant-config/acme", "", map[string]string{"tenantName": "acme"})
	require.Equal(t, 404, status)
	status, body := serve(t, r, "POST", "/registrations", "/registrations",
		`{"tenantName":"acme","adminEmail":"admin@acme.example","adminPassword":"`+password+`","tier":"basic"}`, nil)
	require.Equal(t, 201, status, body)
	status, _ = serve(t, r, "GET", "/tenant-config/{tenantName}", "/tenant-config/acme", "", map[string]string{"tenantName": "acme"})
	assert.Equal(t, 200, status, "a tenant that just signed up could not sign in until the cached 404 expired")
}
