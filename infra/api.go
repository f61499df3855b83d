package infra

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/apigateway"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/dynamodb"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/tenantforge/tenantforge/shared/apidef"
	"github.com/tenantforge/tenantforge/shared/registry"
	"github.com/tenantforge/tenantforge/shared/tenancy"
)

// StageName is the stage of every REST API. CloudFront sends /api/* to the
// platform API, so the stage name is the path prefix.
const StageName = "api"

// AccessLogFormat is the stage's JSON access log line; tenantId comes from
// the authorizer's context.
const AccessLogFormat = `{"requestId":"$context.requestId","requestTime":"$context.requestTime",` +
	`"ip":"$context.identity.sourceIp","httpMethod":"$context.httpMethod","resourcePath":"$context.resourcePath",` +
	`"status":"$context.status","responseLength":"$context.responseLength","latencyMs":"$context.responseLatency",` +
	`"tenantId":"$context.authorizer.tenantId","tier":"$context.authorizer.tier","role":"$context.authorizer.role",` +
	`"apiKeyId":"$context.identity.apiKeyId","error":"$context.error.message"}`

// Api is a REST API built from an OpenAPI definition of shared/apidef, with
// the Lambda authorizer, one stage with JSON access logs, X-Ray and
// metrics, and a usage plan per tier.
type Api struct {
	pulumi.ResourceState

	RestApiID    pulumi.StringOutput    `pulumi:"restApiId"`
	ExecutionArn pulumi.StringOutput    `pulumi:"executionArn"`
	URL          pulumi.StringOutput    `pulumi:"url"`
	UsagePlanIDs pulumi.StringMapOutput `pulumi:"usagePlanIds"`
}

// ApiArgs configures an Api.
type ApiArgs struct {
	Namer Namer
	// Role names the API ("platform" or "tenant").
	Role string
	// Definition is the OpenAPI definition (apidef.Application).
	Definition []byte
	// Functions serve the definition's routes, by service name.
	Functions map[string]*Function
	// AuthorizerName and AuthorizerInvokeArn locate the Lambda authorizer.
	AuthorizerName      pulumi.StringInput
	AuthorizerInvokeArn pulumi.StringInput
	// AuthorizerTTLSeconds is API Gateway's cache of authorizer decisions.
	AuthorizerTTLSeconds int
	// Tiers get one usage plan each.
	Tiers            map[string]Tier
	LogRetentionDays int
	// ManageAccount sets the region's API Gateway CloudWatch role, which
	// access logging needs (the platform stack does it once per region).
	ManageAccount bool
	// PlansRegistry, when set, is the tenant registry table the API
	// publishes its usage plan ids to (item CONFIG#usage-plans) for the
	// control plane.
	PlansRegistry pulumi.StringInput
}

