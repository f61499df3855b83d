package tests

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantforge/tenantforge/infra"
	"github.com/tenantforge/tenantforge/internal/mockcloud"
	"github.com/tenantforge/tenantforge/shared/obs"
)

const (
	typeDashboard = "aws:cloudwatch/dashboard:Dashboard"
	typeFilter    = "aws:cloudwatch/logMetricFilter:LogMetricFilter"
	typeRule      = "aws:cloudwatch/eventRule:EventRule"
	typeQuery     = "aws:cloudwatch/queryDefinition:QueryDefinition"
	typeCostTag   = "aws:costexplorer/costAllocationTag:CostAllocationTag"
	typeTopicSub  = "aws:sns/topicSubscription:TopicSubscription"
)

// alarmsOn returns the alarms whose metric (or one of whose metric queries)
// has the dimension name=value, by metric name.
func alarmsOn(rec *mockcloud.Recording, name, value string) map[string]*mockcloud.Resource {
	out := map[string]*mockcloud.Resource{}
	for _, a := range rec.OfType(typeAlarm) {
		if dims, _ := a.Input("dimensions").(map[string]any); dims[name] == value {
			out[a.Input("metricName").(string)] = a
		}
		queries, _ := a.Input("metricQueries").([]any)
		for _, q := range queries {
			m, _ := q.(map[string]any)["metric"].(map[string]any)
			if dims, _ := m["dimensions"].(map[string]any); m != nil && dims[name] == value {
				out[m["metricName"].(string)] = a
			}
		}
	}
	return out
}

// Every function and API of the stack must be watched: a function added
// later without alarms fails here.
func TestEveryFunctionAPIAndTableHasAlarms(t *testing.T) {
	rec := run(t, "dev", stackConfig(t, "dev"), nil)
	topic := find(t, rec, "aws:sns/topic:Topic", "observability-alarms").Output("arn")
	lambdas := rec.OfType(typeLambda)
	require.Len(t, lambdas, 7, "authorizer, products, orders, registration, tenants, users, usage")
	for _, fn := range lambdas {
		name := fn.Input("name").(string)
		alarms := alarmsOn(rec, "FunctionName", name)
		assert.Contains(t, alarms, "Errors", "function %s has no errors alarm: add it to ObservabilityArgs.Functions (infra/program.go)", name)
		assert.Contains(t, alarms, "Throttles", "function %s has no throttles alarm: add it to ObservabilityArgs.Functions", name)
	}
	for _, api := range rec.OfType(typeRestAPI) {
		name := api.Input("name").(string)
		alarms := alarmsOn(rec, "ApiName", name)
		require.Contains(t, alarms, "5XXError", "API %s has no 5xx alarm", name)
		require.Contains(t, alarms, "Latency", "API %s has no latency alarm", name)
		assert.Equal(t, "p99", alarms["Latency"].Input("extendedStatistic"))
		assert.Equal(t, float64(2000), alarms["Latency"].Input("threshold"), "the p99 threshold comes from observability.thresholds.p99LatencyMs")
		assert.Equal(t, float64(1), alarms["5XXError"].Input("threshold"), "the 5xx rate threshold comes from observability.thresholds.api5xxPercent")
	}
	for _, table := range rec.OfType(typeTable) {
		alarms := alarmsOn(rec, "TableName", table.Input("name").(string))
		assert.Contains(t, alarms, "ReadThrottleEvents", "table %s is not watched for throttling", table.Name)
		assert.Contains(t, alarms, "WriteThrottleEvents", "table %s is not watched for throttling", table.Name)
	}
	// A silo tenant's stack: its functions, API and table too.
	silo := run(t, "dev-tenant-example", stackConfig(t, "dev-tenant-example"), platformOutputs(t))
	require.Len(t, silo.OfType(typeLambda), 2)
	for _, fn := range silo.OfType(typeLambda) {
		alarms := alarmsOn(silo, "FunctionName", fn.Input("name").(string))
		assert.Contains(t, alarms, "Errors", "silo function %s must have an errors alarm", fn.Name)
		assert.Contains(t, alarms, "Throttles", "silo function %s must have a throttles alarm", fn.Name)
	}
	siloAPI := alarmsOn(silo, "ApiName", "tenantforge-dev-tenant-example-tenant-api")
	assert.Contains(t, siloAPI, "5XXError", "the silo API must have a 5xx rate alarm")
	assert.Contains(t, siloAPI, "Latency", "the silo API must have a p99 alarm")
	assert.Contains(t, alarmsOn(silo, "TableName", "tenantforge-dev-tenant-example-data"), "WriteThrottleEvents", "the silo table must be watched for throttling")

	reg := find(t, rec, typeAlarm, "observability-registration-failures")
	assert.Equal(t, obs.MetricRegistrationFailures, reg.Input("metricName"))
	assert.Equal(t, "tenantforge", reg.Input("namespace"))
	prov := find(t, rec, typeAlarm, "observability-provisioning-failures")
	assert.Equal(t, map[string]any{"RuleName": "tenantforge-dev-provisioning-failed"}, prov.Input("dimensions"))
	for _, a := range rec.OfType(typeAlarm) {
		if strings.Contains(a.Parent, "tenantforge:app:Release") {
			// A release's alarms are CodeDeploy's rollback triggers; the
			// same function's errors alarm above is what pages people.
			continue
		}
		assert.Equal(t, []any{topic}, a.Input("alarmActions"), "alarm %s notifies nobody", a.Name)
		assert.Equal(t, "notBreaching", a.Input("treatMissingData"), "alarm %s would fire on quiet nights", a.Name)
	}
	for _, sub := range rec.OfType(typeTopicSub) {
		assert.NotEqual(t, topic, sub.Input("topic"), "no alarm email configured, yet the alarm topic has a subscription")
	}
	assert.Empty(t, rec.OfType(typeCostTag), "activating the cost tag is opt-in")
}

