package devstack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantforge/tenantforge/infra"
	"github.com/tenantforge/tenantforge/shared/controlplane"
	"github.com/tenantforge/tenantforge/shared/registry"
	"github.com/tenantforge/tenantforge/shared/tenancy"
)

var repoRoot, _ = filepath.Abs("../..")

// The local stack creates what the program creates: read from the plan,
// not from a list of its own. (Needs `make build`, as the plan does.)
func TestSpecIsReadFromTheProgram(t *testing.T) {
	s, err := LoadSpec(repoRoot, "dev", infra.Artifacts{Dir: filepath.Join(repoRoot, infra.DefaultArtifactsDir)})
	require.NoError(t, err)
	read, write := infra.ClientAttributes()
	assert.Equal(t, read, s.Pool.ReadAttrs, "the local app client must read what the real one reads")
	assert.Equal(t, write, s.Pool.WriteAttrs, "the local app client must write only what the real one writes")
	assert.True(t, s.Pool.AdminOnly, "self sign-up must be off, as in the real pool")
	var groups []string
	for _, g := range s.Pool.Groups {
		groups = append(groups, g.Name)
	}
	assert.Equal(t, []string{"SystemAdmin", "TenantAdmin", "TenantUser"}, groups)
	assert.Equal(t, "tenantforge-dev-registry", s.RegistryTable)
	assert.Equal(t, "tenantforge-dev-pooled-data", s.PooledTable)
	assert.Len(t, s.Tables, 3, "the platform stack has three tables: registry, pooled data, tenant usage")
	assert.Equal(t, "tenantforge-dev-usage-records", s.UsageTable)
	assert.Equal(t, tenancy.SystemTenantID, s.Admin.Attributes[tenancy.ClaimTenantID])
	assert.Equal(t, "SystemAdmin", s.Admin.Attributes[tenancy.ClaimRole])
	assert.Equal(t, []string{"SystemAdmin"}, s.Admin.Groups)
	basic := s.Plans[s.PlanIDs["basic"]]
	assert.Equal(t, Limits{Tier: "basic", Rate: 10, Burst: 20, QuotaPerDay: 10000}, basic, "the basic tier's usage plan")

	silo, err := s.PlanSilo("acme", "acme", "platinum")
	require.NoError(t, err)
	assert.Equal(t, "tenantforge-dev-tenant-acme-data", silo.Table.Name)
	assert.Equal(t, tenancy.DataPartitionKey, silo.Table.HashKey)
	assert.Equal(t, 1000.0, silo.Limits.Rate)
}

func TestPolicyEvaluation(t *testing.T) {
	arn := "arn:aws:execute-api:eu-west-1:123456789012:api1/api/GET/tenants/acme"
	allow := func(res ...string) events.APIGatewayCustomAuthorizerPolicy {
		return events.APIGatewayCustomAuthorizerPolicy{Statement: []events.IAMPolicyStatement{{Action: []string{"execute-api:Invoke"}, Effect: "Allow", Resource: res}}}
	}
	assert.True(t, allowed(allow("arn:aws:execute-api:eu-west-1:123456789012:api1/api/GET/tenants/acme"), arn))
	assert.True(t, allowed(allow("arn:aws:execute-api:eu-west-1:123456789012:api1/api/GET/tenants/*"), arn))
	assert.False(t, allowed(allow("arn:aws:execute-api:eu-west-1:123456789012:api1/api/GET/tenants/other"), arn), "a policy pinned to another tenant let the caller in")
	assert.False(t, allowed(allow("arn:aws:execute-api:eu-west-1:123456789012:api1/api/POST/*"), arn))
	deny := allow("arn:aws:execute-api:eu-west-1:123456789012:api1/api/*")
	deny.Statement = append(deny.Statement, events.IAMPolicyStatement{Action: []string{"execute-api:Invoke"}, Effect: "Deny", Resource: []string{"*"}})
	assert.False(t, allowed(deny, arn), "an explicit deny must win")
	assert.False(t, allowed(events.APIGatewayCustomAuthorizerPolicy{}, arn), "no statement is no access")
}

