package controlplane

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantforge/tenantforge/internal/localdynamo"
	"github.com/tenantforge/tenantforge/shared/httpx"
	"github.com/tenantforge/tenantforge/shared/registry"
	"github.com/tenantforge/tenantforge/shared/store"
	"github.com/tenantforge/tenantforge/shared/tenancy"
)

// faultyPool is the pooled table, with BatchWriteItem failing on demand.
type faultyPool struct {
	*dynamodb.Client
	mu   sync.Mutex
	fail bool
}

func (p *faultyPool) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	p.mu.Lock()
	fail := p.fail
	p.mu.Unlock()
	if fail {
		return nil, errors.New("ProvisionedThroughputExceededException")
	}
	return p.Client.BatchWriteItem(ctx, in, opts...)
}

type lifecycleFixture struct {
	*fixture
	router *httpx.Router
	pooled *faultyPool
	clock  *time.Time
}

// newLifecycle serves the tenants routes over cognito-local, the registry
// and a pooled table in minidyn, the counting key fake and the event fake.
// The purge's clock moves 10 s per page, so with the 20 s budget one
// DELETE purges one page of 50 items.
func newLifecycle(t *testing.T) *lifecycleFixture {
	f := newFixture(t)
	f.reg.Tiers["premium"] = TierPlan{Deployment: tenancy.DeploymentPool, UsagePlanID: "plan-premium"}
	local := localdynamo.Start(nil)
	t.Cleanup(local.Close)
	require.NoError(t, local.CreateDataTable(context.Background(), "pooled"))
	clock := time.Now()
	pool := &faultyPool{Client: local.Client}
	tenants := &Tenants{
		Registry: f.store, Users: f.dir.Directory.(*CognitoDirectory),
		Now: func() time.Time { return clock },
		Lifecycle: Lifecycle{
			Keys: f.keys, Events: f.events,
			Purger: &store.Purger{DB: pool, Table: "pooled", PageSize: 50,
				Now: func() time.Time { clock = clock.Add(10 * time.Second); return clock }},
			Tiers: map[string]string{"basic": tenancy.DeploymentPool, "premium": tenancy.DeploymentPool, "platinum": tenancy.DeploymentSilo},
			PlanIDs: func(context.Context) (map[string]string, error) {
				return map[string]string{"basic": "plan-basic", "premium": "plan-premium"}, nil
			},
			Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)),
		},
	}
	return &lifecycleFixture{fixture: f, router: tenants.Router(slog.New(slog.NewJSONHandler(io.Discard, nil))), pooled: pool, clock: &clock}
}

// do calls a tenants route as a SystemAdmin (or the role given).
func (l *lifecycleFixture) do(t *testing.T, role, method, id, body string) (int, map[string]any) {
	t.Helper()
	caller := tenancy.SystemTenantID
	if role != "SystemAdmin" {
		caller = id
	}
	resp, err := l.router.Serve(context.Background(), lambdaevents.APIGatewayProxyRequest{
		HTTPMethod: method, Resource: "/tenants/{tenantId}", Path: "/tenants/" + id, Body: body,
		PathParameters: map[string]string{"tenantId": id}, Headers: map[string]string{"Content-Type": "application/json"},
		RequestContext: lambdaevents.APIGatewayProxyRequestContext{Authorizer: map[string]any{"tenantId": caller, "role": role}},
	})
	require.NoError(t, err)
	var out map[string]any
	require.NoError(t, json.Unmarshal([]byte(resp.Body), &out), resp.Body)
	return resp.StatusCode, out
}