func TestThresholdsAndOptionsComeFromConfig(t *testing.T) {
	rec := run(t, "dev", stackConfig(t, "dev", "observability",
		`{"namespace":"acme","alarmEmail":"oncall@example.com","topTenants":3,"thresholds":{"p99LatencyMs":750,"functionErrors":4},"pipelineName":"tf-pipeline","activateCostTag":true}`), nil)
	assert.Equal(t, float64(750), alarmsOn(rec, "ApiName", "tenantforge-dev-platform-api")["Latency"].Input("threshold"))
	assert.Equal(t, float64(4), alarmsOn(rec, "FunctionName", "tenantforge-dev-pool-orders")["Errors"].Input("threshold"))
	sub := find(t, rec, typeTopicSub, "observability-alarm-email")
	assert.Equal(t, "oncall@example.com", sub.Input("endpoint"))
	tag := find(t, rec, typeCostTag, "observability-cost-tag")
	assert.Equal(t, map[string]any{"tagKey": "tenant-id", "status": "Active"}, tag.PlainInputs())
	assert.True(t, strings.HasSuffix(tag.Provider, globalURNEnd), "Cost Explorer is global: the tag goes through the us-east-1 provider")
	assert.Equal(t, "x", infra.DefaultTags(&infra.Config{Tenant: &infra.TenantConfig{ID: "x"}})[infra.CostAllocationTagKey],
		"the activated tag must be the one silo resources carry")
	pipeline := find(t, rec, typeRule, "observability-pipeline-failed")
	var pattern map[string]any
	require.NoError(t, json.Unmarshal([]byte(pipeline.Input("eventPattern").(string)), &pattern))
	assert.Equal(t, map[string]any{"pipeline": []any{"tf-pipeline"}, "state": []any{"FAILED"}}, pattern["detail"])
	for _, fn := range []string{"pool-products", "pool-orders"} {
		env := find(t, rec, typeLambda, fn).Input("environment").(map[string]any)["variables"].(map[string]any)
		assert.Equal(t, "acme", env[obs.EnvNamespace], "%s's usage extension must publish to the configured namespace", fn)
	}
	usageEnv := find(t, rec, typeLambda, "tenant-usage-fn").Input("environment").(map[string]any)["variables"].(map[string]any)
	assert.Equal(t, "acme", usageEnv[obs.EnvNamespace], "the usage function must read the namespace the functions write")
	var body map[string]any
	require.NoError(t, json.Unmarshal([]byte(find(t, rec, typeDashboard, "observability-dashboard").Input("dashboardBody").(string)), &body))
	assert.Contains(t, find(t, rec, typeDashboard, "observability-dashboard").Input("dashboardBody"), "LIMIT 3", "top tenants come from observability.topTenants")
}

