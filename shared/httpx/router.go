package httpx

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/tenantforge/tenantforge/shared/obs"
	"github.com/tenantforge/tenantforge/shared/tenancy"
	"github.com/tenantforge/tenantforge/shared/usage"
)

// MaxBody is the largest request body the API accepts.
const MaxBody = 16 << 10

// Caller is who the authorizer said is calling.
type Caller struct {
	TenantID string
	Tier     string
	Role     tenancy.Role
	UserID   string
}

// Request is what a handler gets.
type Request struct {
	Caller Caller
	Params map[string]string
	Query  map[string]string
	Body   []byte
	Event  *events.APIGatewayProxyRequest
}

// Response is what a handler returns: a status and a value to encode.
type Response struct {
	Status int
	Body   any
}

// HandlerFunc handles one route.
type HandlerFunc func(ctx context.Context, req *Request) (Response, error)

type route struct {
	method, path string
	segs         []string
	public       bool
	handler      HandlerFunc
}

// Router maps method and route template to handlers.
type Router struct {
	Service string
	// Permitted, when set, is checked for every request after the
	// authorizer's policy, so a route reached by mistake still refuses the
	// wrong role (tenancy.Allowed).
	Permitted func(method, path string, role tenancy.Role) bool
	Logger    *slog.Logger
	Mappers   []Mapper
	Now       func() time.Time
	// Usage, when set, gets one record per request with a caller (the
	// usage extension of the shared layer meters tenants with them).
	Usage *usage.Reporter
	// Tracer emits the request's X-Ray subsegment (obs.DefaultTracer() when
	// nil: silent outside Lambda).
	Tracer *obs.Tracer
	routes []route
}

// Handle adds a route that needs an authorized caller.
func (r *Router) Handle(method, path string, h HandlerFunc) {
	r.routes = append(r.routes, route{method: method, path: path, segs: tenancy.Segments(path), handler: h})
}

// HandlePublic adds a route anyone may call (the authorizer is not in
// front of it): sign-up and the tenant configuration a sign-in needs.
func (r *Router) HandlePublic(method, path string, h HandlerFunc) {
	r.routes = append(r.routes, route{method: method, path: path, segs: tenancy.Segments(path), public: true, handler: h})
}

// match finds the route for the event: by API Gateway's resource template
// when the event has one, else by the concrete path.
func (r *Router) match(ev *events.APIGatewayProxyRequest) (*route, map[string]string, *Error) {
	var pathMatched bool
	for i := range r.routes {
		rt := &r.routes[i]
		params, ok := rt.matches(ev)
		if !ok {
			continue
		}
		pathMatched = true
		if rt.method == ev.HTTPMethod {
			return rt, params, nil
		}
	}
	if pathMatched {
		return nil, nil, errMethod
	}
	return nil, nil, errNoRoute
}

func (rt *route) matches(ev *events.APIGatewayProxyRequest) (map[string]string, bool) {
	if ev.Resource != "" {
		if ev.Resource != rt.path {
			return nil, false
		}
		return ev.PathParameters, true
	}
	return tenancy.PathParams(rt.segs, tenancy.Segments(ev.Path))
}

// Serve handles one API Gateway proxy event. It never returns an error to
// Lambda: every failure is an error response in the API's format.
func (r *Router) Serve(ctx context.Context, ev events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	start := now()
	caller := callerOf(&ev)
	ctx = obs.WithTenant(ctx, caller.TenantID)
	ctx, meter := obs.WithMeter(ctx)
	tracer := r.Tracer
	if tracer == nil {
		tracer = obs.DefaultTracer()
	}
	ctx, seg := tracer.Start(ctx, r.Service)
	resp, routePath, err := r.serve(ctx, &ev, caller)
	var out events.APIGatewayProxyResponse
	if err != nil {
		apiErr := asAPIError(err, r.Mappers)
		if apiErr.Status >= 500 {
			r.logger().ErrorContext(ctx, "request failed", "error", err.Error(), "tenant_id", caller.TenantID, "route", routePath,
				"request_id", ev.RequestContext.RequestID)
		}
		out = encode(apiErr.Status, map[string]any{"error": apiErr})
	} else {
		out = encode(resp.Status, resp.Body)
	}
	latency := now().Sub(start)
	latencyMs := float64(latency.Microseconds()) / 1000
	used := meter.Usage()
	if caller.TenantID != "" {
		r.Usage.Report(ctx, usage.Record{TenantID: caller.TenantID, Tier: caller.Tier, Service: r.Service, Status: out.StatusCode,
			LatencyMs: latencyMs, ItemsWritten: used.ItemsWritten, ReadCapacity: used.ReadCapacity, WriteCapacity: used.WriteCapacity})
	}
	seg.Annotate("route", ev.HTTPMethod+" "+routePath)
	seg.Annotate("tier", caller.Tier)
	seg.SetStatus(out.StatusCode)
	seg.End(nil)
	r.logger().InfoContext(ctx, "request",
		"service", r.Service,
		"tenant_id", caller.TenantID,
		"tier", caller.Tier,
		"role", string(caller.Role),
		"method", ev.HTTPMethod,
		"route", routePath,
		"status", out.StatusCode,
		"latency_ms", latencyMs,
		"items_written", used.ItemsWritten,
		"read_capacity_units", used.ReadCapacity,
		"write_capacity_units", used.WriteCapacity,
		"request_id", ev.RequestContext.RequestID,
	)
	return out, nil
}