func code(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

// addUser creates another user of a tenant as the users routes do: in the
// tenant's user index, then in the pool.
func (l *lifecycleFixture) addUser(t *testing.T, email string, rec *registry.Record) {
	t.Helper()
	require.NoError(t, l.store.IndexUser(context.Background(), &registry.UserEntry{TenantID: rec.TenantID, Username: email, Role: "TenantUser"}))
	_, err := l.cip.AdminCreateUser(context.Background(), &cip.AdminCreateUserInput{
		UserPoolId: aws.String(l.pool.ID), Username: aws.String(email), MessageAction: ciptypes.MessageActionTypeSuppress,
		UserAttributes: []ciptypes.AttributeType{
			{Name: aws.String("email"), Value: aws.String(email)},
			{Name: aws.String(tenancy.ClaimTenantID), Value: aws.String(rec.TenantID)},
			{Name: aws.String(tenancy.ClaimTenantTier), Value: aws.String(rec.Tier)},
			{Name: aws.String(tenancy.ClaimRole), Value: aws.String("TenantUser")},
		},
	})
	require.NoError(t, err)
}

func (l *lifecycleFixture) tierOf(t *testing.T, email string) string {
	t.Helper()
	u, err := l.cip.AdminGetUser(context.Background(), &cip.AdminGetUserInput{UserPoolId: aws.String(l.pool.ID), Username: aws.String(email)})
	require.NoError(t, err)
	return attribute(u.UserAttributes, tenancy.ClaimTenantTier)
}

func (l *lifecycleFixture) exists(t *testing.T, email string) bool {
	t.Helper()
	_, err := l.cip.AdminGetUser(context.Background(), &cip.AdminGetUserInput{UserPoolId: aws.String(l.pool.ID), Username: aws.String(email)})
	var gone *ciptypes.UserNotFoundException
	if errors.As(err, &gone) {
		return false
	}
	require.NoError(t, err)
	return true
}

func (l *lifecycleFixture) seed(t *testing.T, tenantID string, n int) {
	t.Helper()
	for i := range n {
		_, err := l.pooled.Client.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String("pooled"), Item: map[string]types.AttributeValue{
			tenancy.DataPartitionKey: &types.AttributeValueMemberS{Value: tenantID},
			tenancy.DataSortKey:      &types.AttributeValueMemberS{Value: fmt.Sprintf("ORDER#%04d", i)},
		}})
		require.NoError(t, err)
	}
}

func (l *lifecycleFixture) items(t *testing.T, tenantID string) int {
	t.Helper()
	out, err := l.pooled.Client.Query(context.Background(), &dynamodb.QueryInput{
		TableName: aws.String("pooled"), KeyConditionExpression: aws.String("tenantId = :t"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":t": &types.AttributeValueMemberS{Value: tenantID}},
	})
	require.NoError(t, err)
	return len(out.Items)
}

func (l *lifecycleFixture) register(t *testing.T, name, tier string) *registry.Record {
	t.Helper()
	rec, err := l.reg.Register(context.Background(), reg(name, "admin@"+name+".example", tier))
	require.NoError(t, err)
	return rec
}

func TestPatchTierMovesTheKeyBetweenPooledPlans(t *testing.T) {
	l := newLifecycle(t)
	acme, globex := l.register(t, "acme", "basic"), l.register(t, "globex", "basic")
	l.addUser(t, "user@acme.example", acme)

	status, body := l.do(t, "SystemAdmin", "PATCH", acme.TenantID, `{"tier":"premium"}`)
	require.Equal(t, 200, status, body)
	assert.Equal(t, "premium", body["tier"])
	assert.Equal(t, "active", body["status"])
	assert.Equal(t, "plan-premium", l.keys.plan(acme.APIKeyID), "after a tier change the tenant must be throttled by the new tier's plan")
	assert.Equal(t, 1, l.keys.detaches, "the key must leave the old plan exactly once")
	assert.Equal(t, 1, l.keys.attaches, "the key must join the new plan exactly once")
	assert.Equal(t, "plan-basic", l.keys.plan(globex.APIKeyID), "another tenant's key must stay on its plan")
	for _, u := range []string{"admin@acme.example", "user@acme.example"} {
		assert.Equal(t, "premium", l.tierOf(t, u), "%s's tokens must carry the new tier from its next sign-in", u)
	}
	assert.Equal(t, "basic", l.tierOf(t, "admin@globex.example"), "another tenant's users must keep their tier")
	stored, err := l.store.Get(context.Background(), acme.TenantID)
	require.NoError(t, err)
	assert.Equal(t, "premium", stored.Tier)
	assert.Equal(t, acme.APIKeyValue, stored.APIKeyValue, "the tenant keeps its key; only its plan changes")

	status, body = l.do(t, "SystemAdmin", "PATCH", acme.TenantID, `{"tier":"premium"}`)
	require.Equal(t, 200, status, body)
	assert.Equal(t, 1, l.keys.attaches+l.keys.detaches-1, "the same change again must not move the key again")
}

