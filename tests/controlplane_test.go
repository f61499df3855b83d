package tests

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantforge/tenantforge/infra"
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

// The tenants function keeps tenant records, manages a tenant's users and
// API key, publishes lifecycle events and purges an offboarded tenant's
// pooled items, reading their keys only. (The mock cannot prove IAM's
// evaluation of the Query conditions; tests/iamsim does not model them.)
func TestTenantsRoleIsExactlyTheLifecyclesNeeds(t *testing.T) {
	rec := run(t, "dev", stackConfig(t, "dev"), nil)
	role := find(t, rec, typeRole, "control-plane-tenants-role")
	require.Len(t, policiesOf(rec, role), 3, "logs, the registry and users, the usage records")
	assert.Equal(t, []any{map[string]any{"Sid": "ReadUsage", "Effect": "Allow", "Action": []any{"dynamodb:Query"},
		"Resource": []any{"arn:aws:dynamodb:eu-west-1:123456789012:table/tenantforge-dev-usage-records"}}},
		statements(t, find(t, rec, typeRolePol, "control-plane-tenants-usage-read")), "the tenants function only reads the usage records")
	assert.Equal(t, "tenantforge-dev-usage-records", find(t, rec, typeLambda, "control-plane-tenants").Input("environment").(map[string]any)["variables"].(map[string]any)["USAGE_TABLE"])
	gw := "arn:aws:apigateway:eu-west-1::"
	pooled := "arn:aws:dynamodb:eu-west-1:123456789012:table/tenantforge-dev-pooled-data"
	assert.Equal(t, []any{
		map[string]any{"Sid": "Registry", "Effect": "Allow", "Action": []any{"dynamodb:Scan", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"},
			"Resource": []any{"arn:aws:dynamodb:eu-west-1:123456789012:table/tenantforge-dev-registry"}},
		map[string]any{"Sid": "WalkTenantUsers", "Effect": "Allow", "Action": []any{"dynamodb:Query"},
			"Resource":  []any{"arn:aws:dynamodb:eu-west-1:123456789012:table/tenantforge-dev-registry/index/tenant-users"},
			"Condition": map[string]any{"ForAllValues:StringLike": map[string]any{"dynamodb:LeadingKeys": []any{"USER#*"}}}},
		map[string]any{"Sid": "TenantUsers", "Effect": "Allow",
			"Action": []any{"cognito-idp:AdminDisableUser", "cognito-idp:AdminEnableUser",
				"cognito-idp:AdminUpdateUserAttributes", "cognito-idp:AdminDeleteUser"},
			"Resource": []any{find(t, rec, typeUserPool, "identity-users").Output("arn")}},
		map[string]any{"Sid": "AttachKeys", "Effect": "Allow", "Action": []any{"apigateway:POST"}, "Resource": []any{gw + "/usageplans/*/keys"}},
		map[string]any{"Sid": "DetachKeys", "Effect": "Allow", "Action": []any{"apigateway:GET", "apigateway:DELETE"}, "Resource": []any{gw + "/usageplans/*/keys/*"}},
		map[string]any{"Sid": "DeleteKeys", "Effect": "Allow", "Action": []any{"apigateway:DELETE"}, "Resource": []any{gw + "/apikeys/*"}},
		map[string]any{"Sid": "LifecycleEvents", "Effect": "Allow", "Action": []any{"events:PutEvents"},
			"Resource": []any{"arn:aws:events:eu-west-1:123456789012:event-bus/tenantforge-dev-tenant-events"}},
		map[string]any{"Sid": "FindPooledItems", "Effect": "Allow", "Action": []any{"dynamodb:Query"}, "Resource": []any{pooled},
			"Condition": map[string]any{
				"ForAllValues:StringEquals": map[string]any{"dynamodb:Attributes": []any{"tenantId", "sk"}},
				"StringEquals":              map[string]any{"dynamodb:Select": "SPECIFIC_ATTRIBUTES"},
			}},
		map[string]any{"Sid": "PurgePooledItems", "Effect": "Allow", "Action": []any{"dynamodb:BatchWriteItem", "dynamodb:DeleteItem"}, "Resource": []any{pooled}},
	}, statements(t, find(t, rec, typeRolePol, "control-plane-tenants-control-plane")),
		"the tenants function may read pooled keys to delete them, never tenants' business data")

	fn := find(t, rec, typeLambda, "control-plane-tenants")
	env := fn.Input("environment").(map[string]any)["variables"].(map[string]any)
	assert.Equal(t, "tenantforge-dev-pooled-data", env["POOLED_TABLE"], "offboarding must purge the pooled table")
	assert.Equal(t, "tenantforge-dev-tenant-events", env["EVENT_BUS"])
	assert.Equal(t, `{"basic":"pool","platinum":"silo","premium":"pool","standard":"pool"}`, env["TIER_DEPLOYMENTS"])
	assert.EqualValues(t, 29, fn.Input("timeout"), "an offboarding purges for 20 s per request: the function must outlive that")
}

// The users function may keep the user index, read tenant records and call
// exactly the user pool admin actions its code calls.
func TestUsersRoleIsExactlyTheUsersNeeds(t *testing.T) {
	rec := run(t, "dev", stackConfig(t, "dev"), nil)
	role := find(t, rec, typeRole, "control-plane-users-role")
	require.Len(t, policiesOf(rec, role), 2, "logs and traces, and the control-plane policy: nothing more")
	table := "arn:aws:dynamodb:eu-west-1:123456789012:table/tenantforge-dev-registry"
	pool := find(t, rec, typeUserPool, "identity-users")
	// The statements themselves are pinned exactly by infra's
	// TestUsersPolicyConfinesTheRegistryToUserItems; here the role must
	// carry that builder's document for the stack's own table and pool.
	want, err := infra.UsersPolicy(table, pool.Output("arn").(string)).JSON()
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(want), &doc))
	assert.Equal(t, doc["Statement"], statements(t, find(t, rec, typeRolePol, "control-plane-users-control-plane")),
		"the users function's role is not the users policy of this stack's registry and pool")

	fn := find(t, rec, typeLambda, "control-plane-users")
	assert.Equal(t, map[string]any{"REGISTRY_TABLE": "tenantforge-dev-registry", "USER_POOL_ID": pool.ID},
		fn.Input("environment").(map[string]any)["variables"], "the users function's environment")

	// The registry's tenant-users index that the policy and the code name.
	reg := find(t, rec, "aws:dynamodb/table:Table", "shared-registry")
	assert.Equal(t, []any{map[string]any{"name": "tenant-users", "hashKey": "userTenant", "rangeKey": "username", "projectionType": "ALL"}},
		reg.Input("globalSecondaryIndexes"), "without the index no tenant's users can be listed")
}

