package controlplane

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	lambdaevents "github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	miniserver "github.com/truora/minidyn/server"

	"github.com/tenantforge/tenantforge/shared/httpx"
	"github.com/tenantforge/tenantforge/shared/registry"
	"github.com/tenantforge/tenantforge/shared/tenancy"
)

// testPool is the real cognito-local directory with faults on demand.
// cognito-local does not implement AdminUserGlobalSignOut, so SignOut
// records the call instead; that one call is the only thing not run
// against the stand-in (what it does on AWS is not proven here).
type testPool struct {
	*CognitoDirectory
	mu          sync.Mutex
	signedOut   []string
	failCreate  bool
	afterCreate func()
	ops         *opRecorder
}

// opRecorder records the user pool operations a client calls.
type opRecorder struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (r *opRecorder) add(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("recordOperation",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			r.mu.Lock()
			r.seen["cognito-idp:"+awsmiddleware.GetOperationName(ctx)] = true
			r.mu.Unlock()
			return next.HandleInitialize(ctx, in)
		}), middleware.After)
}

func (r *opRecorder) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for op := range r.seen {
		out = append(out, op)
	}
	slices.Sort(out)
	return out
}

func (p *testPool) SignOut(_ context.Context, username string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.signedOut = append(p.signedOut, username)
	return nil
}

func (p *testPool) CreateUser(ctx context.Context, u NewUser) (*PoolUser, error) {
	if p.failCreate {
		return nil, &smithy.OperationError{ServiceID: "Cognito Identity Provider", OperationName: "AdminCreateUser", Err: errors.New("TooManyRequestsException")}
	}
	user, err := p.CognitoDirectory.CreateUser(ctx, u)
	if err == nil && p.afterCreate != nil {
		p.afterCreate()
	}
	return user, err
}

// caller is who the authorizer says calls.
type caller struct {
	tenant string
	role   tenancy.Role
	sub    string
}

type usersFixture struct {
	*fixture
	router       *httpx.Router
	pool         *testPool
	acme, globex *registry.Record
	acmeAdmin    caller
	globexAdmin  caller
	system       caller
	acmeUser     caller
}

const annEmail = "ann@acme.example"

func newUsersFixture(t *testing.T) *usersFixture {
	t.Helper()
	f := newFixture(t)
	ctx := context.Background()
	acme, err := f.reg.Register(ctx, reg("acme", "admin@acme.example", "basic"))
	require.NoError(t, err)
	globex, err := f.reg.Register(ctx, reg("globex", "admin@globex.example", "basic"))
	require.NoError(t, err)
	// The users function's own client records the operations it calls.
	ops := &opRecorder{seen: map[string]bool{}}
	client := cip.New(f.cip.Options(), func(o *cip.Options) { o.APIOptions = append(o.APIOptions, ops.add) })
	pool := &testPool{CognitoDirectory: &CognitoDirectory{Client: client, UserPoolID: f.pool.ID, Index: f.store}, ops: ops}
	u := &usersFixture{
		fixture: f, pool: pool, acme: acme, globex: globex,
		router: (&Users{Registry: f.store, Pool: pool}).Router(slog.New(slog.NewJSONHandler(io.Discard, nil))),
		system: caller{tenancy.SystemTenantID, tenancy.RoleSystemAdmin, "sub-of-the-operator"},
	}
	u.acmeAdmin = caller{acme.TenantID, tenancy.RoleTenantAdmin, u.sub(t, "admin@acme.example")}
	u.globexAdmin = caller{globex.TenantID, tenancy.RoleTenantAdmin, u.sub(t, "admin@globex.example")}
	status, body := u.call(t, u.acmeAdmin, "POST", "/users", `{"email":"`+annEmail+`","role":"TenantUser","temporaryPassword":"`+password+`"}`)
	require.Equal(t, 201, status, body)
	u.acmeUser = caller{acme.TenantID, tenancy.RoleTenantUser, u.sub(t, annEmail)}
	return u
}

func (u *usersFixture) sub(t *testing.T, email string) string {
	t.Helper()
	p, err := u.pool.GetUser(context.Background(), email)
	require.NoError(t, err)
	return p.Sub
}

