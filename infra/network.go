package infra

import (
	"errors"
	"fmt"
	"net/netip"

	awsec2 "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-awsx/sdk/v2/go/awsx/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Network is the optional VPC for functions that must reach private
// resources. It wraps awsx's ec2.Vpc with an explicit NAT strategy, subnet
// strategy and subnet layout, and adds a security group for the functions.
type Network struct {
	pulumi.ResourceState

	VpcID           pulumi.StringOutput      `pulumi:"vpcId"`
	SubnetIDs       pulumi.StringArrayOutput `pulumi:"subnetIds"`
	SecurityGroupID pulumi.StringOutput      `pulumi:"securityGroupId"`
}

// NetworkArgs configures Network.
type NetworkArgs struct {
	VPC VPCConfig
}

// NewNetwork registers the VPC.
func NewNetwork(ctx *pulumi.Context, name string, args *NetworkArgs, opts ...pulumi.ResourceOption) (*Network, error) {
	if args == nil {
		return nil, errors.New("network: args are required")
	}
	c := &Network{}
	if err := ctx.RegisterComponentResource("tenantforge:network:Network", name, c, opts...); err != nil {
		return nil, err
	}
	vpcArgs, err := VpcArgs(args.VPC)
	if err != nil {
		return nil, err
	}
	vpc, err := ec2.NewVpc(ctx, name+"-vpc", vpcArgs, remoteChildOpts(c)...)
	if err != nil {
		return nil, err
	}
	// Functions live in private subnets behind NAT, or in isolated subnets
	// when the stack runs without NAT gateways.
	subnets := vpc.PrivateSubnetIds
	if args.VPC.NatGateways == NatNone {
		subnets = vpc.IsolatedSubnetIds
	}
	sg, err := awsec2.NewSecurityGroup(ctx, name+"-functions", &awsec2.SecurityGroupArgs{
		VpcId:       vpc.VpcId,
		Description: pulumi.String("tenantforge functions: no inbound, all outbound"),
		Egress: awsec2.SecurityGroupEgressArray{awsec2.SecurityGroupEgressArgs{
			Protocol:   pulumi.String("-1"),
			FromPort:   pulumi.Int(0),
			ToPort:     pulumi.Int(0),
			CidrBlocks: pulumi.StringArray{pulumi.String("0.0.0.0/0")},
		}},
	}, pulumi.Parent(c))
	if err != nil {
		return nil, err
	}
	c.VpcID, c.SubnetIDs, c.SecurityGroupID = vpc.VpcId, subnets, sg.ID().ToStringOutput()
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{"vpcId": c.VpcID, "subnetIds": c.SubnetIDs, "securityGroupId": c.SecurityGroupID}); err != nil {
		return nil, err
	}
	return c, nil
}

// VpcArgs turns the VPC config into awsx arguments: the NAT strategy and the
// subnet layout are always explicit, never awsx's defaults (which would
// create one NAT gateway per zone). The Auto strategy packs the layout below
// from the start of the VPC's range in every zone.
func VpcArgs(v VPCConfig) (*ec2.VpcArgs, error) {
	cidr := v.CidrBlock
	zones := v.AvailabilityZones
	strategy := ec2.SubnetAllocationStrategyAuto
	// Each zone gets a sixteenth of the range for functions and a 256th for
	// the NAT gateways' public subnet: six zones fit in any allowed range.
	prefix, err := netip.ParsePrefix(v.CidrBlock)
	if err != nil {
		return nil, fmt.Errorf("network: CidrBlock %q: %w", v.CidrBlock, err)
	}
	bits := prefix.Bits()
	specs := []ec2.SubnetSpecArgs{
		{Type: ec2.SubnetTypePublic, Name: strPtr("public"), CidrMask: intPtr(bits + 8)},
		{Type: ec2.SubnetTypePrivate, Name: strPtr("private"), CidrMask: intPtr(bits + 4)},
	}
	if v.NatGateways == NatNone {
		specs = []ec2.SubnetSpecArgs{{Type: ec2.SubnetTypeIsolated, Name: strPtr("isolated"), CidrMask: intPtr(bits + 4)}}
	}
	return &ec2.VpcArgs{
		CidrBlock:                 &cidr,
		NumberOfAvailabilityZones: &zones,
		EnableDnsHostnames:        pulumi.Bool(true),
		EnableDnsSupport:          pulumi.Bool(true),
		NatGateways:               &ec2.NatGatewayConfigurationArgs{Strategy: ec2.NatGatewayStrategy(v.NatGateways)},
		SubnetStrategy:            &strategy,
		SubnetSpecs:               specs,
	}, nil
}

func strPtr(s string) *string { return &s }
