package infra

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"

	"github.com/tenantforge/tenantforge/shared/tenancy"
)

// LifecycleEventSource is the source of the control plane's lifecycle
// events (shared/controlplane.Source; a test keeps the two equal).
const LifecycleEventSource = "tenantforge.controlplane"

// Lifecycle events that start the tenant deployer, and the tenantctl
// action each runs.
var DeployerActions = map[string]string{
	"TenantProvisioningRequested":   "provision",
	"TenantDeprovisioningRequested": "deprovision",
}

// DeployerEventPattern matches one lifecycle event of the control plane
// that names a tenant.
func DeployerEventPattern(detailType string) (string, error) {
	b, err := json.Marshal(map[string]any{
		"source":      []string{LifecycleEventSource},
		"detail-type": []string{detailType},
		"detail":      map[string]any{"tenantId": []any{map[string]bool{"exists": true}}},
	})
	return string(b), err
}

// DeployerInputPaths take the tenant id out of the event.
func DeployerInputPaths() map[string]string {
	return map[string]string{"tenantId": "$.detail.tenantId"}
}

// DeployerInputTemplate is StartBuild's input: environment overrides that
// tell the build which tenant and which tenantctl action. <tenantId> stands
// unquoted, so EventBridge inserts it as a JSON string, escaped.
func DeployerInputTemplate(action string) string {
	return `{"environmentVariablesOverride":[` +
		`{"name":"TENANT_ID","type":"PLAINTEXT","value":<tenantId>},` +
		`{"name":"TENANTCTL_ACTION","type":"PLAINTEXT","value":"` + action + `"}]}`
}

// TenantResourcePrefix is how every physical name on the platform's
// tenant stacks begins (Namer over tenancy.SiloStackName): the deployer's
// write access is scoped to it.
func TenantResourcePrefix(project, platformStack string) string {
	return nonNameChars.ReplaceAllString(strings.ToLower(project+"-"+tenancy.SiloStackName(tenancy.ShortStackName(platformStack), "")), "-")
}

// AccountServiceTrustPolicy lets one AWS service assume a role, on behalf of this
// account only.
func AccountServiceTrustPolicy(service, accountID string) PolicyDocument {
	return NewPolicy(Statement{
		Effect:    "Allow",
		Principal: map[string]any{"Service": service},
		Action:    []string{"sts:AssumeRole"},
		Condition: map[string]map[string]any{"StringEquals": {"aws:SourceAccount": accountID}},
	})
}

// StartBuildPolicy lets EventBridge start one CodeBuild project and nothing
// else.
func StartBuildPolicy(projectArn string) PolicyDocument {
	return NewPolicy(Statement{Sid: "StartTenantDeployer", Effect: "Allow", Action: []string{"codebuild:StartBuild"}, Resource: []string{projectArn}})
}

// DeadLetterQueuePolicy lets EventBridge park, in the deployer's
// dead-letter queue, events of the deployer's rules that could not start a
// build; nothing else may send to it.
func DeadLetterQueuePolicy(queueArn string, ruleArns []string) PolicyDocument {
	return NewPolicy(Statement{
		Sid:       "DeployerRulesOnly",
		Effect:    "Allow",
		Principal: map[string]any{"Service": "events.amazonaws.com"},
		Action:    []string{"sqs:SendMessage"},
		Resource:  []string{queueArn},
		Condition: map[string]map[string]any{"ArnEquals": {"aws:SourceArn": ruleArns}},
	})
}

// DeployerResources are what the deployer's role is scoped to.
type DeployerResources struct {
	Partition, Region, AccountID string
	// Project is the Pulumi project; PlatformStack the platform stack's name.
	Project, PlatformStack string
	// BuildLogGroupArn is the CodeBuild project's own log group.
	BuildLogGroupArn string
	RegistryTableArn string
	EventBusArn      string
	// AuthorizerArn is the platform's authorizer function, which each
	// tenant API is allowed to invoke.
	AuthorizerArn string
	// LayerVersionArn is the platform's shared layer the silo functions use.
	LayerVersionArn string
	// ProtectedRoleArns are platform roles whose names fall under the
	// tenant prefix (the tenant access role); they are denied explicitly.
	ProtectedRoleArns []string
	// PlatformAPIID and PlatformUsagePlanIDs are the platform's API and
	// pooled plans, denied explicitly: API Gateway ARNs carry ids, so the
	// allow statement cannot be scoped by name.
	PlatformAPIID        string
	PlatformUsagePlanIDs []string
	Backend              PulumiBackendConfig
	// SiloBoundaryArn is the permissions boundary the deployer must put on
	// every role it creates or changes.
	SiloBoundaryArn string
}

