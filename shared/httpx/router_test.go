package httpx

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantforge/tenantforge/shared/usage"
)

var errGone = errors.New("gone")

type widget struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

func newRouter(logs *bytes.Buffer) *Router {
	r := &Router{
		Service: "widgets",
		Logger:  slog.New(slog.NewJSONHandler(logs, nil)),
		Mappers: []Mapper{func(err error) *Error {
			if errors.Is(err, errGone) {
				return Errorf(http.StatusGone, "gone", "it is gone")
			}
			return nil
		}},
	}
	r.Handle("POST", "/widgets", func(_ context.Context, req *Request) (Response, error) {
		var w widget
		if err := Decode(req.Body, &w); err != nil {
			return Response{}, err
		}
		return Response{Status: http.StatusCreated, Body: map[string]any{"name": w.Name, "tenantId": req.Caller.TenantID}}, nil
	})
	r.Handle("GET", "/widgets/{widgetId}", func(_ context.Context, req *Request) (Response, error) {
		switch req.Params["widgetId"] {
		case "gone":
			return Response{}, errGone
		case "boom":
			panic("boom")
		case "broken":
			return Response{}, errors.New("database on fire")
		}
		return Response{Status: http.StatusOK, Body: map[string]string{"widgetId": req.Params["widgetId"]}}, nil
	})
	return r
}

func event(method, resource, path, body string, params map[string]string) events.APIGatewayProxyRequest {
	return events.APIGatewayProxyRequest{
		HTTPMethod: method, Resource: resource, Path: path, Body: body, PathParameters: params,
		Headers: map[string]string{"content-type": "application/json"},
		RequestContext: events.APIGatewayProxyRequestContext{
			RequestID:  "req-1",
			Authorizer: map[string]any{"tenantId": "acme", "tier": "basic", "role": "TenantAdmin", "userId": "u-1"},
		},
	}
}

func errorOf(t *testing.T, resp events.APIGatewayProxyResponse) Error {
	t.Helper()
	var body struct {
		Error Error `json:"error"`
	}
	require.NoError(t, json.Unmarshal([]byte(resp.Body), &body), resp.Body)
	return body.Error
}

func TestRoutesByResourceAndByPath(t *testing.T) {
	r := newRouter(&bytes.Buffer{})
	resp, err := r.Serve(context.Background(), event("GET", "/widgets/{widgetId}", "/widgets/w1", "", map[string]string{"widgetId": "w1"}))
	require.NoError(t, err)
	assert.Equal(t, 200, resp.StatusCode)
	assert.JSONEq(t, `{"widgetId":"w1"}`, resp.Body)
	resp, _ = r.Serve(context.Background(), event("GET", "", "/widgets/w2", "", nil))
	assert.Equal(t, 200, resp.StatusCode)
	assert.JSONEq(t, `{"widgetId":"w2"}`, resp.Body, "without a resource template the path is matched")
	assert.Equal(t, "application/json", resp.Headers["Content-Type"])
}

