package tests

import (
	"path/filepath"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
	for _, k := range []string{"environment", "tiers", "adminEmail", "web", "cicd", "tenant", "platformStack", "auditTrail", "vpc", "logRetentionDays", "identity", "functions", "pulumiBackend"} {
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
	get := func(m map[string]string) infra.ConfigGetter {
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	withDefaults, err := infra.ParseConfig("tenantforge", "dev", get(fromYAML))
	require.NoError(t, err)
	goDefaults, err := infra.ParseConfig("tenantforge", "dev", get(map[string]string{"aws:region": "eu-west-1", "tenantforge:adminEmail": "ops@example.com"}))
	require.NoError(t, err)
	assert.Equal(t, goDefaults, withDefaults)
}
