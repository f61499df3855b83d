// Package registry reads and writes the tenant registry, a DynamoDB table
// keyed by "pk": tenant records under "TENANT#<id>".
package registry

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tenantforge/tenantforge/shared/tenancy"
)

// ErrNotFound means the registry holds no tenant with that id.
var ErrNotFound = errors.New("tenant not found")

// Record is a tenant's registry record.
type Record struct {
	TenantID    string `dynamodbav:"tenantId"`
	Name        string `dynamodbav:"tenantName"`
	Tier        string `dynamodbav:"tier"`
	Status      string `dynamodbav:"status"`
	APIKeyID    string `dynamodbav:"apiKeyId,omitempty"`
	APIKeyValue string `dynamodbav:"apiKeyValue,omitempty"`
	SiloStack   string `dynamodbav:"siloStack,omitempty"`
	APIURL      string `dynamodbav:"apiUrl,omitempty"`
	CreatedAt   string `dynamodbav:"createdAt"`
	UpdatedAt   string `dynamodbav:"updatedAt"`
	Version     int    `dynamodbav:"version"`
}

// API is the part of the DynamoDB client the registry uses.
type API interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
}

// Store is the registry table.
type Store struct {
	db    API
	table string
}

// New returns the registry in table.
func New(db API, table string) *Store { return &Store{db: db, table: table} }

// TenantKey is the key of a tenant's record.
func TenantKey(id string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{tenancy.RegistryPartitionKey: &types.AttributeValueMemberS{Value: "TENANT#" + id}}
}

// Get reads a tenant's record with a strongly consistent read, so a
// suspension is seen by the next read.
func (s *Store) Get(ctx context.Context, id string) (*Record, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.table),
		Key:            TenantKey(id),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, fmt.Errorf("registry: reading tenant %s: %w", id, err)
	}
	if len(out.Item) == 0 {
		return nil, ErrNotFound
	}
	var r Record
	if err := attributevalue.UnmarshalMap(out.Item, &r); err != nil {
		return nil, fmt.Errorf("registry: tenant %s: %w", id, err)
	}
	return &r, nil
}

// Put writes a tenant's record as it is (used by tests and tools; the
// control plane's writes are conditional).
func (s *Store) Put(ctx context.Context, r *Record) error {
	item, err := attributevalue.MarshalMap(r)
	if err != nil {
		return err
	}
	for k, v := range TenantKey(r.TenantID) {
		item[k] = v
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: item})
	return err
}
