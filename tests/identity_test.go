package tests

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantforge/tenantforge/infra"
)

// A user who could write custom:tenant_id could move into another tenant; one
// who could write custom:role could promote themselves. The web client must
// read those claims and never write them.
func TestWebClientCannotWriteTenantOrRole(t *testing.T) {
	rec := run(t, "dev", stackConfig(t, "dev"), nil)
	client := find(t, rec, typeClient, "identity-web")
	assert.Equal(t, []any{"email", "email_verified", "name", "custom:tenant_id", "custom:tenant_tier", "custom:role"}, client.Input("readAttributes"))
	assert.Equal(t, []any{"email", "name"}, client.Input("writeAttributes"),
		"the client's write attributes must exclude custom:tenant_id, custom:tenant_tier and custom:role")
	assert.Equal(t, false, client.Input("generateSecret"), "a browser app cannot keep a client secret")
	assert.Equal(t, []any{"ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH"}, client.Input("explicitAuthFlows"))
	assert.Equal(t, map[string]any{"feature": "ENABLED", "retryGracePeriodSeconds": float64(10)}, client.Input("refreshTokenRotation"))
	assert.Equal(t, "ENABLED", client.Input("preventUserExistenceErrors"))
	assert.Equal(t, float64(60), client.Input("idTokenValidity"))
	assert.Equal(t, float64(30), client.Input("refreshTokenValidity"))
	pool := find(t, rec, typeUserPool, "identity-users")
	assert.Equal(t, pool.ID, client.Input("userPoolId"))
}

func TestUserPoolPolicy(t *testing.T) {
	rec := run(t, "dev", stackConfig(t, "dev"), nil)
	pool := find(t, rec, typeUserPool, "identity-users")
	assert.Equal(t, []any{"email"}, pool.Input("usernameAttributes"), "users sign in with their email")
	assert.Equal(t, map[string]any{
		"minimumLength": float64(12), "requireLowercase": true, "requireUppercase": true,
		"requireNumbers": true, "requireSymbols": true, "temporaryPasswordValidityDays": float64(3),
	}, pool.Input("passwordPolicy"))
	assert.Equal(t, "OPTIONAL", pool.Input("mfaConfiguration"))
	assert.Equal(t, map[string]any{"enabled": true}, pool.Input("softwareTokenMfaConfiguration"), "TOTP is the second factor")
	assert.Equal(t, map[string]any{"recoveryMechanisms": []any{map[string]any{"name": "verified_email", "priority": float64(1)}}}, pool.Input("accountRecoverySetting"))
	assert.Equal(t, map[string]any{"allowAdminCreateUserOnly": true}, pool.Input("adminCreateUserConfig"), "no self sign-up around the registration flow")
	assert.Equal(t, map[string]any{"advancedSecurityMode": "OFF"}, pool.Input("userPoolAddOns"))
	assert.Equal(t, "ESSENTIALS", pool.Input("userPoolTier"))
	schemas := pool.Input("schemas").([]any)
	require.Len(t, schemas, 3)
	var names []any
	for _, s := range schemas {
		names = append(names, s.(map[string]any)["name"])
	}
	assert.Equal(t, []any{"tenant_id", "tenant_tier", "role"}, names)

	audit := run(t, "dev", stackConfig(t, "dev", "identity", `{"advancedSecurity":"ENFORCED","idTokenMinutes":15,"refreshTokenDays":7,"authorizerCacheSeconds":30}`), nil)
	pool = find(t, audit, typeUserPool, "identity-users")
	assert.Equal(t, map[string]any{"advancedSecurityMode": "ENFORCED"}, pool.Input("userPoolAddOns"))
	assert.Equal(t, "PLUS", pool.Input("userPoolTier"), "threat protection needs the Plus tier")
	client := find(t, audit, typeClient, "identity-web")
	assert.Equal(t, float64(15), client.Input("idTokenValidity"), "token validity comes from config")
	assert.Equal(t, float64(7), client.Input("refreshTokenValidity"))
}

func TestGroupsAndSystemAdmin(t *testing.T) {
	rec := run(t, "dev", stackConfig(t, "dev"), nil)
	precedence := map[string]any{}
	for _, g := range rec.OfType(typeGroup) {
		precedence[g.Input("name").(string)] = g.Input("precedence")
	}
	assert.Equal(t, map[string]any{"SystemAdmin": float64(0), "TenantAdmin": float64(1), "TenantUser": float64(2)}, precedence)

	admin := find(t, rec, typeUser, "identity-system-admin")
	assert.Equal(t, "admin@example.com", admin.Input("username"), "the SystemAdmin comes from adminEmail")
	assert.Equal(t, map[string]any{"email": "admin@example.com", "email_verified": "true", "tenant_id": "_system", "role": "SystemAdmin"}, admin.Input("attributes"))
	membership := find(t, rec, typeUserGroup, "identity-system-admin-group")
	assert.Equal(t, "SystemAdmin", membership.Input("groupName"))

	pool := find(t, rec, typeUserPool, "identity-users")
	assert.Equal(t, "https://cognito-idp.eu-west-1.amazonaws.com/"+pool.ID, rec.Outputs[infra.OutIssuerURL])
	assert.Equal(t, "https://cognito-idp.eu-west-1.amazonaws.com/"+pool.ID+"/.well-known/jwks.json", rec.Outputs[infra.OutJwksURL])
	assert.Equal(t, pool.ID, rec.Outputs[infra.OutUserPoolID])
	assert.NotEmpty(t, rec.Outputs[infra.OutUserPoolClientID])
}
