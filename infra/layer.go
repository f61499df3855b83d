package infra

import (
	"errors"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// SharedLayer is the Lambda layer every application function attaches. Go
// needs no library layer, so it carries what the functions genuinely
// share at run time: the tenantforge-usage extension (extensions/usage),
// which meters every request per tenant and flushes the totals as
// CloudWatch metrics after the response.
type SharedLayer struct {
	pulumi.ResourceState

	LayerArn pulumi.StringOutput `pulumi:"layerArn"`
}

// SharedLayerArgs configures the SharedLayer.
type SharedLayerArgs struct {
	Namer Namer
	// ZipPath is the layer `make build` wrote (Artifacts.LayerZip).
	ZipPath string
}

// NewSharedLayer publishes the layer version.
func NewSharedLayer(ctx *pulumi.Context, name string, args *SharedLayerArgs, opts ...pulumi.ResourceOption) (*SharedLayer, error) {
	if args == nil || args.ZipPath == "" {
		return nil, errors.New("shared layer: ZipPath is required")
	}
	c := &SharedLayer{}
	if err := ctx.RegisterComponentResource("tenantforge:app:SharedLayer", name, c, opts...); err != nil {
		return nil, err
	}
	layer, err := lambda.NewLayerVersion(ctx, name+"-version", &lambda.LayerVersionArgs{
		LayerName:               pulumi.String(args.Namer.Name("shared", 140)),
		Description:             pulumi.String("tenantforge-usage extension: per-tenant request metering"),
		Code:                    pulumi.NewFileArchive(args.ZipPath),
		CompatibleRuntimes:      pulumi.StringArray{pulumi.String("provided.al2023")},
		CompatibleArchitectures: pulumi.StringArray{pulumi.String("arm64")},
	}, pulumi.Parent(c))
	if err != nil {
		return nil, err
	}
	c.LayerArn = layer.Arn
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{"layerArn": c.LayerArn}); err != nil {
		return nil, err
	}
	return c, nil
}
