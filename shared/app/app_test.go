package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go/middleware"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantforge/tenantforge/internal/localdynamo"
	"github.com/tenantforge/tenantforge/shared/httpx"
	"github.com/tenantforge/tenantforge/shared/obs"
	"github.com/tenantforge/tenantforge/shared/obs/obstest"
	"github.com/tenantforge/tenantforge/shared/store"
	"github.com/tenantforge/tenantforge/shared/tenancy"
	"github.com/tenantforge/tenantforge/shared/tvm"
	"github.com/tenantforge/tenantforge/shared/usage"
)

// stsStandIn vends credentials whose access key names the tenant tag.
type stsStandIn struct {
	mu    sync.Mutex
	calls int
	fail  bool
}

func (s *stsStandIn) AssumeRole(_ context.Context, in *sts.AssumeRoleInput, _ ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.fail {
		return nil, fmt.Errorf("sts down")
	}
	tenant := *in.Tags[0].Value
	return &sts.AssumeRoleOutput{Credentials: &ststypes.Credentials{
		AccessKeyId: aws.String("ASIA-" + tenant), SecretAccessKey: aws.String("s"), SessionToken: aws.String("t"),
		Expiration: aws.Time(time.Now().Add(15 * time.Minute)),
	}}, nil
}

// access is one DynamoDB request as the emulator saw it: the tenant its
// credentials were vended for, and the tenant ids its body names.
type access struct {
	credTenant string
	tenants    []string
}

var credRE = regexp.MustCompile(`Credential=ASIA-([a-z0-9-]+)/`)
var tenantRE = regexp.MustCompile(`"tenantId":\{"S":"([a-z0-9-]+)"\}|":t\w*":\{"S":"([a-z0-9-]+)"\}`)

type env struct {
	products *httpx.Router
	orders   *httpx.Router
	sts      *stsStandIn
	mu       sync.Mutex
	accesses []access
	// logs are the functions' log lines; meter is the usage extension the
	// routers report to, flushing into metrics.
	logs    *obstest.Sink
	meter   *usage.Extension
	metrics *obstest.Sink
}

// withCapacity adds what DynamoDB reports when asked for consumed capacity
// (the emulator does not): 0.5 units a read, 1 a write, 4 a transaction.
func withCapacity(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		out := rec.Body.Bytes()
		if rec.Code == http.StatusOK && bytes.Contains(body, []byte(`"ReturnConsumedCapacity":"TOTAL"`)) {
			var doc map[string]any
			if json.Unmarshal(out, &doc) == nil {
				op := r.Header.Get("X-Amz-Target")
				units := map[string]float64{"GetItem": 0.5, "Query": 0.5, "PutItem": 1, "UpdateItem": 1, "DeleteItem": 1}
				switch name := op[strings.Index(op, ".")+1:]; name {
				case "TransactWriteItems":
					doc["ConsumedCapacity"] = []any{map[string]any{"TableName": "pooled", "CapacityUnits": 4}}
				default:
					doc["ConsumedCapacity"] = map[string]any{"TableName": "pooled", "CapacityUnits": units[name]}
				}
				out, _ = json.Marshal(doc)
			}
		}
		for k, v := range rec.Header() {
			if k != "Content-Length" && k != "X-Amz-Crc32" {
				w.Header()[k] = v
			}
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(out)
	})
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{sts: &stsStandIn{}, logs: &obstest.Sink{}, metrics: &obstest.Sink{}}
	e.meter = &usage.Extension{Out: e.metrics, Namespace: "tenantforge-test"}
	extension := httptest.NewServer(e.meter)
	t.Cleanup(extension.Close)
	local := localdynamo.Start(func(next http.Handler) http.Handler {
		next = withCapacity(next)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			a := access{}
			if m := credRE.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
				a.credTenant = m[1]
			}
			for _, m := range tenantRE.FindAllStringSubmatch(string(body), -1) {
				a.tenants = append(a.tenants, m[1]+m[2])
			}
			e.mu.Lock()
			e.accesses = append(e.accesses, a)
			e.mu.Unlock()
			next.ServeHTTP(w, r)
		})
	})
	t.Cleanup(local.Close)
	require.NoError(t, local.CreateDataTable(context.Background(), "pooled"))
	e.accesses = nil
	vendor := tvm.New(e.sts, "arn:aws:iam::123456789012:role/tenant-access", aws.Config{Region: "eu-west-1"})
	s := store.NewDynamo(PoolClients(vendor, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(local.URL) }), "pooled")
	logger := obs.NewLogger(e.logs)
	meter := usage.NewReporter(strings.TrimPrefix(extension.URL, "http://"))
	e.products, e.orders = NewProducts(s, logger, meter), NewOrders(s, logger, meter)
	return e
}

