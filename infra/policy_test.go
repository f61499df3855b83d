package infra

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func decode(t *testing.T, p PolicyDocument) map[string]any {
	t.Helper()
	js, err := p.JSON()
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(js), &doc))
	return doc
}

func TestTenantDataPolicyIsLeadingKeyScoped(t *testing.T) {
	doc := decode(t, TenantDataPolicy([]string{"arn:aws:dynamodb:eu-west-1:123456789012:table/pooled"}))
	assert.Equal(t, map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
		"Sid":    "OwnTenantItemsOnly",
		"Effect": "Allow",
		"Action": []any{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
			"dynamodb:Query", "dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem"},
		"Resource": []any{"arn:aws:dynamodb:eu-west-1:123456789012:table/pooled", "arn:aws:dynamodb:eu-west-1:123456789012:table/pooled/index/*"},
		"Condition": map[string]any{"ForAllValues:StringEquals": map[string]any{
			"dynamodb:LeadingKeys": []any{"${aws:PrincipalTag/tenant_id}"},
		}},
	}}}, doc)
	for _, a := range TenantDataActions {
		assert.NotEqual(t, "dynamodb:Scan", a, "a Scan has no leading key: the condition cannot confine it")
	}
}

func TestTenantAccessTrustPolicyRequiresTheTag(t *testing.T) {
	doc := decode(t, TenantAccessTrustPolicy([]string{"arn:aws:iam::123456789012:role/pool-products"}))
	assert.Equal(t, []any{map[string]any{
		"Sid":       "PooledFunctionsWithTenantTag",
		"Effect":    "Allow",
		"Principal": map[string]any{"AWS": []any{"arn:aws:iam::123456789012:role/pool-products"}},
		"Action":    []any{"sts:AssumeRole", "sts:TagSession"},
		"Condition": map[string]any{
			"StringLike":                map[string]any{"aws:RequestTag/tenant_id": "?*"},
			"ForAllValues:StringEquals": map[string]any{"aws:TagKeys": []any{"tenant_id"}},
		},
	}}, doc["Statement"])
}

func TestPolicyJSONRefusesBrokenOrAdminStatements(t *testing.T) {
	for name, p := range map[string]PolicyDocument{
		"empty":        NewPolicy(),
		"bad effect":   NewPolicy(Statement{Effect: "Maybe", Action: []string{"s3:GetObject"}, Resource: []string{"*"}}),
		"no actions":   NewPolicy(Statement{Effect: "Allow", Resource: []string{"*"}}),
		"no resources": NewPolicy(Statement{Effect: "Allow", Action: []string{"s3:GetObject"}}),
		"admin":        NewPolicy(Statement{Effect: "Allow", Action: []string{"*"}, Resource: []string{"*"}}),
	} {
		_, err := p.JSON()
		assert.Error(t, err, name)
	}
}

func TestUsersPolicyConfinesTheRegistryToUserItems(t *testing.T) {
	table := "arn:aws:dynamodb:eu-west-1:123456789012:table/registry"
	pool := "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_x"
	doc := decode(t, UsersPolicy(table, pool))
	assert.Equal(t, []any{
		map[string]any{"Sid": "TenantUserIndex", "Effect": "Allow",
			"Action":    []any{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:Query"},
			"Resource":  []any{table, table + "/index/tenant-users"},
			"Condition": map[string]any{"ForAllValues:StringLike": map[string]any{"dynamodb:LeadingKeys": []any{"USER#*"}}}},
		map[string]any{"Sid": "ReadTenants", "Effect": "Allow", "Action": []any{"dynamodb:GetItem"}, "Resource": []any{table},
			"Condition": map[string]any{"ForAllValues:StringLike": map[string]any{"dynamodb:LeadingKeys": []any{"TENANT#*"}}}},
		map[string]any{"Sid": "TenantUsers", "Effect": "Allow", "Resource": []any{pool}, "Action": []any{
			"cognito-idp:AdminCreateUser", "cognito-idp:AdminGetUser", "cognito-idp:AdminUpdateUserAttributes",
			"cognito-idp:AdminAddUserToGroup", "cognito-idp:AdminRemoveUserFromGroup",
			"cognito-idp:AdminDisableUser", "cognito-idp:AdminEnableUser", "cognito-idp:AdminUserGlobalSignOut",
			"cognito-idp:AdminDeleteUser"}},
	}, doc["Statement"], "the users function gets exactly the user items, tenant reads and the admin actions it calls")
	for _, a := range UsersActions {
		assert.NotContains(t, []string{"cognito-idp:AdminSetUserPassword", "cognito-idp:ListUsers", "cognito-idp:AdminInitiateAuth"}, a,
			"the users function must not set passwords, list the whole pool or sign in as users")
	}
}
