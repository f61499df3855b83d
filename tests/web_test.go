package tests

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantforge/tenantforge/infra"
	"github.com/tenantforge/tenantforge/internal/lambdabuild"
	"github.com/tenantforge/tenantforge/internal/mockcloud"
)

const (
	typeSite          = "tenantforge:web:Site"
	typePublicAccess  = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
	typeOwnership     = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
	typeEncryption    = "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2"
	typeVersioning    = "aws:s3/bucketVersioningV2:BucketVersioningV2"
	typeLifecycle     = "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2"
	typeBucketPolicy  = "aws:s3/bucketPolicy:BucketPolicy"
	typeOAC           = "aws:cloudfront/originAccessControl:OriginAccessControl"
	typeCFFunction    = "aws:cloudfront/function:Function"
	typeHeadersPolicy = "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy"
	typeDistribution  = "aws:cloudfront/distribution:Distribution"
	typeObject        = "aws:s3/bucketObjectv2:BucketObjectv2"
	typeWebACL        = "aws:wafv2/webAcl:WebAcl"
	typeCachePolicy   = "aws:cloudfront/cachePolicy:CachePolicy"
)

// builtWebFiles lists the web app TestMain built, as the program uploads it.
func builtWebFiles(t *testing.T) []infra.WebFile {
	t.Helper()
	dir, err := packages.WebDir()
	require.NoError(t, err)
	files, err := infra.WebFiles(dir)
	require.NoError(t, err)
	return files
}

func distribution(t *testing.T, rec *mockcloud.Recording) *mockcloud.Resource {
	t.Helper()
	return find(t, rec, typeDistribution, "web-cdn")
}

// apiHost is the platform API's host as the mock synthesises it.
func apiHost(t *testing.T, rec *mockcloud.Recording) string {
	t.Helper()
	url, _ := rec.Outputs[infra.OutAPIURL].(string)
	host, ok := strings.CutPrefix(url, "https://")
	require.True(t, ok, "apiUrl %q is not https", url)
	host, _, _ = strings.Cut(host, "/")
	return host
}

func TestSiteBucketIsPrivateEncryptedAndVersioned(t *testing.T) {
	rec := run(t, "dev", stackConfig(t, "dev"), nil)
	bucket := find(t, rec, typeBucket, "web-bucket")
	assert.Equal(t, "tenantforge-dev-web", bucket.Input("bucket"))
	assert.Equal(t, map[string]any{
		"bucket": "tenantforge-dev-web", "blockPublicAcls": true, "blockPublicPolicy": true, "ignorePublicAcls": true, "restrictPublicBuckets": true,
	}, find(t, rec, typePublicAccess, "web-bucket-public-access").PlainInputs(), "the web bucket must block every form of public access: CloudFront is its only reader")
	assert.Equal(t, map[string]any{"objectOwnership": "BucketOwnerEnforced"}, find(t, rec, typeOwnership, "web-bucket-ownership").Input("rule"),
		"ACLs must be off (BucketOwnerEnforced), or an object ACL could make a file public")
	assert.Equal(t, []any{map[string]any{"applyServerSideEncryptionByDefault": map[string]any{"sseAlgorithm": "AES256"}, "bucketKeyEnabled": true}},
		find(t, rec, typeEncryption, "web-bucket-encryption").Input("rules"))
	assert.Equal(t, map[string]any{"status": "Enabled"}, find(t, rec, typeVersioning, "web-bucket-versioning").Input("versioningConfiguration"),
		"without versioning a bad deploy's overwritten files cannot be restored")
}

