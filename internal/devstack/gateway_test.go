package devstack

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantforge/tenantforge/shared/apidef"
	"github.com/tenantforge/tenantforge/shared/auth"
)

// testGateway is the platform API's definition with recording functions
// and an authorizer that knows two tokens.
func testGateway(t *testing.T, limits Limits) (*Gateway, *[]events.APIGatewayProxyRequest, string) {
	t.Helper()
	def, err := apidef.Merge(apidef.Application, apidef.ControlPlane)
	require.NoError(t, err)
	var seen []events.APIGatewayProxyRequest
	fn := func(_ context.Context, ev events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		seen = append(seen, ev)
		if ev.Path == "/orders/boom" {
			return events.APIGatewayProxyResponse{}, errors.New("crash")
		}
		return events.APIGatewayProxyResponse{StatusCode: 200, Headers: map[string]string{"Content-Type": "application/json"}, Body: `{"ok":true}`}, nil
	}
	keys := newKeys(map[string]Limits{"plan": limits})
	_, key, err := keys.Create(context.Background(), "acme", "plan")
	require.NoError(t, err)
	authz := func(_ context.Context, req events.APIGatewayCustomAuthorizerRequestTypeRequest) (events.APIGatewayCustomAuthorizerResponse, error) {
		prefix := req.MethodArn[:strings.Index(req.MethodArn, "/api/")+5]
		switch req.Headers["Authorization"] {
		case "Bearer good":
			return events.APIGatewayCustomAuthorizerResponse{PrincipalID: "u1", UsageIdentifierKey: key,
				Context: map[string]any{"tenantId": "acme", "role": "TenantAdmin", "tier": "basic", "userId": "u1"},
				PolicyDocument: events.APIGatewayCustomAuthorizerPolicy{Statement: []events.IAMPolicyStatement{
					{Action: []string{"execute-api:Invoke"}, Effect: "Allow", Resource: []string{prefix + "GET/products", prefix + "GET/products/*", prefix + "GET/orders/*", prefix + "POST/products"}}}}}, nil
		case "Bearer suspended":
			return events.APIGatewayCustomAuthorizerResponse{PrincipalID: "u2", PolicyDocument: events.APIGatewayCustomAuthorizerPolicy{Statement: []events.IAMPolicyStatement{
				{Action: []string{"execute-api:Invoke"}, Effect: "Deny", Resource: []string{prefix + "*"}}}}}, nil
		case "Bearer broken":
			return events.APIGatewayCustomAuthorizerResponse{}, errors.New("registry down")
		}
		return events.APIGatewayCustomAuthorizerResponse{}, auth.ErrUnauthorized
	}
	routes, err := apidef.Routes(def)
	require.NoError(t, err)
	functions := map[string]Function{}
	for _, r := range routes {
		functions[r.Service] = fn
	}
	g, err := newGateway("platform", "api1", "eu-west-1", def, functions, authz, keys, func(id string) bool { return id == "plan" }, &Recorder{})
	require.NoError(t, err)
	return g, &seen, key
}

func call(g *Gateway, method, path, token, body string) (int, map[string]any) {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	g.ServeHTTP(rec, req)
	var m map[string]any
	b, _ := io.ReadAll(rec.Body)
	_ = json.Unmarshal(b, &m)
	return rec.Code, m
}

