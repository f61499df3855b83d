package devstack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/tenantforge/tenantforge/shared/tvm"
)

// Access keys of the local principals. Tenant sessions get keys from the
// STS stand-in; silo functions sign with "silo-<tenantId>".
const (
	// PlatformKey signs the control plane's and the authorizer's requests:
	// on AWS their roles reach the registry, never tenant data.
	PlatformKey = "platform"
	// TenantsKey signs the tenants function's requests: the registry, and
	// on the pooled table only what offboarding's purge needs (key-only
	// queries, deletes).
	TenantsKey = "control-plane-tenants"
	siloPrefix = "silo-"
	sessionPfx = "ASIALOCAL"
)

// RequestHeader carries the local gateway's request id from a handler's
// DynamoDB client to the guard, so each data access is tied to its request.
const RequestHeader = "X-Tenantforge-Request-Id"

type requestIDKey struct{}

// WithRequestID returns a context whose DynamoDB calls carry the id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// TagRequests is a DynamoDB client option that adds the request id of the
// context to every call.
func TagRequests(o *dynamodb.Options) { o.APIOptions = append(o.APIOptions, requestTagger) }

func requestTagger(stack *middleware.Stack) error {
	return stack.Build.Add(middleware.BuildMiddlewareFunc("tenantforgeRequestID", func(ctx context.Context, in middleware.BuildInput, next middleware.BuildHandler) (middleware.BuildOutput, middleware.Metadata, error) {
		if req, ok := in.Request.(*smithyhttp.Request); ok {
			if id, _ := ctx.Value(requestIDKey{}).(string); id != "" {
				req.Header.Set(RequestHeader, id)
			}
		}
		return next.HandleBuild(ctx, in)
	}), middleware.After)
}

// STS is the local stand-in of STS for the token vending machine: every
// AssumeRole with a tenant_id session tag gets fresh access keys that the
// DynamoDB guard knows belong to that tenant.
type STS struct {
	mu      sync.Mutex
	n       int
	byKey   map[string]string
	Issued  []Issue
	refuse  atomic.Bool
	roleArn string
}

// Issue is one set of credentials the stand-in vended.
type Issue struct {
	TenantID, AccessKeyID, SessionName string
	At                                 time.Time
}

func newSTS(roleArn string) *STS { return &STS{byKey: map[string]string{}, roleArn: roleArn} }

// AssumeRole implements tvm.STS.
func (s *STS) AssumeRole(_ context.Context, in *sts.AssumeRoleInput, _ ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	if s.refuse.Load() {
		return nil, fmt.Errorf("local STS: refusing (fault injected)")
	}
	if aws.ToString(in.RoleArn) != s.roleArn {
		return nil, fmt.Errorf("local STS: AccessDenied: role %s is not the tenant access role %s", aws.ToString(in.RoleArn), s.roleArn)
	}
	tenant := ""
	for _, t := range in.Tags {
		if aws.ToString(t.Key) == tvm.TagKey {
			tenant = aws.ToString(t.Value)
		}
	}
	if tenant == "" {
		return nil, fmt.Errorf("local STS: AccessDenied: the tenant role needs the session tag %s", tvm.TagKey)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	key := fmt.Sprintf("%s%08d", sessionPfx, s.n)
	s.byKey[key] = tenant
	s.Issued = append(s.Issued, Issue{TenantID: tenant, AccessKeyID: key, SessionName: aws.ToString(in.RoleSessionName), At: time.Now()})
	exp := time.Now().Add(time.Duration(aws.ToInt32(in.DurationSeconds)) * time.Second)
	return &sts.AssumeRoleOutput{Credentials: &ststypes.Credentials{
		AccessKeyId: aws.String(key), SecretAccessKey: aws.String("local"), SessionToken: aws.String("local-session-" + tenant), Expiration: &exp,
	}}, nil
}

// TenantOf returns the tenant a session key was issued for.
func (s *STS) TenantOf(key string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.byKey[key]
	return t, ok
}

// Access is one request that reached DynamoDB.
type Access struct {
	RequestID string
	// Principal is the signing key's owner: "tenant:<id>", "silo:<id>",
	// "platform" or "admin".
	Principal string
	// Tenant is the tenant the credentials were issued for ("" for the platform).
	Tenant    string
	Operation string
	Tables    []string
	// LeadingKeys are the partition key values the request touched.
	LeadingKeys []string
	Allowed     bool
	Reason      string
}

// Guard sits in front of the DynamoDB emulator and enforces what IAM
// enforces on AWS: tenant sessions reach only the pooled table and only
// items whose partition key is their tenant (dynamodb:LeadingKeys), silo
// functions only their own table, the platform only the registry. It
// records every access.
type Guard struct {
	sts      *STS
	registry string
	pooled   string
	next     http.Handler

	mu     sync.Mutex
	silos  map[string]string // table -> tenant
	log    []Access
	writes atomic.Int64
}

// MaxAccessLog bounds the recorded accesses of one run.
const MaxAccessLog = 200000

func newGuard(s *STS, registry, pooled string, next http.Handler) *Guard {
	return &Guard{sts: s, registry: registry, pooled: pooled, next: next, silos: map[string]string{}}
}

func (g *Guard) addSilo(table, tenant string) {
	g.mu.Lock()
	g.silos[table] = tenant
	g.mu.Unlock()
}

func (g *Guard) removeSilo(table string) {
	g.mu.Lock()
	delete(g.silos, table)
	g.mu.Unlock()
}

// Accesses returns a copy of the recorded accesses.
func (g *Guard) Accesses() []Access {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]Access(nil), g.log...)
}

