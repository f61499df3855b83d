package infra

import (
	"encoding/json"
	"errors"

	"github.com/tenantforge/tenantforge/shared/tenancy"
)

// PolicyDocument is an IAM policy document. Policies are built by pure Go
// functions over these types and tested by unmarshalling their JSON.
type PolicyDocument struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Statement is one IAM policy statement.
type Statement struct {
	Sid       string                    `json:"Sid,omitempty"`
	Effect    string                    `json:"Effect"`
	Principal map[string]any            `json:"Principal,omitempty"`
	Action    []string                  `json:"Action"`
	Resource  []string                  `json:"Resource,omitempty"`
	Condition map[string]map[string]any `json:"Condition,omitempty"`
}

// NewPolicy returns a 2012-10-17 policy of the statements.
func NewPolicy(statements ...Statement) PolicyDocument {
	return PolicyDocument{Version: "2012-10-17", Statement: statements}
}

// JSON renders the policy, refusing statements that could not work or
// would grant everything.
func (p PolicyDocument) JSON() (string, error) {
	if len(p.Statement) == 0 {
		return "", errors.New("policy: no statements")
	}
	for _, s := range p.Statement {
		if s.Effect != "Allow" && s.Effect != "Deny" {
			return "", errors.New("policy: Effect must be Allow or Deny")
		}
		if len(s.Action) == 0 {
			return "", errors.New("policy: a statement needs actions")
		}
		if s.Principal == nil && len(s.Resource) == 0 {
			return "", errors.New("policy: a statement needs resources")
		}
		for _, a := range s.Action {
			if a == "*" && s.Effect == "Allow" {
				return "", errors.New("policy: Action \"*\" is never allowed")
			}
		}
	}
	b, err := json.Marshal(p)
	return string(b), err
}

// LambdaTrustPolicy lets the Lambda service assume a function's role.
func LambdaTrustPolicy() PolicyDocument {
	return NewPolicy(Statement{
		Effect:    "Allow",
		Principal: map[string]any{"Service": "lambda.amazonaws.com"},
		Action:    []string{"sts:AssumeRole"},
	})
}

// FunctionBasePolicy lets a function write to its own log group and send
// traces: nothing more.
func FunctionBasePolicy(logGroupArn string) PolicyDocument {
	return NewPolicy(
		Statement{Sid: "OwnLogs", Effect: "Allow", Action: []string{"logs:CreateLogStream", "logs:PutLogEvents"}, Resource: []string{logGroupArn + ":*"}},
		Statement{Sid: "Tracing", Effect: "Allow", Action: []string{"xray:PutTraceSegments", "xray:PutTelemetryRecords"}, Resource: []string{"*"}},
	)
}

// RegistryReadPolicy lets the authorizer read tenant records.
func RegistryReadPolicy(registryTableArn string) PolicyDocument {
	return NewPolicy(Statement{Sid: "ReadTenants", Effect: "Allow", Action: []string{"dynamodb:GetItem"}, Resource: []string{registryTableArn}})
}

// TenantTagKey is the session tag that carries the tenant id (shared/tvm).
const TenantTagKey = "tenant_id"

// TenantDataActions are the item-level DynamoDB actions pooled functions
// need. Scan and every table-level action are absent on purpose: a Scan has
// no leading key, so a leading-key condition could not confine it.
var TenantDataActions = []string{
	"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
	"dynamodb:Query", "dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem",
}

// TenantAccessTrustPolicy lets only the given execution roles assume the
// tenant access role, and only with a tenant_id session tag and no other
// tag.
func TenantAccessTrustPolicy(executionRoleArns []string) PolicyDocument {
	return NewPolicy(Statement{
		Sid:       "PooledFunctionsWithTenantTag",
		Effect:    "Allow",
		Principal: map[string]any{"AWS": executionRoleArns},
		Action:    []string{"sts:AssumeRole", "sts:TagSession"},
		Condition: map[string]map[string]any{
			"StringLike":                {"aws:RequestTag/" + TenantTagKey: "?*"},
			"ForAllValues:StringEquals": {"aws:TagKeys": []string{TenantTagKey}},
		},
	})
}

// TenantDataPolicy is the tenant access role's policy: item-level access to
// the pooled tables, only to items whose partition key is the session's
// tenant_id tag.
func TenantDataPolicy(tableArns []string) PolicyDocument {
	resources := make([]string, 0, 2*len(tableArns))
	for _, arn := range tableArns {
		resources = append(resources, arn, arn+"/index/*")
	}
	return NewPolicy(Statement{
		Sid:      "OwnTenantItemsOnly",
		Effect:   "Allow",
		Action:   TenantDataActions,
		Resource: resources,
		Condition: map[string]map[string]any{
			"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": []string{"${aws:PrincipalTag/" + TenantTagKey + "}"}},
		},
	})
}