// call serves one request as the caller; path may carry a query.
func (u *usersFixture) call(t *testing.T, c caller, method, path, body string) (int, map[string]any) {
	t.Helper()
	parsed, err := url.Parse(path)
	require.NoError(t, err)
	query := map[string]string{}
	for k, v := range parsed.Query() {
		query[k] = v[0]
	}
	resource, params := parsed.Path, map[string]string{}
	if segs := strings.Split(strings.Trim(parsed.Path, "/"), "/"); len(segs) > 1 {
		params["username"] = segs[1]
		segs[1] = "{username}"
		resource = "/" + strings.Join(segs, "/")
	}
	resp, err := u.router.Serve(context.Background(), lambdaevents.APIGatewayProxyRequest{
		HTTPMethod: method, Resource: resource, Path: parsed.Path, PathParameters: params, QueryStringParameters: query, Body: body,
		Headers: map[string]string{"Content-Type": "application/json"},
		RequestContext: lambdaevents.APIGatewayProxyRequestContext{Authorizer: map[string]any{
			"tenantId": c.tenant, "role": string(c.role), "userId": c.sub, "tier": "basic",
		}},
	})
	require.NoError(t, err)
	var out map[string]any
	if resp.Body != "" {
		require.NoError(t, json.Unmarshal([]byte(resp.Body), &out), resp.Body)
	}
	return resp.StatusCode, out
}

// groups lists the groups a user is in (cognito-local files members by
// their internal username, so each group's member list is read).
func (u *usersFixture) groups(t *testing.T, email string) []string {
	t.Helper()
	var in []string
	for _, role := range tenancy.Roles {
		out, err := u.cip.ListUsersInGroup(context.Background(), &cip.ListUsersInGroupInput{UserPoolId: aws.String(u.fixture.pool.ID), GroupName: aws.String(string(role))})
		require.NoError(t, err)
		for _, m := range out.Users {
			if attribute(m.Attributes, "email") == email {
				in = append(in, string(role))
			}
		}
	}
	return in
}

// snapshot is everything about a user that a refused request must leave
// as it was.
type snapshot struct {
	Pool   PoolUser
	Groups []string
	Entry  *registry.UserEntry
}

func (u *usersFixture) snapshot(t *testing.T, tenantID, email string) snapshot {
	t.Helper()
	p, err := u.pool.GetUser(context.Background(), email)
	require.NoError(t, err)
	e, err := u.store.GetUser(context.Background(), tenantID, email)
	require.NoError(t, err)
	return snapshot{Pool: *p, Groups: u.groups(t, email), Entry: e}
}

