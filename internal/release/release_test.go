package release

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const outputs = `{
  "apiUrl": "https://x.execute-api.eu-west-1.amazonaws.com/api",
  "releases": {
    "products": {"functionName": "tf-dev-pool-products", "alias": "live", "version": "4", "application": "tf-dev-pool-release", "deploymentGroup": "pool-products"},
    "orders": {"functionName": "tf-dev-pool-orders", "alias": "live", "version": "7", "application": "tf-dev-pool-release", "deploymentGroup": "pool-orders"}
  }
}`

func TestParseListsReleasesInServiceOrder(t *testing.T) {
	got, err := Parse(strings.NewReader(outputs))
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, Release{Service: "orders", FunctionName: "tf-dev-pool-orders", Alias: "live", Version: "7", Application: "tf-dev-pool-release", DeploymentGroup: "pool-orders"}, got[0])
	assert.Equal(t, "products", got[1].Service)
}

func TestParseWithoutReleasesIsEmpty(t *testing.T) {
	got, err := Parse(strings.NewReader(`{"apiUrl": "x"}`))
	require.NoError(t, err)
	assert.Empty(t, got, "a stack without application functions releases nothing")
}

func TestParseRejectsUnpublishedVersions(t *testing.T) {
	_, err := Parse(strings.NewReader(`{"releases": {"orders": {"functionName": "f", "alias": "live", "version": "$LATEST", "application": "a", "deploymentGroup": "g"}}}`))
	require.Error(t, err, "a release of $LATEST would shift the alias to unversioned code that can change under it")
	assert.Contains(t, err.Error(), "orders")
	_, err = Parse(strings.NewReader(`{"releases": {"orders": {"functionName": "f", "alias": "live", "version": "2"}}}`))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "deploymentGroup")
	_, err = Parse(strings.NewReader(`not json`))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "pulumi stack output --json")
}

func TestDeploymentShiftsFromCurrentToTarget(t *testing.T) {
	rels, err := Parse(strings.NewReader(outputs))
	require.NoError(t, err)
	in, err := rels[1].Deployment("3")
	require.NoError(t, err)
	assert.Equal(t, "tf-dev-pool-release", in.ApplicationName)
	assert.Equal(t, "pool-products", in.DeploymentGroupName)
	assert.Equal(t, "AppSpecContent", in.Revision.RevisionType)
	var spec map[string]any
	require.NoError(t, json.Unmarshal([]byte(in.Revision.AppSpecContent.Content), &spec))
	assert.Equal(t, map[string]any{
		"version": 0.0,
		"Resources": []any{map[string]any{"products": map[string]any{
			"Type": "AWS::Lambda::Function",
			"Properties": map[string]any{
				"Name": "tf-dev-pool-products", "Alias": "live", "CurrentVersion": "3", "TargetVersion": "4",
			},
		}}},
	}, spec, "CodeDeploy must shift the live alias of this function from the serving version to the new one")
}

func TestDeploymentOfAnUpToDateAliasIsSkipped(t *testing.T) {
	rels, err := Parse(strings.NewReader(outputs))
	require.NoError(t, err)
	_, err = rels[1].Deployment("4")
	assert.True(t, errors.Is(err, ErrUpToDate), "redeploying the serving version would start a needless canary")
	_, err = rels[1].Deployment("latest")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not a published version")
}
