package tests

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/rhysd/actionlint"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/tenantforge/tenantforge/infra"
	"github.com/tenantforge/tenantforge/internal/mockcloud"
)

const (
	typePipeline   = "aws:codepipeline/pipeline:Pipeline"
	typeProject    = "aws:codebuild/project:Project"
	typeReportGrp  = "aws:codebuild/reportGroup:ReportGroup"
	typeConnection = "aws:codestarconnections/connection:Connection"
	typeBucket     = "aws:s3/bucketV2:BucketV2"
	typeDeployGrp  = "aws:codedeploy/deploymentGroup:DeploymentGroup"
	typeAlarm      = "aws:cloudwatch/metricAlarm:MetricAlarm"
	devTokenArn    = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:tenantforge/pulumi-access-token-AbCdEf"
)

// statements returns a registered policy's statements.
func stmts(t *testing.T, r *mockcloud.Resource, key string) []map[string]any {
	t.Helper()
	doc, err := r.PolicyInput(key)
	require.NoError(t, err)
	var out []map[string]any
	for _, s := range doc["Statement"].([]any) {
		out = append(out, s.(map[string]any))
	}
	return out
}

func sids(st []map[string]any) []string {
	var out []string
	for _, s := range st {
		out = append(out, s["Sid"].(string))
	}
	return out
}

func TestPipelineStagesRunInOrder(t *testing.T) {
	rec := run(t, "dev", stackConfig(t, "dev"), nil)
	pipeline := find(t, rec, typePipeline, "cicd")
	assert.Equal(t, "V2", pipeline.Input("pipelineType"))
	assert.Equal(t, "tenantforge-dev-pipeline", pipeline.Input("name"))
	bucket := find(t, rec, typeBucket, "cicd-artifacts")
	assert.Equal(t, []any{map[string]any{"type": "S3", "location": bucket.Output("bucket")}}, pipeline.Input("artifactStores"))
	assert.Equal(t, find(t, rec, typeRole, "cicd-pipeline-role").Output("arn"), pipeline.Input("roleArn"))

	stages := pipeline.Input("stages").([]any)
	var names []string
	for _, s := range stages {
		names = append(names, s.(map[string]any)["name"].(string))
	}
	assert.Equal(t, []string{"Source", "Build", "Deploy"}, names, "without cicd.approval the deploy follows the build")
	action := func(stage int) map[string]any {
		acts := stages[stage].(map[string]any)["actions"].([]any)
		require.Len(t, acts, 1)
		return acts[0].(map[string]any)
	}
	conn := find(t, rec, typeConnection, "cicd-github")
	assert.Equal(t, "GitHub", conn.Input("providerType"))
	source := action(0)
	assert.Equal(t, "CodeStarSourceConnection", source["provider"])
	assert.Equal(t, []any{"source"}, source["outputArtifacts"])
	assert.Equal(t, map[string]any{
		"ConnectionArn": conn.Output("arn"), "FullRepositoryId": "example-org/tenantforge", "BranchName": "main",
		"OutputArtifactFormat": "CODE_ZIP",
	}, source["configuration"])
	build := action(1)
	assert.Equal(t, "CodeBuild", build["provider"])
	assert.Equal(t, []any{"source"}, build["inputArtifacts"])
	assert.Equal(t, []any{"lambdas"}, build["outputArtifacts"], "the build's Lambda zips must be what the deploy ships")
	assert.Equal(t, map[string]any{"ProjectName": "tenantforge-dev-build"}, build["configuration"])
	deploy := action(2)
	assert.Equal(t, "CodeBuild", deploy["provider"])
	assert.Equal(t, []any{"source", "lambdas"}, deploy["inputArtifacts"])
	assert.Equal(t, map[string]any{"ProjectName": "tenantforge-dev-deploy", "PrimarySource": "source"}, deploy["configuration"])

	assert.Equal(t, []any{map[string]any{
		"providerType": "CodeStarSourceConnection",
		"gitConfiguration": map[string]any{
			"sourceActionName": "GitHub",
			"pushes":           []any{map[string]any{"branches": map[string]any{"includes": []any{"main"}}}},
		},
	}}, pipeline.Input("triggers"), "a push to the configured branch must start the pipeline")
}

func TestPipelineApprovalAndExistingConnection(t *testing.T) {
	existing := "arn:aws:codeconnections:eu-west-1:123456789012:connection/abc-123"
	rec := run(t, "dev", stackConfig(t, "dev", "cicd",
		`{"repository":"acme/tf","branch":"release","approval":true,"connectionArn":"`+existing+`","canary":"CodeDeployDefault.LambdaAllAtOnce"}`), nil)
	assert.Empty(t, rec.OfType(typeConnection), "an existing connection must not be created again")
	assert.Empty(t, rec.OfType("aws:sns/topicSubscription:TopicSubscription"), "no notifyEmail, no subscription")
	pipeline := find(t, rec, typePipeline, "cicd")
	stages := pipeline.Input("stages").([]any)
	require.Len(t, stages, 4)
	approval := stages[2].(map[string]any)
	assert.Equal(t, "Approval", approval["name"], "the approval must sit between build and deploy")
	act := approval["actions"].([]any)[0].(map[string]any)
	assert.Equal(t, "Manual", act["provider"])
	topic := find(t, rec, "aws:sns/topic:Topic", "cicd-notifications")
	assert.Equal(t, topic.Output("arn"), act["configuration"].(map[string]any)["NotificationArn"])
	src := stages[0].(map[string]any)["actions"].([]any)[0].(map[string]any)["configuration"].(map[string]any)
	assert.Equal(t, existing, src["ConnectionArn"])
	assert.Equal(t, "release", src["BranchName"])
	rule := find(t, rec, "aws:codestarnotifications/notificationRule:NotificationRule", "cicd-failures")
	assert.Equal(t, []any{"codepipeline-pipeline-pipeline-execution-failed", "codepipeline-pipeline-manual-approval-needed"}, rule.Input("eventTypeIds"))
	// The pipeline role may publish the approval request.
	assert.Contains(t, sids(stmts(t, find(t, rec, typeRolePol, "cicd-pipeline-policy"), "policy")), "ApprovalRequests")
	for _, g := range rec.OfType(typeDeployGrp) {
		assert.Equal(t, "CodeDeployDefault.LambdaAllAtOnce", g.Input("deploymentConfigName"), "cicd.canary must reach every deployment group")
	}
}

