// Package localdynamo runs the minidyn DynamoDB emulator on loopback and
// creates the tables the stacks create, with the same key shapes
// (shared/tenancy), for tests and the local SaaS.
package localdynamo

import (
	"context"
	"net/http"
	"net/http/httptest"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	miniserver "github.com/truora/minidyn/server"

	"github.com/tenantforge/tenantforge/shared/tenancy"
)

// Local is a running emulator.
type Local struct {
	URL    string
	Server *miniserver.Server
	// Client is a DynamoDB client for it with placeholder credentials.
	Client *dynamodb.Client
	http   *httptest.Server
}

// Start runs the emulator; wrap, if set, sees every request first.
func Start(wrap func(http.Handler) http.Handler) *Local {
	srv := miniserver.NewServer()
	var h http.Handler = srv
	if wrap != nil {
		h = wrap(srv)
	}
	ts := httptest.NewServer(h)
	return &Local{URL: ts.URL, Server: srv, Client: NewClient(ts.URL, "local"), http: ts}
}

// Close stops the emulator.
func (l *Local) Close() { l.http.Close() }

// NewClient returns a DynamoDB client for the emulator at url whose
// requests are signed with the access key id given.
func NewClient(url, accessKeyID string) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		Region:       "eu-west-1",
		BaseEndpoint: aws.String(url),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: accessKeyID, SecretAccessKey: "local"}, nil
		}),
	})
}

// CreateDataTable creates an application data table (tenantId, sk).
func (l *Local) CreateDataTable(ctx context.Context, name string) error {
	return l.create(ctx, name, tenancy.DataPartitionKey, tenancy.DataSortKey)
}

// CreateRegistryTable creates a tenant registry table (pk) with the
// tenant-users index, as infra.SharedServices creates it.
func (l *Local) CreateRegistryTable(ctx context.Context, name string) error {
	return l.create(ctx, name, tenancy.RegistryPartitionKey, "", types.GlobalSecondaryIndex{
		IndexName: aws.String(tenancy.TenantUsersIndex),
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(tenancy.TenantUsersIndexKey), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(tenancy.TenantUsersIndexSortKey), KeyType: types.KeyTypeRange},
		},
		Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
	})
}

func (l *Local) create(ctx context.Context, name, hash, rng string, indexes ...types.GlobalSecondaryIndex) error {
	in := &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String(hash), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String(hash), KeyType: types.KeyTypeHash}},
	}
	if rng != "" {
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{AttributeName: aws.String(rng), AttributeType: types.ScalarAttributeTypeS})
		in.KeySchema = append(in.KeySchema, types.KeySchemaElement{AttributeName: aws.String(rng), KeyType: types.KeyTypeRange})
	}
	for _, gsi := range indexes {
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, gsi)
		for _, k := range gsi.KeySchema {
			in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{AttributeName: k.AttributeName, AttributeType: types.ScalarAttributeTypeS})
		}
	}
	_, err := l.Client.CreateTable(ctx, in)
	return err
}
