// Package billing turns a day's per-tenant usage and the account's cost
// into each tenant's daily usage record with an estimated cost, and keeps
// the records in the tenant-usage table. It links only DynamoDB: the Cost
// Explorer and CloudWatch readers live in billing/awsusage, so the tenants
// function (which serves the records) does not carry them.
package billing

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// DayLayout is how days are written: 2026-12-01 (UTC).
const DayLayout = "2006-01-02"

// Cost bases of a record.
const (
	// BasisPoolShare: a pooled tenant's share of the untagged (shared)
	// cost, in proportion to its usage.
	BasisPoolShare = "pool-share"
	// BasisSiloTagged: the cost of the resources tagged with the tenant's id.
	BasisSiloTagged = "silo-tagged"
)

// DynamoDBService is Cost Explorer's SERVICE value of DynamoDB.
const DynamoDBService = "Amazon DynamoDB"

// TenantUsage is what a tenant used on one day (from its usage metrics).
type TenantUsage struct {
	TenantID           string
	Requests           float64
	ItemsWritten       float64
	ReadCapacityUnits  float64
	WriteCapacityUnits float64
}

// Costs is one day's cost of the account in US dollars: per tenant for
// resources carrying the tenant tag (silo tenants), and per AWS service for
// everything untagged (the shared platform the pooled tenants use).
type Costs struct {
	Tagged            map[string]float64
	UntaggedByService map[string]float64
}

// Record is one tenant's day, as stored and as GET
// /tenants/{tenantId}/usage returns it.
type Record struct {
	TenantID           string  `dynamodbav:"tenantId" json:"-"`
	Day                string  `dynamodbav:"day" json:"day"`
	Requests           float64 `dynamodbav:"requests" json:"requests"`
	ItemsWritten       float64 `dynamodbav:"itemsWritten" json:"itemsWritten"`
	ReadCapacityUnits  float64 `dynamodbav:"readCapacityUnits" json:"readCapacityUnits"`
	WriteCapacityUnits float64 `dynamodbav:"writeCapacityUnits" json:"writeCapacityUnits"`
	EstimatedCostUSD   float64 `dynamodbav:"estimatedCostUsd" json:"estimatedCostUsd"`
	CostBasis          string  `dynamodbav:"costBasis" json:"costBasis"`
	// PoolShare is the fraction of the shared compute cost charged to a
	// pooled tenant (its share of pooled requests).
	PoolShare  float64 `dynamodbav:"poolShare" json:"poolShare,omitempty"`
	ComputedAt string  `dynamodbav:"computedAt" json:"computedAt"`
	ExpiresAt  int64   `dynamodbav:"expiresAt" json:"-"`
}

// Allocate computes each tenant's record for day. Tenants with tagged cost
// are silo tenants and carry that cost. The untagged cost is shared by the
// pooled tenants in proportion to their usage: DynamoDB by consumed
// capacity units, every other service by requests. With no pooled usage
// the shared cost stays unallocated (it is the platform's own).
func Allocate(day string, usage []TenantUsage, costs Costs, now time.Time) []Record {
	byTenant := map[string]*Record{}
	get := func(id string) *Record {
		r := byTenant[id]
		if r == nil {
			r = &Record{TenantID: id, Day: day, ComputedAt: now.UTC().Format(time.RFC3339)}
			byTenant[id] = r
		}
		return r
	}
	var poolRequests, poolCapacity float64
	for _, u := range usage {
		r := get(u.TenantID)
		r.Requests += u.Requests
		r.ItemsWritten += u.ItemsWritten
		r.ReadCapacityUnits += u.ReadCapacityUnits
		r.WriteCapacityUnits += u.WriteCapacityUnits
	}
	for id, cost := range costs.Tagged {
		r := get(id)
		r.CostBasis, r.EstimatedCostUSD = BasisSiloTagged, cost
	}
	for _, r := range byTenant {
		if r.CostBasis == "" {
			poolRequests += r.Requests
			poolCapacity += r.ReadCapacityUnits + r.WriteCapacityUnits
		}
	}
	var dynamo, compute float64
	for svc, cost := range costs.UntaggedByService {
		if svc == DynamoDBService {
			dynamo += cost
		} else {
			compute += cost
		}
	}
	for _, r := range byTenant {
		if r.CostBasis != "" {
			continue
		}
		r.CostBasis = BasisPoolShare
		if poolRequests > 0 {
			r.PoolShare = r.Requests / poolRequests
		}
		capShare := r.PoolShare
		if poolCapacity > 0 {
			capShare = (r.ReadCapacityUnits + r.WriteCapacityUnits) / poolCapacity
		}
		r.EstimatedCostUSD = compute*r.PoolShare + dynamo*capShare
	}
	out := make([]Record, 0, len(byTenant))
	for _, id := range slices.Sorted(maps.Keys(byTenant)) {
		r := byTenant[id]
		r.EstimatedCostUSD = math.Round(r.EstimatedCostUSD*1e6) / 1e6
		r.PoolShare = math.Round(r.PoolShare*1e6) / 1e6
		out = append(out, *r)
	}
	return out
}