func TestNoPipelineWithoutRepository(t *testing.T) {
	rec := run(t, "dev", stackConfig(t, "dev", "cicd", `{"repository":"","branch":"main"}`), nil)
	assert.Empty(t, rec.OfType("tenantforge:cicd:Pipeline"), "a stack without cicd.repository must not pay for a pipeline")
	assert.Empty(t, rec.OfType(typeProject))
	assert.NotContains(t, rec.Outputs, infra.OutPipelineName)
}

func TestFailuresAreNotifiedByEmail(t *testing.T) {
	rec := run(t, "dev", stackConfig(t, "dev"), nil)
	topic := find(t, rec, "aws:sns/topic:Topic", "cicd-notifications")
	sub := find(t, rec, "aws:sns/topicSubscription:TopicSubscription", "cicd-notify-email")
	assert.Equal(t, "email", sub.Input("protocol"))
	assert.Equal(t, "admin@example.com", sub.Input("endpoint"))
	assert.Equal(t, topic.Output("arn"), sub.Input("topic"))
	rule := find(t, rec, "aws:codestarnotifications/notificationRule:NotificationRule", "cicd-failures")
	assert.Equal(t, find(t, rec, typePipeline, "cicd").Output("arn"), rule.Input("resource"))
	assert.Equal(t, []any{"codepipeline-pipeline-pipeline-execution-failed"}, rule.Input("eventTypeIds"))
	assert.Equal(t, []any{map[string]any{"address": topic.Output("arn")}}, rule.Input("targets"))
	policy := find(t, rec, "aws:sns/topicPolicy:TopicPolicy", "cicd-notifications-policy")
	assert.Equal(t, []map[string]any{{
		"Sid": "PipelineNotifications", "Effect": "Allow", "Principal": map[string]any{"Service": "codestar-notifications.amazonaws.com"},
		"Action": []any{"sns:Publish"}, "Resource": []any{topic.Output("arn")},
		"Condition": map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": account}},
	}}, stmts(t, policy, "policy"), "without this policy failures would never reach the topic")
}

func TestArtifactBucketIsPrivateEncryptedTLSOnlyAndExpires(t *testing.T) {
	rec := run(t, "dev", stackConfig(t, "dev"), nil)
	bucket := find(t, rec, typeBucket, "cicd-artifacts")
	arn := bucket.Output("arn").(string)
	block := find(t, rec, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "cicd-artifacts-private")
	for _, k := range []string{"blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"} {
		assert.Equal(t, true, block.Input(k), "%s must be on: build artifacts could become public", k)
	}
	own := find(t, rec, "aws:s3/bucketOwnershipControls:BucketOwnershipControls", "cicd-artifacts-ownership")
	assert.Equal(t, map[string]any{"objectOwnership": "BucketOwnerEnforced"}, own.Input("rule"), "ACLs must be off")
	sse := find(t, rec, "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2", "cicd-artifacts-encryption")
	assert.Equal(t, []any{map[string]any{"applyServerSideEncryptionByDefault": map[string]any{"sseAlgorithm": "AES256"}}}, sse.Input("rules"),
		"artifacts (source and packages) must be encrypted at rest")
	life := find(t, rec, "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2", "cicd-artifacts-expiry")
	abort := map[string]any{"daysAfterInitiation": float64(1)}
	assert.Equal(t, []any{
		map[string]any{"id": "expire-cache", "status": "Enabled", "filter": map[string]any{"prefix": "cache/"}, "expiration": map[string]any{"days": float64(14)}, "abortIncompleteMultipartUpload": abort},
		map[string]any{"id": "expire-artifacts", "status": "Enabled", "filter": map[string]any{"prefix": ""}, "expiration": map[string]any{"days": float64(30)}, "abortIncompleteMultipartUpload": abort},
	}, life.Input("rules"), "without expiry every build's artifacts would be kept and billed forever")
	pol := find(t, rec, "aws:s3/bucketPolicy:BucketPolicy", "cicd-artifacts-tls")
	assert.Equal(t, []map[string]any{{
		"Sid": "TLSOnly", "Effect": "Deny", "Principal": map[string]any{"AWS": "*"}, "Action": []any{"s3:*"},
		"Resource":  []any{arn, arn + "/*"},
		"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
	}}, stmts(t, pol, "policy"), "plain-HTTP requests to the artifact bucket must be refused")
}

func TestCodeBuildProjects(t *testing.T) {
	rec := run(t, "dev", stackConfig(t, "dev"), nil)
	bucket := find(t, rec, typeBucket, "cicd-artifacts").Output("bucket").(string)
	for _, tc := range []struct{ key, name, spec, role string }{
		{"cicd-build", "tenantforge-dev-build", "buildspecs/build.yml", "cicd-build-role"},
		{"cicd-deploy", "tenantforge-dev-deploy", "buildspecs/deploy.yml", "cicd-deploy-role"},
	} {
		p := find(t, rec, typeProject, tc.key)
		assert.Equal(t, tc.name, p.Input("name"))
		assert.Equal(t, map[string]any{"type": "CODEPIPELINE", "buildspec": tc.spec}, p.Input("source"), "the buildspec is a file in the repo")
		assert.Equal(t, find(t, rec, typeRole, tc.role).Output("arn"), p.Input("serviceRole"))
		assert.Equal(t, map[string]any{"type": "S3", "location": bucket + "/cache/" + strings.TrimPrefix(tc.key, "cicd-")}, p.Input("cache"), "Go caches live in S3")
		env := p.Input("environment").(map[string]any)
		vars := map[string]any{}
		for _, v := range env["environmentVariables"].([]any) {
			m := v.(map[string]any)
			vars[m["name"].(string)] = map[string]any{"type": m["type"], "value": m["value"]}
		}
		assert.Equal(t, map[string]any{
			"PLATFORM_STACK":      map[string]any{"type": "PLAINTEXT", "value": "dev"},
			"PULUMI_BACKEND_URL":  map[string]any{"type": "PLAINTEXT", "value": "https://api.pulumi.com"},
			"PULUMI_ACCESS_TOKEN": map[string]any{"type": "SECRETS_MANAGER", "value": devTokenArn},
			// What tenantctl rollout reads in the deploy stage.
			"ENVIRONMENT":    map[string]any{"type": "PLAINTEXT", "value": "dev"},
			"REGISTRY_TABLE": map[string]any{"type": "PLAINTEXT", "value": "tenantforge-dev-registry"},
			"EVENT_BUS":      map[string]any{"type": "PLAINTEXT", "value": "tenantforge-dev-tenant-events"},
		}, vars, "the Pulumi token must come from Secrets Manager, never from plaintext; tenantctl needs the registry and the bus")
		logs := p.Input("logsConfig").(map[string]any)["cloudwatchLogs"].(map[string]any)
		assert.Equal(t, "/aws/codebuild/"+tc.name, logs["groupName"])
	}
	reports := find(t, rec, typeReportGrp, "cicd-tests")
	assert.Equal(t, "tenantforge-dev-build-tests", reports.Input("name"), "the buildspec's report \"tests\" lands in <project>-tests")
	assert.Equal(t, "TEST", reports.Input("type"))
}