func (r *Router) serve(ctx context.Context, ev *events.APIGatewayProxyRequest, caller Caller) (resp Response, routePath string, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	rt, params, apiErr := r.match(ev)
	if apiErr != nil {
		return Response{}, ev.Path, apiErr
	}
	if !rt.public {
		if caller.TenantID == "" || !caller.Role.Valid() {
			return Response{}, rt.path, errNoCaller
		}
		if r.Permitted != nil && !r.Permitted(rt.method, rt.path, caller.Role) {
			return Response{}, rt.path, ErrForbidden
		}
	}
	body, apiErr := readBody(ev)
	if apiErr != nil {
		return Response{}, rt.path, apiErr
	}
	query := ev.QueryStringParameters
	if query == nil {
		query = map[string]string{}
	}
	resp, err = rt.handler(ctx, &Request{Caller: caller, Params: params, Query: query, Body: body, Event: ev})
	return resp, rt.path, err
}

// defaultLogger redacts secrets and personal data like every function logger.
var defaultLogger = obs.NewLogger(os.Stdout)

func (r *Router) logger() *slog.Logger {
	if r.Logger != nil {
		return r.Logger
	}
	return defaultLogger
}

// callerOf reads the authorizer's context from the event.
func callerOf(ev *events.APIGatewayProxyRequest) Caller {
	a := ev.RequestContext.Authorizer
	str := func(k string) string { s, _ := a[k].(string); return s }
	return Caller{TenantID: str("tenantId"), Tier: str("tier"), Role: tenancy.Role(str("role")), UserID: str("userId")}
}

func readBody(ev *events.APIGatewayProxyRequest) ([]byte, *Error) {
	if ev.Body == "" {
		return nil, nil
	}
	body := []byte(ev.Body)
	if ev.IsBase64Encoded {
		decoded, err := base64.StdEncoding.DecodeString(ev.Body)
		if err != nil {
			return nil, Errorf(http.StatusBadRequest, "invalid_body", "the body is not valid base64")
		}
		body = decoded
	}
	if len(body) > MaxBody {
		return nil, errBodyTooLarge
	}
	ct := header(ev, "Content-Type")
	if ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			return nil, errUnsupported
		}
	}
	return body, nil
}

func header(ev *events.APIGatewayProxyRequest, name string) string {
	for k, v := range ev.Headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// Decode reads a JSON object into dst strictly: unknown fields, trailing
// data and wrong types are 400s that name the field.
func Decode(body []byte, dst any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return Errorf(http.StatusBadRequest, "invalid_body", "the body is empty; send a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var typeErr *json.UnmarshalTypeError
		var syntaxErr *json.SyntaxError
		switch {
		case errors.As(err, &typeErr):
			return Invalid(map[string]string{typeErr.Field: fmt.Sprintf("must be a %s, not a %s", jsonType(typeErr.Type.Kind().String()), typeErr.Value)})
		case errors.As(err, &syntaxErr), errors.Is(err, io.ErrUnexpectedEOF):
			return Errorf(http.StatusBadRequest, "invalid_json", "the body is not valid JSON")
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return Invalid(map[string]string{field: "is not a known field"})
		default:
			return Errorf(http.StatusBadRequest, "invalid_json", "the body is not a JSON object")
		}
	}
	if dec.More() {
		return Errorf(http.StatusBadRequest, "invalid_json", "the body has data after the JSON object")
	}
	return nil
}

func jsonType(kind string) string {
	switch kind {
	case "int", "int64", "int32", "float64", "uint":
		return "number"
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "slice":
		return "list"
	}
	return "object"
}

func encode(status int, body any) events.APIGatewayProxyResponse {
	resp := events.APIGatewayProxyResponse{StatusCode: status, Headers: map[string]string{"Content-Type": "application/json"}}
	if body == nil {
		if status == http.StatusNoContent {
			resp.Headers = nil
			return resp
		}
		body = map[string]any{}
	}
	b, err := json.Marshal(body)
	if err != nil {
		resp.StatusCode = http.StatusInternalServerError
		b, _ = json.Marshal(map[string]any{"error": errInternal})
	}
	resp.Body = string(b)
	return resp
}
