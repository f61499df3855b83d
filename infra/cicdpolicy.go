package infra

import (
	"strings"
)

// PipelineResources are the ARNs the pipeline's roles are scoped to.
type PipelineResources struct {
	Partition, Region, AccountID string
	// Prefix starts the physical name of every resource the program
	// creates ("<project>-"); the deploy role changes only those.
	Prefix            string
	ArtifactBucketArn string
	ConnectionArn     string
	BuildProjectArn   string
	DeployProjectArn  string
	BuildLogGroupArn  string
	DeployLogGroupArn string
	ReportGroupArn    string
	TopicArn          string
	// SecretArns hold the Pulumi backend's token or passphrase.
	SecretArns []string
	// StateBucket is the bucket of a self-managed S3 backend ("" otherwise).
	StateBucket string
	// Approval: the pipeline publishes approval requests to TopicArn.
	Approval bool
	// VPC: the platform stack has the optional VPC, whose EC2 resources the
	// deploy role must manage.
	VPC bool
	// CostTag: the platform stack activates the tenant cost allocation tag
	// (observability.activateCostTag), an account-wide billing setting.
	CostTag bool
	// TrailBucketPrefix starts the name of the audit trail's bucket, which
	// awsx auto-names from the component ("" without an audit trail).
	TrailBucketPrefix string
	// SiloBoundaryArn is the permissions boundary silo tenant roles carry
	// ("" without a tenant deployer).
	SiloBoundaryArn string
	// OwnRoleArns are the pipeline's own roles; the deploy role may not
	// change them (an operator's `pulumi up` does), so it cannot widen its
	// own permissions.
	OwnRoleArns []string
}

func (r PipelineResources) arn(service, resource string) string {
	return "arn:" + r.Partition + ":" + service + ":" + r.Region + ":" + r.AccountID + ":" + resource
}

// PipelineRolePolicy is CodePipeline's role: move artifacts through the
// artifact bucket, pull the source through the connection, run the two
// CodeBuild projects and, with approval, publish the approval request.
func PipelineRolePolicy(r PipelineResources) PolicyDocument {
	st := []Statement{
		{Sid: "ArtifactObjects", Effect: "Allow",
			Action:   []string{"s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"},
			Resource: []string{r.ArtifactBucketArn + "/*"}},
		{Sid: "ArtifactBucket", Effect: "Allow",
			Action:   []string{"s3:GetBucketLocation", "s3:GetBucketVersioning"},
			Resource: []string{r.ArtifactBucketArn}},
		{Sid: "SourceConnection", Effect: "Allow",
			Action:   []string{"codestar-connections:UseConnection", "codeconnections:UseConnection"},
			Resource: []string{r.ConnectionArn}},
		{Sid: "RunBuilds", Effect: "Allow",
			Action:   []string{"codebuild:StartBuild", "codebuild:BatchGetBuilds", "codebuild:StopBuild"},
			Resource: []string{r.BuildProjectArn, r.DeployProjectArn}},
	}
	if r.Approval {
		st = append(st, Statement{Sid: "ApprovalRequests", Effect: "Allow", Action: []string{"sns:Publish"}, Resource: []string{r.TopicArn}})
	}
	return NewPolicy(st...)
}

