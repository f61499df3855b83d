// Package e2e drives the local SaaS (internal/devstack, what `make dev`
// runs) as its clients do: over HTTP through the local API Gateway, with
// ID tokens from local Cognito. It needs `make build` (the offline plan the
// local stack is derived from) and `npm ci` (cognito-local); `make test`
// does both first.
//
// What it does not prove: that API Gateway, Cognito, STS and IAM on AWS
// behave like their local stand-ins. The stand-ins are checked against the
// behaviour the suite relies on (401 vs 403, usage plans, LeadingKeys,
// attribute write rules); the IAM policies themselves are proven by
// tests/iam_test.go.
package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantforge/tenantforge/internal/devstack"
	"github.com/tenantforge/tenantforge/internal/localdynamo"
	"github.com/tenantforge/tenantforge/internal/standin"
	"github.com/tenantforge/tenantforge/shared/auth/authtest"
	"github.com/tenantforge/tenantforge/shared/tenancy"
)

var repoRoot, _ = filepath.Abs("../..")

// authorizerTTL is the suite's authorizer cache: short, so a suspension
// shows within the test (the stack's own is up to 60 s).
const authorizerTTL = time.Second

const password = "Correct-Horse-9-Battery"

type client struct {
	t    *testing.T
	base string
	http *http.Client
}

type reply struct {
	Status int
	Body   []byte
}

func (r reply) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(r.Body, &m), "body %s", r.Body)
	return m
}

func (r reply) code() string {
	var m struct{ Error struct{ Code string } }
	_ = json.Unmarshal(r.Body, &m)
	return m.Error.Code
}

func (c *client) do(method, url, token string, body any) reply {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(c.t, err)
		rd = bytes.NewReader(b)
	}
	if !strings.HasPrefix(url, "http") {
		url = c.base + url
	}
	req, err := http.NewRequest(method, url, rd)
	require.NoError(c.t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.http.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{Status: resp.StatusCode, Body: b}
}

// tenant is a registered tenant as its admin sees it.
type tenant struct {
	ID, Name, Tier, APIURL string
	AdminEmail, Token      string
}

func startStack(t *testing.T, dataDir string) *devstack.Stack {
	t.Helper()
	if _, err := os.Stat(filepath.Join(repoRoot, "build", "lambdas", "products.zip")); err != nil {
		t.Fatalf("the local stack is derived from the offline plan, which needs the Lambda packages: run `make build` first (%v)", err)
	}
	ttl := authorizerTTL
	s, err := devstack.Start(context.Background(), devstack.Options{Dir: repoRoot, DataDir: dataDir, AuthorizerTTL: &ttl})
	require.NoError(t, err, "the local SaaS must start")
	t.Cleanup(func() {
		if t.Failed() {
			for _, a := range s.Guard.Accesses() {
				if !a.Allowed {
					t.Logf("denied: %+v", a)
				}
			}
		}
	})
	t.Cleanup(s.Close)
	return s
}

func cognitoOf(s *devstack.Stack) *cip.Client { return standin.CognitoClient(s.CognitoURL) }

func signIn(t *testing.T, s *devstack.Stack, email, pw string) string {
	t.Helper()
	out, err := cognitoOf(s).InitiateAuth(context.Background(), &cip.InitiateAuthInput{
		ClientId: aws.String(s.ClientID), AuthFlow: ciptypes.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": email, "PASSWORD": pw},
	})
	require.NoError(t, err, "%s must be able to sign in through local Cognito", email)
	require.NotNil(t, out.AuthenticationResult, "%s got a challenge (%s) instead of tokens", email, out.ChallengeName)
	return aws.ToString(out.AuthenticationResult.IdToken)
}

func register(t *testing.T, c *client, s *devstack.Stack, name, tier string) *tenant {
	t.Helper()
	email := "admin@" + name + ".example"
	r := c.do("POST", "/registrations", "", map[string]string{"tenantName": name, "adminEmail": email, "adminPassword": password, "tier": tier})
	require.Equal(t, http.StatusCreated, r.Status, "registering %s: %s", name, r.Body)
	body := r.json(t)
	tn := &tenant{ID: body["tenantId"].(string), Name: name, Tier: tier, AdminEmail: email}
	tn.Token = signIn(t, s, email, password)
	return tn
}

// tenantConfig reads the tenant's configuration until its API is the
// expected kind (a silo tenant's appears once its stack is provisioned).
func tenantConfig(t *testing.T, c *client, name string, silo bool) map[string]any {
	t.Helper()
	var cfg map[string]any
	require.Eventually(t, func() bool {
		r := c.do("GET", "/tenant-config/"+name, "", nil)
		if r.Status != http.StatusOK {
			return false
		}
		cfg = r.json(t)
		return strings.Contains(cfg["apiUrl"].(string), "/api/silo/") == silo
	}, 10*time.Second, 100*time.Millisecond, "tenant-config of %s never showed its API (silo=%v)", name, silo)
	return cfg
}

