package infra

import (
	"errors"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi-awsx/sdk/v2/go/awsx/awsx"
	"github.com/pulumi/pulumi-awsx/sdk/v2/go/awsx/cloudtrail"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// AuditTrail is the platform's audit trail: a multi-region CloudTrail trail
// with log file validation, delivered to a private, encrypted S3 bucket and
// to a CloudWatch log group. It wraps awsx's cloudtrail.Trail, which creates
// the bucket, its CloudTrail bucket policy and the log group delivery role.
type AuditTrail struct {
	pulumi.ResourceState

	TrailName    pulumi.StringOutput `pulumi:"trailName"`
	LogGroupName pulumi.StringOutput `pulumi:"logGroupName"`
}

// AuditTrailArgs configures AuditTrail.
type AuditTrailArgs struct {
	Namer Namer
	// RetentionDays is how long the CloudWatch copy of the trail is kept.
	RetentionDays int
	// ForceDestroy lets `pulumi destroy` empty the log bucket (dev only).
	ForceDestroy bool
}

// NewAuditTrail registers the audit trail.
func NewAuditTrail(ctx *pulumi.Context, name string, args *AuditTrailArgs, opts ...pulumi.ResourceOption) (*AuditTrail, error) {
	if args == nil {
		return nil, errors.New("audit trail: args are required")
	}
	if !validRetention(args.RetentionDays) {
		return nil, errors.New("audit trail: RetentionDays must be a CloudWatch Logs retention")
	}
	c := &AuditTrail{}
	if err := ctx.RegisterComponentResource("tenantforge:audit:AuditTrail", name, c, opts...); err != nil {
		return nil, err
	}
	trailName := args.Namer.Name("audit", MaxTrailName)
	logGroupName := "/aws/cloudtrail/" + trailName
	_, err := cloudtrail.NewTrail(ctx, name+"-trail", &cloudtrail.TrailArgs{
		Name:                       pulumi.String(trailName),
		IsMultiRegionTrail:         pulumi.Bool(true),
		IncludeGlobalServiceEvents: pulumi.Bool(true),
		EnableLogFileValidation:    pulumi.Bool(true),
		EnableLogging:              pulumi.Bool(true),
		S3Bucket: &awsx.RequiredBucketArgs{Args: &awsx.BucketArgs{
			ForceDestroy: pulumi.Bool(args.ForceDestroy),
			ServerSideEncryptionConfiguration: &s3.BucketServerSideEncryptionConfigurationArgs{
				Rule: &s3.BucketServerSideEncryptionConfigurationRuleArgs{
					ApplyServerSideEncryptionByDefault: &s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs{
						SseAlgorithm: pulumi.String("AES256"),
					},
				},
			},
			Versioning: &s3.BucketVersioningArgs{Enabled: pulumi.Bool(true)},
		}},
		CloudWatchLogsGroup: &awsx.OptionalLogGroupArgs{
			Enable: boolPtr(true),
			Args: &awsx.LogGroupArgs{
				Name:            pulumi.String(logGroupName),
				RetentionInDays: pulumi.Int(args.RetentionDays),
			},
		},
	}, remoteChildOpts(c)...)
	if err != nil {
		return nil, err
	}
	c.TrailName = pulumi.String(trailName).ToStringOutput()
	c.LogGroupName = pulumi.String(logGroupName).ToStringOutput()
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{"trailName": c.TrailName, "logGroupName": c.LogGroupName}); err != nil {
		return nil, err
	}
	return c, nil
}

func boolPtr(b bool) *bool { return &b }