// The exact statements of the pipeline's and the build's roles.
func TestPipelineAndBuildRolesExactly(t *testing.T) {
	rec := run(t, "dev", stackConfig(t, "dev"), nil)
	bucket := find(t, rec, typeBucket, "cicd-artifacts").Output("arn").(string)
	conn := find(t, rec, typeConnection, "cicd-github").Output("arn").(string)
	project := func(n string) string { return "arn:aws:codebuild:eu-west-1:123456789012:project/" + n }
	assert.Equal(t, []map[string]any{
		{"Sid": "ArtifactObjects", "Effect": "Allow", "Action": []any{"s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"}, "Resource": []any{bucket + "/*"}},
		{"Sid": "ArtifactBucket", "Effect": "Allow", "Action": []any{"s3:GetBucketLocation", "s3:GetBucketVersioning"}, "Resource": []any{bucket}},
		{"Sid": "SourceConnection", "Effect": "Allow", "Action": []any{"codestar-connections:UseConnection", "codeconnections:UseConnection"}, "Resource": []any{conn}},
		{"Sid": "RunBuilds", "Effect": "Allow", "Action": []any{"codebuild:StartBuild", "codebuild:BatchGetBuilds", "codebuild:StopBuild"},
			"Resource": []any{project("tenantforge-dev-build"), project("tenantforge-dev-deploy")}},
	}, stmts(t, find(t, rec, typeRolePol, "cicd-pipeline-policy"), "policy"), "the pipeline role moves artifacts and starts builds, nothing else")

	buildLogs := find(t, rec, typeLogGroup, "cicd-build-logs").Output("arn").(string)
	reports := find(t, rec, typeReportGrp, "cicd-tests").Output("arn").(string)
	assert.Equal(t, []map[string]any{
		{"Sid": "OwnLogs", "Effect": "Allow", "Action": []any{"logs:CreateLogStream", "logs:PutLogEvents"}, "Resource": []any{buildLogs + ":*"}},
		{"Sid": "ArtifactsAndCache", "Effect": "Allow", "Action": []any{"s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"}, "Resource": []any{bucket + "/*"}},
		{"Sid": "ArtifactBucket", "Effect": "Allow", "Action": []any{"s3:GetBucketLocation", "s3:GetBucketAcl"}, "Resource": []any{bucket}},
		{"Sid": "TestReports", "Effect": "Allow", "Action": []any{"codebuild:CreateReport", "codebuild:UpdateReport", "codebuild:BatchPutTestCases", "codebuild:BatchPutCodeCoverages"}, "Resource": []any{reports}},
		{"Sid": "BackendSecrets", "Effect": "Allow", "Action": []any{"secretsmanager:GetSecretValue"}, "Resource": []any{devTokenArn}},
	}, stmts(t, find(t, rec, typeRolePol, "cicd-build-policy"), "policy"), "the build role reads source and writes reports, logs and cache; it changes no infrastructure")

	for _, role := range []string{"pipeline", "build", "deploy"} {
		r := find(t, rec, typeRole, "cicd-"+role+"-role")
		trust := stmts(t, r, "assumeRolePolicy")
		service := "codebuild.amazonaws.com"
		if role == "pipeline" {
			service = "codepipeline.amazonaws.com"
		}
		assert.Equal(t, []map[string]any{{"Effect": "Allow", "Principal": map[string]any{"Service": service}, "Action": []any{"sts:AssumeRole"}}}, trust)
	}
}

