package tests

import (
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantforge/tenantforge/infra"
	"github.com/tenantforge/tenantforge/internal/mockcloud"
)

// Packages whose resources make no AWS call of their own: Pulumi's
// providers and stack references, and the program's components.
var awsFreePackages = []string{"pulumi", "tenantforge"}

// uncoveredTypes lists the types of the stack's resources that make AWS
// calls but have no entry in needs.
func uncoveredTypes(rec *mockcloud.Recording, needs map[string][]infra.DeployerNeed) []string {
	var out []string
	for _, typ := range rec.SortedTypes() {
		pkg, _, _ := strings.Cut(typ, ":")
		if slices.Contains(awsFreePackages, pkg) {
			continue
		}
		if _, ok := needs[typ]; !ok {
			out = append(out, typ)
		}
	}
	return out
}

// deployerPolicy is the deployer's role policy as the platform stack
// registers it, for the simulator.
func deployerPolicy(t *testing.T, platform *mockcloud.Recording) []any {
	t.Helper()
	doc, err := find(t, platform, typeRolePol, "tenant-deployer-policy").PolicyInput("policy")
	require.NoError(t, err)
	return []any{map[string]any{"name": "deployer", "policy": doc}}
}

const deployerPrincipal = "arn:aws:sts::" + account + ":assumed-role/tenantforge-dev-deployer/AWSCodeBuild-1"

// siloStack plans the dev platform and the example silo tenant's stack.
func siloStack(t *testing.T) (platform, silo *mockcloud.Recording) {
	t.Helper()
	platform = run(t, "dev", stackConfig(t, "dev"), nil)
	silo = run(t, "dev-tenant-example", stackConfig(t, "dev-tenant-example"),
		map[string]map[string]any{"organization/tenantforge/dev": platform.Outputs})
	return platform, silo
}

// resourceArn is what IAM authorises actions on a silo resource against.
func resourceArn(t *testing.T, res *mockcloud.Resource) string {
	t.Helper()
	gw := "arn:aws:apigateway:eu-west-1::"
	str := func(k string) string { s, _ := res.Input(k).(string); return s }
	switch res.Type {
	case "aws:apigateway/restApi:RestApi":
		return gw + "/restapis/" + res.ID
	case "aws:apigateway/deployment:Deployment":
		return gw + "/restapis/" + str("restApi") + "/deployments/" + res.ID
	case "aws:apigateway/stage:Stage", "aws:apigateway/methodSettings:MethodSettings":
		return gw + "/restapis/" + str("restApi") + "/stages/" + str("stageName")
	case "aws:apigateway/usagePlan:UsagePlan":
		return gw + "/usageplans/" + res.ID
	}
	arn, _ := res.Output("arn").(string)
	require.NotEmpty(t, arn, "%s %s has no ARN to authorise against", res.Type, res.Name)
	return arn
}

// referencedArns are the ARNs of what a resource's input names.
func referencedArns(t *testing.T, res *mockcloud.Resource, input string) []string {
	t.Helper()
	var values []string
	switch v := res.Input(input).(type) {
	case string:
		values = []string{v}
	case []any:
		for _, e := range v {
			values = append(values, e.(string))
		}
	}
	require.NotEmpty(t, values, "%s %s: input %q names nothing", res.Type, res.Name, input)
	var out []string
	for _, v := range values {
		switch {
		case strings.HasPrefix(v, "arn:"):
			out = append(out, v)
		case input == "role":
			out = append(out, "arn:aws:iam::"+account+":role/"+v)
		case input == "function" || input == "functionName":
			fn := "arn:aws:lambda:eu-west-1:" + account + ":function:" + v
			out = append(out, fn)
			if q, _ := res.Input("qualifier").(string); q != "" {
				out = append(out, fn+":"+q)
			}
			if res.Type == "aws:lambda/alias:Alias" {
				out = append(out, fn+":"+res.Input("name").(string))
			}
		case input == "logGroupName":
			out = append(out, "arn:aws:logs:eu-west-1:"+account+":log-group:"+v)
		default:
			t.Fatalf("%s %s: no rule to turn input %q (%q) into an ARN", res.Type, res.Name, input, v)
		}
	}
	return out
}

