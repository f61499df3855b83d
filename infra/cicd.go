package infra

import (
	"errors"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/codebuild"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/codepipeline"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/codestarconnections"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/codestarnotifications"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Buildspec files of the pipeline's two CodeBuild projects (repo paths).
const (
	BuildSpecBuild  = "buildspecs/build.yml"
	BuildSpecDeploy = "buildspecs/deploy.yml"
)

// Pipeline stage and artifact names; the buildspecs and tests use them.
const (
	StageSource       = "Source"
	StageBuild        = "Build"
	StageApproval     = "Approval"
	StageDeploy       = "Deploy"
	ArtifactSource    = "source"
	ArtifactLambdas   = "lambdas"
	TestReportName    = "tests"
	ArtifactRetention = 30 // days an artifact is kept
	CacheRetention    = 14 // days a Go cache entry is kept
)

// CodeBuildImage is the build image (Go and the Pulumi CLI are installed at
// the versions the buildspecs pin).
const CodeBuildImage = "aws/codebuild/amazonlinux-x86_64-standard:5.0"

// PipelineEventTypes are the pipeline events that reach the topic.
var PipelineEventTypes = []string{"codepipeline-pipeline-pipeline-execution-failed"}

// ApprovalEventType announces a pending manual approval.
const ApprovalEventType = "codepipeline-pipeline-manual-approval-needed"

// Pipeline is the platform's delivery pipeline: CodePipeline V2 with a
// Source stage (a CodeConnections connection to GitHub, run on every push
// to the branch), a Build stage (CodeBuild: tests, Lambda packages,
// `pulumi preview` of the platform stack, JUnit reports), an optional
// manual Approval and a Deploy stage (CodeBuild: `tenantctl rollout` of
// the platform then the silo tenant stacks, then the CodeDeploy releases).
// The artifact bucket is private, encrypted, TLS-only and expires what it
// holds; failures are published to an SNS topic.
type Pipeline struct {
	pulumi.ResourceState

	PipelineName   pulumi.StringOutput `pulumi:"pipelineName"`
	ArtifactBucket pulumi.StringOutput `pulumi:"artifactBucket"`
	ConnectionArn  pulumi.StringOutput `pulumi:"connectionArn"`
	TopicArn       pulumi.StringOutput `pulumi:"topicArn"`
	DeployRoleArn  pulumi.StringOutput `pulumi:"deployRoleArn"`
}

// PipelineArgs configures a Pipeline.
type PipelineArgs struct {
	Namer                        Namer
	Partition, Region, AccountID string
	CICD                         CICDConfig
	Backend                      PulumiBackendConfig
	// Stack is the platform stack the pipeline previews and rolls out.
	Stack            string
	LogRetentionDays int
	// ForceDestroy lets `pulumi destroy` empty the artifact bucket (dev).
	ForceDestroy bool
	// VPC: the platform stack has the optional VPC (deploy role scope).
	VPC bool
	// CostTag: the platform stack activates the cost allocation tag, and
	// TrailBucket starts its audit trail bucket's name (deploy role scope;
	// "" without a trail).
	CostTag     bool
	TrailBucket string
	// SiloBoundary is the permissions boundary of silo tenant roles (the
	// tenant deployer's); the deploy role may set exactly that boundary on
	// the project's roles when it rolls out silo stacks. Optional.
	SiloBoundary pulumi.StringInput
	// Environment, RegistryTable and EventBus are what `tenantctl rollout`
	// reads in the deploy stage (ENVIRONMENT, REGISTRY_TABLE, EVENT_BUS).
	Environment             string
	RegistryTable, EventBus pulumi.StringInput
}

// NewPipeline registers the pipeline and everything it runs with.
func NewPipeline(ctx *pulumi.Context, name string, args *PipelineArgs, opts ...pulumi.ResourceOption) (*Pipeline, error) {
	if args == nil {
		return nil, errors.New("pipeline: args are required")
	}
	switch {
	case !args.CICD.PipelineEnabled():
		return nil, fmt.Errorf("pipeline %s: CICD.Repository is required", name)
	case args.Partition == "" || args.Region == "" || args.AccountID == "":
		return nil, fmt.Errorf("pipeline %s: Partition, Region and AccountID are required", name)
	case args.Stack == "":
		return nil, fmt.Errorf("pipeline %s: Stack is required", name)
	case args.Environment == "" || args.RegistryTable == nil || args.EventBus == nil:
		return nil, fmt.Errorf("pipeline %s: Environment, RegistryTable and EventBus are required (tenantctl rollout reads them)", name)
	case !validRetention(args.LogRetentionDays):
		return nil, fmt.Errorf("pipeline %s: LogRetentionDays must be a CloudWatch Logs retention", name)
	}
	c := &Pipeline{}
	if err := ctx.RegisterComponentResource("tenantforge:cicd:Pipeline", name, c, opts...); err != nil {
		return nil, err
	}
	n := args.Namer
	parent := pulumi.Parent(c)

	bucket, err := artifactBucket(ctx, name, n, args.ForceDestroy, parent)
	if err != nil {
		return nil, err
	}

	connectionArn := pulumi.String(args.CICD.ConnectionArn).ToStringOutput()
	if args.CICD.ConnectionArn == "" {
		// Created PENDING: an operator completes the GitHub handshake once
		// in the console (README, "Delivery pipeline").
		conn, err := codestarconnections.NewConnection(ctx, name+"-github", &codestarconnections.ConnectionArgs{
			Name:         pulumi.String(n.Name("github", 32)),
			ProviderType: pulumi.String("GitHub"),
		}, parent)
		if err != nil {
			return nil, err
		}
		connectionArn = conn.Arn
	}

	topic, err := sns.NewTopic(ctx, name+"-notifications", &sns.TopicArgs{
		Name:        pulumi.String(n.Name("pipeline-notifications", 256)),
		DisplayName: pulumi.String("tenantforge pipeline"),
	}, parent)
	if err != nil {
		return nil, err
	}
	topicPolicy := topic.Arn.ApplyT(func(arn string) (string, error) { return NotificationTopicPolicy(arn, args.AccountID).JSON() }).(pulumi.StringOutput)
	if _, err := sns.NewTopicPolicy(ctx, name+"-notifications-policy", &sns.TopicPolicyArgs{Arn: topic.Arn, Policy: topicPolicy}, parent); err != nil {
		return nil, err
	}
	if args.CICD.NotifyEmail != "" {
		if _, err := sns.NewTopicSubscription(ctx, name+"-notify-email", &sns.TopicSubscriptionArgs{
			Topic: topic.Arn, Protocol: pulumi.String("email"), Endpoint: pulumi.String(args.CICD.NotifyEmail),
		}, parent); err != nil {
			return nil, err
		}
	}

	buildName, deployName := n.Name("build", 150), n.Name("deploy", 150)
	buildLogs, err := cloudwatch.NewLogGroup(ctx, name+"-build-logs", &cloudwatch.LogGroupArgs{
		Name: pulumi.String("/aws/codebuild/" + buildName), RetentionInDays: pulumi.Int(args.LogRetentionDays),
	}, parent)
	if err != nil {
		return nil, err
	}
	deployLogs, err := cloudwatch.NewLogGroup(ctx, name+"-deploy-logs", &cloudwatch.LogGroupArgs{
		Name: pulumi.String("/aws/codebuild/" + deployName), RetentionInDays: pulumi.Int(args.LogRetentionDays),
	}, parent)
	if err != nil {
		return nil, err
	}
	// A buildspec report named "tests" lands in "<project>-tests".
	reports, err := codebuild.NewReportGroup(ctx, name+"-tests", &codebuild.ReportGroupArgs{
		Name:          pulumi.String(buildName + "-" + TestReportName),
		Type:          pulumi.String("TEST"),
		ExportConfig:  &codebuild.ReportGroupExportConfigArgs{Type: pulumi.String("NO_EXPORT")},
		DeleteReports: pulumi.Bool(args.ForceDestroy),
	}, parent)
	if err != nil {
		return nil, err
	}

	// Roles: names are known up front, so each policy can name the others.
	roleName := func(role string) string { return n.Name("pipeline-"+role, MaxIAMRoleName) }
	roleArn := func(role string) string {
		return "arn:" + args.Partition + ":iam::" + args.AccountID + ":role/" + roleName(role)
	}
	projectArn := func(p string) string {
		return "arn:" + args.Partition + ":codebuild:" + args.Region + ":" + args.AccountID + ":project/" + p
	}
	var secrets []string
	for _, s := range []string{args.Backend.AccessTokenSecretArn, args.Backend.PassphraseSecretArn} {
		if s != "" {
			secrets = append(secrets, s)
		}
	}
	siloBoundary := args.SiloBoundary
	if siloBoundary == nil {
		siloBoundary = pulumi.String("")
	}
	policies := pulumi.All(bucket.Arn, connectionArn, buildLogs.Arn, deployLogs.Arn, reports.Arn, topic.Arn, siloBoundary).ApplyT(func(v []any) (map[string]string, error) {
		r := PipelineResources{
			Partition: args.Partition, Region: args.Region, AccountID: args.AccountID,
			Prefix:            n.Project + "-",
			ArtifactBucketArn: v[0].(string), ConnectionArn: v[1].(string),
			BuildProjectArn: projectArn(buildName), DeployProjectArn: projectArn(deployName),
			BuildLogGroupArn: v[2].(string), DeployLogGroupArn: v[3].(string),
			ReportGroupArn: v[4].(string), TopicArn: v[5].(string),
			SecretArns: secrets, StateBucket: StateBucketOf(args.Backend.URL),
			Approval: args.CICD.Approval, VPC: args.VPC,
			CostTag: args.CostTag, TrailBucketPrefix: args.TrailBucket, SiloBoundaryArn: v[6].(string),
			OwnRoleArns: []string{roleArn("pipeline"), roleArn("build"), roleArn("deploy")},
		}
		out := map[string]string{}
		for role, doc := range map[string]PolicyDocument{"pipeline": PipelineRolePolicy(r), "build": BuildRolePolicy(r), "deploy": DeployRolePolicy(r)} {
			j, err := doc.JSON()
			if err != nil {
				return nil, fmt.Errorf("%s role: %w", role, err)
			}
			out[role] = j
		}
		return out, nil
	}).(pulumi.StringMapOutput)

	roles := map[string]*iam.Role{}
	rolePolicies := map[string]pulumi.Resource{}
	for _, r := range []struct{ role, service, what string }{
		{"pipeline", "codepipeline.amazonaws.com", "Runs the pipeline: artifacts, source connection, builds"},
		{"build", "codebuild.amazonaws.com", "Builds and tests; reads source, writes reports, logs and cache; changes no infrastructure"},
		{"deploy", "codebuild.amazonaws.com", "The only role that changes infrastructure: rolls out the stacks and Lambda releases"},
	} {
		trust, err := ServiceTrustPolicy(r.service).JSON()
		if err != nil {
			return nil, err
		}
		role, err := iam.NewRole(ctx, name+"-"+r.role+"-role", &iam.RoleArgs{
			Name: pulumi.String(roleName(r.role)), AssumeRolePolicy: pulumi.String(trust), Description: pulumi.String(r.what),
		}, parent)
		if err != nil {
			return nil, err
		}
		pol, err := iam.NewRolePolicy(ctx, name+"-"+r.role+"-policy", &iam.RolePolicyArgs{
			Role: role.ID(), Policy: policies.MapIndex(pulumi.String(r.role)),
		}, parent)
		if err != nil {
			return nil, err
		}
		roles[r.role], rolePolicies[r.role] = role, pol
	}

	env := func(extra ...codebuild.ProjectEnvironmentEnvironmentVariableArgs) codebuild.ProjectEnvironmentEnvironmentVariableArray {
		vars := codebuild.ProjectEnvironmentEnvironmentVariableArray{
			plainVar("PLATFORM_STACK", args.Stack),
			plainVar("PULUMI_BACKEND_URL", args.Backend.URL),
			plainVar("ENVIRONMENT", args.Environment),
			codebuild.ProjectEnvironmentEnvironmentVariableArgs{Name: pulumi.String("REGISTRY_TABLE"), Type: pulumi.String("PLAINTEXT"), Value: args.RegistryTable},
			codebuild.ProjectEnvironmentEnvironmentVariableArgs{Name: pulumi.String("EVENT_BUS"), Type: pulumi.String("PLAINTEXT"), Value: args.EventBus},
		}
		if s := args.Backend.AccessTokenSecretArn; s != "" {
			vars = append(vars, codebuild.ProjectEnvironmentEnvironmentVariableArgs{Name: pulumi.String("PULUMI_ACCESS_TOKEN"), Type: pulumi.String("SECRETS_MANAGER"), Value: pulumi.String(s)})
		}
		if s := args.Backend.PassphraseSecretArn; s != "" {
			vars = append(vars, codebuild.ProjectEnvironmentEnvironmentVariableArgs{Name: pulumi.String("PULUMI_CONFIG_PASSPHRASE"), Type: pulumi.String("SECRETS_MANAGER"), Value: pulumi.String(s)})
		}
		for _, e := range extra {
			vars = append(vars, e)
		}
		return vars
	}
	project := func(key, physical, spec, what string, logs *cloudwatch.LogGroup, role string, timeout int) (*codebuild.Project, error) {
		return codebuild.NewProject(ctx, name+"-"+key, &codebuild.ProjectArgs{
			Name:         pulumi.String(physical),
			Description:  pulumi.String(what),
			ServiceRole:  roles[role].Arn,
			BuildTimeout: pulumi.Int(timeout),
			Source:       &codebuild.ProjectSourceArgs{Type: pulumi.String("CODEPIPELINE"), Buildspec: pulumi.String(spec)},
			Artifacts:    &codebuild.ProjectArtifactsArgs{Type: pulumi.String("CODEPIPELINE")},
			Environment: &codebuild.ProjectEnvironmentArgs{
				Type:                 pulumi.String("LINUX_CONTAINER"),
				ComputeType:          pulumi.String("BUILD_GENERAL1_MEDIUM"),
				Image:                pulumi.String(CodeBuildImage),
				EnvironmentVariables: env(),
			},
			Cache: &codebuild.ProjectCacheArgs{
				Type:     pulumi.String("S3"),
				Location: pulumi.Sprintf("%s/cache/%s", bucket.Bucket, key),
			},
			LogsConfig: &codebuild.ProjectLogsConfigArgs{CloudwatchLogs: &codebuild.ProjectLogsConfigCloudwatchLogsArgs{
				GroupName: logs.Name, Status: pulumi.String("ENABLED"),
			}},
		}, parent, pulumi.DependsOn([]pulumi.Resource{rolePolicies[role]}))
	}
	build, err := project("build", buildName, BuildSpecBuild, "make test, make build, pulumi preview of "+args.Stack, buildLogs, "build", 60)
	if err != nil {
		return nil, err
	}
	deploy, err := project("deploy", deployName, BuildSpecDeploy, "tenantctl rollout of "+args.Stack+" and its tenant stacks, then the Lambda releases", deployLogs, "deploy", 240)
	if err != nil {
		return nil, err
	}

	stages := codepipeline.PipelineStageArray{
		codepipeline.PipelineStageArgs{Name: pulumi.String(StageSource), Actions: codepipeline.PipelineStageActionArray{
			codepipeline.PipelineStageActionArgs{
				Name: pulumi.String("GitHub"), Category: pulumi.String("Source"), Owner: pulumi.String("AWS"),
				Provider: pulumi.String("CodeStarSourceConnection"), Version: pulumi.String("1"),
				OutputArtifacts: pulumi.StringArray{pulumi.String(ArtifactSource)},
				Configuration: pulumi.StringMap{
					"ConnectionArn":        connectionArn,
					"FullRepositoryId":     pulumi.String(args.CICD.Repository),
					"BranchName":           pulumi.String(args.CICD.Branch),
					"OutputArtifactFormat": pulumi.String("CODE_ZIP"),
				},
			},
		}},
		codepipeline.PipelineStageArgs{Name: pulumi.String(StageBuild), Actions: codepipeline.PipelineStageActionArray{
			codepipeline.PipelineStageActionArgs{
				Name: pulumi.String("TestAndPreview"), Category: pulumi.String("Build"), Owner: pulumi.String("AWS"),
				Provider: pulumi.String("CodeBuild"), Version: pulumi.String("1"),
				InputArtifacts:  pulumi.StringArray{pulumi.String(ArtifactSource)},
				OutputArtifacts: pulumi.StringArray{pulumi.String(ArtifactLambdas)},
				Configuration:   pulumi.StringMap{"ProjectName": build.Name},
			},
		}},
	}
	if args.CICD.Approval {
		stages = append(stages, codepipeline.PipelineStageArgs{Name: pulumi.String(StageApproval), Actions: codepipeline.PipelineStageActionArray{
			codepipeline.PipelineStageActionArgs{
				Name: pulumi.String("ApproveDeploy"), Category: pulumi.String("Approval"), Owner: pulumi.String("AWS"),
				Provider: pulumi.String("Manual"), Version: pulumi.String("1"),
				Configuration: pulumi.StringMap{
					"NotificationArn": topic.Arn,
					"CustomData":      pulumi.String("Review the Build stage's pulumi preview of " + args.Stack + " before its rollout"),
				},
			},
		}})
	}
	stages = append(stages, codepipeline.PipelineStageArgs{Name: pulumi.String(StageDeploy), Actions: codepipeline.PipelineStageActionArray{
		codepipeline.PipelineStageActionArgs{
			Name: pulumi.String("RolloutAndRelease"), Category: pulumi.String("Build"), Owner: pulumi.String("AWS"),
			Provider: pulumi.String("CodeBuild"), Version: pulumi.String("1"),
			InputArtifacts: pulumi.StringArray{pulumi.String(ArtifactSource), pulumi.String(ArtifactLambdas)},
			Configuration: pulumi.StringMap{
				"ProjectName":   deploy.Name,
				"PrimarySource": pulumi.String(ArtifactSource),
			},
		},
	}})
	// The V2 trigger starts a run on a push to the branch (it replaces the
	// source action's default change detection).
	pipeline, err := codepipeline.NewPipeline(ctx, name, &codepipeline.PipelineArgs{
		Name:          pulumi.String(PipelineName(n)),
		PipelineType:  pulumi.String("V2"),
		ExecutionMode: pulumi.String("QUEUED"),
		RoleArn:       roles["pipeline"].Arn,
		ArtifactStores: codepipeline.PipelineArtifactStoreArray{
			codepipeline.PipelineArtifactStoreArgs{Type: pulumi.String("S3"), Location: bucket.Bucket},
		},
		Stages: stages,
		Triggers: codepipeline.PipelineTriggerArray{codepipeline.PipelineTriggerArgs{
			ProviderType: pulumi.String("CodeStarSourceConnection"),
			GitConfiguration: codepipeline.PipelineTriggerGitConfigurationArgs{
				SourceActionName: pulumi.String("GitHub"),
				Pushes: codepipeline.PipelineTriggerGitConfigurationPushArray{codepipeline.PipelineTriggerGitConfigurationPushArgs{
					Branches: &codepipeline.PipelineTriggerGitConfigurationPushBranchesArgs{Includes: pulumi.StringArray{pulumi.String(args.CICD.Branch)}},
				}},
			},
		}},
	}, parent, pulumi.DependsOn([]pulumi.Resource{rolePolicies["pipeline"]}))
	if err != nil {
		return nil, err
	}
	events := append([]string{}, PipelineEventTypes...)
	if args.CICD.Approval {
		events = append(events, ApprovalEventType)
	}
	if _, err := codestarnotifications.NewNotificationRule(ctx, name+"-failures", &codestarnotifications.NotificationRuleArgs{
		Name:         pulumi.String(n.Name("pipeline-events", 64)),
		DetailType:   pulumi.String("BASIC"),
		Resource:     pipeline.Arn,
		EventTypeIds: pulumi.ToStringArray(events),
		Targets:      codestarnotifications.NotificationRuleTargetArray{codestarnotifications.NotificationRuleTargetArgs{Address: topic.Arn}},
	}, parent); err != nil {
		return nil, err
	}

	c.PipelineName, c.ArtifactBucket, c.ConnectionArn = pipeline.Name, bucket.Bucket, connectionArn
	c.TopicArn, c.DeployRoleArn = topic.Arn, roles["deploy"].Arn
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{
		"pipelineName": c.PipelineName, "artifactBucket": c.ArtifactBucket, "connectionArn": c.ConnectionArn,
		"topicArn": c.TopicArn, "deployRoleArn": c.DeployRoleArn,
	}); err != nil {
		return nil, err
	}
	return c, nil
}

