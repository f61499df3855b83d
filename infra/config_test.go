package infra

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// validPlatform is the smallest valid platform stack configuration.
func validPlatform() map[string]string {
	return map[string]string{
		"aws:region":             "eu-west-1",
		"tenantforge:adminEmail": "ops@example.com",
	}
}

// validTenant is the smallest valid silo tenant stack configuration.
func validTenant() map[string]string {
	return map[string]string{
		"aws:region":                "eu-west-1",
		"tenantforge:tenant":        `{"id":"acme","name":"acme","tier":"platinum"}`,
		"tenantforge:platformStack": "myorg/tenantforge/dev",
	}
}

func with(base map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range base {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == "<unset>" {
			delete(out, kv[i])
			continue
		}
		out[kv[i]] = kv[i+1]
	}
	return out
}

func TestParseConfigDefaults(t *testing.T) {
	cfg, err := ParseConfig("tenantforge", "dev", ConfigFrom(validPlatform()))
	require.NoError(t, err)
	assert.Equal(t, DefaultTiers(), cfg.Tiers, "a stack without tiers gets the documented default tiers")
	assert.Equal(t, []string{"basic", "platinum", "premium", "standard"}, cfg.TierNames())
	assert.Equal(t, "dev", cfg.Environment)
	assert.True(t, cfg.IsDev())
	assert.False(t, cfg.IsTenantStack())
	assert.Equal(t, AuditTrailConfig{Enabled: true, RetentionDays: 90}, cfg.AuditTrail, "the audit trail is on by default")
	assert.False(t, cfg.VPC.Enabled, "the VPC is off by default")
	assert.Equal(t, NatSingle, cfg.VPC.NatGateways)
	assert.Equal(t, WebConfig{PriceClass: "PriceClass_100"}, cfg.Web)
	assert.Equal(t, "main", cfg.CICD.Branch)
	assert.Equal(t, 30, cfg.LogRetentionDays)
	assert.Equal(t, IdentityConfig{AdvancedSecurity: "OFF", IDTokenMinutes: 60, RefreshTokenDays: 30, AuthorizerCacheSeconds: 60}, cfg.Identity)
	assert.Equal(t, FunctionsConfig{MemoryMB: 256, TimeoutSeconds: 10}, cfg.Functions)
	assert.Equal(t, DefaultObservability(), cfg.Observability)
	assert.False(t, cfg.Observability.ActivateCostTag, "activating the cost tag fails before billing has seen it: opt-in only")
}

func TestParseConfigObservabilityKeepsUnsetThresholds(t *testing.T) {
	cfg, err := ParseConfig("tenantforge", "dev", ConfigFrom(with(validPlatform(), "tenantforge:observability",
		`{"namespace":"acme/saas","alarmEmail":"oncall@example.com","topTenants":5,"thresholds":{"p99LatencyMs":800},"activateCostTag":true,"usageRetentionDays":90,"pipelineName":"tf-dev"}`)))
	require.NoError(t, err)
	want := DefaultObservability()
	want.Namespace, want.AlarmEmail, want.TopTenants, want.ActivateCostTag, want.UsageRetentionDays, want.PipelineName = "acme/saas", "oncall@example.com", 5, true, 90, "tf-dev"
	want.Thresholds.P99LatencyMs = 800
	assert.Equal(t, want, cfg.Observability, "thresholds not set must keep their defaults")
}

func TestParseConfigTenantStack(t *testing.T) {
	cfg, err := ParseConfig("tenantforge", "dev-tenant-acme", ConfigFrom(validTenant()))
	require.NoError(t, err)
	require.True(t, cfg.IsTenantStack())
	assert.Equal(t, TenantConfig{ID: "acme", Name: "acme", Tier: "platinum"}, *cfg.Tenant)
	assert.Equal(t, "myorg/tenantforge/dev", cfg.PlatformStack)
}

func TestParseConfigEmptyTenantObjectIsAPlatformStack(t *testing.T) {
	// Pulumi.yaml declares tenant with default {}: the CLI passes "{}" to
	// every platform stack.
	cfg, err := ParseConfig("tenantforge", "dev", ConfigFrom(with(validPlatform(), "tenantforge:tenant", "{}", "tenantforge:platformStack", "")))
	require.NoError(t, err)
	assert.False(t, cfg.IsTenantStack())
}