type caller struct{ tenant, role string }

var (
	acmeAdmin  = caller{"acme", "TenantAdmin"}
	acmeUser   = caller{"acme", "TenantUser"}
	globexUser = caller{"globex", "TenantUser"}
	globexAdm  = caller{"globex", "TenantAdmin"}
	operator   = caller{tenancy.SystemTenantID, "SystemAdmin"}
)

func (e *env) call(t *testing.T, c caller, method, resource, path, body string) (int, map[string]any) {
	t.Helper()
	r := e.products
	if strings.HasPrefix(resource, "/orders") {
		r = e.orders
	}
	params := map[string]string{}
	if i := strings.Index(resource, "{"); i >= 0 {
		params[resource[i+1:len(resource)-1]] = path[strings.LastIndex(path, "/")+1:]
	}
	resp, err := r.Serve(context.Background(), events.APIGatewayProxyRequest{
		HTTPMethod: method, Resource: resource, Path: path, Body: body, PathParameters: params,
		Headers: map[string]string{"Content-Type": "application/json", "Authorization": "Bearer " + testToken},
		RequestContext: events.APIGatewayProxyRequestContext{RequestID: "req-" + method + "-" + c.tenant,
			Authorizer: map[string]any{"tenantId": c.tenant, "tier": "basic", "role": c.role, "userId": "u"}},
	})
	require.NoError(t, err)
	var out map[string]any
	if resp.Body != "" {
		require.NoError(t, json.Unmarshal([]byte(resp.Body), &out), resp.Body)
	}
	return resp.StatusCode, out
}

func TestProductsAndOrdersEndToEnd(t *testing.T) {
	e := newEnv(t)
	status, p := e.call(t, acmeAdmin, "POST", "/products", "/products", `{"name":"Anvil","price":1999,"sku":"AN-1"}`)
	require.Equal(t, 201, status, p)
	pid := p["productId"].(string)
	assert.Equal(t, float64(1999), p["price"])

	status, got := e.call(t, acmeUser, "GET", "/products/{productId}", "/products/"+pid, "")
	assert.Equal(t, 200, status)
	assert.Equal(t, "Anvil", got["name"])

	status, o := e.call(t, acmeUser, "POST", "/orders", "/orders", `{"productId":"`+pid+`","quantity":2}`)
	require.Equal(t, 201, status, o)
	oid := o["orderId"].(string)
	assert.Equal(t, float64(3998), o["total"])

	status, list := e.call(t, acmeUser, "GET", "/orders", "/orders", "")
	assert.Equal(t, 200, status)
	assert.Len(t, list["items"], 1)

	status, up := e.call(t, acmeUser, "PUT", "/orders/{orderId}", "/orders/"+oid, `{"productId":"`+pid+`","quantity":5,"version":1}`)
	assert.Equal(t, 200, status, up)
	status, conflict := e.call(t, acmeUser, "PUT", "/orders/{orderId}", "/orders/"+oid, `{"productId":"`+pid+`","quantity":6,"version":1}`)
	assert.Equal(t, 409, status)
	assert.Equal(t, "version_conflict", conflict["error"].(map[string]any)["code"])

	status, _ = e.call(t, acmeUser, "DELETE", "/orders/{orderId}", "/orders/"+oid, "")
	assert.Equal(t, 204, status)
	status, _ = e.call(t, acmeAdmin, "DELETE", "/products/{productId}", "/products/"+pid, "")
	assert.Equal(t, 204, status)
	status, _ = e.call(t, acmeUser, "GET", "/products/{productId}", "/products/"+pid, "")
	assert.Equal(t, 404, status)
}