// emitted is every (namespace-relative) metric the code and the stack's
// filters publish, with the dimension sets it is published under.
func emitted() map[string][][]string {
	out := map[string][][]string{}
	for _, m := range []string{obs.MetricRequests, obs.MetricClientErrors, obs.MetricServerErrors, obs.MetricLatency,
		obs.MetricItemsWritten, obs.MetricReadCapacity, obs.MetricWriteCapacity} {
		out[m] = obs.DimensionSets
	}
	out[infra.MetricAPIThrottles] = [][]string{{obs.DimTenant, obs.DimTier}}
	out[obs.MetricAuthorizerDenials] = [][]string{{}}
	out[obs.MetricRegistrationFailures] = [][]string{{}}
	return out
}

// awsMetrics are the AWS metrics the dashboard may show, with their dimensions.
var awsMetrics = map[string][]string{
	"AWS/ApiGateway Count": {"ApiName", "Stage"}, "AWS/ApiGateway 4XXError": {"ApiName", "Stage"},
	"AWS/ApiGateway 5XXError": {"ApiName", "Stage"}, "AWS/ApiGateway Latency": {"ApiName", "Stage"},
	"AWS/Lambda Errors": {"FunctionName"}, "AWS/Lambda Throttles": {"FunctionName"},
	"AWS/DynamoDB ReadThrottleEvents": {"TableName"}, "AWS/DynamoDB WriteThrottleEvents": {"TableName"},
	"AWS/Events MatchedEvents": {"RuleName"},
}

var insightsRE = regexp.MustCompile(`^SELECT (SUM|MAX|AVG)\((\w+)\) FROM SCHEMA\("([^"]+)", ([\w, ]+)\)`)

// What this does not prove: that CloudWatch renders the widgets; only that
// the body is valid JSON whose every metric is one the code or the stack
// publishes, under a dimension set it is published with.
func TestDashboardReferencesOnlyEmittedMetrics(t *testing.T) {
	rec := run(t, "dev", stackConfig(t, "dev", "observability", `{"pipelineName":"tf-pipeline"}`), nil)
	raw := find(t, rec, typeDashboard, "observability-dashboard").Input("dashboardBody").(string)
	var body struct {
		Widgets []struct {
			Type       string         `json:"type"`
			Properties map[string]any `json:"properties"`
		} `json:"widgets"`
	}
	require.NoError(t, json.Unmarshal([]byte(raw), &body), "the dashboard body must be valid JSON")
	emits := emitted()
	seen := map[string]bool{}
	for _, w := range body.Widgets {
		if w.Type != "metric" {
			continue
		}
		assert.Equal(t, "eu-west-1", w.Properties["region"])
		for _, line := range w.Properties["metrics"].([]any) {
			parts := line.([]any)
			if expr, ok := parts[0].(map[string]any); ok {
				m := insightsRE.FindStringSubmatch(expr["expression"].(string))
				require.NotNil(t, m, "unexpected query %v", expr["expression"])
				assert.Equal(t, "tenantforge", m[3], "a query reads another namespace than the code writes")
				dims := strings.Split(m[4], ", ")
				assert.True(t, slices.ContainsFunc(emits[m[2]], func(set []string) bool { return slices.Equal(set, dims) }),
					"query over %s%v: the code never publishes that metric with those dimensions", m[2], dims)
				seen[m[2]] = true
				continue
			}
			ns, name := parts[0].(string), parts[1].(string)
			var dims []string
			for i := 2; i+1 < len(parts); i += 2 {
				if k, ok := parts[i].(string); ok {
					dims = append(dims, k)
				}
			}
			if ns == "tenantforge" {
				sets, ok := emits[name]
				require.True(t, ok, "the dashboard shows %s, which nothing publishes", name)
				slices.Sort(dims)
				assert.True(t, slices.ContainsFunc(sets, func(set []string) bool {
					s := slices.Clone(set)
					slices.Sort(s)
					return slices.Equal(s, dims) || (len(s) == 0 && len(dims) == 0)
				}), "the dashboard shows %s by %v, a dimension set it is not published under", name, dims)
				seen[name] = true
				continue
			}
			want, ok := awsMetrics[ns+" "+name]
			require.True(t, ok, "the dashboard shows %s %s, which is not an AWS metric this stack produces", ns, name)
			assert.ElementsMatch(t, want, dims, "%s %s", ns, name)
		}
	}
	for name := range emits {
		assert.True(t, seen[name], "metric %s is published but not on the dashboard", name)
	}
	for _, want := range []string{"basic: requests", "platinum: latency p50 / p99 (ms)", "standard: throttles", "Top tenants by requests", "Authorizer denials", "Provisioning outcomes", "Pipeline executions"} {
		assert.Contains(t, raw, want, "the dashboard lacks %q", want)
	}
}