// BuildRolePolicy is the build project's role. It reads the source and the
// cache, writes the build's artifacts (the Lambda zips), cache, logs and
// test reports, and reads the backend's secrets for `pulumi preview`. It
// changes no infrastructure.
func BuildRolePolicy(r PipelineResources) PolicyDocument {
	st := []Statement{
		{Sid: "OwnLogs", Effect: "Allow", Action: []string{"logs:CreateLogStream", "logs:PutLogEvents"}, Resource: []string{r.BuildLogGroupArn + ":*"}},
		// The source artifact in, the lambdas artifact out, the Go caches
		// both ways: all under the artifact bucket.
		{Sid: "ArtifactsAndCache", Effect: "Allow",
			Action:   []string{"s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"},
			Resource: []string{r.ArtifactBucketArn + "/*"}},
		{Sid: "ArtifactBucket", Effect: "Allow", Action: []string{"s3:GetBucketLocation", "s3:GetBucketAcl"}, Resource: []string{r.ArtifactBucketArn}},
		{Sid: "TestReports", Effect: "Allow",
			Action:   []string{"codebuild:CreateReport", "codebuild:UpdateReport", "codebuild:BatchPutTestCases", "codebuild:BatchPutCodeCoverages"},
			Resource: []string{r.ReportGroupArn}},
	}
	if len(r.SecretArns) > 0 {
		st = append(st, Statement{Sid: "BackendSecrets", Effect: "Allow", Action: []string{"secretsmanager:GetSecretValue"}, Resource: r.SecretArns})
	}
	if r.VPC {
		// preview of the awsx VPC looks up the region's zones (no resource
		// scope in IAM).
		st = append(st, Statement{Sid: "ReadZones", Effect: "Allow", Action: []string{"ec2:DescribeAvailabilityZones"}, Resource: []string{"*"}})
	}
	if r.StateBucket != "" {
		// preview reads the stack's state; it takes no lock and writes none.
		st = append(st, Statement{Sid: "ReadState", Effect: "Allow", Action: []string{"s3:GetObject", "s3:ListBucket"},
			Resource: []string{"arn:" + r.Partition + ":s3:::" + r.StateBucket, "arn:" + r.Partition + ":s3:::" + r.StateBucket + "/*"}})
	}
	return NewPolicy(st...)
}