func TestParseConfigCustomTiersReplaceDefaults(t *testing.T) {
	cfg, err := ParseConfig("tenantforge", "dev", ConfigFrom(with(validPlatform(),
		"tenantforge:tiers", `{"free":{"deployment":"pool","rateLimit":1.5,"burstLimit":2,"quotaPerDay":100},"gold":{"deployment":"silo","rateLimit":5,"burstLimit":5,"quotaPerDay":1000,"reservedConcurrency":3}}`)))
	require.NoError(t, err)
	require.Len(t, cfg.Tiers, 2)
	assert.Equal(t, 1.5, cfg.Tiers["free"].RateLimit)
	require.NotNil(t, cfg.Tiers["gold"].ReservedConcurrency)
	assert.Equal(t, 3, *cfg.Tiers["gold"].ReservedConcurrency)
}

// Every rule: the config, the key the message must name, and a piece of the
// fix it must give.
func TestParseConfigRejects(t *testing.T) {
	tier := func(body string) string { return `{"basic":` + body + `}` }
	cases := []struct {
		name   string
		config map[string]string
		key    string
		fix    string
	}{
		{"missing region", with(validPlatform(), "aws:region", "<unset>"), "aws:region", "pulumi config set aws:region"},
		{"bad region", with(validPlatform(), "aws:region", "Europe"), "aws:region", "eu-west-1"},
		{"bad environment", with(validPlatform(), "tenantforge:environment", "Prod!"), "tenantforge:environment", "lowercase"},
		{"bad log retention", with(validPlatform(), "tenantforge:logRetentionDays", "10"), "tenantforge:logRetentionDays", "use one of"},
		{"unknown tier deployment", with(validPlatform(), "tenantforge:tiers", tier(`{"deployment":"shared","rateLimit":1,"burstLimit":1,"quotaPerDay":10}`)), "tenantforge:tiers.basic.deployment", `use "pool" or "silo"`},
		{"tier without deployment model", with(validPlatform(), "tenantforge:tiers", tier(`{"rateLimit":1,"burstLimit":1,"quotaPerDay":10}`)), "tenantforge:tiers.basic.deployment", "set it to"},
		{"zero rate", with(validPlatform(), "tenantforge:tiers", tier(`{"deployment":"pool","rateLimit":0,"burstLimit":1,"quotaPerDay":10}`)), "tenantforge:tiers.basic.rateLimit", "positive"},
		{"negative burst", with(validPlatform(), "tenantforge:tiers", tier(`{"deployment":"pool","rateLimit":1,"burstLimit":-1,"quotaPerDay":10}`)), "tenantforge:tiers.basic.burstLimit", "positive"},
		{"burst below rate", with(validPlatform(), "tenantforge:tiers", tier(`{"deployment":"pool","rateLimit":10,"burstLimit":5,"quotaPerDay":1000}`)), "tenantforge:tiers.basic.burstLimit", "raise burstLimit to at least 10"},
		{"zero quota", with(validPlatform(), "tenantforge:tiers", tier(`{"deployment":"pool","rateLimit":1,"burstLimit":1,"quotaPerDay":0}`)), "tenantforge:tiers.basic.quotaPerDay", "positive"},
		{"quota below one second of rate", with(validPlatform(), "tenantforge:tiers", tier(`{"deployment":"pool","rateLimit":100,"burstLimit":100,"quotaPerDay":50}`)), "tenantforge:tiers.basic.quotaPerDay", "raise quotaPerDay"},
		{"reserved concurrency on a pool tier", with(validPlatform(), "tenantforge:tiers", tier(`{"deployment":"pool","rateLimit":1,"burstLimit":1,"quotaPerDay":10,"reservedConcurrency":5}`)), "tenantforge:tiers.basic.reservedConcurrency", "only to silo tiers"},
		{"non-positive reserved concurrency", with(validPlatform(), "tenantforge:tiers", `{"gold":{"deployment":"silo","rateLimit":1,"burstLimit":1,"quotaPerDay":10,"reservedConcurrency":0}}`), "tenantforge:tiers.gold.reservedConcurrency", "positive"},
		{"misspelt tier field", with(validPlatform(), "tenantforge:tiers", tier(`{"deployment":"pool","ratelimit":1,"burstLimit":1,"quotaPerDay":10}`)), "tenantforge:tiers.basic", `"ratelimit" is not a known setting`},
		{"wrong type in tier", with(validPlatform(), "tenantforge:tiers", tier(`{"deployment":"pool","rateLimit":"fast","burstLimit":1,"quotaPerDay":10}`)), "tenantforge:tiers.basic", "fix its type"},
		{"bad tier name", with(validPlatform(), "tenantforge:tiers", `{"Gold Plan":{"deployment":"pool","rateLimit":1,"burstLimit":1,"quotaPerDay":10}}`), "tenantforge:tiers.Gold Plan", "lowercase"},
		{"no tiers", with(validPlatform(), "tenantforge:tiers", `{}`), "tenantforge:tiers", "define at least one tier"},
		{"duplicate tier name", with(validPlatform(), "tenantforge:tiers", `{"basic":{"deployment":"pool","rateLimit":1,"burstLimit":1,"quotaPerDay":10},"basic":{"deployment":"silo","rateLimit":1,"burstLimit":1,"quotaPerDay":10}}`), "tenantforge:tiers", `tier "basic" is defined twice`},
		{"duplicate key in an object", with(validPlatform(), "tenantforge:web", `{"priceClass":"PriceClass_100","priceClass":"PriceClass_All"}`), "tenantforge:web", `"priceClass" appears twice`},
		{"missing admin email", with(validPlatform(), "tenantforge:adminEmail", "<unset>"), "tenantforge:adminEmail", "pulumi config set adminEmail"},
		{"bad admin email", with(validPlatform(), "tenantforge:adminEmail", "Ops <ops@example.com>"), "tenantforge:adminEmail", "ops@example.com"},
		{"bad price class", with(validPlatform(), "tenantforge:web", `{"priceClass":"cheap"}`), "tenantforge:web.priceClass", "PriceClass_100"},
		{"domain without certificate", with(validPlatform(), "tenantforge:web", `{"priceClass":"PriceClass_100","domain":"app.example.com"}`), "tenantforge:web.certificateArn", "us-east-1"},
		{"certificate without domain", with(validPlatform(), "tenantforge:web", `{"priceClass":"PriceClass_100","certificateArn":"arn:aws:acm:us-east-1:123456789012:certificate/abc"}`), "tenantforge:web.domain", "set web.domain"},
		{"certificate outside us-east-1", with(validPlatform(), "tenantforge:web", `{"priceClass":"PriceClass_100","domain":"app.example.com","certificateArn":"arn:aws:acm:eu-west-1:123456789012:certificate/abc"}`), "tenantforge:web.certificateArn", "only accepts certificates from us-east-1"},
		{"bad repository", with(validPlatform(), "tenantforge:cicd", `{"repository":"just-a-name","branch":"main"}`), "tenantforge:cicd.repository", "owner/name"},
		{"empty branch", with(validPlatform(), "tenantforge:cicd", `{"repository":"acme/tenantforge","branch":""}`), "tenantforge:cicd.branch", "e.g. main"},
		{"bad connection arn", with(validPlatform(), "tenantforge:cicd", `{"repository":"acme/tf","branch":"main","connectionArn":"conn-1"}`), "tenantforge:cicd.connectionArn", "remove it"},
		{"bad notify email", with(validPlatform(), "tenantforge:cicd", `{"repository":"acme/tf","branch":"main","notifyEmail":"ops at example"}`), "tenantforge:cicd.notifyEmail", "ops@example.com"},
		{"unknown canary", with(validPlatform(), "tenantforge:cicd", `{"repository":"acme/tf","branch":"main","canary":"Canary10Percent5Minutes"}`), "tenantforge:cicd.canary", "CodeDeployDefault.LambdaCanary10Percent5Minutes"},
		{"approval without a pipeline", with(validPlatform(), "tenantforge:cicd", `{"repository":"","branch":"main","approval":true}`), "tenantforge:cicd.approval", "set cicd.repository"},
		{"misspelt cicd field", with(validPlatform(), "tenantforge:cicd", `{"repository":"acme/tf","branch":"main","aproval":true}`), "tenantforge:cicd", `"aproval" is not a known setting`},
		{"pipeline on Pulumi Cloud without a token", with(validPlatform(), "tenantforge:cicd", `{"repository":"acme/tf","branch":"main"}`), "tenantforge:pulumiBackend.accessTokenSecretArn", "store it in Secrets Manager"},
		{"pipeline on an S3 backend without a passphrase", with(validPlatform(), "tenantforge:cicd", `{"repository":"acme/tf","branch":"main"}`, "tenantforge:pulumiBackend", `{"url":"s3://acme-state","accessTokenSecretArn":"`+tokenArn+`"}`), "tenantforge:pulumiBackend.passphraseSecretArn", "passphrase of the self-managed backend s3://acme-state"},
		{"bad backend url", with(validPlatform(), "tenantforge:pulumiBackend", `{"url":"ftp://state"}`), "tenantforge:pulumiBackend.url", "s3://bucket"},
		{"token as plaintext", with(validPlatform(), "tenantforge:pulumiBackend", `{"url":"","accessTokenSecretArn":"pul-0123456789abcdef"}`), "tenantforge:pulumiBackend.accessTokenSecretArn", "store the Pulumi access token in Secrets Manager"},
		{"passphrase as plaintext", with(validPlatform(), "tenantforge:pulumiBackend", `{"url":"s3://acme-state","passphraseSecretArn":"hunter2"}`), "tenantforge:pulumiBackend.passphraseSecretArn", "Secrets Manager secret ARN"},
		{"misspelt backend field", with(validPlatform(), "tenantforge:pulumiBackend", `{"URL":"s3://acme-state"}`), "tenantforge:pulumiBackend", `"URL" is not a known setting`},
		{"bad audit retention", with(validPlatform(), "tenantforge:auditTrail", `{"enabled":true,"retentionDays":11}`), "tenantforge:auditTrail.retentionDays", "use one of"},
		{"bad nat strategy", with(validPlatform(), "tenantforge:vpc", `{"enabled":true,"cidrBlock":"10.0.0.0/16","availabilityZones":2,"natGateways":"Many"}`), "tenantforge:vpc.natGateways", "None, Single or OnePerAz"},
		{"bad vpc cidr", with(validPlatform(), "tenantforge:vpc", `{"enabled":true,"cidrBlock":"10.0.0.0/8","availabilityZones":2,"natGateways":"Single"}`), "tenantforge:vpc.cidrBlock", "between /16 and /20"},
		{"vpc cidr with host bits", with(validPlatform(), "tenantforge:vpc", `{"enabled":true,"cidrBlock":"10.0.3.0/16","availabilityZones":2,"natGateways":"Single"}`), "tenantforge:vpc.cidrBlock", "use 10.0.0.0/16"},
		{"too many zones", with(validPlatform(), "tenantforge:vpc", `{"enabled":true,"cidrBlock":"10.0.0.0/16","availabilityZones":9,"natGateways":"Single"}`), "tenantforge:vpc.availabilityZones", "1 to 6"},
		{"reserved metrics namespace", with(validPlatform(), "tenantforge:observability", `{"namespace":"AWS/Lambda"}`), "tenantforge:observability.namespace", "reserved for AWS"},
		{"bad metrics namespace", with(validPlatform(), "tenantforge:observability", `{"namespace":"my namespace!"}`), "tenantforge:observability.namespace", "such as tenantforge"},
		{"bad alarm email", with(validPlatform(), "tenantforge:observability", `{"alarmEmail":"oncall"}`), "tenantforge:observability.alarmEmail", "oncall@example.com"},
		{"too many top tenants", with(validPlatform(), "tenantforge:observability", `{"topTenants":500}`), "tenantforge:observability.topTenants", "1 to 50"},
		{"5xx rate over 100%", with(validPlatform(), "tenantforge:observability", `{"thresholds":{"api5xxPercent":150}}`), "tenantforge:observability.thresholds.api5xxPercent", "at most 100"},
		{"p99 beyond API Gateway", with(validPlatform(), "tenantforge:observability", `{"thresholds":{"p99LatencyMs":60000}}`), "tenantforge:observability.thresholds.p99LatencyMs", "29 s"},
		{"negative error threshold", with(validPlatform(), "tenantforge:observability", `{"thresholds":{"functionErrors":-1}}`), "tenantforge:observability.thresholds.functionErrors", "0 or more"},
		{"misspelt threshold", with(validPlatform(), "tenantforge:observability", `{"thresholds":{"p99latency":100}}`), "tenantforge:observability", "p99latency"},
		{"bad pipeline name", with(validPlatform(), "tenantforge:observability", `{"pipelineName":"my pipeline"}`), "tenantforge:observability.pipelineName", "CodePipeline name"},
		{"usage kept forever", with(validPlatform(), "tenantforge:observability", `{"usageRetentionDays":0}`), "tenantforge:observability.usageRetentionDays", "1 to 3650"},
		{"platformStack on a platform stack", with(validPlatform(), "tenantforge:platformStack", "org/tenantforge/dev"), "tenantforge:platformStack", "remove it"},
		{"tenant stack without platformStack", with(validTenant(), "tenantforge:platformStack", "<unset>"), "tenantforge:platformStack", "pulumi config set platformStack"},
		{"tenant stack naming itself", with(validTenant(), "tenantforge:platformStack", "org/tenantforge/dev-tenant-acme"), "tenantforge:platformStack", "names this stack itself"},
		{"tenant id too short", with(validTenant(), "tenantforge:tenant", `{"id":"ac","name":"acme","tier":"platinum"}`), "tenantforge:tenant.id", "3-63 lowercase"},
		{"tenant id uppercase", with(validTenant(), "tenantforge:tenant", `{"id":"Acme","name":"acme","tier":"platinum"}`), "tenantforge:tenant.id", "3-63 lowercase"},
		{"tenant name with trailing hyphen", with(validTenant(), "tenantforge:tenant", `{"id":"acme","name":"acme-","tier":"platinum"}`), "tenantforge:tenant.name", "inner hyphens"},
		{"tenant name too long", with(validTenant(), "tenantforge:tenant", `{"id":"acme","name":"`+string(make64a())+`","tier":"platinum"}`), "tenantforge:tenant.name", "3-63"},
		{"tenant on an unknown tier", with(validTenant(), "tenantforge:tenant", `{"id":"acme","name":"acme","tier":"diamond"}`), "tenantforge:tenant.tier", "unknown tier \"diamond\""},
		{"tenant on a pool tier", with(validTenant(), "tenantforge:tenant", `{"id":"acme","name":"acme","tier":"basic"}`), "tenantforge:tenant.tier", "needs a silo tier ([platinum])"},
		{"tenant without tier", with(validTenant(), "tenantforge:tenant", `{"id":"acme","name":"acme"}`), "tenantforge:tenant.tier", "set the silo tier"},
		{"bad advanced security", with(validPlatform(), "tenantforge:identity", `{"advancedSecurity":"MAX","idTokenMinutes":60,"refreshTokenDays":30,"authorizerCacheSeconds":60}`), "tenantforge:identity.advancedSecurity", "OFF, AUDIT or ENFORCED"},
		{"id token too long", with(validPlatform(), "tenantforge:identity", `{"advancedSecurity":"OFF","idTokenMinutes":2000,"refreshTokenDays":30,"authorizerCacheSeconds":60}`), "tenantforge:identity.idTokenMinutes", "5 to 1440"},
		{"refresh token zero", with(validPlatform(), "tenantforge:identity", `{"advancedSecurity":"OFF","idTokenMinutes":60,"refreshTokenDays":0,"authorizerCacheSeconds":60}`), "tenantforge:identity.refreshTokenDays", "1 to 3650"},
		{"authorizer cache too long", with(validPlatform(), "tenantforge:identity", `{"advancedSecurity":"OFF","idTokenMinutes":60,"refreshTokenDays":30,"authorizerCacheSeconds":300}`), "tenantforge:identity.authorizerCacheSeconds", "within a minute"},
		{"function memory too small", with(validPlatform(), "tenantforge:functions", `{"memoryMb":64,"timeoutSeconds":10}`), "tenantforge:functions.memoryMb", "128 to 10240"},
		{"function timeout past the API's", with(validPlatform(), "tenantforge:functions", `{"memoryMb":256,"timeoutSeconds":60}`), "tenantforge:functions.timeoutSeconds", "API Gateway stops waiting at 29"},
		{"unknown tenant field", with(validTenant(), "tenantforge:tenant", `{"id":"acme","name":"acme","tier":"platinum","plan":"x"}`), "tenantforge:tenant", `"plan" is not a known setting`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := ParseConfig("tenantforge", "dev-tenant-acme", ConfigFrom(tc.config))
			require.Error(t, err, "invalid config was accepted: a bad stack would reach AWS")
			assert.Nil(t, cfg)
			var ce *ConfigError
			require.True(t, errors.As(err, &ce))
			found := false
			for _, p := range ce.Problems {
				if len(p) > len(tc.key) && p[:len(tc.key)+2] == tc.key+": " {
					found = true
					assert.Contains(t, p, tc.fix, "the message for %s must say how to fix it", tc.key)
				}
			}
			assert.True(t, found, "no problem names key %s; got %q", tc.key, ce.Problems)
		})
	}
}

