package infra

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/codebuild"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sqs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// DeployerBuildspec is the tenant deployer's buildspec in the repository.
const DeployerBuildspec = "buildspecs/tenant-deployer.yml"

// Defaults of the tenant deployer's CodeBuild project.
const (
	DeployerImage          = "aws/codebuild/amazonlinux-aarch64-standard:3.0"
	DeployerComputeType    = "BUILD_GENERAL1_SMALL"
	DeployerTimeoutMinutes = 60
)

// TenantDeployer provisions silo tenants: EventBridge rules on the
// lifecycle bus start a CodeBuild project that runs `tenantctl provision`
// or `tenantctl deprovision` for the event's tenant, with a role scoped to
// the tenant stacks' resources.
type TenantDeployer struct {
	pulumi.ResourceState

	ProjectName pulumi.StringOutput `pulumi:"projectName"`
	ProjectArn  pulumi.StringOutput `pulumi:"projectArn"`
	RoleArn     pulumi.StringOutput `pulumi:"roleArn"`
	// SiloBoundaryArn is the permissions boundary every role the deployer
	// creates must carry.
	SiloBoundaryArn pulumi.StringOutput `pulumi:"siloBoundaryArn"`
}

// TenantDeployerArgs configures the TenantDeployer.
type TenantDeployerArgs struct {
	Namer                        Namer
	Partition, Region, AccountID string
	// PlatformStack is the platform stack as the backend names it
	// (org/project/stack); tenant stacks reference it.
	PlatformStack string
	Environment   string
	// Repository (owner/name), Branch and ConnectionArn (optional) are the
	// source the build runs tenantctl from.
	Repository, Branch, ConnectionArn string
	Backend                           PulumiBackendConfig
	LogRetentionDays                  int

	RegistryTable        pulumi.StringInput
	RegistryTableArn     pulumi.StringOutput
	EventBusName         pulumi.StringInput
	EventBusArn          pulumi.StringOutput
	AuthorizerArn        pulumi.StringOutput
	LayerArn             pulumi.StringOutput
	TenantAccessRoleArn  pulumi.StringOutput
	PlatformAPIID        pulumi.StringOutput
	PlatformUsagePlanIDs pulumi.StringMapOutput
}

