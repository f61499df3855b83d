package infra

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// GlobalRegion is where CloudFront-scoped resources (certificates, WAF web
// ACLs for distributions) must live.
const GlobalRegion = "us-east-1"

// Providers are the stack's two explicit AWS providers. Every AWS resource
// the program creates is managed by one of them, so the default tags reach
// every taggable resource.
type Providers struct {
	// Regional manages resources in the stack's region.
	Regional *aws.Provider
	// Global manages CloudFront-scoped resources in us-east-1.
	Global *aws.Provider
	// Tags are the default tags both providers apply.
	Tags map[string]string
}

// DefaultTags returns the tags every resource of the stack carries.
func DefaultTags(cfg *Config) map[string]string {
	tags := map[string]string{
		"project":     cfg.Project,
		"stack":       cfg.Stack,
		"environment": cfg.Environment,
		"managed-by":  "pulumi",
	}
	if cfg.Tenant != nil {
		tags["tenant-id"] = cfg.Tenant.ID
	}
	return tags
}

// NewProviders registers the regional and the us-east-1 provider. Providers
// stay at the top of the resource tree: moving one under a component would
// change its URN and with it every resource it manages.
func NewProviders(ctx *pulumi.Context, cfg *Config) (*Providers, error) {
	tags := DefaultTags(cfg)
	regional, err := aws.NewProvider(ctx, "aws", providerArgs(cfg.Region, tags))
	if err != nil {
		return nil, err
	}
	global, err := aws.NewProvider(ctx, "aws-global", providerArgs(GlobalRegion, tags))
	if err != nil {
		return nil, err
	}
	return &Providers{Regional: regional, Global: global, Tags: tags}, nil
}

func providerArgs(region string, tags map[string]string) *aws.ProviderArgs {
	return &aws.ProviderArgs{
		Region:      pulumi.String(region),
		DefaultTags: &aws.ProviderDefaultTagsArgs{Tags: pulumi.ToStringMap(tags)},
	}
}

// RegionalOpt returns the resource option that hands the regional provider to a
// component and, through it, to all its children.
func (p *Providers) RegionalOpt() pulumi.ResourceOption {
	return pulumi.Providers(p.Regional)
}