func TestRolesAndTenantsAreEnforced(t *testing.T) {
	e := newEnv(t)
	_, p := e.call(t, acmeAdmin, "POST", "/products", "/products", `{"name":"Anvil","price":1999}`)
	pid := p["productId"].(string)
	_, o := e.call(t, acmeUser, "POST", "/orders", "/orders", `{"productId":"`+pid+`","quantity":1}`)
	oid := o["orderId"].(string)

	refused := []struct {
		name                   string
		who                    caller
		method, resource, path string
		body                   string
		status                 int
	}{
		{"TenantUser creates a product", acmeUser, "POST", "/products", "/products", `{"name":"x","price":1}`, 403},
		{"SystemAdmin reads business data", operator, "GET", "/products", "/products", "", 403},
		{"another tenant reads the product", globexUser, "GET", "/products/{productId}", "/products/" + pid, "", 404},
		{"another tenant's admin deletes the product", globexAdm, "DELETE", "/products/{productId}", "/products/" + pid, "", 404},
		{"another tenant reads the order", globexUser, "GET", "/orders/{orderId}", "/orders/" + oid, "", 404},
		{"another tenant changes the order", globexUser, "PUT", "/orders/{orderId}", "/orders/" + oid, `{"productId":"` + pid + `","quantity":9,"version":1}`, 404},
		{"another tenant orders the product", globexUser, "POST", "/orders", "/orders", `{"productId":"` + pid + `","quantity":1}`, 400},
	}
	for _, r := range refused {
		status, body := e.call(t, r.who, r.method, r.resource, r.path, r.body)
		assert.Equal(t, r.status, status, "%s: %v", r.name, body)
	}
	status, still := e.call(t, acmeUser, "GET", "/orders/{orderId}", "/orders/"+oid, "")
	require.Equal(t, 200, status)
	assert.Equal(t, float64(1), still["quantity"], "the victim's order must be unchanged")

	// Every request to DynamoDB ran with credentials vended for one tenant
	// and named only that tenant.
	e.mu.Lock()
	defer e.mu.Unlock()
	require.NotEmpty(t, e.accesses)
	for _, a := range e.accesses {
		require.NotEmpty(t, a.credTenant, "a data access ran without tenant credentials")
		for _, named := range a.tenants {
			assert.Equal(t, a.credTenant, named, "a request with %s's credentials named tenant %s", a.credTenant, named)
		}
	}
	assert.Equal(t, 2, e.sts.calls, "one STS session per tenant, reused")
	byTenant := map[string]int{}
	for _, a := range e.accesses {
		if len(a.tenants) > 0 {
			byTenant[a.credTenant]++
		}
	}
	assert.Greater(t, byTenant["acme"], 3, "the check above must have seen acme's requests")
	assert.Greater(t, byTenant["globex"], 3, "the check above must have seen globex's requests")
}

