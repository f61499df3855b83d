package infra

import (
	"errors"
	"fmt"
	"slices"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/codedeploy"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// LiveAlias is the alias API Gateway invokes the application functions
// through; CodeDeploy moves it from version to version.
const LiveAlias = "live"

// Release is the safe release of a group's functions: a CodeDeploy
// application with one deployment group per function. A deployment shifts
// the function's live alias to a new version with the configured canary or
// linear configuration and rolls back on its own when the alias's error or
// latency alarm fires.
//
// Who moves the alias: the program publishes a version on every change
// (Function.Alias) and creates the alias on the first version only; it
// ignores the alias's functionVersion and routingConfig afterwards, so a
// `pulumi up` never undoes a shift, nor fights one that is under way.
// After an up, cmd/lambdarelease writes an AppSpec from the stack output
// "releases" (alias, current and target version) and the pipeline hands it
// to CodeDeploy.
type Release struct {
	pulumi.ResourceState

	ApplicationName pulumi.StringOutput `pulumi:"applicationName"`
	// Releases describe each function's release, by service name: what
	// cmd/lambdarelease needs (stack output "releases").
	Releases pulumi.MapOutput `pulumi:"releases"`
}

// ReleaseArgs configures a Release.
type ReleaseArgs struct {
	Namer Namer
	// Role names the release ("pool" or "silo").
	Role string
	// Functions are the functions behind an alias, by service name.
	Functions map[string]*Function
	// DeploymentConfig is one of LambdaDeploymentConfigs.
	DeploymentConfig string
	// TimeoutSeconds is the functions' timeout; p99 latency above 80 percent
	// of it fires the latency alarm.
	TimeoutSeconds int
	// PermissionsBoundary, when set, caps CodeDeploy's role (silo
	// releases: the platform's silo boundary, which the tenant deployer
	// must put on every role it creates).
	PermissionsBoundary pulumi.StringInput
}

// ReleaseOutput is one function's entry in the stack output "releases".
type ReleaseOutput struct {
	FunctionName    string `json:"functionName"`
	Alias           string `json:"alias"`
	Version         string `json:"version"`
	Application     string `json:"application"`
	DeploymentGroup string `json:"deploymentGroup"`
}

// NewRelease registers the CodeDeploy application, its service role, the
// alarms and the deployment groups.
func NewRelease(ctx *pulumi.Context, name string, args *ReleaseArgs, opts ...pulumi.ResourceOption) (*Release, error) {
	if args == nil || len(args.Functions) == 0 || args.Role == "" {
		return nil, errors.New("release: args with Role and Functions are required")
	}
	if !slices.Contains(LambdaDeploymentConfigs, args.DeploymentConfig) {
		return nil, fmt.Errorf("release %s: DeploymentConfig %q is not one of %v", name, args.DeploymentConfig, LambdaDeploymentConfigs)
	}
	if args.TimeoutSeconds < 1 {
		return nil, fmt.Errorf("release %s: TimeoutSeconds must be positive", name)
	}
	for svc, fn := range args.Functions {
		if fn.Alias == "" {
			return nil, fmt.Errorf("release %s: function %s has no alias; give it FunctionArgs.Alias", name, svc)
		}
	}
	c := &Release{}
	if err := ctx.RegisterComponentResource("tenantforge:app:Release", name, c, opts...); err != nil {
		return nil, err
	}
	appName := args.Namer.Name(args.Role+"-release", 100)
	app, err := codedeploy.NewApplication(ctx, name+"-app", &codedeploy.ApplicationArgs{
		Name:            pulumi.String(appName),
		ComputePlatform: pulumi.String("Lambda"),
	}, pulumi.Parent(c))
	if err != nil {
		return nil, err
	}
	trust, err := ServiceTrustPolicy("codedeploy.amazonaws.com").JSON()
	if err != nil {
		return nil, err
	}
	roleArgs := &iam.RoleArgs{
		Name:             pulumi.String(args.Namer.Name(args.Role+"-codedeploy", MaxIAMRoleName)),
		AssumeRolePolicy: pulumi.String(trust),
		Description:      pulumi.String("Lets CodeDeploy shift the " + args.Role + " functions' live aliases"),
	}
	if args.PermissionsBoundary != nil {
		roleArgs.PermissionsBoundary = args.PermissionsBoundary
	}
	role, err := iam.NewRole(ctx, name+"-role", roleArgs, pulumi.Parent(c))
	if err != nil {
		return nil, err
	}

	services := sortedKeys(args.Functions)
	var functionArns, alarmArns []pulumi.StringOutput
	type groupAlarms struct{ names pulumi.StringArray }
	alarms := map[string]groupAlarms{}
	for _, svc := range services {
		fn := args.Functions[svc]
		functionArns = append(functionArns, fn.FunctionArn)
		resource := fn.Name + ":" + fn.Alias
		dims := pulumi.StringMap{"FunctionName": pulumi.String(fn.Name), "Resource": pulumi.String(resource)}
		errAlarm, err := cloudwatch.NewMetricAlarm(ctx, name+"-"+svc+"-errors", &cloudwatch.MetricAlarmArgs{
			Name:               pulumi.String(FitName(fn.Name+"-"+fn.Alias+"-errors", 255)),
			AlarmDescription:   pulumi.String(fmt.Sprintf("Invocation errors of %s; stops and rolls back a release", resource)),
			Namespace:          pulumi.String("AWS/Lambda"),
			MetricName:         pulumi.String("Errors"),
			Dimensions:         dims,
			Statistic:          pulumi.String("Sum"),
			Period:             pulumi.Int(60),
			EvaluationPeriods:  pulumi.Int(1),
			Threshold:          pulumi.Float64(0),
			ComparisonOperator: pulumi.String("GreaterThanThreshold"),
			TreatMissingData:   pulumi.String("notBreaching"),
		}, pulumi.Parent(c))
		if err != nil {
			return nil, err
		}
		latency, err := cloudwatch.NewMetricAlarm(ctx, name+"-"+svc+"-latency", &cloudwatch.MetricAlarmArgs{
			Name:               pulumi.String(FitName(fn.Name+"-"+fn.Alias+"-latency", 255)),
			AlarmDescription:   pulumi.String(fmt.Sprintf("p99 duration of %s near its timeout; stops and rolls back a release", resource)),
			Namespace:          pulumi.String("AWS/Lambda"),
			MetricName:         pulumi.String("Duration"),
			Dimensions:         dims,
			ExtendedStatistic:  pulumi.String("p99"),
			Period:             pulumi.Int(60),
			EvaluationPeriods:  pulumi.Int(2),
			DatapointsToAlarm:  pulumi.Int(2),
			Threshold:          pulumi.Float64(LatencyThresholdMs(args.TimeoutSeconds)),
			ComparisonOperator: pulumi.String("GreaterThanThreshold"),
			TreatMissingData:   pulumi.String("notBreaching"),
		}, pulumi.Parent(c))
		if err != nil {
			return nil, err
		}
		alarmArns = append(alarmArns, errAlarm.Arn, latency.Arn)
		alarms[svc] = groupAlarms{names: pulumi.StringArray{errAlarm.Name, latency.Name}}
	}
	arnInputs := []any{}
	for _, a := range functionArns {
		arnInputs = append(arnInputs, a)
	}
	for _, a := range alarmArns {
		arnInputs = append(arnInputs, a)
	}
	nFn := len(functionArns)
	policy := pulumi.All(arnInputs...).ApplyT(func(v []any) (string, error) {
		fns, als := make([]string, 0, nFn), make([]string, 0, len(v)-nFn)
		for i, x := range v {
			if i < nFn {
				fns = append(fns, x.(string))
			} else {
				als = append(als, x.(string))
			}
		}
		return CodeDeployLambdaPolicy(fns, LiveAlias, als).JSON()
	}).(pulumi.StringOutput)
	rolePolicy, err := iam.NewRolePolicy(ctx, name+"-shift-aliases", &iam.RolePolicyArgs{Role: role.ID(), Policy: policy}, pulumi.Parent(c))
	if err != nil {
		return nil, err
	}

	releases := pulumi.Map{}
	for _, svc := range services {
		fn := args.Functions[svc]
		groupName := FitName(args.Role+"-"+svc, 100)
		if _, err := codedeploy.NewDeploymentGroup(ctx, name+"-"+svc, &codedeploy.DeploymentGroupArgs{
			AppName:              app.Name,
			DeploymentGroupName:  pulumi.String(groupName),
			ServiceRoleArn:       role.Arn,
			DeploymentConfigName: pulumi.String(args.DeploymentConfig),
			DeploymentStyle: &codedeploy.DeploymentGroupDeploymentStyleArgs{
				DeploymentType:   pulumi.String("BLUE_GREEN"),
				DeploymentOption: pulumi.String("WITH_TRAFFIC_CONTROL"),
			},
			AutoRollbackConfiguration: &codedeploy.DeploymentGroupAutoRollbackConfigurationArgs{
				Enabled: pulumi.Bool(true),
				Events:  pulumi.StringArray{pulumi.String("DEPLOYMENT_FAILURE"), pulumi.String("DEPLOYMENT_STOP_ON_ALARM")},
			},
			AlarmConfiguration: &codedeploy.DeploymentGroupAlarmConfigurationArgs{
				Enabled: pulumi.Bool(true),
				Alarms:  alarms[svc].names,
			},
		}, pulumi.Parent(c), pulumi.DependsOn([]pulumi.Resource{rolePolicy})); err != nil {
			return nil, err
		}
		releases[svc] = pulumi.StringMap{
			"functionName":    fn.FunctionName,
			"alias":           pulumi.String(fn.Alias),
			"version":         fn.Version,
			"application":     app.Name,
			"deploymentGroup": pulumi.String(groupName),
		}
	}
	c.ApplicationName = app.Name
	c.Releases = releases.ToMapOutput()
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{"applicationName": c.ApplicationName, "releases": c.Releases}); err != nil {
		return nil, err
	}
	return c, nil
}

// LatencyThresholdMs is the p99 duration that fires a function's latency
// alarm: 80 percent of its timeout.
func LatencyThresholdMs(timeoutSeconds int) float64 { return float64(timeoutSeconds) * 800 }