// DeployRoleServices are the services whose resources the program creates,
// with the resources the deploy role may manage in each. Where a service
// lets a name scope its resources the scope is the project's prefix; where
// AWS generates the identifier (API Gateway ids, Cognito pool ids) the
// scope is the stack's region and account.
func deployServiceStatements(r PipelineResources) []Statement {
	p := r.Prefix
	s3 := func(x string) string { return "arn:" + r.Partition + ":s3:::" + x }
	global := r.global
	return []Statement{
		// Functions, their versions and aliases, and the shared layer.
		{Sid: "Functions", Effect: "Allow", Action: []string{"lambda:*"},
			Resource: []string{r.arn("lambda", "function:"+p+"*"), r.arn("lambda", "layer:"+p+"*")}},
		// The registry, pooled and silo tables, and the usage-plan item the
		// platform API writes into the registry.
		{Sid: "Tables", Effect: "Allow", Action: []string{"dynamodb:*"}, Resource: []string{r.arn("dynamodb", "table/"+p+"*")}},
		// REST APIs, stages, usage plans, the region's API Gateway account
		// settings; API Gateway generates the ids, so the region scopes them.
		{Sid: "Apis", Effect: "Allow", Action: []string{"apigateway:*"},
			Resource: []string{"arn:" + r.Partition + ":apigateway:" + r.Region + "::/*"}},
		// The user pool, its clients and groups; Cognito generates the ids.
		{Sid: "UserPools", Effect: "Allow", Action: []string{"cognito-idp:*"}, Resource: []string{r.arn("cognito-idp", "userpool/*")}},
		{Sid: "CreateUserPool", Effect: "Allow", Action: []string{"cognito-idp:CreateUserPool", "cognito-idp:ListUserPools"}, Resource: []string{"*"}},
		// Log groups of functions, APIs, builds and the trail, and the
		// observability metric filters on them.
		{Sid: "LogGroups", Effect: "Allow", Action: []string{"logs:*"},
			Resource: []string{r.arn("logs", "log-group:/aws/lambda/"+p+"*"), r.arn("logs", "log-group:/aws/apigateway/"+p+"*"),
				r.arn("logs", "log-group:/aws/codebuild/"+p+"*"), r.arn("logs", "log-group:/aws/cloudtrail/"+p+"*")}},
		// The tenant lifecycle event bus and its rules.
		{Sid: "Events", Effect: "Allow", Action: []string{"events:*"},
			Resource: []string{r.arn("events", "event-bus/"+p+"*"), r.arn("events", "rule/"+p+"*")}},
		// The audit trail; its bucket is covered by Buckets.
		{Sid: "Trail", Effect: "Allow", Action: []string{"cloudtrail:*"}, Resource: []string{r.arn("cloudtrail", "trail/"+p+"*")}},
		// The artifact, web app and CloudFront access-log buckets, their
		// settings and the web app's objects.
		{Sid: "Buckets", Effect: "Allow", Action: []string{"s3:*"}, Resource: []string{s3(p + "*"), s3(p + "*/*")}},
		// Release and platform alarms and CodeDeploy applications and groups.
		{Sid: "Alarms", Effect: "Allow", Action: []string{"cloudwatch:*"}, Resource: []string{r.arn("cloudwatch", "alarm:"+p+"*")}},
		// The tenants dashboard (dashboards are global: no region).
		{Sid: "Dashboards", Effect: "Allow", Action: []string{"cloudwatch:PutDashboard", "cloudwatch:GetDashboard", "cloudwatch:DeleteDashboards"},
			Resource: []string{global("cloudwatch", "dashboard/"+p+"*")}},
		{Sid: "Releases", Effect: "Allow", Action: []string{"codedeploy:*"},
			Resource: []string{r.arn("codedeploy", "application:"+p+"*"), r.arn("codedeploy", "deploymentgroup:"+p+"*"),
				r.arn("codedeploy", "deploymentconfig:CodeDeployDefault.*")}},
		// The pipeline itself: projects, report groups, the pipeline, the
		// source connection, the notification rule and topic.
		{Sid: "Pipeline", Effect: "Allow",
			Action: []string{"codebuild:*", "codepipeline:*", "codestar-connections:*", "codeconnections:*", "codestar-notifications:*", "sns:*"},
			Resource: []string{r.arn("codebuild", "project/"+p+"*"), r.arn("codebuild", "report-group/"+p+"*"), r.arn("codepipeline", p+"*"),
				r.arn("codestar-connections", "connection/*"), r.arn("codeconnections", "connection/*"),
				r.arn("codestar-notifications", "notificationrule/*"), r.arn("sns", p+"*")}},
		// The tenant deployer's dead-letter queue and its queue policy.
		{Sid: "Queues", Effect: "Allow", Action: []string{"sqs:*"}, Resource: []string{r.arn("sqs", p+"*")}},
		// The web app's CloudFront distribution, origin access control,
		// response headers and cache policies: CloudFront generates their
		// ids, so the account scopes them; functions carry the prefix.
		{Sid: "Site", Effect: "Allow", Action: []string{"cloudfront:*"},
			Resource: []string{global("cloudfront", "distribution/*"), global("cloudfront", "origin-access-control/*"),
				global("cloudfront", "response-headers-policy/*"), global("cloudfront", "cache-policy/*"), global("cloudfront", "function/"+p+"*")}},
		// The site's optional web ACL, always of CloudFront scope (us-east-1).
		{Sid: "WebACL", Effect: "Allow", Action: []string{"wafv2:*"},
			Resource: []string{"arn:" + r.Partition + ":wafv2:us-east-1:" + r.AccountID + ":global/webacl/" + p + "*/*"}},
		// Actions IAM cannot scope to a resource (the Service Authorization
		// Reference lists no resource type for them): creating CloudFront
		// resources (before they have an id), Logs Insights query
		// definitions, listing log groups and trails, creating the source
		// connection.
		{Sid: "NoResourceScope", Effect: "Allow", Action: []string{
			"cloudfront:CreateDistribution", "cloudfront:CreateOriginAccessControl", "cloudfront:CreateFunction",
			"cloudfront:CreateResponseHeadersPolicy", "cloudfront:CreateCachePolicy",
			"logs:PutQueryDefinition", "logs:DescribeQueryDefinitions", "logs:DeleteQueryDefinition", "logs:DescribeLogGroups",
			"cloudtrail:DescribeTrails", "codestar-connections:CreateConnection", "codeconnections:CreateConnection"},
			Resource: []string{"*"}},
	}
}

