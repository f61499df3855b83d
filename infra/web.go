package infra

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net/url"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudfront"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/wafv2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// CloudFront's managed policies, by their fixed ids (AWS documents them;
// they are the same in every account).
const (
	CachePolicyCachingOptimized               = "658327ea-f89d-4fab-a63d-7e88639e58f6"
	CachePolicyCachingDisabled                = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
	OriginRequestPolicyAllViewerExceptHostHdr = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
)

// Settings of the distribution that tests assert.
const (
	ViewerProtocolPolicy   = "redirect-to-https"
	MinimumTLSVersion      = "TLSv1.2_2021"
	HSTSMaxAgeSeconds      = 63072000 // two years, the preload list's minimum is one
	ReferrerPolicy         = "strict-origin-when-cross-origin"
	ImmutableCacheControl  = "public, max-age=31536000, immutable"
	RevalidateCacheControl = "no-cache"
	// WAFRateLimit is requests per client IP in five minutes before the
	// web ACL blocks it.
	WAFRateLimit = 2000
	// RuntimeConfigKey is the object the app reads its settings from.
	RuntimeConfigKey = "config.json"
	// HashedAssetsPrefix holds the content-hashed files (cmd/webbuild).
	HashedAssetsPrefix = "assets/"
)

// WAFManagedRuleGroups are the AWS managed rule groups of the web ACL.
var WAFManagedRuleGroups = []string{"AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet", "AWSManagedRulesAmazonIpReputationList"}

// contentTypes are the types the app's files are served with; a file of
// another kind is refused at plan time rather than served as
// application/octet-stream, which nosniff would then refuse to run.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8",
	".css": "text/css; charset=utf-8", ".json": "application/json", ".svg": "image/svg+xml",
	".png": "image/png", ".jpg": "image/jpeg", ".ico": "image/x-icon", ".webp": "image/webp",
	".woff2": "font/woff2", ".txt": "text/plain; charset=utf-8", ".webmanifest": "application/manifest+json",
}

// SPARoutingFunction is the CloudFront Function (viewer request) that
// serves index.html for the app's own routes (/products, /orders/42): a
// path whose last segment has no file extension is a route, not a file.
// Missing files still get S3's error, so a broken asset link is not
// silently answered with HTML.
const SPARoutingFunction = `function handler(event) {
  var request = event.request;
  var last = request.uri.substring(request.uri.lastIndexOf('/') + 1);
  if (last.indexOf('.') === -1) {
    request.uri = '/index.html';
  }
  return request;
}
`

// SiteBucketPolicy is the web app bucket's policy: CloudFront may read
// objects, and only on behalf of the one distribution (through Origin
// Access Control, which signs as the CloudFront service principal); every
// request over plain HTTP is denied, whoever makes it.
func SiteBucketPolicy(bucketArn, distributionArn string) PolicyDocument {
	return NewPolicy(
		Statement{Sid: "CloudFrontReadsThroughOAC", Effect: "Allow",
			Principal: map[string]any{"Service": "cloudfront.amazonaws.com"},
			Action:    []string{"s3:GetObject"},
			Resource:  []string{bucketArn + "/*"},
			Condition: map[string]map[string]any{"StringEquals": {"AWS:SourceArn": distributionArn}}},
		Statement{Sid: "TLSOnly", Effect: "Deny",
			Principal: map[string]any{"AWS": "*"},
			Action:    []string{"s3:*"},
			Resource:  []string{bucketArn, bucketArn + "/*"},
			Condition: map[string]map[string]any{"Bool": {"aws:SecureTransport": "false"}}},
	)
}

// ContentSecurityPolicy allows the app's own origin and, for fetch, only
// the API and the Cognito endpoint; no inline script or style, no
// framing.
func ContentSecurityPolicy(apiOrigin, cognitoOrigin string) string {
	return strings.Join([]string{
		"default-src 'self'",
		"script-src 'self'",
		"style-src 'self'",
		"img-src 'self' data:",
		"font-src 'self'",
		"connect-src 'self' " + apiOrigin + " " + cognitoOrigin,
		"object-src 'none'",
		"base-uri 'self'",
		"form-action 'self'",
		"frame-ancestors 'none'",
		"upgrade-insecure-requests",
	}, "; ")
}

