// Package registry reads and writes the tenant registry, a DynamoDB table
// keyed by "pk": tenant records under "TENANT#<id>".
package registry

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tenantforge/tenantforge/shared/tenancy"
)

// Errors of the registry.
var (
	ErrNotFound  = errors.New("tenant not found")
	ErrNameTaken = errors.New("tenant name taken")
	ErrConflict  = errors.New("tenant record changed concurrently")
)

// Tenant statuses.
const (
	StatusRegistering        = "registering"
	StatusActive             = "active"
	StatusProvisioning       = "provisioning"
	StatusProvisioningFailed = "provisioning_failed"
	StatusSuspended          = "suspended"
	StatusOffboarding        = "offboarding"
	StatusDeleted            = "deleted"
)

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
	AdminEmail  string `dynamodbav:"adminEmail,omitempty"`
	Reason      string `dynamodbav:"reason,omitempty"`
	CreatedAt   string `dynamodbav:"createdAt"`
	UpdatedAt   string `dynamodbav:"updatedAt"`
	// DeletedAt is set on the tombstone an offboarded tenant leaves: the
	// id stays taken for ever, the name is free again.
	DeletedAt string `dynamodbav:"deletedAt,omitempty"`
	Version   int    `dynamodbav:"version"`
}

// API is the part of the DynamoDB client the registry uses.
type API interface {
	Scan(ctx context.Context, in *dynamodb.ScanInput, opts ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

// Store is the registry table.
type Store struct {
	db    API
	table string
}

// New returns the registry in table.
func New(db API, table string) *Store { return &Store{db: db, table: table} }

// NameKey is the key of a tenant name's reservation.
func NameKey(name string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{tenancy.RegistryPartitionKey: &types.AttributeValueMemberS{Value: "NAME#" + name}}
}

// TenantKey is the key of a tenant's record.
func TenantKey(id string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{tenancy.RegistryPartitionKey: &types.AttributeValueMemberS{Value: "TENANT#" + id}}
}

// maxSlug is the longest tenant id or name (tenancy.ValidSlug).
const maxSlug = 63

// Get reads a tenant's record with a strongly consistent read, so a
// suspension is seen by the next read.
func (s *Store) Get(ctx context.Context, id string) (*Record, error) {
	if len(id) > maxSlug {
		// No tenant has such an id; DynamoDB would refuse an over-long key
		// (a 5xx for what is bad input).
		return nil, ErrNotFound
	}
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

func (s *Store) item(r *Record) (map[string]types.AttributeValue, error) {
	item, err := attributevalue.MarshalMap(r)
	if err != nil {
		return nil, err
	}
	for k, v := range TenantKey(r.TenantID) {
		item[k] = v
	}
	return item, nil
}

// Reserve writes a new tenant record and reserves its name in one
// transaction: of two registrations of one name, exactly one wins.
func (s *Store) Reserve(ctx context.Context, r *Record) error {
	item, err := s.item(r)
	if err != nil {
		return err
	}
	nameItem := NameKey(r.Name)
	nameItem["tenantId"] = &types.AttributeValueMemberS{Value: r.TenantID}
	absent := expression.AttributeNotExists(expression.Name(tenancy.RegistryPartitionKey))
	cond, err := expression.NewBuilder().WithCondition(absent).Build()
	if err != nil {
		return err
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String(s.table), Item: nameItem, ConditionExpression: cond.Condition(), ExpressionAttributeNames: cond.Names()}},
		{Put: &types.Put{TableName: aws.String(s.table), Item: item, ConditionExpression: cond.Condition(), ExpressionAttributeNames: cond.Names()}},
	}})
	var canceled *types.TransactionCanceledException
	if errors.As(err, &canceled) {
		return ErrNameTaken
	}
	if err != nil {
		return fmt.Errorf("registry: reserving %s: %w", r.Name, err)
	}
	return nil
}

// Release deletes a tenant record and its name reservation (undoing
// Reserve).
func (s *Store) Release(ctx context.Context, r *Record) error {
	_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Delete: &types.Delete{TableName: aws.String(s.table), Key: NameKey(r.Name)}},
		{Delete: &types.Delete{TableName: aws.String(s.table), Key: TenantKey(r.TenantID)}},
	}})
	if err != nil {
		return fmt.Errorf("registry: releasing %s: %w", r.Name, err)
	}
	return nil
}

// GetByName reads the tenant that holds a name.
func (s *Store) GetByName(ctx context.Context, name string) (*Record, error) {
	if len(name) > maxSlug {
		return nil, ErrNotFound // no tenant has such a name
	}
	id, err := s.nameOwner(ctx, name)
	if err != nil {
		return nil, err
	}
	if id == "" {
		return nil, ErrNotFound
	}
	return s.Get(ctx, id)
}

