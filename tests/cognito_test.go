package tests

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantforge/tenantforge/infra"
	"github.com/tenantforge/tenantforge/internal/localdynamo"
	"github.com/tenantforge/tenantforge/internal/standin"
	"github.com/tenantforge/tenantforge/shared/auth"
	"github.com/tenantforge/tenantforge/shared/auth/authtest"
	"github.com/tenantforge/tenantforge/shared/registry"
	"github.com/tenantforge/tenantforge/shared/tenancy"
)

// localPool is a user pool in cognito-local, set up as the Identity
// component sets up the real one.
type localPool struct {
	cip      *cip.Client
	url      string
	poolID   string
	clientID string
}

func (p *localPool) issuer() string { return p.url + "/" + p.poolID }

func startCognito(t *testing.T) (*cip.Client, string) {
	t.Helper()
	proc, err := standin.StartCognitoLocal(context.Background(), repoRoot, t.TempDir(), 0)
	require.NoError(t, err)
	t.Cleanup(proc.Stop)
	return standin.CognitoClient(proc.URL), proc.URL
}

func newLocalPool(t *testing.T, client *cip.Client, url, name string) *localPool {
	t.Helper()
	read, write := infra.ClientAttributes()
	pool, err := standin.CreateUserPool(context.Background(), client, name, read, write)
	require.NoError(t, err)
	return &localPool{cip: client, url: url, poolID: pool.ID, clientID: pool.ClientID}
}

// signIn creates a confirmed user with the attributes and returns its ID
// and access tokens from USER_PASSWORD_AUTH.
func (p *localPool) signIn(t *testing.T, email string, attrs map[string]string) (string, string) {
	t.Helper()
	ctx := context.Background()
	list := []ciptypes.AttributeType{{Name: aws.String("email"), Value: aws.String(email)}, {Name: aws.String("email_verified"), Value: aws.String("true")}}
	for k, v := range attrs {
		list = append(list, ciptypes.AttributeType{Name: aws.String(k), Value: aws.String(v)})
	}
	_, err := p.cip.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(p.poolID), Username: aws.String(email), UserAttributes: list, MessageAction: ciptypes.MessageActionTypeSuppress})
	require.NoError(t, err)
	const password = "Correct-Horse-9-Battery"
	_, err = p.cip.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(p.poolID), Username: aws.String(email), Password: aws.String(password), Permanent: true})
	require.NoError(t, err)
	out, err := p.cip.InitiateAuth(ctx, &cip.InitiateAuthInput{
		ClientId: aws.String(p.clientID), AuthFlow: ciptypes.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": email, "PASSWORD": password},
	})
	require.NoError(t, err)
	require.NotNil(t, out.AuthenticationResult, "sign-in must not answer with a challenge here")
	return *out.AuthenticationResult.IdToken, *out.AuthenticationResult.AccessToken
}

// localRegistry is the tenant registry in the minidyn DynamoDB emulator.
func localRegistry(t *testing.T, records ...registry.Record) *registry.Store {
	t.Helper()
	l := localdynamo.Start(nil)
	t.Cleanup(l.Close)
	require.NoError(t, l.CreateRegistryTable(context.Background(), "registry"))
	store := registry.New(l.Client, "registry")
	for i := range records {
		require.NoError(t, store.Put(context.Background(), &records[i]))
	}
	return store
}

