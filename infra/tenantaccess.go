package infra

import (
	"errors"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// TenantAccess is the role pooled functions assume, per request, with the
// session tag tenant_id. Only the pooled functions' execution roles may
// assume it, only with that tag, and it reaches only the pooled tables'
// items whose partition key equals the tag.
type TenantAccess struct {
	pulumi.ResourceState

	RoleArn pulumi.StringOutput `pulumi:"roleArn"`
}

// TenantAccessArgs configures TenantAccess.
type TenantAccessArgs struct {
	// RoleName is the physical role name; the pooled functions compute its
	// ARN from it, which breaks the cycle between the trust policy (it
	// names their roles) and their configuration (it names this role).
	RoleName string
	// TrustedRoleArns are the pooled functions' execution roles.
	TrustedRoleArns pulumi.StringArrayInput
	// TableArns are the pooled tables.
	TableArns pulumi.StringArrayInput
}

// NewTenantAccess registers the tenant access role.
func NewTenantAccess(ctx *pulumi.Context, name string, args *TenantAccessArgs, opts ...pulumi.ResourceOption) (*TenantAccess, error) {
	if args == nil || args.RoleName == "" || args.TrustedRoleArns == nil || args.TableArns == nil {
		return nil, errors.New("tenant access: RoleName, TrustedRoleArns and TableArns are required")
	}
	c := &TenantAccess{}
	if err := ctx.RegisterComponentResource("tenantforge:app:TenantAccess", name, c, opts...); err != nil {
		return nil, err
	}
	trust := args.TrustedRoleArns.ToStringArrayOutput().ApplyT(func(arns []string) (string, error) {
		return TenantAccessTrustPolicy(arns).JSON()
	}).(pulumi.StringOutput)
	role, err := iam.NewRole(ctx, name+"-role", &iam.RoleArgs{
		Name:               pulumi.String(args.RoleName),
		Description:        pulumi.String("Assumed per request by pooled functions with the session tag tenant_id"),
		AssumeRolePolicy:   trust,
		MaxSessionDuration: pulumi.Int(3600),
	}, pulumi.Parent(c))
	if err != nil {
		return nil, err
	}
	data := args.TableArns.ToStringArrayOutput().ApplyT(func(arns []string) (string, error) {
		return TenantDataPolicy(arns).JSON()
	}).(pulumi.StringOutput)
	if _, err := iam.NewRolePolicy(ctx, name+"-data", &iam.RolePolicyArgs{Role: role.ID(), Policy: data}, pulumi.Parent(c)); err != nil {
		return nil, err
	}
	c.RoleArn = role.Arn
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{"roleArn": c.RoleArn}); err != nil {
		return nil, err
	}
	return c, nil
}
