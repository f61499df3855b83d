package tests

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantforge/tenantforge/infra"
	"github.com/tenantforge/tenantforge/shared/controlplane"
)

const (
	typeDeployer     = "tenantforge:controlplane:TenantDeployer"
	typeBuildProject = "aws:codebuild/project:Project"
	typeEventRule    = "aws:cloudwatch/eventRule:EventRule"
	typeEventTarget  = "aws:cloudwatch/eventTarget:EventTarget"
	typePolicy       = "aws:iam/policy:Policy"
)

func TestDeployerListensToTheControlPlanesEvents(t *testing.T) {
	assert.Equal(t, controlplane.Source, infra.LifecycleEventSource, "the rules would never match the events registration publishes")
}

// Each lifecycle event starts the deployer's project with the event's
// tenant and the matching tenantctl action, through a role that can do
// nothing else. Not proven here: that EventBridge renders the template as
// CodeBuild expects (only a real account shows that).
func TestDeployerRulesStartTheProjectWithTheTenant(t *testing.T) {
	rec := run(t, "dev", stackConfig(t, "dev"), nil)
	project := find(t, rec, typeBuildProject, "tenant-deployer-project")
	eventsRole := find(t, rec, typeRole, "tenant-deployer-events-role")
	dlq := find(t, rec, "aws:sqs/queue:Queue", "tenant-deployer-dlq")
	var ruleArns []any
	for _, c := range []struct{ action, detailType string }{
		{"deprovision", "TenantDeprovisioningRequested"},
		{"provision", "TenantProvisioningRequested"},
	} {
		rule := find(t, rec, typeEventRule, "tenant-deployer-"+c.action+"-rule")
		assert.Equal(t, "tenantforge-dev-tenant-events", rule.Input("eventBusName"), "a rule on the default bus never sees lifecycle events")
		var pattern map[string]any
		require.NoError(t, json.Unmarshal([]byte(rule.Input("eventPattern").(string)), &pattern))
		assert.Equal(t, map[string]any{
			"source":      []any{"tenantforge.controlplane"},
			"detail-type": []any{c.detailType},
			"detail":      map[string]any{"tenantId": []any{map[string]any{"exists": true}}},
		}, pattern)

		target := find(t, rec, typeEventTarget, "tenant-deployer-"+c.action+"-target")
		assert.Equal(t, project.Output("arn"), target.Input("arn"))
		assert.Equal(t, eventsRole.Output("arn"), target.Input("roleArn"))
		assert.Equal(t, rule.Output("name"), target.Input("rule"))
		assert.Equal(t, "tenantforge-dev-tenant-events", target.Input("eventBusName"))
		tr := target.Input("inputTransformer").(map[string]any)
		assert.Equal(t, map[string]any{"tenantId": "$.detail.tenantId"}, tr["inputPaths"])
		// What EventBridge sends for tenant t0a1: the template with the
		// placeholder replaced by the JSON string.
		rendered := strings.ReplaceAll(tr["inputTemplate"].(string), "<tenantId>", `"t0a1"`)
		var start map[string]any
		require.NoError(t, json.Unmarshal([]byte(rendered), &start), "StartBuild's input must be JSON once the tenant id is in")
		assert.Equal(t, map[string]any{"environmentVariablesOverride": []any{
			map[string]any{"name": "TENANT_ID", "type": "PLAINTEXT", "value": "t0a1"},
			map[string]any{"name": "TENANTCTL_ACTION", "type": "PLAINTEXT", "value": c.action},
		}}, start, "the build would not know which tenant or which action")
		assert.Equal(t, map[string]any{"maximumEventAgeInSeconds": 3600.0, "maximumRetryAttempts": 8.0}, target.Input("retryPolicy"))
		assert.Equal(t, map[string]any{"arn": dlq.Output("arn")}, target.Input("deadLetterConfig"), "an event that never started a build must be kept for replay")
		ruleArns = append(ruleArns, rule.Output("arn"))
	}
	assert.Equal(t, 1209600.0, dlq.Input("messageRetentionSeconds"))
	dlqPolicy, err := find(t, rec, "aws:sqs/queuePolicy:QueuePolicy", "tenant-deployer-dlq-policy").PolicyInput("policy")
	require.NoError(t, err)
	assert.Equal(t, []any{map[string]any{"Sid": "DeployerRulesOnly", "Effect": "Allow", "Principal": map[string]any{"Service": "events.amazonaws.com"},
		"Action": []any{"sqs:SendMessage"}, "Resource": []any{dlq.Output("arn")},
		"Condition": map[string]any{"ArnEquals": map[string]any{"aws:SourceArn": ruleArns}}}}, dlqPolicy["Statement"],
		"only the deployer's rules may park events in its queue")

	trust, err := eventsRole.PolicyInput("assumeRolePolicy")
	require.NoError(t, err)
	assert.Equal(t, []any{map[string]any{"Effect": "Allow", "Principal": map[string]any{"Service": "events.amazonaws.com"},
		"Action": []any{"sts:AssumeRole"}, "Condition": map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": "123456789012"}}}}, trust["Statement"])
	require.Len(t, policiesOf(rec, eventsRole), 1)
	assert.Equal(t, []any{map[string]any{"Sid": "StartTenantDeployer", "Effect": "Allow", "Action": []any{"codebuild:StartBuild"},
		"Resource": []any{project.Output("arn")}}}, statements(t, find(t, rec, typeRolePol, "tenant-deployer-events-policy")),
		"EventBridge's role may start the deployer and nothing else")
}

func TestDeployerProjectRunsTenantctlFromTheRepository(t *testing.T) {
	rec := run(t, "dev", stackConfig(t, "dev"), nil)
	project := find(t, rec, typeBuildProject, "tenant-deployer-project")
	assert.Equal(t, "tenantforge-dev-deployer", project.Input("name"))
	assert.Equal(t, find(t, rec, typeRole, "tenant-deployer-role").Output("arn"), project.Input("serviceRole"))
	assert.Equal(t, 60.0, project.Input("buildTimeout"), "a hung pulumi up must not run for the default 8 hours")
	assert.Equal(t, map[string]any{"type": "GITHUB", "location": "https://github.com/example-org/tenantforge.git",
		"buildspec": "buildspecs/tenant-deployer.yml", "gitCloneDepth": 1.0}, project.Input("source"))
	assert.Equal(t, "main", project.Input("sourceVersion"))
	assert.Equal(t, "/aws/codebuild/tenantforge-dev-deployer",
		project.Input("logsConfig").(map[string]any)["cloudwatchLogs"].(map[string]any)["groupName"])
	env := project.Input("environment").(map[string]any)
	assert.Equal(t, "ARM_CONTAINER", env["type"])
	assert.Equal(t, "BUILD_GENERAL1_SMALL", env["computeType"])
	assert.Equal(t, []any{
		map[string]any{"name": "REGISTRY_TABLE", "type": "PLAINTEXT", "value": "tenantforge-dev-registry"},
		map[string]any{"name": "EVENT_BUS", "type": "PLAINTEXT", "value": "tenantforge-dev-tenant-events"},
		map[string]any{"name": "PLATFORM_STACK", "type": "PLAINTEXT", "value": "organization/tenantforge/dev"},
		map[string]any{"name": "ENVIRONMENT", "type": "PLAINTEXT", "value": "dev"},
		map[string]any{"name": "PULUMI_BACKEND_URL", "type": "PLAINTEXT", "value": "https://api.pulumi.com"},
		map[string]any{"name": "TENANT_ID", "type": "PLAINTEXT", "value": ""},
		map[string]any{"name": "TENANTCTL_ACTION", "type": "PLAINTEXT", "value": ""},
		map[string]any{"name": "PULUMI_ACCESS_TOKEN", "type": "SECRETS_MANAGER",
			"value": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:tenantforge/pulumi-access-token-AbCdEf"},
	}, env["environmentVariables"], "the token must come from Secrets Manager, never as plaintext")
	assert.Equal(t, "tenantforge-dev-deployer", rec.Outputs[infra.OutDeployerProject])
}

// The deployer's policy, statement by statement.
func TestDeployerRoleIsScopedToTenantStacks(t *testing.T) {
	rec := run(t, "dev", stackConfig(t, "dev"), nil)
	role := find(t, rec, typeRole, "tenant-deployer-role")
	require.Len(t, policiesOf(rec, role), 1)
	trust, err := role.PolicyInput("assumeRolePolicy")
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"Service": "codebuild.amazonaws.com"}, trust["Statement"].([]any)[0].(map[string]any)["Principal"])

	restAPI := find(t, rec, typeRestAPI, "platform-api-rest").ID
	boundary := "arn:aws:iam::123456789012:policy/tenantforge-dev-silo-boundary"
	assert.Equal(t, boundary, find(t, rec, typePolicy, "tenant-deployer-silo-boundary").Output("arn"))
	var plans []string
	for _, p := range rec.OfType(typeUsagePlan) {
		plans = append(plans, p.ID)
	}
	slices.Sort(plans)
	gw := "arn:aws:apigateway:eu-west-1::"
	lambda := "arn:aws:lambda:eu-west-1:123456789012:"
	logs := "arn:aws:logs:eu-west-1:123456789012:"
	anyStrings := func(s ...string) []any {
		out := make([]any, len(s))
		for i, v := range s {
			out[i] = v
		}
		return out
	}
	platformDeny := anyStrings(gw+"/restapis/"+restAPI, gw+"/restapis/"+restAPI+"/*")
	for _, p := range plans {
		platformDeny = append(platformDeny, gw+"/usageplans/"+p, gw+"/usageplans/"+p+"/*")
	}
	want := []any{
		map[string]any{"Sid": "OwnBuildLogs", "Effect": "Allow", "Action": anyStrings("logs:CreateLogStream", "logs:PutLogEvents"),
			"Resource": anyStrings(logs + "log-group:/aws/codebuild/tenantforge-dev-deployer:*")},
		map[string]any{"Sid": "TenantRecords", "Effect": "Allow", "Action": anyStrings("dynamodb:GetItem", "dynamodb:PutItem"),
			"Resource":  anyStrings("arn:aws:dynamodb:eu-west-1:123456789012:table/tenantforge-dev-registry"),
			"Condition": map[string]any{"ForAllValues:StringLike": map[string]any{"dynamodb:LeadingKeys": anyStrings("TENANT#*")}}},
		map[string]any{"Sid": "LifecycleEvents", "Effect": "Allow", "Action": anyStrings("events:PutEvents"),
			"Resource": anyStrings("arn:aws:events:eu-west-1:123456789012:event-bus/tenantforge-dev-tenant-events")},
		map[string]any{"Sid": "TenantFunctions", "Effect": "Allow", "Action": anyStrings(
			"lambda:CreateFunction", "lambda:DeleteFunction", "lambda:GetFunction", "lambda:GetFunctionConfiguration",
			"lambda:GetFunctionCodeSigningConfig", "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration",
			"lambda:PutFunctionConcurrency", "lambda:DeleteFunctionConcurrency", "lambda:ListVersionsByFunction",
			"lambda:AddPermission", "lambda:RemovePermission", "lambda:GetPolicy",
			"lambda:TagResource", "lambda:UntagResource", "lambda:ListTags"),
			"Resource": anyStrings(lambda + "function:tenantforge-dev-tenant-*")},
		map[string]any{"Sid": "SharedLayer", "Effect": "Allow", "Action": anyStrings("lambda:GetLayerVersion"),
			"Resource": anyStrings(find(t, rec, "aws:lambda/layerVersion:LayerVersion", "layer-version").Output("arn").(string))},
		map[string]any{"Sid": "AuthorizerGrant", "Effect": "Allow", "Action": anyStrings("lambda:AddPermission"),
			"Resource":  anyStrings(lambda + "function:tenantforge-dev-authorizer"),
			"Condition": map[string]any{"StringEquals": map[string]any{"lambda:Principal": "apigateway.amazonaws.com"}}},
		map[string]any{"Sid": "AuthorizerGrantRevoke", "Effect": "Allow", "Action": anyStrings("lambda:RemovePermission", "lambda:GetPolicy"),
			"Resource": anyStrings(lambda + "function:tenantforge-dev-authorizer")},
		map[string]any{"Sid": "TenantRolesBounded", "Effect": "Allow", "Action": anyStrings("iam:CreateRole", "iam:PutRolePolicy", "iam:PutRolePermissionsBoundary"),
			"Resource":  anyStrings("arn:aws:iam::123456789012:role/tenantforge-dev-tenant-*"),
			"Condition": map[string]any{"StringEquals": map[string]any{"iam:PermissionsBoundary": boundary}}},
		map[string]any{"Sid": "TenantRoles", "Effect": "Allow", "Action": anyStrings(
			"iam:DeleteRole", "iam:GetRole", "iam:UpdateRole", "iam:UpdateAssumeRolePolicy",
			"iam:TagRole", "iam:UntagRole", "iam:ListRoleTags",
			"iam:GetRolePolicy", "iam:DeleteRolePolicy", "iam:ListRolePolicies",
			"iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole"),
			"Resource": anyStrings("arn:aws:iam::123456789012:role/tenantforge-dev-tenant-*")},
		map[string]any{"Sid": "PassTenantRolesToLambda", "Effect": "Allow", "Action": anyStrings("iam:PassRole"),
			"Resource":  anyStrings("arn:aws:iam::123456789012:role/tenantforge-dev-tenant-*"),
			"Condition": map[string]any{"StringEquals": map[string]any{"iam:PassedToService": "lambda.amazonaws.com"}}},
		map[string]any{"Sid": "PassTenantRolesToCodeDeploy", "Effect": "Allow", "Action": anyStrings("iam:PassRole"),
			"Resource":  anyStrings("arn:aws:iam::123456789012:role/tenantforge-dev-tenant-*"),
			"Condition": map[string]any{"StringEquals": map[string]any{"iam:PassedToService": "codedeploy.amazonaws.com"}}},
		map[string]any{"Sid": "KeepTheBoundary", "Effect": "Deny", "Action": anyStrings("iam:DeleteRolePermissionsBoundary", "iam:AttachRolePolicy"),
			"Resource": anyStrings("arn:aws:iam::123456789012:role/tenantforge-dev-tenant-*")},
		map[string]any{"Sid": "TenantLogGroups", "Effect": "Allow", "Action": anyStrings(
			"logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy",
			"logs:TagResource", "logs:UntagResource", "logs:ListTagsForResource", "logs:TagLogGroup", "logs:ListTagsLogGroup"),
			"Resource": anyStrings(logs+"log-group:/aws/lambda/tenantforge-dev-tenant-*", logs+"log-group:/aws/apigateway/tenantforge-dev-tenant-*")},
		map[string]any{"Sid": "ListLogGroups", "Effect": "Allow", "Action": anyStrings("logs:DescribeLogGroups"), "Resource": anyStrings(logs + "log-group:*")},
		map[string]any{"Sid": "TenantTables", "Effect": "Allow", "Action": anyStrings(
			"dynamodb:CreateTable", "dynamodb:DeleteTable", "dynamodb:DescribeTable", "dynamodb:UpdateTable",
			"dynamodb:DescribeContinuousBackups", "dynamodb:UpdateContinuousBackups",
			"dynamodb:DescribeTimeToLive", "dynamodb:UpdateTimeToLive",
			"dynamodb:TagResource", "dynamodb:UntagResource", "dynamodb:ListTagsOfResource"),
			"Resource": anyStrings("arn:aws:dynamodb:eu-west-1:123456789012:table/tenantforge-dev-tenant-*")},
		map[string]any{"Sid": "TenantApis", "Effect": "Allow", "Action": anyStrings("apigateway:GET", "apigateway:POST", "apigateway:PUT", "apigateway:PATCH", "apigateway:DELETE"),
			"Resource": anyStrings(gw+"/restapis", gw+"/restapis/*", gw+"/usageplans", gw+"/usageplans/*", gw+"/tags/*")},
		map[string]any{"Sid": "TenantFunctionAliases", "Effect": "Allow", "Action": anyStrings(
			"lambda:PublishVersion", "lambda:CreateAlias", "lambda:GetAlias", "lambda:UpdateAlias", "lambda:DeleteAlias"),
			"Resource": anyStrings(lambda + "function:tenantforge-dev-tenant-*")},
		map[string]any{"Sid": "TenantReleases", "Effect": "Allow", "Action": anyStrings(
			"codedeploy:CreateApplication", "codedeploy:GetApplication", "codedeploy:UpdateApplication", "codedeploy:DeleteApplication",
			"codedeploy:CreateDeploymentGroup", "codedeploy:GetDeploymentGroup", "codedeploy:UpdateDeploymentGroup", "codedeploy:DeleteDeploymentGroup",
			"codedeploy:TagResource", "codedeploy:UntagResource", "codedeploy:ListTagsForResource"),
			"Resource": anyStrings("arn:aws:codedeploy:eu-west-1:123456789012:application:tenantforge-dev-tenant-*",
				"arn:aws:codedeploy:eu-west-1:123456789012:deploymentgroup:tenantforge-dev-tenant-*")},
		map[string]any{"Sid": "TenantAlarms", "Effect": "Allow", "Action": anyStrings(
			"cloudwatch:PutMetricAlarm", "cloudwatch:DescribeAlarms", "cloudwatch:DeleteAlarms",
			"cloudwatch:TagResource", "cloudwatch:UntagResource", "cloudwatch:ListTagsForResource"),
			"Resource": anyStrings("arn:aws:cloudwatch:eu-west-1:123456789012:alarm:tenantforge-dev-tenant-*"),
			"Condition": map[string]any{"ForAllValues:StringLike": map[string]any{
				"cloudwatch:AlarmActions": anyStrings("arn:aws:sns:eu-west-1:123456789012:tenantforge-dev-tenant-*")}}},
		map[string]any{"Sid": "TenantAlarmTopic", "Effect": "Allow", "Action": anyStrings(
			"sns:CreateTopic", "sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:DeleteTopic",
			"sns:TagResource", "sns:UntagResource", "sns:ListTagsForResource"),
			"Resource": anyStrings("arn:aws:sns:eu-west-1:123456789012:tenantforge-dev-tenant-*")},
		map[string]any{"Sid": "TenantMetricFilters", "Effect": "Allow", "Action": anyStrings(
			"logs:PutMetricFilter", "logs:DescribeMetricFilters", "logs:DeleteMetricFilter"),
			"Resource": anyStrings(logs+"log-group:/aws/lambda/tenantforge-dev-tenant-*", logs+"log-group:/aws/apigateway/tenantforge-dev-tenant-*")},
		map[string]any{"Sid": "SavedQueries", "Effect": "Allow", "Action": anyStrings(
			"logs:PutQueryDefinition", "logs:DescribeQueryDefinitions", "logs:DeleteQueryDefinition"),
			"Resource": anyStrings("*")},
		map[string]any{"Sid": "BackendSecrets", "Effect": "Allow", "Action": anyStrings("secretsmanager:GetSecretValue"),
			"Resource": anyStrings("arn:aws:secretsmanager:eu-west-1:123456789012:secret:tenantforge/pulumi-access-token-AbCdEf")},
		map[string]any{"Sid": "NotPlatformRoles", "Effect": "Deny", "Action": anyStrings("iam:*"),
			"Resource": anyStrings("arn:aws:iam::123456789012:role/tenantforge-dev-tenant-access")},
		map[string]any{"Sid": "NotPlatformApi", "Effect": "Deny", "Action": anyStrings("apigateway:POST", "apigateway:PUT", "apigateway:PATCH", "apigateway:DELETE"),
			"Resource": platformDeny},
	}
	got := statements(t, find(t, rec, typeRolePol, "tenant-deployer-policy"))
	assert.Equal(t, want, got)
	for _, s := range got {
		st := s.(map[string]any)
		if st["Effect"] == "Allow" {
			assert.NotContains(t, st["Action"], "*", "%s allows every action", st["Sid"])
			if slices.Contains(st["Resource"].([]any), any("*")) {
				for _, a := range st["Action"].([]any) {
					assert.False(t, strings.HasSuffix(a.(string), ":*"), "%s allows a whole service (%s) on every resource", st["Sid"], a)
				}
			}
		}
	}
}

// The deployer's name scope must not reach the platform: every platform
// resource with a name under the tenant prefix is denied explicitly, and
// the deployer's own names stay outside it (or it could widen its own
// policy).
func TestNoPlatformNameFallsUnderTheTenantPrefix(t *testing.T) {
	rec := run(t, "dev", stackConfig(t, "dev"), nil)
	prefix := infra.TenantResourcePrefix("tenantforge", "dev")
	require.Equal(t, "tenantforge-dev-tenant-", prefix)
	denied := map[string]bool{"tenantforge-dev-tenant-access": true}
	for _, typ := range []string{typeRole, typeLambda, typeTable, typeLogGroup, typeBuildProject,
		typeAlarm, "aws:sns/topic:Topic", "aws:codedeploy/application:Application"} {
		for _, r := range rec.OfType(typ) {
			name, _ := r.Input("name").(string)
			name = strings.TrimPrefix(strings.TrimPrefix(name, "/aws/lambda/"), "/aws/apigateway/")
			if strings.HasPrefix(name, prefix) {
				assert.True(t, denied[name], "platform %s %q is within the deployer's reach: a tenant deployment could change it", typ, name)
			}
		}
	}
}

// IAM simulation of the deployer's policy exactly as registered: it builds
// tenant stacks and cannot touch the platform's tables or roles. Not
// proven: that the policy suffices for a real `pulumi up` (only an AWS
// account shows that; missing actions fail the build with AccessDenied,
// which marks the tenant provisioning_failed with the reason).
func TestDeployerRoleCannotTouchThePlatformsTables(t *testing.T) {
	rec := run(t, "dev", stackConfig(t, "dev"), nil)
	doc, err := find(t, rec, typeRolePol, "tenant-deployer-policy").PolicyInput("policy")
	require.NoError(t, err)
	policies := []any{map[string]any{"name": "deployer", "policy": doc}}
	principal := "arn:aws:sts::" + account + ":assumed-role/tenantforge-dev-deployer/AWSCodeBuild-1"
	registry := rec.Outputs[infra.OutRegistryTableArn].(string)
	pooled := rec.Outputs[infra.OutPooledTableArn].(string)
	tenantTable := "arn:aws:dynamodb:eu-west-1:" + account + ":table/tenantforge-dev-tenant-t0a1-data"
	var cases []simCase
	add := func(name, want, action, resource string, ctx map[string]any) {
		cases = append(cases, simCase{Name: name, want: want, Simulation: map[string]any{"identityPolicies": policies,
			"request": simRequest(principal, action, resource, ctx)}})
	}
	for _, table := range []string{registry, pooled} {
		for _, action := range []string{"dynamodb:DeleteTable", "dynamodb:UpdateTable", "dynamodb:CreateTable", "dynamodb:UpdateContinuousBackups", "dynamodb:Scan", "dynamodb:Query", "dynamodb:DeleteItem", "dynamodb:UpdateItem", "dynamodb:BatchWriteItem"} {
			add("deployer "+action+" on "+table, "ImplicitlyDenied", action, table, map[string]any{"dynamodb:LeadingKeys": []string{"TENANT#t0a1"}})
		}
	}
	for _, action := range []string{"dynamodb:GetItem", "dynamodb:PutItem"} {
		add("deployer "+action+" on pooled items", "ImplicitlyDenied", action, pooled, map[string]any{"dynamodb:LeadingKeys": []string{"t0a1"}})
		add("deployer "+action+" on a tenant record", "Allowed", action, registry, map[string]any{"dynamodb:LeadingKeys": []string{"TENANT#t0a1"}})
		add("deployer "+action+" on the usage plan item", "ImplicitlyDenied", action, registry, map[string]any{"dynamodb:LeadingKeys": []string{"CONFIG#usage-plans"}})
		add("deployer "+action+" on a name reservation", "ImplicitlyDenied", action, registry, map[string]any{"dynamodb:LeadingKeys": []string{"NAME#acme"}})
	}
	add("deployer creates a tenant table", "Allowed", "dynamodb:CreateTable", tenantTable, nil)
	add("deployer deletes a tenant table", "Allowed", "dynamodb:DeleteTable", tenantTable, nil)
	add("deployer reads a tenant table's items", "ImplicitlyDenied", "dynamodb:GetItem", tenantTable, map[string]any{"dynamodb:LeadingKeys": []string{"p1"}})
	siloRole := "arn:aws:iam::" + account + ":role/tenantforge-dev-tenant-t0a1-silo-products-role"
	boundary := map[string]any{"iam:PermissionsBoundary": rec.Outputs[infra.OutSiloBoundaryArn]}
	otherBoundary := map[string]any{"iam:PermissionsBoundary": "arn:aws:iam::aws:policy/AdministratorAccess"}
	add("deployer creates a silo role with the boundary", "Allowed", "iam:CreateRole", siloRole, boundary)
	add("deployer creates a silo role without a boundary", "ImplicitlyDenied", "iam:CreateRole", siloRole, nil)
	add("deployer creates a silo role with another boundary", "ImplicitlyDenied", "iam:CreateRole", siloRole, otherBoundary)
	add("deployer writes a bounded silo role's policy", "Allowed", "iam:PutRolePolicy", siloRole, boundary)
	add("deployer writes an unbounded role's policy", "ImplicitlyDenied", "iam:PutRolePolicy", siloRole, nil)
	add("deployer removes a silo role's boundary", "ExplicitlyDenied", "iam:DeleteRolePermissionsBoundary", siloRole, boundary)
	add("deployer attaches a managed policy", "ExplicitlyDenied", "iam:AttachRolePolicy", siloRole, boundary)
	add("deployer writes the tenant access role's policy", "ExplicitlyDenied", "iam:PutRolePolicy", "arn:aws:iam::"+account+":role/tenantforge-dev-tenant-access", boundary)
	add("deployer writes its own policy", "ImplicitlyDenied", "iam:PutRolePolicy", "arn:aws:iam::"+account+":role/tenantforge-dev-deployer", boundary)
	add("deployer updates a platform function", "ImplicitlyDenied", "lambda:UpdateFunctionCode", "arn:aws:lambda:eu-west-1:"+account+":function:tenantforge-dev-registration", nil)
	add("deployer deletes the platform API", "ExplicitlyDenied", "apigateway:DELETE", "arn:aws:apigateway:eu-west-1::/restapis/"+find(t, rec, typeRestAPI, "platform-api-rest").ID, nil)
	simulate(t, cases)
}

// On a self-managed S3 backend the deployer gets the passphrase and, of
// the state bucket, the tenant stacks' state and the platform stack's
// (read-only) only.
func TestDeployerOnAnS3Backend(t *testing.T) {
	passphrase := "arn:aws:secretsmanager:eu-west-1:123456789012:secret:tenantforge/dev/pulumi-passphrase-AbCdEf"
	rec := run(t, "dev", stackConfig(t, "dev", "pulumiBackend", `{"url":"s3://tenantforge-dev-pulumi-state","passphraseSecretArn":"`+passphrase+`"}`), nil)
	env := find(t, rec, typeBuildProject, "tenant-deployer-project").Input("environment").(map[string]any)["environmentVariables"].([]any)
	assert.Contains(t, env, map[string]any{"name": "PULUMI_CONFIG_PASSPHRASE", "type": "SECRETS_MANAGER", "value": passphrase})
	assert.Contains(t, env, map[string]any{"name": "PULUMI_BACKEND_URL", "type": "PLAINTEXT", "value": "s3://tenantforge-dev-pulumi-state"})
	state := "arn:aws:s3:::tenantforge-dev-pulumi-state"
	got := statements(t, find(t, rec, typeRolePol, "tenant-deployer-policy"))
	bySid := map[string]any{}
	for _, s := range got {
		bySid[s.(map[string]any)["Sid"].(string)] = s
	}
	assert.Equal(t, map[string]any{"Sid": "BackendSecrets", "Effect": "Allow", "Action": []any{"secretsmanager:GetSecretValue"}, "Resource": []any{passphrase}}, bySid["BackendSecrets"])
	assert.Equal(t, map[string]any{"Sid": "StateList", "Effect": "Allow", "Action": []any{"s3:ListBucket", "s3:GetBucketLocation"}, "Resource": []any{state}}, bySid["StateList"])
	assert.Equal(t, map[string]any{"Sid": "StateReadPlatform", "Effect": "Allow", "Action": []any{"s3:GetObject"},
		"Resource": []any{state + "/.pulumi/meta.yaml", state + "/.pulumi/stacks/tenantforge/dev.json*"}}, bySid["StateReadPlatform"],
		"the platform's state is read (for the StackReference), never written")
	assert.Equal(t, map[string]any{"Sid": "StateTenantStacks", "Effect": "Allow", "Action": []any{"s3:GetObject", "s3:PutObject", "s3:DeleteObject"},
		"Resource": []any{state + "/.pulumi/stacks/tenantforge/dev-tenant-*", state + "/.pulumi/history/tenantforge/dev-tenant-*",
			state + "/.pulumi/backups/tenantforge/dev-tenant-*", state + "/.pulumi/locks/tenantforge/dev-tenant-*"}}, bySid["StateTenantStacks"])
	assert.Len(t, got, 28, "the Pulumi Cloud policy (25 statements) plus the three state statements")
}

func TestNoDeployerWithoutARepository(t *testing.T) {
	rec := run(t, "dev", stackConfig(t, "dev", "cicd", `{"repository":"","branch":"main"}`), nil)
	assert.Empty(t, rec.OfType(typeDeployer), "without a repository there is nothing for the deployer to build")
	assert.Empty(t, rec.OfType(typeBuildProject))
	tenant := run(t, "dev-tenant-example", stackConfig(t, "dev-tenant-example"), platformOutputs(t))
	assert.Empty(t, tenant.OfType(typeDeployer), "tenant stacks never deploy tenants")
}

// The buildspec installs the pinned tools, builds, runs the action named
// by the event, and records a failure in the registry. Not proven: that it
// runs in CodeBuild (no AWS here).
func TestDeployerBuildspec(t *testing.T) {
	spec, raw := readBuildspec(t, infra.DeployerBuildspec, "the tenant deployer's project")
	assert.Equal(t, "0.2", spec.Version)
	goVersion, sdkVersion := moduleToolVersions(t)
	assert.Equal(t, sdkVersion, spec.Env.Variables["PULUMI_VERSION"], "the deployer must install the Pulumi CLI of go.mod's SDK")
	assert.Equal(t, goVersion, spec.Env.Variables["GO_VERSION"], "the deployer must install go.mod's Go")
	joined := func(phase string) string { return strings.Join(spec.Phases[phase].Commands, "\n") }
	assert.Contains(t, joined("install"), "$PULUMI_VERSION")
	assert.Contains(t, joined("install"), "${GO_VERSION}")
	assert.Contains(t, joined("pre_build"), "go build -o build/tenantctl ./cmd/tenantctl")
	assert.Contains(t, joined("build"), `build/tenantctl "$TENANTCTL_ACTION" "$TENANT_ID"`)
	assert.Contains(t, joined("build"), `pulumi login ${PULUMI_BACKEND_URL:+"$PULUMI_BACKEND_URL"}`, "a failed login must reach post_build, which records it")
	assert.Contains(t, joined("post_build"), "CODEBUILD_BUILD_SUCCEEDING")
	assert.Contains(t, joined("post_build"), "build/tenantctl fail", "a failed build must mark the tenant provisioning_failed")
	assert.NotContains(t, raw, "PULUMI_ACCESS_TOKEN=", "secrets come from the project's Secrets Manager variables")
}

// Every role of a silo tenant stack carries the platform's boundary
// (CodeDeploy's too), and the boundary allows the silo functions' own logs,
// traces and tenant tables and CodeDeploy's alias and alarm reads on the
// tenant stacks only: even a policy the deployer writes cannot reach
// further.
func TestSiloRolesCarryThePlatformsBoundary(t *testing.T) {
	refs := platformOutputs(t)
	boundaryArn := refs["organization/tenantforge/dev"][infra.OutSiloBoundaryArn]
	require.Equal(t, "arn:aws:iam::123456789012:policy/tenantforge-dev-silo-boundary", boundaryArn)
	rec := run(t, "dev-tenant-example", stackConfig(t, "dev-tenant-example"), refs)
	roles := rec.OfType(typeRole)
	require.Len(t, roles, 3, "the two functions' roles and CodeDeploy's")
	for _, r := range roles {
		assert.Equal(t, boundaryArn, r.Input("permissionsBoundary"), "silo role %s without the boundary: the deployer could not create it", r.Name)
	}
	platform := run(t, "dev", stackConfig(t, "dev"), nil)
	for _, r := range platform.OfType(typeRole) {
		assert.Nil(t, r.Input("permissionsBoundary"), "platform role %s must not be capped by the silo boundary", r.Name)
	}
	doc, err := find(t, platform, typePolicy, "tenant-deployer-silo-boundary").PolicyInput("policy")
	require.NoError(t, err)
	table := "arn:aws:dynamodb:eu-west-1:123456789012:table/tenantforge-dev-tenant-*"
	assert.Equal(t, []any{
		map[string]any{"Sid": "OwnLogs", "Effect": "Allow", "Action": []any{"logs:CreateLogStream", "logs:PutLogEvents"},
			"Resource": []any{"arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/tenantforge-dev-tenant-*"}},
		map[string]any{"Sid": "Tracing", "Effect": "Allow", "Action": []any{"xray:PutTraceSegments", "xray:PutTelemetryRecords"}, "Resource": []any{"*"}},
		map[string]any{"Sid": "TenantTables", "Effect": "Allow", "Action": []any{
			"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
			"dynamodb:Query", "dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem"},
			"Resource": []any{table, table + "/index/*"}},
		map[string]any{"Sid": "ReleaseTenantAliases", "Effect": "Allow",
			"Action":   []any{"lambda:GetAlias", "lambda:UpdateAlias", "lambda:GetProvisionedConcurrencyConfig"},
			"Resource": []any{"arn:aws:lambda:eu-west-1:123456789012:function:tenantforge-dev-tenant-*"}},
		map[string]any{"Sid": "ReleaseTenantAlarms", "Effect": "Allow", "Action": []any{"cloudwatch:DescribeAlarms"},
			"Resource": []any{"arn:aws:cloudwatch:eu-west-1:123456789012:alarm:tenantforge-dev-tenant-*"}},
	}, doc["Statement"])
	// What the boundary grants CodeDeploy is a part of the managed
	// AWSCodeDeployRoleForLambda, never more.
	managed := []string{"cloudwatch:DescribeAlarms", "lambda:UpdateAlias", "lambda:GetAlias", "lambda:GetProvisionedConcurrencyConfig",
		"sns:Publish", "s3:GetObject", "s3:GetObjectVersion", "lambda:InvokeFunction"}
	for _, a := range append(slices.Clone(infra.CodeDeployAliasActions), infra.CodeDeployAlarmActions...) {
		assert.Contains(t, managed, a, "the boundary gives CodeDeploy's role %s, which AWSCodeDeployRoleForLambda does not have", a)
	}

	// Each silo role's own policies, with the boundary, in the IAM
	// simulator: every action on every resource they name stays allowed
	// (or the function or the release would fail at run time).
	boundary := []any{map[string]any{"name": "silo-boundary", "policy": doc}}
	var cases []simCase
	for _, role := range roles {
		var identity []any
		var grants [][2]string
		for _, p := range policiesOf(rec, role) {
			pol, err := p.PolicyInput("policy")
			require.NoError(t, err)
			identity = append(identity, map[string]any{"name": p.Name, "policy": pol})
			for _, st := range pol["Statement"].([]any) {
				for _, a := range st.(map[string]any)["Action"].([]any) {
					for _, r := range st.(map[string]any)["Resource"].([]any) {
						grants = append(grants, [2]string{a.(string), r.(string)})
					}
				}
			}
		}
		require.NotEmpty(t, grants, "silo role %s has no policy", role.Name)
		for _, g := range grants {
			if g[0] == "lambda:GetProvisionedConcurrencyConfig" {
				// Its alias and version resource types both match an alias
				// ARN, which iam-simulate refuses ("multiple.resource.types"):
				// matched against the patterns instead.
				assert.True(t, statementsAllow(t, identity, g[0], g[1]) && statementsAllow(t, boundary, g[0], g[1]),
					"silo role %s: %s on %s is outside the boundary, so it fails at run time", role.Name, g[0], g[1])
				continue
			}
			cases = append(cases, simCase{Name: fmt.Sprintf("silo role %s: %s on %s is outside the boundary, so it fails at run time", role.Name, g[0], g[1]),
				want: "Allowed", Simulation: map[string]any{"identityPolicies": identity, "permissionBoundaryPolicies": boundary,
					"request": simRequest(role.Output("arn").(string), g[0], g[1], nil)}})
		}
	}
	// A policy granting everything CodeDeploy's managed policy has, on
	// every resource, is cut down to the tenant stacks by the boundary.
	wide := []any{map[string]any{"name": "wide", "policy": map[string]any{"Version": "2012-10-17", "Statement": []any{
		map[string]any{"Effect": "Allow", "Action": anyOf(managed), "Resource": "*"}}}}}
	codedeploy := find(t, rec, typeRole, "silo-release-role").Output("arn").(string)
	capped := func(name, want, action, resource string) {
		cases = append(cases, simCase{Name: name, want: want, Simulation: map[string]any{"identityPolicies": wide, "permissionBoundaryPolicies": boundary,
			"request": simRequest(codedeploy, action, resource, nil)}})
	}
	lambdaArn := "arn:aws:lambda:eu-west-1:123456789012:function:"
	capped("silo CodeDeploy role moves its tenant's alias", "Allowed", "lambda:UpdateAlias", lambdaArn+"tenantforge-dev-tenant-example-silo-orders:live")
	capped("silo CodeDeploy role moves a pooled function's alias", "ImplicitlyDenied", "lambda:UpdateAlias", lambdaArn+"tenantforge-dev-pool-orders:live")
	capped("silo CodeDeploy role reads a platform alarm", "ImplicitlyDenied", "cloudwatch:DescribeAlarms",
		find(t, platform, typeAlarm, "pool-release-orders-errors").Output("arn").(string))
	capped("silo CodeDeploy role invokes a function", "ImplicitlyDenied", "lambda:InvokeFunction", lambdaArn+"tenantforge-dev-tenant-example-silo-orders")
	capped("silo CodeDeploy role publishes to a topic", "ImplicitlyDenied", "sns:Publish", "arn:aws:sns:eu-west-1:123456789012:tenantforge-dev-tenant-example-alarms")
	capped("silo CodeDeploy role reads an S3 object", "ImplicitlyDenied", "s3:GetObject", "arn:aws:s3:::tenantforge-dev-artifacts/CodeDeploy/x")
	simulate(t, cases)
}

func anyOf(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}