// CognitoOrigin is the Cognito user pools endpoint of a region, which the
// app calls for sign-in.
func CognitoOrigin(region string) string {
	return "https://cognito-idp." + region + ".amazonaws.com"
}

// WebFile is one file of the built web app and how it is served.
type WebFile struct {
	Key          string
	Path         string
	ContentType  string
	CacheControl string
}

// WebFiles lists the built web app under dir, in key order, with content
// types and cache headers: a year for content-hashed assets, revalidation
// for everything else. config.json is left out: the stack writes it.
func WebFiles(dir string) ([]WebFile, error) {
	var files []WebFile
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel)
		if key == RuntimeConfigKey {
			return nil
		}
		ct, ok := contentTypes[strings.ToLower(path.Ext(key))]
		if !ok {
			return fmt.Errorf("web app file %s has no known content type: use one of the extensions %v or add its type to infra/web.go", key, slices.Sorted(maps.Keys(contentTypes)))
		}
		cc := RevalidateCacheControl
		if strings.HasPrefix(key, HashedAssetsPrefix) {
			cc = ImmutableCacheControl
		}
		files = append(files, WebFile{Key: key, Path: p, ContentType: ct, CacheControl: cc})
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(files, func(f WebFile) bool { return f.Key == "index.html" }) {
		return nil, fmt.Errorf("the web app %s has no index.html: run `make build`", dir)
	}
	return files, nil
}

// RuntimeIdentity is the sign-in endpoint of the platform's user pool,
// for platform operators (tenant users get theirs from /tenant-config).
type RuntimeIdentity struct {
	UserPoolID  string `json:"userPoolId"`
	AppClientID string `json:"appClientId"`
	Region      string `json:"region"`
	Endpoint    string `json:"endpoint"`
}

// RuntimeConfig is config.json: what the app needs to know at run time.
// It holds no secret: everything in it is public by design.
type RuntimeConfig struct {
	APIBase  string          `json:"apiBase"`
	Region   string          `json:"region"`
	Tiers    map[string]Tier `json:"tiers"`
	Identity RuntimeIdentity `json:"identity"`
}

// JSON renders config.json.
func (c RuntimeConfig) JSON() (string, error) {
	b, err := json.MarshalIndent(c, "", "  ")
	return string(b) + "\n", err
}

// Site is the web app: a private S3 bucket reachable only through a
// CloudFront distribution (Origin Access Control), which also sends /api/*
// to the platform API so the app and the API share an origin.
type Site struct {
	pulumi.ResourceState

	URL            pulumi.StringOutput `pulumi:"url"`
	BucketName     pulumi.StringOutput `pulumi:"bucketName"`
	DistributionID pulumi.StringOutput `pulumi:"distributionId"`
	DomainName     pulumi.StringOutput `pulumi:"domainName"`
}

// SiteArgs configures a Site.
type SiteArgs struct {
	Namer Namer
	Web   WebConfig
	// Files are the built app (WebFiles).
	Files []WebFile
	// APIURL is the platform API's stage URL (https://<id>.execute-api.<region>.amazonaws.com/api).
	APIURL pulumi.StringOutput
	// Region is the stack's region, for the Cognito endpoint.
	Region string
	// Tiers are shown on the sign-up page.
	Tiers map[string]Tier
	// UserPoolID and ClientID are the platform's user pool (operators'
	// sign-in).
	UserPoolID pulumi.StringOutput
	ClientID   pulumi.StringOutput
	// Global is the us-east-1 provider (the WAF web ACL of a distribution
	// must live there).
	Global *aws.Provider
	// ForceDestroy lets `pulumi destroy` empty the buckets (dev only).
	ForceDestroy bool
}