// The deploy role's statements exactly: the one role that changes
// infrastructure. Not proven here: that they suffice for a real `pulumi up`
// (only a deployment to an AWS account shows that).
func TestDeployRoleStatements(t *testing.T) {
	rec := run(t, "dev", stackConfig(t, "dev"), nil)
	bucket := find(t, rec, typeBucket, "cicd-artifacts").Output("arn").(string)
	logs := find(t, rec, typeLogGroup, "cicd-deploy-logs").Output("arn").(string)
	arn := func(service, res string) string { return "arn:aws:" + service + ":eu-west-1:123456789012:" + res }
	role := func(n string) any { return "arn:aws:iam::123456789012:role/" + n }
	allow := func(sid string, actions []any, resources ...any) map[string]any {
		return map[string]any{"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resources}
	}
	cond := func(st map[string]any, c map[string]any) map[string]any { st["Condition"] = c; return st }
	want := []map[string]any{
		allow("OwnLogs", []any{"logs:CreateLogStream", "logs:PutLogEvents"}, logs+":*"),
		allow("ArtifactsAndCache", []any{"s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"}, bucket+"/*"),
		allow("ProjectRoles", []any{"iam:CreateRole", "iam:DeleteRole", "iam:GetRole", "iam:UpdateRole", "iam:UpdateRoleDescription",
			"iam:UpdateAssumeRolePolicy", "iam:TagRole", "iam:UntagRole", "iam:ListRoleTags",
			"iam:PutRolePolicy", "iam:GetRolePolicy", "iam:DeleteRolePolicy", "iam:ListRolePolicies",
			"iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole"}, role("tenantforge-*")),
		cond(allow("AttachApiGatewayLogging", []any{"iam:AttachRolePolicy", "iam:DetachRolePolicy"}, role("tenantforge-*")),
			map[string]any{"ArnEquals": map[string]any{"iam:PolicyARN": []any{"arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"}}}),
		cond(allow("PassProjectRoles", []any{"iam:PassRole"}, role("tenantforge-*")),
			map[string]any{"StringEquals": map[string]any{"iam:PassedToService": []any{"lambda.amazonaws.com", "apigateway.amazonaws.com",
				"codedeploy.amazonaws.com", "codebuild.amazonaws.com", "codepipeline.amazonaws.com", "cloudtrail.amazonaws.com",
				"events.amazonaws.com"}}}),
		allow("ProjectManagedPolicies", []any{"iam:CreatePolicy", "iam:DeletePolicy", "iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyVersions",
			"iam:CreatePolicyVersion", "iam:DeletePolicyVersion", "iam:TagPolicy", "iam:UntagPolicy", "iam:ListPolicyTags"},
			"arn:aws:iam::123456789012:policy/tenantforge-*"),
		allow("Functions", []any{"lambda:*"}, arn("lambda", "function:tenantforge-*"), arn("lambda", "layer:tenantforge-*")),
		allow("Tables", []any{"dynamodb:*"}, arn("dynamodb", "table/tenantforge-*")),
		allow("Apis", []any{"apigateway:*"}, "arn:aws:apigateway:eu-west-1::/*"),
		allow("UserPools", []any{"cognito-idp:*"}, arn("cognito-idp", "userpool/*")),
		allow("CreateUserPool", []any{"cognito-idp:CreateUserPool", "cognito-idp:ListUserPools"}, "*"),
		allow("LogGroups", []any{"logs:*"}, arn("logs", "log-group:/aws/lambda/tenantforge-*"), arn("logs", "log-group:/aws/apigateway/tenantforge-*"),
			arn("logs", "log-group:/aws/codebuild/tenantforge-*"), arn("logs", "log-group:/aws/cloudtrail/tenantforge-*")),
		allow("Events", []any{"events:*"}, arn("events", "event-bus/tenantforge-*"), arn("events", "rule/tenantforge-*")),
		allow("Trail", []any{"cloudtrail:*"}, arn("cloudtrail", "trail/tenantforge-*")),
		allow("Buckets", []any{"s3:*"}, "arn:aws:s3:::tenantforge-*", "arn:aws:s3:::tenantforge-*/*"),
		allow("Alarms", []any{"cloudwatch:*"}, arn("cloudwatch", "alarm:tenantforge-*")),
		allow("Dashboards", []any{"cloudwatch:PutDashboard", "cloudwatch:GetDashboard", "cloudwatch:DeleteDashboards"},
			"arn:aws:cloudwatch::123456789012:dashboard/tenantforge-*"),
		allow("Releases", []any{"codedeploy:*"}, arn("codedeploy", "application:tenantforge-*"), arn("codedeploy", "deploymentgroup:tenantforge-*"),
			arn("codedeploy", "deploymentconfig:CodeDeployDefault.*")),
		allow("Pipeline", []any{"codebuild:*", "codepipeline:*", "codestar-connections:*", "codeconnections:*", "codestar-notifications:*", "sns:*"},
			arn("codebuild", "project/tenantforge-*"), arn("codebuild", "report-group/tenantforge-*"), arn("codepipeline", "tenantforge-*"),
			arn("codestar-connections", "connection/*"), arn("codeconnections", "connection/*"),
			arn("codestar-notifications", "notificationrule/*"), arn("sns", "tenantforge-*")),
		allow("Queues", []any{"sqs:*"}, arn("sqs", "tenantforge-*")),
		allow("Site", []any{"cloudfront:*"}, "arn:aws:cloudfront::123456789012:distribution/*", "arn:aws:cloudfront::123456789012:origin-access-control/*",
			"arn:aws:cloudfront::123456789012:response-headers-policy/*", "arn:aws:cloudfront::123456789012:cache-policy/*",
			"arn:aws:cloudfront::123456789012:function/tenantforge-*"),
		allow("WebACL", []any{"wafv2:*"}, "arn:aws:wafv2:us-east-1:123456789012:global/webacl/tenantforge-*/*"),
		allow("NoResourceScope", []any{"cloudfront:CreateDistribution", "cloudfront:CreateOriginAccessControl", "cloudfront:CreateFunction",
			"cloudfront:CreateResponseHeadersPolicy", "cloudfront:CreateCachePolicy",
			"logs:PutQueryDefinition", "logs:DescribeQueryDefinitions", "logs:DeleteQueryDefinition", "logs:DescribeLogGroups",
			"cloudtrail:DescribeTrails", "codestar-connections:CreateConnection", "codeconnections:CreateConnection"}, "*"),
		cond(allow("SiloBoundary", []any{"iam:PutRolePermissionsBoundary"}, role("tenantforge-*")),
			map[string]any{"StringEquals": map[string]any{"iam:PermissionsBoundary": "arn:aws:iam::123456789012:policy/tenantforge-dev-silo-boundary"}}),
		allow("TrailBucket", []any{"s3:*"}, "arn:aws:s3:::audit-trail-*", "arn:aws:s3:::audit-trail-*/*"),
		allow("BackendSecrets", []any{"secretsmanager:GetSecretValue"}, devTokenArn),
		{"Sid": "NotThePipelinesOwnRoles", "Effect": "Deny",
			"Action": []any{"iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:AttachRolePolicy", "iam:DetachRolePolicy",
				"iam:UpdateAssumeRolePolicy", "iam:DeleteRole", "iam:PutRolePermissionsBoundary", "iam:DeleteRolePermissionsBoundary"},
			"Resource": []any{find(t, rec, typeRole, "cicd-pipeline-role").Output("arn"), find(t, rec, typeRole, "cicd-build-role").Output("arn"),
				find(t, rec, typeRole, "cicd-deploy-role").Output("arn")}},
	}
	got := stmts(t, find(t, rec, typeRolePol, "cicd-deploy-policy"), "policy")
	assert.Equal(t, sids(want), sids(got))
	assert.Equal(t, want, got, "the deploy role's permissions changed: review the change and its justification in infra/cicdpolicy.go")

	// Optional parts: the VPC's EC2 resources and a self-managed S3 backend.
	vpc := run(t, "dev", stackConfig(t, "dev",
		"vpc", `{"enabled":true,"cidrBlock":"10.0.0.0/16","availabilityZones":2,"natGateways":"Single"}`,
		"pulumiBackend", `{"url":"s3://acme-state/tf","passphraseSecretArn":"`+devTokenArn+`"}`), nil)
	vpcStmts := stmts(t, find(t, vpc, typeRolePol, "cicd-deploy-policy"), "policy")
	assert.Equal(t, []string{"OwnLogs", "ArtifactsAndCache", "ProjectRoles", "AttachApiGatewayLogging", "PassProjectRoles", "ProjectManagedPolicies",
		"Functions", "Tables", "Apis", "UserPools", "CreateUserPool", "LogGroups", "Events", "Trail", "Buckets",
		"Alarms", "Dashboards", "Releases", "Pipeline", "Queues", "Site", "WebACL", "NoResourceScope", "SiloBoundary", "TrailBucket",
		"Network", "BackendSecrets", "State", "NotThePipelinesOwnRoles"}, sids(vpcStmts))
	for _, s := range vpcStmts {
		switch s["Sid"] {
		case "Network":
			assert.Equal(t, map[string]any{"StringEquals": map[string]any{"aws:RequestedRegion": "eu-west-1"}}, s["Condition"], "EC2 changes must stay in the stack's region")
		case "State":
			assert.Equal(t, []any{"arn:aws:s3:::acme-state", "arn:aws:s3:::acme-state/*"}, s["Resource"], "the deploy role writes the state bucket only")
		}
	}
	build := stmts(t, find(t, vpc, typeRolePol, "cicd-build-policy"), "policy")
	assert.Equal(t, []string{"OwnLogs", "ArtifactsAndCache", "ArtifactBucket", "TestReports", "BackendSecrets", "ReadZones", "ReadState"}, sids(build))
	assert.Equal(t, []any{"s3:GetObject", "s3:ListBucket"}, build[6]["Action"], "preview reads the state; it must not write it")
}

// No role of any stack may allow every action, IAM administration, or
// anything but an allow-listed read on every resource. Not proven here:
// that the deploy role's permissions suffice for a real `pulumi up`
// (only a deployment to an AWS account shows that).
func TestNoWildcardAdminGrants(t *testing.T) {
	refs := platformOutputs(t)
	recs := map[string]*mockcloud.Recording{
		"dev":                run(t, "dev", stackConfig(t, "dev"), nil),
		"dev with vpc":       run(t, "dev", stackConfig(t, "dev", "vpc", `{"enabled":true,"cidrBlock":"10.0.0.0/16","availabilityZones":2,"natGateways":"Single"}`), nil),
		"dev, everything on": everythingOn(t),
		"dev-tenant-example": run(t, "dev-tenant-example", stackConfig(t, "dev-tenant-example"), refs),
	}
	// Actions that are allowed on Resource "*": they have no resource-level
	// scope in IAM.
	starOK := map[string]bool{"xray:PutTraceSegments": true, "xray:PutTelemetryRecords": true, "cognito-idp:CreateUserPool": true, "cognito-idp:ListUserPools": true, "ec2:*": true, "ec2:DescribeAvailabilityZones": true,
		// The usage function's readers: CloudWatch metric reads and Cost Explorer have no resources.
		"cloudwatch:GetMetricData": true, "cloudwatch:ListMetrics": true, "ce:GetCostAndUsage": true,
		// The tenant deployer's and the deploy role's (infra/deployerpolicy.go, infra/cicdpolicy.go, NoResourceScope and
		// CostAllocationTag): CloudFront creates, Logs Insights query
		// definitions, listing log groups and trails, creating a source
		// connection, activating the cost allocation tag.
		"cloudfront:CreateDistribution": true, "cloudfront:CreateOriginAccessControl": true, "cloudfront:CreateFunction": true,
		"cloudfront:CreateResponseHeadersPolicy": true, "cloudfront:CreateCachePolicy": true,
		"logs:PutQueryDefinition": true, "logs:DescribeQueryDefinitions": true, "logs:DeleteQueryDefinition": true, "logs:DescribeLogGroups": true,
		"cloudtrail:DescribeTrails": true, "codestar-connections:CreateConnection": true, "codeconnections:CreateConnection": true,
		"ce:UpdateCostAllocationTagsStatus": true, "ce:ListCostAllocationTags": true}
	for name, rec := range recs {
		for _, p := range rec.OfType(typeRolePol) {
			for _, s := range stmts(t, p, "policy") {
				if s["Effect"] != "Allow" {
					continue
				}
				for _, a := range s["Action"].([]any) {
					action := a.(string)
					assert.NotContains(t, []string{"*", "*:*", "iam:*", "sts:*", "organizations:*"}, action, "%s: %s allows %s: an administrator grant", name, p.Name, action)
					for _, r := range s["Resource"].([]any) {
						if r == "*" {
							assert.True(t, starOK[action], "%s: %s allows %s on every resource", name, p.Name, action)
						}
					}
				}
			}
		}
	}
}

// Simulated requests against the pipeline roles' policies exactly as
// registered.
func TestPipelineRolesInTheIAMSimulator(t *testing.T) {
	rec := run(t, "dev", stackConfig(t, "dev"), nil)
	policyOf := func(name string) []any {
		doc, err := find(t, rec, typeRolePol, name).PolicyInput("policy")
		require.NoError(t, err)
		return []any{map[string]any{"name": name, "policy": doc}}
	}
	build, deploy := policyOf("cicd-build-policy"), policyOf("cicd-deploy-policy")
	buildRole := find(t, rec, typeRole, "cicd-build-role").Output("arn").(string)
	deployRole := find(t, rec, typeRole, "cicd-deploy-role").Output("arn").(string)
	bucket := find(t, rec, typeBucket, "cicd-artifacts").Output("arn").(string)
	fn := find(t, rec, typeLambda, "pool-products").Output("arn").(string)
	table := find(t, rec, typeTable, "shared-registry").Output("arn").(string)
	c := func(name, want string, policies []any, r map[string]any) simCase {
		return simCase{Name: name, want: want, Simulation: map[string]any{"identityPolicies": policies, "request": r}}
	}
	otherRole := "arn:aws:iam::123456789012:role/someone-elses-role"
	simulate(t, []simCase{
		c("build reads the source artifact", "Allowed", build, simRequest(buildRole, "s3:GetObject", bucket+"/tenantforge-dev-pipe/source/abc.zip", nil)),
		c("build updates a function", "ImplicitlyDenied", build, simRequest(buildRole, "lambda:UpdateFunctionCode", fn, nil)),
		c("build creates a role", "ImplicitlyDenied", build, simRequest(buildRole, "iam:CreateRole", "arn:aws:iam::123456789012:role/tenantforge-x", nil)),
		c("build deletes a table", "ImplicitlyDenied", build, simRequest(buildRole, "dynamodb:DeleteTable", table, nil)),
		c("deploy updates a project function", "Allowed", deploy, simRequest(deployRole, "lambda:UpdateFunctionCode", fn, nil)),
		c("deploy updates another project's function", "ImplicitlyDenied", deploy, simRequest(deployRole, "lambda:UpdateFunctionCode", "arn:aws:lambda:eu-west-1:123456789012:function:billing-api", nil)),
		c("deploy writes a project role's policy", "Allowed", deploy, simRequest(deployRole, "iam:PutRolePolicy", "arn:aws:iam::123456789012:role/tenantforge-dev-pool-products-role", nil)),
		c("deploy writes its own role's policy", "ExplicitlyDenied", deploy, simRequest(deployRole, "iam:PutRolePolicy", deployRole, nil)),
		c("deploy writes another role's policy", "ImplicitlyDenied", deploy, simRequest(deployRole, "iam:PutRolePolicy", otherRole, nil)),
		c("deploy attaches AdministratorAccess", "ImplicitlyDenied", deploy, simRequest(deployRole, "iam:AttachRolePolicy", "arn:aws:iam::123456789012:role/tenantforge-dev-x",
			map[string]any{"iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess"})),
		c("deploy passes a project role to Lambda", "Allowed", deploy, simRequest(deployRole, "iam:PassRole", "arn:aws:iam::123456789012:role/tenantforge-dev-pool-products-role",
			map[string]any{"iam:PassedToService": "lambda.amazonaws.com"})),
		c("deploy passes a project role to EC2", "ImplicitlyDenied", deploy, simRequest(deployRole, "iam:PassRole", "arn:aws:iam::123456789012:role/tenantforge-dev-pool-products-role",
			map[string]any{"iam:PassedToService": "ec2.amazonaws.com"})),
		c("deploy creates a user", "ImplicitlyDenied", deploy, simRequest(deployRole, "iam:CreateUser", "arn:aws:iam::123456789012:user/intruder", nil)),
		c("deploy starts a CodeDeploy release", "Allowed", deploy, simRequest(deployRole, "codedeploy:CreateDeployment",
			"arn:aws:codedeploy:eu-west-1:123456789012:deploymentgroup:tenantforge-dev-pool-release/pool-products", nil)),
	})
}

func TestFunctionsAreReleasedThroughTheLiveAlias(t *testing.T) {
	rec := run(t, "dev", stackConfig(t, "dev"), nil)
	app := find(t, rec, "aws:codedeploy/application:Application", "pool-release-app")
	assert.Equal(t, "Lambda", app.Input("computePlatform"))
	releases := rec.Outputs[infra.OutReleases].(map[string]any)
	require.Len(t, releases, len(infra.AppFunctions))
	for _, svc := range infra.AppFunctions {
		fn := find(t, rec, typeLambda, "pool-"+svc)
		assert.Equal(t, true, fn.Input("publish"), "%s: every change must be published as a version CodeDeploy can shift to", svc)
		alias := find(t, rec, typeAlias, "pool-"+svc+"-live")
		assert.Equal(t, "live", alias.Input("name"))
		assert.Equal(t, fn.Output("version"), alias.Input("functionVersion"))
		assert.Equal(t, []string{"functionVersion", "routingConfig"}, alias.IgnoreChanges,
			"%s: without ignoreChanges every pulumi up would undo CodeDeploy's traffic shift", svc)

		errs := find(t, rec, typeAlarm, "pool-release-"+svc+"-errors")
		lat := find(t, rec, typeAlarm, "pool-release-"+svc+"-latency")
		dims := map[string]any{"FunctionName": fn.Input("name"), "Resource": fn.Input("name").(string) + ":live"}
		assert.Equal(t, dims, errs.Input("dimensions"), "the alarm must watch the alias, where the canary's traffic is")
		assert.Equal(t, "Errors", errs.Input("metricName"))
		assert.Equal(t, dims, lat.Input("dimensions"))
		assert.Equal(t, "Duration", lat.Input("metricName"))
		assert.Equal(t, "p99", lat.Input("extendedStatistic"))
		assert.Equal(t, float64(8000), lat.Input("threshold"), "80 percent of the 10 s timeout")

		group := find(t, rec, typeDeployGrp, "pool-release-"+svc)
		assert.Equal(t, app.Input("name"), group.Input("appName"))
		assert.Equal(t, "CodeDeployDefault.LambdaCanary10Percent5Minutes", group.Input("deploymentConfigName"))
		assert.Equal(t, map[string]any{"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"}, group.Input("deploymentStyle"))
		assert.Equal(t, map[string]any{"enabled": true, "events": []any{"DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"}}, group.Input("autoRollbackConfiguration"),
			"a release that trips an alarm must roll back on its own")
		assert.Equal(t, map[string]any{"enabled": true, "alarms": []any{errs.Input("name"), lat.Input("name")}}, group.Input("alarmConfiguration"))

		assert.Equal(t, map[string]any{
			"functionName": fn.Input("name"), "alias": "live", "version": fn.Output("version"),
			"application": app.Input("name"), "deploymentGroup": group.Input("deploymentGroupName"),
		}, releases[svc], "cmd/lambdarelease reads this output")

		perm := find(t, rec, typePermission, "platform-api-invoke-"+svc)
		assert.Equal(t, "live", perm.Input("qualifier"), "API Gateway calls the alias, so the permission must be the alias's")
	}
	for _, svc := range infra.ControlPlaneServices {
		assert.Nil(t, find(t, rec, typePermission, "platform-api-invoke-"+svc).Input("qualifier"), "control-plane functions have no alias")
	}
	role := find(t, rec, typeRole, "pool-release-role")
	assert.Equal(t, []map[string]any{{"Effect": "Allow", "Principal": map[string]any{"Service": "codedeploy.amazonaws.com"}, "Action": []any{"sts:AssumeRole"}}},
		stmts(t, role, "assumeRolePolicy"))
	fnArn := func(s string) string { return find(t, rec, typeLambda, "pool-"+s).Output("arn").(string) }
	alarmArn := func(n string) any { return find(t, rec, typeAlarm, n).Output("arn") }
	assert.Equal(t, []map[string]any{
		{"Sid": "ShiftAliases", "Effect": "Allow", "Action": []any{"lambda:GetAlias", "lambda:UpdateAlias", "lambda:GetProvisionedConcurrencyConfig"},
			"Resource": []any{fnArn("orders") + ":live", fnArn("products") + ":live"}},
		{"Sid": "ReadReleaseAlarms", "Effect": "Allow", "Action": []any{"cloudwatch:DescribeAlarms"},
			"Resource": []any{alarmArn("pool-release-orders-errors"), alarmArn("pool-release-orders-latency"), alarmArn("pool-release-products-errors"), alarmArn("pool-release-products-latency")}},
	}, stmts(t, find(t, rec, typeRolePol, "pool-release-shift-aliases"), "policy"), "CodeDeploy may move these aliases and read these alarms, nothing else")
}

func TestSiloStacksReleaseTheirOwnFunctions(t *testing.T) {
	rec := run(t, "dev-tenant-example", stackConfig(t, "dev-tenant-example"), platformOutputs(t))
	releases := rec.Outputs[infra.OutReleases].(map[string]any)
	require.Len(t, releases, 2)
	assert.Equal(t, "tenantforge-dev-tenant-example-silo-release", releases["orders"].(map[string]any)["application"])
	perm := find(t, rec, typePermission, "tenant-api-invoke-orders")
	assert.Equal(t, "live", perm.Input("qualifier"))
}

// makeTargets lists the targets the Makefile defines.
func makeTargets(t *testing.T) map[string]bool {
	t.Helper()
	f, err := os.Open(filepath.Join(repoRoot, "Makefile"))
	require.NoError(t, err)
	defer f.Close()
	targets := map[string]bool{}
	rule := regexp.MustCompile(`^([a-z][a-z0-9-]*):`)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := rule.FindStringSubmatch(sc.Text()); m != nil {
			targets[m[1]] = true
		}
	}
	require.NoError(t, sc.Err())
	return targets
}