func TestSiteBucketPolicyAllowsOnlyThisDistributionOverTLS(t *testing.T) {
	rec := run(t, "dev", stackConfig(t, "dev"), nil)
	dist := distribution(t, rec)
	distArn, _ := dist.Output("arn").(string)
	require.Equal(t, "arn:aws:cloudfront::123456789012:distribution/"+dist.ID, distArn)
	policy, err := find(t, rec, typeBucketPolicy, "web-bucket-policy").PolicyInput("policy")
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"Version": "2012-10-17", "Statement": []any{
		map[string]any{"Sid": "CloudFrontReadsThroughOAC", "Effect": "Allow", "Principal": map[string]any{"Service": "cloudfront.amazonaws.com"},
			"Action": []any{"s3:GetObject"}, "Resource": []any{"arn:aws:s3:::tenantforge-dev-web/*"},
			"Condition": map[string]any{"StringEquals": map[string]any{"AWS:SourceArn": distArn}}},
		map[string]any{"Sid": "TLSOnly", "Effect": "Deny", "Principal": map[string]any{"AWS": "*"}, "Action": []any{"s3:*"},
			"Resource":  []any{"arn:aws:s3:::tenantforge-dev-web", "arn:aws:s3:::tenantforge-dev-web/*"},
			"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}}},
	}}, policy, "without the SourceArn condition any CloudFront distribution, in any account, could read the app's bucket")
}

func TestOriginAccessControlSignsEveryRequest(t *testing.T) {
	rec := run(t, "dev", stackConfig(t, "dev"), nil)
	oac := find(t, rec, typeOAC, "web-oac")
	assert.Equal(t, map[string]any{
		"name": "tenantforge-dev-web", "description": "CloudFront reads the web app bucket with signed requests",
		"originAccessControlOriginType": "s3", "signingBehavior": "always", "signingProtocol": "sigv4",
	}, oac.PlainInputs())
	origins, _ := distribution(t, rec).Input("origins").([]any)
	require.Len(t, origins, 2, "the distribution has the bucket and the API as origins")
	assert.Equal(t, map[string]any{
		"originId": "web-bucket", "domainName": "tenantforge-dev-web.s3.eu-west-1.amazonaws.com", "originAccessControlId": oac.ID,
	}, origins[0], "the bucket origin must use the OAC, or CloudFront's unsigned requests are refused by the private bucket")
	assert.Equal(t, map[string]any{
		"originId": "platform-api", "domainName": apiHost(t, rec),
		"customOriginConfig": map[string]any{"httpPort": 80.0, "httpsPort": 443.0, "originProtocolPolicy": "https-only", "originSslProtocols": []any{"TLSv1.2"}},
	}, origins[1], "/api/* must reach the platform API over TLS only")
}

