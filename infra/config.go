package infra

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/mail"
	"net/netip"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/tenantforge/tenantforge/shared/obs"
	"github.com/tenantforge/tenantforge/shared/tenancy"
)

// ConfigNamespace is the Pulumi config namespace of every tenantforge key.
const ConfigNamespace = "tenantforge"

// Deployment models a tier can use.
const (
	DeploymentPool = tenancy.DeploymentPool
	DeploymentSilo = tenancy.DeploymentSilo
)

// NAT gateway strategies for the optional VPC (awsx ec2.Vpc names).
const (
	NatNone     = "None"
	NatSingle   = "Single"
	NatOnePerAz = "OnePerAz"
)

// Config is the whole, validated stack configuration. main.go loads it once
// and passes it down; components never read config themselves.
type Config struct {
	Project string
	Stack   string
	// Region is the stack's AWS region (aws:region).
	Region string

	Environment      string
	Tiers            map[string]Tier
	AdminEmail       string
	LogRetentionDays int
	Web              WebConfig
	CICD             CICDConfig
	PulumiBackend    PulumiBackendConfig
	AuditTrail       AuditTrailConfig
	VPC              VPCConfig
	Identity         IdentityConfig
	Functions        FunctionsConfig
	Observability    ObservabilityConfig

	// Tenant is set only on a silo tenant's stack.
	Tenant *TenantConfig
	// PlatformStack is the fully qualified platform stack a tenant stack reads.
	PlatformStack string
}

// Tier is one pricing tier: its deployment model and its API limits.
type Tier struct {
	Deployment          string  `json:"deployment"`
	RateLimit           float64 `json:"rateLimit"`
	BurstLimit          int     `json:"burstLimit"`
	QuotaPerDay         int     `json:"quotaPerDay"`
	ReservedConcurrency *int    `json:"reservedConcurrency,omitempty"`
}

// WebConfig configures the CloudFront distribution of the web app.
type WebConfig struct {
	Domain         string `json:"domain,omitempty"`
	CertificateArn string `json:"certificateArn,omitempty"`
	PriceClass     string `json:"priceClass"`
	WAF            bool   `json:"waf"`
	// AccessLogs turns on CloudFront standard logs to a bucket of their own.
	AccessLogs bool `json:"accessLogs,omitempty"`
}

// CICDConfig configures the delivery pipeline of the platform stack (built
// only when Repository is set) and how Lambda releases shift traffic.
type CICDConfig struct {
	Repository    string `json:"repository"`
	Branch        string `json:"branch"`
	ConnectionArn string `json:"connectionArn,omitempty"`
	// Approval puts a manual approval between the build and the deploy.
	Approval bool `json:"approval"`
	// NotifyEmail subscribes to pipeline failures and approval requests.
	NotifyEmail string `json:"notifyEmail,omitempty"`
	// Canary is the CodeDeploy deployment configuration of every Lambda
	// release (one of LambdaDeploymentConfigs).
	Canary string `json:"canary"`
}

// PipelineEnabled reports whether the stack builds the delivery pipeline.
func (c CICDConfig) PipelineEnabled() bool { return c.Repository != "" }

// LambdaDeploymentConfigs are CodeDeploy's predefined deployment
// configurations for Lambda aliases.
var LambdaDeploymentConfigs = []string{
	"CodeDeployDefault.LambdaAllAtOnce",
	"CodeDeployDefault.LambdaCanary10Percent5Minutes",
	"CodeDeployDefault.LambdaCanary10Percent10Minutes",
	"CodeDeployDefault.LambdaCanary10Percent15Minutes",
	"CodeDeployDefault.LambdaCanary10Percent30Minutes",
	"CodeDeployDefault.LambdaLinear10PercentEvery1Minute",
	"CodeDeployDefault.LambdaLinear10PercentEvery2Minutes",
	"CodeDeployDefault.LambdaLinear10PercentEvery3Minutes",
	"CodeDeployDefault.LambdaLinear10PercentEvery10Minutes",
}

// PulumiBackendConfig locates the Pulumi state backend the pipeline uses.
// Credentials are Secrets Manager secret ARNs, never plaintext config.
type PulumiBackendConfig struct {
	// URL is the backend (https://api.pulumi.com, s3://bucket, ...); empty
	// means Pulumi Cloud.
	URL string `json:"url"`
	// AccessTokenSecretArn holds a Pulumi Cloud access token.
	AccessTokenSecretArn string `json:"accessTokenSecretArn,omitempty"`
	// PassphraseSecretArn holds the passphrase of the passphrase secrets
	// provider (self-managed backends).
	PassphraseSecretArn string `json:"passphraseSecretArn,omitempty"`
}