// NewApi registers the REST API.
func NewApi(ctx *pulumi.Context, name string, args *ApiArgs, opts ...pulumi.ResourceOption) (*Api, error) {
	if args == nil {
		return nil, errors.New("api: args are required")
	}
	if len(args.Tiers) == 0 || args.Role == "" || args.AuthorizerInvokeArn == nil || args.AuthorizerName == nil {
		return nil, errors.New("api: Role, Tiers and the authorizer are required")
	}
	routes, err := apidef.Routes(args.Definition)
	if err != nil {
		return nil, err
	}
	for _, r := range routes {
		if args.Functions[r.Service] == nil {
			return nil, fmt.Errorf("api %s: no function for %s %s (service %q)", name, r.Method, r.Path, r.Service)
		}
	}
	c := &Api{}
	if err := ctx.RegisterComponentResource("tenantforge:api:Api", name, c, opts...); err != nil {
		return nil, err
	}

	// The definition with the functions' and the authorizer's ARNs: a pure
	// rendering inside Apply, no resource is created there.
	services := sortedKeys(args.Functions)
	inputs := []any{args.AuthorizerInvokeArn}
	for _, s := range services {
		inputs = append(inputs, args.Functions[s].InvokeArn)
	}
	body := pulumi.All(inputs...).ApplyT(func(vals []any) (string, error) {
		values := map[string]string{"authorizer": vals[0].(string), "authorizerTtl": fmt.Sprint(args.AuthorizerTTLSeconds)}
		for i, s := range services {
			values["fn:"+s] = vals[i+1].(string)
		}
		return apidef.Render(args.Definition, values)
	}).(pulumi.StringOutput)

	api, err := apigateway.NewRestApi(ctx, name+"-rest", &apigateway.RestApiArgs{
		Name:                  pulumi.String(args.Namer.Name(args.Role+"-api", 1024)),
		Description:           pulumi.String("tenantforge " + args.Role + " API"),
		Body:                  body,
		PutRestApiMode:        pulumi.String("overwrite"),
		FailOnWarnings:        pulumi.Bool(true),
		EndpointConfiguration: &apigateway.RestApiEndpointConfigurationArgs{Types: pulumi.String("REGIONAL")},
	}, pulumi.Parent(c))
	if err != nil {
		return nil, err
	}
	// A new deployment whenever the definition changes.
	trigger := body.ApplyT(func(b string) string {
		sum := sha256.Sum256([]byte(b))
		return hex.EncodeToString(sum[:])
	}).(pulumi.StringOutput)
	deployment, err := apigateway.NewDeployment(ctx, name+"-deployment", &apigateway.DeploymentArgs{
		RestApi:  api.ID(),
		Triggers: pulumi.StringMap{"definition": trigger},
	}, pulumi.Parent(c))
	if err != nil {
		return nil, err
	}
	logs, err := cloudwatch.NewLogGroup(ctx, name+"-access-logs", &cloudwatch.LogGroupArgs{
		Name:            pulumi.String("/aws/apigateway/" + args.Namer.Name(args.Role+"-api", MaxLogGroupName)),
		RetentionInDays: pulumi.Int(args.LogRetentionDays),
	}, pulumi.Parent(c))
	if err != nil {
		return nil, err
	}
	var stageDeps []pulumi.Resource
	if args.ManageAccount {
		account, err := apiGatewayAccount(ctx, name, args.Namer, c)
		if err != nil {
			return nil, err
		}
		stageDeps = append(stageDeps, account)
	}
	stage, err := apigateway.NewStage(ctx, name+"-stage", &apigateway.StageArgs{
		RestApi:            api.ID(),
		Deployment:         deployment.ID(),
		StageName:          pulumi.String(StageName),
		XrayTracingEnabled: pulumi.Bool(true),
		AccessLogSettings: &apigateway.StageAccessLogSettingsArgs{
			DestinationArn: logs.Arn,
			Format:         pulumi.String(AccessLogFormat),
		},
	}, pulumi.Parent(c), pulumi.DependsOn(stageDeps))
	if err != nil {
		return nil, err
	}
	rate, burst := StageThrottle(args.Tiers)
	if _, err := apigateway.NewMethodSettings(ctx, name+"-defaults", &apigateway.MethodSettingsArgs{
		RestApi:    api.ID(),
		StageName:  stage.StageName,
		MethodPath: pulumi.String("*/*"),
		Settings: &apigateway.MethodSettingsSettingsArgs{
			MetricsEnabled:       pulumi.Bool(true),
			ThrottlingRateLimit:  pulumi.Float64(rate),
			ThrottlingBurstLimit: pulumi.Int(burst),
		},
	}, pulumi.Parent(c)); err != nil {
		return nil, err
	}
	plans := pulumi.StringMap{}
	for _, tier := range sortedKeys(args.Tiers) {
		t := args.Tiers[tier]
		plan, err := apigateway.NewUsagePlan(ctx, name+"-plan-"+tier, &apigateway.UsagePlanArgs{
			Name:             pulumi.String(args.Namer.Name(args.Role+"-"+tier, 255)),
			Description:      pulumi.String(fmt.Sprintf("Tier %s: %v requests/s, bursts of %d, %d requests a day per tenant", tier, t.RateLimit, t.BurstLimit, t.QuotaPerDay)),
			ApiStages:        apigateway.UsagePlanApiStageArray{apigateway.UsagePlanApiStageArgs{ApiId: api.ID(), Stage: stage.StageName}},
			ThrottleSettings: &apigateway.UsagePlanThrottleSettingsArgs{RateLimit: pulumi.Float64(t.RateLimit), BurstLimit: pulumi.Int(t.BurstLimit)},
			QuotaSettings:    &apigateway.UsagePlanQuotaSettingsArgs{Limit: pulumi.Int(t.QuotaPerDay), Period: pulumi.String("DAY")},
		}, pulumi.Parent(c))
		if err != nil {
			return nil, err
		}
		plans[tier] = plan.ID().ToStringOutput()
	}
	// Only this API's stage may invoke the functions, and only through its
	// authorizers may it invoke the authorizer.
	// A function behind an alias is invoked through the alias (its
	// InvokeArn), so the permission is the alias's.
	for _, s := range services {
		perm := &lambda.PermissionArgs{
			Action:    pulumi.String("lambda:InvokeFunction"),
			Function:  args.Functions[s].FunctionName,
			Principal: pulumi.String("apigateway.amazonaws.com"),
			SourceArn: pulumi.Sprintf("%s/%s/*/*", api.ExecutionArn, StageName),
		}
		if alias := args.Functions[s].Alias; alias != "" {
			perm.Qualifier = pulumi.String(alias)
		}
		if _, err := lambda.NewPermission(ctx, name+"-invoke-"+s, perm, pulumi.Parent(c)); err != nil {
			return nil, err
		}
	}
	if _, err := lambda.NewPermission(ctx, name+"-invoke-authorizer", &lambda.PermissionArgs{
		Action:    pulumi.String("lambda:InvokeFunction"),
		Function:  args.AuthorizerName,
		Principal: pulumi.String("apigateway.amazonaws.com"),
		SourceArn: pulumi.Sprintf("%s/authorizers/*", api.ExecutionArn),
	}, pulumi.Parent(c)); err != nil {
		return nil, err
	}

	if args.PlansRegistry != nil {
		item := plans.ToStringMapOutput().ApplyT(func(ids map[string]string) (string, error) {
			return UsagePlansItem(ids)
		}).(pulumi.StringOutput)
		if _, err := dynamodb.NewTableItem(ctx, name+"-plans", &dynamodb.TableItemArgs{
			TableName: args.PlansRegistry,
			HashKey:   pulumi.String(tenancy.RegistryPartitionKey),
			Item:      item,
		}, pulumi.Parent(c)); err != nil {
			return nil, err
		}
	}
	c.RestApiID = api.ID().ToStringOutput()
	c.ExecutionArn = api.ExecutionArn
	c.URL = stage.InvokeUrl
	c.UsagePlanIDs = plans.ToStringMapOutput()
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{
		"restApiId": c.RestApiID, "executionArn": c.ExecutionArn, "url": c.URL, "usagePlanIds": c.UsagePlanIDs,
	}); err != nil {
		return nil, err
	}
	return c, nil
}