func TestDistributionBehaviours(t *testing.T) {
	rec := run(t, "dev", stackConfig(t, "dev"), nil)
	dist := distribution(t, rec)
	headers := find(t, rec, typeHeadersPolicy, "web-headers")
	spa := find(t, rec, typeCFFunction, "web-spa-routing")
	assert.Equal(t, true, dist.Input("enabled"))
	assert.Equal(t, "index.html", dist.Input("defaultRootObject"))
	assert.Equal(t, "http2and3", dist.Input("httpVersion"), "HTTP/2 and HTTP/3")
	assert.Equal(t, true, dist.Input("isIpv6Enabled"))
	assert.Equal(t, "PriceClass_100", dist.Input("priceClass"), "the price class comes from web.priceClass")
	assert.Nil(t, dist.Input("customErrorResponses"), "SPA routing is the CloudFront Function's job: turning 403/404 into 200 would hide missing files and API errors")
	assert.Equal(t, map[string]any{"cloudfrontDefaultCertificate": true}, dist.Input("viewerCertificate"))

	readOnly := []any{"GET", "HEAD"}
	assert.Equal(t, map[string]any{
		"targetOriginId": "web-bucket", "viewerProtocolPolicy": "redirect-to-https",
		"allowedMethods": readOnly, "cachedMethods": readOnly, "compress": true,
		"cachePolicyId": infra.CachePolicyCachingDisabled, "responseHeadersPolicyId": headers.ID,
		"functionAssociations": []any{map[string]any{"eventType": "viewer-request", "functionArn": "arn:aws:cloudfront::123456789012:function/tenantforge-dev-web-spa-routing"}},
	}, dist.Input("defaultCacheBehavior"), "index.html and the app's routes: HTTPS, never cached, routed by the function")
	assert.Equal(t, []any{
		map[string]any{"pathPattern": "/api/*", "targetOriginId": "platform-api", "viewerProtocolPolicy": "redirect-to-https",
			"allowedMethods": []any{"DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"}, "cachedMethods": readOnly, "compress": true,
			"cachePolicyId": find(t, rec, typeCachePolicy, "web-api-cache").ID, "originRequestPolicyId": infra.OriginRequestPolicyAllViewerExceptHostHdr,
			"responseHeadersPolicyId": headers.ID},
		map[string]any{"pathPattern": "/assets/*", "targetOriginId": "web-bucket", "viewerProtocolPolicy": "redirect-to-https",
			"allowedMethods": readOnly, "cachedMethods": readOnly, "compress": true,
			"cachePolicyId": infra.CachePolicyCachingOptimized, "responseHeadersPolicyId": headers.ID},
		map[string]any{"pathPattern": "/config.json", "targetOriginId": "web-bucket", "viewerProtocolPolicy": "redirect-to-https",
			"allowedMethods": readOnly, "cachedMethods": readOnly, "compress": true,
			"cachePolicyId": infra.CachePolicyCachingDisabled, "responseHeadersPolicyId": headers.ID},
	}, dist.Input("orderedCacheBehaviors"), "every behaviour redirects HTTP to HTTPS; only the hashed assets are cached long")
	assert.Equal(t, "cloudfront-js-2.0", spa.Input("runtime"))
	assert.Equal(t, infra.SPARoutingFunction, spa.Input("code"))
	assert.Equal(t, true, spa.Input("publish"), "an unpublished function is not what the distribution runs")
	assert.Empty(t, rec.OfType(typeWebACL), "the WAF is off in the dev stack (web.waf: false)")
	assert.Nil(t, dist.Input("webAclId"))
	assert.Nil(t, dist.Input("loggingConfig"), "access logs are off unless web.accessLogs is set")
	assert.Equal(t, "https://"+dist.Output("domainName").(string), rec.Outputs[infra.OutSiteURL])
}

func TestAPICachePolicyForwardsAuthorization(t *testing.T) {
	rec := run(t, "dev", stackConfig(t, "dev"), nil)
	policy := find(t, rec, typeCachePolicy, "web-api-cache")
	assert.Equal(t, 0.0, policy.Input("minTtl"))
	assert.Equal(t, 0.0, policy.Input("defaultTtl"), "an API response without cache headers must never be cached")
	assert.Equal(t, 1.0, policy.Input("maxTtl"))
	assert.Equal(t, map[string]any{
		"headersConfig":              map[string]any{"headerBehavior": "whitelist", "headers": map[string]any{"items": []any{"Authorization"}}},
		"queryStringsConfig":         map[string]any{"queryStringBehavior": "all"},
		"cookiesConfig":              map[string]any{"cookieBehavior": "none"},
		"enableAcceptEncodingGzip":   true,
		"enableAcceptEncodingBrotli": true,
	}, policy.Input("parametersInCacheKeyAndForwardedToOrigin"),
		"without Authorization in the key CloudFront strips the token from GET /api/* (every list would be 401), and callers could share cached responses")
}

func TestResponseHeadersPolicy(t *testing.T) {
	rec := run(t, "dev", stackConfig(t, "dev"), nil)
	headers := find(t, rec, typeHeadersPolicy, "web-headers")
	csp := "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
		"connect-src 'self' https://" + apiHost(t, rec) + " https://cognito-idp.eu-west-1.amazonaws.com; " +
		"object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'; upgrade-insecure-requests"
	assert.Equal(t, map[string]any{
		"strictTransportSecurity": map[string]any{"accessControlMaxAgeSec": float64(infra.HSTSMaxAgeSeconds), "includeSubdomains": true, "preload": true, "override": true},
		"contentSecurityPolicy":   map[string]any{"contentSecurityPolicy": csp, "override": true},
		"contentTypeOptions":      map[string]any{"override": true},
		"frameOptions":            map[string]any{"frameOption": "DENY", "override": true},
		"referrerPolicy":          map[string]any{"referrerPolicy": "strict-origin-when-cross-origin", "override": true},
	}, headers.Input("securityHeadersConfig"), "the app's security headers: a weaker CSP lets injected script talk to any host")
	assert.Equal(t, "tenantforge-dev-web-security-headers", headers.Input("name"))
}

