package devstack

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/tenantforge/tenantforge/shared/apidef"
	"github.com/tenantforge/tenantforge/shared/auth"
	"github.com/tenantforge/tenantforge/shared/tenancy"
)

// Function is a Lambda proxy integration: the real handler, in-process.
type Function func(ctx context.Context, ev events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error)

// Authorizer is the REQUEST authorizer the API's security scheme names.
type Authorizer func(ctx context.Context, req events.APIGatewayCustomAuthorizerRequestTypeRequest) (events.APIGatewayCustomAuthorizerResponse, error)

// Gateway is one REST API as API Gateway runs it from its OpenAPI
// definition: route by the definition's paths, call the authorizer of
// routes that have one and honour its policy, take the API key from the
// authorizer (usageIdentifierKey) and apply the key's usage plan, validate
// request bodies against the definition's schemas, then invoke the
// route's function with a REST proxy event. Its own errors use the
// definition's gateway responses, as API Gateway does.
type Gateway struct {
	Name       string
	APIID      string
	Stage      string
	Region     string
	routes     []gwRoute
	responses  map[string]gatewayResponse
	functions  map[string]Function
	authorizer Authorizer
	keys       *Keys
	plans      func(planID string) bool
	recorder   *Recorder
}

type gwRoute struct {
	method, path string
	segs         []string
	service      string
	authorizer   bool
	apiKey       bool
	bodyRequired bool
	schema       *jsonschema.Schema
}

type gatewayResponse struct {
	status   int
	template string
}

// newGateway builds a gateway from a definition. Every route's function
// must be in functions, so a route cannot be left unwired.
func newGateway(name, apiID, region string, def []byte, functions map[string]Function, authz Authorizer, keys *Keys, plans func(string) bool, rec *Recorder) (*Gateway, error) {
	doc, err := apidef.Parse(def)
	if err != nil {
		return nil, err
	}
	routes := apidef.RoutesOf(doc)
	g := &Gateway{Name: name, APIID: apiID, Stage: "api", Region: region, functions: functions, authorizer: authz, keys: keys, plans: plans, recorder: rec,
		responses: map[string]gatewayResponse{}}
	if gr, ok := doc["x-amazon-apigateway-gateway-responses"].(map[string]any); ok {
		for kind, v := range gr {
			m, _ := v.(map[string]any)
			resp := gatewayResponse{}
			if s, ok := m["statusCode"].(int); ok {
				resp.status = s
			}
			if t, ok := m["responseTemplates"].(map[string]any); ok {
				resp.template, _ = t["application/json"].(string)
			}
			g.responses[kind] = resp
		}
	}
	schemas, _ := doc["components"].(map[string]any)["schemas"].(map[string]any)
	topSecurity := doc["security"]
	paths := doc["paths"].(map[string]any)
	for _, r := range routes {
		if _, ok := functions[r.Service]; !ok {
			return nil, fmt.Errorf("local gateway %s: no function for service %q (route %s %s)", name, r.Service, r.Method, r.Path)
		}
		op := paths[r.Path].(map[string]any)[strings.ToLower(r.Method)].(map[string]any)
		sec, ok := op["security"]
		if !ok {
			sec = topSecurity
		}
		rt := gwRoute{method: r.Method, path: r.Path, segs: tenancy.Segments(r.Path), service: r.Service}
		for _, req := range anys(sec) {
			m, _ := req.(map[string]any)
			for scheme := range m {
				switch scheme {
				case "tenantAuthorizer":
					rt.authorizer = true
				case "tenantKey":
					rt.apiKey = true
				}
			}
		}
		if body, ok := op["requestBody"].(map[string]any); ok {
			rt.bodyRequired, _ = body["required"].(bool)
			ref := str(dig(body, "content", "application/json", "schema", "$ref"))
			if ref != "" {
				schema := schemas[strings.TrimPrefix(ref, "#/components/schemas/")]
				if rt.schema, err = compileSchema(ref, schema); err != nil {
					return nil, fmt.Errorf("local gateway %s: schema %s: %w", name, ref, err)
				}
			}
		}
		g.routes = append(g.routes, rt)
	}
	// Literal segments win over parameters, as in API Gateway.
	slices.SortStableFunc(g.routes, func(a, b gwRoute) int { return literals(b.segs) - literals(a.segs) })
	return g, nil
}