// UsagePlansItem is the registry item (DynamoDB JSON) that tells the
// control plane each tier's usage plan id.
func UsagePlansItem(ids map[string]string) (string, error) {
	plans, err := json.Marshal(ids)
	if err != nil {
		return "", err
	}
	item, err := json.Marshal(map[string]any{
		tenancy.RegistryPartitionKey: map[string]string{"S": registry.UsagePlansKey},
		"plans":                      map[string]string{"S": string(plans)},
	})
	return string(item), err
}

// StageThrottle is the stage-wide ceiling: twice the largest tier's rate
// and burst, so no single tier's plan is ever the tighter limit while the
// functions stay protected from a flood of unkeyed requests.
func StageThrottle(tiers map[string]Tier) (float64, int) {
	rate, burst := 0.0, 0
	for _, t := range tiers {
		rate = math.Max(rate, t.RateLimit)
		burst = max(burst, t.BurstLimit)
	}
	return 2 * rate, 2 * burst
}

// apiGatewayAccount sets the region's API Gateway CloudWatch role.
func apiGatewayAccount(ctx *pulumi.Context, name string, namer Namer, parent pulumi.Resource) (*apigateway.Account, error) {
	trust, err := NewPolicy(Statement{
		Effect: "Allow", Principal: map[string]any{"Service": "apigateway.amazonaws.com"}, Action: []string{"sts:AssumeRole"},
	}).JSON()
	if err != nil {
		return nil, err
	}
	role, err := iam.NewRole(ctx, name+"-cloudwatch-role", &iam.RoleArgs{
		Name:             pulumi.String(namer.Name("apigateway-logs", MaxIAMRoleName)),
		AssumeRolePolicy: pulumi.String(trust),
		Description:      pulumi.String("Lets API Gateway write access logs in this region"),
	}, pulumi.Parent(parent))
	if err != nil {
		return nil, err
	}
	attach, err := iam.NewRolePolicyAttachment(ctx, name+"-cloudwatch-logs", &iam.RolePolicyAttachmentArgs{
		Role:      role.Name,
		PolicyArn: pulumi.String("arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"),
	}, pulumi.Parent(parent))
	if err != nil {
		return nil, err
	}
	return apigateway.NewAccount(ctx, name+"-account", &apigateway.AccountArgs{CloudwatchRoleArn: role.Arn}, pulumi.Parent(parent), pulumi.DependsOn([]pulumi.Resource{attach}))
}
