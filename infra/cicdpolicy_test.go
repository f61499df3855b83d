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
	full.Approval, full.VPC = true, true
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
		assert.NotContains(t, []string{"BackendSecrets", "State", "Network", "NotThePipelinesOwnRoles"}, s.Sid)
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
