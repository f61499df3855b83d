package infra

import (
	"errors"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// PlatformRef is a tenant stack's typed view of its platform stack's
// outputs, read through a StackReference.
type PlatformRef struct {
	pulumi.ResourceState

	RegistryTableName pulumi.StringOutput `pulumi:"registryTableName"`
	RegistryTableArn  pulumi.StringOutput `pulumi:"registryTableArn"`
	EventBusName      pulumi.StringOutput `pulumi:"eventBusName"`
	EventBusArn       pulumi.StringOutput `pulumi:"eventBusArn"`
	AuthorizerName    pulumi.StringOutput `pulumi:"authorizerName"`
	AuthorizerInvoke  pulumi.StringOutput `pulumi:"authorizerInvokeArn"`
	LayerArn          pulumi.StringOutput `pulumi:"layerArn"`
	UserPoolID        pulumi.StringOutput `pulumi:"userPoolId"`
	// SiloBoundaryArn caps the silo roles; "" when the platform has no
	// tenant deployer (stacks made by hand).
	SiloBoundaryArn pulumi.StringOutput `pulumi:"siloBoundaryArn"`
}

// PlatformRefArgs configures PlatformRef.
type PlatformRefArgs struct {
	// Stack is the platform stack's fully qualified name (org/project/stack).
	Stack string
}

// NewPlatformRef registers the StackReference to the platform stack.
func NewPlatformRef(ctx *pulumi.Context, name string, args *PlatformRefArgs, opts ...pulumi.ResourceOption) (*PlatformRef, error) {
	if args == nil || args.Stack == "" {
		return nil, errors.New("platform reference: the platform stack name is required")
	}
	c := &PlatformRef{}
	if err := ctx.RegisterComponentResource("tenantforge:stack:PlatformRef", name, c, opts...); err != nil {
		return nil, err
	}
	ref, err := pulumi.NewStackReference(ctx, name+"-stack", &pulumi.StackReferenceArgs{Name: pulumi.String(args.Stack)}, pulumi.Parent(c))
	if err != nil {
		return nil, err
	}
	require := func(output string) pulumi.StringOutput {
		return ref.GetOutput(pulumi.String(output)).ApplyT(func(v any) (string, error) {
			s, ok := v.(string)
			if !ok || s == "" {
				return "", fmt.Errorf("platform stack %s has no output %q: run `pulumi up` on the platform stack first, then retry this tenant stack", args.Stack, output)
			}
			return s, nil
		}).(pulumi.StringOutput)
	}
	c.RegistryTableName = require(OutRegistryTableName)
	c.RegistryTableArn = require(OutRegistryTableArn)
	c.EventBusName = require(OutEventBusName)
	c.EventBusArn = require(OutEventBusArn)
	c.AuthorizerName = require(OutAuthorizerName)
	c.AuthorizerInvoke = require(OutAuthorizerInvoke)
	c.LayerArn = require(OutLayerArn)
	c.UserPoolID = require(OutUserPoolID)
	c.SiloBoundaryArn = ref.GetOutput(pulumi.String(OutSiloBoundaryArn)).ApplyT(func(v any) string {
		s, _ := v.(string)
		return s
	}).(pulumi.StringOutput)
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{
		"registryTableName": c.RegistryTableName, "registryTableArn": c.RegistryTableArn,
		"eventBusName": c.EventBusName, "eventBusArn": c.EventBusArn,
		"authorizerName": c.AuthorizerName, "authorizerInvokeArn": c.AuthorizerInvoke, "layerArn": c.LayerArn, "userPoolId": c.UserPoolID,
		"siloBoundaryArn": c.SiloBoundaryArn,
	}); err != nil {
		return nil, err
	}
	return c, nil
}