// NewSite registers the web app's bucket, distribution and files.
func NewSite(ctx *pulumi.Context, name string, args *SiteArgs, opts ...pulumi.ResourceOption) (*Site, error) {
	if args == nil {
		return nil, errors.New("site: args are required")
	}
	if len(args.Files) == 0 || args.Region == "" || args.Web.PriceClass == "" {
		return nil, errors.New("site: Files, Region and Web.PriceClass are required")
	}
	if args.Web.WAF && args.Global == nil {
		return nil, errors.New("site: a WAF web ACL needs the us-east-1 provider (Global)")
	}
	c := &Site{}
	if err := ctx.RegisterComponentResource("tenantforge:web:Site", name, c, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(c)

	bucket, err := privateBucket(ctx, name+"-bucket", args.Namer.Name("web", MaxS3BucketName), "BucketOwnerEnforced", args.ForceDestroy, parent)
	if err != nil {
		return nil, err
	}
	oac, err := cloudfront.NewOriginAccessControl(ctx, name+"-oac", &cloudfront.OriginAccessControlArgs{
		Name:                          pulumi.String(args.Namer.Name("web", 64)),
		Description:                   pulumi.String("CloudFront reads the web app bucket with signed requests"),
		OriginAccessControlOriginType: pulumi.String("s3"),
		SigningBehavior:               pulumi.String("always"),
		SigningProtocol:               pulumi.String("sigv4"),
	}, parent)
	if err != nil {
		return nil, err
	}
	spa, err := cloudfront.NewFunction(ctx, name+"-spa-routing", &cloudfront.FunctionArgs{
		Name:    pulumi.String(args.Namer.Name("web-spa-routing", 64)),
		Runtime: pulumi.String("cloudfront-js-2.0"),
		Comment: pulumi.String("Serves index.html for the web app's routes"),
		Code:    pulumi.String(SPARoutingFunction),
		Publish: pulumi.Bool(true),
	}, parent)
	if err != nil {
		return nil, err
	}
	apiHost := args.APIURL.ApplyT(func(u string) (string, error) {
		parsed, err := url.Parse(u)
		if err != nil || parsed.Host == "" {
			return "", fmt.Errorf("site: the API URL %q has no host", u)
		}
		return parsed.Host, nil
	}).(pulumi.StringOutput)
	csp := apiHost.ApplyT(func(h string) string {
		return ContentSecurityPolicy("https://"+h, CognitoOrigin(args.Region))
	}).(pulumi.StringOutput)
	headers, err := cloudfront.NewResponseHeadersPolicy(ctx, name+"-headers", &cloudfront.ResponseHeadersPolicyArgs{
		Name:    pulumi.String(args.Namer.Name("web-security-headers", 128)),
		Comment: pulumi.String("Security headers of the web app"),
		SecurityHeadersConfig: &cloudfront.ResponseHeadersPolicySecurityHeadersConfigArgs{
			StrictTransportSecurity: &cloudfront.ResponseHeadersPolicySecurityHeadersConfigStrictTransportSecurityArgs{
				AccessControlMaxAgeSec: pulumi.Int(HSTSMaxAgeSeconds), IncludeSubdomains: pulumi.Bool(true), Preload: pulumi.Bool(true), Override: pulumi.Bool(true),
			},
			ContentSecurityPolicy: &cloudfront.ResponseHeadersPolicySecurityHeadersConfigContentSecurityPolicyArgs{
				ContentSecurityPolicy: csp, Override: pulumi.Bool(true),
			},
			ContentTypeOptions: &cloudfront.ResponseHeadersPolicySecurityHeadersConfigContentTypeOptionsArgs{Override: pulumi.Bool(true)},
			FrameOptions:       &cloudfront.ResponseHeadersPolicySecurityHeadersConfigFrameOptionsArgs{FrameOption: pulumi.String("DENY"), Override: pulumi.Bool(true)},
			ReferrerPolicy:     &cloudfront.ResponseHeadersPolicySecurityHeadersConfigReferrerPolicyArgs{ReferrerPolicy: pulumi.String(ReferrerPolicy), Override: pulumi.Bool(true)},
		},
	}, parent)
	if err != nil {
		return nil, err
	}

	var webACL pulumi.StringPtrInput
	if args.Web.WAF {
		acl, err := newWebACL(ctx, name+"-waf", args.Namer, pulumi.Parent(c), pulumi.Provider(args.Global))
		if err != nil {
			return nil, err
		}
		webACL = acl.Arn
	}
	var logging cloudfront.DistributionLoggingConfigPtrInput
	if args.Web.AccessLogs {
		// CloudFront standard logs are written with an ACL grant, so this
		// bucket keeps ACLs (BucketOwnerPreferred); it is private all the same.
		logs, err := privateBucket(ctx, name+"-logs", args.Namer.Name("web-logs", MaxS3BucketName), "BucketOwnerPreferred", args.ForceDestroy, parent)
		if err != nil {
			return nil, err
		}
		if _, err := s3.NewBucketLifecycleConfigurationV2(ctx, name+"-logs-expiry", &s3.BucketLifecycleConfigurationV2Args{
			Bucket: logs.ID(),
			Rules: s3.BucketLifecycleConfigurationV2RuleArray{s3.BucketLifecycleConfigurationV2RuleArgs{
				Id: pulumi.String("expire-access-logs"), Status: pulumi.String("Enabled"),
				Filter:     &s3.BucketLifecycleConfigurationV2RuleFilterArgs{Prefix: pulumi.String("cloudfront/")},
				Expiration: &s3.BucketLifecycleConfigurationV2RuleExpirationArgs{Days: pulumi.Int(90)},
			}},
		}, parent); err != nil {
			return nil, err
		}
		logging = &cloudfront.DistributionLoggingConfigArgs{Bucket: logs.BucketDomainName, Prefix: pulumi.String("cloudfront/"), IncludeCookies: pulumi.Bool(false)}
	}

	viewerCert := &cloudfront.DistributionViewerCertificateArgs{CloudfrontDefaultCertificate: pulumi.Bool(true)}
	var aliases pulumi.StringArray
	if args.Web.Domain != "" {
		viewerCert = &cloudfront.DistributionViewerCertificateArgs{
			AcmCertificateArn:      pulumi.String(args.Web.CertificateArn),
			SslSupportMethod:       pulumi.String("sni-only"),
			MinimumProtocolVersion: pulumi.String(MinimumTLSVersion),
		}
		aliases = pulumi.StringArray{pulumi.String(args.Web.Domain)}
	}
	// CloudFront strips Authorization from GET requests unless it is part
	// of the cache key, and a policy with caching disabled cannot have a
	// key: so the API gets a policy that keys on Authorization (and every
	// query string) and caches nothing the API does not mark cacheable.
	apiCache, err := cloudfront.NewCachePolicy(ctx, name+"-api-cache", &cloudfront.CachePolicyArgs{
		Name:       pulumi.String(args.Namer.Name("web-api", 128)),
		Comment:    pulumi.String("The API through the web app's origin: Authorization reaches the API, nothing is shared between callers"),
		MinTtl:     pulumi.Int(0),
		DefaultTtl: pulumi.Int(0),
		MaxTtl:     pulumi.Int(1),
		ParametersInCacheKeyAndForwardedToOrigin: &cloudfront.CachePolicyParametersInCacheKeyAndForwardedToOriginArgs{
			HeadersConfig: &cloudfront.CachePolicyParametersInCacheKeyAndForwardedToOriginHeadersConfigArgs{
				HeaderBehavior: pulumi.String("whitelist"),
				Headers:        &cloudfront.CachePolicyParametersInCacheKeyAndForwardedToOriginHeadersConfigHeadersArgs{Items: pulumi.ToStringArray([]string{"Authorization"})},
			},
			QueryStringsConfig:         &cloudfront.CachePolicyParametersInCacheKeyAndForwardedToOriginQueryStringsConfigArgs{QueryStringBehavior: pulumi.String("all")},
			CookiesConfig:              &cloudfront.CachePolicyParametersInCacheKeyAndForwardedToOriginCookiesConfigArgs{CookieBehavior: pulumi.String("none")},
			EnableAcceptEncodingGzip:   pulumi.Bool(true),
			EnableAcceptEncodingBrotli: pulumi.Bool(true),
		},
	}, parent)
	if err != nil {
		return nil, err
	}
	const s3Origin, apiOrigin = "web-bucket", "platform-api"
	readOnly := pulumi.ToStringArray([]string{"GET", "HEAD"})
	staticBehavior := func(pattern, cachePolicy string) cloudfront.DistributionOrderedCacheBehaviorArgs {
		return cloudfront.DistributionOrderedCacheBehaviorArgs{
			PathPattern: pulumi.String(pattern), TargetOriginId: pulumi.String(s3Origin),
			ViewerProtocolPolicy: pulumi.String(ViewerProtocolPolicy), AllowedMethods: readOnly, CachedMethods: readOnly,
			Compress: pulumi.Bool(true), CachePolicyId: pulumi.String(cachePolicy), ResponseHeadersPolicyId: headers.ID(),
		}
	}
	dist, err := cloudfront.NewDistribution(ctx, name+"-cdn", &cloudfront.DistributionArgs{
		Enabled:           pulumi.Bool(true),
		Comment:           pulumi.String(args.Namer.Name("web", 128)),
		Aliases:           aliases,
		DefaultRootObject: pulumi.String("index.html"),
		HttpVersion:       pulumi.String("http2and3"),
		IsIpv6Enabled:     pulumi.Bool(true),
		PriceClass:        pulumi.String(args.Web.PriceClass),
		WebAclId:          webACL,
		LoggingConfig:     logging,
		Origins: cloudfront.DistributionOriginArray{
			cloudfront.DistributionOriginArgs{OriginId: pulumi.String(s3Origin), DomainName: bucket.BucketRegionalDomainName, OriginAccessControlId: oac.ID()},
			cloudfront.DistributionOriginArgs{OriginId: pulumi.String(apiOrigin), DomainName: apiHost,
				CustomOriginConfig: &cloudfront.DistributionOriginCustomOriginConfigArgs{
					HttpPort: pulumi.Int(80), HttpsPort: pulumi.Int(443), OriginProtocolPolicy: pulumi.String("https-only"),
					OriginSslProtocols: pulumi.ToStringArray([]string{"TLSv1.2"}),
				}},
		},
		// index.html and the app's routes: never cached, so a deploy is
		// live at once; the routes are rewritten to index.html.
		DefaultCacheBehavior: &cloudfront.DistributionDefaultCacheBehaviorArgs{
			TargetOriginId: pulumi.String(s3Origin), ViewerProtocolPolicy: pulumi.String(ViewerProtocolPolicy),
			AllowedMethods: readOnly, CachedMethods: readOnly, Compress: pulumi.Bool(true),
			CachePolicyId: pulumi.String(CachePolicyCachingDisabled), ResponseHeadersPolicyId: headers.ID(),
			FunctionAssociations: cloudfront.DistributionDefaultCacheBehaviorFunctionAssociationArray{
				cloudfront.DistributionDefaultCacheBehaviorFunctionAssociationArgs{EventType: pulumi.String("viewer-request"), FunctionArn: spa.Arn},
			},
		},
		OrderedCacheBehaviors: cloudfront.DistributionOrderedCacheBehaviorArray{
			// The stage is named like the path, so /api/products reaches
			// stage "api", resource /products, with no origin path.
			cloudfront.DistributionOrderedCacheBehaviorArgs{
				PathPattern: pulumi.String("/" + StageName + "/*"), TargetOriginId: pulumi.String(apiOrigin),
				ViewerProtocolPolicy: pulumi.String(ViewerProtocolPolicy),
				AllowedMethods:       pulumi.ToStringArray([]string{"DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"}),
				CachedMethods:        readOnly, Compress: pulumi.Bool(true),
				CachePolicyId: apiCache.ID(), OriginRequestPolicyId: pulumi.String(OriginRequestPolicyAllViewerExceptHostHdr),
				ResponseHeadersPolicyId: headers.ID(),
			},
			staticBehavior("/"+HashedAssetsPrefix+"*", CachePolicyCachingOptimized),
			staticBehavior("/"+RuntimeConfigKey, CachePolicyCachingDisabled),
		},
		Restrictions:      &cloudfront.DistributionRestrictionsArgs{GeoRestriction: &cloudfront.DistributionRestrictionsGeoRestrictionArgs{RestrictionType: pulumi.String("none")}},
		ViewerCertificate: viewerCert,
	}, parent)
	if err != nil {
		return nil, err
	}
	policy := pulumi.All(bucket.Arn, dist.Arn).ApplyT(func(v []any) (string, error) {
		return SiteBucketPolicy(v[0].(string), v[1].(string)).JSON()
	}).(pulumi.StringOutput)
	bucketPolicy, err := s3.NewBucketPolicy(ctx, name+"-bucket-policy", &s3.BucketPolicyArgs{Bucket: bucket.ID(), Policy: policy}, parent)
	if err != nil {
		return nil, err
	}

	// The files; each upload waits for the bucket's settings so nothing
	// is ever stored unencrypted or with an ACL.
	after := pulumi.DependsOn([]pulumi.Resource{bucketPolicy})
	for _, f := range args.Files {
		if _, err := s3.NewBucketObjectv2(ctx, name+"-file-"+f.Key, &s3.BucketObjectv2Args{
			Bucket: bucket.ID(), Key: pulumi.String(f.Key), Source: pulumi.NewFileAsset(f.Path),
			ContentType: pulumi.String(f.ContentType), CacheControl: pulumi.String(f.CacheControl),
		}, parent, after); err != nil {
			return nil, err
		}
	}
	runtime := pulumi.All(args.UserPoolID, args.ClientID).ApplyT(func(v []any) (string, error) {
		return RuntimeConfig{
			APIBase: "/" + StageName, Region: args.Region, Tiers: args.Tiers,
			Identity: RuntimeIdentity{UserPoolID: v[0].(string), AppClientID: v[1].(string), Region: args.Region, Endpoint: CognitoOrigin(args.Region) + "/"},
		}.JSON()
	}).(pulumi.StringOutput)
	if _, err := s3.NewBucketObjectv2(ctx, name+"-file-"+RuntimeConfigKey, &s3.BucketObjectv2Args{
		Bucket: bucket.ID(), Key: pulumi.String(RuntimeConfigKey), Content: runtime,
		ContentType: pulumi.String(contentTypes[".json"]), CacheControl: pulumi.String(RevalidateCacheControl),
	}, parent, after); err != nil {
		return nil, err
	}

	c.DomainName = dist.DomainName
	if args.Web.Domain != "" {
		c.URL = pulumi.String("https://" + args.Web.Domain).ToStringOutput()
	} else {
		c.URL = pulumi.Sprintf("https://%s", dist.DomainName)
	}
	c.BucketName = bucket.Bucket
	c.DistributionID = dist.ID().ToStringOutput()
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{
		"url": c.URL, "bucketName": c.BucketName, "distributionId": c.DistributionID, "domainName": c.DomainName,
	}); err != nil {
		return nil, err
	}
	return c, nil
}

