package registry

import (
	"context"
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