// Every AWS resource type of a silo tenant's stack has its actions in
// infra.SiloDeployerNeeds, and the deployer's policy allows each of them on
// each of the stack's resources (IAM simulator). Not proven: that the
// table lists every call the provider makes (only a real `pulumi up`
// shows that); an action missing from the table is missing here too.
func TestDeployerCoversEverySiloResourceType(t *testing.T) {
	platform, silo := siloStack(t)
	missing := uncoveredTypes(silo, infra.SiloDeployerNeeds)
	assert.Empty(t, missing, "the silo stack registers these types but the tenant deployer has no actions for them: "+
		"add them to infra.SiloDeployerNeeds and DeployerPolicy, or provisioning fails with AccessDenied")
	stale := []string{}
	for typ := range infra.SiloDeployerNeeds {
		if len(silo.OfType(typ)) == 0 {
			stale = append(stale, typ)
		}
	}
	assert.Empty(t, stale, "infra.SiloDeployerNeeds lists types the silo stack no longer has: remove them and their statements")

	boundaries := map[string]any{}
	for _, r := range silo.OfType(typeRole) {
		boundaries[resourceArn(t, r)] = r.Input("permissionsBoundary")
	}
	policies := deployerPolicy(t, platform)
	seen := map[string]bool{}
	var cases []simCase
	for _, res := range silo.Resources {
		for _, need := range infra.SiloDeployerNeeds[res.Type] {
			var arns []string
			switch need.On {
			case infra.OnSelf:
				arns = []string{resourceArn(t, res)}
			case infra.OnAny:
				arns = []string{"*"}
			case infra.OnCollection:
				item := resourceArn(t, res)
				if res.Type == "aws:apigateway/deployment:Deployment" && slices.Contains(need.Actions, "apigateway:GET") {
					// The stages of the deployment's API.
					item = strings.Replace(item, "/deployments/", "/stages/", 1)
				}
				arns = []string{item[:strings.LastIndex(item, "/")]}
			case infra.OnTags:
				arns = []string{"arn:aws:apigateway:eu-west-1::/tags/" + url.QueryEscape(resourceArn(t, res))}
			default:
				if strings.HasPrefix(need.On, "arn:") {
					arns = []string{strings.NewReplacer("{partition}", "aws", "{region}", "eu-west-1", "{account}", account).Replace(need.On)}
					break
				}
				arns = referencedArns(t, res, need.On)
			}
			ctx := map[string]any{}
			for k, v := range need.Context {
				ctx[k] = v
			}
			for k, inputs := range need.ContextInputs {
				var values []any
				for _, in := range inputs {
					switch v := res.Input(in).(type) {
					case string:
						values = append(values, v)
					case []any:
						values = append(values, v...)
					}
				}
				if len(values) == 1 && !strings.HasPrefix(k, "cloudwatch:") {
					ctx[k] = values[0]
				} else if len(values) > 0 {
					ctx[k] = values
				}
			}
			for _, arn := range arns {
				// IAM sees a role's boundary (or the one a CreateRole
				// asks for) in iam:PermissionsBoundary.
				if b, ok := boundaries[arn]; ok && b != nil {
					ctx["iam:PermissionsBoundary"] = b
				}
				for _, action := range need.Actions {
					key := fmt.Sprint(action, arn, ctx)
					if seen[key] {
						continue
					}
					seen[key] = true
					if simulatorCannotType(arn) || strings.HasPrefix(need.On, "arn:") {
						// AWS authorises these on an ARN the simulator's
						// data does not know: matched against the patterns.
						assert.True(t, statementsAllow(t, policies, action, arn), "%s %s: the deployer may not %s on %s: provisioning fails with AccessDenied", res.Type, res.Name, action, arn)
						continue
					}
					cases = append(cases, simCase{
						Name: fmt.Sprintf("%s %s (%s): %s on %s; without it the deployer's pulumi up/destroy of a silo stack fails with AccessDenied", res.Type, res.Name, need.On, action, arn), want: "Allowed",
						Simulation: map[string]any{"identityPolicies": policies, "request": simRequest(deployerPrincipal, action, arn, maps.Clone(ctx))},
					})
				}
			}
		}
	}
	require.Greater(t, len(cases), 100, "the silo stack's resources should need a few hundred authorisations")
	simulate(t, cases)
}

// simulatorCannotType reports the API Gateway paths whose resource types
// the Service Authorization Reference gives two ARN formats (REST and HTTP
// APIs), which iam-simulate cannot resolve ("no.resource.types").
func simulatorCannotType(arn string) bool {
	return strings.HasPrefix(arn, "arn:aws:apigateway:") && (strings.Contains(arn, "/deployments") || strings.Contains(arn, "/stages"))
}

