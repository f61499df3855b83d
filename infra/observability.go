package infra

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/costexplorer"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/tenantforge/tenantforge/shared/obs"
)

// Detail types of the tenant lifecycle events that end provisioning (the
// tenant deployer publishes them on the tenant event bus).
const (
	EventTenantProvisioned         = "TenantProvisioned"
	EventTenantProvisioningFailed  = "TenantProvisioningFailed"
	CodePipelineExecutionChange    = "CodePipeline Pipeline Execution State Change"
	alarmPeriodSeconds             = 300
	registrationFailuresFilterExpr = `{ $.route = "/registrations" && $.status >= 500 }`
	authorizerDenialsFilterExpr    = `{ $.decision = "deny" || $.decision = "unauthorized" }`
	apiThrottlesFilterExpr         = `{ $.status = "429" }`
)

// Logs Insights queries saved for operators. TENANT_ID is the placeholder
// the operator replaces.
const (
	QueryTenantErrors = `fields @timestamp, service, tenant_id, route, status, error, request_id, @message
| filter tenant_id = "TENANT_ID" and (status >= 400 or level = "ERROR")
| sort @timestamp desc
| limit 200`
	QueryRequestsPerTenant = `filter msg = "request" and ispresent(tenant_id)
| stats count(*) as requests, avg(latency_ms) as avg_latency_ms, pct(latency_ms, 99) as p99_latency_ms by tenant_id, tier
| sort requests desc`
)

// Observability is the platform's operations view: the alarm topic and
// alarms (API 5xx rate and p99 latency, every function's errors and
// throttles, DynamoDB throttling, registration and provisioning failures),
// log metric filters, the per-tier and top-tenants dashboard, Logs Insights
// saved queries and, opt-in, the tenant-id cost allocation tag.
type Observability struct {
	pulumi.ResourceState

	AlarmTopicArn pulumi.StringOutput `pulumi:"alarmTopicArn"`
	DashboardName pulumi.StringOutput `pulumi:"dashboardName"`
}

// ObservabilityArgs configures Observability.
type ObservabilityArgs struct {
	Namer  Namer
	Config ObservabilityConfig
	Region string
	// Tiers and Services are the dashboard's per-tier rows.
	Tiers    []string
	Services []string
	// Functions are every function of the stack, by a unique key; each gets
	// an errors and a throttles alarm.
	Functions map[string]*Function
	// APIs get a 5xx-rate and a p99 latency alarm and a throttle filter.
	APIs []*Api
	// Tables are the DynamoDB table names watched for throttling.
	Tables []string
	// Authorizer and Registration are the functions whose logs are counted
	// (denials, failed sign-ups), and EventBusName the tenant lifecycle bus
	// (provisioning outcomes): the platform stack has them, a silo tenant's
	// stack does not (nil).
	Authorizer, Registration *Function
	EventBusName             pulumi.StringInput
	// CostProvider manages the cost allocation tag (the us-east-1 provider:
	// Cost Explorer is a global service).
	CostProvider pulumi.ProviderResource
}