// global is the ARN of a resource of a global service (no region).
func (r PipelineResources) global(service, resource string) string {
	return "arn:" + r.Partition + ":" + service + "::" + r.AccountID + ":" + resource
}

// DeployRolePolicy is the deploy project's role: the only role that changes
// infrastructure. Each statement says why it is there; no statement allows
// every action, IAM is limited to the project's roles, and the pipeline's
// own roles are out of its reach.
func DeployRolePolicy(r PipelineResources) PolicyDocument {
	role := func(x string) string { return "arn:" + r.Partition + ":iam::" + r.AccountID + ":role/" + x }
	st := []Statement{
		{Sid: "OwnLogs", Effect: "Allow", Action: []string{"logs:CreateLogStream", "logs:PutLogEvents"}, Resource: []string{r.DeployLogGroupArn + ":*"}},
		// The source and the tested Lambda zips in, the Go caches both ways.
		{Sid: "ArtifactsAndCache", Effect: "Allow",
			Action:   []string{"s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"},
			Resource: []string{r.ArtifactBucketArn + "/*"}},
		// Execution roles of functions, CodeDeploy, API Gateway logging and
		// the pipeline: created and changed only under the project's prefix.
		{Sid: "ProjectRoles", Effect: "Allow",
			Action: []string{"iam:CreateRole", "iam:DeleteRole", "iam:GetRole", "iam:UpdateRole", "iam:UpdateRoleDescription",
				"iam:UpdateAssumeRolePolicy", "iam:TagRole", "iam:UntagRole", "iam:ListRoleTags",
				"iam:PutRolePolicy", "iam:GetRolePolicy", "iam:DeleteRolePolicy", "iam:ListRolePolicies",
				"iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole"},
			Resource: []string{role(r.Prefix + "*")}},
		// The one managed policy the program attaches: API Gateway's
		// CloudWatch logging role.
		{Sid: "AttachApiGatewayLogging", Effect: "Allow",
			Action:    []string{"iam:AttachRolePolicy", "iam:DetachRolePolicy"},
			Resource:  []string{role(r.Prefix + "*")},
			Condition: map[string]map[string]any{"ArnEquals": {"iam:PolicyARN": []string{"arn:" + r.Partition + ":iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"}}}},
		// Handing the project's roles to the services that run with them.
		{Sid: "PassProjectRoles", Effect: "Allow", Action: []string{"iam:PassRole"},
			Resource: []string{role(r.Prefix + "*")},
			Condition: map[string]map[string]any{"StringEquals": {"iam:PassedToService": []string{
				"lambda.amazonaws.com", "apigateway.amazonaws.com", "codedeploy.amazonaws.com",
				"codebuild.amazonaws.com", "codepipeline.amazonaws.com", "cloudtrail.amazonaws.com",
				// the tenant deployer's rules start its CodeBuild project
				// with a role of their own
				"events.amazonaws.com"}}}},
		// The silo stacks' permissions boundary, a managed policy the
		// platform stack owns; only the project's policies. Attaching a
		// managed policy stays limited to AttachApiGatewayLogging.
		{Sid: "ProjectManagedPolicies", Effect: "Allow",
			Action: []string{"iam:CreatePolicy", "iam:DeletePolicy", "iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyVersions",
				"iam:CreatePolicyVersion", "iam:DeletePolicyVersion", "iam:TagPolicy", "iam:UntagPolicy", "iam:ListPolicyTags"},
			Resource: []string{"arn:" + r.Partition + ":iam::" + r.AccountID + ":policy/" + r.Prefix + "*"}},
	}
	st = append(st, deployServiceStatements(r)...)
	if r.SiloBoundaryArn != "" {
		// `tenantctl rollout` updates silo stacks, whose roles carry the
		// platform's boundary: the deploy role may put that boundary, and
		// no other, on the project's roles (creating them with it is
		// iam:CreateRole, above).
		st = append(st, Statement{Sid: "SiloBoundary", Effect: "Allow", Action: []string{"iam:PutRolePermissionsBoundary"},
			Resource:  []string{role(r.Prefix + "*")},
			Condition: map[string]map[string]any{"StringEquals": {"iam:PermissionsBoundary": r.SiloBoundaryArn}}})
	}
	if r.TrailBucketPrefix != "" {
		// The audit trail's bucket: awsx names it after the component, not
		// the project, so the Buckets statement does not reach it.
		b := "arn:" + r.Partition + ":s3:::" + r.TrailBucketPrefix + "*"
		st = append(st, Statement{Sid: "TrailBucket", Effect: "Allow", Action: []string{"s3:*"}, Resource: []string{b, b + "/*"}})
	}
	if r.CostTag {
		// Activating the tenant cost allocation tag: an account setting,
		// no resource scope in IAM.
		st = append(st, Statement{Sid: "CostAllocationTag", Effect: "Allow",
			Action: []string{"ce:UpdateCostAllocationTagsStatus", "ce:ListCostAllocationTags"}, Resource: []string{"*"}})
	}
	if r.VPC {
		// The optional VPC: EC2 generates every id, so the region scopes it.
		st = append(st, Statement{Sid: "Network", Effect: "Allow", Action: []string{"ec2:*"}, Resource: []string{"*"},
			Condition: map[string]map[string]any{"StringEquals": {"aws:RequestedRegion": r.Region}}})
	}
	if len(r.SecretArns) > 0 {
		st = append(st, Statement{Sid: "BackendSecrets", Effect: "Allow", Action: []string{"secretsmanager:GetSecretValue"}, Resource: r.SecretArns})
	}
	if r.StateBucket != "" {
		st = append(st, Statement{Sid: "State", Effect: "Allow", Action: []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket"},
			Resource: []string{"arn:" + r.Partition + ":s3:::" + r.StateBucket, "arn:" + r.Partition + ":s3:::" + r.StateBucket + "/*"}})
	}
	if len(r.OwnRoleArns) > 0 {
		st = append(st, Statement{Sid: "NotThePipelinesOwnRoles", Effect: "Deny",
			Action: []string{"iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:AttachRolePolicy", "iam:DetachRolePolicy",
				"iam:UpdateAssumeRolePolicy", "iam:DeleteRole", "iam:PutRolePermissionsBoundary", "iam:DeleteRolePermissionsBoundary"},
			Resource: r.OwnRoleArns})
	}
	return NewPolicy(st...)
}

