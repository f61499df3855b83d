package store

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tenantforge/tenantforge/shared/tenancy"
)

// API is the part of the DynamoDB client the store uses.
type API interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

// ClientFor returns the DynamoDB client to use for a tenant: in a pooled
// function one holding that tenant's STS session (shared/tvm), in a silo
// function the function's own.
type ClientFor func(ctx context.Context, tenantID string) (API, error)

// Dynamo keeps products and orders in one table.
type Dynamo struct {
	client ClientFor
	table  string
	now    func() time.Time
}

// NewDynamo returns the store over table.
func NewDynamo(client ClientFor, table string) *Dynamo {
	return &Dynamo{client: client, table: table, now: time.Now}
}

// Kinds of item, the prefix of their sort key.
const (
	kindProduct = "PRODUCT#"
	kindOrder   = "ORDER#"
)

func key(tenantID, kind, id string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		tenancy.DataPartitionKey: &types.AttributeValueMemberS{Value: tenantID},
		tenancy.DataSortKey:      &types.AttributeValueMemberS{Value: kind + id},
	}
}

func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}

func (d *Dynamo) stamp() string { return d.now().UTC().Format(time.RFC3339Nano) }

func (d *Dynamo) db(ctx context.Context, tenantID string) (API, error) {
	if !tenancy.ValidSlug(tenantID) {
		return nil, fmt.Errorf("store: refusing tenant id %q", tenantID)
	}
	db, err := d.client(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	return metered{db}, nil
}

func isConditionFailed(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	return errors.As(err, &ccf)
}

// put writes a new item that must not exist yet.
func (d *Dynamo) put(ctx context.Context, db API, tenantID, kind, id string, v any) error {
	item, err := attributevalue.MarshalMap(v)
	if err != nil {
		return err
	}
	for k, val := range key(tenantID, kind, id) {
		item[k] = val
	}
	cond, err := expression.NewBuilder().WithCondition(expression.AttributeNotExists(expression.Name(tenancy.DataSortKey))).Build()
	if err != nil {
		return err
	}
	_, err = db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(d.table), Item: item,
		ConditionExpression: cond.Condition(), ExpressionAttributeNames: cond.Names(),
	})
	return err
}

func (d *Dynamo) get(ctx context.Context, db API, tenantID, kind, id string, out any) error {
	if !validID(id) {
		return ErrNotFound
	}
	res, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(d.table), Key: key(tenantID, kind, id), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return err
	}
	if len(res.Item) == 0 {
		return ErrNotFound
	}
	return attributevalue.UnmarshalMap(res.Item, out)
}

// replace overwrites an existing item whose version is expected.
func (d *Dynamo) replace(ctx context.Context, db API, tenantID, kind, id string, expected int, v any) error {
	item, err := attributevalue.MarshalMap(v)
	if err != nil {
		return err
	}
	for k, val := range key(tenantID, kind, id) {
		item[k] = val
	}
	cond, err := expression.NewBuilder().WithCondition(
		expression.AttributeExists(expression.Name(tenancy.DataSortKey)).And(expression.Name("version").Equal(expression.Value(expected))),
	).Build()
	if err != nil {
		return err
	}
	_, err = db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(d.table), Item: item,
		ConditionExpression: cond.Condition(), ExpressionAttributeNames: cond.Names(), ExpressionAttributeValues: cond.Values(),
	})
	if isConditionFailed(err) {
		return ErrConflict
	}
	return err
}

func (d *Dynamo) remove(ctx context.Context, db API, tenantID, kind, id string) error {
	if !validID(id) {
		return ErrNotFound
	}
	cond, err := expression.NewBuilder().WithCondition(expression.AttributeExists(expression.Name(tenancy.DataSortKey))).Build()
	if err != nil {
		return err
	}
	_, err = db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: aws.String(d.table), Key: key(tenantID, kind, id),
		ConditionExpression: cond.Condition(), ExpressionAttributeNames: cond.Names(),
	})
	if isConditionFailed(err) {
		return ErrNotFound
	}
	return err
}

// cursor is the opaque position of a page: the tenant and last sort key.
type cursor struct {
	Tenant string `json:"t"`
	SK     string `json:"k"`
}