// nameOwner reads which tenant holds a name's reservation ("" if none does).
func (s *Store) nameOwner(ctx context.Context, name string) (string, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.table), Key: NameKey(name), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return "", fmt.Errorf("registry: reading name %s: %w", name, err)
	}
	id, _ := out.Item["tenantId"].(*types.AttributeValueMemberS)
	if id == nil {
		return "", nil
	}
	return id.Value, nil
}

// versionIs is the condition that the stored record still has version
// expected (optimistic locking of every write of a record).
func versionIs(expected int) (expression.Expression, error) {
	return expression.NewBuilder().WithCondition(expression.Name("version").Equal(expression.Value(expected))).Build()
}

// Update writes r if the stored record still has version expected; r's
// version becomes expected+1.
func (s *Store) Update(ctx context.Context, r *Record, expected int) error {
	r.Version = expected + 1
	item, err := s.item(r)
	if err != nil {
		return err
	}
	cond, err := versionIs(expected)
	if err != nil {
		return err
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.table), Item: item,
		ConditionExpression: cond.Condition(), ExpressionAttributeNames: cond.Names(), ExpressionAttributeValues: cond.Values(),
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		r.Version = expected
		return ErrConflict
	}
	if err != nil {
		r.Version = expected
		return fmt.Errorf("registry: updating tenant %s: %w", r.TenantID, err)
	}
	return nil
}

// UsagePlansKey is the registry item in which the stack publishes the
// usage plan id of each tier.
const UsagePlansKey = "CONFIG#usage-plans"

// UsagePlans reads the usage plan id of each tier.
func (s *Store) UsagePlans(ctx context.Context) (map[string]string, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.table),
		Key:       map[string]types.AttributeValue{tenancy.RegistryPartitionKey: &types.AttributeValueMemberS{Value: UsagePlansKey}},
	})
	if err != nil {
		return nil, fmt.Errorf("registry: reading the usage plans: %w", err)
	}
	raw, ok := out.Item["plans"].(*types.AttributeValueMemberS)
	if !ok {
		return nil, errors.New("registry: the stack has not published the usage plans (run pulumi up)")
	}
	var plans map[string]string
	if err := json.Unmarshal([]byte(raw.Value), &plans); err != nil {
		return nil, fmt.Errorf("registry: the usage plans item is not a JSON map: %w", err)
	}
	return plans, nil
}

// ErrInvalidCursor means a list cursor was not one List gave out.
var ErrInvalidCursor = errors.New("invalid cursor")

// List reads up to limit tenant records after the cursor and returns the
// cursor of the next page ("" at the end). The registry is small: it is
// scanned, skipping name reservations and configuration items.
func (s *Store) List(ctx context.Context, limit int, after string) ([]Record, string, error) {
	var start map[string]types.AttributeValue
	if after != "" {
		raw, err := base64.RawURLEncoding.DecodeString(after)
		if err != nil || !strings.HasPrefix(string(raw), "TENANT#") {
			return nil, "", ErrInvalidCursor
		}
		start = map[string]types.AttributeValue{tenancy.RegistryPartitionKey: &types.AttributeValueMemberS{Value: string(raw)}}
	}
	filter, err := expression.NewBuilder().WithFilter(expression.Name(tenancy.RegistryPartitionKey).BeginsWith("TENANT#")).Build()
	if err != nil {
		return nil, "", err
	}
	out := []Record{}
	for {
		page, err := s.db.Scan(ctx, &dynamodb.ScanInput{
			TableName: aws.String(s.table), ExclusiveStartKey: start, ConsistentRead: aws.Bool(true),
			FilterExpression: filter.Filter(), ExpressionAttributeNames: filter.Names(), ExpressionAttributeValues: filter.Values(),
		})
		if err != nil {
			return nil, "", fmt.Errorf("registry: listing tenants: %w", err)
		}
		for _, item := range page.Items {
			var r Record
			if err := attributevalue.UnmarshalMap(item, &r); err != nil {
				return nil, "", err
			}
			out = append(out, r)
			if len(out) == limit {
				next := item[tenancy.RegistryPartitionKey].(*types.AttributeValueMemberS).Value
				return out, base64.RawURLEncoding.EncodeToString([]byte(next)), nil
			}
		}
		if len(page.LastEvaluatedKey) == 0 {
			return out, "", nil
		}
		start = page.LastEvaluatedKey
	}
}

