// Package awsusage reads a day's per-tenant usage from the usage metrics in
// CloudWatch and the account's cost from Cost Explorer, for the scheduled
// usage function. Only lambdas/usage links it (and with it the CloudWatch
// and Cost Explorer clients); request-path functions never do.
package awsusage

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/costexplorer"
	cetypes "github.com/aws/aws-sdk-go-v2/service/costexplorer/types"

	"github.com/tenantforge/tenantforge/shared/billing"
	"github.com/tenantforge/tenantforge/shared/obs"
)

// CloudWatch is the part of the CloudWatch client the reader uses.
type CloudWatch interface {
	ListMetrics(ctx context.Context, in *cloudwatch.ListMetricsInput, opts ...func(*cloudwatch.Options)) (*cloudwatch.ListMetricsOutput, error)
	GetMetricData(ctx context.Context, in *cloudwatch.GetMetricDataInput, opts ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error)
}

// CostExplorer is the part of the Cost Explorer client the reader uses.
type CostExplorer interface {
	GetCostAndUsage(ctx context.Context, in *costexplorer.GetCostAndUsageInput, opts ...func(*costexplorer.Options)) (*costexplorer.GetCostAndUsageOutput, error)
}

// Reader reads usage and cost.
type Reader struct {
	CloudWatch   CloudWatch
	CostExplorer CostExplorer
	// Namespace is the usage metrics' namespace (observability.namespace).
	Namespace string
	// TagKey is the cost allocation tag naming a silo tenant (tenant-id).
	TagKey string
}

// usageMetrics are summed per tenant for the day, in TenantUsage order.
var usageMetrics = []string{obs.MetricRequests, obs.MetricItemsWritten, obs.MetricReadCapacity, obs.MetricWriteCapacity}

// maxQueries is GetMetricData's limit of queries per call.
const maxQueries = 500

// Usage returns each tenant's usage on the UTC day starting at day: the
// tenants are those with a Requests metric under the tenant_id dimension
// alone (obs.DimensionSets).
func (r *Reader) Usage(ctx context.Context, day time.Time) ([]billing.TenantUsage, error) {
	var tenants []string
	in := &cloudwatch.ListMetricsInput{
		Namespace: aws.String(r.Namespace), MetricName: aws.String(obs.MetricRequests),
		Dimensions: []cwtypes.DimensionFilter{{Name: aws.String(obs.DimTenant)}},
	}
	for {
		out, err := r.CloudWatch.ListMetrics(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("listing the tenants' metrics: %w", err)
		}
		for _, m := range out.Metrics {
			if len(m.Dimensions) == 1 && aws.ToString(m.Dimensions[0].Name) == obs.DimTenant {
				tenants = append(tenants, aws.ToString(m.Dimensions[0].Value))
			}
		}
		if aws.ToString(out.NextToken) == "" {
			break
		}
		in.NextToken = out.NextToken
	}
	usage := make([]billing.TenantUsage, len(tenants))
	perCall := maxQueries / len(usageMetrics)
	for lo := 0; lo < len(tenants); lo += perCall {
		hi := min(lo+perCall, len(tenants))
		var queries []cwtypes.MetricDataQuery
		for i := lo; i < hi; i++ {
			usage[i].TenantID = tenants[i]
			for j, name := range usageMetrics {
				queries = append(queries, cwtypes.MetricDataQuery{
					Id: aws.String(fmt.Sprintf("t%d_%d", i, j)),
					MetricStat: &cwtypes.MetricStat{
						Metric: &cwtypes.Metric{Namespace: aws.String(r.Namespace), MetricName: aws.String(name),
							Dimensions: []cwtypes.Dimension{{Name: aws.String(obs.DimTenant), Value: aws.String(tenants[i])}}},
						Period: aws.Int32(86400), Stat: aws.String("Sum"),
					},
				})
			}
		}
		req := &cloudwatch.GetMetricDataInput{MetricDataQueries: queries, StartTime: aws.Time(day), EndTime: aws.Time(day.Add(24 * time.Hour))}
		for {
			out, err := r.CloudWatch.GetMetricData(ctx, req)
			if err != nil {
				return nil, fmt.Errorf("reading the tenants' metrics: %w", err)
			}
			for _, res := range out.MetricDataResults {
				var i, j int
				if _, err := fmt.Sscanf(aws.ToString(res.Id), "t%d_%d", &i, &j); err != nil || i >= len(usage) || j >= len(usageMetrics) {
					return nil, fmt.Errorf("reading the tenants' metrics: unexpected result id %q", aws.ToString(res.Id))
				}
				var sum float64
				for _, v := range res.Values {
					sum += v
				}
				u := &usage[i]
				switch j {
				case 0:
					u.Requests += sum
				case 1:
					u.ItemsWritten += sum
				case 2:
					u.ReadCapacityUnits += sum
				case 3:
					u.WriteCapacityUnits += sum
				}
			}
			if aws.ToString(out.NextToken) == "" {
				break
			}
			req.NextToken = out.NextToken
		}
	}
	return usage, nil
}

// Costs returns the day's unblended cost grouped by the tenant tag and
// service. Cost Explorer writes a group's tag as "tenant-id$acme", and
// "tenant-id$" for resources without the tag.
func (r *Reader) Costs(ctx context.Context, day time.Time) (billing.Costs, error) {
	costs := billing.Costs{Tagged: map[string]float64{}, UntaggedByService: map[string]float64{}}
	in := &costexplorer.GetCostAndUsageInput{
		TimePeriod: &cetypes.DateInterval{
			Start: aws.String(day.Format(billing.DayLayout)), End: aws.String(day.Add(24 * time.Hour).Format(billing.DayLayout)),
		},
		Granularity: cetypes.GranularityDaily,
		Metrics:     []string{"UnblendedCost"},
		GroupBy: []cetypes.GroupDefinition{
			{Type: cetypes.GroupDefinitionTypeTag, Key: aws.String(r.TagKey)},
			{Type: cetypes.GroupDefinitionTypeDimension, Key: aws.String("SERVICE")},
		},
	}
	for {
		out, err := r.CostExplorer.GetCostAndUsage(ctx, in)
		if err != nil {
			return costs, fmt.Errorf("reading the day's cost: %w", err)
		}
		for _, period := range out.ResultsByTime {
			for _, g := range period.Groups {
				if len(g.Keys) != 2 {
					return costs, fmt.Errorf("reading the day's cost: a group has keys %v, want [tag, service]", g.Keys)
				}
				amount, err := strconv.ParseFloat(aws.ToString(g.Metrics["UnblendedCost"].Amount), 64)
				if err != nil {
					return costs, fmt.Errorf("reading the day's cost: amount of %v: %w", g.Keys, err)
				}
				tenant := strings.TrimPrefix(g.Keys[0], r.TagKey+"$")
				if tenant == "" {
					costs.UntaggedByService[g.Keys[1]] += amount
				} else {
					costs.Tagged[tenant] += amount
				}
			}
		}
		if aws.ToString(out.NextPageToken) == "" {
			break
		}
		in.NextPageToken = out.NextPageToken
	}
	return costs, nil
}