func TestLocalSaaS(t *testing.T) {
	start := time.Now()
	s := startStack(t, "")
	c := &client{t: t, base: s.APIURL, http: &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}}
	t.Logf("local SaaS up in %s at %s", time.Since(start).Round(time.Millisecond), s.URL)

	// The web app's side of the port.
	web := &client{t: t, base: s.URL, http: c.http}
	cfg := web.do("GET", "/config.json", "", nil)
	require.Equal(t, http.StatusOK, cfg.Status)
	assert.Equal(t, "/api", cfg.json(t)["apiBase"], "the web app must find the API on its own origin")
	page := web.do("GET", "/", "", nil)
	assert.Equal(t, http.StatusOK, page.Status, "the web app (or its placeholder) must be served at /")

	// Registration: validation, then two pool tenants, one silo tenant,
	// and a fourth (premium) for the load run.
	bad := c.do("POST", "/registrations", "", map[string]any{"tenantName": "Not A Slug", "adminEmail": "x@y.example", "adminPassword": password, "tier": "gold"})
	require.Equal(t, http.StatusBadRequest, bad.Status, "invalid registration must be a 400: %s", bad.Body)
	fields := bad.json(t)["error"].(map[string]any)["fields"].(map[string]any)
	assert.Contains(t, fields, "tenantName", "the error must name the bad field")
	assert.Contains(t, fields, "tier", "the error must name the bad field")
	short := c.do("POST", "/registrations", "", map[string]any{"tenantName": "shorty", "adminEmail": "x@y.example", "adminPassword": "short", "tier": "basic"})
	assert.Equal(t, http.StatusBadRequest, short.Status, "the gateway must validate the body against the definition's schema")
	assert.Equal(t, "invalid_request", short.code())

	alpha := register(t, c, s, "alpha", "basic")
	beta := register(t, c, s, "beta", "premium")
	gamma := register(t, c, s, "gamma", "platinum")
	delta := register(t, c, s, "delta", "premium")
	dup := c.do("POST", "/registrations", "", map[string]string{"tenantName": "alpha", "adminEmail": "other@alpha.example", "adminPassword": password, "tier": "basic"})
	assert.Equal(t, http.StatusConflict, dup.Status, "a taken name must be a 409")

	for _, tn := range []*tenant{alpha, beta, delta} {
		cfg := tenantConfig(t, c, tn.Name, false)
		assert.Equal(t, tn.ID, cfg["tenantId"])
		assert.Equal(t, s.APIURL, cfg["apiUrl"], "a pooled tenant uses the platform API")
		tn.APIURL = cfg["apiUrl"].(string)
	}
	gcfg := tenantConfig(t, c, "gamma", true)
	gamma.APIURL = gcfg["apiUrl"].(string)
	assert.Equal(t, s.APIURL+"/silo/"+gamma.ID, gamma.APIURL, "the silo tenant gets its own API")
	identity := gcfg["identity"].(map[string]any)
	assert.Equal(t, s.UserPoolID, identity["userPoolId"])
	assert.Equal(t, s.CognitoURL, identity["endpoint"], "clients sign in through the local Cognito endpoint")
	assert.Equal(t, http.StatusNotFound, c.do("GET", "/tenant-config/nobody", "", nil).Status)

	adminToken := signIn(t, s, s.AdminEmail, s.AdminPassword)

	var alphaProduct, alphaOrder map[string]any
	t.Run("CRUD on the pool and on the silo", func(t *testing.T) {
		for _, tn := range []*tenant{alpha, gamma} {
			c := &client{t: t, base: tn.APIURL, http: c.http}
			p := c.do("POST", "/products", tn.Token, map[string]any{"name": "Widget", "price": 1250, "sku": "W-1"})
			require.Equal(t, http.StatusCreated, p.Status, "%s: create product: %s", tn.Name, p.Body)
			product := p.json(t)
			pid := product["productId"].(string)
			got := c.do("GET", "/products/"+pid, tn.Token, nil)
			require.Equal(t, http.StatusOK, got.Status)
			assert.Equal(t, "Widget", got.json(t)["name"])
			up := c.do("PUT", "/products/"+pid, tn.Token, map[string]any{"name": "Widget Pro", "price": 1500, "version": product["version"]})
			require.Equal(t, http.StatusOK, up.Status, "%s: update product: %s", tn.Name, up.Body)
			stale := c.do("PUT", "/products/"+pid, tn.Token, map[string]any{"name": "Stale", "price": 1, "version": product["version"]})
			assert.Equal(t, http.StatusConflict, stale.Status, "%s: an update from a stale read must be refused", tn.Name)
			invalid := c.do("POST", "/products", tn.Token, map[string]any{"name": "x", "price": 12.5})
			assert.Equal(t, http.StatusBadRequest, invalid.Status, "a fractional price must be refused")

			o := c.do("POST", "/orders", tn.Token, map[string]any{"productId": pid, "quantity": 3})
			require.Equal(t, http.StatusCreated, o.Status, "%s: create order: %s", tn.Name, o.Body)
			order := o.json(t)
			assert.EqualValues(t, 4500, order["total"], "the order is priced from the product")
			oid := order["orderId"].(string)
			ou := c.do("PUT", "/orders/"+oid, tn.Token, map[string]any{"productId": pid, "quantity": 4, "version": order["version"]})
			require.Equal(t, http.StatusOK, ou.Status, "%s: update order: %s", tn.Name, ou.Body)
			list := c.do("GET", "/orders", tn.Token, nil)
			require.Equal(t, http.StatusOK, list.Status)
			assert.Len(t, list.json(t)["items"], 1)

			if tn == alpha {
				alphaProduct, alphaOrder = up.json(t), ou.json(t)
				continue
			}
			assert.Equal(t, http.StatusNoContent, c.do("DELETE", "/orders/"+oid, tn.Token, nil).Status)
			assert.Equal(t, http.StatusNotFound, c.do("GET", "/orders/"+oid, tn.Token, nil).Status, "a deleted order must be gone")
			assert.Equal(t, http.StatusNoContent, c.do("DELETE", "/products/"+pid, tn.Token, nil).Status)
			plist := c.do("GET", "/products", tn.Token, nil)
			assert.Len(t, plist.json(t)["items"], 0, "a deleted product must not be listed")
		}
	})
	require.NotNil(t, alphaProduct, "the CRUD step must leave alpha a product to attack")
	pid, oid := alphaProduct["productId"].(string), alphaOrder["orderId"].(string)

	// The victim's data, as the victim reads it; every attack must leave it so.
	victim := func() (string, string) {
		p := c.do("GET", "/products/"+pid, alpha.Token, nil)
		o := c.do("GET", "/orders/"+oid, alpha.Token, nil)
		return string(p.Body), string(o.Body)
	}
	beforeP, beforeO := victim()

	t.Run("isolation attacks", func(t *testing.T) {
		// Another tenant's ids in paths.
		for _, tc := range []struct{ method, path string }{
			{"GET", "/products/" + pid}, {"PUT", "/products/" + pid}, {"DELETE", "/products/" + pid},
			{"GET", "/orders/" + oid}, {"PUT", "/orders/" + oid}, {"DELETE", "/orders/" + oid},
		} {
			var body any
			if tc.method == "PUT" && strings.HasPrefix(tc.path, "/products") {
				body = map[string]any{"name": "pwned", "price": 0, "version": 1}
			} else if tc.method == "PUT" {
				body = map[string]any{"productId": pid, "quantity": 9999, "version": 1}
			}
			r := c.do(tc.method, tc.path, beta.Token, body)
			assert.Contains(t, []int{403, 404}, r.Status, "tenant beta reached tenant alpha's item: %s %s answered %d %s", tc.method, tc.path, r.Status, r.Body)
		}
		// Another tenant's ids in bodies: an order of alpha's product.
		r := c.do("POST", "/orders", beta.Token, map[string]any{"productId": pid, "quantity": 1})
		assert.Contains(t, []int{400, 403, 404}, r.Status, "tenant beta ordered tenant alpha's product: %d %s", r.Status, r.Body)
		// The silo API of another tenant.
		r = c.do("GET", gamma.APIURL+"/products", alpha.Token, nil)
		assert.Equal(t, http.StatusForbidden, r.Status, "a pooled tenant's key must not be accepted by a silo tenant's API: %s", r.Body)
		// Another tenant's record.
		r = c.do("GET", "/tenants/"+alpha.ID, beta.Token, nil)
		assert.Equal(t, http.StatusForbidden, r.Status, "tenant beta's admin read tenant alpha's record: %s", r.Body)
		assert.Equal(t, http.StatusOK, c.do("GET", "/tenants/"+beta.ID, beta.Token, nil).Status, "an admin reads its own tenant")

		// Forged and re-signed tokens.
		parts := strings.Split(beta.Token, ".")
		payload, err := base64.RawURLEncoding.DecodeString(parts[1])
		require.NoError(t, err)
		tampered := strings.Replace(string(payload), beta.ID, alpha.ID, 1)
		require.NotEqual(t, string(payload), tampered)
		forged := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(tampered)) + "." + parts[2]
		var claims authtest.Claims
		require.NoError(t, json.Unmarshal([]byte(tampered), &claims))
		other, err := authtest.NewIssuer(s.ClientID)
		require.NoError(t, err)
		defer other.Close()
		resigned, err := authtest.SignWith(claims, jwa.RS256(), other.PrivateKey(), "CognitoLocal")
		require.NoError(t, err)
		for name, token := range map[string]string{"tampered payload": forged, "re-signed with another key": resigned, "garbage": "abc"} {
			r := c.do("GET", "/products/"+pid, token, nil)
			assert.Equal(t, http.StatusUnauthorized, r.Status, "a %s token must be a 401, got %d %s", name, r.Status, r.Body)
			assert.Equal(t, "unauthenticated", r.code())
		}
		assert.Equal(t, http.StatusUnauthorized, c.do("GET", "/products", "", nil).Status, "no token must be a 401")

		// SystemAdmins never reach business data; tenants never reach operator routes.
		assert.Equal(t, http.StatusForbidden, c.do("GET", "/products", adminToken, nil).Status, "a SystemAdmin read tenant business data")
		assert.Equal(t, http.StatusForbidden, c.do("GET", "/tenants", alpha.Token, nil).Status, "a TenantAdmin listed all tenants")
		assert.Equal(t, http.StatusForbidden, c.do("POST", "/tenants/"+beta.ID+"/suspend", alpha.Token, nil).Status, "a TenantAdmin suspended another tenant")

		// A TenantUser, created by its admin with a temporary password.
		userEmail, userToken := tenantUser(t, c, s, alpha)
		assert.Equal(t, http.StatusOK, c.do("GET", "/products/"+pid, userToken, nil).Status, "a TenantUser reads its tenant's products")
		assert.Equal(t, http.StatusCreated, c.do("POST", "/orders", userToken, map[string]any{"productId": pid, "quantity": 1}).Status, "a TenantUser places orders")
		for _, tc := range []struct{ method, path string }{{"POST", "/products"}, {"DELETE", "/products/" + pid}, {"GET", "/tenants"}, {"POST", "/tenants/" + alpha.ID + "/suspend"},
			{"GET", "/users"}, {"POST", "/users"}, {"DELETE", "/users/" + alpha.AdminEmail}, {"PATCH", "/users/" + userEmail}} {
			r := c.do(tc.method, tc.path, userToken, map[string]any{"name": "x", "price": 1})
			assert.Equal(t, http.StatusForbidden, r.Status, "a TenantUser called the admin route %s %s: %d %s", tc.method, tc.path, r.Status, r.Body)
		}

		// A TenantAdmin acting on another tenant's users.
		userBefore := c.do("GET", "/users/"+userEmail, alpha.Token, nil)
		require.Equal(t, http.StatusOK, userBefore.Status, "alpha's admin reads its user: %s", userBefore.Body)
		for _, tc := range []struct {
			method, path string
			body         any
		}{
			{"GET", "/users/" + userEmail, nil},
			{"PATCH", "/users/" + userEmail, map[string]any{"role": "TenantAdmin"}},
			{"POST", "/users/" + userEmail + "/disable", nil},
			{"DELETE", "/users/" + userEmail, nil},
			{"GET", "/users?tenantId=" + alpha.ID, nil},
			{"POST", "/users?tenantId=" + alpha.ID, map[string]any{"email": "mole@beta.example", "role": "TenantAdmin", "temporaryPassword": "Temporary-Pass-1!"}},
		} {
			r := c.do(tc.method, tc.path, beta.Token, tc.body)
			assert.Contains(t, []int{403, 404}, r.Status, "tenant beta's admin reached tenant alpha's users: %s %s answered %d %s", tc.method, tc.path, r.Status, r.Body)
		}
		userAfter := c.do("GET", "/users/"+userEmail, alpha.Token, nil)
		assert.Equal(t, userBefore.Body, userAfter.Body, "alpha's user changed while beta's admin attacked it")
		list := c.do("GET", "/users", alpha.Token, nil)
		require.Equal(t, http.StatusOK, list.Status)
		assert.NotContains(t, string(list.Body), "mole@", "beta's admin planted a user in tenant alpha")
		assert.Len(t, list.json(t)["items"], 2, "alpha has its admin and one user")

		// A user rewriting its own tenant through Cognito.
		access := accessToken(t, s, alpha.AdminEmail)
		_, err = cognitoOf(s).UpdateUserAttributes(context.Background(), &cip.UpdateUserAttributesInput{AccessToken: aws.String(access),
			UserAttributes: []ciptypes.AttributeType{{Name: aws.String(tenancy.ClaimTenantID), Value: aws.String(beta.ID)}}})
		var notAuthorized *ciptypes.NotAuthorizedException
		assert.ErrorAs(t, err, &notAuthorized, "a user changed its own custom:tenant_id")
		_, err = cognitoOf(s).UpdateUserAttributes(context.Background(), &cip.UpdateUserAttributesInput{AccessToken: aws.String(access),
			UserAttributes: []ciptypes.AttributeType{{Name: aws.String(tenancy.ClaimRole), Value: aws.String("SystemAdmin")}}})
		assert.ErrorAs(t, err, &notAuthorized, "a user promoted itself")
		u, err := s.Cognito.AdminGetUser(context.Background(), &cip.AdminGetUserInput{UserPoolId: aws.String(s.UserPoolID), Username: aws.String(alpha.AdminEmail)})
		require.NoError(t, err)
		for _, a := range u.UserAttributes {
			if aws.ToString(a.Name) == tenancy.ClaimTenantID {
				assert.Equal(t, alpha.ID, aws.ToString(a.Value), "the user's tenant changed in the user pool")
			}
		}
		_, err = cognitoOf(s).SignUp(context.Background(), &cip.SignUpInput{ClientId: aws.String(s.ClientID), Username: aws.String("self@alpha.example"), Password: aws.String(password),
			UserAttributes: []ciptypes.AttributeType{{Name: aws.String(tenancy.ClaimTenantID), Value: aws.String(alpha.ID)}}})
		assert.ErrorAs(t, err, &notAuthorized, "self sign-up must be refused: only admins create users")

		afterP, afterO := victim()
		assert.Equal(t, beforeP, afterP, "the victim's product changed during the attacks")
		assert.Equal(t, beforeO, afterO, "the victim's order changed during the attacks")
	})

	t.Run("user management", func(t *testing.T) {
		userManagement(t, c, s, adminToken, alpha)
	})

	t.Run("tenant list", func(t *testing.T) {
		all := pageTenants(t, c, adminToken, "100")
		paged := pageTenants(t, c, adminToken, "2")
		for _, tn := range []*tenant{alpha, beta, gamma, delta} {
			assert.Contains(t, all, tn.ID, "GET /tenants left out tenant %s", tn.Name)
		}
		assert.ElementsMatch(t, all, paged, "paging GET /tenants two at a time lost or repeated tenants")
		r := c.do("GET", "/tenants?limit=0", adminToken, nil)
		assert.Equal(t, http.StatusBadRequest, r.Status, "limit=0 must be a 400: %s", r.Body)
		r = c.do("GET", "/tenants?next=garbage", adminToken, nil)
		assert.Equal(t, http.StatusBadRequest, r.Status, "a made-up cursor must be a 400, not a 5xx: %s", r.Body)
	})

	t.Run("suspend and reactivate", func(t *testing.T) {
		r := c.do("POST", "/tenants/"+alpha.ID+"/suspend", adminToken, nil)
		require.Equal(t, http.StatusOK, r.Status, "suspend: %s", r.Body)
		time.Sleep(authorizerTTL + 200*time.Millisecond)
		r = c.do("GET", "/products/"+pid, alpha.Token, nil)
		assert.Equal(t, http.StatusForbidden, r.Status, "a suspended tenant's token still works after the authorizer TTL: %s", r.Body)
		assert.Equal(t, http.StatusOK, c.do("GET", "/products", beta.Token, nil).Status, "suspending alpha must not touch beta")
		_, err := cognitoOf(s).InitiateAuth(context.Background(), &cip.InitiateAuthInput{ClientId: aws.String(s.ClientID), AuthFlow: ciptypes.AuthFlowTypeUserPasswordAuth,
			AuthParameters: map[string]string{"USERNAME": alpha.AdminEmail, "PASSWORD": password}})
		assert.Error(t, err, "a suspended tenant's users must not sign in")
		r = c.do("POST", "/tenants/"+alpha.ID+"/activate", adminToken, nil)
		require.Equal(t, http.StatusOK, r.Status, "activate: %s", r.Body)
		time.Sleep(authorizerTTL + 200*time.Millisecond)
		assert.Equal(t, http.StatusOK, c.do("GET", "/products/"+pid, alpha.Token, nil).Status, "a reactivated tenant must work again")
	})

	t.Run("usage records for SystemAdmins", func(t *testing.T) {
		r := c.do("GET", "/tenants/"+alpha.ID+"/usage?days=7", adminToken, nil)
		require.Equal(t, http.StatusOK, r.Status, "a SystemAdmin could not read a tenant's usage: %s", r.Body)
		assert.Equal(t, alpha.ID, r.json(t)["tenantId"], "the usage answer is about the tenant asked for")
		assert.Equal(t, http.StatusForbidden, c.do("GET", "/tenants/"+alpha.ID+"/usage", alpha.Token, nil).Status, "a TenantAdmin read the platform's usage records")
	})

	t.Run("noisy neighbour", func(t *testing.T) {
		// alpha is basic (10 requests/s, bursts of 20); beta is premium.
		var wg sync.WaitGroup
		var mu sync.Mutex
		noisy := map[int]int{}
		for w := 0; w < 6; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 15; i++ {
					r := c.do("GET", "/products", alpha.Token, nil)
					mu.Lock()
					noisy[r.Status]++
					mu.Unlock()
				}
			}()
		}
		quiet := map[int]int{}
		for i := 0; i < 30; i++ {
			quiet[c.do("GET", "/products", beta.Token, nil).Status]++
		}
		wg.Wait()
		t.Logf("noisy tenant (basic): %v; quiet tenant (premium): %v", noisy, quiet)
		assert.Greater(t, noisy[http.StatusTooManyRequests], 0, "a basic tenant sending 90 requests at once was never throttled")
		assert.LessOrEqual(t, noisy[http.StatusOK], 20+10*5, "the basic tenant got more than its burst and rate allow")
		assert.Equal(t, map[int]int{http.StatusOK: 30}, quiet, "the quiet tenant was affected by its noisy neighbour")
		r := c.do("GET", "/products", alpha.Token, nil)
		if r.Status == http.StatusTooManyRequests {
			assert.Equal(t, "throttled", r.code())
		}
	})

	var epsilon *tenant
	t.Run("tier changes", func(t *testing.T) {
		epsilon = tierChanges(t, c, s, adminToken, alpha)
	})

	t.Run("bounded load", func(t *testing.T) {
		load(t, c, []*tenant{beta, delta, gamma})
	})

	t.Run("offboarding", func(t *testing.T) {
		ctx := context.Background()
		db := localdynamo.NewClient(s.DynamoURL, "local")
		items := func(table, tenantID string) int {
			n := 0
			p := dynamodb.NewQueryPaginator(db, &dynamodb.QueryInput{TableName: aws.String(table), KeyConditionExpression: aws.String("tenantId = :t"),
				ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":t": &ddbtypes.AttributeValueMemberS{Value: tenantID}}})
			for p.HasMorePages() {
				page, err := p.NextPage(ctx)
				require.NoError(t, err)
				n += len(page.Items)
			}
			return n
		}
		pooled := s.Spec.PooledTable
		require.Greater(t, items(pooled, delta.ID), 100, "delta must have data to lose (the load run wrote it)")
		betaItems := items(pooled, beta.ID)
		for _, tn := range []*tenant{delta, gamma} {
			var r reply
			for i := 0; i < 20; i++ {
				if r = c.do("DELETE", "/tenants/"+tn.ID, adminToken, nil); r.Status != http.StatusAccepted {
					break
				}
			}
			require.Equal(t, http.StatusOK, r.Status, "offboarding %s: %s", tn.Name, r.Body)
			_, err := s.Cognito.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(s.UserPoolID), Username: aws.String(tn.AdminEmail)})
			var gone *ciptypes.UserNotFoundException
			assert.ErrorAs(t, err, &gone, "offboarded tenant %s still has its admin in the user pool", tn.Name)
		}
		assert.Zero(t, items(pooled, delta.ID), "an offboarded tenant's pooled items must be gone")
		assert.Equal(t, betaItems, items(pooled, beta.ID), "offboarding delta touched beta's items")
		time.Sleep(authorizerTTL + 200*time.Millisecond)
		r := c.do("GET", "/products", delta.Token, nil)
		assert.Equal(t, http.StatusForbidden, r.Status, "an offboarded tenant's token still works: %s", r.Body)
		assert.Equal(t, http.StatusNotFound, c.do("GET", "/tenant-config/delta", "", nil).Status, "an offboarded tenant must have no configuration")
		assert.Eventually(t, func() bool {
			return c.do("GET", gamma.APIURL+"/products", gamma.Token, nil).Status == http.StatusNotFound
		}, 15*time.Second, 100*time.Millisecond, "the offboarded silo tenant's API must be removed")
		_, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("tenantforge-dev-tenant-" + gamma.ID + "-data")})
		assert.Error(t, err, "the offboarded silo tenant's table must be removed")
		again := register(t, c, s, "delta", "standard")
		assert.NotEqual(t, delta.ID, again.ID, "a tenant id must never be reused")
		r = c.do("GET", "/products", again.Token, nil)
		require.Equal(t, http.StatusOK, r.Status)
		assert.Len(t, r.json(t)["items"], 0, "a new tenant with an old name must not inherit the old tenant's data")
	})

	t.Run("every data access carried the caller's tenant", func(t *testing.T) {
		requests := map[string]devstack.Request{}
		for _, r := range s.Requests.Requests() {
			requests[r.ID] = r
		}
		checked := 0
		for _, a := range s.Guard.Accesses() {
			require.True(t, a.Allowed, "the DynamoDB guard refused an access (%s %v as %s: %s): handler code tried to leave its tenant", a.Operation, a.Tables, a.Principal, a.Reason)
			if a.Principal == "platform" || a.Principal == "admin" {
				continue
			}
			req, ok := requests[a.RequestID]
			if a.Principal == "control-plane-tenants" {
				// The offboarding purge and the usage records: only the
				// partition of the tenant in the path.
				require.True(t, ok, "a tenants-function access belongs to no gateway request")
				for _, k := range a.LeadingKeys {
					require.Contains(t, []string{"/tenants/" + k, "/tenants/" + k + "/usage"}, req.Path, "%s touched partition %s", req.Path, k)
				}
				continue
			}
			require.True(t, ok, "a data access (%s by %s) belongs to no gateway request", a.Operation, a.Principal)
			require.Equal(t, req.TenantID, a.Tenant, "request %s of tenant %s used credentials of tenant %s", req.ID, req.TenantID, a.Tenant)
			for _, k := range a.LeadingKeys {
				require.Equal(t, req.TenantID, k, "request %s of tenant %s touched partition %s", req.ID, req.TenantID, k)
			}
			checked++
		}
		assert.Greater(t, checked, 1000, "the audit must have seen the run's data accesses")
		pooledIDs := []string{alpha.ID, beta.ID, delta.ID}
		if epsilon != nil {
			pooledIDs = append(pooledIDs, epsilon.ID) // pooled until its move to a silo tier
		}
		if tn, err := s.Registry.GetByName(context.Background(), "delta"); err == nil {
			pooledIDs = append(pooledIDs, tn.TenantID) // registered again after offboarding
		}
		for _, is := range s.STS.Issued {
			assert.Contains(t, pooledIDs, is.TenantID, "STS vended credentials for a tenant that made no pooled request")
			assert.Equal(t, "tenant-"+is.TenantID, is.SessionName)
		}
		t.Logf("audited %d tenant data accesses; STS vended %d sessions", checked, len(s.STS.Issued))
	})
	t.Logf("suite finished in %s", time.Since(start).Round(time.Millisecond))
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func accessToken(t *testing.T, s *devstack.Stack, email string) string {
	t.Helper()
	out, err := cognitoOf(s).InitiateAuth(context.Background(), &cip.InitiateAuthInput{ClientId: aws.String(s.ClientID), AuthFlow: ciptypes.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": email, "PASSWORD": password}})
	require.NoError(t, err)
	return aws.ToString(out.AuthenticationResult.AccessToken)
}

// tenantUser has tn's admin create a TenantUser with a temporary password
// (POST /users) and signs it in through the NEW_PASSWORD_REQUIRED challenge.
func tenantUser(t *testing.T, c *client, s *devstack.Stack, tn *tenant) (string, string) {
	t.Helper()
	ctx := context.Background()
	email := "user@" + tn.Name + ".example"
	r := c.do("POST", "/users", tn.Token, map[string]any{"email": email, "role": "TenantUser", "temporaryPassword": "Temporary-Pass-1!"})
	require.Equal(t, http.StatusCreated, r.Status, "the tenant admin must create a user: %s", r.Body)
	first, err := cognitoOf(s).InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: aws.String(s.ClientID), AuthFlow: ciptypes.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": email, "PASSWORD": "Temporary-Pass-1!"}})
	require.NoError(t, err)
	require.Equal(t, ciptypes.ChallengeNameTypeNewPasswordRequired, first.ChallengeName, "a user with a temporary password must be asked for a new one")
	out, err := cognitoOf(s).RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ClientId: aws.String(s.ClientID), ChallengeName: first.ChallengeName,
		Session: first.Session, ChallengeResponses: map[string]string{"USERNAME": email, "NEW_PASSWORD": password}})
	require.NoError(t, err)
	require.NotNil(t, out.AuthenticationResult)
	return email, aws.ToString(out.AuthenticationResult.IdToken)
}

