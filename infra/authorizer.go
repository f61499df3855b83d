package infra

import (
	"errors"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Authorizer is the API's Lambda REQUEST authorizer (lambdas/authorizer):
// it verifies Cognito ID tokens and reads tenant records, and may do
// nothing else.
type Authorizer struct {
	pulumi.ResourceState

	FunctionName pulumi.StringOutput `pulumi:"functionName"`
	FunctionArn  pulumi.StringOutput `pulumi:"functionArn"`
	InvokeArn    pulumi.StringOutput `pulumi:"invokeArn"`

	// Function is the authorizer's function (alarms, log metric filters).
	Function *Function
}

// AuthorizerArgs configures the Authorizer.
type AuthorizerArgs struct {
	Namer            Namer
	ZipPath          string
	IssuerURL        pulumi.StringInput
	ClientID         pulumi.StringInput
	RegistryTable    pulumi.StringInput
	RegistryTableArn pulumi.StringOutput
	// DecisionTTLSeconds is how long a decision is cached (0-60).
	DecisionTTLSeconds int
	LogRetentionDays   int
}

// NewAuthorizer registers the authorizer function.
func NewAuthorizer(ctx *pulumi.Context, name string, args *AuthorizerArgs, opts ...pulumi.ResourceOption) (*Authorizer, error) {
	if args == nil {
		return nil, errors.New("authorizer: args are required")
	}
	if args.DecisionTTLSeconds < 0 || args.DecisionTTLSeconds > 60 {
		return nil, fmt.Errorf("authorizer: DecisionTTLSeconds %d must be 0-60", args.DecisionTTLSeconds)
	}
	c := &Authorizer{}
	if err := ctx.RegisterComponentResource("tenantforge:identity:Authorizer", name, c, opts...); err != nil {
		return nil, err
	}
	readRegistry := args.RegistryTableArn.ApplyT(func(arn string) (string, error) { return RegistryReadPolicy(arn).JSON() }).(pulumi.StringOutput)
	fn, err := NewFunction(ctx, name+"-fn", &FunctionArgs{
		Name:             args.Namer.Name("authorizer", MaxLambdaName),
		Description:      "Verifies Cognito ID tokens and decides what the caller may call",
		ZipPath:          args.ZipPath,
		MemoryMB:         256,
		TimeoutSeconds:   5,
		LogRetentionDays: args.LogRetentionDays,
		Environment: pulumi.StringMap{
			"ISSUER_URL":           args.IssuerURL,
			"CLIENT_IDS":           args.ClientID,
			"REGISTRY_TABLE":       args.RegistryTable,
			"DECISION_TTL_SECONDS": pulumi.String(fmt.Sprint(args.DecisionTTLSeconds)),
		},
		Policies: map[string]pulumi.StringInput{"registry": readRegistry},
	}, pulumi.Parent(c))
	if err != nil {
		return nil, err
	}
	c.FunctionName, c.FunctionArn, c.InvokeArn, c.Function = fn.FunctionName, fn.FunctionArn, fn.InvokeArn, fn
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{"functionName": c.FunctionName, "functionArn": c.FunctionArn, "invokeArn": c.InvokeArn}); err != nil {
		return nil, err
	}
	return c, nil
}