func literals(segs []string) int {
	n := 0
	for _, s := range segs {
		if !strings.HasPrefix(s, "{") {
			n++
		}
	}
	return n
}

func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func compileSchema(ref string, schema any) (*jsonschema.Schema, error) {
	if schema == nil {
		return nil, errors.New("not defined")
	}
	b, err := json.Marshal(schema)
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	url := "mem://" + strings.TrimPrefix(ref, "#/components/schemas/") + ".json"
	if err := c.AddResource(url, strings.NewReader(string(b))); err != nil {
		return nil, err
	}
	return c.Compile(url)
}

func (g *Gateway) match(method, path string) (*gwRoute, map[string]string) {
	segs := tenancy.Segments(path)
	for i := range g.routes {
		rt := &g.routes[i]
		if rt.method != method {
			continue
		}
		if params, ok := tenancy.PathParams(rt.segs, segs); ok {
			return rt, params
		}
	}
	return nil, nil
}

// Recorder keeps what the gateway did per request, for the suite, and
// writes an access line per request to Log when set.
type Recorder struct {
	Log  io.Writer
	mu   sync.Mutex
	list []Request
	seq  atomic.Int64
}

// Request is one request the gateway answered.
type Request struct {
	ID, API, Method, Path, Route string
	// TenantID and Role are the authorizer's context ("" without one).
	TenantID, Role string
	Status         int
	Latency        time.Duration
}

func (r *Recorder) add(req Request) {
	r.mu.Lock()
	if len(r.list) >= MaxAccessLog {
		r.list = r.list[len(r.list)/2:]
	}
	r.list = append(r.list, req)
	if r.Log != nil {
		who := ""
		if req.Role != "" {
			who = "  " + req.Role + "@" + req.TenantID
		}
		fmt.Fprintf(r.Log, "%s %-6s %-40s %d %6.1fms%s\n", time.Now().Format("15:04:05"), req.Method, req.API+" "+req.Path, req.Status,
			float64(req.Latency.Microseconds())/1000, who)
	}
	r.mu.Unlock()
}

// Requests returns a copy of the recorded requests.
func (r *Recorder) Requests() []Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Request(nil), r.list...)
}

func (r *Recorder) nextID() string {
	return fmt.Sprintf("local-%d-%06d", time.Now().Unix(), r.seq.Add(1))
}

// ServeHTTP answers one request whose path is relative to the API's base
// URL (the stage and any prefix already removed).
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	id := g.recorder.nextID()
	rec := Request{ID: id, API: g.Name, Method: r.Method, Path: r.URL.Path}
	status := g.serve(w, r, id, &rec)
	rec.Status, rec.Latency = status, time.Since(start)
	g.recorder.add(rec)
}