// SiloBoundaryResources locate the silo functions' resources.
type SiloBoundaryResources struct {
	Partition, Region, AccountID string
	Project, PlatformStack       string
}

// CodeDeployAliasActions and CodeDeployAlarmActions are what CodeDeploy's
// role needs for a Lambda release (CodeDeployLambdaPolicy): the alias and
// alarm actions of the managed policy AWSCodeDeployRoleForLambda. The rest
// of that policy (sns:Publish for triggers, s3:GetObject for revisions in
// S3, lambda:InvokeFunction of CodeDeployHook_* functions) serves features
// the releases do not use: no triggers, AppSpecs sent inline, no hooks.
var (
	CodeDeployAliasActions = []string{"lambda:GetAlias", "lambda:UpdateAlias", "lambda:GetProvisionedConcurrencyConfig"}
	CodeDeployAlarmActions = []string{"cloudwatch:DescribeAlarms"}
)

// SiloBoundaryPolicy is the permissions boundary of every role on a silo
// tenant stack: the functions' own logs and traces and item access to
// their tenant's tables, and CodeDeploy's reading and moving of the
// tenant functions' aliases and reading of the tenant's alarms. Whatever
// inline policy a tenant stack writes, its roles can do no more, so the
// deployer's right to write role policies grants nothing beyond this.
func SiloBoundaryPolicy(r SiloBoundaryResources) PolicyDocument {
	prefix := TenantResourcePrefix(r.Project, r.PlatformStack)
	regional := func(service string) string {
		return "arn:" + r.Partition + ":" + service + ":" + r.Region + ":" + r.AccountID + ":"
	}
	table := regional("dynamodb") + "table/" + prefix + "*"
	return NewPolicy(
		Statement{Sid: "OwnLogs", Effect: "Allow", Action: []string{"logs:CreateLogStream", "logs:PutLogEvents"},
			Resource: []string{regional("logs") + "log-group:/aws/lambda/" + prefix + "*"}},
		Statement{Sid: "Tracing", Effect: "Allow", Action: []string{"xray:PutTraceSegments", "xray:PutTelemetryRecords"}, Resource: []string{"*"}},
		Statement{Sid: "TenantTables", Effect: "Allow", Action: TenantDataActions, Resource: []string{table, table + "/index/*"}},
		// CodeDeploy's role shifts the tenant functions' live aliases
		// (alias ARNs are function:<name>:<alias>)...
		Statement{Sid: "ReleaseTenantAliases", Effect: "Allow", Action: CodeDeployAliasActions,
			Resource: []string{regional("lambda") + "function:" + prefix + "*"}},
		// ...and watches the tenant's alarms to stop and roll back.
		Statement{Sid: "ReleaseTenantAlarms", Effect: "Allow", Action: CodeDeployAlarmActions,
			Resource: []string{regional("cloudwatch") + "alarm:" + prefix + "*"}},
	)
}