func TestLogFiltersMatchWhatTheCodeLogs(t *testing.T) {
	rec := run(t, "dev", stackConfig(t, "dev"), nil)
	denials := find(t, rec, typeFilter, "observability-authorizer-denials")
	assert.Equal(t, "/aws/lambda/tenantforge-dev-authorizer", denials.Input("logGroupName"))
	assert.Equal(t, `{ $.decision = "deny" || $.decision = "unauthorized" }`, denials.Input("pattern"), "shared/auth logs decision=deny|unauthorized")
	reg := find(t, rec, typeFilter, "observability-registration-failures")
	assert.Equal(t, "/aws/lambda/tenantforge-dev-registration", reg.Input("logGroupName"))
	assert.Equal(t, `{ $.route = "/registrations" && $.status >= 500 }`, reg.Input("pattern"), "shared/httpx logs route and status")
	thr := find(t, rec, typeFilter, "observability-api-platform-throttles")
	assert.Equal(t, find(t, rec, typeLogGroup, "platform-api-access-logs").Input("name"), thr.Input("logGroupName"))
	assert.Contains(t, infra.AccessLogFormat, `"tenantId":"$context.authorizer.tenantId"`, "the throttle filter reads tenantId from the access log")
	assert.Equal(t, map[string]any{"tenant_id": "$.tenantId", "tier": "$.tier"}, thr.Input("metricTransformation").(map[string]any)["dimensions"])

	queries := map[string]string{}
	for _, q := range rec.OfType(typeQuery) {
		queries[q.Input("name").(string)] = q.Input("queryString").(string)
		groups := q.Input("logGroupNames").([]any)
		assert.Len(t, groups, len(rec.OfType(typeLambda)), "saved queries must search every function's logs")
	}
	assert.Contains(t, queries["tenantforge-dev/a tenant's recent errors"], `filter tenant_id = "TENANT_ID"`)
	assert.Contains(t, queries["tenantforge-dev/requests per tenant"], "by tenant_id, tier")
}

