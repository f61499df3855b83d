package infra

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/tenantforge/tenantforge/shared/obs"
)

// Metrics of the log metric filters and rules of the Observability
// component, beside the ones the code emits (shared/obs).
const (
	// MetricAPIThrottles counts API Gateway's 429s (usage plan throttling
	// and quotas) from the access logs, by tenant_id and tier.
	MetricAPIThrottles = "ApiThrottles"
)

// DashboardSpec is everything the dashboard shows, in plain values.
type DashboardSpec struct {
	Region     string
	Namespace  string
	Tiers      []string
	Services   []string
	TopTenants int
	// APIs are API Gateway API names (ApiName dimension) of stage StageName.
	APIs      []string
	Functions []string
	// LogGroups are the functions' log groups, whose request lines give
	// per-tenant latency percentiles (metric queries have no percentiles).
	LogGroups []string
	Tables    []string
	// ProvisionedRule and ProvisioningFailedRule are EventBridge rule names
	// whose MatchedEvents count provisioning outcomes (platform stack only:
	// without them the sign-in, sign-up and provisioning row is left out).
	ProvisionedRule, ProvisioningFailedRule string
	// PipelineSucceededRule and PipelineFailedRule, when set, count the
	// pipeline's executions.
	PipelineSucceededRule, PipelineFailedRule string
}

type widget struct {
	Type       string         `json:"type"`
	X          int            `json:"x"`
	Y          int            `json:"y"`
	Width      int            `json:"width"`
	Height     int            `json:"height"`
	Properties map[string]any `json:"properties"`
}