// IsPulumiCloud reports whether the backend is Pulumi Cloud (or a
// self-hosted Pulumi Cloud), which takes an access token.
func (b PulumiBackendConfig) IsPulumiCloud() bool {
	return b.URL == "" || strings.HasPrefix(b.URL, "https://")
}

// AuditTrailConfig configures the platform's CloudTrail audit trail.
type AuditTrailConfig struct {
	Enabled       bool `json:"enabled"`
	RetentionDays int  `json:"retentionDays"`
}

// VPCConfig configures the optional VPC for functions that must reach
// private resources.
type VPCConfig struct {
	Enabled           bool   `json:"enabled"`
	CidrBlock         string `json:"cidrBlock"`
	AvailabilityZones int    `json:"availabilityZones"`
	NatGateways       string `json:"natGateways"`
}

// Advanced security modes of the Cognito user pool.
const (
	AdvancedSecurityOff      = "OFF"
	AdvancedSecurityAudit    = "AUDIT"
	AdvancedSecurityEnforced = "ENFORCED"
)

// IdentityConfig configures sign-in: Cognito token lifetimes, advanced
// security, and how long the authorizer caches a decision.
type IdentityConfig struct {
	AdvancedSecurity       string `json:"advancedSecurity"`
	IDTokenMinutes         int    `json:"idTokenMinutes"`
	RefreshTokenDays       int    `json:"refreshTokenDays"`
	AuthorizerCacheSeconds int    `json:"authorizerCacheSeconds"`
}

// FunctionsConfig sizes the application functions.
type FunctionsConfig struct {
	MemoryMB       int `json:"memoryMb"`
	TimeoutSeconds int `json:"timeoutSeconds"`
}

// ObservabilityConfig configures telemetry, alarms and cost attribution
// (infra/observability.go).
type ObservabilityConfig struct {
	// Namespace is the CloudWatch namespace of the per-tenant metrics.
	Namespace string `json:"namespace"`
	// AlarmEmail, when set, is subscribed to the alarm topic.
	AlarmEmail string `json:"alarmEmail,omitempty"`
	// TopTenants is how many tenants the dashboard ranks.
	TopTenants int `json:"topTenants"`
	// Thresholds of the alarms.
	Thresholds AlarmThresholds `json:"thresholds"`
	// PipelineName, when set, adds the CI/CD pipeline's status to the dashboard.
	PipelineName string `json:"pipelineName,omitempty"`
	// ActivateCostTag activates the tenant-id tag as a cost allocation tag.
	// Opt-in: activation fails until AWS billing has seen the tag on a
	// resource (a silo tenant stack), which can take a day.
	ActivateCostTag bool `json:"activateCostTag"`
	// UsageRetentionDays is how long daily usage records are kept.
	UsageRetentionDays int `json:"usageRetentionDays"`
}

// AlarmThresholds are the alarms' thresholds; each alarm fires when its
// metric is above the value (per five minutes, for counts).
type AlarmThresholds struct {
	API5xxPercent        float64 `json:"api5xxPercent"`
	P99LatencyMs         int     `json:"p99LatencyMs"`
	FunctionErrors       int     `json:"functionErrors"`
	FunctionThrottles    int     `json:"functionThrottles"`
	DynamoDBThrottles    int     `json:"dynamodbThrottles"`
	RegistrationFailures int     `json:"registrationFailures"`
	ProvisioningFailures int     `json:"provisioningFailures"`
}

// DefaultObservability is the observability config a stack gets when it sets
// none; Pulumi.yaml declares the same.
func DefaultObservability() ObservabilityConfig {
	return ObservabilityConfig{
		Namespace:  obs.DefaultNamespace, // what the functions emit into when unset
		TopTenants: 10,
		Thresholds: AlarmThresholds{API5xxPercent: 1, P99LatencyMs: 2000, FunctionErrors: 0, FunctionThrottles: 0,
			DynamoDBThrottles: 0, RegistrationFailures: 0, ProvisioningFailures: 0},
		UsageRetentionDays: 400,
	}
}

// TenantConfig identifies the silo tenant a tenant stack is for.
type TenantConfig struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Tier string `json:"tier"`
}

// IsTenantStack reports whether this stack builds one silo tenant.
func (c *Config) IsTenantStack() bool { return c.Tenant != nil }

// TiersOf returns the tiers of one deployment model.
func (c *Config) TiersOf(deployment string) map[string]Tier {
	out := map[string]Tier{}
	for name, t := range c.Tiers {
		if t.Deployment == deployment {
			out[name] = t
		}
	}
	return out
}

// IsDev reports whether the stack is a development stack (no deletion
// protection, short retention).
func (c *Config) IsDev() bool { return c.Environment == "dev" }

// TierNames returns the tier names in a stable order.
func (c *Config) TierNames() []string { return slices.Sorted(maps.Keys(c.Tiers)) }