func plainVar(name, value string) codebuild.ProjectEnvironmentEnvironmentVariableArgs {
	return codebuild.ProjectEnvironmentEnvironmentVariableArgs{Name: pulumi.String(name), Type: pulumi.String("PLAINTEXT"), Value: pulumi.String(value)}
}

// artifactBucket is the pipeline's artifact and cache bucket: private
// (owner-enforced, every public access blocked), encrypted at rest,
// reachable only over TLS, and emptied by lifecycle rules.
func artifactBucket(ctx *pulumi.Context, name string, n Namer, forceDestroy bool, parent pulumi.ResourceOption) (*s3.BucketV2, error) {
	bucket, err := s3.NewBucketV2(ctx, name+"-artifacts", &s3.BucketV2Args{
		Bucket:       pulumi.String(n.Name("pipeline-artifacts", MaxS3BucketName)),
		ForceDestroy: pulumi.Bool(forceDestroy),
	}, parent)
	if err != nil {
		return nil, err
	}
	if _, err := s3.NewBucketPublicAccessBlock(ctx, name+"-artifacts-private", &s3.BucketPublicAccessBlockArgs{
		Bucket: bucket.ID(), BlockPublicAcls: pulumi.Bool(true), BlockPublicPolicy: pulumi.Bool(true),
		IgnorePublicAcls: pulumi.Bool(true), RestrictPublicBuckets: pulumi.Bool(true),
	}, parent); err != nil {
		return nil, err
	}
	if _, err := s3.NewBucketOwnershipControls(ctx, name+"-artifacts-ownership", &s3.BucketOwnershipControlsArgs{
		Bucket: bucket.ID(), Rule: &s3.BucketOwnershipControlsRuleArgs{ObjectOwnership: pulumi.String("BucketOwnerEnforced")},
	}, parent); err != nil {
		return nil, err
	}
	if _, err := s3.NewBucketServerSideEncryptionConfigurationV2(ctx, name+"-artifacts-encryption", &s3.BucketServerSideEncryptionConfigurationV2Args{
		Bucket: bucket.ID(),
		Rules: s3.BucketServerSideEncryptionConfigurationV2RuleArray{s3.BucketServerSideEncryptionConfigurationV2RuleArgs{
			ApplyServerSideEncryptionByDefault: &s3.BucketServerSideEncryptionConfigurationV2RuleApplyServerSideEncryptionByDefaultArgs{SseAlgorithm: pulumi.String("AES256")},
		}},
	}, parent); err != nil {
		return nil, err
	}
	rule := func(id, prefix string, days int) s3.BucketLifecycleConfigurationV2RuleArgs {
		return s3.BucketLifecycleConfigurationV2RuleArgs{
			Id: pulumi.String(id), Status: pulumi.String("Enabled"),
			Filter:                         &s3.BucketLifecycleConfigurationV2RuleFilterArgs{Prefix: pulumi.String(prefix)},
			Expiration:                     &s3.BucketLifecycleConfigurationV2RuleExpirationArgs{Days: pulumi.Int(days)},
			AbortIncompleteMultipartUpload: &s3.BucketLifecycleConfigurationV2RuleAbortIncompleteMultipartUploadArgs{DaysAfterInitiation: pulumi.Int(1)},
		}
	}
	if _, err := s3.NewBucketLifecycleConfigurationV2(ctx, name+"-artifacts-expiry", &s3.BucketLifecycleConfigurationV2Args{
		Bucket: bucket.ID(),
		Rules: s3.BucketLifecycleConfigurationV2RuleArray{
			rule("expire-cache", "cache/", CacheRetention),
			rule("expire-artifacts", "", ArtifactRetention),
		},
	}, parent); err != nil {
		return nil, err
	}
	policy := bucket.Arn.ApplyT(func(arn string) (string, error) { return TLSOnlyBucketPolicy(arn).JSON() }).(pulumi.StringOutput)
	if _, err := s3.NewBucketPolicy(ctx, name+"-artifacts-tls", &s3.BucketPolicyArgs{Bucket: bucket.ID(), Policy: policy}, parent); err != nil {
		return nil, err
	}
	return bucket, nil
}

// PipelineName is the delivery pipeline's physical name, known before it
// exists (the dashboard's pipeline widgets use it).
func PipelineName(n Namer) string { return n.Name("pipeline", 100) }
