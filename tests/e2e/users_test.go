package e2e

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantforge/tenantforge/internal/devstack"
)

// userManagement walks the users routes as tn's admin uses them (create,
// read, promote, demote, disable, enable, delete), and as a SystemAdmin
// acting on the tenant by id, checking after each change what the user's
// existing ID token may still do.
//
// What it does not prove: e-mailed temporary passwords (the suite always
// gives one), nor Cognito's own token revocation on AWS.
func userManagement(t *testing.T, c *client, s *devstack.Stack, adminToken string, tn *tenant) {
	ctx := context.Background()
	email := "clerk@" + tn.Name + ".example"
	const temp = "Temporary-Pass-2!"
	r := c.do("POST", "/users", tn.Token, map[string]any{"email": email, "role": "TenantUser", "temporaryPassword": temp})
	require.Equal(t, http.StatusCreated, r.Status, "the tenant admin must create a user: %s", r.Body)
	assert.Equal(t, "FORCE_CHANGE_PASSWORD", r.json(t)["status"], "a user created with a temporary password must change it first")
	first, err := cognitoOf(s).InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: aws.String(s.ClientID), AuthFlow: ciptypes.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": email, "PASSWORD": temp}})
	require.NoError(t, err)
	out, err := cognitoOf(s).RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ClientId: aws.String(s.ClientID), ChallengeName: first.ChallengeName,
		Session: first.Session, ChallengeResponses: map[string]string{"USERNAME": email, "NEW_PASSWORD": password}})
	require.NoError(t, err)
	token := aws.ToString(out.AuthenticationResult.IdToken)
	user := "/users/" + url.PathEscape(email)
	wait := func() { time.Sleep(authorizerTTL + 200*time.Millisecond) }

	// Bad input names the field.
	r = c.do("POST", "/users", tn.Token, map[string]any{"email": "not-an-email", "role": "TenantUser"})
	require.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Body)
	assert.Contains(t, r.json(t)["error"].(map[string]any)["fields"], "email", "the error must name the bad field")
	r = c.do("POST", "/users", tn.Token, map[string]any{"email": "boss@" + tn.Name + ".example", "role": "Boss"})
	require.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Body)
	assert.Contains(t, string(r.Body), "role", "the error must name the bad field")
	r = c.do("POST", "/users", tn.Token, map[string]any{"email": email, "role": "TenantUser"})
	assert.Equal(t, http.StatusConflict, r.Status, "creating an existing user must be a 409: %s", r.Body)
	r = c.do("GET", "/users?limit=0", tn.Token, nil)
	assert.Equal(t, http.StatusBadRequest, r.Status, "limit=0 must be a 400: %s", r.Body)

	// Roles: promote, refuse SystemAdmin, refuse changing oneself, demote.
	assert.Equal(t, http.StatusForbidden, c.do("GET", "/users", token, nil).Status, "a TenantUser listed users")
	r = c.do("PATCH", user, tn.Token, map[string]any{"role": "TenantAdmin"})
	require.Equal(t, http.StatusOK, r.Status, "promote: %s", r.Body)
	assert.Equal(t, "TenantAdmin", r.json(t)["role"])
	promoted := signIn(t, s, email, password)
	assert.Equal(t, http.StatusOK, c.do("GET", "/users", promoted, nil).Status, "a promoted user signing in again manages users")
	r = c.do("PATCH", user, tn.Token, map[string]any{"role": "SystemAdmin"})
	assert.Equal(t, http.StatusForbidden, r.Status, "a TenantAdmin granted SystemAdmin: %s", r.Body)
	assert.Equal(t, "role_not_grantable", r.code())
	r = c.do("POST", "/users", tn.Token, map[string]any{"email": "root@" + tn.Name + ".example", "role": "SystemAdmin", "temporaryPassword": temp})
	assert.Equal(t, http.StatusForbidden, r.Status, "a TenantAdmin created a SystemAdmin: %s", r.Body)
	r = c.do("PATCH", "/users/"+url.PathEscape(tn.AdminEmail), tn.Token, map[string]any{"role": "TenantUser"})
	assert.Equal(t, http.StatusForbidden, r.Status, "an admin demoted itself (and could lock its tenant out): %s", r.Body)
	assert.Equal(t, "cannot_change_self", r.code())
	r = c.do("PATCH", user, tn.Token, map[string]any{"role": "TenantUser"})
	require.Equal(t, http.StatusOK, r.Status, "demote: %s", r.Body)
	wait()
	r = c.do("GET", "/users", promoted, nil)
	assert.Equal(t, http.StatusForbidden, r.Status, "a demoted user still manages users with the token it had as an admin: %s", r.Body)

	// Disable: no sign-in, and the token it has stops working.
	assert.Equal(t, http.StatusOK, c.do("GET", "/products", token, nil).Status, "the user reads products before it is disabled")
	r = c.do("POST", user+"/disable", tn.Token, nil)
	require.Equal(t, http.StatusOK, r.Status, "disable: %s", r.Body)
	assert.Equal(t, false, r.json(t)["enabled"])
	_, err = cognitoOf(s).InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: aws.String(s.ClientID), AuthFlow: ciptypes.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": email, "PASSWORD": password}})
	assert.Error(t, err, "a disabled user signed in")
	wait()
	r = c.do("GET", "/products", token, nil)
	assert.Equal(t, http.StatusForbidden, r.Status, "a disabled user still reads the tenant's data with the token it had: %s", r.Body)
	r = c.do("POST", user+"/enable", tn.Token, nil)
	require.Equal(t, http.StatusOK, r.Status, "enable: %s", r.Body)
	token = signIn(t, s, email, password)
	assert.Equal(t, http.StatusOK, c.do("GET", "/products", token, nil).Status, "an enabled user works again")

	// A SystemAdmin acts on the tenant by id, and must name it.
	r = c.do("GET", "/users", adminToken, nil)
	assert.Equal(t, http.StatusBadRequest, r.Status, "a SystemAdmin listing users without naming the tenant: %s", r.Body)
	assert.Contains(t, r.json(t)["error"].(map[string]any)["fields"], "tenantId", "the error must name the missing parameter")
	r = c.do("GET", user+"?tenantId="+tn.ID, adminToken, nil)
	require.Equal(t, http.StatusOK, r.Status, "a SystemAdmin reads a tenant's user: %s", r.Body)
	assert.Equal(t, tn.ID, r.json(t)["tenantId"])

	// Delete: gone from the pool and the list, and its token stops working.
	before := len(c.do("GET", "/users", tn.Token, nil).json(t)["items"].([]any))
	r = c.do("DELETE", user, tn.Token, nil)
	require.Equal(t, http.StatusNoContent, r.Status, "delete: %s", r.Body)
	assert.Equal(t, http.StatusNotFound, c.do("GET", user, tn.Token, nil).Status, "a deleted user is still there")
	assert.Len(t, c.do("GET", "/users", tn.Token, nil).json(t)["items"], before-1, "a deleted user is still listed")
	_, err = s.Cognito.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(s.UserPoolID), Username: aws.String(email)})
	var gone *ciptypes.UserNotFoundException
	assert.ErrorAs(t, err, &gone, "a deleted user is still in the user pool")
	wait()
	r = c.do("GET", "/products", token, nil)
	assert.Equal(t, http.StatusForbidden, r.Status, "a deleted user still reads the tenant's data with the token it had: %s", r.Body)
}

// pageTenants lists every tenant through GET /tenants pages of limit.
func pageTenants(t *testing.T, c *client, adminToken string, limit string) []string {
	t.Helper()
	var ids []string
	next := ""
	for pages := 0; ; pages++ {
		require.Less(t, pages, 50, "GET /tenants never stopped giving a next cursor")
		path := "/tenants?limit=" + limit
		if next != "" {
			path += "&next=" + url.QueryEscape(next)
		}
		r := c.do("GET", path, adminToken, nil)
		require.Equal(t, http.StatusOK, r.Status, "listing tenants: %s", r.Body)
		var page struct {
			Items []struct{ TenantID string }
			Next  string
		}
		require.NoError(t, jsonUnmarshal(r.Body, &page))
		for _, it := range page.Items {
			ids = append(ids, it.TenantID)
		}
		if page.Next == "" {
			return ids
		}
		next = page.Next
	}
}