func TestPatchTierFailureIsCompensatedAndRetried(t *testing.T) {
	l := newLifecycle(t)
	acme := l.register(t, "acme", "basic")
	l.keys.failAttach = "plan-premium"
	status, body := l.do(t, "SystemAdmin", "PATCH", acme.TenantID, `{"tier":"premium"}`)
	assert.Equal(t, 503, status, body)
	assert.Equal(t, "plan-basic", l.keys.plan(acme.APIKeyID), "a failed move must put the key back on the old plan, or the tenant is unthrottled")
	stored, err := l.store.Get(context.Background(), acme.TenantID)
	require.NoError(t, err)
	assert.Equal(t, "basic", stored.Tier, "a failed move must not change the record")

	l.keys.failAttach = ""
	status, body = l.do(t, "SystemAdmin", "PATCH", acme.TenantID, `{"tier":"premium"}`)
	require.Equal(t, 200, status, body)
	assert.Equal(t, "plan-premium", l.keys.plan(acme.APIKeyID))
}

func TestPatchPoolToSiloRequestsProvisioningAndSiloMovesAreRefused(t *testing.T) {
	l := newLifecycle(t)
	acme := l.register(t, "acme", "basic")
	l.events.published = nil
	status, body := l.do(t, "SystemAdmin", "PATCH", acme.TenantID, `{"tier":"platinum"}`)
	require.Equal(t, 200, status, body)
	assert.Equal(t, "provisioning", body["status"])
	assert.Equal(t, "platinum", body["tier"])
	assert.Empty(t, l.keys.plan(acme.APIKeyID), "a tenant moving to its own stack must leave the pooled usage plans")
	assert.Equal(t, []string{"TenantProvisioningRequested:acme"}, l.events.published, "the deployer must be asked to build the tenant's stack")
	assert.Equal(t, "platinum", l.tierOf(t, "admin@acme.example"))

	status, body = l.do(t, "SystemAdmin", "PATCH", acme.TenantID, `{"tier":"basic"}`)
	assert.Equal(t, 409, status)
	assert.Equal(t, "migration_required", code(body))
	assert.Contains(t, body["error"].(map[string]any)["message"], "data migration", "the refusal must say why")

	// A failed provisioning request is sent again by the same PATCH.
	initech := l.register(t, "initech", "basic")
	l.events.published, l.events.failOn = nil, "TenantProvisioningRequested"
	status, _ = l.do(t, "SystemAdmin", "PATCH", initech.TenantID, `{"tier":"platinum"}`)
	assert.Equal(t, 503, status)
	l.events.failOn = ""
	status, body = l.do(t, "SystemAdmin", "PATCH", initech.TenantID, `{"tier":"platinum"}`)
	require.Equal(t, 200, status, body)
	assert.Equal(t, []string{"TenantProvisioningRequested:initech"}, l.events.published, "a retry must complete the provisioning request")
}

func TestPatchRefusesBadInputAndOtherRoles(t *testing.T) {
	l := newLifecycle(t)
	acme := l.register(t, "acme", "basic")
	for body, want := range map[string]string{
		``:                          "invalid_body",
		`{}`:                        "invalid_request",
		`{"tier":"basic","x":1}`:    "invalid_request",
		`{"status":"active"}`:       "invalid_request",
		`{"tier":"gold"}`:           "invalid_request",
		`{"tenantName":"Not Slug"}`: "invalid_request",
		`{"tier":3}`:                "invalid_request",
	} {
		status, out := l.do(t, "SystemAdmin", "PATCH", acme.TenantID, body)
		assert.Equal(t, 400, status, "body %q must be refused", body)
		assert.Equal(t, want, code(out), "body %q", body)
	}
	_, out := l.do(t, "SystemAdmin", "PATCH", acme.TenantID, `{"tier":"gold"}`)
	assert.Equal(t, "must be one of the tiers: basic, platinum, premium", out["error"].(map[string]any)["fields"].(map[string]any)["tier"])
	status, _ := l.do(t, "TenantAdmin", "PATCH", acme.TenantID, `{"tier":"premium"}`)
	assert.Equal(t, 403, status, "a TenantAdmin must not change its own tier")
	status, _ = l.do(t, "TenantAdmin", "DELETE", acme.TenantID, "")
	assert.Equal(t, 403, status, "a TenantAdmin must not offboard its tenant")
	status, _ = l.do(t, "SystemAdmin", "PATCH", "t000000000000", `{"tier":"premium"}`)
	assert.Equal(t, 404, status)
}