// DefaultTiers are the tiers a stack gets when it configures none.
func DefaultTiers() map[string]Tier {
	return map[string]Tier{
		"basic":    {Deployment: DeploymentPool, RateLimit: 10, BurstLimit: 20, QuotaPerDay: 10000},
		"standard": {Deployment: DeploymentPool, RateLimit: 50, BurstLimit: 100, QuotaPerDay: 100000},
		"premium":  {Deployment: DeploymentPool, RateLimit: 200, BurstLimit: 400, QuotaPerDay: 1000000},
		"platinum": {Deployment: DeploymentSilo, RateLimit: 1000, BurstLimit: 2000, QuotaPerDay: 10000000, ReservedConcurrency: intPtr(20)},
	}
}

func intPtr(i int) *int { return &i }

// Defaults of the non-tier keys; Pulumi.yaml declares the same values and a
// test keeps the two in step.
const (
	DefaultEnvironment      = "dev"
	DefaultLogRetentionDays = 30
	DefaultPriceClass       = "PriceClass_100"
	DefaultBranch           = "main"
	DefaultCanary           = "CodeDeployDefault.LambdaCanary10Percent5Minutes"
	DefaultAuditRetention   = 90
	DefaultVPCCidr          = "10.0.0.0/16"
	DefaultVPCZones         = 2
	DefaultIDTokenMinutes   = 60
	DefaultRefreshTokenDays = 30
	DefaultAuthorizerCache  = 60
	DefaultFunctionMemory   = 256
	DefaultFunctionTimeout  = 10
)

// ConfigGetter returns the raw value of a fully qualified config key
// ("tenantforge:tiers", "aws:region") and whether it is set.
type ConfigGetter func(key string) (string, bool)

// ConfigFrom is the getter of a stack's config held in a map (top-level
// keys, objects as JSON), as tools and tests that read stack files have it.
func ConfigFrom(config map[string]string) ConfigGetter {
	return func(k string) (string, bool) { v, ok := config[k]; return v, ok }
}

// ConfigError lists every problem found in a stack's configuration. Each
// line names the key and the fix.
type ConfigError struct {
	Stack    string
	Problems []string
}

func (e *ConfigError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "invalid configuration for stack %q (%d problem", e.Stack, len(e.Problems))
	if len(e.Problems) != 1 {
		b.WriteString("s")
	}
	b.WriteString("):")
	for _, p := range e.Problems {
		b.WriteString("\n  - ")
		b.WriteString(p)
	}
	return b.String()
}

type problems struct{ list []string }

func (p *problems) add(key, format string, args ...any) {
	p.list = append(p.list, key+": "+fmt.Sprintf(format, args...))
}

var (
	tierNamePattern  = regexp.MustCompile(`^[a-z][a-z0-9-]{1,30}$`)
	envPattern       = regexp.MustCompile(`^[a-z][a-z0-9-]{1,15}$`)
	repoPattern      = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$`)
	regionPattern    = regexp.MustCompile(`^[a-z]{2}(-gov)?-[a-z]+-\d$`)
	stackRefPattern  = regexp.MustCompile(`^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+){0,2}$`)
	domainPattern    = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)
	acmArnPattern    = regexp.MustCompile(`^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate/[A-Za-z0-9-]+$`)
	secretArnPattern = regexp.MustCompile(`^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$`)
	backendPattern   = regexp.MustCompile(`^(https://[A-Za-z0-9.-]+(:\d+)?(/\S*)?|s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/\S*)?|(gs|azblob)://\S+|file://\S+)$`)
	connArnPattern   = regexp.MustCompile(`^arn:aws[a-z-]*:(codestar-connections|codeconnections):[a-z0-9-]+:\d{12}:connection/[A-Za-z0-9-]+$`)
)

func key(k string) string { return ConfigNamespace + ":" + k }

