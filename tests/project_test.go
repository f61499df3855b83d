package tests

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/tenantforge/tenantforge/infra"
	"github.com/tenantforge/tenantforge/internal/stackconfig"
)

// Pulumi.yaml must pass the Pulumi CLI's own project schema, or every
// `pulumi` command fails before the program runs.
func TestProjectFilePassesPulumisSchema(t *testing.T) {
	proj, err := workspace.LoadProject(filepath.Join(repoRoot, "Pulumi.yaml"))
	require.NoError(t, err)
	assert.Equal(t, "tenantforge", proj.Name.String())
	assert.Equal(t, "go", proj.Runtime.Name())
	assert.NotEmpty(t, proj.Description)
	for _, k := range []string{"environment", "tiers", "adminEmail", "web", "cicd", "tenant", "platformStack", "auditTrail", "vpc", "logRetentionDays", "identity", "functions", "pulumiBackend", "observability"} {
		item, ok := proj.Config[k]
		if assert.True(t, ok, "config key %s is missing from Pulumi.yaml's schema", k) {
			assert.NotEmpty(t, item.Description, "config key %s needs a description", k)
			assert.NotNil(t, item.TypeName(), "config key %s needs a type", k)
			assert.NotNil(t, item.Default, "config key %s needs a default, or the CLI requires it on every stack", k)
		}
	}
	for _, stack := range []string{"dev", "dev-tenant-example"} {
		_, err := workspace.LoadProjectStack(nil, proj, filepath.Join(repoRoot, "Pulumi."+stack+".yaml"))
		assert.NoError(t, err, "stack file %s must load in the Pulumi CLI", stack)
	}
}

// Pulumi.yaml's defaults and the Go defaults must agree, or a stack that
// relies on defaults behaves differently under `pulumi up` and in tests.
func TestProjectDefaultsMatchGoDefaults(t *testing.T) {
	project, err := stackconfig.LoadProject(repoRoot)
	require.NoError(t, err)
	fromYAML := map[string]string{"aws:region": "eu-west-1", "tenantforge:adminEmail": "ops@example.com"}
	for k, item := range project.Config {
		if k == "adminEmail" {
			continue
		}
		v, err := stackconfig.Encode(item.Default)
		require.NoError(t, err)
		fromYAML["tenantforge:"+k] = v
	}
	withDefaults, err := infra.ParseConfig("tenantforge", "dev", infra.ConfigFrom(fromYAML))
	require.NoError(t, err)
	goDefaults, err := infra.ParseConfig("tenantforge", "dev", infra.ConfigFrom(map[string]string{"aws:region": "eu-west-1", "tenantforge:adminEmail": "ops@example.com"}))
	require.NoError(t, err)
	assert.Equal(t, goDefaults, withDefaults)
}

// The README's configuration reference documents every key Pulumi.yaml
// declares, once, with Pulumi.yaml's type and (where the README gives it
// as a value) default: an operator reading it configures what the program
// takes. Not proven: that the prose in the "meaning" column is right.
func TestReadmeConfigReferenceMatchesTheProjectSchema(t *testing.T) {
	project, err := stackconfig.LoadProject(repoRoot)
	require.NoError(t, err)
	raw, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	require.NoError(t, err)
	_, section, found := strings.Cut(string(raw), "\n## Configuration reference\n")
	require.True(t, found, "README.md has no Configuration reference section")
	section, _, _ = strings.Cut(section, "\n## ")
	row := regexp.MustCompile("(?m)^\\| `([A-Za-z:]+)` \\| ([a-z]+) \\| ([^|]+) \\|")
	seen := map[string]int{}
	for _, m := range row.FindAllStringSubmatch(section, -1) {
		key, typ, def := m[1], m[2], strings.TrimSpace(m[3])
		seen[key]++
		if key == "aws:region" {
			continue
		}
		item, ok := project.Config[key]
		if !assert.True(t, ok, "README documents %s, which Pulumi.yaml does not declare: a stack setting it fails", key) {
			continue
		}
		assert.Equal(t, item.Type, typ, "README gives %s the wrong type", key)
		if v, isValue := strings.CutPrefix(def, "`"); isValue && strings.HasSuffix(v, "`") && strings.Count(v, "`") == 1 {
			var doc any
			require.NoError(t, yaml.Unmarshal([]byte(strings.TrimSuffix(v, "`")), &doc), "README's default of %s", key)
			want, err := stackconfig.Encode(item.Default)
			require.NoError(t, err)
			got, err := stackconfig.Encode(doc)
			require.NoError(t, err)
			assert.JSONEq(t, jsonOf(t, want), jsonOf(t, got), "README's default of %s differs from Pulumi.yaml's: a stack relying on it gets something else", key)
		}
	}
	for k := range project.Config {
		assert.Equal(t, 1, seen[k], "README's configuration reference must document %s exactly once", k)
	}
	assert.Equal(t, 1, seen["aws:region"])
}

// jsonOf turns an encoded config value into JSON for comparison (scalars
// become JSON strings).
func jsonOf(t *testing.T, encoded string) string {
	t.Helper()
	if json.Valid([]byte(encoded)) && strings.HasPrefix(encoded, "{") {
		return encoded
	}
	b, err := json.Marshal(encoded)
	require.NoError(t, err)
	return string(b)
}