// privateBucket registers a versioned, encrypted bucket that blocks every
// form of public access, with the given object ownership.
func privateBucket(ctx *pulumi.Context, name, bucketName, ownership string, forceDestroy bool, parent pulumi.ResourceOption) (*s3.BucketV2, error) {
	bucket, err := s3.NewBucketV2(ctx, name, &s3.BucketV2Args{Bucket: pulumi.String(bucketName), ForceDestroy: pulumi.Bool(forceDestroy)}, parent)
	if err != nil {
		return nil, err
	}
	if _, err := s3.NewBucketPublicAccessBlock(ctx, name+"-public-access", &s3.BucketPublicAccessBlockArgs{
		Bucket: bucket.ID(), BlockPublicAcls: pulumi.Bool(true), BlockPublicPolicy: pulumi.Bool(true),
		IgnorePublicAcls: pulumi.Bool(true), RestrictPublicBuckets: pulumi.Bool(true),
	}, parent); err != nil {
		return nil, err
	}
	if _, err := s3.NewBucketOwnershipControls(ctx, name+"-ownership", &s3.BucketOwnershipControlsArgs{
		Bucket: bucket.ID(), Rule: &s3.BucketOwnershipControlsRuleArgs{ObjectOwnership: pulumi.String(ownership)},
	}, parent); err != nil {
		return nil, err
	}
	if _, err := s3.NewBucketServerSideEncryptionConfigurationV2(ctx, name+"-encryption", &s3.BucketServerSideEncryptionConfigurationV2Args{
		Bucket: bucket.ID(),
		Rules: s3.BucketServerSideEncryptionConfigurationV2RuleArray{s3.BucketServerSideEncryptionConfigurationV2RuleArgs{
			ApplyServerSideEncryptionByDefault: &s3.BucketServerSideEncryptionConfigurationV2RuleApplyServerSideEncryptionByDefaultArgs{SseAlgorithm: pulumi.String("AES256")},
			BucketKeyEnabled:                   pulumi.Bool(true),
		}},
	}, parent); err != nil {
		return nil, err
	}
	if _, err := s3.NewBucketVersioningV2(ctx, name+"-versioning", &s3.BucketVersioningV2Args{
		Bucket: bucket.ID(), VersioningConfiguration: &s3.BucketVersioningV2VersioningConfigurationArgs{Status: pulumi.String("Enabled")},
	}, parent); err != nil {
		return nil, err
	}
	return bucket, nil
}

