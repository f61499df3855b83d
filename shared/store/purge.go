package store

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tenantforge/tenantforge/shared/tenancy"
)

// PurgeAPI is the part of the DynamoDB client a purge uses.
type PurgeAPI interface {
	Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
}

// Purger deletes every item of an offboarded tenant from a pooled table,
// page by page. It reads keys only (the control plane never reads tenant
// business data) and keeps no cursor: each page is the first page of what
// is left, so a purge stopped anywhere resumes by starting again.
type Purger struct {
	DB    PurgeAPI
	Table string
	// PageSize is how many keys one Query reads (default 100).
	PageSize int32
	// Retries is how often unprocessed items of a batch are sent again
	// (default 5) before they are deleted one by one.
	Retries int
	// Backoff is the first wait before a retry, doubling each time
	// (default 50 ms).
	Backoff time.Duration
	Now     func() time.Time
	Sleep   func(context.Context, time.Duration) error
}

// maxBatch is the most requests one BatchWriteItem takes.
const maxBatch = 25

// Purge deletes the tenant's items until none is left (done) or the
// deadline passes (not done: call again). It returns how many items it
// deleted.
func (p *Purger) Purge(ctx context.Context, tenantID string, deadline time.Time) (deleted int, done bool, err error) {
	if !tenancy.ValidSlug(tenantID) {
		return 0, false, fmt.Errorf("store: refusing to purge tenant id %q", tenantID)
	}
	keyCond, err := expression.NewBuilder().
		WithKeyCondition(expression.Key(tenancy.DataPartitionKey).Equal(expression.Value(tenantID))).
		WithProjection(expression.NamesList(expression.Name(tenancy.DataPartitionKey), expression.Name(tenancy.DataSortKey))).
		Build()
	if err != nil {
		return 0, false, err
	}
	size := p.PageSize
	if size <= 0 {
		size = 100
	}
	for {
		if !p.now().Before(deadline) {
			return deleted, false, nil
		}
		page, err := p.DB.Query(ctx, &dynamodb.QueryInput{
			TableName: aws.String(p.Table), ConsistentRead: aws.Bool(true), Limit: aws.Int32(size),
			Select:                    types.SelectSpecificAttributes,
			KeyConditionExpression:    keyCond.KeyCondition(),
			ProjectionExpression:      keyCond.Projection(),
			ExpressionAttributeNames:  keyCond.Names(),
			ExpressionAttributeValues: keyCond.Values(),
		})
		if err != nil {
			return deleted, false, fmt.Errorf("store: reading tenant %s's items: %w", tenantID, err)
		}
		if len(page.Items) == 0 {
			return deleted, true, nil
		}
		for start := 0; start < len(page.Items); start += maxBatch {
			batch := page.Items[start:min(start+maxBatch, len(page.Items))]
			if err := p.deleteBatch(ctx, tenantID, batch); err != nil {
				return deleted, false, err
			}
			deleted += len(batch)
		}
	}
}

// deleteBatch deletes up to 25 keys, sending unprocessed ones again with
// exponential backoff, and deleting what is still left one by one.
func (p *Purger) deleteBatch(ctx context.Context, tenantID string, keys []map[string]types.AttributeValue) error {
	reqs := make([]types.WriteRequest, len(keys))
	for i, k := range keys {
		if pk, ok := k[tenancy.DataPartitionKey].(*types.AttributeValueMemberS); !ok || pk.Value != tenantID {
			return fmt.Errorf("store: purge of %s met an item of another partition; stopping", tenantID)
		}
		reqs[i] = types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: k}}
	}
	retries, wait := p.Retries, p.Backoff
	if retries <= 0 {
		retries = 5
	}
	if wait <= 0 {
		wait = 50 * time.Millisecond
	}
	for attempt := 0; len(reqs) > 0 && attempt <= retries; attempt++ {
		if attempt > 0 {
			if err := p.sleep(ctx, wait); err != nil {
				return err
			}
			wait *= 2
		}
		out, err := p.DB.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{p.Table: reqs}})
		if err != nil {
			return fmt.Errorf("store: deleting tenant %s's items: %w", tenantID, err)
		}
		reqs = out.UnprocessedItems[p.Table]
	}
	for _, r := range reqs {
		if _, err := p.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(p.Table), Key: r.DeleteRequest.Key}); err != nil {
			return fmt.Errorf("store: deleting an item of tenant %s: %w", tenantID, err)
		}
	}
	return nil
}

func (p *Purger) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

func (p *Purger) sleep(ctx context.Context, d time.Duration) error {
	if p.Sleep != nil {
		return p.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
