package awsusage

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/costexplorer"
	cetypes "github.com/aws/aws-sdk-go-v2/service/costexplorer/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantforge/tenantforge/shared/billing"
)

// fakeCloudWatch answers ListMetrics in two pages and GetMetricData with
// a value per query derived from its metric and tenant.
type fakeCloudWatch struct {
	queries []cwtypes.MetricDataQuery
	start   time.Time
}

func dim(name, value string) cwtypes.Dimension {
	return cwtypes.Dimension{Name: aws.String(name), Value: aws.String(value)}
}

func (f *fakeCloudWatch) ListMetrics(_ context.Context, in *cloudwatch.ListMetricsInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.ListMetricsOutput, error) {
	if in.NextToken == nil {
		return &cloudwatch.ListMetricsOutput{NextToken: aws.String("p2"), Metrics: []cwtypes.Metric{
			{Dimensions: []cwtypes.Dimension{dim("tenant_id", "acme")}},
			{Dimensions: []cwtypes.Dimension{dim("tenant_id", "acme"), dim("tier", "basic"), dim("service", "orders")}},
		}}, nil
	}
	return &cloudwatch.ListMetricsOutput{Metrics: []cwtypes.Metric{{Dimensions: []cwtypes.Dimension{dim("tenant_id", "globex")}}}}, nil
}

func (f *fakeCloudWatch) GetMetricData(_ context.Context, in *cloudwatch.GetMetricDataInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error) {
	f.queries = append(f.queries, in.MetricDataQueries...)
	f.start = *in.StartTime
	out := &cloudwatch.GetMetricDataOutput{}
	for _, q := range in.MetricDataQueries {
		v := map[string]float64{"Requests": 100, "ItemsWritten": 10, "ConsumedReadCapacity": 1.5, "ConsumedWriteCapacity": 12}[*q.MetricStat.Metric.MetricName]
		if *q.MetricStat.Metric.Dimensions[0].Value == "globex" {
			v *= 2
		}
		out.MetricDataResults = append(out.MetricDataResults, cwtypes.MetricDataResult{Id: q.Id, Values: []float64{v}})
	}
	return out, nil
}

func TestUsageIsSummedPerTenantForTheDay(t *testing.T) {
	cw := &fakeCloudWatch{}
	r := &Reader{CloudWatch: cw, Namespace: "tenantforge", TagKey: "tenant-id"}
	day := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	got, err := r.Usage(context.Background(), day)
	require.NoError(t, err)
	assert.Equal(t, []billing.TenantUsage{
		{TenantID: "acme", Requests: 100, ItemsWritten: 10, ReadCapacityUnits: 1.5, WriteCapacityUnits: 12},
		{TenantID: "globex", Requests: 200, ItemsWritten: 20, ReadCapacityUnits: 3, WriteCapacityUnits: 24},
	}, got, "each tenant once (its tenant_id-only metric), every page read")
	assert.Len(t, cw.queries, 8)
	assert.Equal(t, day, cw.start)
	for _, q := range cw.queries {
		assert.Equal(t, "Sum", *q.MetricStat.Stat)
		assert.Equal(t, int32(86400), *q.MetricStat.Period)
		assert.Equal(t, "tenantforge", *q.MetricStat.Metric.Namespace)
	}
}

type fakeCE struct {
	in *costexplorer.GetCostAndUsageInput
}

func group(tag, svc, amount string) cetypes.Group {
	return cetypes.Group{Keys: []string{tag, svc}, Metrics: map[string]cetypes.MetricValue{"UnblendedCost": {Amount: aws.String(amount), Unit: aws.String("USD")}}}
}

func (f *fakeCE) GetCostAndUsage(_ context.Context, in *costexplorer.GetCostAndUsageInput, _ ...func(*costexplorer.Options)) (*costexplorer.GetCostAndUsageOutput, error) {
	f.in = in
	if in.NextPageToken == nil {
		return &costexplorer.GetCostAndUsageOutput{NextPageToken: aws.String("n"), ResultsByTime: []cetypes.ResultByTime{{Groups: []cetypes.Group{
			group("tenant-id$", "Amazon DynamoDB", "1.25"), group("tenant-id$", "AWS Lambda", "2.5"),
		}}}}, nil
	}
	return &costexplorer.GetCostAndUsageOutput{ResultsByTime: []cetypes.ResultByTime{{Groups: []cetypes.Group{
		group("tenant-id$initech", "AWS Lambda", "4"), group("tenant-id$initech", "Amazon DynamoDB", "1"),
	}}}}, nil
}

func TestCostsSplitTaggedTenantsFromTheSharedPlatform(t *testing.T) {
	ce := &fakeCE{}
	r := &Reader{CostExplorer: ce, Namespace: "tenantforge", TagKey: "tenant-id"}
	costs, err := r.Costs(context.Background(), time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	require.NoError(t, err)
	assert.Equal(t, billing.Costs{
		Tagged:            map[string]float64{"initech": 5},
		UntaggedByService: map[string]float64{"Amazon DynamoDB": 1.25, "AWS Lambda": 2.5},
	}, costs)
	assert.Equal(t, "2026-12-01", *ce.in.TimePeriod.Start)
	assert.Equal(t, "2026-12-02", *ce.in.TimePeriod.End, "Cost Explorer's end date is exclusive")
	assert.Equal(t, cetypes.GroupDefinitionTypeTag, ce.in.GroupBy[0].Type)
	assert.Equal(t, "tenant-id", *ce.in.GroupBy[0].Key)
}
