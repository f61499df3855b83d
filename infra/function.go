package infra

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
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
	// Version is the latest published version (functions with an alias;
	// "$LATEST" otherwise).
	Version pulumi.StringOutput `pulumi:"version"`
	// AliasArn is the alias's ARN (functions with an alias only).
	AliasArn pulumi.StringOutput `pulumi:"aliasArn"`

	// Alias is the alias callers reach the function through ("" when they
	// call the function itself). InvokeArn then targets the alias, and
	// callers' permissions must be granted with Alias as the qualifier.
	Alias string
	// Name is the physical function name.
	Name string
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
	// Alias, when set, publishes every code or configuration change as a
	// new version and puts the alias of this name in front of the
	// function. The program creates the alias on the first version and
	// never moves it again: CodeDeploy shifts its traffic to new versions
	// (see Release), so the alias's functionVersion and routingConfig are
	// ignored on update.
	Alias string
}

// aliasNamePattern is what Lambda accepts as an alias name (and that is not
// a version number).
var aliasNamePattern = regexp.MustCompile(`^[a-zA-Z-_][a-zA-Z0-9-_]{0,127}$`)

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
	case args.Alias != "" && !aliasNamePattern.MatchString(args.Alias):
		return nil, fmt.Errorf("function %s: Alias %q is not a Lambda alias name (letters, digits, - and _, not starting with a digit)", name, args.Alias)
	}
	c := &Function{Alias: args.Alias, Name: args.Name}
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
	role, err := iam.NewRole(ctx, name+"-role", &iam.RoleArgs{
		Name:             pulumi.String(FitName(args.Name+"-role", MaxIAMRoleName)),
		AssumeRolePolicy: pulumi.String(trust),
		Description:      pulumi.String("Execution role of " + args.Name),
	}, pulumi.Parent(c))
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
	if args.Alias != "" {
		fnArgs.Publish = pulumi.Bool(true)
	}
	// The role's policies must exist before the function runs with it.
	fn, err := lambda.NewFunction(ctx, name, fnArgs, pulumi.Parent(c), pulumi.DependsOn(policies))
	if err != nil {
		return nil, err
	}
	c.FunctionName, c.FunctionArn, c.InvokeArn = fn.Name, fn.Arn, fn.InvokeArn
	c.RoleArn, c.RoleName = role.Arn, role.Name
	c.Version = fn.Version
	c.AliasArn = pulumi.String("").ToStringOutput()
	if args.Alias != "" {
		alias, err := lambda.NewAlias(ctx, name+"-"+args.Alias, &lambda.AliasArgs{
			Name:            pulumi.String(args.Alias),
			Description:     pulumi.String("What callers reach; CodeDeploy shifts it to new versions"),
			FunctionName:    fn.Name,
			FunctionVersion: fn.Version,
		}, pulumi.Parent(c), pulumi.IgnoreChanges(AliasIgnoredFields))
		if err != nil {
			return nil, err
		}
		c.InvokeArn, c.AliasArn = alias.InvokeArn, alias.Arn
	}
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{
		"functionName": c.FunctionName, "functionArn": c.FunctionArn, "invokeArn": c.InvokeArn,
		"roleArn": c.RoleArn, "roleName": c.RoleName, "version": c.Version, "aliasArn": c.AliasArn,
	}); err != nil {
		return nil, err
	}
	return c, nil
}

// AliasIgnoredFields are the alias inputs CodeDeploy owns once the alias
// exists: the version it points at and the weights of a traffic shift.
var AliasIgnoredFields = []string{"functionVersion", "routingConfig"}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