func TestUserLifecycle(t *testing.T) {
	u := newUsersFixture(t)
	ctx := context.Background()
	admin := u.acmeAdmin

	// Created by newUsersFixture: a TenantUser with a temporary password.
	status, ann := u.call(t, admin, "GET", "/users/"+annEmail, "")
	require.Equal(t, 200, status, ann)
	assert.Equal(t, map[string]any{"username": annEmail, "email": annEmail, "tenantId": u.acme.TenantID, "role": "TenantUser",
		"enabled": true, "status": "FORCE_CHANGE_PASSWORD", "createdAt": ann["createdAt"]}, ann)
	p, err := u.pool.GetUser(ctx, annEmail)
	require.NoError(t, err)
	assert.Equal(t, u.acme.TenantID, p.TenantID, "custom:tenant_id must be set by the admin API")
	assert.Equal(t, "basic", p.Tier)
	assert.Equal(t, tenancy.RoleTenantUser, p.Role)
	assert.Equal(t, []string{"TenantUser"}, u.groups(t, annEmail), "the group must match the role")
	out, err := u.cip.InitiateAuth(ctx, &cip.InitiateAuthInput{
		ClientId: aws.String(u.fixture.pool.ClientID), AuthFlow: ciptypes.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": annEmail, "PASSWORD": password},
	})
	require.NoError(t, err)
	assert.Equal(t, ciptypes.ChallengeNameTypeNewPasswordRequired, out.ChallengeName, "a new user must choose a password at the first sign-in")

	// Without a temporary password the pool makes one and sends it.
	status, body := u.call(t, admin, "POST", "/users", `{"email":"Bob@Acme.example","role":"TenantAdmin"}`)
	require.Equal(t, 201, status, body)
	assert.Equal(t, "bob@acme.example", body["username"], "emails are usernames without case")
	assert.Equal(t, "FORCE_CHANGE_PASSWORD", body["status"])
	assert.Equal(t, []string{"TenantAdmin"}, u.groups(t, "bob@acme.example"))

	status, body = u.call(t, admin, "POST", "/users", `{"email":"ann@ACME.example","role":"TenantUser"}`)
	assert.Equal(t, 409, status, "a second user with one email must be refused")
	assert.Equal(t, "user_exists", code(body))

	status, list := u.call(t, admin, "GET", "/users", "")
	require.Equal(t, 200, status, list)
	var names []string
	for _, it := range list["items"].([]any) {
		names = append(names, it.(map[string]any)["username"].(string))
	}
	assert.Equal(t, []string{"admin@acme.example", annEmail, "bob@acme.example"}, names, "exactly acme's users, in username order")
	assert.Equal(t, "", list["next"])

	status, body = u.call(t, admin, "PATCH", "/users/"+annEmail, `{"role":"TenantAdmin"}`)
	require.Equal(t, 200, status, body)
	assert.Equal(t, "TenantAdmin", body["role"])
	p, err = u.pool.GetUser(ctx, annEmail)
	require.NoError(t, err)
	assert.Equal(t, tenancy.RoleTenantAdmin, p.Role, "custom:role must follow the PATCH")
	assert.Equal(t, []string{"TenantAdmin"}, u.groups(t, annEmail), "the user must leave the old role's group")
	status, body = u.call(t, admin, "PATCH", "/users/"+annEmail, `{"role":"TenantUser"}`)
	require.Equal(t, 200, status, body)
	assert.Equal(t, []string{"TenantUser"}, u.groups(t, annEmail))

	status, body = u.call(t, admin, "POST", "/users/"+annEmail+"/disable", "")
	require.Equal(t, 200, status, body)
	assert.Equal(t, false, body["enabled"])
	assert.False(t, u.enabled(t, annEmail), "a disabled user must be disabled in the pool")
	assert.Equal(t, []string{annEmail}, u.pool.signedOut, "disabling must sign the user out everywhere")
	status, body = u.call(t, admin, "POST", "/users/"+annEmail+"/enable", "")
	require.Equal(t, 200, status, body)
	assert.Equal(t, true, body["enabled"])
	assert.True(t, u.enabled(t, annEmail))

	status, _ = u.call(t, admin, "DELETE", "/users/"+url.PathEscape(annEmail), "")
	require.Equal(t, 204, status)
	_, err = u.pool.GetUser(ctx, annEmail)
	assert.ErrorIs(t, err, ErrNoSuchUser, "a deleted user must be gone from the pool")
	_, err = u.store.GetUser(ctx, u.acme.TenantID, annEmail)
	assert.ErrorIs(t, err, registry.ErrUserNotFound, "and from the index")
	status, _ = u.call(t, admin, "GET", "/users/"+annEmail, "")
	assert.Equal(t, 404, status)
	status, _ = u.call(t, admin, "DELETE", "/users/"+annEmail, "")
	assert.Equal(t, 404, status)

	// The users function's policy (infra.UsersActions, asserted exactly in
	// tests/controlplane_test.go) must allow every operation it calls;
	// AdminUserGlobalSignOut is recorded by testPool instead.
	allowed := []string{
		"cognito-idp:AdminCreateUser", "cognito-idp:AdminGetUser", "cognito-idp:AdminUpdateUserAttributes",
		"cognito-idp:AdminAddUserToGroup", "cognito-idp:AdminRemoveUserFromGroup",
		"cognito-idp:AdminDisableUser", "cognito-idp:AdminEnableUser", "cognito-idp:AdminUserGlobalSignOut",
		"cognito-idp:AdminDeleteUser",
	}
	for _, op := range u.pool.ops.list() {
		assert.Contains(t, allowed, op, "the users function calls %s, which its IAM policy does not allow: it would fail on AWS", op)
	}
	assert.Len(t, u.pool.ops.list(), 8, "every user pool action of the policy but the sign-out is used: %v", u.pool.ops.list())
}

func TestUserListPages(t *testing.T) {
	u := newUsersFixture(t)
	for _, e := range []string{"c@acme.example", "d@acme.example"} {
		status, body := u.call(t, u.acmeAdmin, "POST", "/users", `{"email":"`+e+`","role":"TenantUser"}`)
		require.Equal(t, 201, status, body)
	}
	var names []string
	next, pages := "", 0
	for {
		status, body := u.call(t, u.system, "GET", "/users?tenantId="+u.acme.TenantID+"&limit=3&next="+next, "")
		require.Equal(t, 200, status, body)
		pages++
		for _, it := range body["items"].([]any) {
			names = append(names, it.(map[string]any)["username"].(string))
		}
		if next = body["next"].(string); next == "" {
			break
		}
	}
	assert.Equal(t, 2, pages)
	assert.Equal(t, []string{"admin@acme.example", annEmail, "c@acme.example", "d@acme.example"}, names)

	_, first := u.call(t, u.acmeAdmin, "GET", "/users?limit=1", "")
	cursor := first["next"].(string)
	status, body := u.call(t, u.globexAdmin, "GET", "/users?next="+cursor, "")
	assert.Equal(t, 400, status, "acme's cursor must not page globex's users")
	assert.Equal(t, "invalid_cursor", code(body))
	for _, limit := range []string{"0", "101", "x"} {
		status, body = u.call(t, u.acmeAdmin, "GET", "/users?limit="+limit, "")
		assert.Equal(t, 400, status)
		assert.Contains(t, body["error"].(map[string]any)["fields"], "limit")
	}
}