// AssumeTenantRolePolicy lets a pooled function start tenant sessions:
// assume the tenant access role and tag the session. It grants no data
// access of its own.
func AssumeTenantRolePolicy(tenantRoleArn string) PolicyDocument {
	return NewPolicy(Statement{
		Sid:      "AssumeTenantRole",
		Effect:   "Allow",
		Action:   []string{"sts:AssumeRole", "sts:TagSession"},
		Resource: []string{tenantRoleArn},
	})
}

// SiloDataPolicy gives a silo function item-level access to its tenant's
// own table: every item there is that tenant's. No Scan, no table actions.
func SiloDataPolicy(tableArn string) PolicyDocument {
	return NewPolicy(Statement{
		Sid:      "OwnTenantTable",
		Effect:   "Allow",
		Action:   TenantDataActions,
		Resource: []string{tableArn, tableArn + "/index/*"},
	})
}

// RegistrationResources are what the registration function touches.
type RegistrationResources struct {
	Partition, Region string
	RegistryTableArn  string
	UserPoolArn       string
	EventBusArn       string
}

// RegistrationPolicy lets the registration function keep the registry,
// create and delete tenant admins, create and delete tenants' API keys on
// usage plans (whose ids it reads from the registry) and publish lifecycle
// events. It reads no tenant's business data.
func RegistrationPolicy(r RegistrationResources) PolicyDocument {
	gw := "arn:" + r.Partition + ":apigateway:" + r.Region + "::"
	return NewPolicy(
		Statement{Sid: "Registry", Effect: "Allow",
			Action:   []string{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem"},
			Resource: []string{r.RegistryTableArn}},
		Statement{Sid: "TenantAdmins", Effect: "Allow",
			Action:   []string{"cognito-idp:AdminCreateUser", "cognito-idp:AdminGetUser", "cognito-idp:AdminSetUserPassword", "cognito-idp:AdminAddUserToGroup", "cognito-idp:AdminDeleteUser"},
			Resource: []string{r.UserPoolArn}},
		Statement{Sid: "TenantKeys", Effect: "Allow",
			Action:   []string{"apigateway:POST", "apigateway:DELETE"},
			Resource: []string{gw + "/apikeys", gw + "/apikeys/*", gw + "/usageplans/*/keys", gw + "/tags/*"}},
		Statement{Sid: "LifecycleEvents", Effect: "Allow", Action: []string{"events:PutEvents"}, Resource: []string{r.EventBusArn}},
	)
}

// TenantsResources are what the tenants function touches.
type TenantsResources struct {
	Partition, Region string
	RegistryTableArn  string
	UserPoolArn       string
	EventBusArn       string
	PooledTableArn    string
}

// TenantsPolicy lets the tenants function keep tenant records and name
// reservations (list, update, rename, tombstone), walk a tenant's user
// index, disable, enable, re-tier and delete the users in it, move a tenant's API key between usage plans
// and delete it, publish lifecycle events, and purge an offboarded
// tenant's pooled items: queries may read the key attributes only, so the
// function never reads tenants' business data.
func TenantsPolicy(r TenantsResources) PolicyDocument {
	gw := "arn:" + r.Partition + ":apigateway:" + r.Region + "::"
	return NewPolicy(
		Statement{Sid: "Registry", Effect: "Allow", Action: []string{"dynamodb:Scan", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"}, Resource: []string{r.RegistryTableArn}},
		Statement{Sid: "WalkTenantUsers", Effect: "Allow", Action: []string{"dynamodb:Query"},
			Resource:  []string{TenantUsersIndexArn(r.RegistryTableArn)},
			Condition: leadingKeys(tenancy.UserKeyPrefix + "*")},
		Statement{Sid: "TenantUsers", Effect: "Allow",
			Action: []string{"cognito-idp:AdminDisableUser", "cognito-idp:AdminEnableUser",
				"cognito-idp:AdminUpdateUserAttributes", "cognito-idp:AdminDeleteUser"},
			Resource: []string{r.UserPoolArn}},
		Statement{Sid: "AttachKeys", Effect: "Allow", Action: []string{"apigateway:POST"}, Resource: []string{gw + "/usageplans/*/keys"}},
		Statement{Sid: "DetachKeys", Effect: "Allow", Action: []string{"apigateway:GET", "apigateway:DELETE"}, Resource: []string{gw + "/usageplans/*/keys/*"}},
		Statement{Sid: "DeleteKeys", Effect: "Allow", Action: []string{"apigateway:DELETE"}, Resource: []string{gw + "/apikeys/*"}},
		Statement{Sid: "LifecycleEvents", Effect: "Allow", Action: []string{"events:PutEvents"}, Resource: []string{r.EventBusArn}},
		Statement{Sid: "FindPooledItems", Effect: "Allow", Action: []string{"dynamodb:Query"}, Resource: []string{r.PooledTableArn},
			Condition: map[string]map[string]any{
				"ForAllValues:StringEquals": {"dynamodb:Attributes": []string{tenancy.DataPartitionKey, tenancy.DataSortKey}},
				"StringEquals":              {"dynamodb:Select": "SPECIFIC_ATTRIBUTES"},
			}},
		Statement{Sid: "PurgePooledItems", Effect: "Allow", Action: []string{"dynamodb:BatchWriteItem", "dynamodb:DeleteItem"}, Resource: []string{r.PooledTableArn}},
	)
}

// TenantUsersIndexArn is the ARN of the registry's tenant-users index.
func TenantUsersIndexArn(registryTableArn string) string {
	return registryTableArn + "/index/" + tenancy.TenantUsersIndex
}

// leadingKeys confines item-level DynamoDB actions to partition keys that
// match one of the patterns.
func leadingKeys(patterns ...string) map[string]map[string]any {
	return map[string]map[string]any{"ForAllValues:StringLike": {"dynamodb:LeadingKeys": patterns}}
}

// UsersActions are the user pool admin actions the users function calls
// (shared/controlplane.CognitoDirectory), and no others: it never lists
// the pool or sets a password.
var UsersActions = []string{
	"cognito-idp:AdminCreateUser", "cognito-idp:AdminGetUser", "cognito-idp:AdminUpdateUserAttributes",
	"cognito-idp:AdminAddUserToGroup", "cognito-idp:AdminRemoveUserFromGroup",
	"cognito-idp:AdminDisableUser", "cognito-idp:AdminEnableUser", "cognito-idp:AdminUserGlobalSignOut",
	"cognito-idp:AdminDeleteUser",
}

// UsersPolicy lets the users function keep the tenants' user indexes (only
// registry items and index partitions under "USER#"), read tenant records
// (only "TENANT#" items, never written) and manage the pool's users with
// UsersActions.
func UsersPolicy(registryTableArn, userPoolArn string) PolicyDocument {
	return NewPolicy(
		Statement{Sid: "TenantUserIndex", Effect: "Allow",
			Action:    []string{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:Query"},
			Resource:  []string{registryTableArn, TenantUsersIndexArn(registryTableArn)},
			Condition: leadingKeys(tenancy.UserKeyPrefix + "*")},
		Statement{Sid: "ReadTenants", Effect: "Allow", Action: []string{"dynamodb:GetItem"},
			Resource: []string{registryTableArn}, Condition: leadingKeys("TENANT#*")},
		Statement{Sid: "TenantUsers", Effect: "Allow", Action: UsersActions, Resource: []string{userPoolArn}},
	)
}

// ServiceTrustPolicy lets one AWS service assume a role.
func ServiceTrustPolicy(service string) PolicyDocument {
	return NewPolicy(Statement{
		Effect:    "Allow",
		Principal: map[string]any{"Service": service},
		Action:    []string{"sts:AssumeRole"},
	})
}

// CodeDeployLambdaPolicy is CodeDeploy's role for Lambda releases: read and
// move the given functions' alias, and read the release alarms. It is the
// managed AWSCodeDeployRoleForLambda cut down to these functions and alarms
// (no hook functions, no SNS triggers, no S3 revisions: AppSpecs are sent
// inline).
func CodeDeployLambdaPolicy(functionArns []string, alias string, alarmArns []string) PolicyDocument {
	aliases := make([]string, 0, len(functionArns))
	for _, arn := range functionArns {
		aliases = append(aliases, arn+":"+alias)
	}
	return NewPolicy(
		Statement{Sid: "ShiftAliases", Effect: "Allow",
			Action:   CodeDeployAliasActions,
			Resource: aliases},
		Statement{Sid: "ReadReleaseAlarms", Effect: "Allow", Action: CodeDeployAlarmActions, Resource: alarmArns},
	)
}
