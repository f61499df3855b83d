package registry

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	miniserver "github.com/truora/minidyn/server"

	"github.com/tenantforge/tenantforge/internal/localdynamo"
)

// localDynamo starts the minidyn DynamoDB emulator on loopback with the
// registry table created as the stack creates it.
func localDynamo(t *testing.T) (*dynamodb.Client, *miniserver.Server) {
	t.Helper()
	l := localdynamo.Start(nil)
	t.Cleanup(l.Close)
	require.NoError(t, l.CreateRegistryTable(context.Background(), "registry"))
	return l.Client, l.Server
}

func TestPutThenGet(t *testing.T) {
	db, _ := localDynamo(t)
	s := New(db, "registry")
	rec := &Record{TenantID: "acme", Name: "acme", Tier: "basic", Status: "active", APIKeyID: "k1", APIKeyValue: "v1",
		CreatedAt: "2026-11-29T12:00:00Z", UpdatedAt: "2026-11-29T12:00:00Z", Version: 1}
	require.NoError(t, s.Put(context.Background(), rec))
	got, err := s.Get(context.Background(), "acme")
	require.NoError(t, err)
	assert.Equal(t, rec, got)

	out, err := db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String("registry"), Key: TenantKey("acme")})
	require.NoError(t, err)
	assert.Equal(t, &types.AttributeValueMemberS{Value: "TENANT#acme"}, out.Item["pk"], "tenant records live under TENANT#<id>")
}

func TestGetUnknownTenant(t *testing.T) {
	db, _ := localDynamo(t)
	_, err := New(db, "registry").Get(context.Background(), "nobody")
	assert.ErrorIs(t, err, ErrNotFound)
}

func TestGetSurfacesDynamoFailures(t *testing.T) {
	db, srv := localDynamo(t)
	srv.EmulateFailure(miniserver.FailureConditionInternalServerError)
	_, err := New(db, "registry").Get(context.Background(), "acme")
	require.Error(t, err)
	assert.NotErrorIs(t, err, ErrNotFound, "an outage must not look like an unknown tenant")
	assert.Contains(t, err.Error(), "registry: reading tenant acme")
}

func TestNamesAreUniqueEvenUnderRace(t *testing.T) {
	db, _ := localDynamo(t)
	s := New(db, "registry")
	ctx := context.Background()
	results := make(chan error, 8)
	for i := range 8 {
		go func() {
			results <- s.Reserve(ctx, &Record{TenantID: fmt.Sprintf("t-%d", i), Name: "acme", Tier: "basic", Status: StatusRegistering, Version: 1})
		}()
	}
	won := 0
	for range 8 {
		err := <-results
		if err == nil {
			won++
		} else {
			assert.ErrorIs(t, err, ErrNameTaken)
		}
	}
	assert.Equal(t, 1, won, "exactly one of racing registrations of a name may win")
	holder, err := s.GetByName(ctx, "acme")
	require.NoError(t, err)
	assert.Equal(t, "acme", holder.Name)

	require.NoError(t, s.Release(ctx, holder))
	_, err = s.GetByName(ctx, "acme")
	assert.ErrorIs(t, err, ErrNotFound)
	require.NoError(t, s.Reserve(ctx, &Record{TenantID: "t-new", Name: "acme", Tier: "basic", Status: StatusRegistering, Version: 1}),
		"a released name can be registered again")
}

func TestUpdateIsOptimistic(t *testing.T) {
	db, _ := localDynamo(t)
	s := New(db, "registry")
	ctx := context.Background()
	r := &Record{TenantID: "t-1", Name: "acme", Tier: "basic", Status: StatusRegistering, Version: 1}
	require.NoError(t, s.Reserve(ctx, r))
	r.Status = StatusActive
	require.NoError(t, s.Update(ctx, r, 1))
	assert.Equal(t, 2, r.Version)
	stale := *r
	stale.Status = StatusSuspended
	assert.ErrorIs(t, s.Update(ctx, &stale, 1), ErrConflict)
	got, err := s.Get(ctx, "t-1")
	require.NoError(t, err)
	assert.Equal(t, StatusActive, got.Status, "a stale write must not overwrite the record")
}

func TestUsagePlansPublishedByTheStack(t *testing.T) {
	db, _ := localDynamo(t)
	s := New(db, "registry")
	_, err := s.UsagePlans(context.Background())
	assert.ErrorContains(t, err, "has not published the usage plans")
	_, err = db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String("registry"), Item: map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: UsagePlansKey}, "plans": &types.AttributeValueMemberS{Value: `{"basic":"p1"}`},
	}})
	require.NoError(t, err)
	plans, err := s.UsagePlans(context.Background())
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"basic": "p1"}, plans)
}

