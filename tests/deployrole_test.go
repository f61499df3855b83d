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

// requestedRegion is the region IAM sees a request in: the resource ARN's,
// us-east-1 for the global services' endpoints, else the provider's.
func requestedRegion(rec *mockcloud.Recording, r *mockcloud.Resource, action, arn string) string {
	if parts := strings.SplitN(arn, ":", 5); len(parts) == 5 && parts[3] != "" {
		return parts[3]
	}
	switch strings.SplitN(action, ":", 2)[0] {
	case "iam", "cloudfront", "ce":
		return "us-east-1"
	}
	return regionOf(rec, r)
}

// deployCheck simulates, for every AWS resource of a stack, the actions
// infra.DeployActions lists for its type against the deploy role's policy
// as the platform stack registers it.
type deployCheck struct {
	doc       map[string]any
	role      string
	own       map[string]bool // the pipeline's own roles
	ownDenied map[string]bool // what the deploy role may not do to them
	types     map[string]bool
	missing   []string
	cases     []simCase
	seen      map[string]bool
	matched   int
}

func newDeployCheck(t *testing.T, platform *mockcloud.Recording) *deployCheck {
	t.Helper()
	doc, err := find(t, platform, typeRolePol, "cicd-deploy-policy").PolicyInput("policy")
	require.NoError(t, err)
	c := &deployCheck{doc: doc, role: find(t, platform, typeRole, "cicd-deploy-role").Output("arn").(string),
		own: map[string]bool{}, ownDenied: map[string]bool{}, types: map[string]bool{}, seen: map[string]bool{}}
	// The pipeline's own roles are out of the deploy role's reach on
	// purpose (an operator's `pulumi up` changes them): those actions must
	// stay explicitly denied.
	for _, n := range []string{"cicd-pipeline-role", "cicd-build-role", "cicd-deploy-role"} {
		c.own[find(t, platform, typeRole, n).Output("arn").(string)] = true
	}
	for _, st := range doc["Statement"].([]any) {
		if st := st.(map[string]any); st["Effect"] == "Deny" {
			for _, a := range st["Action"].([]any) {
				c.ownDenied[a.(string)] = true
			}
		}
	}
	require.NotEmpty(t, c.ownDenied, "the deploy role must not be able to change the pipeline's own roles")
	return c
}

// add collects the cases of every AWS resource of a stack's plan.
func (c *deployCheck) add(t *testing.T, rec *mockcloud.Recording, label string) {
	t.Helper()
	policies := []any{map[string]any{"name": "deploy", "policy": c.doc}}
	for _, r := range rec.Resources {
		if r.IsProvider() || strings.HasPrefix(r.Type, "tenantforge:") || strings.HasPrefix(r.Type, "pulumi:") {
			continue
		}
		c.types[r.Type] = true
		grants, ok := infra.DeployActions[r.Type]
		if !ok {
			if !slices.Contains(c.missing, r.Type) {
				c.missing = append(c.missing, r.Type)
			}
			continue
		}
	grants:
		for _, g := range grants {
			res, err := render(rec, r, g.Resource)
			require.NoError(t, err, "DeployActions[%q] names a value the resource does not have", r.Type)
			if res == "" {
				continue // an optional role (an event target without one)
			}
			ctx := map[string]any{}
			for k, v := range g.Context {
				rendered, err := render(rec, r, v)
				require.NoError(t, err)
				if rendered == "" {
					continue grants // a grant for an optional input this resource does not set
				}
				ctx[k] = rendered
			}
			for _, action := range g.Actions {
				actx := map[string]any{"aws:RequestedRegion": requestedRegion(rec, r, action, res)}
				for k, v := range ctx {
					actx[k] = v
				}
				key := fmt.Sprint(action, res, actx)
				if c.seen[key] {
					continue
				}
				c.seen[key] = true
				name := fmt.Sprintf("%s %s (%s): %s on %s: without it `pulumi up` of the %s fails with AccessDenied", label, r.Type, r.Name, action, res, label)
				want := "Allowed"
				if c.own[res] && c.ownDenied[action] {
					want = "ExplicitlyDenied"
				}
				if apiCollections.MatchString(res) {
					// API Gateway collections have two ARN formats in the
					// Service Authorization Reference (HTTP and REST APIs);
					// the simulator matches only the first, so these are
					// checked with the plain matcher.
					assert.True(t, allows(c.doc, action, res), "%s", name)
					c.matched++
					continue
				}
				c.cases = append(c.cases, simCase{Name: name, want: want,
					Simulation: map[string]any{"identityPolicies": policies, "request": simRequest(c.role, action, res, actx)},
				})
			}
		}
	}
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
	c := newDeployCheck(t, rec)
	c.add(t, rec, "platform stack")
	sort.Strings(c.missing)
	assert.Empty(t, c.missing, "the platform stack registers types infra.DeployActions does not list: the deploy role's permissions for them were never reviewed")
	// The table lists only what the stack uses: stale entries hide the
	// permissions nobody needs any more.
	var stale []string
	for typ := range infra.DeployActions {
		if !c.types[typ] {
			stale = append(stale, typ)
		}
	}
	sort.Strings(stale)
	assert.Empty(t, stale, "infra.DeployActions lists types the platform stack no longer registers: drop them and the deploy role's statements for them")
	require.Greater(t, len(c.cases), 300, "the simulation must cover every planned resource's actions")
	require.Equal(t, 3, c.matched, "POST on the REST API's deployments, POST and GET on its stages")
	simulate(t, c.cases)
}

// `tenantctl rollout` runs with the same role and updates the silo tenant
// stacks after the platform: the example tenant's stack must be deployable
// too, its roles with the platform's permissions boundary. Not proven
// here: the tenant deployer's own role (infra/deployerpolicy.go).
func TestDeployRoleCanRollOutSiloStacks(t *testing.T) {
	platform := everythingOn(t)
	silo := run(t, "dev-tenant-example", stackConfig(t, "dev-tenant-example"), map[string]map[string]any{"organization/tenantforge/dev": platform.Outputs})
	c := newDeployCheck(t, platform)
	c.add(t, silo, "silo stack")
	assert.Empty(t, c.missing, "the silo stack registers types infra.DeployActions does not list")
	bounded := 0
	for _, sc := range c.cases {
		if sc.Simulation["request"].(map[string]any)["contextVariables"].(map[string]any)["iam:PermissionsBoundary"] != nil {
			bounded++
		}
	}
	require.NotZero(t, bounded, "the silo roles carry the platform's boundary: setting it must be simulated")
	simulate(t, c.cases)
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
		return map[string]any{"identityPolicies": policies, "request": simRequest(deployRole, action, res, c)}
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
		deny("deploy passes the EventBridge role to EC2", "iam:PassRole", "arn:aws:iam::123456789012:role/tenantforge-dev-deployer-events",
			"us-east-1", map[string]any{"iam:PassedToService": "ec2.amazonaws.com"}),
		deny("deploy puts a boundary other than the silo boundary on a project role", "iam:PutRolePermissionsBoundary",
			"arn:aws:iam::123456789012:role/tenantforge-dev-tenant-example-silo-orders-role", "us-east-1",
			map[string]any{"iam:PermissionsBoundary": "arn:aws:iam::aws:policy/AdministratorAccess"}),
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