// The buildspecs are YAML CodeBuild reads, call only make targets that
// exist, and pin the Go and Pulumi versions the module builds with. Not
// proven here: that CodeBuild accepts every key (only a build does).
func TestBuildspecs(t *testing.T) {
	targets := makeTargets(t)
	goVersion, sdkVersion := moduleToolVersions(t)
	makeCall := regexp.MustCompile(`\bmake\s+([a-z][a-z0-9-]*)`)
	for _, file := range []string{infra.BuildSpecBuild, infra.BuildSpecDeploy} {
		spec, _ := readBuildspec(t, file, "the pipeline's project")
		assert.Equal(t, "0.2", spec.Version, "%s: buildspec version 0.2 keeps one shell across commands", file)
		assert.Equal(t, goVersion, spec.Env.Variables["GO_VERSION"], "%s must install go.mod's Go", file)
		assert.Equal(t, sdkVersion, spec.Env.Variables["PULUMI_VERSION"], "%s must install the Pulumi CLI of go.mod's SDK", file)
		assert.Contains(t, spec.Cache.Paths, "/root/go/pkg/mod/**/*", "%s: the Go module cache goes to S3", file)
		assert.Contains(t, spec.Cache.Paths, "/root/.cache/go-build/**/*", "%s: the Go build cache goes to S3", file)
		var calls []string
		for _, phase := range spec.Phases {
			for _, cmd := range phase.Commands {
				for _, m := range makeCall.FindAllStringSubmatch(cmd, -1) {
					calls = append(calls, m[1])
					assert.True(t, targets[m[1]], "%s calls `make %s`, which the Makefile does not define", file, m[1])
				}
			}
		}
		if file == infra.BuildSpecBuild {
			assert.Subset(t, calls, []string{"test", "build"})
			assert.Contains(t, spec.Reports, infra.TestReportName, "test results must reach the CodeBuild report group")
			assert.Equal(t, "JUNITXML", spec.Reports[infra.TestReportName]["file-format"])
			assert.Contains(t, strings.Join(spec.Phases["build"].Commands, "\n"), "pulumi preview --stack \"${PLATFORM_STACK}\"")
			assert.Equal(t, []any{"lambdas/*.zip", "layers/*.zip", "web/**/*"}, spec.Artifacts["files"],
				"the deploy needs the tested packages and the built web app: without build/web the program stops")
		} else {
			assert.Contains(t, strings.Join(spec.Phases["pre_build"].Commands, "\n"), `"${CODEBUILD_SRC_DIR_lambdas}/web" build/`,
				"the deploy must put the built web app where the program reads it (build/web)")
			assert.Equal(t, []string{"rollout", "release"}, calls, "the deploy rolls the stacks out, then releases the functions")
		}
	}
}