func TestBadInputIsNever5xx(t *testing.T) {
	e := newEnv(t)
	for name, body := range map[string]string{
		"malformed":      `{"name":`,
		"wrong type":     `{"name":"a","price":"cheap"}`,
		"fraction":       `{"name":"a","price":19.99}`,
		"unknown field":  `{"name":"a","price":1,"tenantId":"globex"}`,
		"array":          `[]`,
		"null":           `null`,
		"huge":           `{"name":"` + strings.Repeat("x", 20000) + `"}`,
		"too long name":  `{"name":"` + strings.Repeat("x", 201) + `","price":1}`,
		"negative price": `{"name":"a","price":-5}`,
		"deeply nested":  strings.Repeat("[", 5000),
	} {
		status, out := e.call(t, acmeAdmin, "POST", "/products", "/products", body)
		assert.True(t, status >= 400 && status < 500, "%s: got %d %v", name, status, out)
		assert.NotNil(t, out["error"], name)
	}
	status, out := e.call(t, acmeAdmin, "GET", "/products", "/products", "")
	assert.Equal(t, 200, status, out)
	for _, q := range []string{"0", "101", "ten"} {
		r, err := e.products.Serve(context.Background(), events.APIGatewayProxyRequest{HTTPMethod: "GET", Resource: "/products", Path: "/products",
			QueryStringParameters: map[string]string{"limit": q},
			RequestContext:        events.APIGatewayProxyRequestContext{Authorizer: map[string]any{"tenantId": "acme", "role": "TenantUser"}}})
		require.NoError(t, err)
		assert.Equal(t, 400, r.StatusCode, "limit=%s", q)
	}
	r, _ := e.products.Serve(context.Background(), events.APIGatewayProxyRequest{HTTPMethod: "GET", Resource: "/products", Path: "/products",
		QueryStringParameters: map[string]string{"next": "bm9wZQ"},
		RequestContext:        events.APIGatewayProxyRequestContext{Authorizer: map[string]any{"tenantId": "acme", "role": "TenantUser"}}})
	assert.Equal(t, 400, r.StatusCode)
	assert.Contains(t, r.Body, "invalid_cursor")
}

func TestSTSOutageIs503(t *testing.T) {
	e := newEnv(t)
	e.sts.fail = true
	status, out := e.call(t, acmeUser, "GET", "/products", "/products", "")
	assert.Equal(t, 503, status)
	assert.Equal(t, "unavailable", out["error"].(map[string]any)["code"])
}

func TestSiloClientServesOnlyItsTenant(t *testing.T) {
	src := SiloClient(nil, "acme")
	_, err := src(context.Background(), "acme")
	assert.NoError(t, err)
	_, err = src(context.Background(), "globex")
	assert.ErrorIs(t, err, ErrWrongTenant)
	assert.Equal(t, httpx.ErrForbidden, mapErrors(err))
}

// testToken stands in for the caller's ID token in the request headers.
const testToken = "eyJhbGciOiJSUzI1NiJ9.eyJlbWFpbCI6ImphbmVAYWNtZS5leGFtcGxlIn0.c2ln"

func TestRequestsAreLoggedAndMeteredPerTenant(t *testing.T) {
	e := newEnv(t)
	status, p := e.call(t, acmeAdmin, "POST", "/products", "/products", `{"name":"jane@acme.example","price":100}`)
	require.Equal(t, 201, status, p)
	status, o := e.call(t, acmeUser, "POST", "/orders", "/orders", `{"productId":"`+p["productId"].(string)+`","quantity":3}`)
	require.Equal(t, 201, status, o)
	status, _ = e.call(t, acmeUser, "GET", "/products", "/products", "")
	require.Equal(t, 200, status)
	status, _ = e.call(t, globexUser, "GET", "/orders/{orderId}", "/orders/nope", "")
	require.Equal(t, 404, status)

	// One JSON log line per request with who, what, outcome and timing.
	logs := e.logs.Lines()
	require.Len(t, logs, 4, "every request must log exactly one line")
	var first map[string]any
	require.NoError(t, json.Unmarshal([]byte(logs[0]), &first))
	for field, want := range map[string]any{"tenant_id": "acme", "tier": "basic", "role": "TenantAdmin", "route": "/products",
		"method": "POST", "status": 201.0, "request_id": "req-POST-acme", "service": "products", "items_written": 1.0, "write_capacity_units": 1.0} {
		assert.Equal(t, want, first[field], "log field %s: operators could not find or attribute this request", field)
	}
	assert.Contains(t, first, "latency_ms")
	for _, l := range logs {
		assert.NotContains(t, l, testToken, "a caller's token reached the logs")
		assert.NotContains(t, l, "Bearer", "a caller's credential reached the logs")
		assert.NotContains(t, l, "jane@acme.example", "personal data reached the logs")
	}

	// The extension's flush: valid EMF, per tenant and service.
	require.NoError(t, e.meter.Flush())
	byKey := map[string]map[string]any{}
	for _, l := range e.metrics.Lines() {
		require.NoError(t, obs.ValidateEMF([]byte(l)), "CloudWatch would drop this metric line: %s", l)
		var doc map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &doc))
		byKey[doc["tenant_id"].(string)+"/"+doc["service"].(string)] = doc
	}
	require.Len(t, byKey, 3, "acme/products, acme/orders and globex/orders")
	products, orders, globex := byKey["acme/products"], byKey["acme/orders"], byKey["globex/orders"]
	assert.Equal(t, 2.0, products["Requests"])
	assert.Equal(t, 1.0, products["ItemsWritten"])
	assert.Equal(t, 1.0, products["ConsumedWriteCapacity"], "the product's put consumed one write unit")
	assert.Equal(t, 0.5, products["ConsumedReadCapacity"], "the list consumed half a read unit")
	assert.Equal(t, 1.0, orders["ItemsWritten"], "an order is one item written; the product check writes nothing")
	assert.Equal(t, 4.0, orders["ConsumedWriteCapacity"])
	assert.Equal(t, 0.5, orders["ConsumedReadCapacity"], "pricing the order read the product")
	assert.Equal(t, 1.0, globex["ClientErrors"])
	assert.Equal(t, 0.0, globex["ItemsWritten"])
	assert.Greater(t, orders["Latency"], 0.0, "one request, one latency sample")
}