func TestListPagesThroughTenantsOnly(t *testing.T) {
	db, _ := localDynamo(t)
	s := New(db, "registry")
	ctx := context.Background()
	for i := range 7 {
		require.NoError(t, s.Reserve(ctx, &Record{TenantID: fmt.Sprintf("t-%02d", i), Name: fmt.Sprintf("tenant-%02d", i), Tier: "basic", Status: StatusActive, Version: 1}))
	}
	seen := map[string]bool{}
	next, pages := "", 0
	for {
		items, n, err := s.List(ctx, 3, next)
		require.NoError(t, err)
		pages++
		for _, r := range items {
			assert.False(t, seen[r.TenantID])
			seen[r.TenantID] = true
		}
		if n == "" {
			break
		}
		next = n
		require.Less(t, pages, 10)
	}
	assert.Len(t, seen, 7, "every tenant once; name reservations are not tenants")
	_, _, err := s.List(ctx, 3, "bm9wZQ")
	assert.ErrorIs(t, err, ErrInvalidCursor)
}

func TestRenameIsAllOrNothing(t *testing.T) {
	db, _ := localDynamo(t)
	s := New(db, "registry")
	ctx := context.Background()
	acme := &Record{TenantID: "t1", Name: "acme", Tier: "basic", Status: StatusActive, Version: 1}
	globex := &Record{TenantID: "t2", Name: "globex", Tier: "basic", Status: StatusActive, Version: 1}
	require.NoError(t, s.Reserve(ctx, acme))
	require.NoError(t, s.Reserve(ctx, globex))

	assert.ErrorIs(t, s.Rename(ctx, acme, "globex", 1), ErrNameTaken)
	assert.Equal(t, "acme", acme.Name, "a refused rename must leave the caller's record as it was")
	assert.ErrorIs(t, s.Rename(ctx, acme, "acme-corp", 7), ErrConflict, "a rename from a stale read must be refused")
	_, err := s.GetByName(ctx, "acme-corp")
	assert.ErrorIs(t, err, ErrNotFound, "a refused rename must not keep the new name")

	require.NoError(t, s.Rename(ctx, acme, "acme-corp", 1))
	assert.Equal(t, 2, acme.Version)
	got, err := s.GetByName(ctx, "acme-corp")
	require.NoError(t, err)
	assert.Equal(t, acme, got)
	_, err = s.GetByName(ctx, "acme")
	assert.ErrorIs(t, err, ErrNotFound, "the old name must be free")
}

func TestTombstoneKeepsTheIdAndFreesOnlyItsOwnName(t *testing.T) {
	db, _ := localDynamo(t)
	s := New(db, "registry")
	ctx := context.Background()
	acme := &Record{TenantID: "t1", Name: "acme", Tier: "basic", Status: StatusOffboarding, APIKeyID: "k", APIKeyValue: "v", Version: 3}
	require.NoError(t, s.Reserve(ctx, acme))

	assert.ErrorIs(t, s.Tombstone(ctx, acme, "2026-12-01T19:00:00Z", 2), ErrConflict)
	require.NoError(t, s.Tombstone(ctx, acme, "2026-12-01T19:00:00Z", 3))
	got, err := s.Get(ctx, "t1")
	require.NoError(t, err)
	assert.Equal(t, &Record{TenantID: "t1", Name: "acme", Tier: "basic", Status: StatusDeleted,
		UpdatedAt: "2026-12-01T19:00:00Z", DeletedAt: "2026-12-01T19:00:00Z", Version: 4}, got, "the tombstone keeps the id and drops the key")
	_, err = s.GetByName(ctx, "acme")
	assert.ErrorIs(t, err, ErrNotFound)
	assert.ErrorIs(t, s.Reserve(ctx, &Record{TenantID: "t1", Name: "other", Version: 1}), ErrNameTaken, "a tombstoned id is never reused")

	// A name another tenant holds now (its reservation was removed by hand
	// and taken) is left to that tenant; the tombstone is still written.
	globex := &Record{TenantID: "t2", Name: "globex", Status: StatusOffboarding, Version: 1}
	require.NoError(t, s.Reserve(ctx, globex))
	_, err = db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("registry"), Item: map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: "NAME#globex"}, "tenantId": &types.AttributeValueMemberS{Value: "t3"}}})
	require.NoError(t, err)
	require.NoError(t, s.Tombstone(ctx, globex, "2026-12-01T19:00:00Z", 1))
	owner, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("registry"), Key: NameKey("globex")})
	require.NoError(t, err)
	assert.Equal(t, &types.AttributeValueMemberS{Value: "t3"}, owner.Item["tenantId"], "offboarding must never free another tenant's name")
	got, err = s.Get(ctx, "t2")
	require.NoError(t, err)
	assert.Equal(t, StatusDeleted, got.Status)
}
