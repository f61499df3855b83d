package tvm

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantforge/tenantforge/shared/obs"
	"github.com/tenantforge/tenantforge/shared/obs/obstest"
)

const assumeRoleResponse = `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>
<Credentials><AccessKeyId>ASIAEXAMPLE</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken>
<Expiration>2030-01-01T00:00:00Z</Expiration></Credentials></AssumeRoleResult>
<ResponseMetadata><RequestId>sts-req-1</RequestId></ResponseMetadata></AssumeRoleResponse>`

// The real STS client, traced as the functions trace it (shared/awsenv),
// against a stand-in of the STS endpoint and of the X-Ray daemon.
func TestAssumeRoleIsTracedWithTheTenant(t *testing.T) {
	daemon := obstest.NewDaemon(t)
	endpoint := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/xml")
		w.Header().Set("X-Amzn-Requestid", "sts-req-1")
		_, _ = w.Write([]byte(assumeRoleResponse))
	}))
	defer endpoint.Close()
	cfg := aws.Config{Region: "eu-west-1", Credentials: credentials.NewStaticCredentialsProvider("k", "s", ""),
		APIOptions: []func(*middleware.Stack) error{obs.TraceAWS(obs.NewTracer(daemon.Addr()))}}
	client := sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = aws.String(endpoint.URL) })
	v := New(client, "arn:aws:iam::123456789012:role/tenant-access", cfg)

	ctx := obs.WithTraceHeader(context.Background(), "Root=1-67891233-abcdef012345678912345678;Parent=53995c3f42cd8ad8;Sampled=1")
	_, err := v.Credentials(obs.WithTenant(ctx, "acme"), "acme")
	require.NoError(t, err)

	seg := daemon.Next(t, "AssumeRole sent no subsegment")
	assert.Equal(t, "STS", seg["name"])
	assert.Equal(t, "AssumeRole", seg["aws"].(map[string]any)["operation"])
	assert.Equal(t, "sts-req-1", seg["aws"].(map[string]any)["request_id"])
	assert.Equal(t, map[string]any{"TenantId": "acme"}, seg["annotations"], "the tenant's STS session must be traceable to the tenant")
}