// API is the part of the DynamoDB client the store uses.
type API interface {
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

// Store keeps the records in the tenant-usage table (partition key
// tenantId, sort key day, TTL attribute expiresAt).
type Store struct {
	DB    API
	Table string
	// Retention is how long a record lives before DynamoDB's TTL removes it.
	Retention time.Duration
}

// Table keys of the tenant-usage table; infra/usage.go creates it with them.
const (
	PartitionKey = "tenantId"
	SortKey      = "day"
	TTLAttribute = "expiresAt"
)

// MaxDays is the longest history GET /tenants/{tenantId}/usage returns;
// DefaultDays what it returns without ?days=.
const (
	MaxDays     = 400
	DefaultDays = 30
)

// Save writes the records; a day computed again replaces the earlier
// record, so a retried run is harmless. It writes every record it can and
// reports those it could not.
func (s *Store) Save(ctx context.Context, recs []Record) error {
	var errs []error
	for _, r := range recs {
		day, err := time.Parse(DayLayout, r.Day)
		if err != nil {
			return fmt.Errorf("billing: record of %s has day %q; want YYYY-MM-DD", r.TenantID, r.Day)
		}
		r.ExpiresAt = day.Add(s.Retention).Unix()
		item, err := attributevalue.MarshalMap(r)
		if err != nil {
			return err
		}
		if _, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: item}); err != nil {
			errs = append(errs, fmt.Errorf("saving %s's usage of %s: %w", r.TenantID, r.Day, err))
		}
	}
	return errors.Join(errs...)
}

// List returns a tenant's most recent days, newest first.
func (s *Store) List(ctx context.Context, tenantID string, days int) ([]Record, error) {
	if days < 1 || days > MaxDays {
		return nil, fmt.Errorf("billing: days must be 1 to %d, got %d", MaxDays, days)
	}
	cond, err := expression.NewBuilder().WithKeyCondition(expression.Key(PartitionKey).Equal(expression.Value(tenantID))).Build()
	if err != nil {
		return nil, err
	}
	var out []Record
	in := &dynamodb.QueryInput{
		TableName: aws.String(s.Table), KeyConditionExpression: cond.KeyCondition(),
		ExpressionAttributeNames: cond.Names(), ExpressionAttributeValues: cond.Values(),
		ScanIndexForward: aws.Bool(false), Limit: aws.Int32(int32(days)),
	}
	for {
		res, err := s.DB.Query(ctx, in)
		if err != nil {
			return nil, err
		}
		var page []Record
		if err := attributevalue.UnmarshalListOfMaps(res.Items, &page); err != nil {
			return nil, err
		}
		out = append(out, page...)
		if len(out) >= days || len(res.LastEvaluatedKey) == 0 {
			break
		}
		in.ExclusiveStartKey = res.LastEvaluatedKey
		in.Limit = aws.Int32(int32(days - len(out)))
	}
	return out, nil
}