// Every workflow passes actionlint, and actionlint does catch a broken one.
func TestWorkflowsPassActionlint(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(repoRoot, ".github", "workflows", "*.yml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	linter, err := actionlint.NewLinter(os.Stderr, &actionlint.LinterOptions{})
	require.NoError(t, err)
	errs, err := linter.LintFiles(files, nil)
	require.NoError(t, err)
	for _, e := range errs {
		t.Errorf("%s:%d: %s", e.Filepath, e.Line, e.Message)
	}
	broken := []byte("on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ secrets }}\n        uses: actions/checkout@v4\n")
	errs, err = linter.Lint("broken.yml", broken, nil)
	require.NoError(t, err)
	assert.NotEmpty(t, errs, "actionlint must reject a step with both run and uses")

	names := map[string]string{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		require.NoError(t, err)
		names[filepath.Base(f)] = string(raw)
	}
	deploy := names["deploy.yml"]
	assert.Contains(t, deploy, "pulumi/actions@", "the official Pulumi action")
	assert.Contains(t, deploy, "command: up")
	assert.Contains(t, deploy, "make release STACKS=dev", "without the release the up publishes versions nobody calls")
	assert.Contains(t, deploy, "role-to-assume:", "OIDC, not keys")
	assert.Contains(t, deploy, "id-token: write")
	assert.Contains(t, names["ci.yml"], "comment-on-pr: true")
	for name, body := range names {
		assert.NotContains(t, body, "AWS_SECRET_ACCESS_KEY", "%s: long-lived AWS keys must not be used", name)
		assert.NotContains(t, body, "aws-access-key-id", "%s: long-lived AWS keys must not be used", name)
	}
}

// The release script and the command agree on the stack output.
func TestReleaseScriptUsesLambdarelease(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(repoRoot, ".ci", "release-lambdas"))
	require.NoError(t, err)
	body := string(raw)
	for _, want := range []string{"./cmd/lambdarelease", "lambdarelease\" list", "lambdarelease\" deployment", "aws deploy create-deployment", "aws deploy wait deployment-successful"} {
		assert.Contains(t, body, want)
	}
	info, err := os.Stat(filepath.Join(repoRoot, ".ci", "release-lambdas"))
	require.NoError(t, err)
	assert.NotZero(t, info.Mode()&0o111, "make release runs the script directly: it must be executable")
}