func TestCustomDomainUsesTheCertificateAndTLS12(t *testing.T) {
	cert := "arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c"
	rec := run(t, "dev", stackConfig(t, "dev", "web", `{"priceClass":"PriceClass_All","domain":"app.example.com","certificateArn":"`+cert+`"}`), nil)
	dist := distribution(t, rec)
	assert.Equal(t, map[string]any{"acmCertificateArn": cert, "sslSupportMethod": "sni-only", "minimumProtocolVersion": "TLSv1.2_2021"},
		dist.Input("viewerCertificate"), "a custom domain must serve its ACM certificate with TLS 1.2 (2021 ciphers) at least")
	assert.Equal(t, []any{"app.example.com"}, dist.Input("aliases"))
	assert.Equal(t, "PriceClass_All", dist.Input("priceClass"))
	assert.Equal(t, "https://app.example.com", rec.Outputs[infra.OutSiteURL])
}

func TestWAFAndAccessLogsWhenConfigured(t *testing.T) {
	rec := run(t, "dev", stackConfig(t, "dev", "web", `{"priceClass":"PriceClass_100","waf":true,"accessLogs":true}`), nil)
	acls := rec.OfType(typeWebACL)
	require.Len(t, acls, 1, "web.waf: true must create one web ACL")
	acl := acls[0]
	global := rec.ByURN(acl.Provider)
	require.NotNil(t, global)
	assert.Equal(t, "us-east-1", global.Input("region"), "a distribution's web ACL must be created in us-east-1, or CloudFront cannot use it")
	assert.Equal(t, "CLOUDFRONT", acl.Input("scope"))
	assert.Equal(t, map[string]any{"allow": map[string]any{}}, acl.Input("defaultAction"))
	rules, _ := acl.Input("rules").([]any)
	require.Len(t, rules, 4)
	for i, group := range infra.WAFManagedRuleGroups {
		r := rules[i].(map[string]any)
		assert.Equal(t, group, r["name"])
		assert.Equal(t, float64(i+1), r["priority"])
		assert.Equal(t, map[string]any{"managedRuleGroupStatement": map[string]any{"vendorName": "AWS", "name": group}}, r["statement"])
		assert.Equal(t, map[string]any{"none": map[string]any{}}, r["overrideAction"], "a managed group left in count mode would block nothing")
	}
	rate := rules[3].(map[string]any)
	assert.Equal(t, map[string]any{"rateBasedStatement": map[string]any{"limit": float64(infra.WAFRateLimit), "aggregateKeyType": "IP"}}, rate["statement"])
	assert.Equal(t, map[string]any{"block": map[string]any{}}, rate["action"])
	dist := distribution(t, rec)
	assert.Equal(t, acl.Output("arn"), dist.Input("webAclId"), "the web ACL must be attached to the distribution")

	logs := find(t, rec, typeBucket, "web-logs")
	assert.Equal(t, "tenantforge-dev-web-logs", logs.Input("bucket"))
	assert.Equal(t, map[string]any{"objectOwnership": "BucketOwnerPreferred"}, find(t, rec, typeOwnership, "web-logs-ownership").Input("rule"),
		"CloudFront standard logs are delivered with an ACL grant; BucketOwnerEnforced would refuse them")
	assert.Equal(t, map[string]any{"bucket": "tenantforge-dev-web-logs.s3.amazonaws.com", "prefix": "cloudfront/", "includeCookies": false}, dist.Input("loggingConfig"))
	assert.Equal(t, []any{map[string]any{"id": "expire-access-logs", "status": "Enabled", "filter": map[string]any{"prefix": "cloudfront/"}, "expiration": map[string]any{"days": 90.0}}},
		find(t, rec, typeLifecycle, "web-logs-expiry").Input("rules"), "access logs expire")
	assert.Equal(t, map[string]any{
		"bucket": "tenantforge-dev-web-logs", "blockPublicAcls": true, "blockPublicPolicy": true, "ignorePublicAcls": true, "restrictPublicBuckets": true,
	}, find(t, rec, typePublicAccess, "web-logs-public-access").PlainInputs(), "the logs bucket blocks public access too")
}

