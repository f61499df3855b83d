package infra

import "github.com/pulumi/pulumi/sdk/v3/go/pulumi"

// component is what our ComponentResources have through pulumi.ResourceState.
type component interface {
	pulumi.Resource
	GetProvider(token string) pulumi.ProviderResource
}

// remoteChildOpts are the options of a plugin-managed (awsx) child of one of
// our components. The engine does not hand a parent's providers on to a
// remote component, so the component's AWS provider is passed explicitly;
// without it awsx would create its resources with the default provider and
// they would miss the stack's default tags.
func remoteChildOpts(parent component) []pulumi.ResourceOption {
	opts := []pulumi.ResourceOption{pulumi.Parent(parent)}
	if p := parent.GetProvider("aws::"); p != nil {
		opts = append(opts, pulumi.Providers(p))
	}
	return opts
}