// The components refuse arguments that would build a broken pipeline or
// release, with a message naming the field.
func TestPipelineAndReleaseRejectBadArgs(t *testing.T) {
	try := func(build func(ctx *pulumi.Context) error) error {
		_, err := mockcloud.Run(mockcloud.Options{Project: "tenantforge", Stack: "dev", Config: map[string]string{"aws:region": "eu-west-1"}}, build)
		return err
	}
	valid := infra.PipelineArgs{
		Namer: infra.Namer{Project: "tenantforge", Stack: "dev"}, Partition: "aws", Region: "eu-west-1", AccountID: "123456789012",
		CICD: infra.CICDConfig{Repository: "acme/tf", Branch: "main", Canary: infra.DefaultCanary}, Stack: "dev", LogRetentionDays: 14,
		Environment: "dev", RegistryTable: pulumi.String("registry"), EventBus: pulumi.String("bus"),
	}
	for name, tc := range map[string]struct {
		mutate func(a *infra.PipelineArgs)
		want   string
	}{
		"no repository": {func(a *infra.PipelineArgs) { a.CICD.Repository = "" }, "CICD.Repository"},
		"no account":    {func(a *infra.PipelineArgs) { a.AccountID = "" }, "AccountID"},
		"no stack":      {func(a *infra.PipelineArgs) { a.Stack = "" }, "Stack"},
		"bad retention": {func(a *infra.PipelineArgs) { a.LogRetentionDays = 10 }, "LogRetentionDays"},
		"no registry":   {func(a *infra.PipelineArgs) { a.RegistryTable = nil }, "RegistryTable"},
	} {
		args := valid
		tc.mutate(&args)
		err := try(func(ctx *pulumi.Context) error { _, err := infra.NewPipeline(ctx, "p", &args); return err })
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), tc.want, name)
	}
	require.Error(t, try(func(ctx *pulumi.Context) error { _, err := infra.NewPipeline(ctx, "p", nil); return err }))
	require.NoError(t, try(func(ctx *pulumi.Context) error { _, err := infra.NewPipeline(ctx, "p", &valid); return err }))

	err := try(func(ctx *pulumi.Context) error {
		_, err := infra.NewRelease(ctx, "r", &infra.ReleaseArgs{Role: "pool", Functions: map[string]*infra.Function{"orders": {Name: "f"}},
			DeploymentConfig: infra.DefaultCanary, TimeoutSeconds: 10})
		return err
	})
	require.Error(t, err, "a function without an alias cannot be released by CodeDeploy")
	assert.Contains(t, err.Error(), "FunctionArgs.Alias")
	err = try(func(ctx *pulumi.Context) error {
		_, err := infra.NewRelease(ctx, "r", &infra.ReleaseArgs{Role: "pool", Functions: map[string]*infra.Function{"orders": {Name: "f", Alias: "live"}},
			DeploymentConfig: "Canary10Percent5Minutes", TimeoutSeconds: 10})
		return err
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "DeploymentConfig")
}