// NewObservability registers the component.
func NewObservability(ctx *pulumi.Context, name string, args *ObservabilityArgs, opts ...pulumi.ResourceOption) (*Observability, error) {
	if args == nil {
		return nil, errors.New("observability: args are required")
	}
	if len(args.Functions) == 0 || len(args.APIs) == 0 {
		return nil, fmt.Errorf("observability %s: Functions and APIs are required", name)
	}
	platform := args.Authorizer != nil && args.Registration != nil && args.EventBusName != nil
	if !platform && (args.Authorizer != nil || args.Registration != nil || args.EventBusName != nil) {
		return nil, fmt.Errorf("observability %s: Authorizer, Registration and EventBusName go together (the platform stack's)", name)
	}
	if args.Config.ActivateCostTag && args.Authorizer != nil && args.CostProvider == nil {
		return nil, fmt.Errorf("observability %s: activating the cost tag needs CostProvider", name)
	}
	cfg := args.Config
	c := &Observability{}
	if err := ctx.RegisterComponentResource("tenantforge:obs:Observability", name, c, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(c)
	topic, err := sns.NewTopic(ctx, name+"-alarms", &sns.TopicArgs{Name: pulumi.String(args.Namer.Name("alarms", 256))}, parent)
	if err != nil {
		return nil, err
	}
	if cfg.AlarmEmail != "" {
		if _, err := sns.NewTopicSubscription(ctx, name+"-alarm-email", &sns.TopicSubscriptionArgs{
			Topic: topic.Arn, Protocol: pulumi.String("email"), Endpoint: pulumi.String(cfg.AlarmEmail),
		}, parent); err != nil {
			return nil, err
		}
	}
	actions := pulumi.Array{topic.Arn}
	// prefix is the stack's part of every physical name; keys drop it.
	prefix := args.Namer.Name("", 255) + "-"
	alarm := func(key, description string, a *cloudwatch.MetricAlarmArgs, deps ...pulumi.Resource) error {
		a.Name = pulumi.String(args.Namer.Name(key, 255))
		a.AlarmDescription = pulumi.String(description)
		a.AlarmActions, a.OkActions = actions, actions
		a.TreatMissingData = pulumi.String("notBreaching")
		if a.ComparisonOperator == nil {
			a.ComparisonOperator = pulumi.String("GreaterThanThreshold")
		}
		if a.EvaluationPeriods == nil {
			a.EvaluationPeriods = pulumi.Int(1)
		}
		_, err := cloudwatch.NewMetricAlarm(ctx, name+"-"+key, a, parent, pulumi.DependsOn(deps))
		return err
	}
	metric := func(id, namespace, metricName, stat string, dims map[string]string) cloudwatch.MetricAlarmMetricQueryArgs {
		return cloudwatch.MetricAlarmMetricQueryArgs{Id: pulumi.String(id), Metric: &cloudwatch.MetricAlarmMetricQueryMetricArgs{
			Namespace: pulumi.String(namespace), MetricName: pulumi.String(metricName), Stat: pulumi.String(stat),
			Period: pulumi.Int(alarmPeriodSeconds), Dimensions: pulumi.ToStringMap(dims),
		}}
	}

	// Every function: errors and throttles.
	for _, key := range sortedKeys(args.Functions) {
		fn := args.Functions[key]
		for _, m := range []struct {
			metric    string
			threshold int
		}{{"Errors", cfg.Thresholds.FunctionErrors}, {"Throttles", cfg.Thresholds.FunctionThrottles}} {
			if err := alarm("fn-"+key+"-"+strings.ToLower(m.metric), fmt.Sprintf("%s of function %s above %d in 5 minutes", m.metric, fn.Name, m.threshold),
				&cloudwatch.MetricAlarmArgs{
					Namespace: pulumi.String("AWS/Lambda"), MetricName: pulumi.String(m.metric), Statistic: pulumi.String("Sum"),
					Period: pulumi.Int(alarmPeriodSeconds), Threshold: pulumi.Float64(float64(m.threshold)),
					Dimensions: pulumi.StringMap{"FunctionName": pulumi.String(fn.Name)},
				}); err != nil {
				return nil, err
			}
		}
	}
	// Every API: 5xx rate and p99 latency, and its 429s counted per tenant and tier.
	for _, api := range args.APIs {
		dims := map[string]string{"ApiName": api.Name, "Stage": StageName}
		role := strings.TrimSuffix(strings.TrimPrefix(api.Name, prefix), "-api")
		if err := alarm("api-"+role+"-5xx-rate", fmt.Sprintf("More than %v%% of %s's requests failed with 5xx in 5 minutes", cfg.Thresholds.API5xxPercent, api.Name),
			&cloudwatch.MetricAlarmArgs{
				Threshold: pulumi.Float64(cfg.Thresholds.API5xxPercent),
				MetricQueries: cloudwatch.MetricAlarmMetricQueryArray{
					metric("errors", "AWS/ApiGateway", "5XXError", "Sum", dims),
					metric("requests", "AWS/ApiGateway", "Count", "Sum", dims),
					cloudwatch.MetricAlarmMetricQueryArgs{Id: pulumi.String("rate"), Label: pulumi.String("5xx %"),
						Expression: pulumi.String("IF(requests > 0, 100 * errors / requests, 0)"), ReturnData: pulumi.Bool(true)},
				},
			}); err != nil {
			return nil, err
		}
		if err := alarm("api-"+role+"-p99-latency", fmt.Sprintf("p99 latency of %s above %d ms over 5 minutes", api.Name, cfg.Thresholds.P99LatencyMs),
			&cloudwatch.MetricAlarmArgs{
				Namespace: pulumi.String("AWS/ApiGateway"), MetricName: pulumi.String("Latency"), ExtendedStatistic: pulumi.String("p99"),
				Period: pulumi.Int(alarmPeriodSeconds), Threshold: pulumi.Float64(float64(cfg.Thresholds.P99LatencyMs)),
				Dimensions: pulumi.ToStringMap(dims),
			}); err != nil {
			return nil, err
		}
		if _, err := cloudwatch.NewLogMetricFilter(ctx, name+"-api-"+role+"-throttles", &cloudwatch.LogMetricFilterArgs{
			Name: pulumi.String(args.Namer.Name(role+"-api-throttles", 512)), LogGroupName: api.AccessLogs,
			Pattern: pulumi.String(apiThrottlesFilterExpr),
			MetricTransformation: &cloudwatch.LogMetricFilterMetricTransformationArgs{
				Namespace: pulumi.String(cfg.Namespace), Name: pulumi.String(MetricAPIThrottles), Value: pulumi.String("1"), Unit: pulumi.String("Count"),
				Dimensions: pulumi.StringMap{obs.DimTenant: pulumi.String("$.tenantId"), obs.DimTier: pulumi.String("$.tier")},
			},
		}, parent); err != nil {
			return nil, err
		}
	}
	// Every table: read and write throttle events.
	for _, table := range args.Tables {
		dims := map[string]string{"TableName": table}
		if err := alarm("ddb-"+strings.TrimPrefix(table, prefix)+"-throttles", fmt.Sprintf("DynamoDB throttled requests on %s above %d in 5 minutes", table, cfg.Thresholds.DynamoDBThrottles),
			&cloudwatch.MetricAlarmArgs{
				Threshold: pulumi.Float64(float64(cfg.Thresholds.DynamoDBThrottles)),
				MetricQueries: cloudwatch.MetricAlarmMetricQueryArray{
					metric("reads", "AWS/DynamoDB", "ReadThrottleEvents", "Sum", dims),
					metric("writes", "AWS/DynamoDB", "WriteThrottleEvents", "Sum", dims),
					cloudwatch.MetricAlarmMetricQueryArgs{Id: pulumi.String("throttled"), Expression: pulumi.String("reads + writes"),
						Label: pulumi.String("throttle events"), ReturnData: pulumi.Bool(true)},
				},
			}); err != nil {
			return nil, err
		}
	}
	// rule registers an EventBridge rule whose MatchedEvents count events.
	rule := func(key string, busName pulumi.StringInput, pattern map[string]any, description string) (string, error) {
		ruleName := args.Namer.Name(key, 64)
		body, err := json.Marshal(pattern)
		if err != nil {
			return "", err
		}
		ruleArgs := &cloudwatch.EventRuleArgs{Name: pulumi.String(ruleName), Description: pulumi.String(description), EventPattern: pulumi.String(string(body))}
		if busName != nil {
			ruleArgs.EventBusName = busName
		}
		_, err = cloudwatch.NewEventRule(ctx, name+"-"+key, ruleArgs, parent)
		return ruleName, err
	}
	spec := DashboardSpec{Region: args.Region, Namespace: cfg.Namespace, Tiers: args.Tiers, Services: args.Services, TopTenants: cfg.TopTenants, Tables: args.Tables}
	if platform {
		// Failed sign-ups (5xx on POST /registrations) and authorizer denials, from the functions' JSON logs.
		registrations, err := cloudwatch.NewLogMetricFilter(ctx, name+"-registration-failures", &cloudwatch.LogMetricFilterArgs{
			Name: pulumi.String(args.Namer.Name("registration-failures", 512)), LogGroupName: args.Registration.LogGroup,
			Pattern: pulumi.String(registrationFailuresFilterExpr),
			MetricTransformation: &cloudwatch.LogMetricFilterMetricTransformationArgs{
				Namespace: pulumi.String(cfg.Namespace), Name: pulumi.String(obs.MetricRegistrationFailures), Value: pulumi.String("1"),
				DefaultValue: pulumi.String("0"), Unit: pulumi.String("Count"),
			},
		}, parent)
		if err != nil {
			return nil, err
		}
		if err := alarm("registration-failures", fmt.Sprintf("Tenant registrations failing (5xx) above %d in 5 minutes", cfg.Thresholds.RegistrationFailures),
			&cloudwatch.MetricAlarmArgs{
				Namespace: pulumi.String(cfg.Namespace), MetricName: pulumi.String(obs.MetricRegistrationFailures), Statistic: pulumi.String("Sum"),
				Period: pulumi.Int(alarmPeriodSeconds), Threshold: pulumi.Float64(float64(cfg.Thresholds.RegistrationFailures)),
			}, registrations); err != nil {
			return nil, err
		}
		if _, err := cloudwatch.NewLogMetricFilter(ctx, name+"-authorizer-denials", &cloudwatch.LogMetricFilterArgs{
			Name: pulumi.String(args.Namer.Name("authorizer-denials", 512)), LogGroupName: args.Authorizer.LogGroup,
			Pattern: pulumi.String(authorizerDenialsFilterExpr),
			MetricTransformation: &cloudwatch.LogMetricFilterMetricTransformationArgs{
				Namespace: pulumi.String(cfg.Namespace), Name: pulumi.String(obs.MetricAuthorizerDenials), Value: pulumi.String("1"),
				DefaultValue: pulumi.String("0"), Unit: pulumi.String("Count"),
			},
		}, parent); err != nil {
			return nil, err
		}
		if spec.ProvisionedRule, err = rule("provisioned", args.EventBusName,
			map[string]any{"detail-type": []string{EventTenantProvisioned}}, "Counts tenants provisioned"); err != nil {
			return nil, err
		}
		if spec.ProvisioningFailedRule, err = rule("provisioning-failed", args.EventBusName,
			map[string]any{"detail-type": []string{EventTenantProvisioningFailed}}, "Counts failed tenant provisioning"); err != nil {
			return nil, err
		}
		if err := alarm("provisioning-failures", fmt.Sprintf("Tenant provisioning failures above %d in 5 minutes", cfg.Thresholds.ProvisioningFailures),
			&cloudwatch.MetricAlarmArgs{
				Namespace: pulumi.String("AWS/Events"), MetricName: pulumi.String("MatchedEvents"), Statistic: pulumi.String("Sum"),
				Period: pulumi.Int(alarmPeriodSeconds), Threshold: pulumi.Float64(float64(cfg.Thresholds.ProvisioningFailures)),
				Dimensions: pulumi.StringMap{"RuleName": pulumi.String(spec.ProvisioningFailedRule)},
			}); err != nil {
			return nil, err
		}
	}
	// The pipeline and the cost tag are the platform's, once per account.
	if platform && cfg.PipelineName != "" {
		for _, outcome := range []string{"SUCCEEDED", "FAILED"} {
			ruleName, err := rule("pipeline-"+strings.ToLower(outcome), nil, map[string]any{
				"source": []string{"aws.codepipeline"}, "detail-type": []string{CodePipelineExecutionChange},
				"detail": map[string]any{"pipeline": []string{cfg.PipelineName}, "state": []string{outcome}},
			}, "Counts "+strings.ToLower(outcome)+" executions of pipeline "+cfg.PipelineName)
			if err != nil {
				return nil, err
			}
			if outcome == "SUCCEEDED" {
				spec.PipelineSucceededRule = ruleName
			} else {
				spec.PipelineFailedRule = ruleName
			}
		}
	}
	var logGroups pulumi.StringArray
	for _, key := range sortedKeys(args.Functions) {
		fn := args.Functions[key]
		spec.Functions = append(spec.Functions, fn.Name)
		spec.LogGroups = append(spec.LogGroups, fn.LogGroupName)
		logGroups = append(logGroups, fn.LogGroup)
	}
	for _, api := range args.APIs {
		spec.APIs = append(spec.APIs, api.Name)
	}
	// One dashboard, on the platform stack: it shows every tenant, silo
	// ones included (a dashboard costs money every month).
	c.DashboardName = pulumi.String("").ToStringOutput()
	if platform {
		body, err := DashboardBody(spec)
		if err != nil {
			return nil, err
		}
		dashboard, err := cloudwatch.NewDashboard(ctx, name+"-dashboard", &cloudwatch.DashboardArgs{
			DashboardName: pulumi.String(args.Namer.Name("tenants", 255)), DashboardBody: pulumi.String(body),
		}, parent)
		if err != nil {
			return nil, err
		}
		c.DashboardName = dashboard.DashboardName
	}
	for _, q := range []struct{ key, title, query string }{
		{"tenant-errors", "a tenant's recent errors", QueryTenantErrors},
		{"requests-per-tenant", "requests per tenant", QueryRequestsPerTenant},
	} {
		if _, err := cloudwatch.NewQueryDefinition(ctx, name+"-query-"+q.key, &cloudwatch.QueryDefinitionArgs{
			Name: pulumi.String(strings.TrimSuffix(prefix, "-") + "/" + q.title), LogGroupNames: logGroups, QueryString: pulumi.String(q.query),
		}, parent); err != nil {
			return nil, err
		}
	}
	if platform && cfg.ActivateCostTag {
		if _, err := costexplorer.NewCostAllocationTag(ctx, name+"-cost-tag", &costexplorer.CostAllocationTagArgs{
			TagKey: pulumi.String(CostAllocationTagKey), Status: pulumi.String("Active"),
		}, parent, pulumi.Provider(args.CostProvider)); err != nil {
			return nil, err
		}
	}
	c.AlarmTopicArn = topic.Arn
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{"alarmTopicArn": c.AlarmTopicArn, "dashboardName": c.DashboardName}); err != nil {
		return nil, err
	}
	return c, nil
}
