package obs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantforge/tenantforge/shared/obs/obstest"
)

const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyIn0.c2lnbmF0dXJl"

func TestLoggerNeverWritesSecretsOrEmails(t *testing.T) {
	var buf bytes.Buffer
	log := NewLogger(&buf)
	log.Info("request",
		"tenant_id", "acme",
		"authorization", "Bearer "+jwt,
		"adminPassword", "Sup3r-secret-pass",
		"adminEmail", "jane@acme.example",
		"error", errors.New("cognito refused jane@acme.example with token "+jwt),
		"detail", "header was Bearer abc.def.ghi",
		"user", map[string]string{"email": "x@y.example"},
		"settings", sensitiveGroup(),
	)
	out := buf.String()
	for _, leaked := range []string{jwt, "Sup3r-secret-pass", "jane@acme.example", "x@y.example", "abc.def.ghi", "nested-secret"} {
		assert.NotContains(t, out, leaked, "a log line leaked %q; CloudWatch Logs readers would see it", leaked)
	}
	var line map[string]any
	require.NoError(t, json.Unmarshal(buf.Bytes(), &line), "a log line must be one JSON object")
	assert.Equal(t, "acme", line["tenant_id"], "redaction must keep the tenant id operators filter by")
	assert.Equal(t, Redacted, line["authorization"])
	assert.Equal(t, "cognito refused [redacted] with token [redacted]", line["error"])
}

func sensitiveGroup() any {
	return map[string]any{"password": "nested-secret"}
}

func TestSensitiveKeys(t *testing.T) {
	for _, k := range []string{"Authorization", "id_token", "temporaryPassword", "admin-email", "X-Api-Key", "sessionToken"} {
		assert.True(t, IsSensitiveKey(k), "%s must be redacted", k)
	}
	for _, k := range []string{"tenant_id", "route", "status", "latency_ms", "request_id", "role", "tier", "apiKeyId"} {
		assert.False(t, IsSensitiveKey(k), "%s is needed to operate and must stay", k)
	}
}

func TestEMFIsValidAndCarriesSamples(t *testing.T) {
	ts := time.UnixMilli(1700000000000)
	line, err := EMF("tenantforge", ts, DimensionSets,
		map[string]string{DimTenant: "acme", DimTier: "basic", DimService: "orders"},
		[]Value{{Name: MetricRequests, Unit: "Count", Values: []float64{3}}, {Name: MetricLatency, Unit: "Milliseconds", Values: []float64{1, 2.5, 9}}})
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(line, &doc))
	assert.Equal(t, float64(3), doc["Requests"])
	assert.Equal(t, []any{1.0, 2.5, 9.0}, doc["Latency"], "latency must be samples so p50/p99 can be computed")
	assert.Equal(t, float64(1700000000000), doc["_aws"].(map[string]any)["Timestamp"])
}

func TestValidateEMFRejectsWhatCloudWatchDrops(t *testing.T) {
	for name, line := range map[string]string{
		"no metadata":         `{"Requests":1}`,
		"float timestamp":     `{"_aws":{"Timestamp":1.5,"CloudWatchMetrics":[{"Namespace":"n","Dimensions":[],"Metrics":[{"Name":"R"}]}]},"R":1}`,
		"missing dimension":   `{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"n","Dimensions":[["tenant_id"]],"Metrics":[{"Name":"R"}]}]},"R":1}`,
		"string metric value": `{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"n","Dimensions":[],"Metrics":[{"Name":"R"}]}]},"R":"1"}`,
		"unknown unit":        `{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"n","Dimensions":[],"Metrics":[{"Name":"R","Unit":"ms"}]}]},"R":1}`,
		"empty namespace":     `{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"","Dimensions":[],"Metrics":[{"Name":"R"}]}]},"R":1}`,
		"no metrics":          `{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"n","Dimensions":[],"Metrics":[]}]}}`,
	} {
		assert.Error(t, ValidateEMF([]byte(line)), "%s: CloudWatch would drop this line, the validator must refuse it", name)
	}
}

