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
	// authorises on a fixed ARN, that ARN for the dev stack's region and
	// the test account (the tests' IAM check matches it against the
	// policy's patterns).
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
// tenant's first real `pulumi up`.
var SiloDeployerNeeds = map[string][]DeployerNeed{
	"aws:apigateway/restApi:RestApi": {apiGatewayCreate, apiGatewayItem, {Actions: []string{"apigateway:PUT"}}, apiGatewayTagging},
	// A deployment's delete first lists the API's stages.
	"aws:apigateway/deployment:Deployment":         {apiGatewayCreate, apiGatewayItem, {Actions: []string{"apigateway:GET"}, On: OnCollection}},
	"aws:apigateway/stage:Stage":                   {apiGatewayCreate, apiGatewayItem, apiGatewayTagging},
	"aws:apigateway/methodSettings:MethodSettings": {{Actions: []string{"apigateway:GET", "apigateway:PATCH"}}},
	"aws:apigateway/usagePlan:UsagePlan":           {apiGatewayCreate, apiGatewayItem, apiGatewayTagging},
	"aws:cloudwatch/logGroup:LogGroup": {
		{Actions: deployerLogActions},
		// The provider reads a log group back by listing; CloudWatch Logs
		// authorises the listing on this ARN, although the Service
		// Authorization Reference gives it no resource type.
		{Actions: []string{"logs:DescribeLogGroups"}, On: "arn:aws:logs:eu-west-1:123456789012:log-group::log-stream:"},
	},
	"aws:cloudwatch/logMetricFilter:LogMetricFilter": {{Actions: deployerMetricFilterActions, On: "logGroupName"}},
	"aws:cloudwatch/metricAlarm:MetricAlarm": {{Actions: deployerAlarmActions,
		ContextInputs: map[string][]string{"cloudwatch:AlarmActions": {"alarmActions", "okActions", "insufficientDataActions"}}}},
	"aws:cloudwatch/queryDefinition:QueryDefinition": {{Actions: deployerQueryActions, On: OnAny}},
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
	"aws:dynamodb/table:Table": {{Actions: deployerTableActions}},
	"aws:iam/role:Role":        {{Actions: append(append([]string{}, deployerBoundedRoleActions...), deployerRoleActions...)}},
	"aws:iam/rolePolicy:RolePolicy": {
		{Actions: []string{"iam:PutRolePolicy", "iam:GetRolePolicy", "iam:DeleteRolePolicy"}, On: "role"},
	},
	"aws:lambda/function:Function": {
		{Actions: deployerLambdaActions},
		{Actions: []string{"lambda:PublishVersion"}},
		{Actions: []string{"iam:PassRole"}, On: "role", Context: map[string]string{"iam:PassedToService": "lambda.amazonaws.com"}},
		{Actions: []string{"lambda:GetLayerVersion"}, On: "layers"},
	},
	"aws:lambda/alias:Alias": {{Actions: []string{"lambda:CreateAlias", "lambda:GetAlias", "lambda:UpdateAlias", "lambda:DeleteAlias"}, On: "functionName"}},
	"aws:lambda/permission:Permission": {{Actions: []string{"lambda:AddPermission", "lambda:RemovePermission", "lambda:GetPolicy"}, On: "function",
		ContextInputs: map[string][]string{"lambda:Principal": {"principal"}}}},
	"aws:sns/topic:Topic": {{Actions: deployerTopicActions}},
}
