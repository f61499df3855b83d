package infra

// DeployerNeed is one set of AWS API actions that `pulumi up` or `pulumi
// destroy` of a silo tenant stack calls for a resource (pulumi-aws v6, that
// is the Terraform AWS provider v5: create, read, update, delete and tags
// from the provider's default tags), and what IAM authorises them against.
type DeployerNeed struct {
	Actions []string
	// On is what the actions are authorised against: OnSelf for the
	// resource itself, OnAny for actions IAM defines no resource type for,
	// OnTags for API Gateway's tagging path of the resource, OnCollection
	// for the API Gateway path the resource is created in, or the name
	// of the resource's input that names (or holds the ARN of) another
	// resource: "role", "function", "functionName", "layers",
	// "logGroupName", "serviceRoleArn"; or, for the few actions AWS
	// authorises on a fixed ARN, that ARN with {partition}, {region} and
	// {account} standing for the stack's.
	On string
	// Context are condition keys the request carries, with fixed values.
	Context map[string]string
	// ContextInputs are condition keys whose values are the values of the
	// resource's inputs listed (multivalued keys).
	ContextInputs map[string][]string
}

// Targets of a DeployerNeed besides input names.
const (
	OnSelf       = ""
	OnAny        = "*"
	OnTags       = "tags"
	OnCollection = "collection"
)

// API Gateway authorises HTTP verbs on resource paths: POST on the
// collection creates, GET, PATCH and DELETE act on the item, PUT on a REST
// API imports its OpenAPI body.
var (
	apiGatewayCreate = DeployerNeed{Actions: []string{"apigateway:POST"}, On: OnCollection}
	apiGatewayItem   = DeployerNeed{Actions: []string{"apigateway:GET", "apigateway:PATCH", "apigateway:DELETE"}}
)

var apiGatewayTagging = DeployerNeed{Actions: []string{"apigateway:GET", "apigateway:PUT", "apigateway:DELETE"}, On: OnTags}