// Actions of the deployer on its tenant stacks' resources, by service.
var (
	deployerLambdaActions = []string{
		"lambda:CreateFunction", "lambda:DeleteFunction", "lambda:GetFunction", "lambda:GetFunctionConfiguration",
		"lambda:GetFunctionCodeSigningConfig", "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration",
		"lambda:PutFunctionConcurrency", "lambda:DeleteFunctionConcurrency", "lambda:ListVersionsByFunction",
		"lambda:AddPermission", "lambda:RemovePermission", "lambda:GetPolicy",
		"lambda:TagResource", "lambda:UntagResource", "lambda:ListTags",
	}
	deployerBoundedRoleActions = []string{"iam:CreateRole", "iam:PutRolePolicy", "iam:PutRolePermissionsBoundary"}
	deployerRoleActions        = []string{
		"iam:DeleteRole", "iam:GetRole", "iam:UpdateRole", "iam:UpdateAssumeRolePolicy",
		"iam:TagRole", "iam:UntagRole", "iam:ListRoleTags",
		"iam:GetRolePolicy", "iam:DeleteRolePolicy", "iam:ListRolePolicies",
		"iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole",
	}
	deployerLogActions = []string{
		"logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy",
		"logs:TagResource", "logs:UntagResource", "logs:ListTagsForResource", "logs:TagLogGroup", "logs:ListTagsLogGroup",
	}
	deployerTableActions = []string{
		"dynamodb:CreateTable", "dynamodb:DeleteTable", "dynamodb:DescribeTable", "dynamodb:UpdateTable",
		"dynamodb:DescribeContinuousBackups", "dynamodb:UpdateContinuousBackups",
		"dynamodb:DescribeTimeToLive", "dynamodb:UpdateTimeToLive",
		"dynamodb:TagResource", "dynamodb:UntagResource", "dynamodb:ListTagsOfResource",
	}
	apiGatewayWrites = []string{"apigateway:POST", "apigateway:PUT", "apigateway:PATCH", "apigateway:DELETE"}
	// The live alias in front of each function, and the versions it points
	// at (publish: true publishes a version on every change).
	deployerAliasActions = []string{
		"lambda:PublishVersion", "lambda:CreateAlias", "lambda:GetAlias", "lambda:UpdateAlias", "lambda:DeleteAlias",
	}
	deployerCodeDeployActions = []string{
		"codedeploy:CreateApplication", "codedeploy:GetApplication", "codedeploy:UpdateApplication", "codedeploy:DeleteApplication",
		"codedeploy:CreateDeploymentGroup", "codedeploy:GetDeploymentGroup", "codedeploy:UpdateDeploymentGroup", "codedeploy:DeleteDeploymentGroup",
		"codedeploy:TagResource", "codedeploy:UntagResource", "codedeploy:ListTagsForResource",
	}
	deployerAlarmActions = []string{
		"cloudwatch:PutMetricAlarm", "cloudwatch:DescribeAlarms", "cloudwatch:DeleteAlarms",
		"cloudwatch:TagResource", "cloudwatch:UntagResource", "cloudwatch:ListTagsForResource",
	}
	deployerTopicActions = []string{
		"sns:CreateTopic", "sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:DeleteTopic",
		"sns:TagResource", "sns:UntagResource", "sns:ListTagsForResource",
	}
	deployerMetricFilterActions = []string{"logs:PutMetricFilter", "logs:DescribeMetricFilters", "logs:DeleteMetricFilter"}
	deployerQueryActions        = []string{"logs:PutQueryDefinition", "logs:DescribeQueryDefinitions", "logs:DeleteQueryDefinition"}
)

