package infra

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStateBucketOf(t *testing.T) {
	for in, want := range map[string]string{
		"s3://acme-state":                  "acme-state",
		"s3://acme-state/tenantforge":      "acme-state",
		"s3://acme-state?region=eu-west-1": "acme-state",
		"https://api.pulumi.com":           "",
		"":                                 "",
		"gs://acme-state":                  "",
	} {
		assert.Equal(t, want, StateBucketOf(in), "%q", in)
	}
}

func TestPipelinePoliciesRenderForEveryOption(t *testing.T) {
	base := PipelineResources{
		Partition: "aws", Region: "eu-west-1", AccountID: "123456789012", Prefix: "tenantforge-",
		ArtifactBucketArn: "arn:aws:s3:::tenantforge-dev-pipeline-artifacts",
		ConnectionArn:     "arn:aws:codeconnections:eu-west-1:123456789012:connection/x",
		BuildProjectArn:   "arn:aws:codebuild:eu-west-1:123456789012:project/b", DeployProjectArn: "arn:aws:codebuild:eu-west-1:123456789012:project/d",
		BuildLogGroupArn: "b-logs", DeployLogGroupArn: "d-logs", ReportGroupArn: "r", TopicArn: "topic",
	}
	full := base
	full.SecretArns = []string{"s"}
	full.StateBucket = "state"
	full.Approval, full.VPC, full.CostTag = true, true, true
	full.TrailBucketPrefix = "audit-trail-"
	full.SiloBoundaryArn = "arn:aws:iam::123456789012:policy/tenantforge-dev-silo-boundary"
	full.OwnRoleArns = []string{"arn:aws:iam::123456789012:role/tenantforge-dev-pipeline-deploy"}
	for name, r := range map[string]PipelineResources{"minimal": base, "every option": full} {
		for role, doc := range map[string]PolicyDocument{"pipeline": PipelineRolePolicy(r), "build": BuildRolePolicy(r), "deploy": DeployRolePolicy(r)} {
			_, err := doc.JSON()
			require.NoError(t, err, "%s: the %s role's policy must render", name, role)
			for _, s := range doc.Statement {
				for _, res := range s.Resource {
					assert.NotEmpty(t, res, "%s: %s statement %s has an empty resource", name, role, s.Sid)
				}
			}
		}
	}
	// Without secrets or a state bucket those statements are absent, not empty.
	for _, s := range DeployRolePolicy(base).Statement {
		assert.NotContains(t, []string{"BackendSecrets", "State", "Network", "NotThePipelinesOwnRoles", "TrailBucket", "CostAllocationTag", "SiloBoundary"}, s.Sid)
	}
}

// The account-wide cost allocation tag setting and the trail's
// component-named bucket are granted only to stacks that have them.
func TestDeployRoleOptionalGrants(t *testing.T) {
	r := PipelineResources{Partition: "aws", Region: "eu-west-1", AccountID: "123456789012", Prefix: "tenantforge-",
		CostTag: true, TrailBucketPrefix: "audit-trail-"}
	got := map[string]Statement{}
	for _, s := range DeployRolePolicy(r).Statement {
		got[s.Sid] = s
	}
	assert.Equal(t, Statement{Sid: "CostAllocationTag", Effect: "Allow",
		Action: []string{"ce:UpdateCostAllocationTagsStatus", "ce:ListCostAllocationTags"}, Resource: []string{"*"}}, got["CostAllocationTag"],
		"with observability.activateCostTag the deploy role must be able to activate the tag")
	assert.Equal(t, []string{"arn:aws:s3:::audit-trail-*", "arn:aws:s3:::audit-trail-*/*"}, got["TrailBucket"].Resource,
		"the audit trail's bucket is named after the component, so it needs its own scope")
	assert.Equal(t, "audit-trail-", AuditTrailBucketPrefix("audit"))
}

// Every action in DeployActions names a service and an action, and every
// grant has a resource.
func TestDeployActionsAreWellFormed(t *testing.T) {
	for typ, grants := range DeployActions {
		require.NotEmpty(t, grants, typ)
		for _, g := range grants {
			assert.NotEmpty(t, g.Resource, "%s: a grant without a resource cannot be checked", typ)
			require.NotEmpty(t, g.Actions, typ)
			for _, a := range g.Actions {
				assert.Regexp(t, `^[a-z0-9-]+:[A-Za-z0-9]+$`, a, "%s: %q is not an IAM action", typ, a)
			}
		}
	}
}

func TestCodeDeployLambdaPolicyTargetsTheAliases(t *testing.T) {
	doc := decode(t, CodeDeployLambdaPolicy([]string{"arn:aws:lambda:eu-west-1:123456789012:function:f"}, "live", []string{"arn:aws:cloudwatch:eu-west-1:123456789012:alarm:a"}))
	st := doc["Statement"].([]any)
	require.Len(t, st, 2)
	assert.Equal(t, []any{"arn:aws:lambda:eu-west-1:123456789012:function:f:live"}, st[0].(map[string]any)["Resource"],
		"CodeDeploy may move the alias only, not publish or change the function")
}

func TestLatencyThreshold(t *testing.T) {
	assert.Equal(t, 8000.0, LatencyThresholdMs(10))
	assert.Equal(t, 23200.0, LatencyThresholdMs(29))
}