// ParseConfig reads and validates the whole stack configuration. It returns
// a *ConfigError listing every problem, so a user fixes them in one go.
func ParseConfig(project, stack string, get ConfigGetter) (*Config, error) {
	p := &problems{}
	cfg := &Config{Project: project, Stack: stack}

	cfg.Region, _ = get("aws:region")
	switch {
	case cfg.Region == "":
		p.add("aws:region", "not set; run `pulumi config set aws:region us-east-1` (or your region)")
	case !regionPattern.MatchString(cfg.Region):
		p.add("aws:region", "%q is not an AWS region name; use a name such as eu-west-1", cfg.Region)
	}

	cfg.Environment = stringOr(get, "environment", DefaultEnvironment)
	if !envPattern.MatchString(cfg.Environment) {
		p.add(key("environment"), "%q is not a valid environment name; use 2-16 lowercase letters, digits or hyphens starting with a letter (dev, staging, prod)", cfg.Environment)
	}

	cfg.LogRetentionDays = DefaultLogRetentionDays
	if raw, ok := get(key("logRetentionDays")); ok && raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || !validRetention(n) {
			p.add(key("logRetentionDays"), "%q is not a CloudWatch Logs retention; use one of %v", raw, retentionDays)
		} else {
			cfg.LogRetentionDays = n
		}
	}

	cfg.Tiers = parseTiers(get, p)

	cfg.Web = WebConfig{PriceClass: DefaultPriceClass}
	if decodeObject(get, "web", &cfg.Web, p) {
		validateWeb(&cfg.Web, p)
	}
	cfg.CICD = CICDConfig{Branch: DefaultBranch, Canary: DefaultCanary}
	if decodeObject(get, "cicd", &cfg.CICD, p) {
		validateCICD(&cfg.CICD, p)
	}
	backendOK := decodeObject(get, "pulumiBackend", &cfg.PulumiBackend, p)
	if backendOK {
		validatePulumiBackend(&cfg.PulumiBackend, p)
	}
	cfg.AuditTrail = AuditTrailConfig{Enabled: true, RetentionDays: DefaultAuditRetention}
	if decodeObject(get, "auditTrail", &cfg.AuditTrail, p) && !validRetention(cfg.AuditTrail.RetentionDays) {
		p.add(key("auditTrail.retentionDays"), "%d is not a CloudWatch Logs retention; use one of %v", cfg.AuditTrail.RetentionDays, retentionDays)
	}
	cfg.VPC = VPCConfig{CidrBlock: DefaultVPCCidr, AvailabilityZones: DefaultVPCZones, NatGateways: NatSingle}
	if decodeObject(get, "vpc", &cfg.VPC, p) {
		validateVPC(&cfg.VPC, p)
	}

	cfg.Identity = IdentityConfig{AdvancedSecurity: AdvancedSecurityOff, IDTokenMinutes: DefaultIDTokenMinutes, RefreshTokenDays: DefaultRefreshTokenDays, AuthorizerCacheSeconds: DefaultAuthorizerCache}
	if decodeObject(get, "identity", &cfg.Identity, p) {
		validateIdentity(&cfg.Identity, p)
	}

	cfg.Functions = FunctionsConfig{MemoryMB: DefaultFunctionMemory, TimeoutSeconds: DefaultFunctionTimeout}
	if decodeObject(get, "functions", &cfg.Functions, p) {
		if cfg.Functions.MemoryMB < 128 || cfg.Functions.MemoryMB > 10240 {
			p.add(key("functions.memoryMb"), "%d is outside what Lambda allows; use 128 to 10240 MB", cfg.Functions.MemoryMB)
		}
		if cfg.Functions.TimeoutSeconds < 1 || cfg.Functions.TimeoutSeconds > 29 {
			p.add(key("functions.timeoutSeconds"), "%d is out of range; use 1 to 29 seconds (API Gateway stops waiting at 29)", cfg.Functions.TimeoutSeconds)
		}
	}

	cfg.Observability = DefaultObservability()
	if decodeObject(get, "observability", &cfg.Observability, p) {
		validateObservability(&cfg.Observability, p)
	}

	var tenant TenantConfig
	if decodeObject(get, "tenant", &tenant, p) && tenant != (TenantConfig{}) {
		cfg.Tenant = &tenant
	}
	cfg.PlatformStack, _ = get(key("platformStack"))
	cfg.AdminEmail, _ = get(key("adminEmail"))

	if cfg.Tenant != nil {
		validateTenant(cfg, p)
	} else {
		if cfg.PlatformStack != "" {
			p.add(key("platformStack"), "set on a stack without %s; platformStack belongs to silo tenant stacks only: remove it, or add tenant: {id, name, tier}", key("tenant"))
		}
		if backendOK && cfg.CICD.PipelineEnabled() {
			// The pipeline and the tenant deployer both log in to it.
			validatePipelineBackend(cfg.PulumiBackend, p)
			validateDeployerBackend(cfg.PulumiBackend, p)
		}
		validateAdminEmail(cfg.AdminEmail, p)
	}

	if len(p.list) > 0 {
		return nil, &ConfigError{Stack: stack, Problems: p.list}
	}
	return cfg, nil
}

func stringOr(get ConfigGetter, k, def string) string {
	if v, ok := get(key(k)); ok && v != "" {
		return v
	}
	return def
}

// decodeObject decodes a structured config value into out, rejecting
// unknown fields, duplicate keys and wrong types. It reports whether the
// value decoded (an unset key keeps out's defaults and counts as decoded).
func decodeObject(get ConfigGetter, k string, out any, p *problems) bool {
	raw, ok := get(key(k))
	if !ok || strings.TrimSpace(raw) == "" {
		return true
	}
	if dup := duplicateKey([]byte(raw)); dup != "" {
		p.add(key(k), "the name %q appears twice; names must be unique, remove or rename one", dup)
		return false
	}
	if err := decodeStrict([]byte(raw), out); err != nil {
		p.add(key(k), "%s", describeJSONError(err))
		return false
	}
	return true
}