// Real tokens from a local user pool pass the authorizer; every kind of bad
// token fails it with 401 (or, for a suspended tenant, a 403 policy).
func TestAuthorizerWithCognitoLocalTokens(t *testing.T) {
	client, url := startCognito(t)
	pool := newLocalPool(t, client, url, "tenantforge-test")
	other := newLocalPool(t, client, url, "another-pool")

	store := localRegistry(t,
		registry.Record{TenantID: "acme", Name: "acme", Tier: "basic", Status: "active", APIKeyValue: "acme-api-key-0000000000001", Version: 1},
		registry.Record{TenantID: "globex", Name: "globex", Tier: "premium", Status: "suspended", APIKeyValue: "globex-api-key-00000000002", Version: 1},
	)
	clock := time.Now()
	verifier, err := auth.NewVerifier(auth.VerifierConfig{
		Issuer: pool.issuer(), ClientIDs: []string{pool.clientID}, Leeway: 5 * time.Second,
		Now: func() time.Time { return clock },
	}, auth.NewKeySet(pool.issuer()+"/.well-known/jwks.json", 30*time.Second))
	require.NoError(t, err)
	authorizer := auth.NewAuthorizer(verifier, auth.RegistryTenants{Store: store}, 0)

	userID, userAccess := pool.signIn(t, "user@acme.example", map[string]string{tenancy.ClaimTenantID: "acme", tenancy.ClaimTenantTier: "basic", tenancy.ClaimRole: "TenantUser"})
	adminID, _ := pool.signIn(t, "admin@acme.example", map[string]string{tenancy.ClaimTenantID: "acme", tenancy.ClaimTenantTier: "basic", tenancy.ClaimRole: "TenantAdmin"})
	opsID, _ := pool.signIn(t, "ops@platform.example", map[string]string{tenancy.ClaimTenantID: tenancy.SystemTenantID, tenancy.ClaimRole: "SystemAdmin"})
	suspendedID, _ := pool.signIn(t, "user@globex.example", map[string]string{tenancy.ClaimTenantID: "globex", tenancy.ClaimTenantTier: "premium", tenancy.ClaimRole: "TenantUser"})
	bareID, _ := pool.signIn(t, "nobody@acme.example", nil)
	otherPoolID, _ := other.signIn(t, "user@acme.example", map[string]string{tenancy.ClaimTenantID: "acme", tenancy.ClaimTenantTier: "basic", tenancy.ClaimRole: "TenantUser"})

	decide := func(token string) (events.APIGatewayCustomAuthorizerResponse, error) {
		return authorizer.Handle(context.Background(), events.APIGatewayCustomAuthorizerRequestTypeRequest{
			MethodArn: "arn:aws:execute-api:eu-west-1:123456789012:api/dev/GET/products",
			Headers:   map[string]string{"Authorization": "Bearer " + token},
		})
	}

	for name, tc := range map[string]struct {
		token, role, effect, key string
	}{
		"TenantUser":  {userID, "TenantUser", "Allow", "acme-api-key-0000000000001"},
		"TenantAdmin": {adminID, "TenantAdmin", "Allow", "acme-api-key-0000000000001"},
		"SystemAdmin": {opsID, "SystemAdmin", "Allow", ""},
		"suspended":   {suspendedID, "TenantUser", "Deny", ""},
	} {
		resp, err := decide(tc.token)
		require.NoError(t, err, "%s: a real token from the user pool was refused", name)
		assert.Equal(t, tc.role, resp.Context["role"], name)
		assert.Equal(t, tc.effect, resp.PolicyDocument.Statement[0].Effect, name)
		assert.Equal(t, tc.key, resp.UsageIdentifierKey, name)
	}

	parts := strings.Split(userID, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	tampered := strings.Replace(string(payload), `"acme"`, `"globex"`, 1)
	require.NotEqual(t, string(payload), tampered)
	header := func(h string) string { return base64.RawURLEncoding.EncodeToString([]byte(h)) }
	forgedKey, err := authtest.NewIssuer(pool.clientID)
	require.NoError(t, err)
	defer forgedKey.Close()
	claims := authtest.Claims{"iss": pool.issuer(), "aud": pool.clientID, "sub": "x", "token_use": "id", "exp": time.Now().Add(time.Hour).Unix(),
		"custom:tenant_id": "acme", "custom:tenant_tier": "basic", "custom:role": "TenantAdmin"}
	unknownKid, err := authtest.SignWith(claims, jwa.RS256(), forgedKey.PrivateKey(), "not-cognito-local")
	require.NoError(t, err)
	reusedKid, err := authtest.SignWith(claims, jwa.RS256(), forgedKey.PrivateKey(), "CognitoLocal")
	require.NoError(t, err)

	bad := map[string]string{
		"access token instead of ID token":   userAccess,
		"token of another user pool":         otherPoolID,
		"tampered payload":                   parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(tampered)) + "." + parts[2],
		"alg none":                           header(`{"alg":"none","typ":"JWT"}`) + "." + parts[1] + ".",
		"HS256 header":                       header(`{"alg":"HS256","kid":"CognitoLocal"}`) + "." + parts[1] + "." + parts[2],
		"signed by another key, unknown kid": unknownKid,
		"signed by another key, pool's kid":  reusedKid,
		"user without tenant claims":         bareID,
		"garbage":                            "garbage",
	}
	for name, token := range bad {
		_, err := decide(token)
		assert.EqualError(t, err, "Unauthorized", "%s must be a 401", name)
	}
	_, err = authorizer.Handle(context.Background(), events.APIGatewayCustomAuthorizerRequestTypeRequest{MethodArn: "arn:aws:execute-api:eu-west-1:123456789012:api/dev/GET/products"})
	assert.EqualError(t, err, "Unauthorized", "no Authorization header must be a 401")

	wrongClient, err := auth.NewVerifier(auth.VerifierConfig{Issuer: pool.issuer(), ClientIDs: []string{"some-other-client"}}, auth.NewKeySet(pool.issuer()+"/.well-known/jwks.json", time.Minute))
	require.NoError(t, err)
	_, err = wrongClient.Verify(context.Background(), userID)
	assert.ErrorIs(t, err, auth.ErrAudience)

	clock = time.Now().Add(25 * time.Hour) // cognito-local's ID tokens last 24 hours
	_, err = verifier.Verify(context.Background(), userID)
	assert.ErrorIs(t, err, auth.ErrExpired)
}