func encodeCursor(tenantID string, last map[string]types.AttributeValue) string {
	sk, ok := last[tenancy.DataSortKey].(*types.AttributeValueMemberS)
	if !ok {
		return ""
	}
	b, _ := json.Marshal(cursor{Tenant: tenantID, SK: sk.Value})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(tenantID, kind, raw string) (map[string]types.AttributeValue, error) {
	if raw == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil {
		return nil, ErrInvalidCursor
	}
	var c cursor
	if json.Unmarshal(b, &c) != nil || c.Tenant != tenantID || !strings.HasPrefix(c.SK, kind) {
		return nil, ErrInvalidCursor // another tenant's or another list's cursor
	}
	return key(tenantID, kind, strings.TrimPrefix(c.SK, kind)), nil
}

// list reads one page of a tenant's items of a kind into out (a pointer to
// a slice) and returns the cursor of the next page.
func (d *Dynamo) list(ctx context.Context, db API, tenantID, kind string, limit int, after string, out any) (string, error) {
	if limit < 1 || limit > MaxLimit {
		return "", &ValidationError{Fields: map[string]string{"limit": fmt.Sprintf("must be 1 to %d", MaxLimit)}}
	}
	start, err := decodeCursor(tenantID, kind, after)
	if err != nil {
		return "", err
	}
	keyCond := expression.Key(tenancy.DataPartitionKey).Equal(expression.Value(tenantID)).
		And(expression.Key(tenancy.DataSortKey).BeginsWith(kind))
	expr, err := expression.NewBuilder().WithKeyCondition(keyCond).Build()
	if err != nil {
		return "", err
	}
	res, err := db.Query(ctx, &dynamodb.QueryInput{
		TableName: aws.String(d.table), KeyConditionExpression: expr.KeyCondition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
		Limit: aws.Int32(int32(limit)), ExclusiveStartKey: start, ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return "", err
	}
	if err := attributevalue.UnmarshalListOfMaps(res.Items, out); err != nil {
		return "", err
	}
	if len(res.LastEvaluatedKey) == 0 {
		return "", nil
	}
	return encodeCursor(tenantID, res.LastEvaluatedKey), nil
}

// Page is one page of a list.
type Page[T any] struct {
	Items []T    `json:"items"`
	Next  string `json:"next,omitempty"`
}

// CreateProduct adds a product.
func (d *Dynamo) CreateProduct(ctx context.Context, tenantID string, in ProductInput) (*Product, error) {
	price, err := ValidProduct(in, false)
	if err != nil {
		return nil, err
	}
	db, err := d.db(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	now := d.stamp()
	p := &Product{ProductID: newID(), Name: strings.TrimSpace(in.Name), Price: price, SKU: in.SKU, Version: 1, CreatedAt: now, UpdatedAt: now}
	if err := d.put(ctx, db, tenantID, kindProduct, p.ProductID, p); err != nil {
		return nil, err
	}
	return p, nil
}

// GetProduct reads a product.
func (d *Dynamo) GetProduct(ctx context.Context, tenantID, id string) (*Product, error) {
	db, err := d.db(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	var p Product
	if err := d.get(ctx, db, tenantID, kindProduct, id, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// ListProducts reads a page of products.
func (d *Dynamo) ListProducts(ctx context.Context, tenantID string, limit int, after string) (Page[Product], error) {
	db, err := d.db(ctx, tenantID)
	if err != nil {
		return Page[Product]{}, err
	}
	page := Page[Product]{Items: []Product{}}
	page.Next, err = d.list(ctx, db, tenantID, kindProduct, limit, after, &page.Items)
	return page, err
}

// UpdateProduct replaces a product if the client read the current version.
func (d *Dynamo) UpdateProduct(ctx context.Context, tenantID, id string, in ProductInput) (*Product, error) {
	price, err := ValidProduct(in, true)
	if err != nil {
		return nil, err
	}
	current, err := d.GetProduct(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	if current.Version != *in.Version {
		return nil, ErrConflict
	}
	db, err := d.db(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	p := *current
	p.Name, p.Price, p.SKU, p.Version, p.UpdatedAt = strings.TrimSpace(in.Name), price, in.SKU, current.Version+1, d.stamp()
	if err := d.replace(ctx, db, tenantID, kindProduct, id, current.Version, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// DeleteProduct removes a product. Existing orders keep their price.
func (d *Dynamo) DeleteProduct(ctx context.Context, tenantID, id string) error {
	db, err := d.db(ctx, tenantID)
	if err != nil {
		return err
	}
	return d.remove(ctx, db, tenantID, kindProduct, id)
}

// priceOrder reads the order's product (of the same tenant) and writes the
// order in one transaction with a check that the product is still at the
// version read, so the stored price is the product's price at order time.
func (d *Dynamo) priceOrder(ctx context.Context, tenantID string, o *Order, expected int) error {
	db, err := d.db(ctx, tenantID)
	if err != nil {
		return err
	}
	for attempt := 0; attempt < 3; attempt++ {
		var p Product
		if err := d.get(ctx, db, tenantID, kindProduct, o.ProductID, &p); errors.Is(err, ErrNotFound) {
			return ErrProductMissing
		} else if err != nil {
			return err
		}
		o.UnitPrice, o.Total = p.Price, p.Price*int64(o.Quantity)
		item, err := attributevalue.MarshalMap(o)
		if err != nil {
			return err
		}
		for k, v := range key(tenantID, kindOrder, o.OrderID) {
			item[k] = v
		}
		check, err := expression.NewBuilder().WithCondition(expression.Name("version").Equal(expression.Value(p.Version))).Build()
		if err != nil {
			return err
		}
		orderCond := expression.AttributeNotExists(expression.Name(tenancy.DataSortKey))
		if expected > 0 {
			orderCond = expression.Name("version").Equal(expression.Value(expected))
		}
		put, err := expression.NewBuilder().WithCondition(orderCond).Build()
		if err != nil {
			return err
		}
		_, err = db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
			{ConditionCheck: &types.ConditionCheck{
				TableName: aws.String(d.table), Key: key(tenantID, kindProduct, o.ProductID),
				ConditionExpression: check.Condition(), ExpressionAttributeNames: check.Names(), ExpressionAttributeValues: check.Values(),
			}},
			{Put: &types.Put{
				TableName: aws.String(d.table), Item: item,
				ConditionExpression: put.Condition(), ExpressionAttributeNames: put.Names(), ExpressionAttributeValues: put.Values(),
			}},
		}})
		var canceled *types.TransactionCanceledException
		if !errors.As(err, &canceled) {
			return err
		}
		reasons := canceled.CancellationReasons
		if len(reasons) == 2 && reasons[1].Code != nil && *reasons[1].Code == "ConditionalCheckFailed" {
			if expected > 0 {
				return ErrConflict
			}
			return err
		}
		// The product changed between the read and the write: read it again.
	}
	return fmt.Errorf("store: the product of order %s kept changing; retry", o.OrderID)
}

// CreateOrder places an order at the product's current price.
func (d *Dynamo) CreateOrder(ctx context.Context, tenantID string, in OrderInput) (*Order, error) {
	if err := ValidOrder(in, false); err != nil {
		return nil, err
	}
	now := d.stamp()
	o := &Order{OrderID: newID(), ProductID: in.ProductID, Quantity: *in.Quantity, Version: 1, CreatedAt: now, UpdatedAt: now}
	if err := d.priceOrder(ctx, tenantID, o, 0); err != nil {
		return nil, err
	}
	return o, nil
}

// GetOrder reads an order.
func (d *Dynamo) GetOrder(ctx context.Context, tenantID, id string) (*Order, error) {
	db, err := d.db(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	var o Order
	if err := d.get(ctx, db, tenantID, kindOrder, id, &o); err != nil {
		return nil, err
	}
	return &o, nil
}

// ListOrders reads a page of orders.
func (d *Dynamo) ListOrders(ctx context.Context, tenantID string, limit int, after string) (Page[Order], error) {
	db, err := d.db(ctx, tenantID)
	if err != nil {
		return Page[Order]{}, err
	}
	page := Page[Order]{Items: []Order{}}
	page.Next, err = d.list(ctx, db, tenantID, kindOrder, limit, after, &page.Items)
	return page, err
}

// UpdateOrder changes an order's product or quantity, re-priced now.
func (d *Dynamo) UpdateOrder(ctx context.Context, tenantID, id string, in OrderInput) (*Order, error) {
	if err := ValidOrder(in, true); err != nil {
		return nil, err
	}
	current, err := d.GetOrder(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	if current.Version != *in.Version {
		return nil, ErrConflict
	}
	o := *current
	o.ProductID, o.Quantity, o.Version, o.UpdatedAt = in.ProductID, *in.Quantity, current.Version+1, d.stamp()
	if err := d.priceOrder(ctx, tenantID, &o, current.Version); err != nil {
		return nil, err
	}
	return &o, nil
}

// DeleteOrder removes an order.
func (d *Dynamo) DeleteOrder(ctx context.Context, tenantID, id string) error {
	db, err := d.db(ctx, tenantID)
	if err != nil {
		return err
	}
	return d.remove(ctx, db, tenantID, kindOrder, id)
}
