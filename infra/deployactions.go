package infra

// AuditTrailBucketPrefix starts the name of the bucket awsx creates for the
// audit trail component of that name: awsx names the trail "<name>-trail"
// and Pulumi auto-names its bucket "<name>-trail-<random>".
func AuditTrailBucketPrefix(component string) string { return component + "-trail-" }

// DeployGrant is what Pulumi's AWS provider needs, for one resource of a
// type, to create, read, update and delete it: the IAM actions it calls and
// the resource IAM authorises them on.
//
// Resource is an ARN template filled in from a planned resource:
// {partition}, {region} and {account} are the stack's; {in:key} and
// {out:key} are the resource's input and output values; {in?:key/} is
// the input followed by "/" when set and nothing otherwise; {base:key} is
// the last "/"-separated part of the input (a queue URL's name); {logical} is
// the resource's logical name (what Pulumi's auto-naming starts with).
// Resource "*" marks actions IAM cannot scope to a resource (the Service
// Authorization Reference lists no resource type for them).
// Context holds condition keys the request carries (iam:PassedToService);
// a grant whose context renders empty applies only to resources that set
// that input.
type DeployGrant struct {
	Actions  []string
	Resource string
	Context  map[string]string
}

// grant is a DeployGrant without condition keys. Reading, tagging and
// deleting belong to every type's list: the provider reads after each
// change, applies the default tags and deletes on replacement or destroy.
func grant(resource string, actions ...string) DeployGrant {
	return DeployGrant{Actions: actions, Resource: resource}
}

func passRole(roleArn, service string) DeployGrant {
	return DeployGrant{Actions: []string{"iam:PassRole"}, Resource: roleArn, Context: map[string]string{"iam:PassedToService": service}}
}

// apigw starts the ARN of an API Gateway path in the stack's region.
const apigw = "arn:{partition}:apigateway:{region}::"

func regional(service, rest string) string {
	return "arn:{partition}:" + service + ":{region}:{account}:" + rest
}

func global(service, rest string) string {
	return "arn:{partition}:" + service + "::{account}:" + rest
}