// Rename moves a tenant to a new name in one transaction: the new name is
// reserved, the old one released (only if it is still this tenant's) and
// the record written with the new name if it still has version expected.
// A taken name is ErrNameTaken, a changed record ErrConflict; either way
// nothing changed. r's name and version are updated only on success.
func (s *Store) Rename(ctx context.Context, r *Record, newName string, expected int) error {
	next := *r
	next.Name, next.Version = newName, expected+1
	item, err := s.item(&next)
	if err != nil {
		return err
	}
	nameItem := NameKey(newName)
	nameItem["tenantId"] = &types.AttributeValueMemberS{Value: r.TenantID}
	absent, err := expression.NewBuilder().WithCondition(expression.AttributeNotExists(expression.Name(tenancy.RegistryPartitionKey))).Build()
	if err != nil {
		return err
	}
	ours, err := expression.NewBuilder().WithCondition(expression.Name("tenantId").Equal(expression.Value(r.TenantID))).Build()
	if err != nil {
		return err
	}
	current, err := versionIs(expected)
	if err != nil {
		return err
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String(s.table), Item: nameItem,
			ConditionExpression: absent.Condition(), ExpressionAttributeNames: absent.Names()}},
		{Delete: &types.Delete{TableName: aws.String(s.table), Key: NameKey(r.Name),
			ConditionExpression: ours.Condition(), ExpressionAttributeNames: ours.Names(), ExpressionAttributeValues: ours.Values()}},
		{Put: &types.Put{TableName: aws.String(s.table), Item: item,
			ConditionExpression: current.Condition(), ExpressionAttributeNames: current.Names(), ExpressionAttributeValues: current.Values()}},
	}})
	var canceled *types.TransactionCanceledException
	if errors.As(err, &canceled) {
		return s.whyCanceled(ctx, canceled, r.TenantID, newName)
	}
	if err != nil {
		return fmt.Errorf("registry: renaming tenant %s to %s: %w", r.TenantID, newName, err)
	}
	r.Name, r.Version = newName, expected+1
	return nil
}

// whyCanceled tells a taken name from a changed record. DynamoDB names the
// failed condition in the cancellation reasons (the name reservation is the
// first item); where they are missing the name item is read.
func (s *Store) whyCanceled(ctx context.Context, canceled *types.TransactionCanceledException, tenantID, name string) error {
	if len(canceled.CancellationReasons) > 0 {
		if aws.ToString(canceled.CancellationReasons[0].Code) == "ConditionalCheckFailed" {
			return ErrNameTaken
		}
		return ErrConflict
	}
	owner, err := s.nameOwner(ctx, name)
	if err != nil {
		return err
	}
	if owner != "" && owner != tenantID {
		return ErrNameTaken
	}
	return ErrConflict
}

// nameHeldByAnother tells whether a tombstone's transaction failed because
// the name item is another tenant's (the second item of the transaction).
func (s *Store) nameHeldByAnother(ctx context.Context, canceled *types.TransactionCanceledException, tenantID, name string) (bool, error) {
	if rs := canceled.CancellationReasons; len(rs) == 2 {
		return aws.ToString(rs[0].Code) == "None" && aws.ToString(rs[1].Code) == "ConditionalCheckFailed", nil
	}
	owner, err := s.nameOwner(ctx, name)
	return owner != "" && owner != tenantID, err
}

// Tombstone turns an offboarded tenant's record into its tombstone (status
// deleted, deletedAt) and frees its name, in one transaction, if the record
// still has version expected. The id is never reused: the tombstone keeps
// it. The name item is deleted only while it is still this tenant's.
func (s *Store) Tombstone(ctx context.Context, r *Record, deletedAt string, expected int) error {
	next := *r
	next.Status, next.DeletedAt, next.UpdatedAt, next.Version = StatusDeleted, deletedAt, deletedAt, expected+1
	next.APIKeyID, next.APIKeyValue = "", ""
	item, err := s.item(&next)
	if err != nil {
		return err
	}
	current, err := versionIs(expected)
	if err != nil {
		return err
	}
	// The name item goes if it is ours; if a crash or an operator already
	// removed it, or a new tenant has it, it is left alone.
	ours, err := expression.NewBuilder().WithCondition(
		expression.AttributeNotExists(expression.Name("tenantId")).Or(expression.Name("tenantId").Equal(expression.Value(r.TenantID)))).Build()
	if err != nil {
		return err
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String(s.table), Item: item,
			ConditionExpression: current.Condition(), ExpressionAttributeNames: current.Names(), ExpressionAttributeValues: current.Values()}},
		{Delete: &types.Delete{TableName: aws.String(s.table), Key: NameKey(r.Name),
			ConditionExpression: ours.Condition(), ExpressionAttributeNames: ours.Names(), ExpressionAttributeValues: ours.Values()}},
	}})
	var canceled *types.TransactionCanceledException
	if errors.As(err, &canceled) {
		taken, terr := s.nameHeldByAnother(ctx, canceled, r.TenantID, r.Name)
		if terr != nil {
			return terr
		}
		if !taken {
			return ErrConflict
		}
		// The name already went to another tenant (its reservation was
		// removed by hand and taken): write the tombstone alone.
		if err := s.Update(ctx, &next, expected); err != nil {
			return err
		}
	} else if err != nil {
		return fmt.Errorf("registry: tombstoning tenant %s: %w", r.TenantID, err)
	}
	*r = next
	return nil
}