// newWebACL registers the distribution's web ACL: AWS managed rule groups
// and a per-IP rate limit.
func newWebACL(ctx *pulumi.Context, name string, namer Namer, opts ...pulumi.ResourceOption) (*wafv2.WebAcl, error) {
	metric := func(n string) *wafv2.WebAclRuleVisibilityConfigArgs {
		return &wafv2.WebAclRuleVisibilityConfigArgs{CloudwatchMetricsEnabled: pulumi.Bool(true), SampledRequestsEnabled: pulumi.Bool(true), MetricName: pulumi.String(n)}
	}
	var rules wafv2.WebAclRuleArray
	for i, group := range WAFManagedRuleGroups {
		rules = append(rules, wafv2.WebAclRuleArgs{
			Name: pulumi.String(group), Priority: pulumi.Int(i + 1),
			OverrideAction: &wafv2.WebAclRuleOverrideActionArgs{None: &wafv2.WebAclRuleOverrideActionNoneArgs{}},
			Statement: &wafv2.WebAclRuleStatementArgs{ManagedRuleGroupStatement: &wafv2.WebAclRuleStatementManagedRuleGroupStatementArgs{
				VendorName: pulumi.String("AWS"), Name: pulumi.String(group),
			}},
			VisibilityConfig: metric(group),
		})
	}
	rules = append(rules, wafv2.WebAclRuleArgs{
		Name: pulumi.String("RateLimitPerIP"), Priority: pulumi.Int(len(WAFManagedRuleGroups) + 1),
		Action: &wafv2.WebAclRuleActionArgs{Block: &wafv2.WebAclRuleActionBlockArgs{}},
		Statement: &wafv2.WebAclRuleStatementArgs{RateBasedStatement: &wafv2.WebAclRuleStatementRateBasedStatementArgs{
			Limit: pulumi.Int(WAFRateLimit), AggregateKeyType: pulumi.String("IP"),
		}},
		VisibilityConfig: metric("RateLimitPerIP"),
	})
	return wafv2.NewWebAcl(ctx, name, &wafv2.WebAclArgs{
		Name:             pulumi.String(namer.Name("web", 128)),
		Description:      pulumi.String("The web app's distribution: AWS managed rules and a rate limit per client IP"),
		Scope:            pulumi.String("CLOUDFRONT"),
		DefaultAction:    &wafv2.WebAclDefaultActionArgs{Allow: &wafv2.WebAclDefaultActionAllowArgs{}},
		Rules:            rules,
		VisibilityConfig: &wafv2.WebAclVisibilityConfigArgs{CloudwatchMetricsEnabled: pulumi.Bool(true), SampledRequestsEnabled: pulumi.Bool(true), MetricName: pulumi.String("web")},
	}, opts...)
}