// Load is the bounded load run's result (build/e2e-load.json).
type Load struct {
	Requests        int            `json:"requests"`
	Clients         int            `json:"clients"`
	Tenants         int            `json:"tenants"`
	Seconds         float64        `json:"seconds"`
	RequestsPerSec  float64        `json:"requestsPerSecond"`
	Writes          int            `json:"writes"`
	WritesPerSecond float64        `json:"writesPerSecond"`
	P50Ms           float64        `json:"p50Ms"`
	P99Ms           float64        `json:"p99Ms"`
	Statuses        map[string]int `json:"statuses"`
	CrossTenant     int            `json:"crossTenantReads"`
}

func load(t *testing.T, c *client, tenants []*tenant) {
	const total, clients = 2000, 8
	type own struct {
		mu  sync.Mutex
		ids []string
	}
	owned := make([]*own, len(tenants))
	for i := range owned {
		owned[i] = &own{}
	}
	var mu sync.Mutex
	var latencies []time.Duration
	statuses := map[string]int{}
	writes, cross := 0, 0
	var wg sync.WaitGroup
	started := time.Now()
	for w := 0; w < clients; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < total; i += clients {
				ti := i % len(tenants)
				tn, mine := tenants[ti], owned[ti]
				cl := &client{t: t, base: tn.APIURL, http: c.http}
				mine.mu.Lock()
				var id string
				if n := len(mine.ids); n > 0 && (i/len(tenants))%3 != 0 { // a third of each tenant's requests write
					id = mine.ids[i%n]
				}
				mine.mu.Unlock()
				t0 := time.Now()
				var r reply
				write := id == ""
				if write {
					r = cl.do("POST", "/products", tn.Token, map[string]any{"name": fmt.Sprintf("load-%d", i), "price": i})
				} else {
					r = cl.do("GET", "/products/"+id, tn.Token, nil)
				}
				d := time.Since(t0)
				foreign := false
				if r.Status == http.StatusOK || r.Status == http.StatusCreated {
					var p struct{ ProductID string }
					_ = json.Unmarshal(r.Body, &p)
					if write {
						mine.mu.Lock()
						mine.ids = append(mine.ids, p.ProductID)
						mine.mu.Unlock()
					} else if p.ProductID != id {
						foreign = true
					}
				}
				mu.Lock()
				latencies = append(latencies, d)
				statuses[fmt.Sprint(r.Status)]++
				if write && r.Status == http.StatusCreated {
					writes++
				}
				if foreign {
					cross++
				}
				mu.Unlock()
			}
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(started)
	// Any product a tenant can list must be one it created.
	for ti, tn := range tenants {
		cl := &client{t: t, base: tn.APIURL, http: c.http}
		next := ""
		for {
			path := "/products?limit=100"
			if next != "" {
				path += "&next=" + next
			}
			r := cl.do("GET", path, tn.Token, nil)
			if r.Status == http.StatusTooManyRequests {
				time.Sleep(200 * time.Millisecond)
				continue
			}
			require.Equal(t, http.StatusOK, r.Status, "listing %s: %s", tn.Name, r.Body)
			var page struct {
				Items []struct{ ProductID string }
				Next  string
			}
			require.NoError(t, json.Unmarshal(r.Body, &page))
			for _, p := range page.Items {
				if !slices.Contains(owned[ti].ids, p.ProductID) {
					cross++
				}
			}
			if page.Next == "" {
				break
			}
			next = page.Next
		}
	}
	slices.Sort(latencies)
	pct := func(p float64) float64 {
		return float64(latencies[int(p*float64(len(latencies)-1))].Microseconds()) / 1000
	}
	res := Load{Requests: total, Clients: clients, Tenants: len(tenants), Seconds: elapsed.Seconds(), RequestsPerSec: float64(total) / elapsed.Seconds(),
		Writes: writes, WritesPerSecond: float64(writes) / elapsed.Seconds(), P50Ms: pct(0.50), P99Ms: pct(0.99), Statuses: statuses, CrossTenant: cross}
	b, _ := json.MarshalIndent(res, "", "  ")
	require.NoError(t, os.MkdirAll(filepath.Join(repoRoot, "build"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(repoRoot, "build", "e2e-load.json"), append(b, '\n'), 0o644))
	t.Logf("load: %d requests, %d clients, %d tenants in %.2fs: %.0f req/s, %d writes (%.0f/s), p50 %.1f ms, p99 %.1f ms, statuses %v",
		total, clients, len(tenants), res.Seconds, res.RequestsPerSec, writes, res.WritesPerSecond, res.P50Ms, res.P99Ms, statuses)
	for code, n := range statuses {
		assert.False(t, strings.HasPrefix(code, "5"), "the load run got %d answers %s", n, code)
	}
	assert.Zero(t, cross, "a tenant read another tenant's product under load")
}

// A restart on the same data directory keeps tenants, users, keys, data
// and silo tenants' APIs (what `make dev` does after Ctrl-C).
func TestRestartKeepsTheData(t *testing.T) {
	dir := t.TempDir()
	s := startStack(t, dir)
	c := &client{t: t, base: s.APIURL, http: &http.Client{Timeout: 20 * time.Second}}
	pool := register(t, c, s, "keeper", "standard")
	silo := register(t, c, s, "vault", "platinum")
	silo.APIURL = tenantConfig(t, c, "vault", true)["apiUrl"].(string)
	ids := map[*tenant]string{}
	for _, tn := range []*tenant{pool, silo} {
		base := s.APIURL
		if tn == silo {
			base = silo.APIURL
		}
		r := c.do("POST", base+"/products", tn.Token, map[string]any{"name": "Kept", "price": 100})
		require.Equal(t, http.StatusCreated, r.Status, "%s: %s", tn.Name, r.Body)
		ids[tn] = r.json(t)["productId"].(string)
	}
	s.Close()

	s2 := startStack(t, dir)
	c.base = s2.APIURL
	require.Equal(t, s.UserPoolID, s2.UserPoolID, "a restart must keep the user pool, or every user is lost")
	for _, tn := range []*tenant{pool, silo} {
		token := signIn(t, s2, tn.AdminEmail, password)
		base := s2.APIURL
		if tn == silo {
			base = tenantConfig(t, c, "vault", true)["apiUrl"].(string)
		}
		r := c.do("GET", base+"/products/"+ids[tn], token, nil)
		assert.Equal(t, http.StatusOK, r.Status, "%s's product was lost in the restart: %s", tn.Name, r.Body)
	}
	signIn(t, s2, s2.AdminEmail, s2.AdminPassword)
}