// DeployerPolicy is the tenant deployer's role policy: what `pulumi up`
// and `pulumi destroy` of a silo tenant stack and tenantctl's registry
// updates need, and nothing of the platform's own resources. Each
// statement says why it is there.
func DeployerPolicy(r DeployerResources) (PolicyDocument, error) {
	prefix := TenantResourcePrefix(r.Project, r.PlatformStack)
	if r.Partition == "" || r.Region == "" || r.AccountID == "" || r.Project == "" || r.PlatformStack == "" || r.SiloBoundaryArn == "" {
		return PolicyDocument{}, errors.New("deployer policy: partition, region, account, project, platform stack and silo boundary are required")
	}
	tenantRoles := []string{"arn:" + r.Partition + ":iam::" + r.AccountID + ":role/" + prefix + "*"}
	bounded := map[string]map[string]any{"StringEquals": {"iam:PermissionsBoundary": r.SiloBoundaryArn}}
	regional := func(service string) string {
		return "arn:" + r.Partition + ":" + service + ":" + r.Region + ":" + r.AccountID + ":"
	}
	gw := "arn:" + r.Partition + ":apigateway:" + r.Region + "::"
	tenantLogGroups := []string{regional("logs") + "log-group:/aws/lambda/" + prefix + "*", regional("logs") + "log-group:/aws/apigateway/" + prefix + "*"}
	st := []Statement{
		// The build writes its own log (CodeBuild streams into this group).
		{Sid: "OwnBuildLogs", Effect: "Allow", Action: []string{"logs:CreateLogStream", "logs:PutLogEvents"},
			Resource: []string{r.BuildLogGroupArn + ":*"}},
		// tenantctl reads a tenant's record and writes it back (status,
		// stack, API URL): item-level only, and only tenant records, not
		// name reservations or the usage plan item.
		{Sid: "TenantRecords", Effect: "Allow", Action: []string{"dynamodb:GetItem", "dynamodb:PutItem"},
			Resource:  []string{r.RegistryTableArn},
			Condition: map[string]map[string]any{"ForAllValues:StringLike": {"dynamodb:LeadingKeys": []string{"TENANT#*"}}}},
		// tenantctl announces TenantProvisioned / TenantDeprovisioned.
		{Sid: "LifecycleEvents", Effect: "Allow", Action: []string{"events:PutEvents"}, Resource: []string{r.EventBusArn}},
		// The silo functions, their concurrency, and API Gateway's
		// permission to invoke them.
		{Sid: "TenantFunctions", Effect: "Allow", Action: deployerLambdaActions,
			Resource: []string{regional("lambda") + "function:" + prefix + "*"}},
		// Creating a function with the platform's shared layer needs read
		// access to that layer version.
		{Sid: "SharedLayer", Effect: "Allow", Action: []string{"lambda:GetLayerVersion"}, Resource: []string{r.LayerVersionArn}},
		// Each tenant API adds (and on destroy removes) API Gateway's
		// permission to invoke the platform's authorizer; only API Gateway
		// may be granted.
		{Sid: "AuthorizerGrant", Effect: "Allow", Action: []string{"lambda:AddPermission"}, Resource: []string{r.AuthorizerArn},
			Condition: map[string]map[string]any{"StringEquals": {"lambda:Principal": "apigateway.amazonaws.com"}}},
		{Sid: "AuthorizerGrantRevoke", Effect: "Allow", Action: []string{"lambda:RemovePermission", "lambda:GetPolicy"}, Resource: []string{r.AuthorizerArn}},
		// The silo functions' execution roles are created, and their inline
		// policies written, only with the silo boundary on them: a policy
		// the deployer writes can grant no more than the boundary.
		{Sid: "TenantRolesBounded", Effect: "Allow", Action: deployerBoundedRoleActions, Resource: tenantRoles, Condition: bounded},
		// Reading, tagging and deleting those roles.
		{Sid: "TenantRoles", Effect: "Allow", Action: deployerRoleActions, Resource: tenantRoles},
		// Those roles may be handed to Lambda, and to nothing else.
		{Sid: "PassTenantRolesToLambda", Effect: "Allow", Action: []string{"iam:PassRole"}, Resource: tenantRoles,
			Condition: map[string]map[string]any{"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}},
		// CodeDeploy's role (the silo release's, bounded like the others)
		// is handed to CodeDeploy's deployment groups, and to nothing else.
		{Sid: "PassTenantRolesToCodeDeploy", Effect: "Allow", Action: []string{"iam:PassRole"}, Resource: tenantRoles,
			Condition: map[string]map[string]any{"StringEquals": {"iam:PassedToService": "codedeploy.amazonaws.com"}}},
		// The boundary stays: it is never removed or swapped.
		{Sid: "KeepTheBoundary", Effect: "Deny", Action: []string{"iam:DeleteRolePermissionsBoundary", "iam:AttachRolePolicy"}, Resource: tenantRoles},
		// The silo functions' and the tenant API's log groups.
		{Sid: "TenantLogGroups", Effect: "Allow", Action: deployerLogActions,
			Resource: tenantLogGroups},
		// The provider reads log groups back by listing; DescribeLogGroups
		// has no per-group resource.
		{Sid: "ListLogGroups", Effect: "Allow", Action: []string{"logs:DescribeLogGroups"}, Resource: []string{regional("logs") + "log-group:*"}},
		// The tenant's own table: table management only, no item access.
		{Sid: "TenantTables", Effect: "Allow", Action: deployerTableActions,
			Resource: []string{regional("dynamodb") + "table/" + prefix + "*"}},
		// The tenant API, its stage, deployment and usage plan, and the
		// tenant's key on that plan. API Gateway ARNs carry generated ids,
		// not names, so this cannot be scoped by prefix; the platform's own
		// API and plans are denied below.
		{Sid: "TenantApis", Effect: "Allow", Action: append([]string{"apigateway:GET"}, apiGatewayWrites...),
			Resource: []string{gw + "/restapis", gw + "/restapis/*", gw + "/usageplans", gw + "/usageplans/*", gw + "/tags/*"}},
		// The silo functions' published versions and live aliases (safe
		// releases): Pulumi creates each alias once and publishes a version
		// on every change; CodeDeploy moves the alias afterwards.
		{Sid: "TenantFunctionAliases", Effect: "Allow", Action: deployerAliasActions,
			Resource: []string{regional("lambda") + "function:" + prefix + "*"}},
		// The silo release: the CodeDeploy application and its deployment
		// groups (group ARNs are deploymentgroup:<application>/<group>, and
		// the application's name carries the prefix).
		{Sid: "TenantReleases", Effect: "Allow", Action: deployerCodeDeployActions,
			Resource: []string{regional("codedeploy") + "application:" + prefix + "*", regional("codedeploy") + "deploymentgroup:" + prefix + "*"}},
		// The tenant's alarms (release rollback and observability); their
		// actions may notify the tenant's own topics only, never stop,
		// terminate or reboot anything.
		{Sid: "TenantAlarms", Effect: "Allow", Action: deployerAlarmActions,
			Resource:  []string{regional("cloudwatch") + "alarm:" + prefix + "*"},
			Condition: map[string]map[string]any{"ForAllValues:StringLike": {"cloudwatch:AlarmActions": []string{regional("sns") + prefix + "*"}}}},
		// The tenant's alarm topic.
		{Sid: "TenantAlarmTopic", Effect: "Allow", Action: deployerTopicActions,
			Resource: []string{regional("sns") + prefix + "*"}},
		// Metric filters on the tenant's log groups (throttles counted from
		// the API's access log); IAM authorises them on the log group.
		{Sid: "TenantMetricFilters", Effect: "Allow", Action: deployerMetricFilterActions, Resource: tenantLogGroups},
		// Logs Insights saved queries over the tenant's log groups.
		// CloudWatch Logs defines no resource type for query definitions,
		// so IAM cannot scope these three actions to a name; they reach
		// saved queries only (no log data, no log groups).
		{Sid: "SavedQueries", Effect: "Allow", Action: deployerQueryActions, Resource: []string{"*"}},
	}
	if secrets := slices.DeleteFunc([]string{r.Backend.AccessTokenSecretArn, r.Backend.PassphraseSecretArn}, func(s string) bool { return s == "" }); len(secrets) > 0 {
		// CodeBuild resolves the backend's token and passphrase from
		// Secrets Manager with this role.
		st = append(st, Statement{Sid: "BackendSecrets", Effect: "Allow", Action: []string{"secretsmanager:GetSecretValue"}, Resource: secrets})
	}
	if bucket := StateBucketOf(r.Backend.URL); bucket != "" {
		st = append(st, stateStatements(r.Partition, bucket, r.Project, tenancy.ShortStackName(r.PlatformStack))...)
	}
	if len(r.ProtectedRoleArns) > 0 {
		// Platform roles whose names happen to fall under the tenant
		// prefix (the pooled tenant access role) stay out of reach.
		st = append(st, Statement{Sid: "NotPlatformRoles", Effect: "Deny", Action: []string{"iam:*"}, Resource: r.ProtectedRoleArns})
	}
	if r.PlatformAPIID != "" {
		res := []string{gw + "/restapis/" + r.PlatformAPIID, gw + "/restapis/" + r.PlatformAPIID + "/*"}
		for _, id := range slices.Sorted(slices.Values(r.PlatformUsagePlanIDs)) {
			res = append(res, gw+"/usageplans/"+id, gw+"/usageplans/"+id+"/*")
		}
		// The platform's API and pooled usage plans are changed by the
		// platform stack only.
		st = append(st, Statement{Sid: "NotPlatformApi", Effect: "Deny", Action: apiGatewayWrites, Resource: res})
	}
	return NewPolicy(st...), nil
}

// stateStatements scope a self-managed S3 backend: the tenant stacks'
// state, history, backups and locks read and written, the platform
// stack's state read (tenant stacks reference its outputs), nothing else.
func stateStatements(partition, bucket, project, platform string) []Statement {
	b := "arn:" + partition + ":s3:::" + bucket
	tenant := tenancy.SiloStackName(platform, "") + "*"
	var own []string
	for _, dir := range []string{"stacks", "history", "backups", "locks"} {
		own = append(own, b+"/.pulumi/"+dir+"/"+project+"/"+tenant)
	}
	return []Statement{
		// Pulumi lists the backend's keys to find stacks and locks.
		{Sid: "StateList", Effect: "Allow", Action: []string{"s3:ListBucket", "s3:GetBucketLocation"}, Resource: []string{b}},
		// The backend's metadata and the platform stack's state, read-only.
		{Sid: "StateReadPlatform", Effect: "Allow", Action: []string{"s3:GetObject"},
			Resource: []string{b + "/.pulumi/meta.yaml", b + "/.pulumi/stacks/" + project + "/" + platform + ".json*"}},
		// The tenant stacks' own state.
		{Sid: "StateTenantStacks", Effect: "Allow", Action: []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject"}, Resource: own},
	}
}