// StateBucketOf returns the bucket of an s3:// backend URL ("" otherwise).
func StateBucketOf(backendURL string) string {
	rest, ok := strings.CutPrefix(backendURL, "s3://")
	if !ok {
		return ""
	}
	bucket, _, _ := strings.Cut(rest, "/")
	bucket, _, _ = strings.Cut(bucket, "?")
	return bucket
}

// TLSOnlyBucketPolicy refuses every request to the bucket that does not
// use TLS.
func TLSOnlyBucketPolicy(bucketArn string) PolicyDocument {
	return NewPolicy(Statement{
		Sid: "TLSOnly", Effect: "Deny", Principal: map[string]any{"AWS": "*"}, Action: []string{"s3:*"},
		Resource:  []string{bucketArn, bucketArn + "/*"},
		Condition: map[string]map[string]any{"Bool": {"aws:SecureTransport": "false"}},
	})
}

// NotificationTopicPolicy lets CodeStar Notifications of this account
// publish the pipeline's events to the topic.
func NotificationTopicPolicy(topicArn, accountID string) PolicyDocument {
	return NewPolicy(Statement{
		Sid: "PipelineNotifications", Effect: "Allow", Principal: map[string]any{"Service": "codestar-notifications.amazonaws.com"},
		Action: []string{"sns:Publish"}, Resource: []string{topicArn},
		Condition: map[string]map[string]any{"StringEquals": {"aws:SourceAccount": accountID}},
	})
}