func TestRenameFreesTheOldNameAndRefusesATakenOne(t *testing.T) {
	l := newLifecycle(t)
	ctx := context.Background()
	acme, globex := l.register(t, "acme", "basic"), l.register(t, "globex", "basic")

	status, body := l.do(t, "SystemAdmin", "PATCH", acme.TenantID, `{"tenantName":"acme-corp"}`)
	require.Equal(t, 200, status, body)
	assert.Equal(t, "acme-corp", body["tenantName"])
	byName, err := l.store.GetByName(ctx, "acme-corp")
	require.NoError(t, err)
	assert.Equal(t, acme.TenantID, byName.TenantID)
	_, err = l.store.GetByName(ctx, "acme")
	assert.ErrorIs(t, err, registry.ErrNotFound, "the old name must be free after a rename")

	status, body = l.do(t, "SystemAdmin", "PATCH", globex.TenantID, `{"tenantName":"acme-corp"}`)
	assert.Equal(t, 409, status)
	assert.Equal(t, "name_taken", code(body))
	still, err := l.store.Get(ctx, globex.TenantID)
	require.NoError(t, err)
	assert.Equal(t, "globex", still.Name, "a refused rename must change nothing")
	byName, err = l.store.GetByName(ctx, "globex")
	require.NoError(t, err)
	assert.Equal(t, globex.TenantID, byName.TenantID, "a refused rename must keep the old name reserved")

	status, _ = l.do(t, "SystemAdmin", "PATCH", acme.TenantID, `{"tenantName":"acme-corp"}`)
	assert.Equal(t, 200, status, "the same rename again is a no-op, not a conflict")
	newcomer, err := l.reg.Register(ctx, reg("acme", "founder@new-acme.example", "basic"))
	require.NoError(t, err, "the freed name must be free for a new registration")
	assert.NotEqual(t, acme.TenantID, newcomer.TenantID, "a freed name goes to a new tenant")
}

func TestRacingRenamesToOneNameHaveOneWinner(t *testing.T) {
	l := newLifecycle(t)
	ids := make([]string, 5)
	for i := range ids {
		ids[i] = l.register(t, fmt.Sprintf("tenant-%d", i), "basic").TenantID
	}
	statuses := make([]int, len(ids))
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i], _ = l.do(t, "SystemAdmin", "PATCH", id, `{"tenantName":"prize"}`)
		}()
	}
	wg.Wait()
	winners := 0
	for i, s := range statuses {
		if s == 200 {
			winners++
			continue
		}
		assert.Equal(t, 409, s)
		rec, err := l.store.Get(context.Background(), ids[i])
		require.NoError(t, err)
		assert.Equal(t, fmt.Sprintf("tenant-%d", i), rec.Name, "a loser must keep its name")
		_, err = l.store.GetByName(context.Background(), rec.Name)
		assert.NoError(t, err, "a loser's name must stay reserved")
	}
	assert.Equal(t, 1, winners, "exactly one of racing renames to one name may win")
	owner, err := l.store.GetByName(context.Background(), "prize")
	require.NoError(t, err)
	assert.Equal(t, "prize", owner.Name)
}