// statementsAllow evaluates the policies' Action and Resource patterns
// for one request with IAM's wildcards (no conditions: the deployer's
// API Gateway statements have none): some Allow matches and no Deny does.
func statementsAllow(t *testing.T, policies []any, action, arn string) bool {
	t.Helper()
	match := func(patterns any, value string) bool {
		for _, p := range patterns.([]any) {
			re := "^" + strings.ReplaceAll(strings.ReplaceAll(regexp.QuoteMeta(p.(string)), `\*`, ".*"), `\?`, ".") + "$"
			if regexp.MustCompile("(?i)" + re).MatchString(value) {
				return true
			}
		}
		return false
	}
	allowed := false
	for _, pol := range policies {
		for _, st := range pol.(map[string]any)["policy"].(map[string]any)["Statement"].([]any) {
			st := st.(map[string]any)
			if !match(st["Action"], action) || !match(st["Resource"], arn) {
				continue
			}
			require.Nil(t, st["Condition"], "statement %v has conditions this check cannot evaluate", st["Sid"])
			if st["Effect"] == "Deny" {
				return false
			}
			allowed = true
		}
	}
	return allowed
}

// The check above notices a type the table lacks.
func TestUncoveredTypesNamesAMissingType(t *testing.T) {
	_, silo := siloStack(t)
	needs := maps.Clone(infra.SiloDeployerNeeds)
	delete(needs, "aws:sns/topic:Topic")
	assert.Equal(t, []string{"aws:sns/topic:Topic"}, uncoveredTypes(silo, needs),
		"a silo resource type without deployer actions would go unnoticed until a real provisioning fails")
}

