package store

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantforge/tenantforge/internal/localdynamo"
	"github.com/tenantforge/tenantforge/shared/tenancy"
)

// stingyDB is the emulator, except that each BatchWriteItem processes only
// its first `processes` deletes and hands the rest back unprocessed, as
// DynamoDB does under throttling.
type stingyDB struct {
	*dynamodb.Client
	mu        sync.Mutex
	processes int
	batches   int
	singles   int
}

func (s *stingyDB) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	s.mu.Lock()
	s.batches++
	s.mu.Unlock()
	out := &dynamodb.BatchWriteItemOutput{UnprocessedItems: map[string][]types.WriteRequest{}}
	for table, reqs := range in.RequestItems {
		n := min(s.processes, len(reqs))
		if n > 0 {
			if _, err := s.Client.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{table: reqs[:n]}}, opts...); err != nil {
				return nil, err
			}
		}
		if n < len(reqs) {
			out.UnprocessedItems[table] = reqs[n:]
		}
	}
	return out, nil
}

func (s *stingyDB) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	s.mu.Lock()
	s.singles++
	s.mu.Unlock()
	return s.Client.DeleteItem(ctx, in, opts...)
}

func seed(t *testing.T, db *dynamodb.Client, tenant string, n int) {
	t.Helper()
	for i := range n {
		_, err := db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String("data"), Item: map[string]types.AttributeValue{
			tenancy.DataPartitionKey: &types.AttributeValueMemberS{Value: tenant},
			tenancy.DataSortKey:      &types.AttributeValueMemberS{Value: fmt.Sprintf("PRODUCT#%04d", i)},
			"name":                   &types.AttributeValueMemberS{Value: "secret business data"},
		}})
		require.NoError(t, err)
	}
}

func count(t *testing.T, db *dynamodb.Client, tenant string) int {
	t.Helper()
	out, err := db.Query(context.Background(), &dynamodb.QueryInput{
		TableName: aws.String("data"), KeyConditionExpression: aws.String("tenantId = :t"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":t": &types.AttributeValueMemberS{Value: tenant}},
	})
	require.NoError(t, err)
	return len(out.Items)
}

func TestPurgeDeletesOneTenantsItemsOnly(t *testing.T) {
	l := localdynamo.Start(nil)
	t.Cleanup(l.Close)
	require.NoError(t, l.CreateDataTable(context.Background(), "data"))
	seed(t, l.Client, "acme", 130)
	seed(t, l.Client, "globex", 7)
	db := &stingyDB{Client: l.Client, processes: 10}
	p := &Purger{DB: db, Table: "data", PageSize: 60, Sleep: func(context.Context, time.Duration) error { return nil }}

	deleted, done, err := p.Purge(context.Background(), "acme", time.Now().Add(time.Minute))
	require.NoError(t, err)
	assert.True(t, done)
	assert.Equal(t, 130, deleted)
	assert.Zero(t, count(t, l.Client, "acme"), "an offboarded tenant's items must all be gone")
	assert.Equal(t, 7, count(t, l.Client, "globex"), "another tenant's items must be untouched by a purge")
	// Pages of 60, 60 and 10 keys in batches of 25, 25, 10: a batch of 25
	// takes 3 calls at 10 processed per call, a batch of 10 one call.
	assert.Equal(t, 0, db.singles, "retried batches should finish without single deletes")
	assert.Equal(t, 7+7+1, db.batches, "unprocessed items must be sent again, not dropped")
}

func TestPurgeFallsBackToSingleDeletesAndStopsAtTheDeadline(t *testing.T) {
	l := localdynamo.Start(nil)
	t.Cleanup(l.Close)
	require.NoError(t, l.CreateDataTable(context.Background(), "data"))
	seed(t, l.Client, "acme", 30)
	db := &stingyDB{Client: l.Client, processes: 0}
	clock := time.Now()
	deadline := clock.Add(time.Second)
	p := &Purger{DB: db, Table: "data", PageSize: 20, Retries: 2,
		Now:   func() time.Time { return clock },
		Sleep: func(context.Context, time.Duration) error { clock = clock.Add(600 * time.Millisecond); return nil }}

	deleted, done, err := p.Purge(context.Background(), "acme", deadline)
	require.NoError(t, err)
	assert.False(t, done, "past the time budget the purge must stop and say it is not done")
	assert.Equal(t, 20, deleted)
	assert.Equal(t, 20, db.singles, "items a batch never processed must be deleted one by one")
	assert.Equal(t, 10, count(t, l.Client, "acme"))

	clock = time.Now()
	deleted, done, err = p.Purge(context.Background(), "acme", clock.Add(time.Hour))
	require.NoError(t, err)
	assert.True(t, done, "the same purge called again must finish what is left")
	assert.Equal(t, 10, deleted)
	assert.Zero(t, count(t, l.Client, "acme"))

	_, _, err = p.Purge(context.Background(), "", deadline)
	assert.ErrorContains(t, err, "refusing", "an empty tenant id must never reach a Query")
}