func TestUsagePlanThrottlesPerKey(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	k := newKeys(map[string]Limits{"p": {Rate: 2, Burst: 3, QuotaPerDay: 6}})
	k.now = func() time.Time { return now }
	_, a, err := k.Create(context.Background(), "a", "p")
	require.NoError(t, err)
	_, b, err := k.Create(context.Background(), "b", "p")
	require.NoError(t, err)
	anyPlan := func(string) bool { return true }
	for i := 0; i < 3; i++ {
		_, err := k.Admit(a, anyPlan)
		require.NoError(t, err, "request %d is within the burst", i)
	}
	_, err = k.Admit(a, anyPlan)
	assert.ErrorIs(t, err, ErrThrottled, "the fourth request at once exceeds a burst of 3")
	_, err = k.Admit(b, anyPlan)
	assert.NoError(t, err, "another key must not pay for the first one's burst")
	now = now.Add(time.Second) // two more tokens at 2 per second
	for i := 0; i < 2; i++ {
		_, err := k.Admit(a, anyPlan)
		require.NoError(t, err)
	}
	_, err = k.Admit(a, anyPlan)
	assert.ErrorIs(t, err, ErrThrottled)
	now = now.Add(10 * time.Second)
	_, err = k.Admit(a, anyPlan)
	assert.NoError(t, err, "the sixth request of the day is within the quota")
	_, err = k.Admit(a, anyPlan)
	assert.ErrorIs(t, err, ErrQuotaExceeded, "the seventh exceeds a daily quota of 6")
	now = now.Add(24 * time.Hour)
	_, err = k.Admit(a, anyPlan)
	assert.NoError(t, err, "the quota must reset the next day")
	_, err = k.Admit(a, func(string) bool { return false })
	assert.ErrorIs(t, err, ErrInvalidKey, "a key on none of the API's plans must be refused")
	_, err = k.Admit("nope", anyPlan)
	assert.ErrorIs(t, err, ErrInvalidKey)
}

