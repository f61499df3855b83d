package registry

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	miniserver "github.com/truora/minidyn/server"

	"github.com/tenantforge/tenantforge/shared/tenancy"
)

// localDynamo starts the minidyn DynamoDB emulator on loopback and returns a
// real SDK client for it, with the registry table created as the stack does.
func localDynamo(t *testing.T) (*dynamodb.Client, *miniserver.Server) {
	t.Helper()
	srv := miniserver.NewServer()
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	db := dynamodb.New(dynamodb.Options{
		Region:       "eu-west-1",
		BaseEndpoint: aws.String(ts.URL),
		Credentials:  aws.AnonymousCredentials{},
	})
	_, err := db.CreateTable(context.Background(), &dynamodb.CreateTableInput{
		TableName:            aws.String("registry"),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String(tenancy.RegistryPartitionKey), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String(tenancy.RegistryPartitionKey), KeyType: types.KeyTypeHash}},
	})
	require.NoError(t, err)
	return db, srv
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