type ddbRequest struct {
	TableName                 string
	Select                    string
	ProjectionExpression      string
	Key                       map[string]json.RawMessage
	Item                      map[string]json.RawMessage
	KeyConditionExpression    string
	ExpressionAttributeNames  map[string]string
	ExpressionAttributeValues map[string]json.RawMessage
	TransactItems             []map[string]ddbRequest
	RequestItems              map[string][]struct {
		PutRequest    *struct{ Item map[string]json.RawMessage }
		DeleteRequest *struct{ Key map[string]json.RawMessage }
	}
}

var credential = regexp.MustCompile(`Credential=([^/,\s]+)/`)

func (g *Guard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	op := r.Header.Get("X-Amz-Target")
	op = op[strings.LastIndex(op, ".")+1:]
	key := ""
	if m := credential.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		key = m[1]
	}
	a := Access{RequestID: r.Header.Get(RequestHeader), Operation: op}
	var req ddbRequest
	_ = json.Unmarshal(body, &req)
	g.check(key, &req, &a)
	g.mu.Lock()
	if len(g.log) >= MaxAccessLog {
		g.log = g.log[len(g.log)/2:]
	}
	g.log = append(g.log, a)
	g.mu.Unlock()
	if !a.Allowed {
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]string{
			"__type":  "com.amazonaws.dynamodb.v20120810#AccessDeniedException",
			"message": fmt.Sprintf("User: %s is not authorized to perform: dynamodb:%s on %v: %s", a.Principal, op, a.Tables, a.Reason),
		})
		return
	}
	switch op {
	case "PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem", "CreateTable":
		g.writes.Add(1)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	g.next.ServeHTTP(w, r)
}

