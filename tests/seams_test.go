package tests

import (
	"maps"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantforge/tenantforge/infra"
	"github.com/tenantforge/tenantforge/internal/stackconfig"
	"github.com/tenantforge/tenantforge/internal/tenantctl"
	"github.com/tenantforge/tenantforge/shared/controlplane"
	"github.com/tenantforge/tenantforge/shared/registry"
)

// The lifecycle events' detail types agree between their producers (the
// control plane, tenantctl) and their consumers (the deployer's rules,
// observability's rules and alarms). make dev's local bus is held to the
// deployer's events in internal/devstack. Not proven: that EventBridge
// delivers them (no AWS here).
func TestLifecycleEventNamesAgreeAcrossProducersAndConsumers(t *testing.T) {
	assert.Equal(t, []string{controlplane.EventDeprovisioningRequested, controlplane.EventProvisioningRequested},
		slices.Sorted(maps.Keys(infra.DeployerActions)), "the deployer's rules must match the events the control plane publishes, or no silo stack is ever built or removed")
	assert.Equal(t, "provision", infra.DeployerActions[controlplane.EventProvisioningRequested])
	assert.Equal(t, "deprovision", infra.DeployerActions[controlplane.EventDeprovisioningRequested])
	assert.Equal(t, tenantctl.EventProvisioned, infra.EventTenantProvisioned, "the provisioned-tenants rule would count nothing tenantctl publishes")
	assert.Equal(t, tenantctl.EventProvisioningFailed, infra.EventTenantProvisioningFailed, "the provisioning-failures alarm would never fire")
}

// What a tenant stack reads from its platform stack (PlatformRef) is
// exported by the platform stack whether or not it has a pipeline (some
// outputs exist only with cicd.repository), and the tenant stack exports
// what tenantctl reads after `pulumi up`. Not proven: that a real backend
// serves the outputs (the mock hands them over).
func TestTenantStacksFindThePlatformsOutputsWithAndWithoutAPipeline(t *testing.T) {
	for _, c := range []struct {
		name     string
		override []string
	}{
		{"with a pipeline", nil},
		{"without a pipeline", []string{"cicd", `{"repository":"","branch":"main"}`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			platform := run(t, "dev", stackConfig(t, "dev", c.override...), nil)
			_, pipeline := platform.Outputs[infra.OutPipelineName]
			require.Equal(t, c.override == nil, pipeline, "the case must exercise the platform %s", c.name)
			refs := map[string]map[string]any{"organization/tenantforge/dev": platform.Outputs}
			tenant, err := tryRun("dev-tenant-example", stackConfig(t, "dev-tenant-example"), refs)
			require.NoError(t, err, "a silo stack could not be deployed on a platform %s", c.name)
			assert.NotEmpty(t, tenant.Outputs[tenantctl.OutAPIURL], "tenantctl records the silo API's URL from this output")
			plans, _ := tenant.Outputs[tenantctl.OutUsagePlanIDs].(map[string]any)
			assert.NotEmpty(t, plans["platinum"], "tenantctl puts the tenant's API key on its tier's plan from this output; without it provisioning fails")
			boundary := find(t, tenant, typeRole, "silo-orders-role").Input("permissionsBoundary")
			if pipeline {
				assert.Equal(t, platform.Outputs[infra.OutSiloBoundaryArn], boundary, "silo roles must carry the deployer's boundary")
			} else {
				assert.Empty(t, boundary, "without a deployer there is no boundary to carry")
			}
		})
	}
}

// The example tenant stack file is what tenantctl writes for a silo tenant
// of the dev platform: the program sees the same configuration, so `make
// plan` and the goldens show a silo stack as the deployer builds it. Not
// proven: how the Pulumi CLI stores path keys (stackconfig.AssemblePaths
// follows its documented rules).
func TestExampleTenantStackIsWhatTenantctlWrites(t *testing.T) {
	project, err := stackconfig.LoadProject(repoRoot)
	require.NoError(t, err)
	platform, err := project.LoadStack(repoRoot, "dev")
	require.NoError(t, err)
	inherited, err := tenantctl.Inherit(platform.Config, platform.SecretKeys)
	require.NoError(t, err)
	example := stackConfig(t, "dev-tenant-example")
	c := &tenantctl.Controller{Settings: tenantctl.Settings{
		PlatformStack: example["tenantforge:platformStack"], Region: platform.Config["aws:region"],
		Environment: platform.Config["tenantforge:environment"], PlatformConfig: inherited,
	}}
	flat, err := c.TenantConfig(&registry.Record{TenantID: "example", Name: "example", Tier: "platinum"})
	require.NoError(t, err)
	written, err := stackconfig.AssemblePaths(flat)
	require.NoError(t, err)
	want, err := infra.ParseConfig("tenantforge", "dev-tenant-example", infra.ConfigFrom(written))
	require.NoError(t, err, "tenantctl writes a tenant stack config that fails validation")
	got, err := infra.ParseConfig("tenantforge", "dev-tenant-example", infra.ConfigFrom(example))
	require.NoError(t, err)
	assert.Equal(t, want, got, "Pulumi.dev-tenant-example.yaml differs from what tenantctl writes: the plan shows a silo stack the deployer never builds")
}
