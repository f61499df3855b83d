package plan

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/dynamodb"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ssm"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantforge/tenantforge/infra"
	"github.com/tenantforge/tenantforge/internal/lambdabuild"
	"github.com/tenantforge/tenantforge/internal/mockcloud"
)

type group struct{ pulumi.ResourceState }

// sample registers a component with a table and a secret parameter that
// depends on it, and exports a plain and a secret output.
func sample(ctx *pulumi.Context) error {
	g := &group{}
	if err := ctx.RegisterComponentResource("tenantforge:test:Group", "group", g); err != nil {
		return err
	}
	table, err := dynamodb.NewTable(ctx, "group-table", &dynamodb.TableArgs{HashKey: pulumi.String("pk")}, pulumi.Parent(g))
	if err != nil {
		return err
	}
	_, err = ssm.NewParameter(ctx, "group-param", &ssm.ParameterArgs{
		Type:        pulumi.String("SecureString"),
		Value:       pulumi.ToSecret(pulumi.String("hunter2")).(pulumi.StringOutput),
		Description: table.Name,
	}, pulumi.Parent(g))
	ctx.Export("table", table.Name)
	ctx.Export("token", pulumi.ToSecret(pulumi.String("t0ken")))
	return err
}

func sampleDocument(t *testing.T) *Document {
	rec, err := mockcloud.Run(mockcloud.Options{Project: "tenantforge", Stack: "dev", Config: map[string]string{"aws:region": "eu-west-1"}}, sample)
	require.NoError(t, err)
	return NewDocument(rec)
}

func TestDocumentHasExactlyTheContractFields(t *testing.T) {
	js, err := sampleDocument(t).JSON()
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(js, &doc))
	assert.ElementsMatch(t, []string{"project", "stack", "resources", "outputs"}, keys(doc))
	assert.Equal(t, "tenantforge", doc["project"])
	assert.Equal(t, "dev", doc["stack"])
	resources := doc["resources"].([]any)
	require.Len(t, resources, 3)
	for _, r := range resources {
		assert.ElementsMatch(t, []string{"urn", "type", "name", "parent", "provider", "inputs", "dependencies"}, keys(r.(map[string]any)))
	}
	param := resources[1].(map[string]any)
	assert.Equal(t, "aws:ssm/parameter:Parameter", param["type"])
	assert.Equal(t, "[secret]", param["inputs"].(map[string]any)["value"], "secret inputs must never reach the plan in clear text")
	assert.Equal(t, []any{"urn:pulumi:dev::tenantforge::tenantforge:test:Group$aws:dynamodb/table:Table::group-table"}, param["dependencies"])
	assert.Equal(t, "urn:pulumi:dev::tenantforge::tenantforge:test:Group::group", param["parent"])
	outputs := doc["outputs"].(map[string]any)
	assert.Equal(t, "[secret]", outputs["token"], "secret outputs must never reach the plan in clear text")
	assert.Regexp(t, `^group-table-[0-9a-f]{7}$`, outputs["table"])
	assert.NotContains(t, string(js), "hunter2")
	assert.NotContains(t, string(js), "t0ken")
}

func TestMarkdownListsResourcesByComponentAndCounts(t *testing.T) {
	md := string(sampleDocument(t).Markdown())
	assert.Contains(t, md, "# Plan: tenantforge / dev")
	assert.Contains(t, md, "### `group` (tenantforge:test:Group)")
	assert.Contains(t, md, "| `group-table` | `aws:dynamodb/table:Table` |")
	assert.Contains(t, md, "| `aws:ssm/parameter:Parameter` | 1 |")
	assert.Contains(t, md, "| **total** | **3** |")
	assert.Contains(t, md, "| `token` | `\"[secret]\"` |")
}