// decodeStrict decodes a JSON object into the struct out. Unlike plain
// encoding/json it rejects keys that match a field only when case is
// ignored: "ratelimit" is a typo, not rateLimit.
func decodeStrict(raw []byte, out any) error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err == nil {
		known := map[string]bool{}
		typ := reflect.TypeOf(out).Elem()
		for i := range typ.NumField() {
			name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
			known[name] = true
		}
		for _, f := range slices.Sorted(maps.Keys(fields)) {
			if !known[f] {
				return fmt.Errorf("json: unknown field %q", f)
			}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(out)
}

func describeJSONError(err error) string {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		return fmt.Sprintf("field %q has a %s value where a %s is expected; fix its type", typeErr.Field, typeErr.Value, typeErr.Type)
	case errors.As(err, &syntaxErr):
		return fmt.Sprintf("not a valid object (%v); write it as a YAML map in the stack file", err)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return fmt.Sprintf("%s is not a known setting; check its spelling against Pulumi.yaml's config schema", strings.TrimPrefix(err.Error(), "json: "))
	default:
		return fmt.Sprintf("cannot be read (%v); write it as a YAML map in the stack file", err)
	}
}

// duplicateKey returns the first object key that appears twice in the same
// JSON object, or "" if there is none (or the document does not parse; the
// decoder reports that).
func duplicateKey(raw []byte) string {
	dec := json.NewDecoder(bytes.NewReader(raw))
	var walk func() (string, error)
	walk = func() (string, error) {
		tok, err := dec.Token()
		if err != nil {
			return "", err
		}
		delim, ok := tok.(json.Delim)
		if !ok {
			return "", nil
		}
		switch delim {
		case '{':
			seen := map[string]bool{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return "", err
				}
				name, _ := kt.(string)
				if seen[name] {
					return name, nil
				}
				seen[name] = true
				if d, err := walk(); d != "" || err != nil {
					return d, err
				}
			}
		case '[':
			for dec.More() {
				if d, err := walk(); d != "" || err != nil {
					return d, err
				}
			}
		}
		_, err = dec.Token() // closing delimiter
		return "", err
	}
	d, err := walk()
	if err != nil && !errors.Is(err, io.EOF) {
		return ""
	}
	return d
}

func parseTiers(get ConfigGetter, p *problems) map[string]Tier {
	raw, ok := get(key("tiers"))
	if !ok || strings.TrimSpace(raw) == "" {
		return DefaultTiers()
	}
	if dup := duplicateKey([]byte(raw)); dup != "" {
		p.add(key("tiers"), "tier %q is defined twice; tier names must be unique, remove or rename one", dup)
		return nil
	}
	var tiers map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &tiers); err != nil {
		p.add(key("tiers"), "must be a map of tier name to {deployment, rateLimit, burstLimit, quotaPerDay}: %v", err)
		return nil
	}
	if len(tiers) == 0 {
		p.add(key("tiers"), "no tiers defined; define at least one tier, e.g. basic: {deployment: pool, rateLimit: 10, burstLimit: 20, quotaPerDay: 10000}")
		return nil
	}
	out := make(map[string]Tier, len(tiers))
	for _, name := range slices.Sorted(maps.Keys(tiers)) {
		k := key("tiers." + name)
		if !tierNamePattern.MatchString(name) {
			p.add(k, "%q is not a valid tier name; use 2-31 lowercase letters, digits or hyphens starting with a letter", name)
			continue
		}
		var t Tier
		if err := decodeStrict(tiers[name], &t); err != nil {
			p.add(k, "%s", describeJSONError(err))
			continue
		}
		switch t.Deployment {
		case DeploymentPool, DeploymentSilo:
		case "":
			p.add(k+".deployment", "missing; every tier needs a deployment model: set it to %q or %q", DeploymentPool, DeploymentSilo)
		default:
			p.add(k+".deployment", "%q is not a deployment model; use %q or %q", t.Deployment, DeploymentPool, DeploymentSilo)
		}
		if t.RateLimit <= 0 {
			p.add(k+".rateLimit", "must be a positive number of requests per second (got %v)", t.RateLimit)
		}
		if t.BurstLimit <= 0 {
			p.add(k+".burstLimit", "must be a positive number of requests (got %d)", t.BurstLimit)
		} else if t.RateLimit > 0 && float64(t.BurstLimit) < t.RateLimit {
			p.add(k+".burstLimit", "%d is below rateLimit %v; API Gateway needs burstLimit >= rateLimit, raise burstLimit to at least %v", t.BurstLimit, t.RateLimit, t.RateLimit)
		}
		if t.QuotaPerDay <= 0 {
			p.add(k+".quotaPerDay", "must be a positive number of requests per day (got %d)", t.QuotaPerDay)
		} else if t.RateLimit > 0 && float64(t.QuotaPerDay) < t.RateLimit {
			p.add(k+".quotaPerDay", "%d is below one second at rateLimit %v; raise quotaPerDay or lower rateLimit", t.QuotaPerDay, t.RateLimit)
		}
		if rc := t.ReservedConcurrency; rc != nil {
			switch {
			case *rc <= 0:
				p.add(k+".reservedConcurrency", "must be a positive number of concurrent executions (got %d); remove it to use the unreserved pool", *rc)
			case t.Deployment == DeploymentPool:
				p.add(k+".reservedConcurrency", "applies only to silo tiers, whose tenants get dedicated functions; remove it from pool tier %q", name)
			}
		}
		out[name] = t
	}
	return out
}