// SiloDeployerNeeds are, by Pulumi type token, the actions the tenant
// deployer needs for every AWS resource type a silo tenant stack
// registers. A resource type added to the silo stack without an entry here
// fails tests/TestDeployerCoversEverySiloResourceType, and an entry whose
// actions DeployerPolicy does not allow on the stack's own resources fails
// it too: provisioning would otherwise stop with AccessDenied in the
// tenant's first real `pulumi up`. The actions are listed here on their
// own, not taken from DeployerPolicy's lists, so that each checks the
// other.
var SiloDeployerNeeds = map[string][]DeployerNeed{
	"aws:apigateway/restApi:RestApi": {apiGatewayCreate, apiGatewayItem, {Actions: []string{"apigateway:PUT"}}, apiGatewayTagging},
	// A deployment's delete first lists the API's stages.
	"aws:apigateway/deployment:Deployment":         {apiGatewayCreate, apiGatewayItem, {Actions: []string{"apigateway:GET"}, On: OnCollection}},
	"aws:apigateway/stage:Stage":                   {apiGatewayCreate, apiGatewayItem, apiGatewayTagging},
	"aws:apigateway/methodSettings:MethodSettings": {{Actions: []string{"apigateway:GET", "apigateway:PATCH"}}},
	"aws:apigateway/usagePlan:UsagePlan":           {apiGatewayCreate, apiGatewayItem, apiGatewayTagging},
	"aws:cloudwatch/logGroup:LogGroup": {
		{Actions: []string{
			"logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy",
			"logs:TagResource", "logs:UntagResource", "logs:ListTagsForResource", "logs:TagLogGroup", "logs:ListTagsLogGroup",
		}},
		// The provider reads a log group back by listing; CloudWatch Logs
		// authorises the listing on this ARN, although the Service
		// Authorization Reference gives it no resource type.
		{Actions: []string{"logs:DescribeLogGroups"}, On: "arn:{partition}:logs:{region}:{account}:log-group::log-stream:"},
	},
	"aws:cloudwatch/logMetricFilter:LogMetricFilter": {{Actions: []string{"logs:PutMetricFilter", "logs:DescribeMetricFilters", "logs:DeleteMetricFilter"}, On: "logGroupName"}},
	// Creating or changing an alarm with tags needs cloudwatch:TagResource too.
	"aws:cloudwatch/metricAlarm:MetricAlarm": {{Actions: []string{
		"cloudwatch:PutMetricAlarm", "cloudwatch:DescribeAlarms", "cloudwatch:DeleteAlarms",
		"cloudwatch:TagResource", "cloudwatch:UntagResource", "cloudwatch:ListTagsForResource",
	},
		ContextInputs: map[string][]string{"cloudwatch:AlarmActions": {"alarmActions", "okActions", "insufficientDataActions"}}}},
	"aws:cloudwatch/queryDefinition:QueryDefinition": {{Actions: []string{"logs:PutQueryDefinition", "logs:DescribeQueryDefinitions", "logs:DeleteQueryDefinition"}, On: OnAny}},
	"aws:codedeploy/application:Application": {{Actions: []string{
		"codedeploy:CreateApplication", "codedeploy:GetApplication", "codedeploy:UpdateApplication", "codedeploy:DeleteApplication",
		"codedeploy:TagResource", "codedeploy:UntagResource", "codedeploy:ListTagsForResource",
	}}},
	"aws:codedeploy/deploymentGroup:DeploymentGroup": {
		{Actions: []string{
			"codedeploy:CreateDeploymentGroup", "codedeploy:GetDeploymentGroup", "codedeploy:UpdateDeploymentGroup", "codedeploy:DeleteDeploymentGroup",
			"codedeploy:TagResource", "codedeploy:UntagResource", "codedeploy:ListTagsForResource",
		}},
		{Actions: []string{"iam:PassRole"}, On: "serviceRoleArn", Context: map[string]string{"iam:PassedToService": "codedeploy.amazonaws.com"}},
	},
	"aws:dynamodb/table:Table": {{Actions: []string{
		"dynamodb:CreateTable", "dynamodb:DeleteTable", "dynamodb:DescribeTable", "dynamodb:UpdateTable",
		"dynamodb:DescribeContinuousBackups", "dynamodb:UpdateContinuousBackups",
		"dynamodb:DescribeTimeToLive", "dynamodb:UpdateTimeToLive",
		"dynamodb:TagResource", "dynamodb:UntagResource", "dynamodb:ListTagsOfResource",
	}}},
	// Deleting a role first lists and deletes its inline policies and
	// checks for attached policies and instance profiles.
	"aws:iam/role:Role": {{Actions: []string{
		"iam:CreateRole", "iam:PutRolePermissionsBoundary", "iam:DeleteRole", "iam:GetRole", "iam:UpdateRole", "iam:UpdateAssumeRolePolicy",
		"iam:TagRole", "iam:UntagRole", "iam:ListRoleTags", "iam:ListRolePolicies", "iam:DeleteRolePolicy",
		"iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole",
	}}},
	"aws:iam/rolePolicy:RolePolicy": {
		{Actions: []string{"iam:PutRolePolicy", "iam:GetRolePolicy", "iam:DeleteRolePolicy"}, On: "role"},
	},
	"aws:lambda/function:Function": {
		{Actions: []string{
			"lambda:CreateFunction", "lambda:DeleteFunction", "lambda:GetFunction", "lambda:GetFunctionConfiguration",
			"lambda:GetFunctionCodeSigningConfig", "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration",
			"lambda:PutFunctionConcurrency", "lambda:DeleteFunctionConcurrency", "lambda:ListVersionsByFunction",
			"lambda:TagResource", "lambda:UntagResource", "lambda:ListTags",
			// publish: true publishes a version after a configuration-only change.
			"lambda:PublishVersion",
		}},
		{Actions: []string{"iam:PassRole"}, On: "role", Context: map[string]string{"iam:PassedToService": "lambda.amazonaws.com"}},
		{Actions: []string{"lambda:GetLayerVersion"}, On: "layers"},
	},
	"aws:lambda/alias:Alias": {{Actions: []string{"lambda:CreateAlias", "lambda:GetAlias", "lambda:UpdateAlias", "lambda:DeleteAlias"}, On: "functionName"}},
	"aws:lambda/permission:Permission": {{Actions: []string{"lambda:AddPermission", "lambda:RemovePermission", "lambda:GetPolicy"}, On: "function",
		ContextInputs: map[string][]string{"lambda:Principal": {"principal"}}}},
	"aws:sns/topic:Topic": {{Actions: []string{
		"sns:CreateTopic", "sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:DeleteTopic",
		"sns:TagResource", "sns:UntagResource", "sns:ListTagsForResource",
	}}},
}
