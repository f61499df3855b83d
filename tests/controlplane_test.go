package tests

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The registration function may keep the registry, manage tenant admins and
// keys, read the plan ids and publish events: nothing of tenants' data.
func TestRegistrationRoleIsExactlyTheControlPlanesNeeds(t *testing.T) {
	rec := run(t, "dev", stackConfig(t, "dev"), nil)
	role := find(t, rec, typeRole, "control-plane-registration-role")
	require.Len(t, policiesOf(rec, role), 2)
	pool := find(t, rec, typeUserPool, "identity-users")
	gw := "arn:aws:apigateway:eu-west-1::"
	assert.Equal(t, []any{
		map[string]any{"Sid": "Registry", "Effect": "Allow",
			"Action":   []any{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem"},
			"Resource": []any{"arn:aws:dynamodb:eu-west-1:123456789012:table/tenantforge-dev-registry"}},
		map[string]any{"Sid": "TenantAdmins", "Effect": "Allow",
			"Action":   []any{"cognito-idp:AdminCreateUser", "cognito-idp:AdminGetUser", "cognito-idp:AdminSetUserPassword", "cognito-idp:AdminAddUserToGroup", "cognito-idp:AdminDeleteUser"},
			"Resource": []any{pool.Output("arn")}},
		map[string]any{"Sid": "TenantKeys", "Effect": "Allow", "Action": []any{"apigateway:POST", "apigateway:DELETE"},
			"Resource": []any{gw + "/apikeys", gw + "/apikeys/*", gw + "/usageplans/*/keys", gw + "/tags/*"}},
		map[string]any{"Sid": "LifecycleEvents", "Effect": "Allow", "Action": []any{"events:PutEvents"},
			"Resource": []any{"arn:aws:events:eu-west-1:123456789012:event-bus/tenantforge-dev-tenant-events"}},
	}, statements(t, find(t, rec, typeRolePol, "control-plane-registration-control-plane")))

	fn := find(t, rec, typeLambda, "control-plane-registration")
	env := fn.Input("environment").(map[string]any)["variables"].(map[string]any)
	assert.Equal(t, `{"basic":"pool","platinum":"silo","premium":"pool","standard":"pool"}`, env["TIER_DEPLOYMENTS"])
	assert.NotContains(t, env, "USAGE_PLANS_PARAMETER")
	assert.Equal(t, pool.ID, env["USER_POOL_ID"])
}

func TestTenantsRoleListsTenantsAndSwitchesUsers(t *testing.T) {
	rec := run(t, "dev", stackConfig(t, "dev"), nil)
	role := find(t, rec, typeRole, "control-plane-tenants-role")
	require.Len(t, policiesOf(rec, role), 3, "logs, the registry and users, the usage records")
	assert.Equal(t, []any{map[string]any{"Sid": "ReadUsage", "Effect": "Allow", "Action": []any{"dynamodb:Query"},
		"Resource": []any{"arn:aws:dynamodb:eu-west-1:123456789012:table/tenantforge-dev-tenant-usage"}}},
		statements(t, find(t, rec, typeRolePol, "control-plane-tenants-usage-read")), "the tenants function only reads the usage records")
	assert.Equal(t, "tenantforge-dev-tenant-usage", find(t, rec, typeLambda, "control-plane-tenants").Input("environment").(map[string]any)["variables"].(map[string]any)["USAGE_TABLE"])
	assert.Equal(t, []any{
		map[string]any{"Sid": "Registry", "Effect": "Allow", "Action": []any{"dynamodb:Scan", "dynamodb:GetItem", "dynamodb:PutItem"},
			"Resource": []any{"arn:aws:dynamodb:eu-west-1:123456789012:table/tenantforge-dev-registry"}},
		map[string]any{"Sid": "TenantUsers", "Effect": "Allow", "Action": []any{"cognito-idp:ListUsers", "cognito-idp:AdminDisableUser", "cognito-idp:AdminEnableUser"},
			"Resource": []any{find(t, rec, typeUserPool, "identity-users").Output("arn")}},
	}, statements(t, find(t, rec, typeRolePol, "control-plane-tenants-control-plane")), "the tenants function reads no business data")
}

func TestPlatformAPIServesTheControlPlane(t *testing.T) {
	rec := run(t, "dev", stackConfig(t, "dev"), nil)
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(find(t, rec, typeRestAPI, "platform-api-rest").Input("body").(string)), &doc))
	paths := doc["paths"].(map[string]any)
	reg := paths["/registrations"].(map[string]any)["post"].(map[string]any)
	assert.Equal(t, []any{}, reg["security"], "sign-up needs no token")
	assert.Equal(t, find(t, rec, typeLambda, "control-plane-registration").Output("invokeArn"), reg["x-amazon-apigateway-integration"].(map[string]any)["uri"])
	assert.Contains(t, paths, "/tenant-config/{tenantName}")
	assert.Contains(t, paths, "/products", "the pooled application shares the platform API")

	item := find(t, rec, "aws:dynamodb/tableItem:TableItem", "platform-api-plans")
	assert.Equal(t, "tenantforge-dev-registry", item.Input("tableName"))
	var stored map[string]map[string]string
	require.NoError(t, json.Unmarshal([]byte(item.Input("item").(string)), &stored))
	assert.Equal(t, "CONFIG#usage-plans", stored["pk"]["S"], "the registry item the registration function reads")
	var ids map[string]string
	require.NoError(t, json.Unmarshal([]byte(stored["plans"]["S"]), &ids))
	plans := map[string]string{}
	for _, p := range rec.OfType(typeUsagePlan) {
		plans[p.Name[len("platform-api-plan-"):]] = p.ID
	}
	assert.Equal(t, plans, ids, "the control plane must find each tier's real usage plan")
}
