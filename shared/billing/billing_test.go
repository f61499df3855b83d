package billing_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantforge/tenantforge/internal/localdynamo"
	"github.com/tenantforge/tenantforge/shared/billing"
)

var computed = time.Date(2026, 12, 2, 2, 15, 0, 0, time.UTC)

func TestPoolCostIsSharedByUsageAndSiloCostIsTagged(t *testing.T) {
	recs := billing.Allocate("2026-12-01", []billing.TenantUsage{
		{TenantID: "acme", Requests: 300, ReadCapacityUnits: 10, WriteCapacityUnits: 70},
		{TenantID: "globex", Requests: 100, ReadCapacityUnits: 20, WriteCapacityUnits: 0},
		{TenantID: "initech", Requests: 5000, WriteCapacityUnits: 900}, // silo: pays its tagged cost only
	}, billing.Costs{
		Tagged:            map[string]float64{"initech": 12.5, "umbrella": 3},
		UntaggedByService: map[string]float64{billing.DynamoDBService: 1.0, "AWS Lambda": 2.0, "Amazon API Gateway": 2.0},
	}, computed)
	require.Len(t, recs, 4)
	byID := map[string]billing.Record{}
	for _, r := range recs {
		byID[r.TenantID] = r
	}
	acme, globex := byID["acme"], byID["globex"]
	assert.Equal(t, billing.BasisPoolShare, acme.CostBasis)
	assert.Equal(t, 0.75, acme.PoolShare, "acme made 300 of the 400 pooled requests")
	// compute 4.00 * 0.75 + DynamoDB 1.00 * 80/100
	assert.InDelta(t, 3.8, acme.EstimatedCostUSD, 1e-9, "acme must pay its share of requests and of capacity")
	assert.InDelta(t, 1.2, globex.EstimatedCostUSD, 1e-9)
	assert.InDelta(t, 5.0, acme.EstimatedCostUSD+globex.EstimatedCostUSD, 1e-9, "the pooled tenants together must carry the whole shared cost")
	assert.Equal(t, billing.Record{TenantID: "initech", Day: "2026-12-01", Requests: 5000, WriteCapacityUnits: 900, EstimatedCostUSD: 12.5,
		CostBasis: billing.BasisSiloTagged, ComputedAt: "2026-12-02T02:15:00Z"}, byID["initech"], "a silo tenant must not also be charged a pool share")
	assert.Equal(t, 3.0, byID["umbrella"].EstimatedCostUSD, "a silo tenant without traffic still has its stack's cost")
}

func TestNoPooledUsageLeavesSharedCostUnallocated(t *testing.T) {
	recs := billing.Allocate("2026-12-01", []billing.TenantUsage{{TenantID: "acme"}}, billing.Costs{UntaggedByService: map[string]float64{"AWS Lambda": 2}}, computed)
	require.Len(t, recs, 1)
	assert.Zero(t, recs[0].EstimatedCostUSD, "a tenant that made no request must not be charged the platform")
}

type fakeSource struct {
	usage   []billing.TenantUsage
	costs   billing.Costs
	costErr error
}

func (f *fakeSource) Usage(context.Context, time.Time) ([]billing.TenantUsage, error) {
	return f.usage, nil
}
func (f *fakeSource) Costs(context.Context, time.Time) (billing.Costs, error) {
	return f.costs, f.costErr
}

func newStore(t *testing.T) *billing.Store {
	t.Helper()
	l := localdynamo.Start(nil)
	t.Cleanup(l.Close)
	require.NoError(t, l.CreateUsageTable(context.Background(), "usage"))
	return &billing.Store{DB: l.Client, Table: "usage", Retention: 400 * 24 * time.Hour}
}

func TestDailyRunSavesRecordsAndARetryReplacesThem(t *testing.T) {
	store := newStore(t)
	src := &fakeSource{usage: []billing.TenantUsage{{TenantID: "acme", Requests: 10}}, costErr: errors.New("AccessDeniedException: ce:GetCostAndUsage")}
	job := &billing.Job{Source: src, Store: store, Now: func() time.Time { return computed }}
	ev := events.CloudWatchEvent{Time: time.Date(2026, 12, 2, 2, 15, 0, 0, time.UTC)}
	err := job.Handle(context.Background(), ev)
	require.Error(t, err, "a run without cost must fail so the scheduler retries it")
	got, err := store.List(context.Background(), "acme", 30)
	require.NoError(t, err)
	require.Len(t, got, 1, "the usage must be kept even when the cost is not available")
	assert.Equal(t, "2026-12-01", got[0].Day, "the run computes the day before the schedule fired")
	assert.Equal(t, billing.BasisUnavailable, got[0].CostBasis)

	src.costErr, src.costs = nil, billing.Costs{UntaggedByService: map[string]float64{"AWS Lambda": 0.42}}
	require.NoError(t, job.Handle(context.Background(), ev))
	got, err = store.List(context.Background(), "acme", 30)
	require.NoError(t, err)
	require.Len(t, got, 1, "a retried day must replace its record, not add one")
	assert.Equal(t, 0.42, got[0].EstimatedCostUSD)
	assert.Equal(t, billing.BasisPoolShare, got[0].CostBasis)
	assert.Equal(t, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC).Add(400*24*time.Hour).Unix(), got[0].ExpiresAt, "records must expire by TTL")
}

func TestListReturnsNewestDaysOfOneTenantOnly(t *testing.T) {
	store := newStore(t)
	var recs []billing.Record
	for d := 1; d <= 5; d++ {
		day := time.Date(2026, 11, d, 0, 0, 0, 0, time.UTC).Format(billing.DayLayout)
		recs = append(recs, billing.Record{TenantID: "acme", Day: day, Requests: float64(d)}, billing.Record{TenantID: "globex", Day: day})
	}
	require.NoError(t, store.Save(context.Background(), recs))
	got, err := store.List(context.Background(), "acme", 3)
	require.NoError(t, err)
	require.Len(t, got, 3)
	assert.Equal(t, []string{"2026-11-05", "2026-11-04", "2026-11-03"}, []string{got[0].Day, got[1].Day, got[2].Day})
	for _, r := range got {
		assert.Equal(t, "acme", r.TenantID, "another tenant's usage leaked into acme's")
	}
	_, err = store.List(context.Background(), "acme", 0)
	assert.Error(t, err)
}