func validateWeb(w *WebConfig, p *problems) {
	switch w.PriceClass {
	case "PriceClass_100", "PriceClass_200", "PriceClass_All":
	default:
		p.add(key("web.priceClass"), "%q is not a CloudFront price class; use PriceClass_100, PriceClass_200 or PriceClass_All", w.PriceClass)
	}
	if w.Domain != "" && !domainPattern.MatchString(w.Domain) {
		p.add(key("web.domain"), "%q is not a lowercase DNS name; use a name such as app.example.com", w.Domain)
	}
	switch {
	case w.Domain != "" && w.CertificateArn == "":
		p.add(key("web.certificateArn"), "missing; a custom domain needs an ACM certificate in us-east-1 for %s: set web.certificateArn", w.Domain)
	case w.Domain == "" && w.CertificateArn != "":
		p.add(key("web.domain"), "missing; web.certificateArn is set but no domain uses it: set web.domain or remove the certificate")
	}
	if w.CertificateArn != "" && !acmArnPattern.MatchString(w.CertificateArn) {
		p.add(key("web.certificateArn"), "%q is not an ACM certificate ARN in us-east-1; CloudFront only accepts certificates from us-east-1", w.CertificateArn)
	}
}

func validateCICD(c *CICDConfig, p *problems) {
	if c.Repository != "" && !repoPattern.MatchString(c.Repository) {
		p.add(key("cicd.repository"), "%q is not a GitHub repository; write it as owner/name", c.Repository)
	}
	if strings.TrimSpace(c.Branch) == "" || strings.ContainsAny(c.Branch, " ~^:?*[\\") {
		p.add(key("cicd.branch"), "%q is not a branch name; set the branch the pipeline deploys, e.g. main", c.Branch)
	}
	if c.ConnectionArn != "" && !connArnPattern.MatchString(c.ConnectionArn) {
		p.add(key("cicd.connectionArn"), "%q is not a CodeConnections connection ARN; remove it to let the program create the connection", c.ConnectionArn)
	}
	if c.NotifyEmail != "" && !plainEmail(c.NotifyEmail) {
		p.add(key("cicd.notifyEmail"), "%q is not a plain email address; use a form such as ops@example.com, or remove it", c.NotifyEmail)
	}
	if !slices.Contains(LambdaDeploymentConfigs, c.Canary) {
		p.add(key("cicd.canary"), "%q is not a CodeDeploy Lambda deployment configuration; use one of %v", c.Canary, LambdaDeploymentConfigs)
	}
	if c.Approval && c.Repository == "" {
		p.add(key("cicd.approval"), "set without cicd.repository, so there is no pipeline to approve in; set cicd.repository or remove approval")
	}
}

// validatePulumiBackend checks the shape of each pulumiBackend field.
func validatePulumiBackend(b *PulumiBackendConfig, p *problems) {
	if b.URL != "" && !backendPattern.MatchString(b.URL) {
		p.add(key("pulumiBackend.url"), "%q is not a Pulumi backend URL; use https://api.pulumi.com (Pulumi Cloud), s3://bucket[/prefix], gs://, azblob:// or file://", b.URL)
	}
	if b.AccessTokenSecretArn != "" && !secretArnPattern.MatchString(b.AccessTokenSecretArn) {
		p.add(key("pulumiBackend.accessTokenSecretArn"), "%q is not a Secrets Manager secret ARN; store the Pulumi access token in Secrets Manager and set its ARN", b.AccessTokenSecretArn)
	}
	if b.PassphraseSecretArn != "" && !secretArnPattern.MatchString(b.PassphraseSecretArn) {
		p.add(key("pulumiBackend.passphraseSecretArn"), "%q is not a Secrets Manager secret ARN; store the stack passphrase in Secrets Manager and set its ARN", b.PassphraseSecretArn)
	}
}

