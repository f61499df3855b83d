package mockcloud

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/dynamodb"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func opts(stack string) Options {
	return Options{Project: "proj", Stack: stack, Config: map[string]string{"aws:region": "eu-west-1"}}
}

type comp struct{ pulumi.ResourceState }

func TestRecordsRegistrationsWithParentProviderAndDependencies(t *testing.T) {
	rec, err := Run(opts("dev"), func(ctx *pulumi.Context) error {
		prov, err := aws.NewProvider(ctx, "regional", &aws.ProviderArgs{
			Region:      pulumi.String("ap-south-1"),
			DefaultTags: &aws.ProviderDefaultTagsArgs{Tags: pulumi.StringMap{"team": pulumi.String("platform")}},
		})
		if err != nil {
			return err
		}
		c := &comp{}
		if err := ctx.RegisterComponentResource("test:index:Group", "group", c, pulumi.Providers(prov)); err != nil {
			return err
		}
		table, err := dynamodb.NewTable(ctx, "orders", &dynamodb.TableArgs{
			Name: pulumi.String("orders-table"), HashKey: pulumi.String("pk"),
			Attributes: dynamodb.TableAttributeArray{dynamodb.TableAttributeArgs{Name: pulumi.String("pk"), Type: pulumi.String("S")}},
			Tags:       pulumi.StringMap{"tier": pulumi.String("gold")},
		}, pulumi.Parent(c))
		if err != nil {
			return err
		}
		_, err = iam.NewRole(ctx, "reader", &iam.RoleArgs{
			AssumeRolePolicy: pulumi.String(`{"Version":"2012-10-17","Statement":[]}`),
			Description:      table.Arn,
		}, pulumi.Parent(c))
		ctx.Export("tableArn", table.Arn)
		ctx.Export("secret", pulumi.ToSecret(pulumi.String("s3cr3t")))
		return err
	})
	require.NoError(t, err)
	require.Len(t, rec.Resources, 4)

	table, err := rec.Find("aws:dynamodb/table:Table", "orders")
	require.NoError(t, err)
	assert.Equal(t, "urn:pulumi:dev::proj::test:index:Group$aws:dynamodb/table:Table::orders", table.URN)
	assert.Equal(t, "urn:pulumi:dev::proj::test:index:Group::group", table.Parent)
	assert.Equal(t, "urn:pulumi:dev::proj::pulumi:providers:aws::regional", table.Provider, "children inherit the component's provider")
	assert.Equal(t, "orders-table", table.ID)
	assert.Equal(t, "arn:aws:dynamodb:ap-south-1:123456789012:table/orders-table", table.Output("arn"),
		"the ARN must carry the region of the provider that manages the resource")
	assert.Equal(t, map[string]any{"team": "platform", "tier": "gold"}, table.Output("tagsAll"), "tagsAll merges the provider's default tags")

	role, err := rec.Find("aws:iam/role:Role", "reader")
	require.NoError(t, err)
	assert.Equal(t, []string{table.URN}, role.Dependencies, "an input taken from another resource is a dependency")
	assert.Equal(t, table.Output("arn"), role.Input("description"))
	assert.Regexp(t, `^reader-[0-9a-f]{7}$`, role.ID, "unnamed resources get Pulumi-style auto-names")
	doc, err := role.PolicyInput("assumeRolePolicy")
	require.NoError(t, err)
	assert.Equal(t, "2012-10-17", doc["Version"])

	assert.Equal(t, table.Output("arn"), rec.Outputs["tableArn"])
	assert.True(t, rec.SecretOutputs["secret"])
	assert.Len(t, rec.Children("urn:pulumi:dev::proj::test:index:Group::group"), 2)
	assert.Equal(t, []*Resource{rec.ByURN("urn:pulumi:dev::proj::test:index:Group::group")}, rec.Ancestors(table))
}

func TestRunIsDeterministic(t *testing.T) {
	program := func(ctx *pulumi.Context) error {
		for _, n := range []string{"a", "b", "c"} {
			if _, err := iam.NewRole(ctx, n, &iam.RoleArgs{AssumeRolePolicy: pulumi.String("{}")}); err != nil {
				return err
			}
		}
		return nil
	}
	first, err := Run(opts("dev"), program)
	require.NoError(t, err)
	second, err := Run(opts("dev"), program)
	require.NoError(t, err)
	require.Len(t, first.Resources, 3)
	for i := range first.Resources {
		assert.Equal(t, first.Resources[i].URN, second.Resources[i].URN, "resources must come back in URN order")
		assert.Equal(t, first.Resources[i].ID, second.Resources[i].ID, "IDs must be stable, or the golden plans would churn")
	}
}

func TestAnswersKnownInvokes(t *testing.T) {
	var account, partition, region string
	_, err := Run(opts("dev"), func(ctx *pulumi.Context) error {
		id, err := aws.GetCallerIdentity(ctx, nil)
		if err != nil {
			return err
		}
		p, err := aws.GetPartition(ctx, nil)
		if err != nil {
			return err
		}
		r, err := aws.GetRegion(ctx, nil)
		if err != nil {
			return err
		}
		account, partition, region = id.AccountId, p.Partition, r.Name
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, AccountID, account)
	assert.Equal(t, "aws", partition)
	assert.Equal(t, "eu-west-1", region)
}

func TestFailsOnUnknownInvoke(t *testing.T) {
	rec, err := Run(opts("dev"), func(ctx *pulumi.Context) error {
		_, err := iam.GetPolicyDocument(ctx, &iam.GetPolicyDocumentArgs{})
		return err
	})
	require.Error(t, err, "an invoke the mock does not know must fail the run")
	assert.Contains(t, err.Error(), "aws:iam/getPolicyDocument:getPolicyDocument")
	require.Len(t, rec.Invokes, 1)
}

func TestStackReferenceNeedsGivenOutputs(t *testing.T) {
	program := func(ctx *pulumi.Context) error {
		ref, err := pulumi.NewStackReference(ctx, "platform", &pulumi.StackReferenceArgs{Name: pulumi.String("org/proj/dev")})
		if err != nil {
			return err
		}
		ctx.Export("bus", ref.GetStringOutput(pulumi.String("busName")))
		return nil
	}
	_, err := Run(opts("tenant"), program)
	require.Error(t, err)
	assert.True(t, strings.Contains(err.Error(), ErrNoStackOutputs.Error()))

	o := opts("tenant")
	o.StackOutputs = map[string]map[string]any{"org/proj/dev": {"busName": "events"}}
	rec, err := Run(o, program)
	require.NoError(t, err)
	assert.Equal(t, "events", rec.Outputs["bus"])
}

func TestConfigReachesTheProgram(t *testing.T) {
	o := opts("dev")
	o.Config["proj:greeting"] = "hello"
	var got string
	_, err := Run(o, func(ctx *pulumi.Context) error {
		got, _ = ctx.GetConfig("proj:greeting")
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, "hello", got)
}