// IAM itself keeps the users function to user items: it cannot write (or
// read) tenant records' names, configuration or other items, only read
// tenant records. Not proven here: that real DynamoDB sets
// dynamodb:LeadingKeys as the simulation does (AWS documents it).
func TestUsersFunctionCannotWriteTenantRecords(t *testing.T) {
	rec := run(t, "dev", stackConfig(t, "dev"), nil)
	role := find(t, rec, typeRole, "control-plane-users-role")
	var policies []any
	for _, p := range policiesOf(rec, role) {
		doc, err := p.PolicyInput("policy")
		require.NoError(t, err)
		policies = append(policies, map[string]any{"name": p.Name, "policy": doc})
	}
	principal := role.Output("arn").(string)
	table := rec.Outputs[infra.OutRegistryTableArn].(string)
	index := table + "/index/tenant-users"
	pool := find(t, rec, typeUserPool, "identity-users").Output("arn").(string)
	var cases []simCase
	add := func(name, want, action, resource string, keys ...string) {
		ctx := map[string]any{}
		if keys != nil {
			ctx["dynamodb:LeadingKeys"] = keys
		}
		cases = append(cases, simCase{Name: name, want: want, Simulation: map[string]any{
			"identityPolicies": policies, "request": simRequest(principal, action, resource, ctx)}})
	}
	user := "USER#t0123456789ab#ann@acme.example"
	for _, action := range []string{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"} {
		add("users function "+action+" on a user item", "Allowed", action, table, user)
	}
	add("users function lists a tenant's users on the index", "Allowed", "dynamodb:Query", index, "USER#t0123456789ab")
	add("users function reads a tenant record", "Allowed", "dynamodb:GetItem", table, "TENANT#t0123456789ab")
	for _, key := range []string{"TENANT#t0123456789ab", "NAME#acme", "CONFIG#usage-plans"} {
		add("users function writes "+key, "ImplicitlyDenied", "dynamodb:PutItem", table, key)
		add("users function deletes "+key, "ImplicitlyDenied", "dynamodb:DeleteItem", table, key)
		add("users function updates "+key, "ImplicitlyDenied", "dynamodb:UpdateItem", table, key)
	}
	add("users function reads a name reservation", "ImplicitlyDenied", "dynamodb:GetItem", table, "NAME#acme")
	add("users function reads the usage plan ids", "ImplicitlyDenied", "dynamodb:GetItem", table, "CONFIG#usage-plans")
	add("users function batch-writes a user and a tenant", "ImplicitlyDenied", "dynamodb:BatchWriteItem", table, user, "TENANT#t0123456789ab")
	add("users function scans the registry", "ImplicitlyDenied", "dynamodb:Scan", table)
	add("users function queries the index outside USER#", "ImplicitlyDenied", "dynamodb:Query", index, "TENANT#t0123456789ab")
	add("users function reads the pooled data", "ImplicitlyDenied", "dynamodb:GetItem", rec.Outputs[infra.OutPooledTableArn].(string), "t0123456789ab")
	cognito := func(name, want, action string) {
		cases = append(cases, simCase{Name: name, want: want, Simulation: map[string]any{"identityPolicies": policies, "request": simRequest(principal, action, pool, nil)}})
	}
	cognito("users function creates a user", "Allowed", "cognito-idp:AdminCreateUser")
	cognito("users function signs a user out", "Allowed", "cognito-idp:AdminUserGlobalSignOut")
	cognito("users function sets a password", "ImplicitlyDenied", "cognito-idp:AdminSetUserPassword")
	cognito("users function lists the whole pool", "ImplicitlyDenied", "cognito-idp:ListUsers")
	cognito("users function signs in as a user", "ImplicitlyDenied", "cognito-idp:AdminInitiateAuth")
	simulate(t, cases)
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