func (g *Gateway) serve(w http.ResponseWriter, r *http.Request, id string, rec *Request) int {
	path := r.URL.Path
	if path == "" {
		path = "/"
	}
	// Path parameters keep their encoding (an email's %40, a %2F), as
	// API Gateway hands them on; the handlers unescape them.
	rt, params := g.match(r.Method, r.URL.EscapedPath())
	if rt == nil {
		// API Gateway's answer to a method or path the API does not have.
		return g.fail(w, "MISSING_AUTHENTICATION_TOKEN", http.StatusForbidden, "Missing Authentication Token", "")
	}
	rec.Route = rt.path
	body, err := io.ReadAll(io.LimitReader(r.Body, 10<<20))
	if err != nil {
		return g.fail(w, "BAD_REQUEST_BODY", http.StatusBadRequest, "Invalid request body", err.Error())
	}
	ev := g.event(r, id, rt, params, body)
	ctx := WithRequestID(r.Context(), id)
	if rt.authorizer {
		if strings.TrimSpace(r.Header.Get("Authorization")) == "" {
			return g.fail(w, "UNAUTHORIZED", http.StatusUnauthorized, "Unauthorized", "")
		}
		methodArn := fmt.Sprintf("arn:aws:execute-api:%s:%s:%s/%s/%s%s", g.Region, accountID, g.APIID, g.Stage, r.Method, path)
		t0 := time.Now()
		resp, err := g.authorizer(ctx, events.APIGatewayCustomAuthorizerRequestTypeRequest{
			Type: "REQUEST", MethodArn: methodArn, Resource: rt.path, Path: ev.Path, HTTPMethod: r.Method,
			Headers: ev.Headers, MultiValueHeaders: ev.MultiValueHeaders, QueryStringParameters: ev.QueryStringParameters,
			MultiValueQueryStringParameters: ev.MultiValueQueryStringParameters, PathParameters: params,
			RequestContext: events.APIGatewayCustomAuthorizerRequestTypeRequestContext{
				Path: ev.RequestContext.Path, AccountID: accountID, ResourceID: ev.RequestContext.ResourceID, Stage: g.Stage,
				RequestID: id, ResourcePath: rt.path, HTTPMethod: r.Method, APIID: g.APIID,
				Identity: events.APIGatewayCustomAuthorizerRequestTypeRequestIdentity{SourceIP: ev.RequestContext.Identity.SourceIP},
			},
		})
		switch {
		case errors.Is(err, auth.ErrUnauthorized) || (err != nil && err.Error() == "Unauthorized"):
			return g.fail(w, "UNAUTHORIZED", http.StatusUnauthorized, "Unauthorized", "")
		case err != nil:
			return g.fail(w, "AUTHORIZER_FAILURE", http.StatusInternalServerError, "Internal server error", "")
		}
		if !allowed(resp.PolicyDocument, methodArn) {
			return g.fail(w, "ACCESS_DENIED", http.StatusForbidden, "User is not authorized to access this resource with an explicit deny", "")
		}
		ctxMap := map[string]any{"principalId": resp.PrincipalID, "integrationLatency": time.Since(t0).Milliseconds()}
		for k, v := range resp.Context {
			ctxMap[k] = fmt.Sprint(v) // API Gateway hands context values on as strings
		}
		ev.RequestContext.Authorizer = ctxMap
		rec.TenantID, rec.Role = str(ctxMap["tenantId"]), str(ctxMap["role"])
		if rt.apiKey {
			if resp.UsageIdentifierKey == "" {
				return g.fail(w, "INVALID_API_KEY", http.StatusForbidden, "Forbidden", "")
			}
			switch _, err := g.keys.Admit(resp.UsageIdentifierKey, g.plans); {
			case errors.Is(err, ErrThrottled):
				return g.fail(w, "THROTTLED", http.StatusTooManyRequests, "Too Many Requests", "")
			case errors.Is(err, ErrQuotaExceeded):
				return g.fail(w, "QUOTA_EXCEEDED", http.StatusTooManyRequests, "Limit Exceeded", "")
			case err != nil:
				return g.fail(w, "INVALID_API_KEY", http.StatusForbidden, "Forbidden", "")
			}
			ev.RequestContext.Identity.APIKey = resp.UsageIdentifierKey
		}
	}
	if problem := rt.validate(body); problem != "" {
		return g.fail(w, "BAD_REQUEST_BODY", http.StatusBadRequest, "Invalid request body", problem)
	}
	fn := g.functions[rt.service]
	out, err := fn(ctx, ev)
	if err != nil {
		// A function error is API Gateway's 502.
		return g.fail(w, "DEFAULT_5XX", http.StatusBadGateway, "Internal server error", "")
	}
	for k, v := range out.Headers {
		w.Header().Set(k, v)
	}
	for k, vs := range out.MultiValueHeaders {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	status := out.StatusCode
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	if out.IsBase64Encoded {
		b, _ := base64.StdEncoding.DecodeString(out.Body)
		_, _ = w.Write(b)
	} else {
		_, _ = io.WriteString(w, out.Body)
	}
	return status
}

// accountID is the account of every local ARN (as in the offline plan).
const accountID = "123456789012"

func (rt *gwRoute) validate(body []byte) string {
	if rt.schema == nil {
		return ""
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		if rt.bodyRequired {
			return "[Request body is required]"
		}
		return ""
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return "[Invalid JSON in request body]"
	}
	err := rt.schema.Validate(v)
	var verr *jsonschema.ValidationError
	if !errors.As(err, &verr) {
		return ""
	}
	var msgs []string
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			loc := e.InstanceLocation
			if loc == "" {
				loc = "/"
			}
			msgs = append(msgs, loc+": "+e.Message)
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(verr)
	return "[" + strings.Join(msgs, ", ") + "]"
}

// fail writes a gateway response: the definition's template for kind, or
// API Gateway's default {"message": ...}.
func (g *Gateway) fail(w http.ResponseWriter, kind string, status int, message, validation string) int {
	resp, ok := g.responses[kind]
	if !ok && status >= 500 {
		resp, ok = g.responses["DEFAULT_5XX"]
	} else if !ok {
		resp, ok = g.responses["DEFAULT_4XX"]
	}
	body := `{"message":` + quote(message) + `}`
	if ok && resp.template != "" {
		q := quote(validation)
		body = strings.ReplaceAll(resp.template, "$context.error.validationErrorString", q[1:len(q)-1])
		if resp.status != 0 {
			status = resp.status
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("x-amzn-ErrorType", kind)
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
	return status
}

func quote(s string) string { b, _ := json.Marshal(s); return string(b) }

// event builds the REST proxy event API Gateway sends to the function.
func (g *Gateway) event(r *http.Request, id string, rt *gwRoute, params map[string]string, body []byte) events.APIGatewayProxyRequest {
	headers, multi := map[string]string{}, map[string][]string{}
	for k, vs := range r.Header {
		headers[k] = vs[len(vs)-1]
		multi[k] = vs
	}
	headers["Host"], multi["Host"] = r.Host, []string{r.Host}
	var query map[string]string
	var mquery map[string][]string
	if q := r.URL.Query(); len(q) > 0 {
		query, mquery = map[string]string{}, map[string][]string{}
		for k, vs := range q {
			query[k], mquery[k] = vs[len(vs)-1], vs
		}
	}
	if len(params) == 0 {
		params = nil
	}
	ip, _, _ := net.SplitHostPort(r.RemoteAddr)
	now := time.Now()
	ev := events.APIGatewayProxyRequest{
		Resource: rt.path, Path: r.URL.Path, HTTPMethod: r.Method, Headers: headers, MultiValueHeaders: multi,
		QueryStringParameters: query, MultiValueQueryStringParameters: mquery, PathParameters: params,
		RequestContext: events.APIGatewayProxyRequestContext{
			AccountID: accountID, ResourceID: fmt.Sprintf("%06x", hash(rt.path)), Stage: g.Stage, RequestID: id,
			Identity:     events.APIGatewayRequestIdentity{SourceIP: ip, UserAgent: r.UserAgent()},
			ResourcePath: rt.path, HTTPMethod: r.Method, APIID: g.APIID, Path: "/" + g.Stage + r.URL.Path,
			DomainName: r.Host, Protocol: r.Proto, RequestTime: now.UTC().Format("02/Jan/2006:15:04:05 -0700"), RequestTimeEpoch: now.UnixMilli(),
		},
	}
	if len(body) > 0 {
		if utf8.Valid(body) {
			ev.Body = string(body)
		} else {
			ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
		}
	}
	return ev
}

func hash(s string) uint32 {
	var h uint32 = 2166136261
	for i := 0; i < len(s); i++ {
		h = (h ^ uint32(s[i])) * 16777619
	}
	return h & 0xffffff
}

// allowed evaluates the authorizer's policy for the method ARN as API
// Gateway does: an explicit Deny wins, then any Allow, else deny.
func allowed(doc events.APIGatewayCustomAuthorizerPolicy, methodArn string) bool {
	allow := false
	for _, st := range doc.Statement {
		if !slices.ContainsFunc(st.Action, func(a string) bool { return glob(a, "execute-api:Invoke") }) {
			continue
		}
		if !slices.ContainsFunc(st.Resource, func(res string) bool { return glob(res, methodArn) }) {
			continue
		}
		if strings.EqualFold(st.Effect, "Deny") {
			return false
		}
		if strings.EqualFold(st.Effect, "Allow") {
			allow = true
		}
	}
	return allow
}

// glob matches IAM wildcards: * any run of characters, ? one character.
func glob(pattern, s string) bool {
	for len(pattern) > 0 {
		switch pattern[0] {
		case '*':
			for i := len(s); i >= 0; i-- {
				if glob(pattern[1:], s[i:]) {
					return true
				}
			}
			return false
		case '?':
			if s == "" {
				return false
			}
		default:
			if s == "" || s[0] != pattern[0] {
				return false
			}
		}
		pattern, s = pattern[1:], s[1:]
	}
	return s == ""
}