func TestUserInputIsValidated(t *testing.T) {
	u := newUsersFixture(t)
	status, body := u.call(t, u.acmeAdmin, "POST", "/users", `{"email":"nope","role":"Boss","temporaryPassword":"short"}`)
	require.Equal(t, 400, status, body)
	assert.Equal(t, []string{"email", "role", "temporaryPassword"}, sortedKeys(body["error"].(map[string]any)["fields"].(map[string]any)), "every bad field is named")
	status, body = u.call(t, u.acmeAdmin, "POST", "/users", `{"email":"x@acme.example","role":"TenantUser","tenantId":"globex"}`)
	assert.Equal(t, 400, status, "the tenant is never taken from the body")
	assert.Contains(t, body["error"].(map[string]any)["fields"], "tenantId")
	status, body = u.call(t, u.acmeAdmin, "PATCH", "/users/"+annEmail, `{"role":"TenantAdmin","email":"other@acme.example"}`)
	assert.Equal(t, 400, status, "PATCH changes the role only")
	assert.Contains(t, body["error"].(map[string]any)["fields"], "email")
	status, body = u.call(t, u.system, "GET", "/users", "")
	assert.Equal(t, 400, status, "a SystemAdmin must name the tenant")
	assert.Contains(t, body["error"].(map[string]any)["fields"].(map[string]any)["tenantId"], "?tenantId=")
	assert.Len(t, u.indexed(t), 3, "no refused request may add an index entry (two admins and ann)")
}

