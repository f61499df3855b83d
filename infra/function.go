package infra

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Function is one Go Lambda function with its own execution role and log
// group: provided.al2023 on arm64, JSON logs, X-Ray tracing. The role may
// write the function's logs and traces; anything else comes from Policies.
type Function struct {
	pulumi.ResourceState

	FunctionName pulumi.StringOutput `pulumi:"functionName"`
	FunctionArn  pulumi.StringOutput `pulumi:"functionArn"`
	InvokeArn    pulumi.StringOutput `pulumi:"invokeArn"`
	RoleArn      pulumi.StringOutput `pulumi:"roleArn"`
	RoleName     pulumi.StringOutput `pulumi:"roleName"`
}

// FunctionArgs configures a Function.
type FunctionArgs struct {
	// Name is the physical function name (from Namer, MaxLambdaName).
	Name string
	// Description says what the function does.
	Description string
	// ZipPath is the package built by `make build` (Artifacts.LambdaZip).
	ZipPath string
	// Environment variables of the function.
	Environment pulumi.StringMap
	// MemoryMB and TimeoutSeconds size the function.
	MemoryMB       int
	TimeoutSeconds int
	// ReservedConcurrency caps the function (0: unreserved).
	ReservedConcurrency int
	// LogRetentionDays is the log group's retention.
	LogRetentionDays int
	// Layers are the layer version ARNs the function attaches.
	Layers pulumi.StringArrayInput
	// Policies are extra inline policies of the role, by name. Each is the
	// policy document's JSON (see the builders in policy.go).
	Policies map[string]pulumi.StringInput
	// PermissionsBoundary, when set, caps the role (silo functions: the
	// platform's silo boundary, which the tenant deployer must attach).
	PermissionsBoundary pulumi.StringInput
}

// NewFunction registers the function, its role and its log group.
func NewFunction(ctx *pulumi.Context, name string, args *FunctionArgs, opts ...pulumi.ResourceOption) (*Function, error) {
	if args == nil {
		return nil, errors.New("function: args are required")
	}
	switch {
	case args.Name == "" || len(args.Name) > MaxLambdaName:
		return nil, fmt.Errorf("function %s: Name must be 1-%d characters", name, MaxLambdaName)
	case args.ZipPath == "":
		return nil, fmt.Errorf("function %s: ZipPath is required (Artifacts.LambdaZip)", name)
	case args.MemoryMB < 128 || args.TimeoutSeconds < 1 || args.TimeoutSeconds > 900:
		return nil, fmt.Errorf("function %s: MemoryMB must be >= 128 and TimeoutSeconds 1-900", name)
	case !validRetention(args.LogRetentionDays):
		return nil, fmt.Errorf("function %s: LogRetentionDays must be a CloudWatch Logs retention", name)
	}
	c := &Function{}
	if err := ctx.RegisterComponentResource("tenantforge:app:Function", name, c, opts...); err != nil {
		return nil, err
	}
	logGroup, err := cloudwatch.NewLogGroup(ctx, name+"-logs", &cloudwatch.LogGroupArgs{
		Name:            pulumi.String("/aws/lambda/" + args.Name),
		RetentionInDays: pulumi.Int(args.LogRetentionDays),
	}, pulumi.Parent(c))
	if err != nil {
		return nil, err
	}
	trust, err := LambdaTrustPolicy().JSON()
	if err != nil {
		return nil, err
	}
	roleArgs := &iam.RoleArgs{
		Name:             pulumi.String(FitName(args.Name+"-role", MaxIAMRoleName)),
		AssumeRolePolicy: pulumi.String(trust),
		Description:      pulumi.String("Execution role of " + args.Name),
	}
	if args.PermissionsBoundary != nil {
		roleArgs.PermissionsBoundary = args.PermissionsBoundary
	}
	role, err := iam.NewRole(ctx, name+"-role", roleArgs, pulumi.Parent(c))
	if err != nil {
		return nil, err
	}
	base := logGroup.Arn.ApplyT(func(arn string) (string, error) { return FunctionBasePolicy(arn).JSON() }).(pulumi.StringOutput)
	policies := []pulumi.Resource{}
	basePolicy, err := iam.NewRolePolicy(ctx, name+"-base", &iam.RolePolicyArgs{Role: role.ID(), Policy: base}, pulumi.Parent(c))
	if err != nil {
		return nil, err
	}
	policies = append(policies, basePolicy)
	for _, pname := range sortedKeys(args.Policies) {
		p, err := iam.NewRolePolicy(ctx, name+"-"+pname, &iam.RolePolicyArgs{Role: role.ID(), Policy: args.Policies[pname]}, pulumi.Parent(c))
		if err != nil {
			return nil, err
		}
		policies = append(policies, p)
	}
	fnArgs := &lambda.FunctionArgs{
		Name:          pulumi.String(args.Name),
		Description:   pulumi.String(args.Description),
		Runtime:       pulumi.String("provided.al2023"),
		Handler:       pulumi.String("bootstrap"),
		Architectures: pulumi.StringArray{pulumi.String("arm64")},
		Code:          pulumi.NewFileArchive(args.ZipPath),
		Role:          role.Arn,
		MemorySize:    pulumi.Int(args.MemoryMB),
		Timeout:       pulumi.Int(args.TimeoutSeconds),
		TracingConfig: &lambda.FunctionTracingConfigArgs{Mode: pulumi.String("Active")},
		LoggingConfig: &lambda.FunctionLoggingConfigArgs{LogFormat: pulumi.String("JSON"), LogGroup: logGroup.Name},
		Environment:   &lambda.FunctionEnvironmentArgs{Variables: args.Environment},
		Layers:        args.Layers,
	}
	if args.ReservedConcurrency > 0 {
		fnArgs.ReservedConcurrentExecutions = pulumi.Int(args.ReservedConcurrency)
	}
	// The role's policies must exist before the function runs with it.
	fn, err := lambda.NewFunction(ctx, name, fnArgs, pulumi.Parent(c), pulumi.DependsOn(policies))
	if err != nil {
		return nil, err
	}
	c.FunctionName, c.FunctionArn, c.InvokeArn = fn.Name, fn.Arn, fn.InvokeArn
	c.RoleArn, c.RoleName = role.Arn, role.Name
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{
		"functionName": c.FunctionName, "functionArn": c.FunctionArn, "invokeArn": c.InvokeArn,
		"roleArn": c.RoleArn, "roleName": c.RoleName,
	}); err != nil {
		return nil, err
	}
	return c, nil
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