// DeployActions maps every AWS resource type the platform stack registers
// (Pulumi type token) to what the pipeline's deploy role needs to manage it
// with `pulumi up` and `pulumi destroy`. The actions are those the Pulumi
// AWS provider (v6, the Terraform AWS provider underneath) calls for the
// type; tests/deployrole_test.go checks that every type in the plan is
// listed here and that DeployRolePolicy allows every grant.
//
// awsx components register no children under the mocks, so their entries
// list what their children need (awsx v2.22.0 sources).
var DeployActions = map[string][]DeployGrant{
	// API Gateway: the REST API from the OpenAPI body, its deployment,
	// stage, stage settings, usage plans and the region's account settings
	// (CloudWatch role). API Gateway authorises HTTP verbs on paths.
	"aws:apigateway/restApi:RestApi": {
		grant(apigw+"/restapis", "apigateway:POST", "apigateway:GET"),
		grant(apigw+"/restapis/{out:id}", "apigateway:GET", "apigateway:PUT", "apigateway:PATCH", "apigateway:DELETE"),
		grant(apigw+"/restapis/{out:id}/resources", "apigateway:GET"),
		grant(apigw+"/tags/{out:arn}", "apigateway:PUT", "apigateway:DELETE"),
	},
	"aws:apigateway/deployment:Deployment": {
		grant(apigw+"/restapis/{in:restApi}/deployments", "apigateway:POST"),
		grant(apigw+"/restapis/{in:restApi}/deployments/{out:id}", "apigateway:GET", "apigateway:PATCH", "apigateway:DELETE"),
	},
	"aws:apigateway/stage:Stage": {
		grant(apigw+"/restapis/{in:restApi}/stages", "apigateway:POST", "apigateway:GET"),
		grant(apigw+"/restapis/{in:restApi}/stages/{in:stageName}", "apigateway:GET", "apigateway:PATCH", "apigateway:DELETE"),
	},
	"aws:apigateway/methodSettings:MethodSettings": {
		grant(apigw+"/restapis/{in:restApi}/stages/{in:stageName}", "apigateway:GET", "apigateway:PATCH"),
	},
	"aws:apigateway/usagePlan:UsagePlan": {
		grant(apigw+"/usageplans", "apigateway:POST"),
		grant(apigw+"/usageplans/{out:id}", "apigateway:GET", "apigateway:PATCH", "apigateway:DELETE"),
	},
	"aws:apigateway/account:Account": {
		grant(apigw+"/account", "apigateway:GET", "apigateway:PATCH"),
		passRole("{in:cloudwatchRoleArn}", "apigateway.amazonaws.com"),
	},

	// CloudFront (global): the site's distribution and its policies,
	// origin access control and viewer-request function. CloudFront
	// generates the ids, and its Create* actions have no resource scope.
	"aws:cloudfront/distribution:Distribution": {
		grant("*", "cloudfront:CreateDistribution"),
		// Attaching the web ACL (web.waf): CloudFront reads it as the caller.
		grant("{in?:webAclId}", "wafv2:GetWebACL"),
		grant(global("cloudfront", "distribution/{out:id}"), "cloudfront:GetDistribution", "cloudfront:GetDistributionConfig",
			"cloudfront:UpdateDistribution", "cloudfront:DeleteDistribution",
			"cloudfront:TagResource", "cloudfront:UntagResource", "cloudfront:ListTagsForResource"),
	},
	"aws:cloudfront/originAccessControl:OriginAccessControl": {
		grant("*", "cloudfront:CreateOriginAccessControl"),
		grant(global("cloudfront", "origin-access-control/{out:id}"), "cloudfront:GetOriginAccessControl",
			"cloudfront:UpdateOriginAccessControl", "cloudfront:DeleteOriginAccessControl"),
	},
	"aws:cloudfront/function:Function": {
		grant("*", "cloudfront:CreateFunction"),
		grant(global("cloudfront", "function/{in:name}"), "cloudfront:DescribeFunction", "cloudfront:GetFunction",
			"cloudfront:UpdateFunction", "cloudfront:PublishFunction", "cloudfront:DeleteFunction"),
	},
	"aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy": {
		grant("*", "cloudfront:CreateResponseHeadersPolicy"),
		grant(global("cloudfront", "response-headers-policy/{out:id}"), "cloudfront:GetResponseHeadersPolicy",
			"cloudfront:UpdateResponseHeadersPolicy", "cloudfront:DeleteResponseHeadersPolicy"),
	},
	"aws:cloudfront/cachePolicy:CachePolicy": {
		grant("*", "cloudfront:CreateCachePolicy"),
		grant(global("cloudfront", "cache-policy/{out:id}"), "cloudfront:GetCachePolicy",
			"cloudfront:UpdateCachePolicy", "cloudfront:DeleteCachePolicy"),
	},

	// WAFv2 web ACL of scope CLOUDFRONT (us-east-1); the distribution
	// refers to it, which CloudFront checks with GetWebACL.
	"aws:wafv2/webAcl:WebAcl": {
		grant("{out:arn}", "wafv2:CreateWebACL", "wafv2:GetWebACL", "wafv2:UpdateWebACL", "wafv2:DeleteWebACL",
			"wafv2:TagResource", "wafv2:UntagResource", "wafv2:ListTagsForResource"),
	},

	// CloudWatch: alarms, the dashboard, Logs Insights query definitions
	// (no resource scope), metric filters on the project's log groups.
	"aws:cloudwatch/metricAlarm:MetricAlarm": {
		grant(regional("cloudwatch", "alarm:{in:name}"), "cloudwatch:PutMetricAlarm", "cloudwatch:DescribeAlarms", "cloudwatch:DeleteAlarms",
			"cloudwatch:TagResource", "cloudwatch:UntagResource", "cloudwatch:ListTagsForResource"),
	},
	"aws:cloudwatch/dashboard:Dashboard": {
		grant(global("cloudwatch", "dashboard/{in:dashboardName}"), "cloudwatch:PutDashboard", "cloudwatch:GetDashboard", "cloudwatch:DeleteDashboards"),
	},
	"aws:cloudwatch/queryDefinition:QueryDefinition": {
		grant("*", "logs:PutQueryDefinition", "logs:DescribeQueryDefinitions", "logs:DeleteQueryDefinition"),
	},
	"aws:cloudwatch/logMetricFilter:LogMetricFilter": {
		grant(regional("logs", "log-group:{in:logGroupName}"), "logs:PutMetricFilter", "logs:DescribeMetricFilters", "logs:DeleteMetricFilter"),
	},
	"aws:cloudwatch/logGroup:LogGroup": {
		grant(regional("logs", "log-group:{in:name}"), "logs:CreateLogGroup", "logs:PutRetentionPolicy", "logs:DeleteLogGroup",
			"logs:TagResource", "logs:UntagResource", "logs:ListTagsForResource"),
		grant("*", "logs:DescribeLogGroups"),
	},

	// EventBridge: the tenant lifecycle bus, rules on it and on the
	// default bus, and their targets (the deployer's target runs with a
	// role EventBridge assumes).
	"aws:cloudwatch/eventBus:EventBus": {
		grant(regional("events", "event-bus/{in:name}"), "events:CreateEventBus", "events:DescribeEventBus", "events:DeleteEventBus",
			"events:TagResource", "events:UntagResource", "events:ListTagsForResource"),
	},
	"aws:cloudwatch/eventRule:EventRule": {
		grant(regional("events", "rule/{in?:eventBusName/}{in:name}"), "events:PutRule", "events:DescribeRule", "events:DeleteRule",
			"events:EnableRule", "events:DisableRule", "events:TagResource", "events:UntagResource", "events:ListTagsForResource"),
	},
	"aws:cloudwatch/eventTarget:EventTarget": {
		grant(regional("events", "rule/{in?:eventBusName/}{in:rule}"), "events:PutTargets", "events:ListTargetsByRule", "events:RemoveTargets"),
		passRole("{in?:roleArn}", "events.amazonaws.com"),
	},

	// CodeBuild, CodePipeline, connections and notifications: the
	// pipeline itself and the tenant deployer's project.
	"aws:codebuild/project:Project": {
		grant(regional("codebuild", "project/{in:name}"), "codebuild:CreateProject", "codebuild:BatchGetProjects", "codebuild:UpdateProject", "codebuild:DeleteProject"),
		passRole("{in:serviceRole}", "codebuild.amazonaws.com"),
	},
	"aws:codebuild/reportGroup:ReportGroup": {
		grant(regional("codebuild", "report-group/{in:name}"), "codebuild:CreateReportGroup", "codebuild:BatchGetReportGroups",
			"codebuild:UpdateReportGroup", "codebuild:DeleteReportGroup"),
	},
	"aws:codepipeline/pipeline:Pipeline": {
		grant(regional("codepipeline", "{in:name}"), "codepipeline:CreatePipeline", "codepipeline:GetPipeline", "codepipeline:UpdatePipeline",
			"codepipeline:DeletePipeline", "codepipeline:TagResource", "codepipeline:UntagResource", "codepipeline:ListTagsForResource"),
		passRole("{in:roleArn}", "codepipeline.amazonaws.com"),
	},
	"aws:codestarconnections/connection:Connection": {
		grant("*", "codestar-connections:CreateConnection"),
		grant("{out:arn}", "codestar-connections:GetConnection", "codestar-connections:DeleteConnection",
			"codestar-connections:TagResource", "codestar-connections:UntagResource", "codestar-connections:ListTagsForResource"),
	},
	"aws:codestarnotifications/notificationRule:NotificationRule": {
		grant(regional("codestar-notifications", "notificationrule/0123456789abcdef0123456789abcdef01234567"),
			"codestar-notifications:CreateNotificationRule", "codestar-notifications:DescribeNotificationRule",
			"codestar-notifications:UpdateNotificationRule", "codestar-notifications:DeleteNotificationRule",
			"codestar-notifications:Subscribe", "codestar-notifications:Unsubscribe"),
	},

	// CodeDeploy: the application and deployment groups that shift the
	// live aliases.
	"aws:codedeploy/application:Application": {
		grant(regional("codedeploy", "application:{in:name}"), "codedeploy:CreateApplication", "codedeploy:GetApplication",
			"codedeploy:UpdateApplication", "codedeploy:DeleteApplication", "codedeploy:TagResource", "codedeploy:ListTagsForResource"),
	},
	"aws:codedeploy/deploymentGroup:DeploymentGroup": {
		grant(regional("codedeploy", "deploymentgroup:{in:appName}/{in:deploymentGroupName}"), "codedeploy:CreateDeploymentGroup",
			"codedeploy:GetDeploymentGroup", "codedeploy:UpdateDeploymentGroup", "codedeploy:DeleteDeploymentGroup"),
		passRole("{in:serviceRoleArn}", "codedeploy.amazonaws.com"),
	},

	// Cognito: the user pool (AWS generates its id), its client, groups
	// and the seeded SystemAdmin.
	"aws:cognito/userPool:UserPool": {
		grant("*", "cognito-idp:CreateUserPool"),
		grant("{out:arn}", "cognito-idp:DescribeUserPool", "cognito-idp:UpdateUserPool", "cognito-idp:DeleteUserPool",
			"cognito-idp:GetUserPoolMfaConfig", "cognito-idp:SetUserPoolMfaConfig", "cognito-idp:TagResource", "cognito-idp:ListTagsForResource"),
	},
	"aws:cognito/userPoolClient:UserPoolClient": {
		grant(regional("cognito-idp", "userpool/{in:userPoolId}"), "cognito-idp:CreateUserPoolClient", "cognito-idp:DescribeUserPoolClient",
			"cognito-idp:UpdateUserPoolClient", "cognito-idp:DeleteUserPoolClient"),
	},
	"aws:cognito/userGroup:UserGroup": {
		grant(regional("cognito-idp", "userpool/{in:userPoolId}"), "cognito-idp:CreateGroup", "cognito-idp:GetGroup", "cognito-idp:UpdateGroup", "cognito-idp:DeleteGroup"),
	},
	"aws:cognito/user:User": {
		grant(regional("cognito-idp", "userpool/{in:userPoolId}"), "cognito-idp:AdminCreateUser", "cognito-idp:AdminGetUser",
			"cognito-idp:AdminUpdateUserAttributes", "cognito-idp:AdminDeleteUser", "cognito-idp:AdminEnableUser", "cognito-idp:AdminDisableUser",
			"cognito-idp:AdminSetUserPassword"),
	},
	"aws:cognito/userInGroup:UserInGroup": {
		grant(regional("cognito-idp", "userpool/{in:userPoolId}"), "cognito-idp:AdminAddUserToGroup", "cognito-idp:AdminListGroupsForUser",
			"cognito-idp:AdminRemoveUserFromGroup"),
	},

	// Cost Explorer: activating the tenant cost allocation tag is an
	// account setting with no resource scope.
	"aws:costexplorer/costAllocationTag:CostAllocationTag": {
		grant("*", "ce:UpdateCostAllocationTagsStatus", "ce:ListCostAllocationTags"),
	},

	// DynamoDB: the registry, pooled and usage tables, and the usage
	// plan item the API writes into the registry.
	"aws:dynamodb/table:Table": {
		grant(regional("dynamodb", "table/{in:name}"), "dynamodb:CreateTable", "dynamodb:DescribeTable", "dynamodb:UpdateTable", "dynamodb:DeleteTable",
			"dynamodb:DescribeContinuousBackups", "dynamodb:UpdateContinuousBackups", "dynamodb:DescribeTimeToLive", "dynamodb:UpdateTimeToLive",
			"dynamodb:TagResource", "dynamodb:UntagResource", "dynamodb:ListTagsOfResource"),
	},
	"aws:dynamodb/tableItem:TableItem": {
		grant(regional("dynamodb", "table/{in:tableName}"), "dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:DeleteItem"),
	},

	// EC2: the optional VPC's function security group (EC2 generates ids).
	"aws:ec2/securityGroup:SecurityGroup": {
		grant("*", "ec2:DescribeSecurityGroups"),
		grant(regional("ec2", "security-group/{out:id}"), "ec2:CreateSecurityGroup", "ec2:AuthorizeSecurityGroupEgress",
			"ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupEgress", "ec2:DeleteSecurityGroup", "ec2:CreateTags"),
	},

	// IAM: the project's roles and inline policies, the one managed
	// policy attachment (API Gateway logging) and the silo boundary.
	"aws:iam/role:Role": {
		grant(global("iam", "role/{in:name}"), "iam:CreateRole", "iam:GetRole", "iam:UpdateRole", "iam:UpdateAssumeRolePolicy", "iam:DeleteRole",
			"iam:TagRole", "iam:UntagRole", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole"),
		// Silo roles carry the platform's permissions boundary.
		{Actions: []string{"iam:CreateRole", "iam:PutRolePermissionsBoundary"}, Resource: global("iam", "role/{in:name}"),
			Context: map[string]string{"iam:PermissionsBoundary": "{in?:permissionsBoundary}"}},
	},
	"aws:iam/rolePolicy:RolePolicy": {
		grant(global("iam", "role/{in:role}"), "iam:PutRolePolicy", "iam:GetRolePolicy", "iam:DeleteRolePolicy"),
	},
	"aws:iam/rolePolicyAttachment:RolePolicyAttachment": {
		{Actions: []string{"iam:AttachRolePolicy", "iam:DetachRolePolicy"}, Resource: global("iam", "role/{in:role}"),
			Context: map[string]string{"iam:PolicyARN": "{in:policyArn}"}},
		grant(global("iam", "role/{in:role}"), "iam:ListAttachedRolePolicies"),
	},
	"aws:iam/policy:Policy": {
		grant(global("iam", "policy/{in:name}"), "iam:CreatePolicy", "iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyVersions",
			"iam:CreatePolicyVersion", "iam:DeletePolicyVersion", "iam:DeletePolicy", "iam:TagPolicy", "iam:UntagPolicy", "iam:ListPolicyTags"),
	},

	// Lambda: functions (their roles passed to Lambda), live aliases, the
	// shared layer, invoke permissions for API Gateway and EventBridge.
	"aws:lambda/function:Function": {
		grant(regional("lambda", "function:{in:name}"), "lambda:CreateFunction", "lambda:GetFunction", "lambda:GetFunctionConfiguration",
			"lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration", "lambda:PublishVersion", "lambda:ListVersionsByFunction",
			"lambda:GetFunctionCodeSigningConfig", "lambda:PutFunctionConcurrency", "lambda:DeleteFunctionConcurrency",
			"lambda:GetFunctionConcurrency", "lambda:DeleteFunction", "lambda:TagResource", "lambda:UntagResource", "lambda:ListTags"),
		passRole("{in:role}", "lambda.amazonaws.com"),
	},
	"aws:lambda/alias:Alias": {
		grant(regional("lambda", "function:{in:functionName}:{in:name}"), "lambda:CreateAlias", "lambda:GetAlias", "lambda:UpdateAlias", "lambda:DeleteAlias"),
	},
	"aws:lambda/layerVersion:LayerVersion": {
		grant(regional("lambda", "layer:{in:layerName}"), "lambda:PublishLayerVersion"),
		grant(regional("lambda", "layer:{in:layerName}:1"), "lambda:GetLayerVersion", "lambda:DeleteLayerVersion"),
	},
	"aws:lambda/permission:Permission": {
		grant(regional("lambda", "function:{in:function}"), "lambda:AddPermission", "lambda:GetPolicy", "lambda:RemovePermission"),
	},

	// S3: the web bucket, its access-log bucket and the artifact bucket
	// with their settings, and the web app's objects.
	"aws:s3/bucketV2:BucketV2": {
		grant("arn:{partition}:s3:::{in:bucket}", "s3:CreateBucket", "s3:ListBucket", "s3:DeleteBucket", "s3:GetBucketTagging", "s3:PutBucketTagging",
			"s3:GetBucketAcl", "s3:PutBucketAcl", "s3:GetBucketCORS", "s3:GetBucketWebsite", "s3:GetBucketVersioning", "s3:GetAccelerateConfiguration",
			"s3:GetBucketRequestPayment", "s3:GetBucketLogging", "s3:GetLifecycleConfiguration", "s3:GetReplicationConfiguration",
			"s3:GetEncryptionConfiguration", "s3:GetBucketObjectLockConfiguration", "s3:GetBucketPolicy"),
		// force-destroy (dev) empties the bucket first.
		grant("arn:{partition}:s3:::{in:bucket}/example-key", "s3:DeleteObject", "s3:DeleteObjectVersion"),
	},
	"aws:s3/bucketPolicy:BucketPolicy": {
		grant("arn:{partition}:s3:::{in:bucket}", "s3:PutBucketPolicy", "s3:GetBucketPolicy", "s3:DeleteBucketPolicy"),
	},
	"aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": {
		grant("arn:{partition}:s3:::{in:bucket}", "s3:PutBucketPublicAccessBlock", "s3:GetBucketPublicAccessBlock"),
	},
	"aws:s3/bucketOwnershipControls:BucketOwnershipControls": {
		grant("arn:{partition}:s3:::{in:bucket}", "s3:PutBucketOwnershipControls", "s3:GetBucketOwnershipControls"),
	},
	"aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2": {
		grant("arn:{partition}:s3:::{in:bucket}", "s3:PutEncryptionConfiguration", "s3:GetEncryptionConfiguration"),
	},
	"aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2": {
		grant("arn:{partition}:s3:::{in:bucket}", "s3:PutLifecycleConfiguration", "s3:GetLifecycleConfiguration"),
	},
	"aws:s3/bucketVersioningV2:BucketVersioningV2": {
		grant("arn:{partition}:s3:::{in:bucket}", "s3:PutBucketVersioning", "s3:GetBucketVersioning"),
	},
	"aws:s3/bucketObjectv2:BucketObjectv2": {
		grant("arn:{partition}:s3:::{in:bucket}/{in:key}", "s3:PutObject", "s3:GetObject", "s3:GetObjectTagging", "s3:PutObjectTagging", "s3:DeleteObject"),
	},

	// SNS: the pipeline and alarm topics, the pipeline topic's policy and
	// the e-mail subscriptions (authorised on the topic).
	"aws:sns/topic:Topic": {
		grant(regional("sns", "{in:name}"), "sns:CreateTopic", "sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:DeleteTopic",
			"sns:TagResource", "sns:UntagResource", "sns:ListTagsForResource"),
	},
	"aws:sns/topicPolicy:TopicPolicy": {
		grant("{in:arn}", "sns:SetTopicAttributes", "sns:GetTopicAttributes"),
	},
	"aws:sns/topicSubscription:TopicSubscription": {
		grant("{in:topic}", "sns:Subscribe", "sns:GetSubscriptionAttributes", "sns:SetSubscriptionAttributes", "sns:Unsubscribe"),
	},

	// SQS: the tenant deployer's dead-letter queue and its policy.
	"aws:sqs/queue:Queue": {
		grant(regional("sqs", "{in:name}"), "sqs:CreateQueue", "sqs:GetQueueUrl", "sqs:GetQueueAttributes", "sqs:SetQueueAttributes",
			"sqs:DeleteQueue", "sqs:TagQueue", "sqs:UntagQueue", "sqs:ListQueueTags"),
	},
	"aws:sqs/queuePolicy:QueuePolicy": {
		grant(regional("sqs", "{base:queueUrl}"), "sqs:SetQueueAttributes", "sqs:GetQueueAttributes"),
	},

	// awsx:cloudtrail:Trail: the trail, its bucket (auto-named from the
	// component's name) with the CloudTrail bucket policy, and its log
	// group.
	"awsx:cloudtrail:Trail": {
		grant("*", "cloudtrail:DescribeTrails"),
		grant(regional("cloudtrail", "trail/{in:name}"), "cloudtrail:CreateTrail", "cloudtrail:GetTrail", "cloudtrail:GetTrailStatus",
			"cloudtrail:UpdateTrail", "cloudtrail:StartLogging", "cloudtrail:StopLogging",
			"cloudtrail:GetEventSelectors", "cloudtrail:GetInsightSelectors", "cloudtrail:DeleteTrail", "cloudtrail:AddTags", "cloudtrail:ListTags"),
		grant("arn:{partition}:s3:::{logical}-0a1b2c3", "s3:CreateBucket", "s3:ListBucket", "s3:DeleteBucket", "s3:GetBucketAcl",
			"s3:PutBucketPolicy", "s3:GetBucketPolicy", "s3:DeleteBucketPolicy", "s3:PutEncryptionConfiguration", "s3:GetEncryptionConfiguration",
			"s3:PutBucketVersioning", "s3:GetBucketVersioning", "s3:GetBucketTagging", "s3:PutBucketTagging"),
		grant("arn:{partition}:s3:::{logical}-0a1b2c3/AWSLogs/example", "s3:DeleteObject", "s3:DeleteObjectVersion"),
		grant(regional("logs", "log-group:{in:cloudWatchLogsGroup.args.name}"), "logs:CreateLogGroup", "logs:PutRetentionPolicy",
			"logs:DeleteLogGroup", "logs:TagResource", "logs:ListTagsForResource"),
	},

	// awsx:ec2:Vpc: the VPC, subnets, route tables, internet and NAT
	// gateways and elastic IPs; EC2 generates every id.
	"awsx:ec2:Vpc": {
		grant("*", "ec2:DescribeAvailabilityZones", "ec2:DescribeVpcs", "ec2:DescribeSubnets", "ec2:DescribeRouteTables",
			"ec2:DescribeInternetGateways", "ec2:DescribeNatGateways", "ec2:DescribeAddresses"),
		grant(regional("ec2", "vpc/vpc-0a1b2c3d4e5f60718"), "ec2:CreateVpc", "ec2:ModifyVpcAttribute", "ec2:DeleteVpc", "ec2:CreateTags"),
		grant(regional("ec2", "subnet/subnet-0a1b2c3d4e5f60718"), "ec2:CreateSubnet", "ec2:ModifySubnetAttribute", "ec2:DeleteSubnet"),
		grant(regional("ec2", "route-table/rtb-0a1b2c3d4e5f60718"), "ec2:CreateRouteTable", "ec2:CreateRoute", "ec2:AssociateRouteTable",
			"ec2:DisassociateRouteTable", "ec2:DeleteRoute", "ec2:DeleteRouteTable"),
		grant(regional("ec2", "internet-gateway/igw-0a1b2c3d4e5f60718"), "ec2:CreateInternetGateway", "ec2:AttachInternetGateway",
			"ec2:DetachInternetGateway", "ec2:DeleteInternetGateway"),
		grant(regional("ec2", "natgateway/nat-0a1b2c3d4e5f60718"), "ec2:CreateNatGateway", "ec2:DeleteNatGateway"),
		grant(regional("ec2", "elastic-ip/eipalloc-0a1b2c3d4e5f60718"), "ec2:AllocateAddress", "ec2:ReleaseAddress"),
	},
}