func TestOffboardingResumesAfterAPurgeFailureAndTouchesNoOtherTenant(t *testing.T) {
	l := newLifecycle(t)
	ctx := context.Background()
	acme, globex := l.register(t, "acme", "basic"), l.register(t, "globex", "basic")
	l.addUser(t, "user@acme.example", acme)
	l.addUser(t, "user@globex.example", globex)
	l.seed(t, acme.TenantID, 130)
	l.seed(t, globex.TenantID, 5)
	l.events.published = nil

	l.pooled.fail = true
	status, body := l.do(t, "SystemAdmin", "DELETE", acme.TenantID, "")
	require.Equal(t, 503, status, body)
	rec, err := l.store.Get(ctx, acme.TenantID)
	require.NoError(t, err)
	assert.Equal(t, "offboarding", rec.Status, "offboarding must be recorded first, so the authorizer refuses the tenant")
	assert.False(t, l.exists(t, "admin@acme.example"), "the tenant's users must be gone before its data")
	assert.False(t, l.exists(t, "user@acme.example"))
	_, keyLeft := l.keys.live[acme.APIKeyID]
	assert.False(t, keyLeft, "the tenant's API key must be deleted")
	assert.Equal(t, 130, l.items(t, acme.TenantID))

	l.pooled.fail = false
	var rounds []int
	for range 10 {
		status, body = l.do(t, "SystemAdmin", "DELETE", acme.TenantID, "")
		rounds = append(rounds, status)
		if status != 202 {
			break
		}
		assert.Equal(t, false, body["done"])
		assert.Equal(t, "offboarding", body["status"])
	}
	require.Equal(t, 200, status, body)
	assert.Equal(t, []int{202, 202, 202, 200}, rounds, "each DELETE purges within its time budget, then the same request resumes")
	assert.Equal(t, true, body["done"])
	assert.Equal(t, "deleted", body["status"])
	assert.NotEmpty(t, body["deletedAt"])
	assert.Zero(t, l.items(t, acme.TenantID), "an offboarded tenant's data must all be gone")
	left, _, err := l.store.ListUsers(ctx, acme.TenantID, 100, "")
	require.NoError(t, err)
	assert.Empty(t, left, "an offboarded tenant's user index must be empty")
	kept, _, err := l.store.ListUsers(ctx, globex.TenantID, 100, "")
	require.NoError(t, err)
	assert.Len(t, kept, 2, "another tenant's user index must be untouched")

	assert.Equal(t, 5, l.items(t, globex.TenantID), "another tenant's data must be untouched")
	assert.True(t, l.exists(t, "admin@globex.example"), "another tenant's users must be untouched")
	assert.True(t, l.exists(t, "user@globex.example"))
	assert.Equal(t, "plan-basic", l.keys.plan(globex.APIKeyID), "another tenant's key must be untouched")
	assert.Equal(t, []string{"TenantOffboarded:acme"}, l.events.published, "a pooled tenant has no stack to remove")

	tomb, err := l.store.Get(ctx, acme.TenantID)
	require.NoError(t, err)
	assert.Equal(t, registry.StatusDeleted, tomb.Status, "the record stays as a tombstone so the id is never reused")
	assert.Empty(t, tomb.APIKeyValue, "the tombstone keeps no key")
	_, err = l.store.GetByName(ctx, "acme")
	assert.ErrorIs(t, err, registry.ErrNotFound, "the name must be free once the tenant is deleted")

	status, _ = l.do(t, "SystemAdmin", "DELETE", acme.TenantID, "")
	assert.Equal(t, 200, status, "DELETE of a deleted tenant is done, not an error")
	for _, patch := range []string{`{"tenantName":"zombie"}`, `{"tier":"basic"}`} {
		status, body = l.do(t, "SystemAdmin", "PATCH", acme.TenantID, patch)
		assert.Equal(t, 409, status, "a deleted tenant cannot be changed (%s)", patch)
		assert.Equal(t, "invalid_state", code(body))
	}
}

func TestSiloOffboardingRequestsStackRemoval(t *testing.T) {
	l := newLifecycle(t)
	initech := l.register(t, "initech", "platinum")
	l.events.published = nil
	l.events.failOn = "TenantDeprovisioningRequested"
	status, _ := l.do(t, "SystemAdmin", "DELETE", initech.TenantID, "")
	assert.Equal(t, 503, status)
	rec, err := l.store.Get(context.Background(), initech.TenantID)
	require.NoError(t, err)
	assert.Equal(t, "offboarding", rec.Status, "without the removal request the tenant must not be marked deleted")

	l.events.failOn = ""
	status, body := l.do(t, "SystemAdmin", "DELETE", initech.TenantID, "")
	require.Equal(t, 200, status, body)
	assert.Equal(t, []string{"TenantDeprovisioningRequested:initech", "TenantOffboarded:initech"}, l.events.published,
		"a silo tenant's stack must be removed, then the offboarding announced")
}