// NewTenantDeployer registers the deployer's project, roles, log group and
// rules.
func NewTenantDeployer(ctx *pulumi.Context, name string, args *TenantDeployerArgs, opts ...pulumi.ResourceOption) (*TenantDeployer, error) {
	switch {
	case args == nil:
		return nil, errors.New("tenant deployer: args are required")
	case args.Partition == "" || args.Region == "" || args.AccountID == "" || args.PlatformStack == "":
		return nil, errors.New("tenant deployer: Partition, Region, AccountID and PlatformStack are required")
	case args.Repository == "":
		return nil, errors.New("tenant deployer: the repository to build from is required")
	}
	c := &TenantDeployer{}
	if err := ctx.RegisterComponentResource("tenantforge:controlplane:TenantDeployer", name, c, opts...); err != nil {
		return nil, err
	}
	// "deployer", not "tenant-deployer": the deployer's own names must not
	// fall under the tenant prefix its role may write to.
	projectName := args.Namer.Name("deployer", 255)
	logGroup, err := cloudwatch.NewLogGroup(ctx, name+"-logs", &cloudwatch.LogGroupArgs{
		Name:            pulumi.String("/aws/codebuild/" + projectName),
		RetentionInDays: pulumi.Int(args.LogRetentionDays),
	}, pulumi.Parent(c))
	if err != nil {
		return nil, err
	}
	boundaryDoc, err := SiloBoundaryPolicy(SiloBoundaryResources{
		Partition: args.Partition, Region: args.Region, AccountID: args.AccountID,
		Project: args.Namer.Project, PlatformStack: args.PlatformStack,
	}).JSON()
	if err != nil {
		return nil, err
	}
	boundary, err := iam.NewPolicy(ctx, name+"-silo-boundary", &iam.PolicyArgs{
		Name:        pulumi.String(args.Namer.Name("silo-boundary", 128)),
		Description: pulumi.String("The most a silo tenant's function role may do; the tenant deployer can only create roles with it"),
		Policy:      pulumi.String(boundaryDoc),
	}, pulumi.Parent(c))
	if err != nil {
		return nil, err
	}
	trust, err := AccountServiceTrustPolicy("codebuild.amazonaws.com", args.AccountID).JSON()
	if err != nil {
		return nil, err
	}
	role, err := iam.NewRole(ctx, name+"-role", &iam.RoleArgs{
		Name:             pulumi.String(args.Namer.Name("deployer", MaxIAMRoleName)),
		Description:      pulumi.String("Tenant deployer: pulumi up/destroy of silo tenant stacks with tenantctl"),
		AssumeRolePolicy: pulumi.String(trust),
	}, pulumi.Parent(c))
	if err != nil {
		return nil, err
	}
	policy := pulumi.All(logGroup.Arn, args.RegistryTableArn, args.EventBusArn, args.AuthorizerArn, args.LayerArn,
		args.TenantAccessRoleArn, args.PlatformAPIID, args.PlatformUsagePlanIDs, boundary.Arn).ApplyT(func(v []any) (string, error) {
		plans := v[7].(map[string]string)
		doc, err := DeployerPolicy(DeployerResources{
			Partition: args.Partition, Region: args.Region, AccountID: args.AccountID,
			Project: args.Namer.Project, PlatformStack: args.PlatformStack,
			BuildLogGroupArn: v[0].(string), RegistryTableArn: v[1].(string), EventBusArn: v[2].(string),
			AuthorizerArn: v[3].(string), LayerVersionArn: v[4].(string),
			ProtectedRoleArns: []string{v[5].(string)},
			PlatformAPIID:     v[6].(string), PlatformUsagePlanIDs: slices.Collect(maps.Values(plans)),
			Backend: args.Backend, SiloBoundaryArn: v[8].(string),
		})
		if err != nil {
			return "", err
		}
		return doc.JSON()
	}).(pulumi.StringOutput)
	rolePolicy, err := iam.NewRolePolicy(ctx, name+"-policy", &iam.RolePolicyArgs{Role: role.Name, Policy: policy}, pulumi.Parent(c))
	if err != nil {
		return nil, err
	}

	env := codebuild.ProjectEnvironmentEnvironmentVariableArray{
		deployerVar("REGISTRY_TABLE", args.RegistryTable),
		deployerVar("EVENT_BUS", args.EventBusName),
		deployerVar("PLATFORM_STACK", pulumi.String(args.PlatformStack)),
		deployerVar("ENVIRONMENT", pulumi.String(args.Environment)),
		deployerVar("PULUMI_BACKEND_URL", pulumi.String(args.Backend.URL)),
		// Set per build by the rules' input transformer.
		deployerVar("TENANT_ID", pulumi.String("")),
		deployerVar("TENANTCTL_ACTION", pulumi.String("")),
	}
	for _, s := range []struct{ name, arn string }{{"PULUMI_ACCESS_TOKEN", args.Backend.AccessTokenSecretArn}, {"PULUMI_CONFIG_PASSPHRASE", args.Backend.PassphraseSecretArn}} {
		if s.arn != "" {
			env = append(env, codebuild.ProjectEnvironmentEnvironmentVariableArgs{
				Name: pulumi.String(s.name), Type: pulumi.String("SECRETS_MANAGER"), Value: pulumi.String(s.arn),
			})
		}
	}
	source := &codebuild.ProjectSourceArgs{
		Type:          pulumi.String("GITHUB"),
		Location:      pulumi.String("https://github.com/" + args.Repository + ".git"),
		Buildspec:     pulumi.String(DeployerBuildspec),
		GitCloneDepth: pulumi.Int(1),
	}
	if args.ConnectionArn != "" {
		source.Auth = &codebuild.ProjectSourceAuthArgs{Type: pulumi.String("CODECONNECTIONS"), Resource: pulumi.String(args.ConnectionArn)}
	}
	project, err := codebuild.NewProject(ctx, name+"-project", &codebuild.ProjectArgs{
		Name:          pulumi.String(projectName),
		Description:   pulumi.String("Runs tenantctl for one silo tenant (TENANT_ID, TENANTCTL_ACTION)"),
		ServiceRole:   role.Arn,
		BuildTimeout:  pulumi.Int(DeployerTimeoutMinutes),
		Source:        source,
		SourceVersion: pulumi.String(args.Branch),
		Artifacts:     &codebuild.ProjectArtifactsArgs{Type: pulumi.String("NO_ARTIFACTS")},
		Environment: &codebuild.ProjectEnvironmentArgs{
			Type:                 pulumi.String("ARM_CONTAINER"),
			ComputeType:          pulumi.String(DeployerComputeType),
			Image:                pulumi.String(DeployerImage),
			EnvironmentVariables: env,
		},
		LogsConfig: &codebuild.ProjectLogsConfigArgs{
			CloudwatchLogs: &codebuild.ProjectLogsConfigCloudwatchLogsArgs{Status: pulumi.String("ENABLED"), GroupName: logGroup.Name},
		},
	}, pulumi.Parent(c), pulumi.DependsOn([]pulumi.Resource{rolePolicy}))
	if err != nil {
		return nil, err
	}

	eventsTrust, err := AccountServiceTrustPolicy("events.amazonaws.com", args.AccountID).JSON()
	if err != nil {
		return nil, err
	}
	eventsRole, err := iam.NewRole(ctx, name+"-events-role", &iam.RoleArgs{
		Name:             pulumi.String(args.Namer.Name("deployer-events", MaxIAMRoleName)),
		Description:      pulumi.String("EventBridge starts the tenant deployer"),
		AssumeRolePolicy: pulumi.String(eventsTrust),
	}, pulumi.Parent(c))
	if err != nil {
		return nil, err
	}
	startPolicy := project.Arn.ApplyT(func(arn string) (string, error) { return StartBuildPolicy(arn).JSON() }).(pulumi.StringOutput)
	if _, err := iam.NewRolePolicy(ctx, name+"-events-policy", &iam.RolePolicyArgs{Role: eventsRole.Name, Policy: startPolicy}, pulumi.Parent(c)); err != nil {
		return nil, err
	}
	// Events whose build could not be started within the retry policy wait
	// here (14 days) to be replayed, instead of leaving the tenant
	// provisioning with no trace.
	dlq, err := sqs.NewQueue(ctx, name+"-dlq", &sqs.QueueArgs{
		Name:                    pulumi.String(args.Namer.Name("deployer-dlq", 80)),
		MessageRetentionSeconds: pulumi.Int(14 * 24 * 3600),
		SqsManagedSseEnabled:    pulumi.Bool(true),
	}, pulumi.Parent(c))
	if err != nil {
		return nil, err
	}
	var ruleArns pulumi.StringArray
	for _, detailType := range slices.Sorted(maps.Keys(DeployerActions)) {
		action := DeployerActions[detailType]
		pattern, err := DeployerEventPattern(detailType)
		if err != nil {
			return nil, err
		}
		rule, err := cloudwatch.NewEventRule(ctx, name+"-"+action+"-rule", &cloudwatch.EventRuleArgs{
			Name:         pulumi.String(args.Namer.Name("deployer-"+action, 64)),
			Description:  pulumi.String(fmt.Sprintf("%s starts tenantctl %s", detailType, action)),
			EventBusName: args.EventBusName,
			EventPattern: pulumi.String(pattern),
		}, pulumi.Parent(c))
		if err != nil {
			return nil, err
		}
		if _, err := cloudwatch.NewEventTarget(ctx, name+"-"+action+"-target", &cloudwatch.EventTargetArgs{
			Rule:         rule.Name,
			EventBusName: args.EventBusName,
			Arn:          project.Arn,
			RoleArn:      eventsRole.Arn,
			InputTransformer: &cloudwatch.EventTargetInputTransformerArgs{
				InputPaths:    pulumi.ToStringMap(DeployerInputPaths()),
				InputTemplate: pulumi.String(DeployerInputTemplate(action)),
			},
			// A throttled or failed StartBuild is retried for an hour.
			RetryPolicy:      &cloudwatch.EventTargetRetryPolicyArgs{MaximumEventAgeInSeconds: pulumi.Int(3600), MaximumRetryAttempts: pulumi.Int(8)},
			DeadLetterConfig: &cloudwatch.EventTargetDeadLetterConfigArgs{Arn: dlq.Arn},
		}, pulumi.Parent(c)); err != nil {
			return nil, err
		}
		ruleArns = append(ruleArns, rule.Arn)
	}
	dlqPolicy := pulumi.All(dlq.Arn, ruleArns).ApplyT(func(v []any) (string, error) {
		return DeadLetterQueuePolicy(v[0].(string), v[1].([]string)).JSON()
	}).(pulumi.StringOutput)
	if _, err := sqs.NewQueuePolicy(ctx, name+"-dlq-policy", &sqs.QueuePolicyArgs{QueueUrl: dlq.ID().ToStringOutput(), Policy: dlqPolicy}, pulumi.Parent(c)); err != nil {
		return nil, err
	}
	c.ProjectName, c.ProjectArn, c.RoleArn, c.SiloBoundaryArn = project.Name, project.Arn, role.Arn, boundary.Arn
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{
		"projectName": c.ProjectName, "projectArn": c.ProjectArn, "roleArn": c.RoleArn, "siloBoundaryArn": c.SiloBoundaryArn,
	}); err != nil {
		return nil, err
	}
	return c, nil
}

func deployerVar(name string, value pulumi.StringInput) codebuild.ProjectEnvironmentEnvironmentVariableArgs {
	return codebuild.ProjectEnvironmentEnvironmentVariableArgs{Name: pulumi.String(name), Type: pulumi.String("PLAINTEXT"), Value: value}
}