// No malformed request may become a 5xx, and every error has the format.
func TestBadRequestsGetTheirOwn4xx(t *testing.T) {
	r := newRouter(&bytes.Buffer{})
	noCaller := event("POST", "/widgets", "/widgets", `{"name":"a"}`, nil)
	noCaller.RequestContext.Authorizer = nil
	wrongType := event("POST", "/widgets", "/widgets", `{"name":"a"}`, nil)
	wrongType.Headers = map[string]string{"Content-Type": "text/plain"}
	cases := []struct {
		name   string
		ev     events.APIGatewayProxyRequest
		status int
		code   string
		field  string
	}{
		{"unknown route", event("GET", "", "/nothing/here", "", nil), 404, "no_route", ""},
		{"wrong method", event("DELETE", "", "/widgets", "", nil), 405, "method_not_allowed", ""},
		{"no authorized caller", noCaller, 401, "unauthenticated", ""},
		{"malformed JSON", event("POST", "/widgets", "/widgets", `{"name":`, nil), 400, "invalid_json", ""},
		{"not an object", event("POST", "/widgets", "/widgets", `[1,2]`, nil), 400, "invalid_request", ""},
		{"empty body", event("POST", "/widgets", "/widgets", ``, nil), 400, "invalid_body", ""},
		{"trailing data", event("POST", "/widgets", "/widgets", `{"name":"a"} {}`, nil), 400, "invalid_json", ""},
		{"unknown field", event("POST", "/widgets", "/widgets", `{"name":"a","admin":true}`, nil), 400, "invalid_request", "admin"},
		{"wrong field type", event("POST", "/widgets", "/widgets", `{"name":"a","count":"many"}`, nil), 400, "invalid_request", "count"},
		{"huge body", event("POST", "/widgets", "/widgets", `{"name":"`+strings.Repeat("a", MaxBody)+`"}`, nil), 413, "body_too_large", ""},
		{"not JSON content", wrongType, 415, "unsupported_media_type", ""},
		{"domain error mapped", event("GET", "/widgets/{widgetId}", "/widgets/gone", "", map[string]string{"widgetId": "gone"}), 410, "gone", ""},
	}
	for _, tc := range cases {
		resp, err := r.Serve(context.Background(), tc.ev)
		require.NoError(t, err, tc.name)
		assert.Equal(t, tc.status, resp.StatusCode, "%s: %s", tc.name, resp.Body)
		e := errorOf(t, resp)
		assert.Equal(t, tc.code, e.Code, tc.name)
		assert.NotEmpty(t, e.Message, tc.name)
		if tc.field != "" {
			assert.Contains(t, e.Fields, tc.field, "%s: the message must name the field", tc.name)
		}
	}
	resp, _ := r.Serve(context.Background(), cases[8].ev)
	assert.Equal(t, "must be a number, not a string", errorOf(t, resp).Fields["count"])
}

func TestFailuresAre500sWithoutDetails(t *testing.T) {
	logs := &bytes.Buffer{}
	r := newRouter(logs)
	for _, id := range []string{"boom", "broken"} {
		resp, err := r.Serve(context.Background(), event("GET", "/widgets/{widgetId}", "/widgets/"+id, "", map[string]string{"widgetId": id}))
		require.NoError(t, err, "a handler failure must not reach Lambda as an error")
		assert.Equal(t, 500, resp.StatusCode)
		assert.Equal(t, "internal", errorOf(t, resp).Code)
		assert.NotContains(t, resp.Body, "database on fire", "internal details stay in the log")
	}
	assert.Contains(t, logs.String(), "database on fire")
}

func TestAccessLogLine(t *testing.T) {
	logs := &bytes.Buffer{}
	r := newRouter(logs)
	_, _ = r.Serve(context.Background(), event("POST", "/widgets", "/widgets", `{"name":"a"}`, nil))
	var line map[string]any
	require.NoError(t, json.Unmarshal(logs.Bytes(), &line))
	assert.Equal(t, "request", line["msg"])
	assert.Equal(t, "acme", line["tenant_id"])
	assert.Equal(t, "/widgets", line["route"])
	assert.Equal(t, float64(201), line["status"])
	assert.Equal(t, "req-1", line["request_id"])
	assert.Equal(t, "widgets", line["service"])
	assert.Contains(t, line, "latency_ms")
	assert.NotContains(t, logs.String(), `"name":"a"`, "bodies are not logged")
}

func TestEveryRequestIsMetered(t *testing.T) {
	var got []map[string]any
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var rec map[string]any
		_ = json.NewDecoder(r.Body).Decode(&rec)
		mu.Lock()
		got = append(got, rec)
		mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	r := newRouter(&bytes.Buffer{})
	r.Usage = usage.NewReporter(strings.TrimPrefix(srv.URL, "http://"))
	_, _ = r.Serve(context.Background(), event("POST", "/widgets", "/widgets", `{"name":"a"}`, nil))
	_, _ = r.Serve(context.Background(), event("GET", "", "/nothing", "", nil))
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, got, 2, "every request of a tenant is metered, failed ones too")
	assert.Equal(t, "acme", got[0]["tenantId"])
	assert.Equal(t, "basic", got[0]["tier"])
	assert.Equal(t, "widgets", got[0]["service"])
	assert.Equal(t, float64(201), got[0]["status"])
	assert.Equal(t, float64(404), got[1]["status"])
}