// validatePipelineBackend checks that the pipeline can log in to the
// backend: Pulumi Cloud needs an access token, a self-managed backend the
// passphrase of its secrets provider.
func validatePipelineBackend(b PulumiBackendConfig, p *problems) {
	switch {
	case b.IsPulumiCloud() && b.AccessTokenSecretArn == "":
		p.add(key("pulumiBackend.accessTokenSecretArn"), "missing; the pipeline (cicd.repository is set) logs in to Pulumi Cloud with an access token: store it in Secrets Manager and set pulumiBackend.accessTokenSecretArn to the secret's ARN")
	case !b.IsPulumiCloud() && b.PassphraseSecretArn == "":
		p.add(key("pulumiBackend.passphraseSecretArn"), "missing; the pipeline (cicd.repository is set) needs the passphrase of the self-managed backend %s: store it in Secrets Manager and set pulumiBackend.passphraseSecretArn to the secret's ARN", b.URL)
	}
}

// validateDeployerBackend checks what the tenant deployer (CodeBuild, with
// cicd.repository set) additionally needs of the backend: one it can reach,
// and no credentials in the URL.
func validateDeployerBackend(b PulumiBackendConfig, p *problems) {
	u, err := url.Parse(b.URL)
	switch {
	case err != nil:
		return // validatePulumiBackend names it
	case u.Scheme == "file":
		p.add(key("pulumiBackend.url"), "a local file backend is not reachable from the tenant deployer (cicd.repository is set); use s3://my-state-bucket or https://api.pulumi.com")
	case u.User != nil || strings.Contains(strings.ToLower(u.RawQuery), "token"):
		p.add(key("pulumiBackend.url"), "carries credentials; remove them from the URL and put the token in Secrets Manager (accessTokenSecretArn)")
	}
}

func validateVPC(v *VPCConfig, p *problems) {
	switch v.NatGateways {
	case NatNone, NatSingle, NatOnePerAz:
	default:
		p.add(key("vpc.natGateways"), "%q is not a NAT strategy; use %s, %s or %s", v.NatGateways, NatNone, NatSingle, NatOnePerAz)
	}
	if v.AvailabilityZones < 1 || v.AvailabilityZones > 6 {
		p.add(key("vpc.availabilityZones"), "%d is out of range; use 1 to 6 (2 or more for high availability)", v.AvailabilityZones)
	}
	prefix, err := netip.ParsePrefix(v.CidrBlock)
	switch {
	case err != nil || !prefix.Addr().Is4():
		p.add(key("vpc.cidrBlock"), "%q is not an IPv4 CIDR block; use e.g. 10.0.0.0/16", v.CidrBlock)
	case prefix.Bits() < 16 || prefix.Bits() > 20:
		p.add(key("vpc.cidrBlock"), "/%d leaves no room for the subnet layout or is larger than a VPC allows; use a prefix between /16 and /20", prefix.Bits())
	case prefix.Masked() != prefix:
		p.add(key("vpc.cidrBlock"), "%q has host bits set; use %s", v.CidrBlock, prefix.Masked())
	}
}

func validateIdentity(c *IdentityConfig, p *problems) {
	switch c.AdvancedSecurity {
	case AdvancedSecurityOff, AdvancedSecurityAudit, AdvancedSecurityEnforced:
	default:
		p.add(key("identity.advancedSecurity"), "%q is not a Cognito advanced security mode; use OFF, AUDIT or ENFORCED", c.AdvancedSecurity)
	}
	if c.IDTokenMinutes < 5 || c.IDTokenMinutes > 1440 {
		p.add(key("identity.idTokenMinutes"), "%d is outside what Cognito allows; use 5 to 1440 minutes", c.IDTokenMinutes)
	}
	if c.RefreshTokenDays < 1 || c.RefreshTokenDays > 3650 {
		p.add(key("identity.refreshTokenDays"), "%d is outside what Cognito allows; use 1 to 3650 days", c.RefreshTokenDays)
	}
	if c.AuthorizerCacheSeconds < 0 || c.AuthorizerCacheSeconds > 60 {
		p.add(key("identity.authorizerCacheSeconds"), "%d is out of range; use 0 to 60 seconds, so a suspended tenant is refused within a minute", c.AuthorizerCacheSeconds)
	}
}

var (
	namespacePattern = regexp.MustCompile(`^[A-Za-z0-9._/#:-]{1,255}$`)
	pipelinePattern  = regexp.MustCompile(`^[A-Za-z0-9.@_-]{1,100}$`)
)