// buildspec is the part of a CodeBuild buildspec the tests read.
type buildspec struct {
	Version string `yaml:"version"`
	Env     struct {
		Variables map[string]string `yaml:"variables"`
	} `yaml:"env"`
	Phases map[string]struct {
		Commands []string `yaml:"commands"`
	} `yaml:"phases"`
	Reports   map[string]map[string]any `yaml:"reports"`
	Artifacts map[string]any            `yaml:"artifacts"`
	Cache     struct {
		Paths []string `yaml:"paths"`
	} `yaml:"cache"`
}

// readBuildspec reads the buildspec file (relative to the repository) that
// project points at, parsed and as text.
func readBuildspec(t *testing.T, file, project string) (buildspec, string) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot, file))
	require.NoError(t, err, "%s points at %s", project, file)
	var spec buildspec
	require.NoError(t, yaml.Unmarshal(raw, &spec), "%s must be YAML", file)
	return spec, string(raw)
}

// moduleToolVersions reads go.mod's Go version and its Pulumi SDK version,
// which the buildspecs must install (the CLI of the SDK's release).
func moduleToolVersions(t *testing.T) (goVersion, pulumiVersion string) {
	t.Helper()
	gomod, err := os.ReadFile(filepath.Join(repoRoot, "go.mod"))
	require.NoError(t, err)
	g := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(gomod)
	p := regexp.MustCompile(`github.com/pulumi/pulumi/sdk/v3 v(\S+)`).FindSubmatch(gomod)
	require.NotNil(t, g)
	require.NotNil(t, p)
	return string(g[1]), string(p[1])
}