func errCode(m map[string]any) string {
	e, _ := m["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

var roomy = Limits{Rate: 100, Burst: 100, QuotaPerDay: 1000}

func TestGatewayBuildsProxyEventsAsAPIGateway(t *testing.T) {
	g, seen, key := testGateway(t, roomy)
	status, _ := call(g, "GET", "/products/p1?limit=5&limit=7", "good", "")
	require.Equal(t, http.StatusOK, status)
	require.Len(t, *seen, 1)
	ev := (*seen)[0]
	assert.Equal(t, "/products/{productId}", ev.Resource, "the resource is the definition's path template")
	assert.Equal(t, "/products/p1", ev.Path)
	assert.Equal(t, map[string]string{"productId": "p1"}, ev.PathParameters)
	assert.Equal(t, "7", ev.QueryStringParameters["limit"], "the single-value query keeps the last value")
	assert.Equal(t, []string{"5", "7"}, ev.MultiValueQueryStringParameters["limit"])
	assert.Equal(t, "api", ev.RequestContext.Stage)
	assert.Equal(t, "/api/products/p1", ev.RequestContext.Path)
	assert.Equal(t, "/products/{productId}", ev.RequestContext.ResourcePath)
	assert.Equal(t, "api1", ev.RequestContext.APIID)
	assert.Equal(t, key, ev.RequestContext.Identity.APIKey)
	assert.Equal(t, "acme", ev.RequestContext.Authorizer["tenantId"])
	assert.Equal(t, "TenantAdmin", ev.RequestContext.Authorizer["role"])
	assert.Equal(t, "u1", ev.RequestContext.Authorizer["principalId"])
	assert.NotEmpty(t, ev.RequestContext.RequestID)
}

func TestGatewayAnswersAsAPIGateway(t *testing.T) {
	g, seen, _ := testGateway(t, roomy)
	for name, tc := range map[string]struct {
		method, path, token, body string
		status                    int
		code                      string
	}{
		"no token":                   {"GET", "/products", "", "", 401, "unauthenticated"},
		"bad token":                  {"GET", "/products", "forged", "", 401, "unauthenticated"},
		"denied by the policy":       {"GET", "/products", "suspended", "", 403, "forbidden"},
		"route outside the policy":   {"DELETE", "/products/p1", "good", "", 403, "forbidden"},
		"authorizer failure":         {"GET", "/products", "broken", "", 500, "internal"},
		"body against the schema":    {"POST", "/products", "good", `{"name":"x","price":1.5}`, 400, "invalid_request"},
		"unknown field":              {"POST", "/products", "good", `{"name":"x","price":1,"tenantId":"other"}`, 400, "invalid_request"},
		"public route without token": {"GET", "/tenant-config/acme", "", "", 200, ""},
		"function error":             {"GET", "/orders/boom", "good", "", 502, "internal"},
	} {
		before := len(*seen)
		status, body := call(g, tc.method, tc.path, tc.token, tc.body)
		assert.Equal(t, tc.status, status, name)
		assert.Equal(t, tc.code, errCode(body), name)
		if tc.status == 401 || tc.status == 403 || (tc.status == 400 && tc.method == "POST") {
			assert.Equal(t, before, len(*seen), "%s: the function must not be called", name)
		}
	}
	status, body := call(g, "GET", "/nowhere", "good", "")
	assert.Equal(t, http.StatusForbidden, status)
	assert.Equal(t, "Missing Authentication Token", body["message"], "API Gateway's answer to an unknown route")
}

func TestGatewayRefusesAnUnwiredRoute(t *testing.T) {
	_, err := newGateway("platform", "api1", "eu-west-1", apidef.Application, map[string]Function{"products": nil}, nil, nil, nil, &Recorder{})
	assert.ErrorContains(t, err, `no function for service "orders"`, "a route without a function must stop the local stack, not answer 500 later")
}

func TestGatewayThrottlesTheKey(t *testing.T) {
	g, _, _ := testGateway(t, Limits{Rate: 1, Burst: 2, QuotaPerDay: 100})
	codes := map[int]int{}
	for i := 0; i < 5; i++ {
		status, body := call(g, "GET", "/products", "good", "")
		codes[status]++
		if status == http.StatusTooManyRequests {
			assert.Equal(t, "throttled", errCode(body), "the definition's THROTTLED response")
		}
	}
	assert.Equal(t, 2, codes[http.StatusOK], "a burst of 2 lets two requests through at once")
	assert.Equal(t, 3, codes[http.StatusTooManyRequests])
}