func validateObservability(o *ObservabilityConfig, p *problems) {
	switch {
	case !namespacePattern.MatchString(o.Namespace):
		p.add(key("observability.namespace"), "%q is not a CloudWatch namespace; use 1-255 letters, digits or . _ / # : - such as tenantforge", o.Namespace)
	case strings.HasPrefix(o.Namespace, "AWS/"):
		p.add(key("observability.namespace"), "%q is reserved for AWS services; use your own, such as tenantforge", o.Namespace)
	}
	if o.AlarmEmail != "" {
		if addr, err := mail.ParseAddress(o.AlarmEmail); err != nil || addr.Address != o.AlarmEmail {
			p.add(key("observability.alarmEmail"), "%q is not a plain email address; use a form such as oncall@example.com, or remove it", o.AlarmEmail)
		}
	}
	if o.TopTenants < 1 || o.TopTenants > 50 {
		p.add(key("observability.topTenants"), "%d is out of range; use 1 to 50 tenants", o.TopTenants)
	}
	if o.PipelineName != "" && !pipelinePattern.MatchString(o.PipelineName) {
		p.add(key("observability.pipelineName"), "%q is not a CodePipeline name; use 1-100 letters, digits or . @ _ -", o.PipelineName)
	}
	if o.UsageRetentionDays < 1 || o.UsageRetentionDays > 3650 {
		p.add(key("observability.usageRetentionDays"), "%d is out of range; keep usage records 1 to 3650 days", o.UsageRetentionDays)
	}
	t := o.Thresholds
	if t.API5xxPercent <= 0 || t.API5xxPercent > 100 {
		p.add(key("observability.thresholds.api5xxPercent"), "%v is not a percentage of requests; use a value above 0 and at most 100", t.API5xxPercent)
	}
	if t.P99LatencyMs < 10 || t.P99LatencyMs > 29000 {
		p.add(key("observability.thresholds.p99LatencyMs"), "%d is out of range; use 10 to 29000 ms (API Gateway stops waiting at 29 s)", t.P99LatencyMs)
	}
	for name, v := range map[string]int{"functionErrors": t.FunctionErrors, "functionThrottles": t.FunctionThrottles,
		"dynamodbThrottles": t.DynamoDBThrottles, "registrationFailures": t.RegistrationFailures, "provisioningFailures": t.ProvisioningFailures} {
		if v < 0 {
			p.add(key("observability.thresholds."+name), "%d is negative; the alarm fires above this count per five minutes, so use 0 or more", v)
		}
	}
}

func validateTenant(cfg *Config, p *problems) {
	t := cfg.Tenant
	if !tenancy.ValidSlug(t.ID) {
		p.add(key("tenant.id"), "%q is not a valid tenant id; use 3-63 lowercase letters, digits or inner hyphens", t.ID)
	}
	if !tenancy.ValidSlug(t.Name) {
		p.add(key("tenant.name"), "%q is not a valid tenant name; use 3-63 lowercase letters, digits or inner hyphens", t.Name)
	}
	tier, ok := cfg.Tiers[t.Tier]
	switch {
	case t.Tier == "":
		p.add(key("tenant.tier"), "missing; set the silo tier this tenant is on")
	case cfg.Tiers != nil && !ok:
		p.add(key("tenant.tier"), "unknown tier %q; use one of %v", t.Tier, slices.Sorted(maps.Keys(cfg.Tiers)))
	case ok && tier.Deployment == DeploymentPool:
		p.add(key("tenant.tier"), "tier %q uses the pool model, whose tenants share the platform stack; a tenant stack needs a silo tier (%v)", t.Tier, siloTiers(cfg.Tiers))
	}
	switch {
	case cfg.PlatformStack == "":
		p.add(key("platformStack"), "missing on a tenant stack; set it to the platform stack to read, e.g. `pulumi config set platformStack myorg/tenantforge/dev`")
	case !stackRefPattern.MatchString(cfg.PlatformStack):
		p.add(key("platformStack"), "%q is not a stack name; use org/project/stack", cfg.PlatformStack)
	case cfg.PlatformStack == cfg.Stack || strings.HasSuffix(cfg.PlatformStack, "/"+cfg.Stack):
		p.add(key("platformStack"), "names this stack itself; set it to the platform stack the tenant belongs to")
	}
}

func validateAdminEmail(email string, p *problems) {
	if email == "" {
		p.add(key("adminEmail"), "missing on the platform stack; set the SystemAdmin's address: `pulumi config set adminEmail ops@example.com`")
		return
	}
	if !plainEmail(email) {
		p.add(key("adminEmail"), "%q is not a plain email address; use a form such as ops@example.com", email)
	}
}

func plainEmail(email string) bool {
	addr, err := mail.ParseAddress(email)
	return err == nil && addr.Address == email && strings.Contains(email[strings.LastIndex(email, "@")+1:], ".")
}

func siloTiers(tiers map[string]Tier) []string {
	var out []string
	for _, n := range slices.Sorted(maps.Keys(tiers)) {
		if tiers[n].Deployment == DeploymentSilo {
			out = append(out, n)
		}
	}
	return out
}

// retentionDays are the values CloudWatch Logs accepts.
var retentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

func validRetention(n int) bool { return slices.Contains(retentionDays, n) }