const tokenArn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:tf/pulumi-token-AbCdEf"

func TestParseConfigPipeline(t *testing.T) {
	cfg, err := ParseConfig("tenantforge", "dev", ConfigFrom(validPlatform()))
	require.NoError(t, err)
	assert.False(t, cfg.CICD.PipelineEnabled(), "a stack without cicd.repository must not build a pipeline")
	assert.Equal(t, "CodeDeployDefault.LambdaCanary10Percent5Minutes", cfg.CICD.Canary, "releases shift 10 percent for 5 minutes by default")
	assert.Equal(t, PulumiBackendConfig{}, cfg.PulumiBackend)

	cfg, err = ParseConfig("tenantforge", "dev", ConfigFrom(with(validPlatform(),
		"tenantforge:cicd", `{"repository":"acme/tf","branch":"release","approval":true,"notifyEmail":"ci@example.com","canary":"CodeDeployDefault.LambdaLinear10PercentEvery1Minute"}`,
		"tenantforge:pulumiBackend", `{"url":"s3://acme-state/tf","passphraseSecretArn":"`+tokenArn+`"}`)))
	require.NoError(t, err)
	assert.Equal(t, CICDConfig{Repository: "acme/tf", Branch: "release", Approval: true, NotifyEmail: "ci@example.com", Canary: "CodeDeployDefault.LambdaLinear10PercentEvery1Minute"}, cfg.CICD)
	assert.True(t, cfg.CICD.PipelineEnabled())
	assert.Equal(t, PulumiBackendConfig{URL: "s3://acme-state/tf", PassphraseSecretArn: tokenArn}, cfg.PulumiBackend)
	assert.False(t, cfg.PulumiBackend.IsPulumiCloud())

	// A tenant stack never builds the pipeline, so it needs no backend secrets.
	_, err = ParseConfig("tenantforge", "dev-tenant-acme", ConfigFrom(with(validTenant(), "tenantforge:cicd", `{"repository":"acme/tf","branch":"main"}`)))
	require.NoError(t, err)
}