const traceHeader = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"

func TestSubsegmentsCarryTheTenant(t *testing.T) {
	d := obstest.NewDaemon(t)
	tr := NewTracer("udp:" + d.Addr() + " tcp:" + d.Addr())
	require.NotNil(t, tr)
	ctx := WithTraceHeader(context.Background(), traceHeader)
	ctx = WithTenant(ctx, "acme")
	ctx, outer := tr.Start(ctx, "orders POST /orders")
	_, inner := tr.Start(ctx, "inner")
	inner.End(nil)
	outer.SetStatus(503)
	outer.End(errors.New("sts down for jane@acme.example"))

	in := d.Next(t)
	out := d.Next(t)
	assert.Equal(t, "1-5759e988-bd862e3fe1be46a994272793", out["trace_id"])
	assert.Equal(t, "53995c3f42cd8ad8", out["parent_id"], "the handler subsegment must hang under Lambda's function segment")
	assert.Equal(t, out["id"], in["parent_id"], "nested work must hang under the handler's subsegment")
	assert.Equal(t, map[string]any{"TenantId": "acme"}, out["annotations"], "traces could not be filtered by tenant")
	assert.Equal(t, map[string]any{"TenantId": "acme"}, in["annotations"])
	assert.Equal(t, true, out["fault"])
	assert.NotContains(t, out["cause"].(map[string]any)["message"], "jane@acme.example")
	assert.Greater(t, out["end_time"].(float64), 0.0)
}

func TestTracingIsSilentOutsideLambda(t *testing.T) {
	assert.Nil(t, NewTracer(""), "no daemon address: no tracer")
	var tr *Tracer
	ctx, seg := tr.Start(context.Background(), "x")
	assert.Nil(t, seg)
	seg.Annotate("k", "v")
	seg.End(errors.New("ignored"))
	assert.NotNil(t, ctx)

	d := obstest.NewDaemon(t)
	tr = NewTracer(d.Addr())
	_, seg = tr.Start(context.Background(), "no header") // not invoked by Lambda
	assert.Nil(t, seg)
	ctx = WithTraceHeader(context.Background(), strings.Replace(traceHeader, "Sampled=1", "Sampled=0", 1))
	_, seg = tr.Start(ctx, "not sampled")
	assert.Nil(t, seg, "an unsampled invocation must not emit subsegments")
}

func TestSDKCallsAreTracedWithTenantAndHeader(t *testing.T) {
	d := obstest.NewDaemon(t)
	tr := NewTracer(d.Addr())
	var gotHeader string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotHeader = r.Header.Get("X-Amzn-Trace-Id")
		w.Header().Set("x-amzn-RequestId", "REQ123")
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		_, _ = w.Write([]byte(`{"Item":{}}`))
	}))
	defer srv.Close()
	client := dynamodb.NewFromConfig(aws.Config{
		Region: "eu-west-1", Credentials: credentials.NewStaticCredentialsProvider("k", "s", ""),
		APIOptions: append([]func(*middleware.Stack) error{}, TraceAWS(tr)),
	}, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	ctx := WithTraceHeader(context.Background(), traceHeader)
	ctx = WithTenant(ctx, "globex")
	_, err := client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("t"), Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "x"}}})
	require.NoError(t, err)
	seg := d.Next(t)
	assert.Equal(t, "DynamoDB", seg["name"])
	assert.Equal(t, "aws", seg["namespace"])
	assert.Equal(t, map[string]any{"TenantId": "globex"}, seg["annotations"], "a DynamoDB call without its tenant cannot be attributed")
	awsInfo := seg["aws"].(map[string]any)
	assert.Equal(t, "GetItem", awsInfo["operation"])
	assert.Equal(t, "eu-west-1", awsInfo["region"])
	assert.Equal(t, "REQ123", awsInfo["request_id"])
	assert.Equal(t, "Root=1-5759e988-bd862e3fe1be46a994272793;Parent="+seg["id"].(string)+";Sampled=1", gotHeader,
		"the trace header must reach the service so its segment joins the trace")
}