func TestSiteUploadsTheBuiltAppAndConfig(t *testing.T) {
	rec := run(t, "dev", stackConfig(t, "dev"), nil)
	files := builtWebFiles(t)
	objects := map[string]*mockcloud.Resource{}
	for _, o := range rec.OfType(typeObject) {
		objects[o.Input("key").(string)] = o
	}
	require.Len(t, objects, len(files)+1, "every built file and config.json are uploaded, nothing else")
	hashed := 0
	for _, f := range files {
		o := objects[f.Key]
		require.NotNil(t, o, "%s is not uploaded", f.Key)
		assert.Equal(t, map[string]any{"asset": f.Path}, o.Input("source"))
		assert.Equal(t, "tenantforge-dev-web", o.Input("bucket"))
		if strings.HasPrefix(f.Key, "assets/") {
			hashed++
			assert.Equal(t, "public, max-age=31536000, immutable", o.Input("cacheControl"), "%s has a content hash and may be cached for a year", f.Key)
		} else {
			assert.Equal(t, "no-cache", o.Input("cacheControl"), "%s keeps its name across deploys: browsers must revalidate it", f.Key)
		}
		switch filepath.Ext(f.Key) {
		case ".js":
			assert.Equal(t, "text/javascript; charset=utf-8", o.Input("contentType"), "with nosniff, a module served as another type does not run")
		case ".css":
			assert.Equal(t, "text/css; charset=utf-8", o.Input("contentType"))
		case ".html":
			assert.Equal(t, "text/html; charset=utf-8", o.Input("contentType"))
		}
	}
	assert.Greater(t, hashed, 3, "the app's modules and styles are served from assets/ under hashed names")
	assert.Equal(t, "no-cache", objects["index.html"].Input("cacheControl"))

	cfg := objects["config.json"]
	require.NotNil(t, cfg, "config.json is written from the stack's outputs")
	assert.Equal(t, "application/json", cfg.Input("contentType"))
	assert.Equal(t, "no-cache", cfg.Input("cacheControl"))
	var runtime map[string]any
	require.NoError(t, json.Unmarshal([]byte(cfg.Input("content").(string)), &runtime))
	assert.Equal(t, "/api", runtime["apiBase"], "the app calls the API on its own origin through the /api/* behaviour")
	assert.Equal(t, "eu-west-1", runtime["region"])
	assert.Equal(t, map[string]any{
		"userPoolId": rec.Outputs[infra.OutUserPoolID], "appClientId": rec.Outputs[infra.OutUserPoolClientID],
		"region": "eu-west-1", "endpoint": "https://cognito-idp.eu-west-1.amazonaws.com/",
	}, runtime["identity"])
	tiers, _ := runtime["tiers"].(map[string]any)
	assert.Len(t, tiers, 4, "sign-up shows every tier with its limits")
	assert.NotContains(t, cfg.Input("content"), "secret")
}

func TestTenantStackHasNoSite(t *testing.T) {
	rec := run(t, "dev-tenant-example", stackConfig(t, "dev-tenant-example"), platformOutputs(t))
	assert.Empty(t, rec.OfType(typeSite), "a silo tenant is served by the platform's web app; its stack creates none")
}

func TestMissingWebBuildSaysToBuild(t *testing.T) {
	dir := t.TempDir()
	lambdas, err := lambdabuild.WriteStandIns(repoRoot, dir)
	require.NoError(t, err)
	require.NoError(t, os.RemoveAll(filepath.Join(dir, "web")))
	rec, err := mockcloud.Run(mockcloud.Options{Project: "tenantforge", Stack: "dev", Config: stackConfig(t, "dev")},
		infra.Program(infra.Artifacts{Dir: lambdas}))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "is not built (no index.html): run `make build` first")
	assert.Empty(t, rec.Resources, "a missing web build must stop the program before it registers anything")
}