// What this does not prove: that X-Ray accepts the documents (the daemon
// is a UDP listener); it proves what the functions send it.
func TestARequestIsTracedWithItsTenantDownToDynamoDB(t *testing.T) {
	daemon := obstest.NewDaemon(t)
	tracer := obs.NewTracer(daemon.Addr())

	local := localdynamo.Start(nil)
	t.Cleanup(local.Close)
	require.NoError(t, local.CreateDataTable(context.Background(), "pooled"))
	vendor := tvm.New(&stsStandIn{}, "arn:aws:iam::123456789012:role/tenant-access",
		aws.Config{Region: "eu-west-1", APIOptions: []func(*middleware.Stack) error{obs.TraceAWS(tracer)}})
	s := store.NewDynamo(PoolClients(vendor, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(local.URL) }), "pooled")
	products := NewProducts(s, obs.NewLogger(io.Discard), nil)
	products.Tracer = tracer

	ctx := obs.WithTraceHeader(context.Background(), "Root=1-67891233-abcdef012345678912345678;Parent=53995c3f42cd8ad8;Sampled=1")
	resp, err := products.Serve(ctx, events.APIGatewayProxyRequest{HTTPMethod: "POST", Resource: "/products", Path: "/products",
		Body:           `{"name":"Anvil","price":100}`,
		RequestContext: events.APIGatewayProxyRequestContext{Authorizer: map[string]any{"tenantId": "acme", "tier": "basic", "role": "TenantAdmin"}}})
	require.NoError(t, err)
	require.Equal(t, 201, resp.StatusCode, resp.Body)

	segs := daemon.Collect(t, 2) // the PutItem, then the handler
	put, handler := segs[0], segs[1]
	assert.Equal(t, "products", handler["name"])
	assert.Equal(t, "53995c3f42cd8ad8", handler["parent_id"], "the handler must hang under Lambda's function segment")
	assert.Equal(t, map[string]any{"TenantId": "acme", "route": "POST /products", "tier": "basic"}, handler["annotations"])
	assert.Equal(t, "DynamoDB", put["name"])
	assert.Equal(t, handler["id"], put["parent_id"], "the DynamoDB call must hang under the request")
	assert.Equal(t, "PutItem", put["aws"].(map[string]any)["operation"])
	assert.Equal(t, map[string]any{"TenantId": "acme"}, put["annotations"], "the DynamoDB call cannot be attributed to its tenant")
}