func TestDotDrawsComponentsAsClustersAndDependencies(t *testing.T) {
	dot := string(sampleDocument(t).Dot())
	assert.Contains(t, dot, `digraph "tenantforge/dev"`)
	assert.Equal(t, 1, strings.Count(dot, "subgraph cluster_"), "one component, one cluster")
	assert.Contains(t, dot, `label="group-table\ndynamodb.Table"`)
	assert.Contains(t, dot, `label="group-param\nssm.Parameter"`)
	assert.Equal(t, 1, strings.Count(dot, " -> "), "the parameter depends on the table")
	if _, err := exec.LookPath("dot"); err == nil {
		cmd := exec.Command("dot", "-Tsvg")
		cmd.Stdin = strings.NewReader(dot)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "Graphviz rejects the diagram: %s", out)
		assert.Contains(t, string(out), "<svg")
	}
}

func TestWriteProducesTheFourFiles(t *testing.T) {
	dir := t.TempDir()
	files, err := sampleDocument(t).Write(dir)
	require.NoError(t, err)
	for _, f := range []string{files.JSON, files.Markdown, files.Dot} {
		info, err := os.Stat(f)
		require.NoError(t, err)
		assert.NotZero(t, info.Size())
	}
	assert.Equal(t, filepath.Join(dir, "dev.json"), files.JSON)
	if _, err := exec.LookPath("dot"); err == nil {
		assert.Equal(t, filepath.Join(dir, "dev.svg"), files.SVG, "with Graphviz installed the diagram is rendered to SVG")
	} else {
		assert.Empty(t, files.SVG)
	}
}

func TestSnapshotNormalisesPackageAndAssetPaths(t *testing.T) {
	d := &Document{Project: "p", Stack: "s", Outputs: map[string]any{}, Resources: []Resource{{
		URN: "u", Type: "aws:lambda/function:Function", Name: "f",
		Inputs: map[string]any{
			"code":        map[string]any{"archive": "/tmp/build-123/orders.zip"},
			"source":      map[string]any{"asset": "/repo/web/index.html"},
			"description": "see /repo/docs",
			"policy":      `{"Version":"2012-10-17","Statement":[]}`,
		},
	}}}
	snap, err := Snapshot(d, "/repo")
	require.NoError(t, err)
	assert.Contains(t, string(snap), `"archive": "<artifacts>/orders.zip"`)
	assert.Contains(t, string(snap), `"asset": "web/index.html"`)
	assert.Contains(t, string(snap), `"description": "see /repo/docs"`, "only archive and asset paths are rewritten")
	assert.Contains(t, string(snap), `"<json>": {`, "JSON documents in strings are unfolded for readable diffs")
	assert.Contains(t, string(snap), `"Version": "2012-10-17"`)
}

func TestPlannerResolvesTenantStacksFromTheirPlatformStack(t *testing.T) {
	dir, err := lambdabuild.WriteStandIns("../..", t.TempDir())
	require.NoError(t, err)
	stacks, err := (&Planner{Dir: "../..", Artifacts: infra.Artifacts{Dir: dir}}).Plan("dev-tenant-example")
	require.NoError(t, err)
	require.Len(t, stacks, 1)
	assert.Equal(t, "tenantforge-dev-registry", stacks[0].Recording.Outputs[infra.OutRegistryTableName],
		"the tenant stack's reference must resolve to the planned platform stack's outputs")
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// Build output (the web app's files) is the same on every machine whether
// it was built into the repo's build/ or, by the tests, into a temporary
// directory: both reduce to <artifacts>/<file>.
func TestSnapshotReducesBuildOutputAssets(t *testing.T) {
	asset := func(path string) *Document {
		return &Document{Project: "p", Stack: "s", Outputs: map[string]any{}, Resources: []Resource{{
			URN: "u", Type: "aws:s3/bucketObjectv2:BucketObjectv2", Name: "o",
			Inputs: map[string]any{"source": map[string]any{"asset": path}},
		}}}
	}
	for _, path := range []string{"/repo/build/web/assets/js/main.0123456789.js", "/tmp/tenantforge-packages-1/web/assets/js/main.0123456789.js"} {
		snap, err := Snapshot(asset(path), "/repo")
		require.NoError(t, err)
		assert.Contains(t, string(snap), `"asset": "<artifacts>/main.0123456789.js"`, "%s must not put a machine's path into the golden plan", path)
	}
}