// check decides one request as the principal's IAM policy would.
func (g *Guard) check(key string, req *ddbRequest, a *Access) {
	tables := map[string][]string{} // table -> leading keys
	add := func(table string, keys ...string) { tables[table] = append(tables[table], keys...) }
	collect := func(r *ddbRequest) {
		hash := g.hashKey(r.TableName)
		switch {
		case r.Key != nil:
			add(r.TableName, sval(r.Key[hash]))
		case r.Item != nil:
			add(r.TableName, sval(r.Item[hash]))
		case r.KeyConditionExpression != "":
			add(r.TableName, keyCondition(r, hash))
		case r.TableName != "":
			add(r.TableName, "*") // Scan and table operations: no leading key
		}
	}
	collect(req)
	for _, t := range req.TransactItems {
		for _, inner := range t {
			collect(&inner)
		}
	}
	for table, writes := range req.RequestItems {
		hash := g.hashKey(table)
		for _, w := range writes {
			switch {
			case w.PutRequest != nil:
				add(table, sval(w.PutRequest.Item[hash]))
			case w.DeleteRequest != nil:
				add(table, sval(w.DeleteRequest.Key[hash]))
			default:
				add(table, "*") // BatchGetItem: Keys, not used by the functions
			}
		}
	}
	for t, keys := range tables {
		a.Tables = append(a.Tables, t)
		a.LeadingKeys = append(a.LeadingKeys, keys...)
	}
	deny := func(format string, args ...any) { a.Allowed, a.Reason = false, fmt.Sprintf(format, args...) }
	a.Allowed = true
	switch {
	case key == "local":
		a.Principal = "admin" // the local stack's own setup
	case key == PlatformKey:
		a.Principal = "platform"
		for t := range tables {
			if t != g.registry {
				deny("the control plane and the authorizer reach only the registry")
			}
		}
	case key == TenantsKey:
		a.Principal = "control-plane-tenants"
		for t := range tables {
			switch {
			case t == g.registry:
			case t != g.pooled:
				deny("the tenants function reaches only the registry and the pooled table")
			case a.Operation == "Query" && (req.Select != "SPECIFIC_ATTRIBUTES" || !keysOnly(req)):
				deny("the tenants function may query the pooled table for item keys only")
			case a.Operation != "Query" && a.Operation != "BatchWriteItem" && a.Operation != "DeleteItem":
				deny("the tenants function may only find and delete pooled items")
			}
		}
	case strings.HasPrefix(key, siloPrefix):
		tenant := strings.TrimPrefix(key, siloPrefix)
		a.Principal, a.Tenant = "silo:"+tenant, tenant
		g.mu.Lock()
		for t := range tables {
			if g.silos[t] != tenant {
				deny("a silo function reaches only its tenant's table")
			}
		}
		g.mu.Unlock()
	default:
		tenant, ok := g.sts.TenantOf(key)
		if !ok {
			a.Principal = "unknown:" + key
			deny("unknown access key")
			return
		}
		a.Principal, a.Tenant = "tenant:"+tenant, tenant
		for t, keys := range tables {
			if t != g.pooled {
				deny("the tenant access role reaches only the pooled table")
			}
			for _, k := range keys {
				if k != tenant {
					deny("dynamodb:LeadingKeys %q is not the session's tenant_id %q", k, tenant)
				}
			}
		}
	}
}

// keysOnly reports whether a query projects the data table's keys only
// (dynamodb:Attributes of the tenants function's policy).
func keysOnly(r *ddbRequest) bool {
	if r.ProjectionExpression == "" {
		return false
	}
	for _, name := range strings.Split(r.ProjectionExpression, ",") {
		name = strings.TrimSpace(name)
		if strings.HasPrefix(name, "#") {
			name = r.ExpressionAttributeNames[name]
		}
		if name != "tenantId" && name != "sk" {
			return false
		}
	}
	return true
}

func (g *Guard) hashKey(table string) string {
	if table == g.registry {
		return "pk"
	}
	return "tenantId"
}

func sval(raw json.RawMessage) string {
	var v struct{ S string }
	if json.Unmarshal(raw, &v) != nil || v.S == "" {
		return "*"
	}
	return v.S
}

var equality = regexp.MustCompile(`([#\w]+)\s*=\s*(:\w+)`)

// keyCondition finds the partition key's value in a Query's key condition.
func keyCondition(r *ddbRequest, hash string) string {
	for _, m := range equality.FindAllStringSubmatch(r.KeyConditionExpression, -1) {
		name := m[1]
		if strings.HasPrefix(name, "#") {
			name = r.ExpressionAttributeNames[name]
		}
		if name == hash {
			if v, ok := r.ExpressionAttributeValues[m[2]]; ok {
				return sval(v)
			}
		}
	}
	return "*"
}

// raw sends one request to the emulator in-process, unguarded.
func raw(h http.Handler, op string, body any) (map[string]json.RawMessage, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(b))
	req.Header.Set("X-Amz-Target", "DynamoDB_20120810."+op)
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var out map[string]json.RawMessage
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		return nil, fmt.Errorf("%s: %d %s", op, rec.Code, rec.Body.String())
	}
	if rec.Code != http.StatusOK {
		return nil, fmt.Errorf("%s: %d %s", op, rec.Code, rec.Body.String())
	}
	return out, nil
}