func sortedKeys(m map[string]any) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Every role/tenant combination that must be refused, and the victim
// (acme's TenantUser ann) unchanged afterwards. Not proven here: that the
// authorizer's policy refuses the same requests before they reach the
// function (shared/auth tests that), nor the same against real Cognito.
func TestUserRefusals(t *testing.T) {
	u := newUsersFixture(t)
	victim := "/users/" + annEmail
	other := "?tenantId=" + u.acme.TenantID
	type refusal struct {
		name         string
		who          caller
		method, path string
		body         string
		status       int
		code         string
	}
	var cases []refusal
	routes := []struct{ method, path, body string }{
		{"GET", "/users", ""},
		{"POST", "/users", `{"email":"eve@acme.example","role":"TenantAdmin"}`},
		{"GET", victim, ""},
		{"PATCH", victim, `{"role":"TenantAdmin"}`},
		{"DELETE", victim, ""},
		{"POST", victim + "/disable", ""},
		{"POST", victim + "/enable", ""},
	}
	for _, r := range routes {
		cases = append(cases,
			refusal{"a TenantUser calls " + r.method + " " + r.path, u.acmeUser, r.method, r.path, r.body, 403, "forbidden"},
			refusal{"globex's admin names acme and calls " + r.method + " " + r.path, u.globexAdmin, r.method, r.path + other, r.body, 404, "not_found"},
		)
		if strings.HasPrefix(r.path, victim) { // (GET and POST /users act on globex itself)
			cases = append(cases, refusal{"globex's admin calls " + r.method + " " + r.path, u.globexAdmin, r.method, r.path, r.body, 404, "not_found"})
		}
	}
	cases = append(cases,
		refusal{"acme's admin grants SystemAdmin to a new user", u.acmeAdmin, "POST", "/users", `{"email":"eve@acme.example","role":"SystemAdmin"}`, 403, "role_not_grantable"},
		refusal{"acme's admin grants SystemAdmin to ann", u.acmeAdmin, "PATCH", victim, `{"role":"SystemAdmin"}`, 403, "role_not_grantable"},
		refusal{"a SystemAdmin grants SystemAdmin to ann", u.system, "PATCH", victim + other, `{"role":"SystemAdmin"}`, 403, "role_not_grantable"},
		refusal{"acme's admin demotes itself", u.acmeAdmin, "PATCH", "/users/admin@acme.example", `{"role":"TenantUser"}`, 403, "cannot_change_self"},
		refusal{"acme's admin disables itself", u.acmeAdmin, "POST", "/users/admin@acme.example/disable", "", 403, "cannot_change_self"},
		refusal{"acme's admin deletes itself", u.acmeAdmin, "DELETE", "/users/admin@acme.example", "", 403, "cannot_change_self"},
		refusal{"acme's admin takes globex's admin's email", u.acmeAdmin, "POST", "/users", `{"email":"admin@globex.example","role":"TenantUser"}`, 409, "user_exists"},
		refusal{"acme's admin reads globex's admin", u.acmeAdmin, "GET", "/users/admin@globex.example", "", 404, "not_found"},
		refusal{"acme's admin disables globex's admin", u.acmeAdmin, "POST", "/users/admin@globex.example/disable", "", 404, "not_found"},
		refusal{"acme's admin deletes globex's admin", u.acmeAdmin, "DELETE", "/users/admin@globex.example", "", 404, "not_found"},
		refusal{"acme's admin reaches ann by her sub", u.acmeAdmin, "GET", "/users/" + u.acmeUser.sub, "", 404, "not_found"},
		refusal{"a SystemAdmin names an unknown tenant", u.system, "GET", "/users?tenantId=t000000000000", "", 404, "not_found"},
		refusal{"a SystemAdmin names the operators' tenant", u.system, "GET", "/users?tenantId=" + tenancy.SystemTenantID, "", 404, "not_found"},
	)

	before := u.snapshot(t, u.acme.TenantID, annEmail)
	acmeAdmin := u.snapshot(t, u.acme.TenantID, "admin@acme.example")
	globexAdmin := u.snapshot(t, u.globex.TenantID, "admin@globex.example")
	indexed := u.indexed(t)
	for _, c := range cases {
		status, body := u.call(t, c.who, c.method, c.path, c.body)
		assert.Equal(t, c.status, status, "%s: must be refused (%v)", c.name, body)
		assert.Equal(t, c.code, code(body), c.name)
	}
	assert.Equal(t, before, u.snapshot(t, u.acme.TenantID, annEmail), "a refused request changed acme's user ann")
	assert.Equal(t, acmeAdmin, u.snapshot(t, u.acme.TenantID, "admin@acme.example"), "a refused request changed acme's admin")
	assert.Equal(t, globexAdmin, u.snapshot(t, u.globex.TenantID, "admin@globex.example"), "a refused request changed globex's admin")
	assert.Equal(t, indexed, u.indexed(t), "a refused request changed a tenant's user index")
	assert.Empty(t, u.pool.signedOut, "a refused request signed someone out")
	_, err := u.pool.GetUser(context.Background(), "eve@acme.example")
	assert.ErrorIs(t, err, ErrNoSuchUser, "a refused create left a user in the pool")

	// The same routes work for the right caller: a SystemAdmin on acme.
	status, body := u.call(t, u.system, "PATCH", victim+other, `{"role":"TenantAdmin"}`)
	assert.Equal(t, 200, status, body)
	status, body = u.call(t, u.system, "POST", "/users"+other, `{"email":"eve@acme.example","role":"TenantUser"}`)
	assert.Equal(t, 201, status, body)
	assert.Equal(t, u.acme.TenantID, body["tenantId"])
}

// A suspended tenant's users cannot be changed (the authorizer refuses its
// admins anyway; this is a SystemAdmin's request).
func TestUsersOfASuspendedTenantDoNotChange(t *testing.T) {
	u := newUsersFixture(t)
	tenants := (&Tenants{Registry: u.store, Users: u.pool.CognitoDirectory}).Router(slog.New(slog.NewJSONHandler(io.Discard, nil)))
	status, body := call(t, tenants, tenancy.SystemTenantID, "SystemAdmin", "POST", "/tenants/{tenantId}/suspend", "/tenants/"+u.acme.TenantID+"/suspend")
	require.Equal(t, 200, status, body)
	status, body = u.call(t, u.system, "POST", "/users/"+annEmail+"/enable?tenantId="+u.acme.TenantID, "")
	assert.Equal(t, 409, status, "enabling a user of a suspended tenant would undo the suspension")
	assert.Equal(t, "invalid_state", code(body))
	assert.False(t, u.enabled(t, annEmail))
	status, _ = u.call(t, u.system, "GET", "/users/"+annEmail+"?tenantId="+u.acme.TenantID, "")
	assert.Equal(t, 200, status, "reading stays possible")
}

