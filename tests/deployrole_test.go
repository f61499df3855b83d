package tests

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantforge/tenantforge/infra"
	"github.com/tenantforge/tenantforge/internal/mockcloud"
)

// everythingOn is the platform stack with every optional feature that adds
// resources: WAF, CloudFront access logs, a custom domain, the VPC, the cost
// allocation tag and alarm e-mails.
func everythingOn(t *testing.T) *mockcloud.Recording {
	t.Helper()
	return run(t, "dev", stackConfig(t, "dev",
		"web", `{"priceClass":"PriceClass_100","waf":true,"accessLogs":true,"domain":"app.example.com","certificateArn":"arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c"}`,
		"vpc", `{"enabled":true,"cidrBlock":"10.0.0.0/16","availabilityZones":2,"natGateways":"Single"}`,
		"observability", `{"alarmEmail":"oncall@example.com","activateCostTag":true}`), nil)
}

// lookup walks a dotted path through a resource's inputs or outputs.
func lookup(r *mockcloud.Resource, source, path string) (string, bool) {
	keys := strings.Split(path, ".")
	var v any
	if source == "in" {
		v = r.Input(keys[0])
	} else {
		v = r.Output(keys[0])
	}
	for _, k := range keys[1:] {
		m, ok := v.(map[string]any)
		if !ok {
			return "", false
		}
		v = m[k]
	}
	s, ok := v.(string)
	return s, ok && s != ""
}

var placeholder = regexp.MustCompile(`\{(in|out|in\?|base):([A-Za-z0-9.]+)(/?)\}`)

// regionOf is the region of the provider that manages a resource.
func regionOf(rec *mockcloud.Recording, r *mockcloud.Resource) string {
	provider := r.Provider
	if r.Remote {
		provider = r.Providers["aws"]
	}
	if p := rec.ByURN(provider); p != nil {
		if s, ok := p.Input("region").(string); ok {
			return s
		}
	}
	return "eu-west-1"
}