// The deployer's statements for the release and observability resources
// reach the tenant stacks' resources and none of the platform's. Not
// proven: saved queries (no resource type in IAM, Resource "*"), which
// the deployer could also write on the platform.
func TestDeployerReleaseAndAlarmStatementsStayOnTenantStacks(t *testing.T) {
	platform, silo := siloStack(t)
	policies := deployerPolicy(t, platform)
	var cases []simCase
	add := func(name, want, action, resource string, ctx map[string]any) {
		cases = append(cases, simCase{Name: name, want: want, Simulation: map[string]any{"identityPolicies": policies,
			"request": simRequest(deployerPrincipal, action, resource, ctx)}})
	}
	regional := func(service string) string { return "arn:aws:" + service + ":eu-west-1:" + account + ":" }
	tenantTopic := find(t, silo, "aws:sns/topic:Topic", "observability-alarms").Output("arn").(string)
	platformTopic := find(t, platform, "aws:sns/topic:Topic", "observability-alarms").Output("arn").(string)
	tenantAlarm := find(t, silo, typeAlarm, "observability-fn-orders-errors").Output("arn").(string)
	platformAlarm := find(t, platform, typeAlarm, "observability-fn-orders-errors").Output("arn").(string)
	platformReleaseAlarm := find(t, platform, typeAlarm, "pool-release-orders-errors").Output("arn").(string)
	notify := func(arns ...string) map[string]any { return map[string]any{"cloudwatch:AlarmActions": arns} }

	add("deployer writes a tenant alarm that notifies the tenant's topic", "Allowed", "cloudwatch:PutMetricAlarm", tenantAlarm, notify(tenantTopic))
	add("deployer writes a tenant release alarm (no actions)", "Allowed", "cloudwatch:PutMetricAlarm", tenantAlarm, nil)
	add("deployer deletes a tenant alarm", "Allowed", "cloudwatch:DeleteAlarms", tenantAlarm, nil)
	add("deployer points a tenant alarm at the platform's topic", "ImplicitlyDenied", "cloudwatch:PutMetricAlarm", tenantAlarm, notify(platformTopic))
	add("deployer makes a tenant alarm terminate instances", "ImplicitlyDenied", "cloudwatch:PutMetricAlarm", tenantAlarm, notify("arn:aws:automate:eu-west-1:ec2:terminate"))
	add("deployer rewrites a platform alarm", "ImplicitlyDenied", "cloudwatch:PutMetricAlarm", platformAlarm, notify(tenantTopic))
	add("deployer deletes a platform release alarm", "ImplicitlyDenied", "cloudwatch:DeleteAlarms", platformReleaseAlarm, nil)

	add("deployer creates the tenant's alarm topic", "Allowed", "sns:CreateTopic", tenantTopic, nil)
	add("deployer deletes the tenant's alarm topic", "Allowed", "sns:DeleteTopic", tenantTopic, nil)
	add("deployer deletes the platform's alarm topic", "ImplicitlyDenied", "sns:DeleteTopic", platformTopic, nil)
	add("deployer changes the platform's alarm topic", "ImplicitlyDenied", "sns:SetTopicAttributes", platformTopic, nil)
	add("deployer publishes to the tenant's topic", "ImplicitlyDenied", "sns:Publish", tenantTopic, nil)
	add("deployer subscribes to the platform's topic", "ImplicitlyDenied", "sns:Subscribe", platformTopic, nil)

	tenantApp := find(t, silo, "aws:codedeploy/application:Application", "silo-release-app").Output("arn").(string)
	tenantGroup := find(t, silo, "aws:codedeploy/deploymentGroup:DeploymentGroup", "silo-release-orders").Output("arn").(string)
	platformApp := find(t, platform, "aws:codedeploy/application:Application", "pool-release-app").Output("arn").(string)
	platformGroup := find(t, platform, "aws:codedeploy/deploymentGroup:DeploymentGroup", "pool-release-orders").Output("arn").(string)
	add("deployer creates the tenant's CodeDeploy application", "Allowed", "codedeploy:CreateApplication", tenantApp, nil)
	add("deployer creates a tenant deployment group", "Allowed", "codedeploy:CreateDeploymentGroup", tenantGroup, nil)
	add("deployer deletes a tenant deployment group", "Allowed", "codedeploy:DeleteDeploymentGroup", tenantGroup, nil)
	add("deployer deletes the platform's CodeDeploy application", "ImplicitlyDenied", "codedeploy:DeleteApplication", platformApp, nil)
	add("deployer changes a platform deployment group", "ImplicitlyDenied", "codedeploy:UpdateDeploymentGroup", platformGroup, nil)
	add("deployer starts a deployment of the tenant's functions", "ImplicitlyDenied", "codedeploy:CreateDeployment", tenantGroup, nil)

	tenantCodeDeployRole := find(t, silo, typeRole, "silo-release-role").Output("arn").(string)
	platformCodeDeployRole := find(t, platform, typeRole, "pool-release-role").Output("arn").(string)
	toCodeDeploy := map[string]any{"iam:PassedToService": "codedeploy.amazonaws.com"}
	add("deployer hands the tenant's CodeDeploy role to CodeDeploy", "Allowed", "iam:PassRole", tenantCodeDeployRole, toCodeDeploy)
	add("deployer hands the tenant's CodeDeploy role to EC2", "ImplicitlyDenied", "iam:PassRole", tenantCodeDeployRole, map[string]any{"iam:PassedToService": "ec2.amazonaws.com"})
	add("deployer hands the platform's CodeDeploy role to CodeDeploy", "ImplicitlyDenied", "iam:PassRole", platformCodeDeployRole, toCodeDeploy)
	add("deployer hands the tenant access role to CodeDeploy", "ExplicitlyDenied", "iam:PassRole", "arn:aws:iam::"+account+":role/tenantforge-dev-tenant-access", toCodeDeploy)

	tenantFn := regional("lambda") + "function:tenantforge-dev-tenant-example-silo-orders"
	platformFn := regional("lambda") + "function:tenantforge-dev-pool-orders"
	for _, action := range []string{"lambda:CreateAlias", "lambda:UpdateAlias", "lambda:DeleteAlias", "lambda:PublishVersion"} {
		add("deployer "+action+" on a tenant function", "Allowed", action, tenantFn, nil)
		add("deployer "+action+" on a pooled function", "ImplicitlyDenied", action, platformFn, nil)
	}
	add("deployer moves a pooled function's live alias", "ImplicitlyDenied", "lambda:UpdateAlias", platformFn+":live", nil)

	tenantAccessLogs := regional("logs") + "log-group:/aws/apigateway/tenantforge-dev-tenant-example-tenant-api"
	for _, action := range []string{"logs:PutMetricFilter", "logs:DeleteMetricFilter", "logs:DescribeMetricFilters"} {
		add("deployer "+action+" on the tenant API's access log", "Allowed", action, tenantAccessLogs, nil)
		add("deployer "+action+" on the platform API's access log", "ImplicitlyDenied", action, regional("logs")+"log-group:/aws/apigateway/tenantforge-dev-platform-api", nil)
		add("deployer "+action+" on the authorizer's log", "ImplicitlyDenied", action, regional("logs")+"log-group:/aws/lambda/tenantforge-dev-authorizer", nil)
	}
	add("deployer saves a Logs Insights query", "Allowed", "logs:PutQueryDefinition", "*", nil)
	add("deployer reads the tenant's logs", "ImplicitlyDenied", "logs:StartQuery", tenantAccessLogs, nil)
	simulate(t, cases)
}