// Suspension walks the tenant's index; activation keeps users their
// admin disabled disabled.
func TestSuspendAndActivateKeepTheAdminsChoice(t *testing.T) {
	u := newUsersFixture(t)
	status, body := u.call(t, u.acmeAdmin, "POST", "/users", `{"email":"bob@acme.example","role":"TenantUser"}`)
	require.Equal(t, 201, status, body)
	status, body = u.call(t, u.acmeAdmin, "POST", "/users/bob@acme.example/disable", "")
	require.Equal(t, 200, status, body)

	tenants := (&Tenants{Registry: u.store, Users: u.pool.CognitoDirectory}).Router(slog.New(slog.NewJSONHandler(io.Discard, nil)))
	status, body = call(t, tenants, tenancy.SystemTenantID, "SystemAdmin", "POST", "/tenants/{tenantId}/suspend", "/tenants/"+u.acme.TenantID+"/suspend")
	require.Equal(t, 200, status, body)
	for _, e := range []string{"admin@acme.example", annEmail, "bob@acme.example"} {
		assert.False(t, u.enabled(t, e), "suspending acme must disable %s", e)
	}
	assert.True(t, u.enabled(t, "admin@globex.example"), "suspending acme must not touch globex")
	status, body = call(t, tenants, tenancy.SystemTenantID, "SystemAdmin", "POST", "/tenants/{tenantId}/activate", "/tenants/"+u.acme.TenantID+"/activate")
	require.Equal(t, 200, status, body)
	assert.True(t, u.enabled(t, "admin@acme.example"))
	assert.True(t, u.enabled(t, annEmail))
	assert.False(t, u.enabled(t, "bob@acme.example"), "activating the tenant must not re-enable a user its admin disabled")
}

// A failure at any step of a creation leaves neither a pool user without
// an index entry nor an index entry without a pool user.
func TestUserCreationFailuresAreCompensated(t *testing.T) {
	t.Run("the pool refuses", func(t *testing.T) {
		u := newUsersFixture(t)
		indexed := u.indexed(t)
		u.pool.failCreate = true
		status, body := u.call(t, u.acmeAdmin, "POST", "/users", `{"email":"eve@acme.example","role":"TenantUser"}`)
		assert.Equal(t, 503, status, body)
		assert.Equal(t, indexed, u.indexed(t), "the index entry must be removed again")
		u.pool.failCreate = false
		status, body = u.call(t, u.acmeAdmin, "POST", "/users", `{"email":"eve@acme.example","role":"TenantUser"}`)
		assert.Equal(t, 201, status, body)
	})
	t.Run("the registry fails after the pool created the user", func(t *testing.T) {
		u := newUsersFixture(t)
		indexed := u.indexed(t)
		u.pool.afterCreate = func() { u.db.EmulateFailure(miniserver.FailureConditionInternalServerError) }
		status, body := u.call(t, u.acmeAdmin, "POST", "/users", `{"email":"eve@acme.example","role":"TenantUser"}`)
		u.db.EmulateFailure(miniserver.FailureConditionNone)
		u.pool.afterCreate = nil
		assert.Equal(t, 503, status, body)
		_, err := u.pool.GetUser(context.Background(), "eve@acme.example")
		assert.ErrorIs(t, err, ErrNoSuchUser, "a user the index could not confirm must be deleted again: no orphan")
		// The entry written before the pool stays (the registry was down);
		// the same request takes it over.
		status, body = u.call(t, u.acmeAdmin, "POST", "/users", `{"email":"eve@acme.example","role":"TenantUser"}`)
		require.Equal(t, 201, status, body)
		want := append(slices.Clone(indexed), u.acme.TenantID+"/eve@acme.example")
		slices.Sort(want)
		assert.Equal(t, want, u.indexed(t), "exactly one entry for the user created on the retry")
	})
	t.Run("another tenant's email", func(t *testing.T) {
		u := newUsersFixture(t)
		indexed := u.indexed(t)
		status, _ := u.call(t, u.acmeAdmin, "POST", "/users", `{"email":"admin@globex.example","role":"TenantUser"}`)
		assert.Equal(t, 409, status)
		assert.Equal(t, indexed, u.indexed(t), "the refused entry must be removed")
		p, err := u.pool.GetUser(context.Background(), "admin@globex.example")
		require.NoError(t, err)
		assert.Equal(t, u.globex.TenantID, p.TenantID, "globex's admin must stay globex's")
	})
}