func TestGuardEnforcesLeadingKeys(t *testing.T) {
	s := newSTS("arn:role")
	out, err := s.AssumeRole(context.Background(), &sts.AssumeRoleInput{RoleArn: aws.String("arn:role"), DurationSeconds: aws.Int32(900),
		Tags: []ststypes.Tag{{Key: aws.String("tenant_id"), Value: aws.String("acme")}}})
	require.NoError(t, err)
	key := aws.ToString(out.Credentials.AccessKeyId)
	_, err = s.AssumeRole(context.Background(), &sts.AssumeRoleInput{RoleArn: aws.String("arn:role")})
	assert.Error(t, err, "a session without the tenant tag must be refused")
	g := newGuard(s, "registry", "pooled", "usage", nil)
	g.addSilo("silo-table", "vault")
	decide := func(key string, req ddbRequest) Access {
		var a Access
		g.check(key, &req, &a)
		return a
	}
	sv := func(v string) []byte { return []byte(`{"S":"` + v + `"}`) }
	own := decide(key, ddbRequest{TableName: "pooled", Key: map[string]json.RawMessage{"tenantId": sv("acme"), "sk": sv("PRODUCT#1")}})
	assert.True(t, own.Allowed, own.Reason)
	assert.Equal(t, "acme", own.Tenant)
	other := decide(key, ddbRequest{TableName: "pooled", Key: map[string]json.RawMessage{"tenantId": sv("globex")}})
	assert.False(t, other.Allowed, "a tenant session read another tenant's item")
	query := decide(key, ddbRequest{TableName: "pooled", KeyConditionExpression: "(#0 = :0) AND (begins_with (#1, :1))",
		ExpressionAttributeNames: map[string]string{"#0": "tenantId", "#1": "sk"}, ExpressionAttributeValues: map[string]json.RawMessage{":0": sv("globex"), ":1": sv("P")}})
	assert.False(t, query.Allowed, "a tenant session queried another tenant's partition")
	scan := decide(key, ddbRequest{TableName: "pooled"})
	assert.False(t, scan.Allowed, "a tenant session scanned the pooled table")
	reg := decide(key, ddbRequest{TableName: "registry", Key: map[string]json.RawMessage{"pk": sv("acme")}})
	assert.False(t, reg.Allowed, "a tenant session reached the registry")
	tx := decide(key, ddbRequest{TransactItems: []map[string]ddbRequest{{"Put": {TableName: "pooled", Item: map[string]json.RawMessage{"tenantId": sv("acme")}}}, {"ConditionCheck": {TableName: "pooled", Key: map[string]json.RawMessage{"tenantId": sv("globex")}}}}})
	assert.False(t, tx.Allowed, "a transaction touching another tenant must be refused whole")
	assert.False(t, decide("platform", ddbRequest{TableName: "pooled", Key: map[string]json.RawMessage{"tenantId": sv("acme")}}).Allowed, "the control plane read tenant data")
	assert.True(t, decide("platform", ddbRequest{TableName: "registry", Key: map[string]json.RawMessage{"pk": sv("TENANT#acme")}}).Allowed)
	assert.True(t, decide("silo-vault", ddbRequest{TableName: "silo-table", Key: map[string]json.RawMessage{"tenantId": sv("vault")}}).Allowed)
	assert.False(t, decide("silo-vault", ddbRequest{TableName: "pooled", Key: map[string]json.RawMessage{"tenantId": sv("vault")}}).Allowed, "a silo function reached the pooled table")
	assert.False(t, decide("ASIAFORGED", ddbRequest{TableName: "pooled"}).Allowed, "unknown keys must be refused")

	// The tenants function's offboarding purge: key-only queries and deletes.
	purge := func(op string, req ddbRequest) Access {
		a := Access{Operation: op}
		g.check(TenantsKey, &req, &a)
		return a
	}
	keysQuery := ddbRequest{TableName: "pooled", Select: "SPECIFIC_ATTRIBUTES", ProjectionExpression: "#0, #1", KeyConditionExpression: "#0 = :0",
		ExpressionAttributeNames: map[string]string{"#0": "tenantId", "#1": "sk"}, ExpressionAttributeValues: map[string]json.RawMessage{":0": sv("acme")}}
	assert.True(t, purge("Query", keysQuery).Allowed, "the purge finds item keys")
	full := keysQuery
	full.ProjectionExpression, full.Select = "", "ALL_ATTRIBUTES"
	assert.False(t, purge("Query", full).Allowed, "the tenants function read tenant business data")
	assert.False(t, purge("GetItem", ddbRequest{TableName: "pooled", Key: map[string]json.RawMessage{"tenantId": sv("acme")}}).Allowed, "the tenants function read an item")
	var batch ddbRequest
	require.NoError(t, json.Unmarshal([]byte(`{"RequestItems":{"pooled":[{"DeleteRequest":{"Key":{"tenantId":{"S":"acme"},"sk":{"S":"PRODUCT#1"}}}}]}}`), &batch))
	del := purge("BatchWriteItem", batch)
	assert.True(t, del.Allowed, del.Reason)
	assert.Equal(t, []string{"acme"}, del.LeadingKeys, "the batch's partition keys are recorded")
}

func TestPIDFileRefusesALiveOwnerAndTakesOverFromADeadOne(t *testing.T) {
	f := PIDFile(filepath.Join(t.TempDir(), "dev.pid"))
	require.NoError(t, f.write(pidRecord{PID: 1 << 22})) // no such process
	require.NoError(t, f.Claim(), "a stale pid file must not block a new run")
	rec, err := f.read()
	require.NoError(t, err)
	assert.Equal(t, pidRecord{PID: os.Getpid()}, rec)

	// A live owner that is a `make dev` is refused with what to do.
	owner := exec.Command("sh", "-c", "sleep 10", "cmd-dev")
	require.NoError(t, owner.Start())
	defer func() { _ = owner.Process.Kill(); _ = owner.Wait() }()
	require.NoError(t, f.write(pidRecord{PID: owner.Process.Pid}))
	assert.ErrorContains(t, f.Claim(), "already running", "a second make dev must not take over a live one")
	require.NoError(t, f.write(pidRecord{PID: os.Getpid()}))
	f.Release()
	_, err = f.read()
	assert.True(t, errors.Is(err, os.ErrNotExist), "Release must remove the file")
}