func make64a() []byte {
	b := make([]byte, 64)
	for i := range b {
		b[i] = 'a'
	}
	return b
}

func TestParseConfigReportsEveryProblemAtOnce(t *testing.T) {
	_, err := ParseConfig("tenantforge", "dev", ConfigFrom(map[string]string{
		"tenantforge:environment": "PROD",
		"tenantforge:tiers":       `{"basic":{"deployment":"pool","rateLimit":10,"burstLimit":1,"quotaPerDay":100}}`,
	}))
	var ce *ConfigError
	require.True(t, errors.As(err, &ce))
	assert.Len(t, ce.Problems, 4, "region, environment, burstLimit and adminEmail are all wrong: %q", ce.Problems)
	assert.Contains(t, err.Error(), `invalid configuration for stack "dev" (4 problems)`)
}

func TestDuplicateKeyFindsNestedDuplicates(t *testing.T) {
	assert.Equal(t, "", duplicateKey([]byte(`{"a":1,"b":{"a":2}}`)), "the same key in different objects is fine")
	assert.Equal(t, "x", duplicateKey([]byte(`{"a":{"x":1,"x":2}}`)))
	assert.Equal(t, "y", duplicateKey([]byte(`{"a":[{"y":1,"y":2}]}`)))
	assert.Equal(t, "", duplicateKey([]byte(`not json`)))
}

func TestDefaultTiersAreValid(t *testing.T) {
	raw, err := json.Marshal(DefaultTiers())
	require.NoError(t, err)
	cfg, err := ParseConfig("tenantforge", "dev", ConfigFrom(with(validPlatform(), "tenantforge:tiers", string(raw))))
	require.NoError(t, err, "the default tiers must pass the same rules as configured ones")
	assert.Equal(t, DefaultTiers(), cfg.Tiers)
}

func TestWebAccessLogsAreOptIn(t *testing.T) {
	cfg, err := ParseConfig("tenantforge", "dev", ConfigFrom(validPlatform()))
	require.NoError(t, err)
	assert.False(t, cfg.Web.AccessLogs, "access logs cost storage: off unless asked for")
	cfg, err = ParseConfig("tenantforge", "dev", ConfigFrom(with(validPlatform(), "tenantforge:web", `{"priceClass":"PriceClass_100","accessLogs":true}`)))
	require.NoError(t, err)
	assert.True(t, cfg.Web.AccessLogs)
	_, err = ParseConfig("tenantforge", "dev", ConfigFrom(with(validPlatform(), "tenantforge:web", `{"priceClass":"PriceClass_100","accessLogs":"yes"}`)))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "tenantforge:web")
}
