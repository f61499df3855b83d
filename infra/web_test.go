package infra

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSiteBucketPolicyIsPinnedToTheDistribution(t *testing.T) {
	doc := decode(t, SiteBucketPolicy("arn:aws:s3:::site", "arn:aws:cloudfront::123456789012:distribution/E1"))
	assert.Equal(t, map[string]any{"Version": "2012-10-17", "Statement": []any{
		map[string]any{"Sid": "CloudFrontReadsThroughOAC", "Effect": "Allow",
			"Principal": map[string]any{"Service": "cloudfront.amazonaws.com"}, "Action": []any{"s3:GetObject"},
			"Resource":  []any{"arn:aws:s3:::site/*"},
			"Condition": map[string]any{"StringEquals": map[string]any{"AWS:SourceArn": "arn:aws:cloudfront::123456789012:distribution/E1"}}},
		map[string]any{"Sid": "TLSOnly", "Effect": "Deny", "Principal": map[string]any{"AWS": "*"}, "Action": []any{"s3:*"},
			"Resource":  []any{"arn:aws:s3:::site", "arn:aws:s3:::site/*"},
			"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}}},
	}}, doc, "only the one distribution may read, and never over plain HTTP; no ListBucket, so nobody enumerates the files")
}

func TestContentSecurityPolicyAllowsOnlyTheAppTheAPIAndCognito(t *testing.T) {
	csp := ContentSecurityPolicy("https://abc.execute-api.eu-west-1.amazonaws.com", CognitoOrigin("eu-west-1"))
	directives := map[string]string{}
	for _, d := range strings.Split(csp, "; ") {
		name, value, _ := strings.Cut(d, " ")
		directives[name] = value
	}
	assert.Equal(t, "'self' https://abc.execute-api.eu-west-1.amazonaws.com https://cognito-idp.eu-west-1.amazonaws.com", directives["connect-src"],
		"the app may only fetch from itself, the API and Cognito: anything more lets injected script exfiltrate tokens")
	assert.Equal(t, "'self'", directives["script-src"], "no inline or remote script")
	assert.Equal(t, "'self'", directives["default-src"])
	assert.Equal(t, "'none'", directives["frame-ancestors"], "no framing (clickjacking)")
	assert.Equal(t, "'none'", directives["object-src"])
	assert.NotContains(t, csp, "unsafe", "no unsafe-inline or unsafe-eval")
}

func TestWebFilesTypesAndCaching(t *testing.T) {
	dir := t.TempDir()
	for rel, data := range map[string]string{
		"index.html": "<!doctype html>", "config.json": "{}", "favicon.svg": "<svg/>",
		"assets/js/main.0123456789.js": "", "assets/css/app.0123456789.css": "",
	} {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(data), 0o644))
	}
	files, err := WebFiles(dir)
	require.NoError(t, err)
	got := map[string][2]string{}
	for _, f := range files {
		got[f.Key] = [2]string{f.ContentType, f.CacheControl}
	}
	assert.Equal(t, map[string][2]string{
		"index.html":                    {"text/html; charset=utf-8", "no-cache"},
		"favicon.svg":                   {"image/svg+xml", "no-cache"},
		"assets/js/main.0123456789.js":  {"text/javascript; charset=utf-8", "public, max-age=31536000, immutable"},
		"assets/css/app.0123456789.css": {"text/css; charset=utf-8", "public, max-age=31536000, immutable"},
	}, got, "config.json is the stack's to write; hashed assets are immutable, everything else revalidates")

	require.NoError(t, os.WriteFile(filepath.Join(dir, "notes.docx"), nil, 0o644))
	_, err = WebFiles(dir)
	require.ErrorContains(t, err, "notes.docx has no known content type")

	_, err = WebFiles(t.TempDir())
	require.ErrorContains(t, err, "no index.html: run `make build`")
}

func TestRuntimeConfigJSON(t *testing.T) {
	js, err := RuntimeConfig{APIBase: "/api", Region: "eu-west-1", Tiers: map[string]Tier{"basic": {Deployment: "pool", RateLimit: 10, BurstLimit: 20, QuotaPerDay: 100}},
		Identity: RuntimeIdentity{UserPoolID: "eu-west-1_X", AppClientID: "c", Region: "eu-west-1", Endpoint: "https://cognito-idp.eu-west-1.amazonaws.com/"}}.JSON()
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(js), &doc))
	assert.Equal(t, map[string]any{
		"apiBase": "/api", "region": "eu-west-1",
		"tiers":    map[string]any{"basic": map[string]any{"deployment": "pool", "rateLimit": 10.0, "burstLimit": 20.0, "quotaPerDay": 100.0}},
		"identity": map[string]any{"userPoolId": "eu-west-1_X", "appClientId": "c", "region": "eu-west-1", "endpoint": "https://cognito-idp.eu-west-1.amazonaws.com/"},
	}, doc)
}

// The routing function runs in CloudFront's JavaScript runtime; node runs
// the same ES5 code. What this does not prove: CloudFront's runtime limits
// (it has no node-only APIs, and this code uses none).
func TestSPARoutingFunction(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed: the CloudFront Function's behaviour is not checked")
	}
	script := SPARoutingFunction + `
const cases = JSON.parse(process.argv[1]);
const out = {};
for (const uri of cases) out[uri] = handler({ request: { uri: uri, headers: {} } }).uri;
process.stdout.write(JSON.stringify(out));
`
	cases := map[string]string{
		"/":                             "/index.html",
		"/products":                     "/index.html",
		"/orders/42":                    "/index.html",
		"/signin":                       "/index.html",
		"/index.html":                   "/index.html",
		"/config.json":                  "/config.json",
		"/favicon.svg":                  "/favicon.svg",
		"/assets/js/main.0123456789.js": "/assets/js/main.0123456789.js",
		"/assets/js/missing.js":         "/assets/js/missing.js",
	}
	uris := make([]string, 0, len(cases))
	for u := range cases {
		uris = append(uris, u)
	}
	arg, _ := json.Marshal(uris)
	out, err := exec.Command(node, "-e", script, string(arg)).CombinedOutput()
	require.NoError(t, err, "%s", out)
	var got map[string]string
	require.NoError(t, json.Unmarshal(out, &got))
	assert.Equal(t, cases, got, "app routes must get index.html and files must stay files (a missing asset must not turn into HTML)")
}