// API Gateway keeps a key on one usage plan per stage: attaching it to a
// second is a ConflictException until it is detached from the first. The
// stand-in must refuse too, or a tier change that lost a race moves the
// key under the winner's feet (record: standard, key: premium) locally
// while AWS would refuse it.
func TestKeysRefuseASecondPlanAsAPIGatewayDoes(t *testing.T) {
	ctx := context.Background()
	k := newKeys(map[string]Limits{"basic": {Rate: 1, Burst: 1}, "premium": {Rate: 9, Burst: 9}})
	id, _, err := k.Create(ctx, "acme", "basic")
	require.NoError(t, err)
	require.NoError(t, k.Attach(ctx, id, "basic"), "attaching a key to the plan it is on is success")
	err = k.Attach(ctx, id, "premium")
	require.Error(t, err, "a key on basic was moved to premium without leaving basic: a racing tier change would silently win locally and fail on AWS")
	assert.Contains(t, err.Error(), "ConflictException")
	assert.Equal(t, "basic", k.byID[id].plan, "a refused attach moved the key")
	require.NoError(t, k.Detach(ctx, id, "basic"))
	require.NoError(t, k.Attach(ctx, id, "premium"), "off one plan, the key goes on another")
	assert.Equal(t, "premium", k.byID[id].plan)
}

// Provisioning events are at least once and run after the request that
// sent them: one that arrives after the tenant was offboarded (or moved
// on) must not bring it back. Only a silo tenant that is provisioning is
// provisioned. (Needs `make build` and `npm ci`, as the local stack does.)
func TestLateProvisioningDoesNotReviveAnOffboardedTenant(t *testing.T) {
	ctx := context.Background()
	s, err := Start(ctx, Options{Dir: repoRoot})
	require.NoError(t, err)
	t.Cleanup(s.Close)
	for i, status := range []string{registry.StatusDeleted, registry.StatusOffboarding} {
		id := fmt.Sprintf("tlate%07d", i)
		rec := &registry.Record{TenantID: id, Name: "late-" + status, Tier: "platinum", Status: status, Version: 1, APIKeyID: "gone", APIKeyValue: "gone-value"}
		require.NoError(t, s.Registry.Put(ctx, rec))
		err := s.provision(ctx, id)
		assert.NoError(t, err, "a late provisioning request is not a failure")
		got, err := s.Registry.Get(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, status, got.Status, "a provisioning request that came after the tenant was %s changed its status", status)
		s.mu.Lock()
		_, api := s.silos[id]
		s.mu.Unlock()
		assert.False(t, api, "a provisioning request that came after the tenant was %s gave it a silo API", status)
		_, err = s.Keys.Admit("gone-value", func(string) bool { return true })
		assert.ErrorIs(t, err, ErrInvalidKey, "a late provisioning request brought back the API key of a tenant that was %s", status)
	}
}

// make dev's local bus runs, for each lifecycle event that starts the
// tenant deployer on AWS (infra.DeployerActions), the same tenantctl action
// locally; other events are only kept. Not proven: what the local actions do
// (TestSiloTenant* cover that).
func TestLocalBusReactsToTheDeployersEvents(t *testing.T) {
	var ran []string
	b := &Bus{
		provision:   func(ev controlplane.TenantEvent) { ran = append(ran, "provision "+ev.TenantID) },
		deprovision: func(ev controlplane.TenantEvent) { ran = append(ran, "deprovision "+ev.TenantID) },
	}
	want := []string{}
	for _, detailType := range slices.Sorted(maps.Keys(infra.DeployerActions)) {
		require.NoError(t, b.Publish(context.Background(), detailType, controlplane.TenantEvent{TenantID: "t1"}))
		want = append(want, infra.DeployerActions[detailType]+" t1")
	}
	for _, other := range []string{"TenantRegistered", controlplane.EventOffboarded} {
		require.NoError(t, b.Publish(context.Background(), other, controlplane.TenantEvent{TenantID: "t1"}))
	}
	assert.Equal(t, want, ran, "under make dev a silo tenant would never be provisioned or removed as the deployer does on AWS")
	assert.Len(t, b.Published(), len(infra.DeployerActions)+2)
}