// DashboardBody renders the CloudWatch dashboard: per tier (requests,
// 4xx/5xx, p50/p99 latency, throttles), the top tenants, authorizer
// denials, registrations and provisioning outcomes, the pipeline, the APIs,
// every function and every table.
func DashboardBody(s DashboardSpec) (string, error) {
	if s.Region == "" || s.Namespace == "" || s.TopTenants < 1 {
		return "", errors.New("dashboard: Region, Namespace and TopTenants are required")
	}
	var widgets []widget
	y := 0
	row := func(ws ...widget) {
		x := 0
		for _, w := range ws {
			w.X, w.Y = x, y
			x += w.Width
			widgets = append(widgets, w)
		}
		y += 6
	}
	metricWidget := func(title string, stat string, metrics [][]any) widget {
		return widget{Type: "metric", Width: 6, Height: 6, Properties: map[string]any{
			"title": title, "region": s.Region, "view": "timeSeries", "stat": stat, "period": 300, "metrics": metrics,
		}}
	}
	text := func(md string) {
		widgets = append(widgets, widget{Type: "text", X: 0, Y: y, Width: 24, Height: 1, Properties: map[string]any{"markdown": md}})
		y++
	}
	ns := s.Namespace

	text("## Tiers")
	for _, tier := range s.Tiers {
		var requests, errs, latency [][]any
		for _, svc := range s.Services {
			dims := []any{obs.DimTier, tier, obs.DimService, svc}
			requests = append(requests, append([]any{ns, obs.MetricRequests}, dims...))
			errs = append(errs, append(append([]any{ns, obs.MetricClientErrors}, dims...), map[string]any{"label": svc + " 4xx"}),
				append(append([]any{ns, obs.MetricServerErrors}, dims...), map[string]any{"label": svc + " 5xx"}))
			latency = append(latency, append(append([]any{ns, obs.MetricLatency}, dims...), map[string]any{"stat": "p50", "label": svc + " p50"}),
				append(append([]any{ns, obs.MetricLatency}, dims...), map[string]any{"stat": "p99", "label": svc + " p99"}))
		}
		throttles := [][]any{{map[string]any{"id": "t", "label": tier + " throttled (429)",
			"expression": fmt.Sprintf(`SELECT SUM(%s) FROM SCHEMA("%s", %s, %s) WHERE %s = '%s'`, MetricAPIThrottles, ns, obs.DimTenant, obs.DimTier, obs.DimTier, tier)}}}
		row(metricWidget(tier+": requests", "Sum", requests), metricWidget(tier+": 4xx / 5xx", "Sum", errs),
			metricWidget(tier+": latency p50 / p99 (ms)", "p99", latency), metricWidget(tier+": throttles", "Sum", throttles))
	}

	text(fmt.Sprintf("## Top %d tenants", s.TopTenants))
	top := func(title, fn, metric string, schemaDims ...string) widget {
		q := fmt.Sprintf(`SELECT %s(%s) FROM SCHEMA("%s", %s) GROUP BY %s ORDER BY %s() DESC LIMIT %d`,
			fn, metric, ns, strings.Join(schemaDims, ", "), obs.DimTenant, fn, s.TopTenants)
		return metricWidget(title, fn, [][]any{{map[string]any{"id": "q", "expression": q, "label": title}}})
	}
	usageDims := []string{obs.DimTenant, obs.DimTier, obs.DimService}
	row(top("Top tenants by requests", "SUM", obs.MetricRequests, usageDims...),
		top("Top tenants by 4xx", "SUM", obs.MetricClientErrors, usageDims...),
		top("Top tenants by 5xx", "SUM", obs.MetricServerErrors, usageDims...),
		top("Top tenants by latency (max ms)", "MAX", obs.MetricLatency, usageDims...))
	if len(s.LogGroups) > 0 {
		// Metrics Insights has no percentiles: a tenant's p50/p99 come
		// from the request lines in the functions' logs.
		widgets = append(widgets, widget{Type: "log", X: 0, Y: y, Width: 24, Height: 6, Properties: map[string]any{
			"title": fmt.Sprintf("Top %d tenants by p99 latency (ms, request logs)", s.TopTenants), "region": s.Region, "view": "table",
			"query": TenantLatencyQuery(s.LogGroups, s.TopTenants),
		}})
		y += 6
	}
	row(top("Top tenants by throttles (429)", "SUM", MetricAPIThrottles, obs.DimTenant, obs.DimTier),
		top("Top tenants by items written", "SUM", obs.MetricItemsWritten, usageDims...),
		top("Top tenants by write capacity", "SUM", obs.MetricWriteCapacity, usageDims...),
		top("Top tenants by read capacity", "SUM", obs.MetricReadCapacity, usageDims...))

	if s.ProvisionedRule != "" {
		text("## Sign-in, sign-up and provisioning")
		lifecycle := []widget{
			metricWidget("Authorizer denials", "Sum", [][]any{{ns, obs.MetricAuthorizerDenials}}),
			metricWidget("Registration failures", "Sum", [][]any{{ns, obs.MetricRegistrationFailures}}),
			metricWidget("Provisioning outcomes", "Sum", [][]any{
				{"AWS/Events", "MatchedEvents", "RuleName", s.ProvisionedRule, map[string]any{"label": "provisioned"}},
				{"AWS/Events", "MatchedEvents", "RuleName", s.ProvisioningFailedRule, map[string]any{"label": "failed"}},
			}),
		}
		if s.PipelineSucceededRule != "" {
			lifecycle = append(lifecycle, metricWidget("Pipeline executions", "Sum", [][]any{
				{"AWS/Events", "MatchedEvents", "RuleName", s.PipelineSucceededRule, map[string]any{"label": "succeeded"}},
				{"AWS/Events", "MatchedEvents", "RuleName", s.PipelineFailedRule, map[string]any{"label": "failed"}},
			}))
		}
		row(lifecycle...)
	}

	text("## APIs, functions and tables")
	var apiCount, apiErrors, apiLatency [][]any
	for _, api := range s.APIs {
		dims := []any{"ApiName", api, "Stage", StageName}
		apiCount = append(apiCount, append([]any{"AWS/ApiGateway", "Count"}, dims...))
		apiErrors = append(apiErrors, append([]any{"AWS/ApiGateway", "4XXError"}, dims...), append([]any{"AWS/ApiGateway", "5XXError"}, dims...))
		apiLatency = append(apiLatency, append(append([]any{"AWS/ApiGateway", "Latency"}, dims...), map[string]any{"stat": "p50"}),
			append(append([]any{"AWS/ApiGateway", "Latency"}, dims...), map[string]any{"stat": "p99"}))
	}
	var fnErrors, fnThrottles, tableThrottles [][]any
	for _, fn := range s.Functions {
		fnErrors = append(fnErrors, []any{"AWS/Lambda", "Errors", "FunctionName", fn})
		fnThrottles = append(fnThrottles, []any{"AWS/Lambda", "Throttles", "FunctionName", fn})
	}
	for _, t := range s.Tables {
		tableThrottles = append(tableThrottles, []any{"AWS/DynamoDB", "ReadThrottleEvents", "TableName", t}, []any{"AWS/DynamoDB", "WriteThrottleEvents", "TableName", t})
	}
	row(metricWidget("API requests", "Sum", apiCount), metricWidget("API 4xx / 5xx", "Sum", apiErrors),
		metricWidget("API latency p50 / p99 (ms)", "p99", apiLatency), metricWidget("DynamoDB throttles", "Sum", tableThrottles))
	row(metricWidget("Function errors", "Sum", fnErrors), metricWidget("Function throttles", "Sum", fnThrottles))

	b, err := json.Marshal(map[string]any{"widgets": widgets})
	return string(b), err
}

// TenantLatencyQuery is the Logs Insights query of the dashboard's
// per-tenant latency table: p50 and p99 of each tenant's requests in the
// given log groups, slowest first.
func TenantLatencyQuery(logGroups []string, top int) string {
	var b strings.Builder
	for _, g := range logGroups {
		fmt.Fprintf(&b, "SOURCE '%s' | ", g)
	}
	fmt.Fprintf(&b, `filter msg = "request" and ispresent(tenant_id)
| stats pct(latency_ms, 50) as p50_ms, pct(latency_ms, 99) as p99_ms, count(*) as requests by tenant_id, tier
| sort p99_ms desc
| limit %d`, top)
	return b.String()
}