// render fills a DeployGrant template in for one planned resource.
func render(rec *mockcloud.Recording, r *mockcloud.Resource, template string) (string, error) {
	region := regionOf(rec, r)
	var missing []string
	out := placeholder.ReplaceAllStringFunc(template, func(m string) string {
		g := placeholder.FindStringSubmatch(m)
		source, optional := g[1], g[1] == "in?"
		if optional || source == "base" {
			source = "in"
		}
		v, ok := lookup(r, source, g[2])
		if ok && g[1] == "base" {
			v = v[strings.LastIndex(v, "/")+1:]
		}
		switch {
		case ok:
			return v + g[3]
		case optional:
			return ""
		}
		missing = append(missing, g[1]+":"+g[2])
		return ""
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("%s %s has no %v", r.Type, r.Name, missing)
	}
	out = strings.NewReplacer("{partition}", "aws", "{region}", region, "{account}", account, "{logical}", r.Name).Replace(out)
	return out, nil
}

// requestedRegion is the region IAM sees a request in: the provider's, or
// us-east-1 for the global services' endpoints.
func requestedRegion(rec *mockcloud.Recording, r *mockcloud.Resource, action string) string {
	switch strings.SplitN(action, ":", 2)[0] {
	case "iam", "cloudfront", "ce":
		return "us-east-1"
	}
	return regionOf(rec, r)
}

// The deploy role runs `pulumi up` of the platform stack in the pipeline.
// Every AWS resource type the stack registers, with every optional feature
// on, must be in infra.DeployActions, and every action listed there must
// be allowed by the deploy role's policy exactly as registered, on the
// resource the planned resource really is (its name, its bucket, its rule,
// the role it passes). Not proven here: that DeployActions lists every API
// call the provider makes (it is read from the provider's behaviour, not
// generated from it); only a deployment to an AWS account shows that.
func TestDeployRoleCanDeployThePlatformStack(t *testing.T) {
	rec := everythingOn(t)
	doc, err := find(t, rec, typeRolePol, "cicd-deploy-policy").PolicyInput("policy")
	require.NoError(t, err)
	deployRole := find(t, rec, typeRole, "cicd-deploy-role").Output("arn").(string)
	policies := []any{map[string]any{"name": "deploy", "policy": doc}}

	// The pipeline's own roles are out of the deploy role's reach on
	// purpose (an operator's `pulumi up` changes them): those actions must
	// stay explicitly denied.
	own := map[string]bool{}
	for _, n := range []string{"cicd-pipeline-role", "cicd-build-role", "cicd-deploy-role"} {
		own[find(t, rec, typeRole, n).Output("arn").(string)] = true
	}
	ownDenied := map[string]bool{}
	for _, st := range doc["Statement"].([]any) {
		if st := st.(map[string]any); st["Effect"] == "Deny" {
			for _, a := range st["Action"].([]any) {
				ownDenied[a.(string)] = true
			}
		}
	}
	require.NotEmpty(t, ownDenied, "the deploy role must not be able to change the pipeline's own roles")
	matched := 0

	types := map[string]bool{}
	var missing []string
	seen := map[string]bool{}
	var cases []simCase
	for _, r := range rec.Resources {
		if r.IsProvider() || strings.HasPrefix(r.Type, "tenantforge:") || strings.HasPrefix(r.Type, "pulumi:") {
			continue
		}
		types[r.Type] = true
		grants, ok := infra.DeployActions[r.Type]
		if !ok {
			if !slices.Contains(missing, r.Type) {
				missing = append(missing, r.Type)
			}
			continue
		}
		for _, g := range grants {
			res, err := render(rec, r, g.Resource)
			require.NoError(t, err, "DeployActions[%q] names a value the resource does not have", r.Type)
			if res == "" {
				continue // an optional role (an event target without one)
			}
			for _, action := range g.Actions {
				ctx := map[string]any{"aws:RequestedRegion": requestedRegion(rec, r, action)}
				for k, v := range g.Context {
					rendered, err := render(rec, r, v)
					require.NoError(t, err)
					ctx[k] = rendered
				}
				key := fmt.Sprint(action, res, ctx)
				if seen[key] {
					continue
				}
				seen[key] = true
				name := fmt.Sprintf("%s (%s): %s on %s: without it `pulumi up` of the platform stack fails with AccessDenied", r.Type, r.Name, action, res)
				want := "Allowed"
				if own[res] && ownDenied[action] {
					want = "ExplicitlyDenied"
				}
				if apiCollections.MatchString(res) {
					// API Gateway collections have two ARN formats in the
					// Service Authorization Reference (HTTP and REST APIs);
					// the simulator matches only the first, so these are
					// checked with the plain matcher.
					assert.True(t, allows(doc, action, res), "%s", name)
					matched++
					continue
				}
				cases = append(cases, simCase{
					Name: name,
					want: want,
					Simulation: map[string]any{"identityPolicies": policies, "request": map[string]any{
						"action": action, "principal": deployRole,
						"resource":         map[string]any{"accountId": account, "resource": res},
						"contextVariables": ctx,
					}},
				})
			}
		}
	}
	sort.Strings(missing)
	assert.Empty(t, missing, "the platform stack registers types infra.DeployActions does not list: the deploy role's permissions for them were never reviewed")
	// The table lists only what the stack uses: stale entries hide the
	// permissions nobody needs any more.
	var stale []string
	for typ := range infra.DeployActions {
		if !types[typ] {
			stale = append(stale, typ)
		}
	}
	sort.Strings(stale)
	assert.Empty(t, stale, "infra.DeployActions lists types the platform stack no longer registers: drop them and the deploy role's statements for them")
	require.Greater(t, len(cases), 300, "the simulation must cover every planned resource's actions")
	require.Equal(t, 3, matched, "POST on the REST API's deployments, POST and GET on its stages")
	simulate(t, cases)
}

// The additions reach only the project's resources: the same actions on
// another project's resources, or the permissions boundary of the silo
// stacks written by someone else, stay denied.
func TestDeployRoleAdditionsStayInTheProject(t *testing.T) {
	rec := everythingOn(t)
	doc, err := find(t, rec, typeRolePol, "cicd-deploy-policy").PolicyInput("policy")
	require.NoError(t, err)
	deployRole := find(t, rec, typeRole, "cicd-deploy-role").Output("arn").(string)
	policies := []any{map[string]any{"name": "deploy", "policy": doc}}
	req := func(action, res, region string, ctx map[string]any) map[string]any {
		c := map[string]any{"aws:RequestedRegion": region}
		for k, v := range ctx {
			c[k] = v
		}
		return map[string]any{"identityPolicies": policies, "request": map[string]any{"action": action, "principal": deployRole,
			"resource": map[string]any{"accountId": account, "resource": res}, "contextVariables": c}}
	}
	deny := func(name, action, res, region string, ctx map[string]any) simCase {
		return simCase{Name: name, want: "ImplicitlyDenied", Simulation: req(action, res, region, ctx)}
	}
	simulate(t, []simCase{
		deny("deploy deletes another project's queue", "sqs:DeleteQueue", "arn:aws:sqs:eu-west-1:123456789012:billing-jobs", "eu-west-1", nil),
		deny("deploy rewrites another project's managed policy", "iam:CreatePolicyVersion", "arn:aws:iam::123456789012:policy/billing-admin", "us-east-1", nil),
		deny("deploy creates a policy outside the project", "iam:CreatePolicy", "arn:aws:iam::123456789012:policy/escalate", "us-east-1", nil),
		deny("deploy deletes another project's web ACL", "wafv2:DeleteWebACL",
			"arn:aws:wafv2:us-east-1:123456789012:global/webacl/billing/0f1e2d3c-0000-4000-8000-000000000000", "us-east-1", nil),
		deny("deploy deletes another project's dashboard", "cloudwatch:DeleteDashboards", "arn:aws:cloudwatch::123456789012:dashboard/billing", "us-east-1", nil),
		deny("deploy deletes another project's CloudFront function", "cloudfront:DeleteFunction", "arn:aws:cloudfront::123456789012:function/billing-rewrite", "us-east-1", nil),
		deny("deploy passes a project role to EventBridge for another service", "iam:PassRole", "arn:aws:iam::123456789012:role/tenantforge-dev-deployer-events",
			"us-east-1", map[string]any{"iam:PassedToService": "ec2.amazonaws.com"}),
		deny("deploy attaches its silo boundary to a role outside the project", "iam:PutRolePermissionsBoundary", "arn:aws:iam::123456789012:role/billing-role", "us-east-1",
			map[string]any{"iam:PermissionsBoundary": "arn:aws:iam::123456789012:policy/tenantforge-dev-silo-boundary"}),
		deny("deploy starts a CodeBuild build of the tenant deployer with someone else's role", "iam:PassRole", "arn:aws:iam::123456789012:role/billing-role",
			"us-east-1", map[string]any{"iam:PassedToService": "codebuild.amazonaws.com"}),
	})
}

var apiCollections = regexp.MustCompile(`^arn:aws:apigateway:[a-z0-9-]+::/restapis/[^/]+/(deployments|stages)$`)

// glob turns an IAM pattern (* and ?) into a regexp.
func glob(pattern string) *regexp.Regexp {
	q := regexp.QuoteMeta(pattern)
	q = strings.NewReplacer(`\*`, ".*", `\?`, ".").Replace(q)
	return regexp.MustCompile("(?i)^" + q + "$")
}

// allows is a plain evaluation of an identity policy for a request without
// condition keys: some Allow statement without conditions matches the
// action and resource, and no Deny statement does.
func allows(doc map[string]any, action, resource string) bool {
	allowed := false
	for _, st := range doc["Statement"].([]any) {
		s := st.(map[string]any)
		match := func(key, v string) bool {
			for _, p := range s[key].([]any) {
				if glob(p.(string)).MatchString(v) {
					return true
				}
			}
			return false
		}
		if !match("Action", action) || !match("Resource", resource) {
			continue
		}
		if s["Effect"] == "Deny" {
			return false
		}
		if s["Condition"] == nil {
			allowed = true
		}
	}
	return allowed
}