// snapshot is the tables and their items, items in DynamoDB's wire JSON,
// so types (numbers, sets) survive a restart exactly.
type snapshot struct {
	Tables []Table                      `json:"tables"`
	Items  map[string][]json.RawMessage `json:"items"`
}

// createTable creates a table (with its global secondary indexes) in the
// emulator unless it exists.
func createTable(h http.Handler, t Table) error {
	if _, err := raw(h, "DescribeTable", map[string]any{"TableName": t.Name}); err == nil {
		return nil
	}
	var attrs []map[string]string
	define := func(name string) {
		if name != "" && !slices.ContainsFunc(attrs, func(a map[string]string) bool { return a["AttributeName"] == name }) {
			attrs = append(attrs, map[string]string{"AttributeName": name, "AttributeType": "S"})
		}
	}
	schema := func(hash, rng string) []map[string]string {
		define(hash)
		define(rng)
		keys := []map[string]string{{"AttributeName": hash, "KeyType": "HASH"}}
		if rng != "" {
			keys = append(keys, map[string]string{"AttributeName": rng, "KeyType": "RANGE"})
		}
		return keys
	}
	in := map[string]any{"TableName": t.Name, "BillingMode": "PAY_PER_REQUEST", "KeySchema": schema(t.HashKey, t.RangeKey)}
	var gsis []map[string]any
	for _, ix := range t.Indexes {
		projection := ix.Projection
		if projection == "" {
			projection = "ALL"
		}
		gsis = append(gsis, map[string]any{"IndexName": ix.Name, "KeySchema": schema(ix.HashKey, ix.RangeKey), "Projection": map[string]string{"ProjectionType": projection}})
	}
	if len(gsis) > 0 {
		in["GlobalSecondaryIndexes"] = gsis
	}
	in["AttributeDefinitions"] = attrs
	_, err := raw(h, "CreateTable", in)
	return err
}

// deleteTable drops a table from the emulator; a table already gone is fine.
func deleteTable(h http.Handler, name string) error {
	if _, err := raw(h, "DescribeTable", map[string]any{"TableName": name}); err != nil {
		return nil
	}
	_, err := raw(h, "DeleteTable", map[string]any{"TableName": name})
	return err
}

// saveSnapshot scans every table and writes it to path atomically.
func saveSnapshot(h http.Handler, tables []Table, path string) error {
	snap := snapshot{Tables: tables, Items: map[string][]json.RawMessage{}}
	for _, t := range tables {
		var start json.RawMessage
		for {
			in := map[string]any{"TableName": t.Name, "ConsistentRead": true}
			if start != nil {
				in["ExclusiveStartKey"] = start
			}
			out, err := raw(h, "Scan", in)
			if err != nil {
				return err
			}
			var items []json.RawMessage
			_ = json.Unmarshal(out["Items"], &items)
			snap.Items[t.Name] = append(snap.Items[t.Name], items...)
			start = out["LastEvaluatedKey"]
			if len(start) == 0 || string(start) == "null" || string(start) == "{}" {
				break
			}
		}
	}
	b, err := json.Marshal(snap)
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// loadSnapshot creates the tables of path and puts their items back; a
// missing file is no data. It returns the tables and the item count.
func loadSnapshot(h http.Handler, path string) ([]Table, int, error) {
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	var snap snapshot
	if err := json.Unmarshal(b, &snap); err != nil {
		return nil, 0, fmt.Errorf("%s is not a snapshot of the local tables; run make dev-reset: %w", filepath.Base(path), err)
	}
	n := 0
	for _, t := range snap.Tables {
		if err := createTable(h, t); err != nil {
			return nil, n, fmt.Errorf("restoring table %s: %w", t.Name, err)
		}
		for _, item := range snap.Items[t.Name] {
			if _, err := raw(h, "PutItem", map[string]any{"TableName": t.Name, "Item": item}); err != nil {
				return nil, n, fmt.Errorf("restoring %s: %w", t.Name, err)
			}
			n++
		}
	}
	return snap.Tables, n, nil
}