func TestUsageFunctionRunsDailyWithItsOwnPermissionsOnly(t *testing.T) {
	rec := run(t, "dev", stackConfig(t, "dev"), nil)
	table := find(t, rec, typeTable, "tenant-usage-table")
	assert.Equal(t, "tenantforge-dev-usage-records", table.Input("name"))
	assert.Equal(t, map[string]any{"attributeName": "expiresAt", "enabled": true}, table.Input("ttl"), "usage records must expire")
	assert.Equal(t, "tenantId", table.Input("hashKey"))
	assert.Equal(t, "day", table.Input("rangeKey"))

	role := find(t, rec, typeRole, "tenant-usage-fn-role")
	require.Len(t, policiesOf(rec, role), 2, "logs and traces, and the usage policy: nothing more")
	assert.Equal(t, []any{
		map[string]any{"Sid": "ReadUsageMetrics", "Effect": "Allow", "Action": []any{"cloudwatch:GetMetricData", "cloudwatch:ListMetrics"}, "Resource": []any{"*"}},
		map[string]any{"Sid": "ReadCost", "Effect": "Allow", "Action": []any{"ce:GetCostAndUsage"}, "Resource": []any{"*"}},
		map[string]any{"Sid": "WriteUsage", "Effect": "Allow", "Action": []any{"dynamodb:PutItem"}, "Resource": []any{table.Output("arn")}},
	}, statements(t, find(t, rec, typeRolePol, "tenant-usage-fn-usage")), "the usage function reads metrics and cost and writes only the usage table")

	rule := find(t, rec, typeRule, "tenant-usage-daily")
	assert.Equal(t, "cron(30 2 * * ? *)", rule.Input("scheduleExpression"))
	fn := find(t, rec, typeLambda, "tenant-usage-fn")
	target := find(t, rec, "aws:cloudwatch/eventTarget:EventTarget", "tenant-usage-target")
	assert.Equal(t, fn.Output("arn"), target.Input("arn"))
	perm := find(t, rec, typePermission, "tenant-usage-invoke")
	assert.Equal(t, "events.amazonaws.com", perm.Input("principal"))
	assert.Equal(t, rule.Output("arn"), perm.Input("sourceArn"), "only the schedule may invoke the usage function")
	env := fn.Input("environment").(map[string]any)["variables"].(map[string]any)
	assert.Equal(t, map[string]any{"USAGE_TABLE": "tenantforge-dev-usage-records", obs.EnvNamespace: "tenantforge", "COST_TAG_KEY": "tenant-id", "USAGE_RETENTION_DAYS": "400"}, env)
}

// Without observability.pipelineName the dashboard and the failure counter
// follow the stack's own delivery pipeline (cicd.repository is set on dev).
func TestDashboardFollowsTheStacksOwnPipeline(t *testing.T) {
	rec := run(t, "dev", stackConfig(t, "dev"), nil)
	name := find(t, rec, "aws:codepipeline/pipeline:Pipeline", "cicd").Input("name")
	require.Equal(t, "tenantforge-dev-pipeline", name)
	var pattern map[string]any
	require.NoError(t, json.Unmarshal([]byte(find(t, rec, typeRule, "observability-pipeline-failed").Input("eventPattern").(string)), &pattern))
	assert.Equal(t, map[string]any{"pipeline": []any{name}, "state": []any{"FAILED"}}, pattern["detail"],
		"failed runs of the stack's own pipeline would go uncounted")
}

// The dashboard's per-tenant latency table reads every function's request
// lines: the fields it uses are those shared/httpx logs on each request
// (msg "request", tenant_id, tier, latency_ms; asserted in shared/obs and
// shared/app tests). Not proven here: that Logs Insights runs the query.
func TestDashboardShowsPerTenantLatencyPercentiles(t *testing.T) {
	rec := run(t, "dev", stackConfig(t, "dev"), nil)
	var body struct {
		Widgets []struct {
			Type       string         `json:"type"`
			Properties map[string]any `json:"properties"`
		} `json:"widgets"`
	}
	require.NoError(t, json.Unmarshal([]byte(find(t, rec, typeDashboard, "observability-dashboard").Input("dashboardBody").(string)), &body))
	var queries []string
	for _, w := range body.Widgets {
		if w.Type == "log" {
			queries = append(queries, w.Properties["query"].(string))
		}
	}
	require.Len(t, queries, 1, "the dashboard has no per-tenant latency percentiles")
	for _, fn := range rec.OfType(typeLambda) {
		assert.Contains(t, queries[0], "SOURCE '/aws/lambda/"+fn.Input("name").(string)+"'", "tenants of %s are missing from the latency table", fn.Name)
	}
	for _, field := range []string{`msg = "request"`, "pct(latency_ms, 50)", "pct(latency_ms, 99)", "by tenant_id, tier", "limit 10"} {
		assert.Contains(t, queries[0], field)
	}
}
